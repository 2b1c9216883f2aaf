"""The .zkey reader/writer against zkeys made by snarkjs 0.7.6, and its handling of bad files."""
import struct

import pytest

from groth16_fixtures import *  # noqa: F401,F403
from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, Q, R
from zkescrow.errors import MalformedFile
from zkescrow.formats.binfile import build_binfile, parse_binfile
from zkescrow.formats.lem import decode_coef, decode_g1_points, encode_coef, encode_g1_points
from zkescrow.groth16.zkey import ORDER_CONTRIBUTED, ORDER_NEW, read_zkey, write_zkey, zkey_to_bytes

pytestmark = pytest.mark.interop


def _sections(path):
    data = path.read_bytes()
    order, pos = [], 12
    while pos < len(data):
        section_id, size = struct.unpack_from("<IQ", data, pos)
        order.append(section_id)
        pos += 12 + size
    return data, order


def test_lem_codec_round_trip():
    points = [G1_GENERATOR, None, (G1_GENERATOR[0], Q - G1_GENERATOR[1])]
    assert decode_g1_points(encode_g1_points(points), 3, "test") == points
    for v in (0, 1, R - 1, 123456789):
        assert decode_coef(encode_coef(v)) == v


@pytest.mark.parametrize("which", ["zkey_initial", "zkey"])
def test_round_trip_is_byte_identical(snarkjs_zkey_poseidon, which, tmp_path):
    path = getattr(snarkjs_zkey_poseidon, which)
    original, order = _sections(path)
    assert tuple(order) == (ORDER_NEW if which == "zkey_initial" else ORDER_CONTRIBUTED)
    pk = read_zkey(path)
    assert zkey_to_bytes(pk) == original
    write_zkey(pk, tmp_path / "copy.zkey")
    assert read_zkey(tmp_path / "copy.zkey") == pk


def test_decoded_key_shape(snarkjs_zkey):
    pk = read_zkey(snarkjs_zkey.zkey)
    # c <== a*b with output c and public input a: nPublic = 2, wires ONE, c, a, b.
    assert (pk.n_vars, pk.n_public, pk.domain_size) == (4, 2, 4)
    assert pk.gamma2 == G2_GENERATOR and pk.delta2 != G2_GENERATOR and pk.delta1 != G1_GENERATOR
    assert (0, 1, 0, 1) in pk.coefs and (0, 2, 1, 1) in pk.coefs and (0, 3, 2, 1) in pk.coefs
    assert len(pk.contributions) == 1 and pk.contributions[0].name == "fixture contribution"
    assert len(pk.h) == 4 and len(pk.c) == 1 and len(pk.ic) == 3


def test_vk_only_read_skips_proving_sections(snarkjs_zkey_poseidon):
    full = read_zkey(snarkjs_zkey_poseidon.zkey)
    light = read_zkey(snarkjs_zkey_poseidon.zkey, proving=False)
    assert light.ic == full.ic and light.delta2 == full.delta2 and light.cs_hash == full.cs_hash
    assert light.a is None and light.h is None and not light.has_proving_sections


def _rebuild(path, edit):
    data = path.read_bytes()
    binfile = parse_binfile(data, b"zkey", (1,))
    sections = dict(binfile.sections)
    edit(sections)
    return build_binfile(b"zkey", 1, sorted(sections.items()))


def _replace(section_id, offset, raw):
    def edit(sections):
        payload = bytearray(sections[section_id])
        payload[offset:offset + len(raw)] = raw
        sections[section_id] = bytes(payload)
    return edit


@pytest.mark.parametrize("edit, message", [
    (_replace(1, 0, struct.pack("<I", 2)), "plonk, not groth16"),
    (_replace(2, 4, (Q + 2).to_bytes(32, "little")), "base field"),
    (_replace(2, 40, (R + 2).to_bytes(32, "little")), "scalar field"),
    (_replace(5, 0, (5).to_bytes(32, "little") + (7).to_bytes(32, "little")), "not on the G1 curve"),
    (_replace(5, 0, (Q).to_bytes(32, "little")), "not a reduced Fq element"),
    (_replace(7, 0, (5).to_bytes(32, "little")), "not on the G2 curve"),
    (lambda s: s.__setitem__(9, s[9][:-1]), r"section 9 \(H\) has"),
    (lambda s: s.pop(6), "no section 6"),
    (_replace(4, 4, struct.pack("<I", 7)), "out of range"),
    (_replace(2, 80, struct.pack("<I", 3)), "not a power of two"),
])
def test_malformed_zkeys_are_rejected(snarkjs_zkey, edit, message):
    bad = _rebuild(snarkjs_zkey.zkey, edit)
    with pytest.raises(MalformedFile, match=message):
        read_zkey(bad)


def test_bad_container(snarkjs_zkey, tmp_path):
    data = snarkjs_zkey.zkey.read_bytes()
    with pytest.raises(MalformedFile, match="not a zkey file"):
        read_zkey(b"ptau" + data[4:])
    with pytest.raises(MalformedFile, match="truncated"):
        read_zkey(data[:-10])
    with pytest.raises(MalformedFile, match="truncated"):
        read_zkey(data[:7])
    with pytest.raises(MalformedFile, match="unsupported zkey version"):
        read_zkey(data[:4] + struct.pack("<I", 9) + data[8:])


def test_truncated_contribution_record(snarkjs_zkey):
    bad = _rebuild(snarkjs_zkey.zkey, lambda s: s.__setitem__(10, s[10][:100]))
    with pytest.raises(MalformedFile, match="contribution 1 of 1 is truncated"):
        read_zkey(bad)


def test_contribution_names_are_truncated_like_snarkjs(snarkjs_zkey):
    pk = read_zkey(snarkjs_zkey.zkey)
    pk.contributions[0].name = "é" * 70
    assert read_zkey(zkey_to_bytes(pk)).contributions[0].name == "é" * 64
    pk.contributions[0].name = "\U0001F600" * 64           # 256 UTF-8 bytes: cut to fit the length byte
    assert read_zkey(zkey_to_bytes(pk)).contributions[0].name == "\U0001F600" * 63
