"""Whole powers-of-tau files (.ptau) as a ceremony reads and writes them, in snarkjs's format.

``zkescrow.formats.ptau`` maps a *prepared* ptau for ``setup``; this module reads and writes every
section of a ptau at any stage (new, contributed, beaconed, prepared), for ``powersoftau`` commands.
Layout (snarkjs ``src/powersoftau_new.js``, ``src/powersoftau_utils.js``): magic ``ptau``, version 1,
sections 1 header (u32 n8, q, u32 power, u32 ceremonyPower), 2 τ^i·G1 (2^(p+1) − 1 points),
3 τ^i·G2, 4 ατ^i·G1, 5 βτ^i·G1 (2^p points each), 6 β·G2, 7 contributions, and after
``prepare phase2`` the Lagrange sections 12 – 15 (kept here as raw bytes).

A contribution (section 7) is: τ·G1, τ·G2, α·G1, β·G1, β·G2 (LEM), the public key (LEM:
τ g1_s, τ g1_sx, α g1_s, α g1_sx, β g1_s, β g1_sx, τ g2_spx, α g2_spx, β g2_spx), the 216-byte
partial response hash, the 64-byte next challenge hash, u32 type (0 contribution, 1 beacon), u32
parameter length and the parameters: 1 name (u8 length, UTF-8), 2 numIterationsExp (u8),
3 beacon hash (u8 length, bytes), in increasing order.

Points in hashes use the uncompressed form (U) for challenges and the compressed form (C, wasmcurves
``LEMtoC``) for responses: x big endian (an Fq2 x as c1 then c0), flag 0x80 in the first byte when y
is "negative" (y > (q−1)/2; for Fq2 the sign of c1, or of c0 when c1 = 0), 0x40 alone for infinity.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..bn254.constants import N8, Q
from ..errors import MalformedFile
from .binfile import build_binfile, load_bytes, parse_binfile
from .blake2b_state import PARTIAL_HASH_SIZE
from .lem import (G1_SIZE, G2_SIZE, decode_g1_points, decode_g2_points, encode_g1_points, encode_g2_points,
                  g1_to_u, g2_to_u)

MAGIC = b"ptau"
VERSION = 1
SECTION_NAMES = {2: "tauG1", 3: "tauG2", 4: "alphaTauG1", 5: "betaTauG1", 6: "betaG2"}
LAGRANGE_SECTIONS = (12, 13, 14, 15)
MAX_POWER = 28
_HALF_Q = (int(Q) - 1) // 2


@dataclass
class PtauKey:
    """The public key of one contribution: (g1_s, g1_sx, g2_spx) for τ, α and β."""
    tau: tuple
    alpha: tuple
    beta: tuple

    def to_bytes(self, g1, g2) -> bytes:
        parts = [g1(self.tau[0]), g1(self.tau[1]), g1(self.alpha[0]), g1(self.alpha[1]),
                 g1(self.beta[0]), g1(self.beta[1]), g2(self.tau[2]), g2(self.alpha[2]), g2(self.beta[2])]
        return b"".join(parts)

    def to_u(self) -> bytes:
        """The uncompressed form hashed into the response (snarkjs ``toPtauPubKeyRpr(…, false)``)."""
        return self.to_bytes(g1_to_u, g2_to_u)

    def to_lem(self) -> bytes:
        return self.to_bytes(lambda P: encode_g1_points([P]), lambda P: encode_g2_points([P]))


@dataclass
class PtauContribution:
    tau_g1: tuple
    tau_g2: tuple
    alpha_g1: tuple
    beta_g1: tuple
    beta_g2: tuple
    key: PtauKey
    partial_hash: bytes
    next_challenge: bytes
    type: int = 0
    name: str | None = None
    num_iterations_exp: int | None = None
    beacon_hash: bytes | None = None

    def to_bytes(self) -> bytes:
        out = [encode_g1_points([self.tau_g1]), encode_g2_points([self.tau_g2]), encode_g1_points([self.alpha_g1]),
               encode_g1_points([self.beta_g1]), encode_g2_points([self.beta_g2]), self.key.to_lem(),
               bytes(self.partial_hash), bytes(self.next_challenge), struct.pack("<I", self.type)]
        params = bytearray()
        if self.name:
            name = self.name[:64].encode("utf-8")
            params += bytes([1, len(name)]) + name
        if self.type == 1:
            params += bytes([2, self.num_iterations_exp, 3, len(self.beacon_hash)]) + bytes(self.beacon_hash)
        out.append(struct.pack("<I", len(params)) + bytes(params))
        return b"".join(out)


@dataclass
class PtauFile:
    power: int
    ceremony_power: int
    tau_g1: list
    tau_g2: list
    alpha_tau_g1: list
    beta_tau_g1: list
    beta_g2: tuple
    contributions: list = field(default_factory=list)
    lagrange: dict = field(default_factory=dict)        # section id -> raw LEM bytes (prepared files)

    @property
    def prepared(self) -> bool:
        return all(s in self.lagrange for s in LAGRANGE_SECTIONS)


# --- point encodings used in hashes ---------------------------------------------------------------

def g1_to_c(P) -> bytes:
    """wasmcurves ``LEMtoC`` for G1: x big endian, 0x80 if y is negative, 0x40 for infinity."""
    if P is None:
        return b"\x40" + bytes(31)
    out = bytearray(int(P[0]).to_bytes(32, "big"))
    if P[1] > _HALF_Q:
        out[0] |= 0x80
    return bytes(out)


def g2_to_c(P) -> bytes:
    """wasmcurves ``LEMtoC`` for G2: x as c1 ‖ c0 big endian, sign flag of y as for G1."""
    if P is None:
        return b"\x40" + bytes(63)
    (x0, x1), (y0, y1) = P
    out = bytearray(int(x1).to_bytes(32, "big") + int(x0).to_bytes(32, "big"))
    if (y1 > _HALF_Q) if y1 else (y0 > _HALF_Q):
        out[0] |= 0x80
    return bytes(out)


# --- reading ----------------------------------------------------------------------------------------

def _read_header(binfile, name: str) -> tuple[int, int]:
    header = binfile.section(1, "header")
    n8 = header.u32()
    if n8 != N8:
        raise MalformedFile(f"{name}: field size n8 = {n8}, expected {N8} (BN254)")
    prime = header.bigint(n8)
    if prime != int(Q):
        raise MalformedFile(f"{name}: the ptau curve is not bn128 (base field prime {prime})")
    power, ceremony_power = header.u32(), header.u32()
    header.expect_end()
    if not 1 <= power <= MAX_POWER or not power <= ceremony_power <= MAX_POWER:
        raise MalformedFile(f"{name}: power {power} / ceremony power {ceremony_power} outside 1..{MAX_POWER}")
    return power, ceremony_power


def _points(binfile, section_id: int, count: int, g2: bool, name: str) -> list:
    what = f"{name} section {section_id} ({SECTION_NAMES[section_id]})"
    data = binfile.section(section_id, SECTION_NAMES[section_id]).data
    size = G2_SIZE if g2 else G1_SIZE
    if len(data) != count * size:
        raise MalformedFile(f"{what} has {len(data)} bytes, expected {count * size}")
    return decode_g2_points(data, count, what) if g2 else decode_g1_points(data, count, what)


def _one(decode, reader, size: int, what: str):
    return decode(reader.take(size), 1, what)[0]


def _read_contribution(reader, name: str, index: int) -> PtauContribution:
    what = f"{name} contribution #{index}"
    g1 = lambda: _one(decode_g1_points, reader, G1_SIZE, what)      # noqa: E731
    g2 = lambda: _one(decode_g2_points, reader, G2_SIZE, what)      # noqa: E731
    tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2 = g1(), g2(), g1(), g1(), g2()
    g1s = [g1() for _ in range(6)]
    g2s = [g2() for _ in range(3)]
    key = PtauKey(tau=(g1s[0], g1s[1], g2s[0]), alpha=(g1s[2], g1s[3], g2s[1]), beta=(g1s[4], g1s[5], g2s[2]))
    partial, next_challenge = reader.take(PARTIAL_HASH_SIZE), reader.take(64)
    c = PtauContribution(tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2, key, partial, next_challenge,
                         type=reader.u32())
    params = reader.take(reader.u32())
    pos, last = 0, 0
    while pos < len(params):
        kind = params[pos]
        if kind <= last:
            raise MalformedFile(f"{what}: parameters are not sorted")
        last = kind
        if pos + 2 > len(params):
            raise MalformedFile(f"{what}: truncated parameter {kind}")
        if kind == 1 or kind == 3:
            length = params[pos + 1]
            value = params[pos + 2:pos + 2 + length]
            if len(value) != length:
                raise MalformedFile(f"{what}: truncated parameter {kind}")
            if kind == 1:
                c.name = value.decode("utf-8", errors="replace")
            else:
                c.beacon_hash = bytes(value)
            pos += 2 + length
        elif kind == 2:
            c.num_iterations_exp = params[pos + 1]
            pos += 2
        else:
            raise MalformedFile(f"{what}: unknown parameter {kind}")
    if c.type not in (0, 1):
        raise MalformedFile(f"{what}: unknown contribution type {c.type}")
    if c.type == 1 and (c.beacon_hash is None or c.num_iterations_exp is None):
        raise MalformedFile(f"{what}: a beacon without its hash or iteration count")
    return c


def read_contributions(binfile, name: str) -> list:
    reader = binfile.section(7, "contributions")
    count = reader.u32()
    if count > len(reader.data) // 1000:
        raise MalformedFile(f"{name}: {count} contributions cannot fit in {len(reader.data)} bytes")
    contributions = [_read_contribution(reader, name, i + 1) for i in range(count)]
    reader.expect_end()
    return contributions


def read_ptau_file(source) -> PtauFile:
    """Every section of a ptau (path or bytes), points decoded and checked to be on their curves."""
    data, name = load_bytes(source)
    binfile = parse_binfile(data, MAGIC, (VERSION,), name)
    power, ceremony_power = _read_header(binfile, name)
    n = 1 << power
    ptau = PtauFile(power=power, ceremony_power=ceremony_power,
                    tau_g1=_points(binfile, 2, 2 * n - 1, False, name),
                    tau_g2=_points(binfile, 3, n, True, name),
                    alpha_tau_g1=_points(binfile, 4, n, False, name),
                    beta_tau_g1=_points(binfile, 5, n, False, name),
                    beta_g2=_points(binfile, 6, 1, True, name)[0],
                    contributions=read_contributions(binfile, name))
    sizes = {12: (4 * n - 1) * G1_SIZE, 13: (2 * n - 1) * G2_SIZE, 14: (2 * n - 1) * G1_SIZE,
             15: (2 * n - 1) * G1_SIZE}
    for s in LAGRANGE_SECTIONS:
        if s in binfile.sections:
            if len(binfile.sections[s]) != sizes[s]:
                raise MalformedFile(f"{name}: section {s} has {len(binfile.sections[s])} bytes, "
                                    f"expected {sizes[s]} for power {power}")
            ptau.lagrange[s] = binfile.sections[s]
    return ptau


# --- writing ----------------------------------------------------------------------------------------

def ptau_header(power: int, ceremony_power: int | None = None) -> bytes:
    return (struct.pack("<I", N8) + int(Q).to_bytes(N8, "little")
            + struct.pack("<II", power, ceremony_power or power))


def contributions_bytes(contributions) -> bytes:
    return struct.pack("<I", len(contributions)) + b"".join(c.to_bytes() for c in contributions)


def ptau_to_bytes(ptau: PtauFile, point_sections: dict | None = None) -> bytes:
    """The file; ``point_sections`` may give the LEM bytes of sections 2 – 6 already encoded."""
    enc = point_sections or {}
    sections = [(1, ptau_header(ptau.power, ptau.ceremony_power)),
                (2, enc.get(2) or encode_g1_points(ptau.tau_g1)),
                (3, enc.get(3) or encode_g2_points(ptau.tau_g2)),
                (4, enc.get(4) or encode_g1_points(ptau.alpha_tau_g1)),
                (5, enc.get(5) or encode_g1_points(ptau.beta_tau_g1)),
                (6, enc.get(6) or encode_g2_points([ptau.beta_g2])),
                (7, contributions_bytes(ptau.contributions))]
    sections += [(s, ptau.lagrange[s]) for s in LAGRANGE_SECTIONS if s in ptau.lagrange]
    return build_binfile(MAGIC, VERSION, sections)
