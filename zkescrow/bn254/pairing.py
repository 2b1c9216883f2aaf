"""The optimal ate pairing on BN254, e: G1 × G2 → GT ⊂ Fq12*, equal to snarkjs's to the byte.

    e(P, Q) = final_exponentiation(f_{6x+2,Q}(P) · l_{T,π(Q)}(P) · l_{T',−π²(Q)}(P))

(Vercauteren, "Optimal pairings", ePrint 2008/096; the BN form as in Beuchat et
al., ePrint 2010/354, alg. 1).  Argument order is G1 first.  Points are affine
tuples of mpz, None is the point at infinity and contributes 1.  Inputs are taken
as valid (on the curve, in the subgroup): check untrusted points with
``curve.g1_validate``/``curve.g2_validate`` first.

The work is split the way arkworks splits it (``G2Prepared``): ``prepare_g2``
walks [6x+2]Q on the twist in homogeneous projective coordinates and records the
line of every step; the Miller loop then only evaluates those lines at P and
multiplies them into f.  Lines are those of Aranha, Karabina, Longa, Gebotys and
López ("Faster explicit formulas for computing pairings over ordinary curves",
ePrint 2010/526, §4, D-type twist): l = c0·yP + c1·xP·w + c2·w³ with c0, c1, c2 in
Fq2.  Each line is stored divided by c0 (and evaluated divided by yP), i.e. as
1 + (c1/c0)(xP/yP)·w + (c2/c0)(1/yP)·w³: the dropped factor c0·yP lies in Fq2,
which the final exponentiation maps to 1, and the product with f becomes the
cheap sparse multiplication ``_mul_by_line``.  So ``miller_loop`` values agree
with other implementations only after the final exponentiation.

A multi-pairing runs one Miller loop for all pairs: one Fq12 squaring per step
shared by every pair, then one final exponentiation.
"""
from gmpy2 import invert, mpz

from ..errors import InvalidPoint
from .constants import ATE_LOOP_COUNT, B2, Q
from .fields import (batch_inverse, fq2_add, fq2_conj, fq2_mul, fq2_mul_scalar, fq2_neg, fq2_sqr,
                     fq2_sub)
from .final_exp import _naf, final_exponentiation
from .tower import FQ12_ONE, FROBENIUS_COEFFS, fq12_is_one, fq12_sqr

__all__ = ["G2Prepared", "prepare_g2", "miller_loop", "multi_miller_loop", "final_exponentiation",
           "pairing", "multi_pairing", "pairing_check"]

#: Digits of 6x + 2 below the leading one, most significant first (NAF: 21 additions instead of 36).
LOOP_DIGITS = tuple(_naf(ATE_LOOP_COUNT)[::-1][1:])

_TWO_INV = invert(mpz(2), Q)
_THREE_B2 = fq2_add(B2, fq2_add(B2, B2))
# π(x, y) = (conj(x)·ξ^((q−1)/3), conj(y)·ξ^((q−1)/2)) on the twist, π²(x, y) = (x·ξ^((q²−1)/3), y·ξ^((q²−1)/2))
_PI_X, _PI_Y = FROBENIUS_COEFFS[1][2], FROBENIUS_COEFFS[1][3]
_PI2_X, _PI2_Y = FROBENIUS_COEFFS[2][2], FROBENIUS_COEFFS[2][3]
_ZERO = mpz(0)
_FLAT_LINE = ((_ZERO, _ZERO), (_ZERO, _ZERO))   # a vertical line: lies in Fq6, so it is dropped


class G2Prepared:
    """A G2 point with the line coefficients of its Miller loop precomputed (arkworks' ``G2Prepared``).

    Keep one for a G2 point used in many pairings (a verifying key's γ, δ, β) and pass it in
    place of the point.  ``lines`` is empty for the point at infinity.
    """
    __slots__ = ("point", "lines")

    def __init__(self, point, lines):
        self.point = point
        self.lines = lines

    def __repr__(self) -> str:
        return f"G2Prepared({self.point!r}, {len(self.lines)} lines)"


# --- walking [6x+2]Q on the twist: E'(Fq2): y² = x³ + b', b' = 3/ξ -------------------

