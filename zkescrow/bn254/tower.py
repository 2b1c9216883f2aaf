"""The extension tower of BN254, exactly as snarkjs/wasmcurves builds it.

    Fq2  = Fq[u]  / (u² + 1)
    Fq6  = Fq2[v] / (v³ − ξ),  ξ = 9 + u
    Fq12 = Fq6[w] / (w² − v)

Elements are nested tuples of ``gmpy2.mpz``: an Fq6 element is ``(c0, c1, c2)``
= c0 + c1·v + c2·v² with Fq2 coefficients, an Fq12 element is ``(c0, c1)`` =
c0 + c1·w with Fq6 coefficients.  Read as a polynomial in w over Fq2 (w⁶ = ξ),
``((a0, a1, a2), (b0, b1, b2))`` is a0 + b0·w + a1·w² + b1·w³ + a2·w⁴ + b2·w⁵.

Two paths compute the same products.  The plain one (``fq6_mul``,
``fq12_mul_reference``) is built from the Fq2 functions in ``fields`` and reads
like the textbook.  The fast one (``fq12_mul``, ``fq12_sqr``,
``fq12_cyclotomic_sqr``) spells the same formulas out over Fq with lazy
reduction: products are summed as big integers and reduced modulo q once per
output coefficient, which is what costs in CPython.  The tests compare the two.
"""
from gmpy2 import mpz

from ..errors import MalformedInput
from .constants import Q
from .fields import (FQ2_ONE, FQ2_ZERO, XI, fq_from_int, fq2_add, fq2_conj, fq2_inv,
                     fq2_mul, fq2_mul_by_xi, fq2_neg, fq2_pow, fq2_sqr, fq2_sub)

FQ6_ZERO = (FQ2_ZERO, FQ2_ZERO, FQ2_ZERO)
FQ6_ONE = (FQ2_ONE, FQ2_ZERO, FQ2_ZERO)
FQ12_ZERO = (FQ6_ZERO, FQ6_ZERO)
FQ12_ONE = (FQ6_ONE, FQ6_ZERO)


# --- Fq6 = Fq2[v]/(v³ − ξ), the plain path ------------------------------------------

def fq6_add(a, b):
    return (fq2_add(a[0], b[0]), fq2_add(a[1], b[1]), fq2_add(a[2], b[2]))


def fq6_sub(a, b):
    return (fq2_sub(a[0], b[0]), fq2_sub(a[1], b[1]), fq2_sub(a[2], b[2]))


def fq6_neg(a):
    return (fq2_neg(a[0]), fq2_neg(a[1]), fq2_neg(a[2]))


def fq6_mul_by_v(a):
    """v·(a0 + a1v + a2v²) = ξa2 + a0v + a1v²."""
    return (fq2_mul_by_xi(a[2]), a[0], a[1])


