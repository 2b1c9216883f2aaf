"""Optimal ate pairing: bilinearity, agreement with py_ecc (to the power m) and with snarkjs (to the byte)."""
import json
import secrets

import py_ecc.optimized_bn128 as pyecc
import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, Q, R
from zkescrow.bn254.final_exp import (HARD_PART_MULTIPLE, final_exponentiation, final_exponentiation_easy_part,
                                      final_exponentiation_reference)
from zkescrow.bn254.pairing import (G2Prepared, final_exponentiation as reexported_final_exponentiation,
                                    miller_loop, multi_miller_loop, multi_pairing, pairing, pairing_check,
                                    prepare_g2)
from zkescrow.bn254.tower import (FQ12_ONE, fq12_conj, fq12_from_snarkjs_object, fq12_mul, fq12_pow,
                                  fq12_to_py_ecc, fq12_to_snarkjs_object)
from zkescrow.errors import InvalidPoint

scalars = st.integers(min_value=1, max_value=int(R) - 1)


def g1(k: int):
    """[k]G1 as our affine tuple, computed by py_ecc (an independent implementation)."""
    x, y = pyecc.normalize(pyecc.multiply(pyecc.G1, k))
    return (mpz(x.n), mpz(y.n))


def g2(k: int):
    x, y = pyecc.normalize(pyecc.multiply(pyecc.G2, k))
    return ((mpz(x.coeffs[0]), mpz(x.coeffs[1])), (mpz(y.coeffs[0]), mpz(y.coeffs[1])))


def to_py_ecc_g1(p):
    return (pyecc.FQ(int(p[0])), pyecc.FQ(int(p[1])), pyecc.FQ.one())


def to_py_ecc_g2(q):
    (x0, x1), (y0, y1) = q
    return (pyecc.FQ2([int(x0), int(x1)]), pyecc.FQ2([int(y0), int(y1)]), pyecc.FQ2.one())


def neg_g1(p):
    return (p[0], -p[1] % Q)


@pytest.fixture(scope="module")
def base():
    return pairing(G1_GENERATOR, G2_GENERATOR)


def test_generators_match_py_ecc():
    assert to_py_ecc_g1(G1_GENERATOR) == pyecc.G1
    assert to_py_ecc_g2(G2_GENERATOR) == pyecc.G2


@pytest.mark.parametrize("a, b", [(1, 1), (0xdeadbeef, 12345678901234567890), (int(R) - 2, None)])
def test_value_is_py_ecc_pairing_to_the_power_m(a, b):
    """zk-interop §9: snarkjs's Gt value is py_ecc's to the power m = 2z(6z² + 3z + 1)."""
    p, q = g1(a), g2(b if b is not None else secrets.randbelow(int(R) - 1) + 1)
    expected = pyecc.pairing(to_py_ecc_g2(q), to_py_ecc_g1(p)) ** HARD_PART_MULTIPLE
    assert fq12_to_py_ecc(pairing(p, q)) == expected


def test_value_is_not_plain_py_ecc_pairing(base):
    assert fq12_to_py_ecc(base) != pyecc.pairing(pyecc.G2, pyecc.G1)


def test_non_degenerate_and_of_order_r(base):
    assert base != FQ12_ONE
    assert fq12_pow(base, int(R)) == FQ12_ONE


@settings(max_examples=4, deadline=None)
@given(scalars, scalars)
def test_bilinearity(base, a, b):
    assert pairing(g1(a), g2(b)) == fq12_pow(base, a * b % int(R))


def test_linear_in_each_argument(base):
    p, q = g1(3), g2(5)
    e = pairing(p, q)
    assert e == fq12_pow(base, 15)
    assert pairing(g1(6), q) == fq12_mul(e, e)
    assert pairing(p, g2(10)) == fq12_mul(e, e)
    assert pairing(neg_g1(p), q) == fq12_conj(e)     # inversion in GT is conjugation


def test_infinity_contributes_one():
    assert pairing(None, G2_GENERATOR) == FQ12_ONE
    assert pairing(G1_GENERATOR, None) == FQ12_ONE
    assert pairing(None, prepare_g2(None)) == FQ12_ONE
    assert multi_pairing([]) == FQ12_ONE
    assert miller_loop(None, G2_GENERATOR) == FQ12_ONE
    assert pairing_check([(None, G2_GENERATOR), (G1_GENERATOR, None)])


def test_multi_pairing_is_the_product_of_pairings():
    pairs = [(g1(2), g2(3)), (g1(5), G2_GENERATOR), (None, g2(9)), (g1(11), g2(13))]
    product = FQ12_ONE
    for p, q in pairs:
        product = fq12_mul(product, pairing(p, q))
    assert multi_pairing(pairs) == product
    assert final_exponentiation(multi_miller_loop(pairs)) == product


