"""Point encodings (EIP-196/197, snarkjs JSON, compressed) and hash_to_fr.

Round trips and every rejection case run in Python; one interop test compares the
bytes and JSON objects with ffjavascript (the library inside snarkjs), and hash_to_fr
is recomputed with libsodium's BLAKE2b through PyNaCl.
"""
import json
import random

import pytest
from hypothesis import given, settings, strategies as st
from nacl.encoding import RawEncoder
from nacl.hash import blake2b as sodium_blake2b

from zkescrow.bn254.constants import B2, G1_GENERATOR, G2_GENERATOR, Q, R
from zkescrow.bn254.curve import g1_mul, g1_neg, g2_in_subgroup, g2_mul, g2_neg
from zkescrow.bn254.fields import fq2_add, fq2_mul, fq2_sqr, fq2_sqrt, fq_sqrt
from zkescrow.bn254.hash import hash_to_fr
from zkescrow.bn254.serialize import (
    fq_from_bytes, fq_to_bytes, g1_compress, g1_decompress, g1_from_eip196, g1_from_snarkjs,
    g1_to_eip196, g1_to_snarkjs, g2_compress, g2_decompress, g2_from_eip197, g2_from_snarkjs,
    g2_to_eip197, g2_to_snarkjs)
from zkescrow.errors import InvalidPoint, MalformedInput

q = int(Q)
r = int(R)
scalars = st.integers(min_value=1, max_value=r - 1)


def be(x):
    return int(x).to_bytes(32, "big")


def g1_off_curve_x():
    """An x in Fq with x³ + 3 not a square (no point has it)."""
    x = 2
    while fq_sqrt((x ** 3 + 3) % q) is not None:
        x += 1
    return x


def g2_off_curve_x():
    x = 1
    while fq2_sqrt(fq2_add(fq2_mul(fq2_sqr((x, 1)), (x, 1)), B2)) is not None:
        x += 1
    return (x, 1)


@pytest.fixture(scope="module")
def twist_point_outside_g2():
    """A point of E'(Fq2) that is not in G2, found by trying x until x³ + b' is a square."""
    x0 = 1
    while True:
        x = (x0, 0)
        y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), B2))
        if y is not None and not g2_in_subgroup((x, y)) and g2_mul((x, y), R) is not None:
            return (x, y)
        x0 += 1


# --- round trips ------------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(scalars)
def test_g1_round_trips(k):
    P = g1_mul(G1_GENERATOR, k)
    for Pk in (P, g1_neg(P)):
        assert g1_from_eip196(g1_to_eip196(Pk)) == Pk
        assert g1_from_snarkjs(g1_to_snarkjs(Pk)) == Pk
        assert g1_from_snarkjs(json.loads(json.dumps(g1_to_snarkjs(Pk)))) == Pk
        assert g1_decompress(g1_compress(Pk)) == Pk
    assert g1_compress(P)[0] & 0x80 != g1_compress(g1_neg(P))[0] & 0x80


@settings(max_examples=6, deadline=None)
@given(scalars)
def test_g2_round_trips(k):
    P = g2_mul(G2_GENERATOR, k)
    for Pk in (P, g2_neg(P)):
        assert g2_from_eip197(g2_to_eip197(Pk)) == Pk
        assert g2_from_snarkjs(g2_to_snarkjs(Pk)) == Pk
        assert g2_decompress(g2_compress(Pk)) == Pk
    assert g2_compress(P)[0] & 0x80 != g2_compress(g2_neg(P))[0] & 0x80


def test_infinity_encodings():
    assert g1_to_eip196(None) == bytes(64) and g1_from_eip196(bytes(64)) is None
    assert g2_to_eip197(None) == bytes(128) and g2_from_eip197(bytes(128)) is None
    assert g1_to_snarkjs(None) == ["0", "1", "0"] and g1_from_snarkjs(["0", "1", "0"]) is None
    assert g2_to_snarkjs(None) == [["0", "0"], ["1", "0"], ["0", "0"]]
    assert g2_from_snarkjs([["0", "0"], ["1", "0"], ["0", "0"]]) is None
    assert g1_compress(None) == b"\x40" + bytes(31) and g1_decompress(g1_compress(None)) is None
    assert g2_compress(None) == b"\x40" + bytes(63) and g2_decompress(g2_compress(None)) is None


def test_eip_layouts():
    P = g1_mul(G1_GENERATOR, 5)
    assert g1_to_eip196(P) == be(P[0]) + be(P[1])
    assert g1_to_eip196(G1_GENERATOR) == be(1) + be(2)
    (x0, x1), (y0, y1) = G2_GENERATOR
    assert g2_to_eip197(G2_GENERATOR) == be(x1) + be(x0) + be(y1) + be(y0)
    assert g2_to_eip197(G2_GENERATOR).hex().startswith("198e9393920d483a7260bfb731fb5d25f1aa4933")


