"""Extended Jacobian ("XYZZ") coordinates for the MSM's buckets, in G1 and G2.

A point is ``(X, Y, ZZ, ZZZ)`` with x = X/ZZ, y = Y/ZZZ and ZZ³ = ZZZ² (ZZ = 0 is infinity).
Formulas from the Explicit-Formulas Database, a = 0 (hyperelliptic.org/EFD/g1p/auto-shortw-xyzz.html):
madd-2008-s (XYZZ + affine: 8M + 2S against the 7M + 4S of Jacobian madd-2004-hmv, and in
CPython fewer reductions), add-2008-s (12M + 2S against 12M + 4S) and dbl-2008-s-1.  The bucket
method adds one affine point into a bucket per term, so the mixed addition is the hot path: here
it takes 7 reductions and 10 products, against 7 and 11 (plus a small-integer product) in
Jacobian coordinates; in G2 14 Fq reductions and 36 products against 16 and 38.

Products feeding only one more product before a reduction (P·PP and X·PP) stay unreduced, and
doublings are shifts (``<<``), which gmpy2 does without converting a Python integer.
"""
from gmpy2 import invert, mpz

from .constants import Q

ZERO = mpz(0)
ONE = mpz(1)

#: Infinity in XYZZ coordinates, G1 and G2.
XYZZ_G1_INFINITY = (ONE, ONE, ZERO, ZERO)
_FQ2_0 = (ZERO, ZERO)
_FQ2_1 = (ONE, ZERO)
XYZZ_G2_INFINITY = (_FQ2_1, _FQ2_1, _FQ2_0, _FQ2_0)


# --- G1 ---------------------------------------------------------------------------------------

def xyzz_g1_from_jacobian(J):
    """(X, Y, Z) Jacobian → (X, Y, Z², Z³)."""
    X, Y, Z = J
    ZZ = Z * Z % Q
    return (X, Y, ZZ, ZZ * Z % Q)


def xyzz_g1_to_affine(P):
    """XYZZ → affine (one inversion); None for infinity."""
    X, Y, ZZ, ZZZ = P
    if not ZZ:
        return None
    inv = invert(ZZ * ZZZ, Q)              # 1/ZZ = ZZZ·inv, 1/ZZZ = ZZ·inv
    return (X * ZZZ % Q * inv % Q, Y * ZZ % Q * inv % Q)


def xyzz_g1_double(P):
    """2P (dbl-2008-s-1)."""
    X1, Y1, ZZ1, ZZZ1 = P
    if not ZZ1 or not Y1:
        return XYZZ_G1_INFINITY
    U = (Y1 << 1) % Q
    V = U * U % Q
    W = U * V % Q
    S = X1 * V % Q
    XX = X1 * X1 % Q
    M = (XX << 1) + XX
    X3 = (M * M - (S << 1)) % Q
    return (X3, (M * (S - X3) - W * Y1) % Q, V * ZZ1 % Q, W * ZZZ1 % Q)


def xyzz_g1_add_affine(P, A):
    """P + A for P in XYZZ and A affine, not None (madd-2008-s)."""
    X1, Y1, ZZ1, ZZZ1 = P
    x2, y2 = A
    if not ZZ1:
        return (x2, y2, ONE, ONE)
    Pp = x2 * ZZ1 % Q - X1
    Rr = y2 * ZZZ1 % Q - Y1
    if not Pp:
        return xyzz_g1_double(P) if not Rr else XYZZ_G1_INFINITY
    PP = Pp * Pp % Q
    PPP = Pp * PP                           # PPP and V stay unreduced: each feeds reduced outputs only
    V = X1 * PP
    X3 = (Rr * Rr - PPP - (V << 1)) % Q
    return (X3, (Rr * (V - X3) - Y1 * PPP) % Q, ZZ1 * PP % Q, ZZZ1 * PPP % Q)


def xyzz_g1_add(P1, P2):
    """P1 + P2, both XYZZ (add-2008-s)."""
    X1, Y1, ZZ1, ZZZ1 = P1
    X2, Y2, ZZ2, ZZZ2 = P2
    if not ZZ1:
        return P2
    if not ZZ2:
        return P1
    U1 = X1 * ZZ2 % Q
    S1 = Y1 * ZZZ2 % Q
    Pp = X2 * ZZ1 % Q - U1
    Rr = Y2 * ZZZ1 % Q - S1
    if not Pp:
        return xyzz_g1_double(P1) if not Rr else XYZZ_G1_INFINITY
    PP = Pp * Pp % Q
    PPP = Pp * PP
    V = U1 * PP
    X3 = (Rr * Rr - PPP - (V << 1)) % Q
    return (X3, (Rr * (V - X3) - S1 * PPP) % Q, ZZ1 * ZZ2 * PP % Q, ZZZ1 * ZZZ2 * PPP % Q)