def fq6_mul(a, b):
    """Karatsuba over Fq2 (Devegili, Ó hÉigeartaigh, Scott, Dahab, ePrint 2006/471 §4): six Fq2 products."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0, t1, t2 = fq2_mul(a0, b0), fq2_mul(a1, b1), fq2_mul(a2, b2)
    c0 = fq2_add(t0, fq2_mul_by_xi(fq2_sub(fq2_mul(fq2_add(a1, a2), fq2_add(b1, b2)), fq2_add(t1, t2))))
    c1 = fq2_add(fq2_sub(fq2_mul(fq2_add(a0, a1), fq2_add(b0, b1)), fq2_add(t0, t1)), fq2_mul_by_xi(t2))
    c2 = fq2_add(fq2_sub(fq2_mul(fq2_add(a0, a2), fq2_add(b0, b2)), fq2_add(t0, t2)), t1)
    return (c0, c1, c2)


def fq6_inv(a):
    """1/a via the adjugate: a·(t0 + t1v + t2v²) lies in Fq2 (ePrint 2006/471 §4)."""
    a0, a1, a2 = a
    t0 = fq2_sub(fq2_sqr(a0), fq2_mul_by_xi(fq2_mul(a1, a2)))
    t1 = fq2_sub(fq2_mul_by_xi(fq2_sqr(a2)), fq2_mul(a0, a1))
    t2 = fq2_sub(fq2_sqr(a1), fq2_mul(a0, a2))
    norm = fq2_add(fq2_mul(a0, t0), fq2_mul_by_xi(fq2_add(fq2_mul(a2, t1), fq2_mul(a1, t2))))
    inv = fq2_inv(norm)
    return (fq2_mul(t0, inv), fq2_mul(t1, inv), fq2_mul(t2, inv))


# --- Fq12 = Fq6[w]/(w² − v), the plain path -----------------------------------------

def fq12_add(a, b):
    return (fq6_add(a[0], b[0]), fq6_add(a[1], b[1]))


def fq12_mul_reference(a, b):
    """(a0 + a1w)(b0 + b1w) = (a0b0 + v·a1b1) + ((a0 + a1)(b0 + b1) − a0b0 − a1b1)w."""
    a0, a1 = a
    b0, b1 = b
    t0, t1 = fq6_mul(a0, b0), fq6_mul(a1, b1)
    c1 = fq6_sub(fq6_mul(fq6_add(a0, a1), fq6_add(b0, b1)), fq6_add(t0, t1))
    return (fq6_add(t0, fq6_mul_by_v(t1)), c1)


def fq12_inv(a):
    """1/(a0 + a1w) = (a0 − a1w)/(a0² − v·a1²)."""
    a0, a1 = a
    inv = fq6_inv(fq6_sub(fq6_mul(a0, a0), fq6_mul_by_v(fq6_mul(a1, a1))))
    return (fq6_mul(a0, inv), fq6_neg(fq6_mul(a1, inv)))


def fq12_conj(a):
    """a0 − a1w = a^(q⁶); the inverse of an element of the cyclotomic subgroup."""
    (a0, a1, a2), ((b0, b1), (b2, b3), (b4, b5)) = a
    return ((a0, a1, a2), ((-b0 % Q, -b1 % Q), (-b2 % Q, -b3 % Q), (-b4 % Q, -b5 % Q)))


def fq12_eq(a, b) -> bool:
    return a == b


def fq12_is_one(a) -> bool:
    return a == FQ12_ONE


def fq12_pow(a, e: int):
    """a^e by left-to-right square and multiply; a negative e inverts first."""
    if e < 0:
        a, e = fq12_inv(a), -e
    result = FQ12_ONE
    for bit in bin(e)[2:]:
        result = fq12_sqr(result)
        if bit == "1":
            result = fq12_mul(result, a)
    return result


# --- Frobenius: (Σ c_k w^k)^(q^p) = Σ c_k^(q^p) · ξ^(k(q^p − 1)/6) · w^k ------------------

def _frobenius_coefficients():
    """γ[p][k] = ξ^(k(q^p − 1)/6) for p, k in 0..11, 0..5, from γ[p+1][k] = conj(γ[p][k])·γ[1][k]."""
    gamma1 = [FQ2_ONE]
    step = fq2_pow(XI, (Q - 1) // 6)
    for _ in range(5):
        gamma1.append(fq2_mul(gamma1[-1], step))
    table = [[FQ2_ONE] * 6, gamma1]
    for _ in range(10):
        table.append([fq2_mul(fq2_conj(g), g1) for g, g1 in zip(table[-1], gamma1)])
    return table


#: FROBENIUS_COEFFS[p][k] multiplies the coefficient of w^k in the q^p-power Frobenius map.
FROBENIUS_COEFFS = _frobenius_coefficients()


def fq12_frobenius(a, power: int = 1):
    """a^(q^power): conjugate the Fq2 coefficients when power is odd, then scale by precomputed constants."""
    power %= 12
    if power == 0:
        return a
    g = FROBENIUS_COEFFS[power]
    (a0, a1, a2), (b0, b1, b2) = a
    if power & 1:
        a0, a1, a2, b0, b1, b2 = (fq2_conj(c) for c in (a0, a1, a2, b0, b1, b2))
    return ((fq2_mul(a0, g[0]), fq2_mul(a1, g[2]), fq2_mul(a2, g[4])),
            (fq2_mul(b0, g[1]), fq2_mul(b1, g[3]), fq2_mul(b2, g[5])))


# --- the fast path: Fq-level formulas with lazy reduction ------------------------------

def _fq6_mul_lazy(a0, a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5):
    """The six Fq coefficients of (a0 + a1u, a2 + a3u, a4 + a5u)·(b0 + b1u, ...) in Fq6, unreduced.

    Karatsuba over Fq2 as in ``fq6_mul``; each Fq2 product is schoolbook (four Fq
    products are cheaper than Karatsuba's three plus its extra additions in CPython).
    """
    t0r = a0 * b0 - a1 * b1
    t0i = a0 * b1 + a1 * b0
    t1r = a2 * b2 - a3 * b3
    t1i = a2 * b3 + a3 * b2
    t2r = a4 * b4 - a5 * b5
    t2i = a4 * b5 + a5 * b4
    # c0 = t0 + ξ·((a1 + a2)(b1 + b2) − t1 − t2)
    x0, x1, y0, y1 = a2 + a4, a3 + a5, b2 + b4, b3 + b5
    sr = x0 * y0 - x1 * y1 - t1r - t2r
    si = x0 * y1 + x1 * y0 - t1i - t2i
    c0r = t0r + 9 * sr - si
    c0i = t0i + sr + 9 * si
    # c1 = (a0 + a1)(b0 + b1) − t0 − t1 + ξ·t2
    x0, x1, y0, y1 = a0 + a2, a1 + a3, b0 + b2, b1 + b3
    c1r = x0 * y0 - x1 * y1 - t0r - t1r + 9 * t2r - t2i
    c1i = x0 * y1 + x1 * y0 - t0i - t1i + t2r + 9 * t2i
    # c2 = (a0 + a2)(b0 + b2) − t0 − t2 + t1
    x0, x1, y0, y1 = a0 + a4, a1 + a5, b0 + b4, b1 + b5
    c2r = x0 * y0 - x1 * y1 - t0r - t2r + t1r
    c2i = x0 * y1 + x1 * y0 - t0i - t2i + t1i
    return c0r, c0i, c1r, c1i, c2r, c2i


def fq12_mul(a, b):
    """a·b in Fq12: Karatsuba over Fq6 (three Fq6 products), as ``fq12_mul_reference``."""
    ((a0, a1), (a2, a3), (a4, a5)), ((a6, a7), (a8, a9), (a10, a11)) = a
    ((b0, b1), (b2, b3), (b4, b5)), ((b6, b7), (b8, b9), (b10, b11)) = b
    t0, t1, t2, t3, t4, t5 = _fq6_mul_lazy(a0, a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5)
    s0, s1, s2, s3, s4, s5 = _fq6_mul_lazy(a6, a7, a8, a9, a10, a11, b6, b7, b8, b9, b10, b11)
    m0, m1, m2, m3, m4, m5 = _fq6_mul_lazy(a0 + a6, a1 + a7, a2 + a8, a3 + a9, a4 + a10, a5 + a11,
                                           b0 + b6, b1 + b7, b2 + b8, b3 + b9, b4 + b10, b5 + b11)
    # c0 = t + v·s, v·(s0, s1, s2) = (ξ·s2, s0, s1);  c1 = m − t − s
    return ((((t0 + 9 * s4 - s5) % Q, (t1 + s4 + 9 * s5) % Q),
             ((t2 + s0) % Q, (t3 + s1) % Q),
             ((t4 + s2) % Q, (t5 + s3) % Q)),
            (((m0 - t0 - s0) % Q, (m1 - t1 - s1) % Q),
             ((m2 - t2 - s2) % Q, (m3 - t3 - s3) % Q),
             ((m4 - t4 - s4) % Q, (m5 - t5 - s5) % Q)))


def fq12_sqr(a):
    """a² by the complex method: (a0 + a1w)² = (a0 + a1)(a0 + v·a1) − a0a1 − v·a0a1 + 2a0a1·w."""
    ((a0, a1), (a2, a3), (a4, a5)), ((a6, a7), (a8, a9), (a10, a11)) = a
    p0, p1, p2, p3, p4, p5 = _fq6_mul_lazy(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
    # (a0 + a1)·(a0 + v·a1), v·a1 = (ξ·a1[2], a1[0], a1[1])
    m0, m1, m2, m3, m4, m5 = _fq6_mul_lazy(a0 + a6, a1 + a7, a2 + a8, a3 + a9, a4 + a10, a5 + a11,
                                           a0 + 9 * a10 - a11, a1 + a10 + 9 * a11,
                                           a2 + a6, a3 + a7, a4 + a8, a5 + a9)
    return ((((m0 - p0 - 9 * p4 + p5) % Q, (m1 - p1 - p4 - 9 * p5) % Q),
             ((m2 - p2 - p0) % Q, (m3 - p3 - p1) % Q),
             ((m4 - p4 - p2) % Q, (m5 - p5 - p3) % Q)),
            ((2 * p0 % Q, 2 * p1 % Q), (2 * p2 % Q, 2 * p3 % Q), (2 * p4 % Q, 2 * p5 % Q)))


def fq12_cyclotomic_sqr(a):
    """a² for a in the cyclotomic subgroup (a^(q⁴ − q² + 1) = 1), Granger–Scott (ePrint 2009/565).

    Fq12 read as Fq4³ with Fq4 = Fq2[y]/(y² − ξ): the pairs (z0, z1), (z2, z3), (z4, z5)
    below are squared in Fq4 (t = z² costs three Fq2 squarings), then
    z0' = 3t0 − 2z0, z1' = 3t1 + 2z1, z2' = 3ξt5 + 2z2, z3' = 3t4 − 2z3, z4' = 3t2 − 2z4,
    z5' = 3t3 + 2z5.  Index layout as in wasmcurves and arkworks:
    z0 = c0.c0, z4 = c0.c1, z3 = c0.c2, z2 = c1.c0, z1 = c1.c1, z5 = c1.c2.
    """
    ((z0r, z0i), (z4r, z4i), (z3r, z3i)), ((z2r, z2i), (z1r, z1i), (z5r, z5i)) = a
    # (z0 + z1y)² = (z0² + ξz1²) + 2z0z1·y
    sr, si = (z0r + z0i) * (z0r - z0i), 2 * z0r * z0i        # z0²
    pr, pi = (z1r + z1i) * (z1r - z1i), 2 * z1r * z1i        # z1²
    t0r, t0i = sr + 9 * pr - pi, si + pr + 9 * pi
    t1r, t1i = z0r * z1r - z0i * z1i, z0r * z1i + z0i * z1r  # z0z1 (t1 = 2·z0z1)
    # (z2 + z3y)²
    sr, si = (z2r + z2i) * (z2r - z2i), 2 * z2r * z2i
    pr, pi = (z3r + z3i) * (z3r - z3i), 2 * z3r * z3i
    t2r, t2i = sr + 9 * pr - pi, si + pr + 9 * pi
    t3r, t3i = z2r * z3r - z2i * z3i, z2r * z3i + z2i * z3r
    # (z4 + z5y)²
    sr, si = (z4r + z4i) * (z4r - z4i), 2 * z4r * z4i
    pr, pi = (z5r + z5i) * (z5r - z5i), 2 * z5r * z5i
    t4r, t4i = sr + 9 * pr - pi, si + pr + 9 * pi
    t5r, t5i = z4r * z5r - z4i * z5i, z4r * z5i + z4i * z5r
    # ξ·t5 (t5 still halved)
    xr, xi = 9 * t5r - t5i, t5r + 9 * t5i
    return ((((3 * t0r - 2 * z0r) % Q, (3 * t0i - 2 * z0i) % Q),
             ((3 * t2r - 2 * z4r) % Q, (3 * t2i - 2 * z4i) % Q),
             ((3 * t4r - 2 * z3r) % Q, (3 * t4i - 2 * z3i) % Q)),
            (((6 * xr + 2 * z2r) % Q, (6 * xi + 2 * z2i) % Q),
             ((6 * t1r + 2 * z1r) % Q, (6 * t1i + 2 * z1i) % Q),
             ((6 * t3r + 2 * z5r) % Q, (6 * t3i + 2 * z5i) % Q)))


# --- conversions ----------------------------------------------------------------------

def _fq12_coefficients(a):
    """The Fq2 coefficients of a as a polynomial in w: [c_0, ..., c_5], c_k at w^k."""
    (a0, a1, a2), (b0, b1, b2) = a
    return [a0, b0, a1, b1, a2, b2]


def fq12_to_py_ecc(a):
    """The same element as py_ecc's ``optimized_bn128.FQ12`` (w¹² = 18w⁶ − 82 there).

    u = w⁶ − 9, so (re + im·u)·w^k = (re − 9·im)·w^k + im·w^(k+6)  (zk-interop §9).
    """
    from py_ecc.optimized_bn128 import FQ12
    coeffs = [0] * 12
    for k, (re, im) in enumerate(_fq12_coefficients(a)):
        coeffs[k] += int(re) - 9 * int(im)
        coeffs[k + 6] += int(im)
    return FQ12([c % int(Q) for c in coeffs])


def fq12_from_py_ecc(value):
    """Inverse of ``fq12_to_py_ecc``: from py_ecc's FQ12 (or its 12 integer coefficients)."""
    coeffs = [int(c) % int(Q) for c in getattr(value, "coeffs", value)]
    if len(coeffs) != 12:
        raise MalformedInput(f"an FQ12 value has 12 coefficients, got {len(coeffs)}")
    c = [(mpz(coeffs[k] + 9 * coeffs[k + 6]) % Q, mpz(coeffs[k + 6])) for k in range(6)]
    return ((c[0], c[2], c[4]), (c[1], c[3], c[5]))


def fq12_to_snarkjs_object(a):
    """snarkjs JSON form (e.g. ``vk_alphabeta_12``): [[a0, a1, a2], [b0, b1, b2]], each Fq2 as [c0, c1] decimal strings."""
    return [[[str(int(re)), str(int(im))] for re, im in half] for half in a]


def fq12_from_snarkjs_object(obj):
    """Parse the snarkjs JSON form; MalformedInput for a wrong shape, InvalidFieldElement for a value ≥ q."""
    def parse(value):
        if isinstance(value, str):
            if not value.isdigit() or not value.isascii():
                raise MalformedInput(f"an Fq12 coefficient must be a decimal string, got {value!r}")
            value = int(value)
        return fq_from_int(value)

    def shaped(value, length, what):
        if not isinstance(value, (list, tuple)) or len(value) != length:
            raise MalformedInput(f"{what} must be a list of {length}, got {value!r:.80}")
        return value

    return tuple(tuple((parse(pair[0]), parse(pair[1]))
                       for pair in (shaped(p, 2, "an Fq2 value") for p in shaped(half, 3, "an Fq6 value")))
                 for half in shaped(obj, 2, "an Fq12 value"))
