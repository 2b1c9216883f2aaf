"""G1/G2 arithmetic checked against py_ecc.optimized_bn128, plus validation and subgroup checks."""
import random

import pytest
from hypothesis import given, settings, strategies as st
from py_ecc import optimized_bn128 as ref

from zkescrow.bn254.constants import (B2, G1_GENERATOR, G2_COFACTOR, G2_GENERATOR, GLV_BETA,
                                      GLV_LAMBDA, Q, R)
from zkescrow.bn254.curve import (
    JAC_G1_INFINITY, JAC_G2_INFINITY, g1_add, g1_batch_from_jacobian, g1_double, g1_eq,
    g1_from_jacobian, g1_is_on_curve, g1_mul, g1_neg, g1_to_jacobian, g1_validate, g2_add,
    g2_batch_from_jacobian, g2_double, g2_eq, g2_from_jacobian, g2_in_subgroup, g2_is_on_curve,
    g2_mul, g2_neg, g2_psi, g2_to_jacobian, g2_validate, glv_decompose, jac_g1_add,
    jac_g1_add_affine, jac_g1_double, jac_g1_mul, jac_g1_neg, jac_g2_add, jac_g2_add_affine,
    jac_g2_double, jac_g2_mul, jac_g2_neg, wnaf)
from zkescrow.bn254.fields import fq2_add, fq2_mul, fq2_sqr, fq2_sqrt
from zkescrow.errors import InvalidPoint

scalars = st.integers(min_value=0, max_value=int(R) - 1)
SPECIAL = [0, 1, 2, int(R) - 1, int(R), int(R) + 1]


def ref_g1(P):
    """py_ecc projective → our affine."""
    if ref.is_inf(P):
        return None
    x, y = ref.normalize(P)
    return (int(x), int(y))


def ref_g2(P):
    if ref.is_inf(P):
        return None
    x, y = ref.normalize(P)
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def to_ref_g1(P):
    return ref.Z1 if P is None else (ref.FQ(int(P[0])), ref.FQ(int(P[1])), ref.FQ.one())


def to_ref_g2(P):
    if P is None:
        return ref.Z2
    (x0, x1), (y0, y1) = P
    return (ref.FQ2([int(x0), int(x1)]), ref.FQ2([int(y0), int(y1)]), ref.FQ2.one())


def twist_point_outside_g2():
    """A point of E'(Fq2) that is not in G2: try x = 1, 2, ... until x³ + b' is a square."""
    x0 = 1
    while True:
        x = (x0, 0)
        y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), B2))
        if y is not None:
            P = (x, y)
            if g2_mul(P, R) is not None:
                return P
        x0 += 1


def test_generators_match_py_ecc():
    assert ref_g1(ref.G1) == G1_GENERATOR
    assert ref_g2(ref.G2) == G2_GENERATOR
    assert g1_is_on_curve(G1_GENERATOR) and g2_is_on_curve(G2_GENERATOR)


# --- G1 ------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(scalars, scalars)
def test_g1_add_double_neg_match_py_ecc(a, b):
    P, Q_ = g1_mul(G1_GENERATOR, a), g1_mul(G1_GENERATOR, b)
    rP, rQ = ref.multiply(ref.G1, a), ref.multiply(ref.G1, b)
    assert P == ref_g1(rP) and Q_ == ref_g1(rQ)
    assert g1_add(P, Q_) == ref_g1(ref.add(rP, rQ))
    assert g1_double(P) == ref_g1(ref.double(rP))
    assert g1_neg(P) == ref_g1(ref.neg(rP))
    assert g1_add(P, g1_neg(P)) is None
    assert g1_add(P, P) == g1_double(P)


