"""Multi-scalar multiplication with batch-affine bucket sums (Pippenger, affine additions, one
inversion per round shared by all additions of the round).

Same contract as ``zkescrow.bn254.msm`` (affine points or None, scalars ints in [0, r)), a
different inner loop:

* **Endomorphism split.**  In G1, k = k1 + k2·λ with |k1|, |k2| < 2^128 (GLV, φ(x, y) = (β·x, y));
  in G2, k = k1 + k2·m with m = 6x² the eigenvalue of ψ (k2 = k // m, k1 = k mod m, both < 2^128).
  Each point becomes two points with half-length scalars, so there are half as many windows.
* **Signed digits.**  c-bit windows with digits in (−2^(c−1), 2^(c−1)]: 2^(c−1) buckets per window,
  a negative digit drops −P into the bucket.
* **Bucket fill as an affine tree.**  Every window's buckets are lists of affine points; all lists
  of all windows are summed pairwise, round by round (P1+P2, P3+P4, …), and each round's
  additions share one inversion (Montgomery's trick): six multiplications per G1 addition instead
  of the eleven of a mixed Jacobian one, and in G2 three Fq2 products plus a norm instead of eleven.
* **Bucket reduction, batched across windows.**  Σ_j j·B_j uses the two running sums of every
  window side by side, so each step is again a batch of affine additions with one inversion.
* Windows are combined by c doublings each (Horner) in Jacobian coordinates.

Kept in bench/ as an evaluated alternative, not used by the prover: in CPython one affine addition
of a batch costs about 15–25 % less than a mixed Jacobian one, but the list bookkeeping of the tree
and the per-window digit loop cost more than that (whole G1 MSM at 2^14 about 1.6× slower, G2
about 1.1× slower; see bench/RESULTS.md).

Pairs with equal x (a doubling, or P + (−P)) leave the batch and use the plain affine formulas,
so repeated or opposite points in one bucket are handled.  Zero scalars, None points are skipped;
k > r/2 becomes (r − k)·(−P) before the split.
"""
from __future__ import annotations

from gmpy2 import invert, mpz

from zkescrow.bn254.constants import GLV_BETA, Q, R
from zkescrow.bn254.g1 import g1_add, g1_from_jacobian, glv_decompose, jac_g1_add_affine, jac_g1_double, JAC_G1_INFINITY
from zkescrow.bn254.g2 import (PSI_EIGENVALUE, g2_add, g2_from_jacobian, g2_psi, jac_g2_add_affine, jac_g2_double,
                 JAC_G2_INFINITY)

R_INT = int(R)
HALF_R = R_INT // 2
PSI_M = int(PSI_EIGENVALUE)
#: Cost of one bucket of the reduction (two affine additions in a small batch), in fill additions.
REDUCE_COST = 2.6
_ONE = mpz(1)


# --- batches of affine additions ------------------------------------------------------------

def _inverses(values):
    """Inverses mod q of non-zero values: one gmpy2 inversion plus three products each."""
    n = len(values)
    prefix = [None] * n
    acc = _ONE
    for i in range(n):
        prefix[i] = acc
        acc = acc * values[i] % Q
    inv = invert(acc, Q)
    out = [None] * n
    for i in range(n - 1, -1, -1):
        out[i] = inv * prefix[i] % Q
        inv = inv * values[i] % Q
    return out


def add_pairs_g1(ps, qs) -> list:
    """[P + Q for P, Q in zip(ps, qs)] for affine G1 points (None = infinity), one inversion."""
    out = [None] * len(ps)
    easy, dens = [], []
    for i, (P, Q_) in enumerate(zip(ps, qs)):
        if P is None:
            out[i] = Q_
        elif Q_ is None:
            out[i] = P
        elif P[0] == Q_[0]:
            out[i] = g1_add(P, Q_)
        else:
            easy.append(i)
            dens.append(Q_[0] - P[0])
    if easy:
        for i, inv in zip(easy, _inverses(dens)):
            x1, y1 = ps[i]
            x2, y2 = qs[i]
            lam = (y2 - y1) * inv % Q
            x3 = (lam * lam - x1 - x2) % Q
            out[i] = (x3, (lam * (x1 - x3) - y1) % Q)
    return out


def add_pairs_g2(ps, qs) -> list:
    """[P + Q for P, Q in zip(ps, qs)] for affine G2 points (None = infinity), one Fq inversion."""
    out = [None] * len(ps)
    easy, dxs, norms = [], [], []
    for i, (P, Q_) in enumerate(zip(ps, qs)):
        if P is None:
            out[i] = Q_
        elif Q_ is None:
            out[i] = P
        elif P[0] == Q_[0]:
            out[i] = g2_add(P, Q_)
        else:
            (a0, a1), (b0, b1) = P[0], Q_[0]
            d0, d1 = b0 - a0, b1 - a1
            easy.append(i)
            dxs.append((d0, d1))
            norms.append((d0 * d0 + d1 * d1) % Q)
    if easy:
        for i, (d0, d1), ni in zip(easy, dxs, _inverses(norms)):
            (x10, x11), (y10, y11) = ps[i]
            (x20, x21), (y20, y21) = qs[i]
            i0, i1 = d0 * ni % Q, -d1 * ni % Q            # 1/dx = conj(dx)/|dx|²
            n0, n1 = y20 - y10, y21 - y11
            t0, t1 = n0 * i0, n1 * i1
            l0, l1 = (t0 - t1) % Q, ((n0 + n1) * (i0 + i1) - t0 - t1) % Q
            s0, s1 = l0 * l0, l1 * l1
            x30 = (s0 - s1 - x10 - x20) % Q
            x31 = ((l0 + l1) * (l0 + l1) - s0 - s1 - x11 - x21) % Q
            e0, e1 = x10 - x30, x11 - x31
            t0, t1 = l0 * e0, l1 * e1
            out[i] = ((x30, x31), ((t0 - t1 - y10) % Q, ((l0 + l1) * (e0 + e1) - t0 - t1 - y11) % Q))
    return out