def _double_step(t):
    """2T and the tangent line at T, homogeneous projective (ePrint 2010/526 §4, eq. for the doubling)."""
    x, y, z = t
    a = fq2_mul_scalar(fq2_mul(x, y), _TWO_INV)       # XY/2
    b = fq2_sqr(y)                                    # Y²
    c = fq2_sqr(z)                                    # Z²
    e = fq2_mul(_THREE_B2, c)                         # 3b'Z²
    f = fq2_add(e, fq2_add(e, e))                     # 3e
    g = fq2_mul_scalar(fq2_add(b, f), _TWO_INV)       # (b + f)/2
    h = fq2_sub(fq2_sqr(fq2_add(y, z)), fq2_add(b, c))  # 2YZ
    j = fq2_sqr(x)                                    # X²
    e2 = fq2_sqr(e)
    doubled = (fq2_mul(a, fq2_sub(b, f)),
               fq2_sub(fq2_sqr(g), fq2_add(e2, fq2_add(e2, e2))),
               fq2_mul(b, h))
    # −2YZ·yP + 3X²·xP·w + (3b'Z² − Y²)·w³
    return doubled, (fq2_neg(h), fq2_add(j, fq2_add(j, j)), fq2_sub(e, b))


def _add_step(t, q):
    """T + Q (Q affine) and the line through them (ePrint 2010/526 §4, mixed addition)."""
    x, y, z = t
    qx, qy = q
    theta = fq2_sub(y, fq2_mul(qy, z))
    lam = fq2_sub(x, fq2_mul(qx, z))
    c = fq2_sqr(theta)
    d = fq2_sqr(lam)
    e = fq2_mul(lam, d)
    f = fq2_mul(z, c)
    g = fq2_mul(x, d)
    h = fq2_sub(fq2_add(e, f), fq2_add(g, g))
    added = (fq2_mul(lam, h), fq2_sub(fq2_mul(theta, fq2_sub(g, h)), fq2_mul(e, y)), fq2_mul(z, e))
    # λ·yP − θ·xP·w + (θ·qx − λ·qy)·w³
    return added, (lam, fq2_neg(theta), fq2_sub(fq2_mul(theta, qx), fq2_mul(lam, qy)))


def prepare_g2(point) -> G2Prepared:
    """The lines of the Miller loop of an affine G2 point (None: no lines), normalised to c0 = 1."""
    if isinstance(point, G2Prepared):
        return point
    if point is None:
        return G2Prepared(None, [])
    (x0, x1), (y0, y1) = point
    q = ((mpz(x0), mpz(x1)), (mpz(y0), mpz(y1)))
    minus_q = (q[0], fq2_neg(q[1]))
    t = (q[0], q[1], (mpz(1), _ZERO))
    raw = []
    for digit in LOOP_DIGITS:
        t, line = _double_step(t)
        raw.append(line)
        if digit:
            t, line = _add_step(t, q if digit == 1 else minus_q)
            raw.append(line)
    q1 = (fq2_mul(fq2_conj(q[0]), _PI_X), fq2_mul(fq2_conj(q[1]), _PI_Y))   # π(Q)
    q2 = (fq2_mul(q[0], _PI2_X), fq2_neg(fq2_mul(q[1], _PI2_Y)))           # −π²(Q)
    t, line = _add_step(t, q1)
    raw.append(line)
    raw.append(_add_step(t, q2)[1])
    return G2Prepared(q, _normalise(raw))


def _normalise(raw):
    """(c0, c1, c2) ↦ (c1/c0, c2/c0) with one inversion for all lines (Montgomery's trick on the norms)."""
    live = [i for i, (c0, _, _) in enumerate(raw) if c0[0] or c0[1]]
    norms = batch_inverse([raw[i][0][0] ** 2 + raw[i][0][1] ** 2 for i in live]) if live else []
    lines = [_FLAT_LINE] * len(raw)
    for i, norm_inv in zip(live, norms):
        c0, c1, c2 = raw[i]
        c0_inv = fq2_mul_scalar(fq2_conj(c0), norm_inv)
        lines[i] = (fq2_mul(c1, c0_inv), fq2_mul(c2, c0_inv))
    return lines


# --- the Miller loop ---------------------------------------------------------------------

