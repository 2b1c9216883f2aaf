"""The prepared-ptau reader against a ptau made by snarkjs 0.7.6, and its handling of bad files."""
import struct

import pytest

from groth16_fixtures import *  # noqa: F401,F403
from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, Q, R
from zkescrow.bn254.curve import g1_add, g1_mul
from zkescrow.bn254.ntt import root_of_unity
from zkescrow.errors import MalformedFile
from zkescrow.formats.binfile import build_binfile, parse_binfile
from zkescrow.formats.ptau import read_ptau

pytestmark = pytest.mark.interop


def test_header_and_first_points(ptau_file):
    with read_ptau(ptau_file) as ptau:
        assert ptau.power == PTAU_POWER and ptau.ceremony_power == PTAU_POWER
        assert ptau.tau_g1(0, 1) == [G1_GENERATOR]          # τ^0·G1
        assert ptau.g2(3, 0, 1) == [G2_GENERATOR]           # τ^0·G2
        assert ptau.alpha1 is not None and ptau.beta1 is not None and ptau.beta2 is not None


def test_lagrange_levels_are_consistent_with_the_monomials(ptau_file):
    """Σ_i L_i(τ)·ω^(ij) = τ^j: the Lagrange points of level 3 recombine into the monomials."""
    with read_ptau(ptau_file) as ptau:
        lagrange = ptau.lagrange_g1(3)
        monomials = ptau.tau_g1(0, 8)
    omega = root_of_unity(3)
    for j in (0, 1, 5):
        acc = None
        for i, P in enumerate(lagrange):
            acc = g1_add(acc, g1_mul(P, pow(int(omega), i * j, int(R))))
        assert acc == monomials[j]


def test_level_out_of_range(ptau_file):
    with read_ptau(ptau_file) as ptau:
        with pytest.raises(MalformedFile, match="no Lagrange basis"):
            ptau.lagrange_g2(PTAU_POWER + 1)
        assert len(ptau.lagrange_g1(PTAU_POWER + 1)) == 2 ** (PTAU_POWER + 1)


def _write(tmp_path, sections, name="bad.ptau", version=1):
    path = tmp_path / name
    path.write_bytes(build_binfile(b"ptau", version, sorted(sections.items())))
    return path


@pytest.fixture(scope="module")
def ptau_sections(ptau_file):
    return parse_binfile(ptau_file.read_bytes(), b"ptau", (1,)).sections


def test_unprepared_ptau(ptau_sections, tmp_path):
    sections = {k: v for k, v in ptau_sections.items() if k < 12}
    with pytest.raises(MalformedFile, match="not prepared for phase 2"):
        read_ptau(_write(tmp_path, sections))


def test_wrong_curve(ptau_sections, tmp_path):
    sections = dict(ptau_sections)
    sections[1] = struct.pack("<I", 32) + (Q + 2).to_bytes(32, "little") + sections[1][36:]
    with pytest.raises(MalformedFile, match="not BN254"):
        read_ptau(_write(tmp_path, sections))


def test_size_does_not_match_power(ptau_sections, tmp_path):
    sections = dict(ptau_sections)
    sections[1] = sections[1][:36] + struct.pack("<II", PTAU_POWER + 1, PTAU_POWER + 1)
    with pytest.raises(MalformedFile, match="expected .* for power"):
        read_ptau(_write(tmp_path, sections))


def test_point_off_curve_is_reported_when_read(ptau_sections, tmp_path):
    sections = dict(ptau_sections)
    sections[12] = (5).to_bytes(32, "little") + (7).to_bytes(32, "little") + sections[12][64:]
    with read_ptau(_write(tmp_path, sections)) as ptau:
        with pytest.raises(MalformedFile, match="not on the G1 curve"):
            ptau.lagrange_g1(0)


def test_bad_containers(ptau_file, tmp_path):
    data = ptau_file.read_bytes()
    for name, raw, message in [("magic.ptau", b"zkey" + data[4:], "not a ptau file"),
                               ("trunc.ptau", data[:-100], "truncated"),
                               ("tiny.ptau", data[:5], "truncated header"),
                               ("version.ptau", data[:4] + struct.pack("<I", 2) + data[8:], "version 2")]:
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(MalformedFile, match=message):
            read_ptau(path)
