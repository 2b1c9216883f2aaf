"""Scalar multiplication for key generation: many multiples of one point, and G2 split by ψ.

``FixedBase``: k_1·P … k_N·P for one point P (``setup_dev``).

A table holds d·2^(w·j)·P for every w-bit window j and digit d, so k·P is one addition per
non-zero window of k.  The N accumulators advance together, window by window, in affine
coordinates: the N slopes of a round share one field inversion (Montgomery's trick), which
makes an addition about six multiplications instead of the eleven of a Jacobian mixed addition.
The rare pairs with equal x (a doubling or P + (−P)) take the ordinary affine formulas.

``jac_g2_mul_psi(P, k)``: k·P for P in G2 as k0·P + k1·ψ(P), k = k0 + k1·λ, λ = 6x² ≈ 2^127 the
eigenvalue of ψ on G2, so both halves have 127 bits and the interleaved wNAF loop doubles half
as often as a plain 254-bit one (``setup`` spends most of its time multiplying G2 points).
Only valid for points of the order-r subgroup, as the ptau's G2 points are.
"""
from __future__ import annotations

from ..bn254.constants import Q, R
from ..bn254.curve import (JAC_G2_INFINITY, PSI_EIGENVALUE, g1_add, g2_add, g2_double, g2_neg, g2_psi,
                           jac_g2_add_affine, jac_g2_double, wnaf)
from ..bn254.fields import batch_inverse

WINDOW = 8
_SCALAR_BITS = 256


def _add_round_g1(acc, addends, active):
    """acc[i] += addends[i] for i in ``active`` (all non-None), affine, one inversion."""
    easy, hard = [], []
    for i in active:
        a = acc[i]
        if a is None:
            acc[i] = addends[i]
        elif a[0] == addends[i][0]:
            hard.append(i)
        else:
            easy.append(i)
    invs = batch_inverse([(addends[i][0] - acc[i][0]) % Q for i in easy], Q) if easy else []
    for i, inv in zip(easy, invs):
        x1, y1 = acc[i]
        x2, y2 = addends[i]
        lam = (y2 - y1) * inv % Q
        x3 = (lam * lam - x1 - x2) % Q
        acc[i] = (x3, (lam * (x1 - x3) - y1) % Q)
    for i in hard:
        acc[i] = g1_add(acc[i], addends[i])


def _add_round_g2(acc, addends, active):
    easy, hard = [], []
    for i in active:
        a = acc[i]
        if a is None:
            acc[i] = addends[i]
        elif a[0] == addends[i][0]:
            hard.append(i)
        else:
            easy.append(i)
    dxs = []
    for i in easy:
        (a0, a1), (b0, b1) = acc[i][0], addends[i][0]
        dxs.append(((b0 - a0) % Q, (b1 - a1) % Q))
    norms = batch_inverse([(d0 * d0 + d1 * d1) % Q for d0, d1 in dxs], Q) if easy else []
    for i, (d0, d1), ni in zip(easy, dxs, norms):
        (x10, x11), (y10, y11) = acc[i]
        (x20, x21), (y20, y21) = addends[i]
        i0, i1 = d0 * ni % Q, -d1 * ni % Q            # 1/dx = conj(dx)/|dx|²
        n0, n1 = y20 - y10, y21 - y11
        t0, t1 = n0 * i0, n1 * i1
        l0, l1 = (t0 - t1) % Q, ((n0 + n1) * (i0 + i1) - t0 - t1) % Q
        s0, s1 = l0 * l0, l1 * l1
        x30 = (s0 - s1 - x10 - x20) % Q
        x31 = ((l0 + l1) * (l0 + l1) - s0 - s1 - x11 - x21) % Q
        e0, e1 = x10 - x30, x11 - x31
        t0, t1 = l0 * e0, l1 * e1
        acc[i] = ((x30, x31), ((t0 - t1 - y10) % Q, ((l0 + l1) * (e0 + e1) - t0 - t1 - y11) % Q))
    for i in hard:
        acc[i] = g2_add(acc[i], addends[i])


class FixedBase:
    """Precomputed windows of a G1 or G2 point; ``multiply(scalars)`` → affine multiples."""

    def __init__(self, P, is_g2: bool = False, window: int = WINDOW):
        self.window = window
        self.is_g2 = is_g2
        add = g2_add if is_g2 else g1_add
        self.table = []
        base = P
        for _ in range((_SCALAR_BITS + window - 1) // window):
            row = [None, base]
            for _ in range(2, 1 << window):
                row.append(add(row[-1], base))
            self.table.append(row)
            base = add(row[-1], base)        # 2^w · previous base

    def multiply(self, scalars) -> list:
        """[k·P for k in scalars] (ints in [0, r)) as affine points, None for k = 0."""
        scalars = [int(k) for k in scalars]
        acc = [None] * len(scalars)
        mask, w = (1 << self.window) - 1, self.window
        add_round = _add_round_g2 if self.is_g2 else _add_round_g1
        for j, row in enumerate(self.table):
            shift = w * j
            digits = [(k >> shift) & mask for k in scalars]
            active = [i for i, d in enumerate(digits) if d]
            if not active:
                continue
            addends = [row[d] for d in digits]
            add_round(acc, addends, active)
        return acc


_PSI_WINDOW = 5


def _odd_multiples_g2(P):
    table = [None] * (1 << _PSI_WINDOW)
    two_p = g2_double(P)
    cur = P
    for d in range(1, 1 << (_PSI_WINDOW - 1), 2):
        table[d] = cur
        table[-d] = g2_neg(cur)
        cur = g2_add(cur, two_p)
    return table


def jac_g2_mul_psi(P, k: int):
    """k·P (Jacobian) for P in G2 and k in [0, r), through ψ(P) = 6x²·P."""
    k = int(k) % int(R)
    if P is None or not k:
        return JAC_G2_INFINITY
    k1, k0 = divmod(k, PSI_EIGENVALUE)
    t0 = _odd_multiples_g2(P)
    t1 = [None if T is None else g2_psi(T) for T in t0]
    d0, d1 = wnaf(k0, _PSI_WINDOW), wnaf(k1, _PSI_WINDOW)
    n = max(len(d0), len(d1))
    d0 += [0] * (n - len(d0))
    d1 += [0] * (n - len(d1))
    acc = JAC_G2_INFINITY
    for i in range(n - 1, -1, -1):
        if acc[2][0] or acc[2][1]:
            acc = jac_g2_double(acc)
        if d0[i]:
            acc = jac_g2_add_affine(acc, t0[d0[i]])
        if d1[i]:
            acc = jac_g2_add_affine(acc, t1[d1[i]])
    return acc
