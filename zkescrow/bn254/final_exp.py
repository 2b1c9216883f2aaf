"""The final exponentiation f ↦ f^((q¹² − 1)/r · m) of the BN254 optimal ate pairing, as snarkjs computes it.

(q¹² − 1)/r = (q⁶ − 1)(q² + 1) · (q⁴ − q² + 1)/r.  The easy part (q⁶ − 1)(q² + 1)
costs one inversion and a Frobenius map and lands in the cyclotomic subgroup,
where inversion is conjugation and squaring is Granger–Scott's.  The hard part
is the one of Fuentes-Castañeda, Knapp and Rodríguez-Henríquez ("Faster hashing
to G2", SAC 2011), which raises to a multiple m·(q⁴ − q² + 1)/r with
m = 2z(6z² + 3z + 1): three exponentiations by z, and the addition chain of
wasmcurves (``buildFinalExponentiationLastChunk`` in ``src/bn128/build_bn128.js``).
Using the same chain makes our Gt values equal snarkjs's to the byte; they are
the m-th power of the values of py_ecc, which raises to (q⁴ − q² + 1)/r exactly.
"""
from .constants import BN_X, Q, R
from .tower import (fq12_conj, fq12_cyclotomic_sqr, fq12_frobenius, fq12_inv, fq12_mul, fq12_pow)

#: The multiple of (q⁴ − q² + 1)/r that the hard part computes, m = 2z(6z² + 3z + 1).
HARD_PART_MULTIPLE = 2 * BN_X * (6 * BN_X ** 2 + 3 * BN_X + 1)

#: The whole exponent, for the plain reference path.
FINAL_EXPONENT = (int(Q) ** 12 - 1) // int(R) * HARD_PART_MULTIPLE


def _naf(n: int) -> list[int]:
    """Non-adjacent form of n > 0, least significant digit first, digits in {−1, 0, 1}."""
    digits = []
    while n:
        digit = 2 - n % 4 if n & 1 else 0
        digits.append(digit)
        n = (n - digit) >> 1
    return digits


_Z_NAF_MSB_FIRST = _naf(BN_X)[::-1]


def cyclotomic_exp_by_z(f):
    """f^z for f in the cyclotomic subgroup: NAF of z, Granger–Scott squarings, conj(f) = f⁻¹."""
    f_inv = fq12_conj(f)
    result = f            # the leading NAF digit is 1
    for digit in _Z_NAF_MSB_FIRST[1:]:
        result = fq12_cyclotomic_sqr(result)
        if digit == 1:
            result = fq12_mul(result, f)
        elif digit == -1:
            result = fq12_mul(result, f_inv)
    return result


def final_exponentiation_easy_part(f):
    """f^((q⁶ − 1)(q² + 1)): conj(f)/f, then times its q²-Frobenius."""
    t = fq12_mul(fq12_conj(f), fq12_inv(f))
    return fq12_mul(fq12_frobenius(t, 2), t)


def final_exponentiation_hard_part(f):
    """f^(m·(q⁴ − q² + 1)/r) for f in the cyclotomic subgroup, the wasmcurves chain step by step."""
    sqr, mul, conj, frob = fq12_cyclotomic_sqr, fq12_mul, fq12_conj, fq12_frobenius
    a = conj(cyclotomic_exp_by_z(f))        # f^(−z)
    b = sqr(a)                              # f^(−2z)
    c = sqr(b)                              # f^(−4z)
    d = mul(c, b)                           # f^(−6z)
    e = conj(cyclotomic_exp_by_z(d))        # f^(6z²)
    g = conj(cyclotomic_exp_by_z(sqr(e)))   # f^(−12z³)
    k = mul(mul(conj(g), e), conj(d))       # f^(12z³ + 6z² + 6z)
    l = mul(k, b)                           # f^(12z³ + 6z² + 4z)
    n = mul(mul(k, e), f)                   # f^(12z³ + 12z² + 6z + 1)
    t = mul(conj(f), l)                     # f^(12z³ + 6z² + 4z − 1)
    # f^(λ0 + λ1·q + λ2·q² + λ3·q³) with λ0 = 12z³+12z²+6z+1, λ1 = 12z³+6z²+4z, λ2 = 12z³+6z²+6z, λ3 = λ1 − 1
    return mul(frob(t, 3), mul(frob(k, 2), mul(frob(l, 1), n)))


def final_exponentiation(f):
    """f^((q¹² − 1)/r · m) for a Miller loop value f ≠ 0; equals snarkjs's ``finalExponentiation``."""
    return final_exponentiation_hard_part(final_exponentiation_easy_part(f))


def final_exponentiation_reference(f):
    """The same power by plain square-and-multiply over the whole exponent (slow; for tests)."""
    return fq12_pow(f, FINAL_EXPONENT)