# --- G2 (Fq2 = Fq[u]/(u² + 1), products written out) ---------------------------------------

def xyzz_g2_from_jacobian(J):
    (X, Y, (z0, z1)) = J
    zz0 = (z0 + z1) * (z0 - z1) % Q
    zz1 = (z0 * z1 << 1) % Q
    return (X, Y, (zz0, zz1), ((zz0 * z0 - zz1 * z1) % Q, (zz0 * z1 + zz1 * z0) % Q))


def xyzz_g2_to_affine(P):
    """XYZZ → affine (one Fq inversion: 1/a = ā/|a|² for a = ZZ·ZZZ); None for infinity."""
    (X0, X1), (Y0, Y1), (zz0, zz1), (zzz0, zzz1) = P
    if not (zz0 or zz1):
        return None
    a0 = (zz0 * zzz0 - zz1 * zzz1) % Q
    a1 = (zz0 * zzz1 + zz1 * zzz0) % Q
    ni = invert(a0 * a0 + a1 * a1, Q)
    i0, i1 = a0 * ni % Q, -a1 * ni % Q      # 1/(ZZ·ZZZ)
    s0, s1 = (zzz0 * i0 - zzz1 * i1) % Q, (zzz0 * i1 + zzz1 * i0) % Q   # 1/ZZ
    t0, t1 = (zz0 * i0 - zz1 * i1) % Q, (zz0 * i1 + zz1 * i0) % Q       # 1/ZZZ
    return (((X0 * s0 - X1 * s1) % Q, (X0 * s1 + X1 * s0) % Q),
            ((Y0 * t0 - Y1 * t1) % Q, (Y0 * t1 + Y1 * t0) % Q))


def xyzz_g2_double(P):
    """2P (dbl-2008-s-1)."""
    (X0, X1), (Y0, Y1), (zz0, zz1), (zzz0, zzz1) = P
    if not (zz0 or zz1) or not (Y0 or Y1):
        return XYZZ_G2_INFINITY
    u0, u1 = (Y0 << 1) % Q, (Y1 << 1) % Q                       # U = 2Y
    v0, v1 = (u0 + u1) * (u0 - u1) % Q, (u0 * u1 << 1) % Q       # V = U²
    w0, w1 = (u0 * v0 - u1 * v1) % Q, (u0 * v1 + u1 * v0) % Q     # W = U·V
    s0, s1 = (X0 * v0 - X1 * v1) % Q, (X0 * v1 + X1 * v0) % Q     # S = X·V
    a0, a1 = (X0 + X1) * (X0 - X1) % Q, (X0 * X1 << 1) % Q       # X²
    m0, m1 = (a0 << 1) + a0, (a1 << 1) + a1                       # M = 3X²
    x0 = ((m0 + m1) * (m0 - m1) - (s0 << 1)) % Q                 # X3 = M² − 2S
    x1 = ((m0 * m1 << 1) - (s1 << 1)) % Q
    e0, e1 = s0 - x0, s1 - x1                                     # Y3 = M(S − X3) − W·Y
    return ((x0, x1),
            ((m0 * e0 - m1 * e1 - w0 * Y0 + w1 * Y1) % Q, (m0 * e1 + m1 * e0 - w0 * Y1 - w1 * Y0) % Q),
            ((v0 * zz0 - v1 * zz1) % Q, (v0 * zz1 + v1 * zz0) % Q),
            ((w0 * zzz0 - w1 * zzz1) % Q, (w0 * zzz1 + w1 * zzz0) % Q))


