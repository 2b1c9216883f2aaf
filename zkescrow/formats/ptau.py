"""Reader of snarkjs powers-of-tau files (.ptau), as left by ``powersoftau prepare phase2``.

Layout (snarkjs ``src/powersoftau_new.js``, ``powersoftau_utils.js``,
``powersoftau_preparephase2.js``): the iden3 container with magic ``ptau``, version 1::

    1   header: u32 n8 (= 32), q (n8 LE), u32 power, u32 ceremonyPower
    2   τ^i·G1,   i < 2^(power+1) − 1              (monomial)
    3   τ^i·G2,   i < 2^power
    4   ατ^i·G1,  i < 2^power          section 4 point 0 is α·G1
    5   βτ^i·G1,  i < 2^power          section 5 point 0 is β·G1
    6   β·G2
    7   the phase-1 contributions
    12  L_i(τ)·G1   for every domain 2^p, p = 0 … power + 1, the 2^p points of level p at
        offset (2^p − 1) points (Lagrange basis over snarkjs's roots w[p])
    13  L_i(τ)·G2,  p = 0 … power
    14  αL_i(τ)·G1, p = 0 … power
    15  βL_i(τ)·G1, p = 0 … power

Points are LEM encoded (see ``zkescrow.formats.lem``).  A prepared ptau of a useful
size is large (2^20 powers ≈ 1.2 GB), so the file is memory-mapped and only the slices
asked for are read and decoded.
"""
from __future__ import annotations

import mmap
import struct

from ..bn254.constants import N8, Q
from ..errors import MalformedFile
from .lem import G1_SIZE, G2_SIZE, decode_g1_points, decode_g2_points

MAGIC = b"ptau"
VERSION = 1

TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2, CONTRIBUTIONS = 2, 3, 4, 5, 6, 7
LAGRANGE_TAU_G1, LAGRANGE_TAU_G2, LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1 = 12, 13, 14, 15

_NAMES = {TAU_G1: "tauG1", TAU_G2: "tauG2", ALPHA_TAU_G1: "alphaTauG1", BETA_TAU_G1: "betaTauG1",
          BETA_G2: "betaG2", CONTRIBUTIONS: "contributions", LAGRANGE_TAU_G1: "Lagrange tauG1",
          LAGRANGE_TAU_G2: "Lagrange tauG2", LAGRANGE_ALPHA_TAU_G1: "Lagrange alphaTauG1",
          LAGRANGE_BETA_TAU_G1: "Lagrange betaTauG1"}


