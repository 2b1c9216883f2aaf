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
from .fields import batch_inverse, fq2_conj, fq2_mul, fq2_neg
from .final_exp import _naf, final_exponentiation
from .tower import FQ12_ONE, FROBENIUS_COEFFS, fq12_is_one, fq12_sqr

__all__ = ["G2Prepared", "prepare_g2", "miller_loop", "multi_miller_loop", "final_exponentiation",
           "pairing", "multi_pairing", "pairing_check"]

#: Digits of 6x + 2 below the leading one, most significant first (NAF: 21 additions instead of 36).
LOOP_DIGITS = tuple(_naf(ATE_LOOP_COUNT)[::-1][1:])

_TWO_INV = invert(mpz(2), Q)
_B3_0, _B3_1 = 3 * B2[0] % Q, 3 * B2[1] % Q          # 3b'
# π(x, y) = (conj(x)·ξ^((q−1)/3), conj(y)·ξ^((q−1)/2)) on the twist, π²(x, y) = (x·ξ^((q²−1)/3), y·ξ^((q²−1)/2))
_PI_X, _PI_Y = FROBENIUS_COEFFS[1][2], FROBENIUS_COEFFS[1][3]
_PI2_X, _PI2_Y = FROBENIUS_COEFFS[2][2], FROBENIUS_COEFFS[2][3]
_ZERO = mpz(0)
# A vertical line (c0 = 0, only for points outside G2) is w times an element of Fq6: the final
# exponentiation maps it to 1, so it is stored as the line 1.
_FLAT_LINE = ((_ZERO, _ZERO), (_ZERO, _ZERO))


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
    """2T and the tangent line at T in homogeneous projective coordinates (ePrint 2010/526 §4, doubling).

        a = XY/2, b = Y², c = Z², e = 3b'c, f = 3e, g = (b + f)/2, h = 2YZ, j = X²
        2T = (a(b − f), g² − 3e², bh),   line = −h·yP + 3j·xP·w + (e − b)·w³

    Spelled out over Fq (u² = −1) so each coefficient is reduced once.
    """
    (x0, x1), (y0, y1), (z0, z1) = t
    a0 = (x0 * y0 - x1 * y1) * _TWO_INV % Q
    a1 = (x0 * y1 + x1 * y0) * _TWO_INV % Q
    b0, b1 = (y0 + y1) * (y0 - y1) % Q, 2 * y0 * y1 % Q
    c0, c1 = (z0 + z1) * (z0 - z1) % Q, 2 * z0 * z1 % Q
    e0, e1 = (_B3_0 * c0 - _B3_1 * c1) % Q, (_B3_0 * c1 + _B3_1 * c0) % Q
    f0, f1 = 3 * e0, 3 * e1
    g0, g1 = (b0 + f0) * _TWO_INV % Q, (b1 + f1) * _TWO_INV % Q
    h0, h1 = 2 * (y0 * z0 - y1 * z1) % Q, 2 * (y0 * z1 + y1 * z0) % Q
    j0, j1 = (x0 + x1) * (x0 - x1), 2 * x0 * x1
    s0, s1 = b0 - f0, b1 - f1
    doubled = (((a0 * s0 - a1 * s1) % Q, (a0 * s1 + a1 * s0) % Q),
               (((g0 + g1) * (g0 - g1) - 3 * (e0 + e1) * (e0 - e1)) % Q, 2 * (g0 * g1 - 3 * e0 * e1) % Q),
               ((b0 * h0 - b1 * h1) % Q, (b0 * h1 + b1 * h0) % Q))
    return doubled, ((-h0 % Q, -h1 % Q), (3 * j0 % Q, 3 * j1 % Q), ((e0 - b0) % Q, (e1 - b1) % Q))


def _add_step(t, q):
    """T + Q (Q affine) and the line through them (ePrint 2010/526 §4, mixed addition).

        θ = Y − qy·Z, λ = X − qx·Z, c = θ², d = λ², e = λd, f = Zc, g = Xd, h = e + f − 2g
        T + Q = (λh, θ(g − h) − eY, Ze),   line = λ·yP − θ·xP·w + (θ·qx − λ·qy)·w³
    """
    (x0, x1), (y0, y1), (z0, z1) = t
    (qx0, qx1), (qy0, qy1) = q
    th0, th1 = (y0 - qy0 * z0 + qy1 * z1) % Q, (y1 - qy0 * z1 - qy1 * z0) % Q
    la0, la1 = (x0 - qx0 * z0 + qx1 * z1) % Q, (x1 - qx0 * z1 - qx1 * z0) % Q
    c0, c1 = (th0 + th1) * (th0 - th1) % Q, 2 * th0 * th1 % Q
    d0, d1 = (la0 + la1) * (la0 - la1) % Q, 2 * la0 * la1 % Q
    e0, e1 = (la0 * d0 - la1 * d1) % Q, (la0 * d1 + la1 * d0) % Q
    g0, g1 = (x0 * d0 - x1 * d1) % Q, (x0 * d1 + x1 * d0) % Q
    h0 = (e0 + z0 * c0 - z1 * c1 - 2 * g0) % Q
    h1 = (e1 + z0 * c1 + z1 * c0 - 2 * g1) % Q
    s0, s1 = g0 - h0, g1 - h1
    added = (((la0 * h0 - la1 * h1) % Q, (la0 * h1 + la1 * h0) % Q),
             ((th0 * s0 - th1 * s1 - e0 * y0 + e1 * y1) % Q, (th0 * s1 + th1 * s0 - e0 * y1 - e1 * y0) % Q),
             ((z0 * e0 - z1 * e1) % Q, (z0 * e1 + z1 * e0) % Q))
    return added, ((la0, la1), (-th0 % Q, -th1 % Q),
                   ((th0 * qx0 - th1 * qx1 - la0 * qy0 + la1 * qy1) % Q,
                    (th0 * qx1 + th1 * qx0 - la0 * qy1 - la1 * qy0) % Q))


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
    """(c0, c1, c2) ↦ (c1/c0, c2/c0) with one inversion for all lines: 1/c0 = conj(c0)/N(c0), the norms
    inverted together by Montgomery's trick.  A vertical line (c0 = 0) becomes 1, see ``_FLAT_LINE``."""
    live = [i for i, ((r, s), _, _) in enumerate(raw) if r or s]
    norm_invs = batch_inverse([raw[i][0][0] ** 2 + raw[i][0][1] ** 2 for i in live]) if live else []
    lines = [_FLAT_LINE] * len(raw)
    for i, n in zip(live, norm_invs):
        (c0r, c0i), (c1r, c1i), (c2r, c2i) = raw[i]
        i0, i1 = c0r * n % Q, -c0i * n % Q
        lines[i] = (((c1r * i0 - c1i * i1) % Q, (c1r * i1 + c1i * i0) % Q),
                    ((c2r * i0 - c2i * i1) % Q, (c2r * i1 + c2i * i0) % Q))
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
