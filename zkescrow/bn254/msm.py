"""Multi-scalar multiplication Σ scalars[i]·points[i] in G1 and G2 (Pippenger's bucket method).

Each scalar (an int in [0, r)) is cut into signed c-bit digits d ∈ (−2^(c−1), 2^(c−1)]
(a digit above half borrows one from the next window), so a window needs only
2^(c−1) buckets and a negative digit adds −P, whose y is negated once per point.
For every window, each point is added into the bucket of its digit with mixed
Jacobian + affine addition; the buckets are then summed as Σ j·B_j with two running
sums, and the windows are combined by c doublings each (Horner).

Zero scalars and ``None`` points are skipped; points with scalar 1 are added once,
outside the buckets.  The window size c minimises the operation count
(windows · (n + 2^(c−1)·reduce_cost)), which lands on c ≈ log2 n − log2 log2 n + 1
as in perf-anchors §3; very short inputs use one scalar multiplication per point.
"""
from .constants import Q, R
from .g1 import (JAC_G1_INFINITY, g1_from_jacobian, jac_g1_add, jac_g1_add_affine, jac_g1_double,
                 jac_g1_mul)
from .g2 import (JAC_G2_INFINITY, g2_from_jacobian, jac_g2_add, jac_g2_add_affine, jac_g2_double,
                 jac_g2_mul)

SCALAR_BITS = int(R).bit_length()       # 254
#: Cost of the per-bucket reduction work (two Jacobian additions) in mixed additions, measured:
#: a full addition costs about 1.2 mixed ones in G1 and 1.6 in G2.
REDUCE_COST_G1 = 2.4
REDUCE_COST_G2 = 3.4
#: Below this many (non-trivial) terms, separate scalar multiplications are faster.
SMALL_MSM = 4


def window_size(n: int, reduce_cost: float = REDUCE_COST_G1) -> int:
    """The c minimising the bucket method's cost for n points and 254-bit scalars."""
    best_c, best_cost = 1, None
    for c in range(2, 22):
        windows = (SCALAR_BITS + c) // c     # one extra bit for the signed-digit carry
        cost = windows * (n + (1 << (c - 1)) * reduce_cost)
        if best_cost is None or cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def signed_digits(scalars, c: int):
    """Per window, the list of signed c-bit digits of every scalar (window 0 = least significant)."""
    windows = (SCALAR_BITS + c) // c
    mask = (1 << c) - 1
    half = 1 << (c - 1)
    full = 1 << c
    table = [[0] * len(scalars) for _ in range(windows)]
    for i, k in enumerate(scalars):
        w = 0
        while k:
            d = k & mask
            k >>= c
            if d > half:
                d -= full
                k += 1
            table[w][i] = d
            w += 1
    return table


class _Group:
    """The Jacobian operations the bucket method needs, for one group."""

    def __init__(self, infinity, one, add, add_affine, double, from_jacobian, mul, neg_y, reduce_cost):
        self.infinity = infinity
        self.one = one
        self.add = add
        self.add_affine = add_affine
        self.double = double
        self.from_jacobian = from_jacobian
        self.mul = mul
        self.neg_y = neg_y
        self.reduce_cost = reduce_cost


def _neg_fq(y):
    return -y % Q


def _neg_fq2(y):
    return (-y[0] % Q, -y[1] % Q)


def _pippenger(points, scalars, G: _Group):
    if len(points) != len(scalars):
        raise ValueError(f"msm needs as many scalars as points ({len(scalars)} != {len(points)})")
    add_affine = G.add_affine
    acc = G.infinity                       # Σ of points whose scalar is 1
    pts, ks = [], []
    for P, k in zip(points, scalars):
        if P is None or not k:
            continue
        if k == 1:
            acc = add_affine(acc, P)
        elif 0 < k < R:
            pts.append(P)
            ks.append(int(k))
        else:
            raise ValueError(f"msm scalars must be reduced into [0, r), got {k}")
    n = len(pts)
    if n < SMALL_MSM:
        for P, k in zip(pts, ks):
            acc = G.add(acc, G.mul(P, k))
        return G.from_jacobian(acc)

    c = window_size(n, G.reduce_cost)
    digits = signed_digits(ks, c)
    neg_y = G.neg_y
    negs = [(P[0], neg_y(P[1])) for P in pts]
    infinity, add, double = G.infinity, G.add, G.double
    one = G.one
    n_buckets = 1 << (c - 1)
    total = infinity
    for window in reversed(digits):
        for _ in range(c):
            total = double(total)
        buckets = [None] * (n_buckets + 1)
        for d, P, N in zip(window, pts, negs):
            if d > 0:
                b = buckets[d]
                buckets[d] = (P[0], P[1], one) if b is None else add_affine(b, P)
            elif d < 0:
                b = buckets[-d]
                buckets[-d] = (N[0], N[1], one) if b is None else add_affine(b, N)
        running = infinity
        window_sum = infinity
        for j in range(n_buckets, 0, -1):
            b = buckets[j]
            if b is not None:
                running = add(running, b)
            window_sum = add(window_sum, running)
        total = add(total, window_sum)
    return G.from_jacobian(add(total, acc))


_G1 = _Group(JAC_G1_INFINITY, JAC_G1_INFINITY[0], jac_g1_add, jac_g1_add_affine, jac_g1_double,
             g1_from_jacobian, jac_g1_mul, _neg_fq, REDUCE_COST_G1)
_G2 = _Group(JAC_G2_INFINITY, JAC_G2_INFINITY[0], jac_g2_add, jac_g2_add_affine, jac_g2_double,
             g2_from_jacobian, jac_g2_mul, _neg_fq2, REDUCE_COST_G2)


def msm_g1(points, scalars):
    """Σ scalars[i]·points[i] in G1 (affine points or None; scalars ints in [0, r)) → affine."""
    return _pippenger(points, scalars, _G1)


def msm_g2(points, scalars):
    """Σ scalars[i]·points[i] in G2 (affine points or None; scalars ints in [0, r)) → affine."""
    return _pippenger(points, scalars, _G2)