@settings(max_examples=25, deadline=None)
@given(scalars)
def test_g1_mul_matches_py_ecc(k):
    P = g1_mul(G1_GENERATOR, 7 + k // 3)
    assert g1_mul(P, k) == ref_g1(ref.multiply(to_ref_g1(P), k))


@pytest.mark.parametrize("k", SPECIAL)
def test_g1_mul_special_scalars(k):
    expected = ref_g1(ref.multiply(ref.G1, k % int(R))) if k % int(R) else None
    assert g1_mul(G1_GENERATOR, k) == expected
    assert g1_mul(None, k) is None


def test_g1_mul_negative_scalar_is_negation():
    assert g1_mul(G1_GENERATOR, -5) == g1_neg(g1_mul(G1_GENERATOR, 5))


def test_glv_constants_and_decomposition():
    assert pow(int(GLV_BETA), 3, int(Q)) == 1 and int(GLV_BETA) != 1
    assert pow(GLV_LAMBDA, 3, int(R)) == 1 and GLV_LAMBDA != 1
    P = g1_mul(G1_GENERATOR, 123456789)
    # β (not β²) is the cube root of unity that goes with λ.
    assert g1_mul(P, GLV_LAMBDA) == (GLV_BETA * P[0] % Q, P[1])
    rng = random.Random(1)
    for k in [0, 1, int(R) - 1] + [rng.randrange(R) for _ in range(200)]:
        k1, k2 = glv_decompose(k)
        assert (k1 + k2 * GLV_LAMBDA - k) % R == 0
        assert abs(k1) < 2 ** 128 and abs(k2) < 2 ** 128


def test_wnaf_digits_reconstruct():
    rng = random.Random(2)
    for w in (2, 4, 5):
        for k in [0, 1, 15, 16, 17] + [rng.randrange(2 ** 130) for _ in range(50)]:
            digits = wnaf(k, w)
            assert sum(d << i for i, d in enumerate(digits)) == k
            assert all(d == 0 or (d % 2 == 1 and abs(d) < 2 ** (w - 1)) for d in digits)
            nz = [i for i, d in enumerate(digits) if d]
            assert all(b - a >= w for a, b in zip(nz, nz[1:]))


def test_g1_jacobian_helpers():
    P = g1_mul(G1_GENERATOR, 11)
    Q_ = g1_mul(G1_GENERATOR, 29)
    J = jac_g1_double(g1_to_jacobian(P))           # 22, with Z ≠ 1
    assert g1_from_jacobian(J) == g1_mul(G1_GENERATOR, 22)
    assert g1_from_jacobian(jac_g1_add_affine(J, Q_)) == g1_mul(G1_GENERATOR, 51)
    assert g1_from_jacobian(jac_g1_add(J, jac_g1_mul(Q_, 3))) == g1_mul(G1_GENERATOR, 109)
    assert g1_from_jacobian(jac_g1_add_affine(J, g1_from_jacobian(J))) == g1_mul(G1_GENERATOR, 44)
    assert g1_from_jacobian(jac_g1_add_affine(J, g1_neg(g1_from_jacobian(J)))) is None
    assert g1_from_jacobian(jac_g1_add(J, J)) == g1_mul(G1_GENERATOR, 44)
    assert g1_from_jacobian(jac_g1_add(J, jac_g1_neg(J))) is None
    assert g1_from_jacobian(jac_g1_add_affine(JAC_G1_INFINITY, P)) == P
    assert g1_from_jacobian(jac_g1_double(JAC_G1_INFINITY)) is None
    pts = [J, JAC_G1_INFINITY, jac_g1_mul(P, 5), g1_to_jacobian(Q_)]
    assert g1_batch_from_jacobian(pts) == [g1_from_jacobian(p) for p in pts]


def test_g1_eq():
    P = g1_mul(G1_GENERATOR, 3)
    assert g1_eq(P, (int(P[0]), int(P[1])))
    assert not g1_eq(P, None) and g1_eq(None, None) and not g1_eq(P, G1_GENERATOR)


def test_g1_validate_accepts_and_normalises():
    P = g1_mul(G1_GENERATOR, 99)
    assert g1_validate((int(P[0]), int(P[1]))) == P
    assert g1_validate(None) is None


@pytest.mark.parametrize("bad, words", [
    ((1, 3), "not on the curve"),
    ((1 + int(Q), 2), "x coordinate is not in [0, q)"),
    ((1, 2 + int(Q)), "y coordinate is not in [0, q)"),
    ((-1, 2), "x coordinate is not in [0, q)"),
    ((1, 2, 1), "pair"),
    ([1, 2], "pair"),
    (("1", 2), "integer"),
    ((True, 2), "integer"),
])
def test_g1_validate_rejects(bad, words):
    with pytest.raises(InvalidPoint, match=words.replace("[", r"\[").replace(")", r"\)")):
        g1_validate(bad)


# --- G2 ------------------------------------------------------------------------------------

@settings(max_examples=10, deadline=None)
@given(scalars, scalars)
def test_g2_add_double_neg_match_py_ecc(a, b):
    P, Q_ = g2_mul(G2_GENERATOR, a), g2_mul(G2_GENERATOR, b)
    rP, rQ = ref.multiply(ref.G2, a), ref.multiply(ref.G2, b)
    assert P == ref_g2(rP) and Q_ == ref_g2(rQ)
    assert g2_add(P, Q_) == ref_g2(ref.add(rP, rQ))
    assert g2_double(P) == ref_g2(ref.double(rP))
    assert g2_neg(P) == ref_g2(ref.neg(rP))
    assert g2_add(P, g2_neg(P)) is None
    assert g2_add(P, P) == g2_double(P)


@pytest.mark.parametrize("k", SPECIAL + [987654321987654321987654321])
def test_g2_mul_matches_py_ecc(k):
    expected = ref_g2(ref.multiply(ref.G2, k % int(R))) if k % int(R) else None
    assert g2_mul(G2_GENERATOR, k) == expected
    assert g2_mul(None, k) is None


def test_g2_mul_random_point_matches_py_ecc():
    rng = random.Random(3)
    base = g2_mul(G2_GENERATOR, rng.randrange(R))
    k = rng.randrange(R)
    assert g2_mul(base, k) == ref_g2(ref.multiply(to_ref_g2(base), k))
    assert g2_mul(G2_GENERATOR, -5) == g2_neg(g2_mul(G2_GENERATOR, 5))


def test_g2_jacobian_helpers():
    P = g2_mul(G2_GENERATOR, 11)
    Q_ = g2_mul(G2_GENERATOR, 29)
    J = jac_g2_double(g2_to_jacobian(P))
    assert g2_from_jacobian(J) == g2_mul(G2_GENERATOR, 22)
    assert g2_from_jacobian(jac_g2_add_affine(J, Q_)) == g2_mul(G2_GENERATOR, 51)
    assert g2_from_jacobian(jac_g2_add(J, jac_g2_mul(Q_, 3))) == g2_mul(G2_GENERATOR, 109)
    assert g2_from_jacobian(jac_g2_add_affine(J, g2_from_jacobian(J))) == g2_mul(G2_GENERATOR, 44)
    assert g2_from_jacobian(jac_g2_add_affine(J, g2_neg(g2_from_jacobian(J)))) is None
    assert g2_from_jacobian(jac_g2_add(J, J)) == g2_mul(G2_GENERATOR, 44)
    assert g2_from_jacobian(jac_g2_add(J, jac_g2_neg(J))) is None
    assert g2_from_jacobian(jac_g2_add_affine(JAC_G2_INFINITY, P)) == P
    assert g2_from_jacobian(jac_g2_double(JAC_G2_INFINITY)) is None
    pts = [J, JAC_G2_INFINITY, jac_g2_mul(P, 5), g2_to_jacobian(Q_)]
    assert g2_batch_from_jacobian(pts) == [g2_from_jacobian(p) for p in pts]
    assert g2_eq(P, P) and not g2_eq(P, None) and g2_eq(None, None)


def test_psi_acts_as_q_on_g2():
    P = g2_mul(G2_GENERATOR, 77)
    assert g2_psi(P) == g2_mul(P, Q % R)
    assert g2_psi(None) is None


def test_subgroup_check_on_generator_multiples():
    for k in (1, 2, 12345, int(R) - 1):
        P = g2_mul(G2_GENERATOR, k)
        assert g2_in_subgroup(P) and g2_mul(P, R) is None
    assert g2_in_subgroup(None)


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=1, max_value=2 ** 64))
def test_subgroup_check_agrees_with_order_r(seed):
    """ψ(P) == [6x²]P  ⇔  [r]P == O, on random twist points and on their cofactor-cleared images."""
    x0 = seed
    while True:
        x = (x0, seed % 1000)
        y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), B2))
        if y is not None:
            break
        x0 += 1
    P = (x, y)
    assert g2_is_on_curve(P)
    assert g2_in_subgroup(P) == (g2_mul(P, R) is None)
    cleared = g2_mul(P, G2_COFACTOR)
    assert g2_in_subgroup(cleared) and g2_mul(cleared, R) is None