class PreparedPtau:
    """An open, checked phase-2 ptau.  Use as a context manager or call ``close()``."""

    def __init__(self, path):
        self.name = str(path)
        self._fh = open(path, "rb")
        try:
            size = self._fh.seek(0, 2)
            if size < 12:
                raise MalformedFile(f"{self.name}: truncated header ({size} bytes, need 12)")
            self._map = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
            self.sections = self._index()
            self._read_header()
            self._check_sizes()
        except BaseException:
            self.close()
            raise

    # --- container ---------------------------------------------------------------------

    def _index(self) -> dict:
        data = self._map
        if data[:4] != MAGIC:
            raise MalformedFile(f"{self.name}: not a ptau file (magic {bytes(data[:4])!r})")
        version, n_sections = struct.unpack_from("<II", data, 4)
        if version != VERSION:
            raise MalformedFile(f"{self.name}: unsupported ptau version {version} (supported: {VERSION})")
        sections, pos = {}, 12
        for k in range(n_sections):
            if pos + 12 > len(data):
                raise MalformedFile(f"{self.name}: truncated: section header {k + 1} of {n_sections} is missing")
            section_id, size = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if pos + size > len(data):
                raise MalformedFile(f"{self.name}: truncated: section {section_id} declares {size} bytes, "
                                    f"{len(data) - pos} remain")
            if section_id in sections:
                raise MalformedFile(f"{self.name}: section {section_id} appears twice")
            sections[section_id] = (pos, size)
            pos += size
        return sections

    def _read_header(self) -> None:
        if 1 not in self.sections:
            raise MalformedFile(f"{self.name}: ptau file has no header section")
        pos, size = self.sections[1]
        if size != 4 + N8 + 8:
            raise MalformedFile(f"{self.name}: ptau header is {size} bytes, expected {4 + N8 + 8}")
        (n8,) = struct.unpack_from("<I", self._map, pos)
        if n8 != N8:
            raise MalformedFile(f"{self.name}: field size n8 = {n8}, expected {N8} (BN254)")
        prime = int.from_bytes(self._map[pos + 4:pos + 4 + N8], "little")
        if prime != Q:
            raise MalformedFile(f"{self.name}: the ptau curve is not BN254 (base field prime {prime})")
        self.power, self.ceremony_power = struct.unpack_from("<II", self._map, pos + 4 + N8)
        if not 1 <= self.power <= 28:
            raise MalformedFile(f"{self.name}: power {self.power} is outside 1..28")

    def _check_sizes(self) -> None:
        n = 1 << self.power
        expected = {TAU_G1: (2 * n - 1) * G1_SIZE, TAU_G2: n * G2_SIZE, ALPHA_TAU_G1: n * G1_SIZE,
                    BETA_TAU_G1: n * G1_SIZE, BETA_G2: G2_SIZE,
                    LAGRANGE_TAU_G1: (4 * n - 1) * G1_SIZE, LAGRANGE_TAU_G2: (2 * n - 1) * G2_SIZE,
                    LAGRANGE_ALPHA_TAU_G1: (2 * n - 1) * G1_SIZE, LAGRANGE_BETA_TAU_G1: (2 * n - 1) * G1_SIZE}
        for section_id in (TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2):
            if section_id not in self.sections:
                raise MalformedFile(f"{self.name}: ptau file has no section {section_id} ({_NAMES[section_id]})")
        if LAGRANGE_TAU_G1 not in self.sections:
            raise MalformedFile(f"{self.name}: the powers of tau are not prepared for phase 2 (no section 12); "
                                f"run `snarkjs powersoftau prepare phase2` first")
        for section_id, size in expected.items():
            if section_id not in self.sections:
                raise MalformedFile(f"{self.name}: ptau file has no section {section_id} ({_NAMES[section_id]})")
            if self.sections[section_id][1] != size:
                raise MalformedFile(f"{self.name}: section {section_id} ({_NAMES[section_id]}) has "
                                    f"{self.sections[section_id][1]} bytes, expected {size} for power {self.power}")

    def raw(self, section_id: int, start: int, count: int, point_size: int) -> bytes:
        """The LEM bytes of points ``start … start+count−1`` of a section."""
        pos, size = self.sections[section_id]
        lo, hi = start * point_size, (start + count) * point_size
        if start < 0 or hi > size:
            raise MalformedFile(f"{self.name}: section {section_id} has no points {start}..{start + count - 1}")
        return self._map[pos + lo:pos + hi]

    def g1(self, section_id: int, start: int, count: int) -> list:
        what = f"{self.name} section {section_id} ({_NAMES.get(section_id, '?')})"
        return decode_g1_points(self.raw(section_id, start, count, G1_SIZE), count, what)

    def g2(self, section_id: int, start: int, count: int) -> list:
        what = f"{self.name} section {section_id} ({_NAMES.get(section_id, '?')})"
        return decode_g2_points(self.raw(section_id, start, count, G2_SIZE), count, what)

    # --- what a Groth16 setup needs ----------------------------------------------------

    @property
    def alpha1(self):
        return self.g1(ALPHA_TAU_G1, 0, 1)[0]

    @property
    def beta1(self):
        return self.g1(BETA_TAU_G1, 0, 1)[0]

    @property
    def beta2(self):
        return self.g2(BETA_G2, 0, 1)[0]

    def _level(self, log_n: int, top: int) -> int:
        if not 0 <= log_n <= top:
            raise MalformedFile(f"{self.name}: power {self.power} has no Lagrange basis for 2^{log_n} "
                                f"(at most 2^{top})")
        return (1 << log_n) - 1

    def lagrange_g1(self, log_n: int, section_id: int = LAGRANGE_TAU_G1) -> list:
        """L_i(τ)·G1 (or α/β multiples with section 14/15) for the domain of size 2^log_n."""
        top = self.power + 1 if section_id == LAGRANGE_TAU_G1 else self.power
        return self.g1(section_id, self._level(log_n, top), 1 << log_n)

    def lagrange_g1_raw(self, log_n: int, section_id: int = LAGRANGE_TAU_G1) -> bytes:
        top = self.power + 1 if section_id == LAGRANGE_TAU_G1 else self.power
        return self.raw(section_id, self._level(log_n, top), 1 << log_n, G1_SIZE)

    def lagrange_g2(self, log_n: int) -> list:
        """L_i(τ)·G2 for the domain of size 2^log_n."""
        return self.g2(LAGRANGE_TAU_G2, self._level(log_n, self.power), 1 << log_n)

    def tau_g1(self, start: int, count: int) -> list:
        """τ^i·G1 for i = start … start+count−1 (monomial section 2)."""
        return self.g1(TAU_G1, start, count)

    def close(self) -> None:
        m = getattr(self, "_map", None)
        if m is not None:
            m.close()
            self._map = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_ptau(path) -> PreparedPtau:
    """Open and check a prepared phase-2 ptau (``MalformedFile`` if it is not one)."""
    try:
        return PreparedPtau(path)
    except (ValueError, struct.error) as exc:
        raise MalformedFile(f"{path}: cannot be read as a ptau file ({exc})") from None
