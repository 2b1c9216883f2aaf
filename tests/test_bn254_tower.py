"""Fq6/Fq12 tower: field laws, fast path == plain path, Frobenius, and agreement with py_ecc's FQ12."""
import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.optimized_bn128 import FQ12 as PyFQ12

from zkescrow.bn254.constants import Q
from zkescrow.bn254.tower import (FQ6_ONE, FQ6_ZERO, FQ12_ONE, FQ12_ZERO, fq6_add, fq6_inv, fq6_mul, fq12_add,
                                  fq12_conj, fq12_cyclotomic_sqr, fq12_eq, fq12_frobenius, fq12_from_py_ecc,
                                  fq12_from_snarkjs_object, fq12_inv, fq12_is_one, fq12_mul, fq12_mul_reference,
                                  fq12_pow, fq12_sqr, fq12_to_py_ecc, fq12_to_snarkjs_object)
from zkescrow.errors import InvalidFieldElement, MalformedInput

fq = st.integers(min_value=0, max_value=int(Q) - 1).map(mpz)
fq2 = st.tuples(fq, fq)
fq6 = st.tuples(fq2, fq2, fq2)
fq12 = st.tuples(fq6, fq6)
nonzero_fq6 = fq6.filter(lambda a: a != FQ6_ZERO)
nonzero_fq12 = fq12.filter(lambda a: a != FQ12_ZERO)

laws = settings(max_examples=30, deadline=None)


def cyclotomic(a):
    """a^((q⁶ − 1)(q² + 1)), the easy part of the final exponentiation: lands in the cyclotomic subgroup."""
    t = fq12_mul(fq12_conj(a), fq12_inv(a))
    return fq12_mul(fq12_frobenius(t, 2), t)


@laws
@given(fq6, fq6, fq6)
def test_fq6_ring_laws(a, b, c):
    assert fq6_mul(fq6_mul(a, b), c) == fq6_mul(a, fq6_mul(b, c))
    assert fq6_mul(a, b) == fq6_mul(b, a)
    assert fq6_mul(a, fq6_add(b, c)) == fq6_add(fq6_mul(a, b), fq6_mul(a, c))
    assert fq6_mul(a, FQ6_ONE) == a


@laws
@given(nonzero_fq6)
def test_fq6_inverse(a):
    assert fq6_mul(a, fq6_inv(a)) == FQ6_ONE


@laws
@given(fq12, fq12, fq12)
def test_fq12_ring_laws(a, b, c):
    assert fq12_mul(fq12_mul(a, b), c) == fq12_mul(a, fq12_mul(b, c))
    assert fq12_mul(a, b) == fq12_mul(b, a)
    assert fq12_mul(a, fq12_add(b, c)) == fq12_add(fq12_mul(a, b), fq12_mul(a, c))
    assert fq12_mul(a, FQ12_ONE) == a


@laws
@given(nonzero_fq12)
def test_fq12_inverse(a):
    assert fq12_is_one(fq12_mul(a, fq12_inv(a)))
    assert fq12_pow(a, -3) == fq12_inv(fq12_mul(a, fq12_sqr(a)))


@laws
@given(fq12, fq12)
def test_fast_mul_and_sqr_match_the_plain_path(a, b):
    assert fq12_mul(a, b) == fq12_mul_reference(a, b)
    assert fq12_sqr(a) == fq12_mul_reference(a, a)


def test_fast_path_with_extreme_coefficients():
    top = mpz(Q - 1)
    a = ((((top, top),) * 3), ((top, top),) * 3)
    assert fq12_mul(a, a) == fq12_mul_reference(a, a) == fq12_sqr(a)
    assert fq12_mul(a, FQ12_ZERO) == FQ12_ZERO


@laws
@given(fq12)
def test_frobenius_is_the_q_power(a):
    assert fq12_frobenius(a, 1) == fq12_pow(a, int(Q))
    assert fq12_frobenius(a, 6) == fq12_conj(a)
    assert fq12_frobenius(a, 12) == a
    b = a
    for power in range(1, 12):
        b = fq12_frobenius(b, 1)
        assert fq12_frobenius(a, power) == b