def _mul_by_line(f, line, xs, ys):
    """f·(1 + l·w + m·w³) with l = line[0]·xs, m = line[1]·ys: a sparse product (the "034" case).

    With f = A + Bw and L = (l, m, 0) in Fq6:  f·(1 + Lw) = (A + v·B·L) + (A·L + B)·w,
    where X·L = (X0·l + ξ·X2·m,  X0·m + X1·l,  X1·m + X2·l).  Twenty-four Fq products
    per side instead of the 54 of a full product; one reduction per coefficient.
    """
    ((a0, a1), (a2, a3), (a4, a5)), ((b0, b1), (b2, b3), (b4, b5)) = f
    (c1r, c1i), (c2r, c2i) = line
    l0, l1 = c1r * xs % Q, c1i * xs % Q
    m0, m1 = c2r * ys % Q, c2i * ys % Q
    # B·L
    r0 = b4 * m0 - b5 * m1                      # X2·m, multiplied by ξ below
    i0 = b4 * m1 + b5 * m0
    p0r = b0 * l0 - b1 * l1 + 9 * r0 - i0
    p0i = b0 * l1 + b1 * l0 + r0 + 9 * i0
    p1r = b0 * m0 - b1 * m1 + b2 * l0 - b3 * l1
    p1i = b0 * m1 + b1 * m0 + b2 * l1 + b3 * l0
    p2r = b2 * m0 - b3 * m1 + b4 * l0 - b5 * l1
    p2i = b2 * m1 + b3 * m0 + b4 * l1 + b5 * l0
    # A·L
    r0 = a4 * m0 - a5 * m1
    i0 = a4 * m1 + a5 * m0
    s0r = a0 * l0 - a1 * l1 + 9 * r0 - i0
    s0i = a0 * l1 + a1 * l0 + r0 + 9 * i0
    s1r = a0 * m0 - a1 * m1 + a2 * l0 - a3 * l1
    s1i = a0 * m1 + a1 * m0 + a2 * l1 + a3 * l0
    s2r = a2 * m0 - a3 * m1 + a4 * l0 - a5 * l1
    s2i = a2 * m1 + a3 * m0 + a4 * l1 + a5 * l0
    # c0 = A + v·(B·L) = A + (ξ·p2, p0, p1);  c1 = A·L + B
    return ((((a0 + 9 * p2r - p2i) % Q, (a1 + p2r + 9 * p2i) % Q),
             ((a2 + p0r) % Q, (a3 + p0i) % Q),
             ((a4 + p1r) % Q, (a5 + p1i) % Q)),
            (((s0r + b0) % Q, (s0i + b1) % Q),
             ((s1r + b2) % Q, (s1i + b3) % Q),
             ((s2r + b4) % Q, (s2i + b5) % Q)))


def multi_miller_loop(pairs):
    """∏ Miller loop values of [(P, Q), ...] with one shared Fq12 squaring per step; Q may be a G2Prepared."""
    terms = []
    for p, q in pairs:
        prepared = prepare_g2(q)
        if p is None or not prepared.lines:
            continue
        x, y = p
        if not y:
            raise InvalidPoint("a G1 point with y = 0 is not on BN254 (the curve has no 2-torsion)")
        y_inv = invert(mpz(y), Q)
        terms.append((prepared.lines, mpz(x) * y_inv % Q, y_inv))
    f = FQ12_ONE
    if not terms:
        return f
    k = 0
    for digit in LOOP_DIGITS:
        if k:
            f = fq12_sqr(f)
        for lines, xs, ys in terms:
            f = _mul_by_line(f, lines[k], xs, ys)
        k += 1
        if digit:
            for lines, xs, ys in terms:
                f = _mul_by_line(f, lines[k], xs, ys)
            k += 1
    for lines, xs, ys in terms:                  # the lines through π(Q) and −π²(Q)
        f = _mul_by_line(_mul_by_line(f, lines[k], xs, ys), lines[k + 1], xs, ys)
    return f


def miller_loop(p, q):
    """The Miller loop value of e(P, Q) before the final exponentiation (P in G1, Q in G2 or G2Prepared)."""
    return multi_miller_loop([(p, q)])


def pairing(p, q):
    """e(P, Q) in GT, G1 argument first; equals snarkjs's ``pairing`` (py_ecc's value to the power m)."""
    return final_exponentiation(multi_miller_loop([(p, q)]))


def multi_pairing(pairs):
    """∏ e(Pi, Qi) with one Miller loop pass and one final exponentiation."""
    return final_exponentiation(multi_miller_loop(pairs))


def pairing_check(pairs) -> bool:
    """Whether ∏ e(Pi, Qi) = 1 (the check of Ethereum's pairing precompile and of Groth16 verifiers)."""
    return fq12_is_one(multi_pairing(pairs))