def xyzz_g2_add_affine(P, A):
    """P + A for P in XYZZ and A affine, not None (madd-2008-s)."""
    (X0, X1), (Y0, Y1), (zz0, zz1), (zzz0, zzz1) = P
    if not (zz0 or zz1):
        return (A[0], A[1], _FQ2_1, _FQ2_1)
    (ax0, ax1), (ay0, ay1) = A
    p0 = (ax0 * zz0 - ax1 * zz1 - X0) % Q          # P = x·ZZ − X
    p1 = (ax0 * zz1 + ax1 * zz0 - X1) % Q
    r0 = (ay0 * zzz0 - ay1 * zzz1 - Y0) % Q        # R = y·ZZZ − Y
    r1 = (ay0 * zzz1 + ay1 * zzz0 - Y1) % Q
    if not (p0 or p1):
        return xyzz_g2_double(P) if not (r0 or r1) else XYZZ_G2_INFINITY
    q0 = (p0 + p1) * (p0 - p1) % Q                 # PP = P²
    q1 = (p0 * p1 << 1) % Q
    g0 = p0 * q0 - p1 * q1                         # PPP = P·PP and V = X·PP, unreduced
    g1 = p0 * q1 + p1 * q0
    v0 = X0 * q0 - X1 * q1
    v1 = X0 * q1 + X1 * q0
    x0 = ((r0 + r1) * (r0 - r1) - g0 - (v0 << 1)) % Q     # X3 = R² − PPP − 2V
    x1 = ((r0 * r1 << 1) - g1 - (v1 << 1)) % Q
    e0 = v0 - x0
    e1 = v1 - x1                                   # Y3 = R(V − X3) − Y·PPP
    return ((x0, x1),
            ((r0 * e0 - r1 * e1 - Y0 * g0 + Y1 * g1) % Q, (r0 * e1 + r1 * e0 - Y0 * g1 - Y1 * g0) % Q),
            ((zz0 * q0 - zz1 * q1) % Q, (zz0 * q1 + zz1 * q0) % Q),          # ZZ3 = ZZ·PP
            ((zzz0 * g0 - zzz1 * g1) % Q, (zzz0 * g1 + zzz1 * g0) % Q))      # ZZZ3 = ZZZ·PPP


def xyzz_g2_add(P1, P2):
    """P1 + P2, both XYZZ (add-2008-s)."""
    (X10, X11), (Y10, Y11), (a0, a1), (b0, b1) = P1
    (X20, X21), (Y20, Y21), (c0, c1), (d0, d1) = P2
    if not (a0 or a1):
        return P2
    if not (c0 or c1):
        return P1
    u0 = (X10 * c0 - X11 * c1) % Q                 # U1 = X1·ZZ2
    u1 = (X10 * c1 + X11 * c0) % Q
    s0 = (Y10 * d0 - Y11 * d1) % Q                 # S1 = Y1·ZZZ2
    s1 = (Y10 * d1 + Y11 * d0) % Q
    p0 = (X20 * a0 - X21 * a1 - u0) % Q            # P = X2·ZZ1 − U1
    p1 = (X20 * a1 + X21 * a0 - u1) % Q
    r0 = (Y20 * b0 - Y21 * b1 - s0) % Q            # R = Y2·ZZZ1 − S1
    r1 = (Y20 * b1 + Y21 * b0 - s1) % Q
    if not (p0 or p1):
        return xyzz_g2_double(P1) if not (r0 or r1) else XYZZ_G2_INFINITY
    q0 = (p0 + p1) * (p0 - p1) % Q                 # PP
    q1 = (p0 * p1 << 1) % Q
    g0 = (p0 * q0 - p1 * q1) % Q                   # PPP
    g1 = (p0 * q1 + p1 * q0) % Q
    v0 = u0 * q0 - u1 * q1                         # V = U1·PP, unreduced
    v1 = u0 * q1 + u1 * q0
    x0 = ((r0 + r1) * (r0 - r1) - g0 - (v0 << 1)) % Q
    x1 = ((r0 * r1 << 1) - g1 - (v1 << 1)) % Q
    e0 = v0 - x0
    e1 = v1 - x1
    y0 = (r0 * e0 - r1 * e1 - s0 * g0 + s1 * g1) % Q
    y1 = (r0 * e1 + r1 * e0 - s0 * g1 - s1 * g0) % Q
    t0 = (a0 * c0 - a1 * c1) % Q                   # ZZ1·ZZ2
    t1 = (a0 * c1 + a1 * c0) % Q
    w0 = (b0 * d0 - b1 * d1) % Q                   # ZZZ1·ZZZ2
    w1 = (b0 * d1 + b1 * d0) % Q
    return ((x0, x1), (y0, y1),
            ((t0 * q0 - t1 * q1) % Q, (t0 * q1 + t1 * q0) % Q),
            ((w0 * g0 - w1 * g1) % Q, (w0 * g1 + w1 * g0) % Q))
