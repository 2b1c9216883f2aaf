"""Tried for the prover and not kept (bench/RESULTS.md, technique log): MSM over fixed bases with
precomputed window tables.

When the points never change (a proving key's bases), each point P_i can be stored with its
shifted copies 2^(c·j)·P_i for every window j.  Then Σ k_i·P_i = Σ_i Σ_j d_ij·(2^(c·j)·P_i) with the
signed c-bit digits d_ij of k_i, and all windows fill ONE set of 2^(c−1) buckets: one bucket
reduction instead of one per window, and no doublings.  With the reduction paid once, a larger c
pays off (cost ≈ windows·n + 2^(c−1)·reduce instead of windows·(n + 2^(c−1)·reduce)), so fewer
windows and fewer additions: about 30 % fewer at 2^13–2^16 points.  The price is memory: the
table holds ``windows`` points for every base (``table_window`` picks c, ``precompute`` builds it).

Scalars k > r/2 are used as r − k on −P (as in ``msm``), so small negative witness values touch
few windows; windows above a scalar's length are skipped.
"""
from bisect import bisect_left

from zkescrow.bn254.constants import R
from zkescrow.bn254.g1 import g1_batch_from_jacobian, jac_g1_double
from zkescrow.bn254.g2 import g2_batch_from_jacobian, jac_g2_double
from zkescrow.bn254.msm import _G1, _G2, SCALAR_BITS, signed_windows

R_INT = int(R)
HALF_R = R_INT // 2


def table_window(n: int, reduce_cost: float = 2.4) -> int:
    """The c minimising windows·n + 2^(c−1)·reduce_cost for a fixed-base MSM of n points."""
    best_c, best = 2, None
    for c in range(2, 22):
        cost = signed_windows(c, SCALAR_BITS)[0] * n + (1 << (c - 1)) * reduce_cost
        if best is None or cost < best:
            best_c, best = c, cost
    return best_c


def table_rows(c: int) -> int:
    """Rows (windows) a table for window size c holds."""
    return signed_windows(c, SCALAR_BITS)[0]


def precompute(points, c: int, is_g2: bool = False) -> list:
    """rows[j][i] = 2^(c·j)·points[i] (affine; None stays None) for every window j."""
    double = jac_g2_double if is_g2 else jac_g1_double
    to_affine = g2_batch_from_jacobian if is_g2 else g1_batch_from_jacobian
    one = (_G2 if is_g2 else _G1).one
    rows = [list(points)]
    for _ in range(table_rows(c) - 1):
        jac = []
        for P in rows[-1]:
            if P is None:
                jac.append(None)
                continue
            J = (P[0], P[1], one)
            for _ in range(c):
                J = double(J)
            jac.append(J)
        present = [J for J in jac if J is not None]
        affine = iter(to_affine(present))
        rows.append([None if J is None else next(affine) for J in jac])
    return rows


def msm_fixed(rows, scalars, c: int, is_g2: bool = False):
    """Σ scalars[i]·rows[0][i] (affine) using the table ``rows`` of ``precompute(…, c)``."""
    G = _G2 if is_g2 else _G1
    windows = len(rows)
    if windows != table_rows(c):
        raise ValueError("table does not match the window size")
    _, offset = signed_windows(c, SCALAR_BITS)
    neg_y = G.neg_y
    first = rows[0]
    terms = []                                   # (windows needed, index, recoded scalar, negate)
    for i, k in enumerate(scalars):
        if not k or first[i] is None:
            continue
        k = int(k)
        neg = k > HALF_R
        if neg:
            k = R_INT - k
        terms.append((-min(k.bit_length() // c + 2, windows), i, k + offset, neg))
    if not terms:
        return None
    terms.sort()
    need = [-t[0] for t in terms]                # non-increasing
    neg_need = [-x for x in need]
    mask = (1 << c) - 1
    half = 1 << (c - 1)
    add_affine = G.add_affine
    buckets = [None] * (half + 1)
    for j in range(windows):
        count = bisect_left(neg_need, -j)        # terms needing more than j windows
        if not count:
            break
        row = rows[j]
        shift = c * j
        for _, i, K, neg in terms[:count]:
            d = ((K >> shift) & mask) - half
            if not d:
                continue
            P = row[i]
            if (d < 0) != neg:
                P = (P[0], neg_y(P[1]))
            if d < 0:
                d = -d
            b = buckets[d]
            buckets[d] = G.lift(P) if b is None else add_affine(b, P)
    add = G.add
    running = total = G.infinity
    for j in range(half, 0, -1):
        b = buckets[j]
        if b is not None:
            running = add(running, b)
        total = add(total, running)
    return G.to_affine(total)