def test_snarkjs_layouts_and_inputs():
    assert g1_to_snarkjs(G1_GENERATOR) == ["1", "2", "1"]
    (x0, x1), (y0, y1) = G2_GENERATOR
    assert g2_to_snarkjs(G2_GENERATOR) == [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]
    # ints, a missing z and infinity whatever x and y are (ffjavascript's fromObject)
    assert g1_from_snarkjs([1, 2, 1]) == G1_GENERATOR == g1_from_snarkjs(["1", "2"])
    assert g1_from_snarkjs(["5", "7", "0"]) is None
    assert g2_from_snarkjs([[int(x0), int(x1)], [int(y0), int(y1)]]) == G2_GENERATOR


def test_snarkjs_general_projective_z_is_jacobian():
    P = g1_mul(G1_GENERATOR, 77)
    z = 123456789
    obj = [str(P[0] * z * z % q), str(P[1] * z ** 3 % q), str(z)]
    assert g1_from_snarkjs(obj) == P
    Q2 = g2_mul(G2_GENERATOR, 77)
    z2 = (3, 5)
    z2sq = fq2_sqr(z2)
    obj2 = [[str(c) for c in fq2_mul(Q2[0], z2sq)], [str(c) for c in fq2_mul(Q2[1], fq2_mul(z2sq, z2))],
            [str(c) for c in z2]]
    assert g2_from_snarkjs(obj2) == Q2


def test_fq_words():
    assert fq_to_bytes(q - 1) == (q - 1).to_bytes(32, "big")
    assert fq_from_bytes(fq_to_bytes(12345)) == 12345
    with pytest.raises(InvalidPoint, match=r"not in \[0, q\)"):
        fq_from_bytes(q.to_bytes(32, "big"))
    with pytest.raises(InvalidPoint, match="32 bytes"):
        fq_from_bytes(bytes(31))


# --- rejections -------------------------------------------------------------------------------

G1_BYTES = g1_to_eip196(G1_GENERATOR)
G2_BYTES = g2_to_eip197(G2_GENERATOR)


@pytest.mark.parametrize("data, words", [
    (be(1 + q) + be(2), r"x coordinate is not in \[0, q\)"),
    (be(1) + be(2 + q), r"y coordinate is not in \[0, q\)"),
    (be(1) + be(3), "not on the curve"),
    (be(0) + be(1), "not on the curve"),
    (G1_BYTES[:63], "64 bytes, got 63"),
    (G1_BYTES + b"\0", "64 bytes, got 65"),
    (b"", "64 bytes, got 0"),
    ("00" * 64, "must be bytes"),
])
def test_eip196_rejects(data, words):
    with pytest.raises(InvalidPoint, match=words):
        g1_from_eip196(data)


def test_eip197_rejects(twist_point_outside_g2):
    x1, x0, y1, y0 = (G2_BYTES[i:i + 32] for i in range(0, 128, 32))
    cases = [
        (be(int.from_bytes(x1, "big") + q) + x0 + y1 + y0, r"x.c1 is not in \[0, q\)"),
        (x1 + be(int.from_bytes(x0, "big") + q) + y1 + y0, r"x.c0 is not in \[0, q\)"),
        (x1 + x0 + be(q) + y0, r"y.c1 is not in \[0, q\)"),
        (x1 + x0 + y1 + be(int.from_bytes(y0, "big") ^ 1), "not on the twist curve"),
        (x0 + x1 + y0 + y1, "not on the twist curve"),          # real part first: wrong order
        (G2_BYTES[:127], "128 bytes, got 127"),
        (g2_to_eip197(twist_point_outside_g2), "not in the order-r subgroup"),
    ]
    for data, words in cases:
        with pytest.raises(InvalidPoint, match=words):
            g2_from_eip197(data)


@pytest.mark.parametrize("obj, words", [
    ([str(1 + q), "2", "1"], r"G1 x is not in \[0, q\)"),
    (["1", str(2 + q), "1"], r"G1 y is not in \[0, q\)"),
    (["1", "2", str(q)], r"G1 z is not in \[0, q\)"),
    (["1", "3", "1"], "not on the curve"),
    (["1", "2", "2"], "not on the curve"),       # (1, 2) read as Jacobian with z = 2
    (["1", "2", "1", "0"], "list of 2 or 3"),
    (["1"], "list of 2 or 3"),
    ("1,2,1", "list of 2 or 3"),
    (["0x1", "2", "1"], "decimal string"),
    (["-1", "2", "1"], "decimal string"),
    ([" 1", "2", "1"], "decimal string"),
    (["1.0", "2", "1"], "decimal string"),
    ([1.0, 2, 1], "decimal string or an integer"),
    ([True, 2, 1], "decimal string or an integer"),
    ([-1, 2, 1], r"not in \[0, q\)"),
])
def test_g1_from_snarkjs_rejects(obj, words):
    with pytest.raises(InvalidPoint, match=words):
        g1_from_snarkjs(obj)