@laws
@given(nonzero_fq12)
def test_cyclotomic_square_on_cyclotomic_elements(a):
    c = cyclotomic(a)
    assert fq12_pow(c, int(Q) ** 4 - int(Q) ** 2 + 1) == FQ12_ONE
    assert fq12_cyclotomic_sqr(c) == fq12_sqr(c)
    assert fq12_mul(c, fq12_conj(c)) == FQ12_ONE


# --- agreement with py_ecc (w¹² = 18w⁶ − 82 there) ---------------------------------------

@laws
@given(fq12, fq12)
def test_tower_mapping_is_a_ring_isomorphism_onto_py_ecc(a, b):
    assert fq12_to_py_ecc(a) * fq12_to_py_ecc(b) == fq12_to_py_ecc(fq12_mul(a, b))
    assert fq12_to_py_ecc(a) + fq12_to_py_ecc(b) == fq12_to_py_ecc(fq12_add(a, b))
    assert fq12_from_py_ecc(fq12_to_py_ecc(a)) == a


@laws
@given(nonzero_fq12)
def test_tower_mapping_respects_inverse_and_frobenius(a):
    assert fq12_to_py_ecc(fq12_inv(a)) == fq12_to_py_ecc(a).inv()
    assert fq12_to_py_ecc(fq12_frobenius(a, 1)) == fq12_to_py_ecc(a) ** int(Q)


def test_tower_generators_map_as_documented():
    z, one = mpz(0), mpz(1)
    w = ((FQ6_ZERO[0],) * 3, ((one, z), (z, z), (z, z)))
    u = (((z, one), (z, z), (z, z)), FQ6_ZERO)
    assert fq12_to_py_ecc(w) == PyFQ12([0, 1] + [0] * 10)
    assert fq12_to_py_ecc(u) == PyFQ12([-9] + [0] * 5 + [1] + [0] * 5)
    assert fq12_to_py_ecc(FQ12_ONE) == PyFQ12.one()
    # w² = v and w⁶ = ξ = 9 + u
    assert fq12_sqr(w) == (((z, z), (one, z), (z, z)), FQ6_ZERO)
    assert fq12_pow(w, 6) == (((mpz(9), one), (z, z), (z, z)), FQ6_ZERO)


# --- snarkjs JSON form ------------------------------------------------------------------

@laws
@given(fq12)
def test_snarkjs_object_round_trip(a):
    obj = fq12_to_snarkjs_object(a)
    assert len(obj) == 2 and all(len(h) == 3 and all(len(p) == 2 for p in h) for h in obj)
    assert all(isinstance(s, str) for h in obj for p in h for s in p)
    assert fq12_from_snarkjs_object(obj) == a
    assert fq12_eq(fq12_from_snarkjs_object(obj), a)


def test_snarkjs_object_layout():
    obj = [[[str(6 * i + 2 * j + k) for k in range(2)] for j in range(3)] for i in range(2)]
    a = fq12_from_snarkjs_object(obj)
    assert a[1][2] == (mpz(10), mpz(11)) and a[0][1] == (mpz(2), mpz(3))


@pytest.mark.parametrize("bad, error", [
    ([[["1", "2"]] * 3], MalformedInput),                                  # one half
    ([[["1", "2"]] * 3, [["1", "2"]] * 2], MalformedInput),                # short Fq6
    ([[["1", "2"]] * 3, [["1", "2", "3"]] * 3], MalformedInput),           # long Fq2
    ([[["1", "2"]] * 3, [["1", "0x2"]] * 3], MalformedInput),              # not decimal
    ([[["1", "2"]] * 3, [["1", "-2"]] * 3], MalformedInput),
    ([[["1", "2"]] * 3, [["1", str(Q)]] * 3], InvalidFieldElement),        # ≥ q
    ("not an Fq12", MalformedInput),
])
def test_snarkjs_object_rejects_bad_input(bad, error):
    with pytest.raises(error):
        fq12_from_snarkjs_object(bad)
