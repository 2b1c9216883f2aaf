"""XYZZ bucket coordinates (zkescrow.bn254.xyzz) agree with py_ecc's group law in G1 and G2,
including the exceptional cases a bucket can meet: P + P, P + (−P), infinity on either side."""
import random

import pytest
from py_ecc import optimized_bn128 as ref

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from zkescrow.bn254.curve import g1_mul, g1_neg, g2_mul, g2_neg, jac_g1_mul, jac_g2_mul
from zkescrow.bn254 import xyzz

rng = random.Random(2024)


def ref_affine(P):
    if ref.is_inf(P):
        return None
    x, y = ref.normalize(P)
    if isinstance(x, ref.FQ):
        return (int(x.n), int(y.n))
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def plain(P):
    if P is None:
        return None
    if isinstance(P[0], tuple):
        return tuple(tuple(int(c) for c in v) for v in P)
    return tuple(int(c) for c in P)


GROUPS = {
    "g1": dict(gen=G1_GENERATOR, mul=g1_mul, neg=g1_neg, jac_mul=jac_g1_mul, ref_gen=ref.G1,
               inf=xyzz.XYZZ_G1_INFINITY, add=xyzz.xyzz_g1_add, madd=xyzz.xyzz_g1_add_affine,
               dbl=xyzz.xyzz_g1_double, from_jac=xyzz.xyzz_g1_from_jacobian, to_aff=xyzz.xyzz_g1_to_affine),
    "g2": dict(gen=G2_GENERATOR, mul=g2_mul, neg=g2_neg, jac_mul=jac_g2_mul, ref_gen=ref.G2,
               inf=xyzz.XYZZ_G2_INFINITY, add=xyzz.xyzz_g2_add, madd=xyzz.xyzz_g2_add_affine,
               dbl=xyzz.xyzz_g2_double, from_jac=xyzz.xyzz_g2_from_jacobian, to_aff=xyzz.xyzz_g2_to_affine),
}


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_xyzz_law_against_py_ecc(group):
    g = GROUPS[group]
    for _ in range(6):
        a, b = rng.randrange(1, R), rng.randrange(1, R)
        P = g["from_jac"](g["jac_mul"](g["gen"], a))          # ZZ ≠ 1
        Q_ = g["from_jac"](g["jac_mul"](g["gen"], b))
        B = g["mul"](g["gen"], b)                               # affine
        want = plain(ref_affine(ref.multiply(g["ref_gen"], (a + b) % R)))
        assert plain(g["to_aff"](g["add"](P, Q_))) == want
        assert plain(g["to_aff"](g["madd"](P, B))) == want
        assert plain(g["to_aff"](g["dbl"](P))) == plain(ref_affine(ref.multiply(g["ref_gen"], 2 * a % R)))
        assert plain(g["to_aff"](P)) == plain(ref_affine(ref.multiply(g["ref_gen"], a)))


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_xyzz_exceptional_cases(group):
    g = GROUPS[group]
    a = rng.randrange(1, R)
    A = g["mul"](g["gen"], a)
    P = g["dbl"](g["madd"](g["inf"], g["mul"](g["gen"], a * pow(2, -1, R) % R)))   # = A with ZZ ≠ 1
    twice = plain(g["mul"](g["gen"], 2 * a % R))
    assert plain(g["to_aff"](g["madd"](P, A))) == twice               # P + P through madd
    assert plain(g["to_aff"](g["add"](P, P))) == twice                # and through add
    assert g["to_aff"](g["madd"](P, g["neg"](A))) is None             # P + (−P)
    assert g["to_aff"](g["add"](P, g["from_jac"](g["jac_mul"](g["neg"](A), 1)))) is None
    assert plain(g["to_aff"](g["madd"](g["inf"], A))) == plain(A)      # infinity on either side
    assert plain(g["to_aff"](g["add"](g["inf"], P))) == plain(A)
    assert plain(g["to_aff"](g["add"](P, g["inf"]))) == plain(A)
    assert g["to_aff"](g["dbl"](g["inf"])) is None
    assert g["to_aff"](g["inf"]) is None
