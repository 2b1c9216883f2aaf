"""Baby Jubjub in-circuit (circomlib babyjub.circom, escalarmulfix.circom, escalarmulany.circom).

Points are pairs (x, y) of signals in twisted Edwards form.  Additions use the complete
Edwards law, so no input makes them exceptional, and each hinted coordinate is pinned by one
constraint `denominator · out = numerator` whose denominator is never 0 for points on the curve.
The fixed-base multiplication adds in Montgomery form (half the cost) where the comment above
``scalar_mul_fixed`` shows that no exceptional case can arise; so does ``scalar_mul_prime_order``
for a point its caller knows to be of prime order (EdDSA's 8·A).  ``scalar_mul_any`` stays in
Edwards form, so it is correct for every point on the curve, torsion included.

Constraint counts (circomlib's, circom --O2, in brackets):
    assert_on_curve 3 [BabyCheck 3]          point_add 6 [BabyAdd 6]      point_double 5 [BabyDbl 6]
    assert_not_small_order 16 [3·BabyDbl + IsZero + enabled = 21]
    scalar_mul_fixed, 253 bits: 514 [EscalarMulFix(253) 523]      derive_public_key 767 [BabyPbk 776]
    scalar_mul_any, 254 bits: 2793, 11 per bit (Edwards, 2-bit windows) [EscalarMulAny(254) 2310]
    scalar_mul_prime_order, 254 bits: 2301, 9 per bit (Montgomery, P of prime order) [EscalarMulAny(254) 2310]
"""
from __future__ import annotations

from functools import lru_cache

from gmpy2 import invert

from circuits.crypto.babyjub import A, BASE8, D, IDENTITY, Point
from zkescrow.bn254.constants import R


def _div(num: int, den: int) -> int:
    """num / den in F_r; 0 when den = 0 (the constraint den·out = num then fails unless num = 0)."""
    return num * int(invert(den, R)) % R if den % R else 0


def _quotient(cs, num, den):
    """A new signal q with den·q = num (1 constraint)."""
    q = cs.hint(_div, num, den, name="quotient")
    cs.assert_product(den, q, num)
    return q


def assert_on_curve(cs, x, y) -> None:
    """Constrain a·x² + y² = 1 + d·x²·y² (3 constraints)."""
    with cs.scope("BabyCheck"):
        x, y = cs._signal(x), cs._signal(y)
        x2, y2 = x * x, y * y
        cs.assert_product(x2, y2.scale(D), x2.scale(A) + y2 - 1)


def point_add(cs, x1, y1, x2, y2) -> tuple:
    """(x1, y1) + (x2, y2) by the complete addition law (6 constraints; 3 if one point is constant)."""
    with cs.scope("BabyAdd"):
        x1, y1, x2, y2 = (cs._signal(v) for v in (x1, y1, x2, y2))
        beta = x1 * y2
        gamma = y1 * x2
        delta = (y1 - x1.scale(A)) * (x2 + y2)
        tau = beta * gamma                                   # x1·x2·y1·y2
        x3 = _quotient(cs, beta + gamma, 1 + tau.scale(D))
        y3 = _quotient(cs, delta + beta.scale(A) - gamma, 1 - tau.scale(D))
        return x3, y3


def point_double(cs, x, y) -> tuple:
    """2·(x, y) for a point ALREADY constrained on the curve (5 constraints).

    x3 = 2xy / (a·x² + y²),  y3 = (y² − a·x²) / (2 − a·x² − y²); on the curve the denominators
    equal 1 ± d·x²y², which the complete law keeps non-zero.
    """
    with cs.scope("BabyDbl"):
        x, y = cs._signal(x), cs._signal(y)
        x2, y2, xy = x * x, y * y, x * y
        ax2 = x2.scale(A)
        return _quotient(cs, xy.scale(2), ax2 + y2), _quotient(cs, y2 - ax2, 2 - ax2 - y2)


def is_identity(cs, x, y):
    """1 if (x, y) = (0, 1), else 0 (5 constraints)."""
    from .compare import is_equal, is_zero
    with cs.scope("IsIdentity"):
        return is_zero(cs, x) * is_equal(cs, y, 1)


def assert_not_small_order(cs, x, y, *, enabled=None) -> tuple:
    """Constrain 8·P ≠ identity for P on the curve (skipped when enabled = 0); returns 8·P (16 constraints).

    On the curve, 8·P has x = 0 only if 8·P is the identity (the other x = 0 point, (0, −1), has
    order 2 and is not a multiple of 8 in a group of order 8·prime), so checking x ≠ 0 suffices.
    """
    with cs.scope("NotSmallOrder"):
        for _ in range(3):
            x, y = point_double(cs, x, y)
        on = 1 if enabled is None else enabled
        inverse = cs.hint(lambda v, e: int(invert(v, R)) if v and e else 0, x, on, name="inverse")
        cs.assert_product(x, inverse, on)
        return x, y