def tree_sums(lists, add_pairs) -> list:
    """The sum of every list of affine points (None for an empty list), all lists reduced together."""
    sums = [L[0] if len(L) == 1 else None for L in lists]
    active = [(k, L) for k, L in enumerate(lists) if len(L) > 1]
    while active:
        ps, qs = [], []
        for _, L in active:
            ps.extend(L[0:len(L) - 1:2])
            qs.extend(L[1::2])
        added = add_pairs(ps, qs)
        pos = 0
        still = []
        for k, L in active:
            half = len(L) >> 1
            new = added[pos:pos + half]
            pos += half
            if len(L) & 1:
                new.append(L[-1])
            if len(new) > 1:
                still.append((k, new))
            else:
                sums[k] = new[0]
        active = still
    return sums


# --- the bucket method ------------------------------------------------------------------------

def window_size(n: int, bits: int) -> int:
    """The c minimising windows·(n + 2^(c−1)·REDUCE_COST) for n points and scalars < 2^bits."""
    best_c, best_cost = 2, None
    for c in range(2, 20):
        windows = (bits + c) // c
        cost = windows * (n + (1 << (c - 1)) * REDUCE_COST)
        if best_cost is None or cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def _bucket_msm(pts, ks, neg, add_pairs, double, add_affine, infinity):
    """Σ ks[i]·pts[i] as a Jacobian point; pts affine (not None), ks positive ints."""
    n = len(pts)
    bits = max(k.bit_length() for k in ks)
    c = window_size(n, bits)
    windows = (bits + c) // c
    half = 1 << (c - 1)
    full = 1 << c
    mask = full - 1
    buckets = [[] for _ in range(windows * half)]
    for P, k in zip(pts, ks):
        N = None
        base = -1                              # bucket index of digit 1 in window w is w·half
        while k:
            d = k & mask
            k >>= c
            if d > half:
                d -= full
                k += 1
                if N is None:
                    N = neg(P)
                buckets[base - d].append(N)
            elif d:
                buckets[base + d].append(P)
            base += half
    sums = tree_sums(buckets, add_pairs)
    # Σ_j j·B_j per window: running_w += B_j; total_w += running_w, for j = half … 1, all windows at once.
    running = [None] * windows
    totals = [None] * windows
    for j in range(half - 1, -1, -1):
        running = add_pairs(running, sums[j::half])
        totals = add_pairs(totals, running)
    acc = infinity
    for w in range(windows - 1, -1, -1):
        for _ in range(c):
            acc = double(acc)
        if totals[w] is not None:
            acc = add_affine(acc, totals[w])
    return acc


def _neg_g1(P):
    return (P[0], -P[1] % Q)


def _neg_g2(P):
    return (P[0], (-P[1][0] % Q, -P[1][1] % Q))


def _prepare(points, scalars):
    """(points, scalars) without zero terms, each k > r/2 turned into (r − k)·(−P)."""
    if len(points) != len(scalars):
        raise ValueError(f"msm needs as many scalars as points ({len(scalars)} != {len(points)})")
    out_p, out_k = [], []
    for P, k in zip(points, scalars):
        if P is None or not k:
            continue
        if not 0 < k < R:
            raise ValueError(f"msm scalars must be reduced into [0, r), got {k}")
        k = int(k)
        if k > HALF_R:
            k = R_INT - k
            P = (P[0], -P[1] % Q) if not isinstance(P[1], tuple) else _neg_g2(P)
        out_p.append(P)
        out_k.append(k)
    return out_p, out_k


def msm_g1(points, scalars):
    """Σ scalars[i]·points[i] in G1 (affine points or None; scalars ints in [0, r)) → affine."""
    pts, ks = _prepare(points, scalars)
    if not pts:
        return None
    split_p, split_k = [], []
    for P, k in zip(pts, ks):
        if k >> 128 == 0:
            split_p.append(P)
            split_k.append(k)
            continue
        k1, k2 = glv_decompose(k)
        if k1:
            split_p.append(P if k1 > 0 else _neg_g1(P))
            split_k.append(abs(k1))
        if k2:
            phi = (GLV_BETA * P[0] % Q, P[1] if k2 > 0 else -P[1] % Q)
            split_p.append(phi)
            split_k.append(abs(k2))
    acc = _bucket_msm(split_p, split_k, _neg_g1, add_pairs_g1, jac_g1_double, jac_g1_add_affine,
                      JAC_G1_INFINITY)
    return g1_from_jacobian(acc)


def msm_g2(points, scalars):
    """Σ scalars[i]·points[i] in G2 (affine points or None; scalars ints in [0, r)) → affine.

    The points must be in G2 (the ψ split relies on ψ(P) = [6x²]P there), as proving-key points are.
    """
    pts, ks = _prepare(points, scalars)
    if not pts:
        return None
    split_p, split_k = [], []
    for P, k in zip(pts, ks):
        k2, k1 = divmod(k, PSI_M)
        if k1:
            split_p.append(P)
            split_k.append(k1)
        if k2:
            split_p.append(g2_psi(P))
            split_k.append(k2)
    acc = _bucket_msm(split_p, split_k, _neg_g2, add_pairs_g2, jac_g2_double, jac_g2_add_affine,
                      JAC_G2_INFINITY)
    return g2_from_jacobian(acc)