def test_pairing_check():
    a = secrets.randbelow(int(R) - 2) + 2
    p, q = g1(17), g2(19)
    assert pairing_check([(g1(a * 17), q), (neg_g1(p), g2(a * 19))])
    assert not pairing_check([(g1(a * 17 + 1), q), (neg_g1(p), g2(a * 19))])
    assert not pairing_check([(p, q)])
    # e(aP, bQ)·e(−abP, Q) = 1, the shape of a Groth16 check
    assert pairing_check([(g1(3), g2(4)), (neg_g1(g1(12)), G2_GENERATOR)])


def test_prepared_equals_unprepared():
    p, q = g1(23), g2(29)
    prepared = prepare_g2(q)
    assert isinstance(prepared, G2Prepared) and prepared.point == q
    assert prepare_g2(prepared) is prepared
    assert miller_loop(p, prepared) == miller_loop(p, q)
    pairs = [(p, q), (g1(31), G2_GENERATOR)]
    mixed = [(p, prepared), (g1(31), G2_GENERATOR)]
    assert multi_pairing(mixed) == multi_pairing(pairs)
    assert pairing_check([(p, prepared), (neg_g1(p), q)])


def test_line_normalisation_divides_by_c0_and_drops_vertical_lines():
    from zkescrow.bn254.pairing import _FLAT_LINE, _normalise
    zero, one, two, three = (mpz(0), mpz(0)), (mpz(1), mpz(0)), (mpz(2), mpz(0)), (mpz(3), mpz(0))
    half = (mpz(pow(2, -1, int(Q))), mpz(0))
    u = (mpz(0), mpz(1))
    minus_u_times_3 = (mpz(0), mpz(Q - 3))                  # 3/u = −3u
    assert _normalise([(zero, one, one), (two, one, two), (u, three, one)]) == [
        _FLAT_LINE, (half, one), (minus_u_times_3, (mpz(0), mpz(Q - 1)))]


def test_g1_point_with_y_zero_is_rejected():
    with pytest.raises(InvalidPoint):
        pairing((mpz(1), mpz(0)), G2_GENERATOR)


def test_integer_coordinates_are_accepted(base):
    ints_p = tuple(int(c) for c in G1_GENERATOR)
    ints_q = tuple((int(a), int(b)) for a, b in G2_GENERATOR)
    assert pairing(ints_p, ints_q) == base


def test_final_exponentiation_matches_the_plain_power():
    f = miller_loop(g1(37), g2(41))
    assert final_exponentiation(f) == final_exponentiation_reference(f)
    assert reexported_final_exponentiation is final_exponentiation
    # the easy part lands in the cyclotomic subgroup: order divides q⁴ − q² + 1
    c = final_exponentiation_easy_part(f)
    assert fq12_pow(c, int(Q) ** 4 - int(Q) ** 2 + 1) == FQ12_ONE


# --- snarkjs (wasmcurves through ffjavascript), byte for byte -------------------------------

_FFJS_PAIRINGS = """
const {buildBn128, utils} = require("ffjavascript");
(async () => {
  const curve = await buildBn128(true);
  const out = [];
  for (const [a, b] of %s) {
    const p = curve.G1.timesScalar(curve.G1.g, BigInt(a));
    const q = curve.G2.timesScalar(curve.G2.g, BigInt(b));
    out.push({p: curve.G1.toObject(curve.G1.toAffine(p)), q: curve.G2.toObject(curve.G2.toAffine(q)),
              gt: curve.Gt.toObject(curve.pairing(p, q))});
  }
  console.log(JSON.stringify(utils.stringifyBigInts(out)));
  await curve.terminate();
})();
"""


@pytest.mark.interop
def test_pairing_equals_snarkjs_to_the_byte():
    from conftest import run_node_script
    scalar_pairs = [(1, 1), (secrets.randbelow(int(R)), secrets.randbelow(int(R))), (int(R) - 1, 2)]
    results = run_node_script(_FFJS_PAIRINGS % json.dumps([[str(a), str(b)] for a, b in scalar_pairs]))
    for (a, b), got in zip(scalar_pairs, results):
        p = tuple(mpz(c) for c in got["p"][:2])
        q = tuple((mpz(c0), mpz(c1)) for c0, c1 in got["q"][:2])
        assert p == g1(a) and q == g2(b)
        assert fq12_to_snarkjs_object(pairing(p, q)) == got["gt"]
        assert fq12_from_snarkjs_object(got["gt"]) == pairing(p, q)