# --- fixed base: Montgomery-form windows --------------------------------------------------
#
# Baby Jubjub is birationally equivalent to the Montgomery curve v² = u³ + 168698·u² + u
# (u = (1 + y)/(1 − y), v = u/x), where an addition costs 3 constraints instead of 6 but is
# undefined when the two points are equal, opposite, or the identity.  scalar_mul_fixed
# uses it only where none of that can happen, for ANY boolean bits:
#
#   the scalar is cut into 3-bit digits w_j, window j adds T_j[w_j] = (w_j + 2)·8^j·B (never the
#   identity), and the windows are grouped in segments of ≤ 83 windows.  Inside a segment, in
#   units of its first window's base B_s, the running sum is Σ_{i<t} (w_i + 2)·8^i
#   ≤ 9·(8^t − 1)/7 < 2·8^t ≤ the next addend (w_t + 2)·8^t, and the total stays below
#   9·8^83/7 < SUBORDER.  As B has prime order SUBORDER, the running sum is never ± the addend
#   and never the identity.  Each segment goes back to Edwards form (2 constraints), segments
#   are added with the complete law, and the constant offset Σ_j 2·8^j·B is subtracted at the end.

MONTGOMERY_A = 168698             # 2(a + d)/(a − d); the Montgomery B = 4/(a − d) is 1
_SEGMENT_WINDOWS = 83


def _to_montgomery(p: Point) -> tuple:
    u = (1 + p.y) * invert(1 - p.y, R) % R
    return int(u), int(u * invert(p.x, R) % R)


@lru_cache(maxsize=16)
def _fixed_tables(x: int, y: int, n_bits: int) -> tuple:
    """(segments, offset): per segment, per 3-bit window j, ((w + 2)·8^j·B in Montgomery form for w < 8)."""
    base = Point(x, y)
    if base.is_identity() or not base.in_subgroup():
        raise ValueError("scalar_mul_fixed needs a base point of prime order SUBORDER")
    windows, offset = [], IDENTITY
    for _ in range(0, n_bits, 3):
        row, entry = [], base.double()
        for _w in range(8):
            row.append(_to_montgomery(entry))
            entry = entry + base
        windows.append(tuple(row))
        offset = offset + base.double()
        base = base.mul(8)
    segments = [windows[i:i + _SEGMENT_WINDOWS] for i in range(0, len(windows), _SEGMENT_WINDOWS)]
    return segments, (int(offset.x), int(offset.y))


def _montgomery_add(cs, p1, p2) -> tuple:
    """p1 + p2 on the Montgomery curve for p1 ≠ ±p2, neither the identity (3 constraints)."""
    (u1, v1), (u2, v2) = p1, p2
    lam = _quotient(cs, v2 - v1, u2 - u1)
    u3 = lam * lam - MONTGOMERY_A - u1 - u2
    v3 = lam * (u1 - u3) - v1
    return u3, v3


def _montgomery_to_edwards(cs, u, v) -> tuple:
    """x = u/v, y = (u − 1)/(u + 1) (2 constraints; v ≠ 0 off the points of order ≤ 2)."""
    return _quotient(cs, u, v), _quotient(cs, u - 1, u + 1)


def _select_constant(cs, bits, table, both=None):
    """table[Σ 2^i·bits[i]] for a constant table of 2, 4 or 8 values (0, 1 or 3 constraints for both)."""
    if len(bits) == 1:
        return [cs.constant(t0) + bits[0].scale(t1 - t0) for t0, t1 in zip(*table)]
    if both is None:
        both = bits[0] * bits[1]
    if len(bits) == 2:
        return [cs.sum([t0, bits[0].scale(t1 - t0), bits[1].scale(t2 - t0), both.scale(t3 - t2 - t1 + t0)])
                for t0, t1, t2, t3 in zip(*table)]
    low = _select_constant(cs, bits[:2], table[:4], both)
    high = _select_constant(cs, bits[:2], table[4:], both)
    return [lo + bits[2] * (hi - lo) for lo, hi in zip(low, high)]


def scalar_mul_fixed(cs, bits, base_point) -> tuple:
    """Σ 2^i·bits[i] · B for a constant B of prime order and boolean-constrained bits (LSB first).

    ≈ 2 constraints per bit: each 3-bit window selects a constant (3) and adds it in Montgomery
    form (3); see the comment above for why no addition is exceptional.
    """
    bits = [cs._signal(b) for b in bits]
    if not bits:
        return cs.constant(0), cs.constant(1)
    base_x, base_y = base_point
    segments, offset = _fixed_tables(int(base_x), int(base_y), len(bits))
    with cs.scope("EscalarMulFix"):
        total, j = None, 0
        for segment in segments:
            acc = None
            for table in segment:
                window = bits[3 * j:3 * j + 3]
                selected = _select_constant(cs, window, table[:1 << len(window)])
                acc = selected if acc is None else _montgomery_add(cs, acc, selected)
                j += 1
            part = _montgomery_to_edwards(cs, *acc)
            total = part if total is None else point_add(cs, *total, *part)
        return point_add(cs, *total, (R - offset[0]) % R, offset[1])