def test_g2_from_snarkjs_rejects(twist_point_outside_g2):
    good = g2_to_snarkjs(G2_GENERATOR)
    cases = [
        ([[str(int(good[0][0]) + q), good[0][1]], good[1], good[2]], r"x.c0 is not in \[0, q\)"),
        ([good[0], [good[1][0], str(q + 5)], good[2]], r"y.c1 is not in \[0, q\)"),
        ([good[0], good[1], ["1", str(q)]], r"z.c1 is not in \[0, q\)"),
        ([good[0], [good[1][1], good[1][0]], good[2]], "not on the twist curve"),
        ([good[0], good[1], ["1"]], "G2 z must be a list of 2"),
        ([good[0][0], good[1], good[2]], "G2 x must be a list of 2"),
        ([good[0], good[1], good[2], good[2]], "list of 2 or 3"),
        (g2_to_snarkjs(twist_point_outside_g2), "not in the order-r subgroup"),
        ([good[0], [good[1][0], "abc"], good[2]], "decimal string"),
    ]
    for obj, words in cases:
        with pytest.raises(InvalidPoint, match=words):
            g2_from_snarkjs(obj)


def test_g1_decompress_rejects():
    c = g1_compress(g1_mul(G1_GENERATOR, 9))
    with pytest.raises(InvalidPoint, match="32 bytes, got 31"):
        g1_decompress(c[:31])
    with pytest.raises(InvalidPoint, match="32 bytes, got 64"):
        g1_decompress(G1_BYTES)
    with pytest.raises(InvalidPoint, match=r"not in \[0, q\)"):
        g1_decompress(be(q + 1))                        # x = q + 1 < 2^254, no flag bits set
    with pytest.raises(InvalidPoint, match="not the x coordinate of a curve point"):
        g1_decompress(be(g1_off_curve_x()))
    with pytest.raises(InvalidPoint, match="infinity flag"):
        g1_decompress(b"\x40" + bytes(30) + b"\x01")
    with pytest.raises(InvalidPoint, match="infinity flag"):
        g1_decompress(b"\xc0" + bytes(31))


def test_g2_decompress_rejects(twist_point_outside_g2):
    c = g2_compress(g2_mul(G2_GENERATOR, 9))
    with pytest.raises(InvalidPoint, match="64 bytes, got 63"):
        g2_decompress(c[:63])
    with pytest.raises(InvalidPoint, match=r"x.c1 is not in \[0, q\)"):
        g2_decompress(be(q) + c[32:])
    with pytest.raises(InvalidPoint, match=r"x.c0 is not in \[0, q\)"):
        g2_decompress(c[:32] + be(q + 3))
    x = g2_off_curve_x()
    with pytest.raises(InvalidPoint, match="not the x coordinate of a point on the twist"):
        g2_decompress(be(x[1]) + be(x[0]))
    with pytest.raises(InvalidPoint, match="not in the order-r subgroup"):
        g2_decompress(g2_compress(twist_point_outside_g2))
    with pytest.raises(InvalidPoint, match="infinity flag"):
        g2_decompress(b"\x40" + bytes(62) + b"\x01")


# --- against ffjavascript (snarkjs's curve library) ------------------------------------------------