def test_g2_validate_accepts_subgroup_points():
    P = g2_mul(G2_GENERATOR, 5)
    as_ints = ((int(P[0][0]), int(P[0][1])), (int(P[1][0]), int(P[1][1])))
    assert g2_validate(as_ints) == P
    assert g2_validate(None) is None


def test_g2_validate_rejects_twist_point_outside_subgroup():
    P = twist_point_outside_g2()
    assert g2_is_on_curve(P) and not g2_in_subgroup(P)
    with pytest.raises(InvalidPoint, match="not in the order-r subgroup"):
        g2_validate(P)


@pytest.mark.parametrize("mutate, words", [
    (lambda P: ((P[0][0] + Q, P[0][1]), P[1]), r"x.c0 is not in \[0, q\)"),
    (lambda P: ((P[0][0], P[0][1] + Q), P[1]), r"x.c1 is not in \[0, q\)"),
    (lambda P: (P[0], (P[1][0], P[1][1] + Q)), r"y.c1 is not in \[0, q\)"),
    (lambda P: (P[0], (P[1][0], (P[1][1] + 1) % Q)), "not on the twist curve"),
    (lambda P: (P[0], P[1], P[1]), "pair"),
    (lambda P: (P[0][0], P[1]), "pair"),
    (lambda P: ((str(P[0][0]), P[0][1]), P[1]), "integer"),
])
def test_g2_validate_rejects(mutate, words):
    with pytest.raises(InvalidPoint, match=words):
        g2_validate(mutate(G2_GENERATOR))