def _select_point(cs, bits, table):
    """table[Σ 2^i·bits[i]] for a table of 2 or 4 signal points (2 or 6 constraints)."""
    def mux(sel, a, b):
        return [ai + sel * (bi - ai) for ai, bi in zip(a, b)]
    if len(bits) == 1:
        return mux(bits[0], table[0], table[1])
    return mux(bits[1], mux(bits[0], table[0], table[1]), mux(bits[0], table[2], table[3]))


def scalar_mul_any(cs, bits, point) -> tuple:
    """Σ 2^i·bits[i] · P for a point P = (x, y) of signals and boolean-constrained bits (LSB first).

    P is constrained on the curve here.  2-bit windows, most significant first:
    acc ← 4·acc + table[window] with table = (O, P, 2P, 3P).
    """
    bits = [cs._signal(b) for b in bits]
    with cs.scope("EscalarMulAny"):
        px, py = cs._signal(point[0]), cs._signal(point[1])
        assert_on_curve(cs, px, py)
        p2 = point_double(cs, px, py)
        table = [(cs.constant(0), cs.constant(1)), (px, py), p2, point_add(cs, *p2, px, py)]
        windows = [bits[i:i + 2] for i in range(0, len(bits), 2)]
        acc = None
        for window in reversed(windows):
            selected = _select_point(cs, window, table)
            if acc is None:
                acc = selected
                continue
            for _ in window:
                acc = point_double(cs, *acc)
            acc = point_add(cs, *acc, *selected)
        return tuple(acc)


def derive_public_key(cs, secret) -> tuple:
    """secret·BASE8 for a secret < 2^253, as circomlib's BabyPbk (253 + 514 constraints; BabyPbk 776)."""
    from .bits import num2bits
    with cs.scope("BabyPbk"):
        return scalar_mul_fixed(cs, num2bits(cs, secret, 253), BASE8)


# --- variable base of prime order: Montgomery-form double-and-add ---------------------------
#
# For P of prime order SUBORDER (such as 8·A for A on the curve and not of small order) the
# additions can be done in Montgomery form as circomlib's EscalarMulAny does, least significant
# bit first: acc starts at P (standing in for bit 0) and D_i = 2^i·P; step i ≥ 1 sets
# acc ← bit_i ? acc + D_i : acc.  Before step i, acc = c·P with 1 ≤ c ≤ 2^i − 1 < 2^i, and
# c + 2^i < SUBORDER while i < 250, so acc is never ±D_i nor the identity, whatever the bits.
# Segments of 250 bits restart from D = 2^250·P.  Each segment ends in Edwards form and
# subtracts P when bit 0 is 0.  With a point of small order these additions WOULD be
# exceptional (and their output unconstrained): use scalar_mul_any for such points.

_SEGMENT_BITS = 250


def _edwards_to_montgomery(cs, x, y) -> tuple:
    """u = (1 + y)/(1 − y), v = u/x (2 constraints; not for the identity or the points with x = 0)."""
    u = _quotient(cs, 1 + y, 1 - y)
    return u, _quotient(cs, u, x)


def _montgomery_double(cs, u, v) -> tuple:
    """2·(u, v) on the Montgomery curve for v ≠ 0 (4 constraints)."""
    lam = _quotient(cs, (u * u).scale(3) + u.scale(2 * MONTGOMERY_A) + 1, v.scale(2))
    u3 = lam * lam - MONTGOMERY_A - u.scale(2)
    return u3, lam * (u - u3) - v


def scalar_mul_prime_order(cs, bits, point) -> tuple:
    """Σ 2^i·bits[i] · P for P = (x, y) of PRIME ORDER SUBORDER, which the caller must guarantee.

    Boolean-constrained bits, LSB first; 9 constraints per bit (see the comment above).
    """
    bits = [cs._signal(b) for b in bits]
    if not bits:
        return cs.constant(0), cs.constant(1)
    with cs.scope("EscalarMulPrimeOrder"):
        base_xy = (cs._signal(point[0]), cs._signal(point[1]))
        base = dbl = _edwards_to_montgomery(cs, *base_xy)
        total = None
        for start in range(0, len(bits), _SEGMENT_BITS):
            segment = bits[start:start + _SEGMENT_BITS]
            if start:
                base = dbl = _montgomery_double(cs, *dbl)                 # 2^start·P
                base_xy = _montgomery_to_edwards(cs, *base)
            acc = base
            for bit in segment[1:]:
                dbl = _montgomery_double(cs, *dbl)
                added = _montgomery_add(cs, acc, dbl)
                acc = [a + bit * (b - a) for a, b in zip(acc, added)]
            acc_xy = _montgomery_to_edwards(cs, *acc)
            without_p = point_add(cs, *acc_xy, -base_xy[0], base_xy[1])
            part = [w + segment[0] * (a - w) for a, w in zip(acc_xy, without_p)]
            total = part if total is None else point_add(cs, *total, *part)
        return tuple(total)