FFJS_SCRIPT = """
const {buildBn128, utils} = require("ffjavascript");
(async () => {
  const bn = await buildBn128(true);
  const hex = (a) => Buffer.from(a).toString("hex");
  const out = [];
  for (const k of %s) {
    const P = bn.G1.toAffine(bn.G1.timesScalar(bn.G1.g, BigInt(k)));
    const Q = bn.G2.toAffine(bn.G2.timesScalar(bn.G2.g, BigInt(k)));
    const c1 = new Uint8Array(32); bn.G1.toRprCompressed(c1, 0, P);
    const c2 = new Uint8Array(64); bn.G2.toRprCompressed(c2, 0, Q);
    const u1 = new Uint8Array(64); bn.G1.toRprUncompressed(u1, 0, P);
    const u2 = new Uint8Array(128); bn.G2.toRprUncompressed(u2, 0, Q);
    out.push({g1: utils.stringifyBigInts(bn.G1.toObject(P)), g2: utils.stringifyBigInts(bn.G2.toObject(Q)),
              c1: hex(c1), c2: hex(c2), u1: hex(u1), u2: hex(u2)});
  }
  const projective = %s;
  const affine = [utils.stringifyBigInts(bn.G1.toObject(bn.G1.toAffine(bn.G1.fromObject(
                      utils.unstringifyBigInts(projective[0]))))),
                  utils.stringifyBigInts(bn.G2.toObject(bn.G2.toAffine(bn.G2.fromObject(
                      utils.unstringifyBigInts(projective[1])))))];
  const Z1 = new Uint8Array(32); bn.G1.toRprCompressed(Z1, 0, bn.G1.zeroAffine);
  out.push({g1: utils.stringifyBigInts(bn.G1.toObject(bn.G1.zeroAffine)),
            g2: utils.stringifyBigInts(bn.G2.toObject(bn.G2.zeroAffine)), c1: hex(Z1), affine});
  console.log(JSON.stringify(out));
  await bn.terminate();
  process.exit(0);
})();
"""


@pytest.mark.interop
def test_encodings_match_ffjavascript():
    from conftest import run_node_script
    rng = random.Random(20)
    ks = [1, 2, r - 1] + [rng.randrange(r) for _ in range(5)]
    # One G1 and one G2 point in Jacobian coordinates with z ≠ 1, to compare how z is read.
    A, B = g1_mul(G1_GENERATOR, 1234), g2_mul(G2_GENERATOR, 1234)
    z, z2 = 987654321, (11, 13)
    z2sq = fq2_sqr(z2)
    projective = [[str(A[0] * z * z % q), str(A[1] * z ** 3 % q), str(z)],
                  [[str(c) for c in fq2_mul(B[0], z2sq)], [str(c) for c in fq2_mul(B[1], fq2_mul(z2sq, z2))],
                   [str(c) for c in z2]]]
    results = run_node_script(FFJS_SCRIPT % (json.dumps([str(k) for k in ks]), json.dumps(projective)))
    for k, res in zip(ks, results):
        P, Q2 = g1_mul(G1_GENERATOR, k), g2_mul(G2_GENERATOR, k)
        assert g1_to_snarkjs(P) == res["g1"] and g2_to_snarkjs(Q2) == res["g2"]
        assert g1_from_snarkjs(res["g1"]) == P and g2_from_snarkjs(res["g2"]) == Q2
        assert g1_compress(P).hex() == res["c1"] and g2_compress(Q2).hex() == res["c2"]
        assert g1_to_eip196(P).hex() == res["u1"] and g2_to_eip197(Q2).hex() == res["u2"]
    inf = results[-1]
    assert g1_to_snarkjs(None) == inf["g1"] and g2_to_snarkjs(None) == inf["g2"]
    assert g1_compress(None).hex() == inf["c1"]
    assert g1_from_snarkjs(projective[0]) == A and g1_to_snarkjs(A) == inf["affine"][0]
    assert g2_from_snarkjs(projective[1]) == B and g2_to_snarkjs(B) == inf["affine"][1]


# --- hash_to_fr -------------------------------------------------------------------------------------

def encode_for_sodium(domain, *parts):
    return b"".join(len(p).to_bytes(8, "big") + p for p in (domain, *parts))


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=40), st.lists(st.binary(max_size=100), max_size=4))
def test_hash_to_fr_matches_libsodium_blake2b(domain, parts):
    digest = sodium_blake2b(encode_for_sodium(domain, *parts), digest_size=64, encoder=RawEncoder)
    h = hash_to_fr(domain, *parts)
    assert h == int.from_bytes(digest, "big") % r
    assert 0 <= h < r


def test_hash_to_fr_separates_domains_and_boundaries():
    values = {
        hash_to_fr(b"zkescrow/a", b"bc"),
        hash_to_fr(b"zkescrow/a", b"b", b"c"),
        hash_to_fr(b"zkescrow/ab", b"c"),
        hash_to_fr(b"zkescrow/a", b"bc", b""),
        hash_to_fr(b"zkescrow/b", b"bc"),
        hash_to_fr(b"zkescrow/a"),
    }
    assert len(values) == 6
    assert hash_to_fr(b"d", bytearray(b"x"), memoryview(b"y")) == hash_to_fr(b"d", b"x", b"y")


def test_hash_to_fr_rejects_non_bytes():
    with pytest.raises(MalformedInput, match="part 1 must be bytes, got str"):
        hash_to_fr(b"d", b"x", "y")
    with pytest.raises(MalformedInput, match="domain must be bytes"):
        hash_to_fr("d")
