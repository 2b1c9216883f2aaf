"""Multi-scalar multiplication Σ scalars[i]·points[i] in G1 and G2 (Pippenger's bucket method).

Each scalar is cut into signed c-bit digits d ∈ [−2^(c−1), 2^(c−1)) (read carry-free
from k + Σ 2^(c−1)·2^(cw), see ``signed_windows``), so a window needs only 2^(c−1)
buckets and a negative digit adds −P, whose y is negated once per point.
For every window, each point is added into the bucket of its digit with a mixed
XYZZ + affine addition (``xyzz``: fewer products and reductions than Jacobian); the buckets are then summed as Σ j·B_j with two running
sums, and the windows are combined by c doublings each (Horner).

Zero scalars and ``None`` points are skipped.  A scalar k > r/2 is replaced by r − k
on −P, so "small negative" values (r − 1, r − 5, common in witnesses) become small;
points with scalar ±1 are then added directly, outside the buckets.  Scalars below
2^64 and the rest are summed in two separate bucket passes whose number of windows
follows the longest scalar of each, so a witness full of amounts and counters does
not pay for 254-bit windows.  The window size c minimises the operation count
(windows · (n + 2^(c−1)·reduce_cost)), which lands on c ≈ log2 n − log2 log2 n + 1
as in perf-anchors §3; very short inputs use one scalar multiplication per point.

``span=(lo, hi)`` restricts the sum to a fraction of the windows, so several processes can share
one MSM: each keeps all points, the whole MSM's c and its own windows' buckets (see ``msm_g1``).
"""
from ..errors import MalformedInput
from .constants import Q, R
from .g1 import jac_g1_mul
from .g2 import jac_g2_mul
from .xyzz import (XYZZ_G1_INFINITY, XYZZ_G2_INFINITY, xyzz_g1_add, xyzz_g1_add_affine, xyzz_g1_double,
                   xyzz_g1_from_jacobian, xyzz_g1_to_affine, xyzz_g2_add, xyzz_g2_add_affine, xyzz_g2_double,
                   xyzz_g2_from_jacobian, xyzz_g2_to_affine)

SCALAR_BITS = int(R).bit_length()       # 254
R_INT = int(R)
HALF_R = R_INT // 2
#: Scalars below 2^SHORT_BITS (witness values such as amounts and counters) get their own,
#: shorter bucket pass instead of paying for 254-bit windows.
SHORT_BITS = 64
#: Cost of the per-bucket reduction work (two Jacobian additions) in mixed additions, measured:
#: a full addition costs about 1.2 mixed ones in G1 and 1.5 in G2.
REDUCE_COST_G1 = 2.4
REDUCE_COST_G2 = 3.0
#: Below this many (non-trivial) terms, separate scalar multiplications are faster.
SMALL_MSM = 4


def window_size(n: int, reduce_cost: float = REDUCE_COST_G1, bits: int = SCALAR_BITS) -> int:
    """The c minimising the bucket method's cost for n points and scalars below 2^bits."""
    best_c, best_cost = 1, None
    for c in range(2, 22):
        windows = (bits + c) // c            # one extra bit for the signed-digit carry
        cost = windows * (n + (1 << (c - 1)) * reduce_cost)
        if best_cost is None or cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def signed_windows(c: int, bits: int):
    """(windows, offset) for the carry-free signed recoding of scalars 0 ≤ k < 2^bits.

    With K = k + offset, offset = Σ_w 2^(c−1)·2^(cw), the digits
    d_w = ((K >> cw) mod 2^c) − 2^(c−1) lie in [−2^(c−1), 2^(c−1)) and Σ_w d_w·2^(cw) = k:
    each window is read straight from K, with no carries and no digit table.
    """
    windows = (bits + c) // c
    while True:
        offset = sum(1 << (c * w + c - 1) for w in range(windows))
        if (1 << bits) - 1 + offset < 1 << (c * windows):
            return windows, offset
        windows += 1


class _Group:
    """The operations the bucket method needs, for one group, on XYZZ points (``xyzz``).

    ``one`` is the field's 1 (``lift(P)`` = (x, y, one, one) puts an affine point in a bucket),
    ``from_jacobian`` turns a Jacobian point (``mul``'s result) into XYZZ, ``to_affine`` ends.
    """

    def __init__(self, infinity, one, add, add_affine, double, from_jacobian, to_affine, mul, neg_y,
                 reduce_cost):
        self.infinity = infinity
        self.one = one
        self.add = add
        self.add_affine = add_affine
        self.double = double
        self.from_jacobian = from_jacobian
        self.to_affine = to_affine
        self.mul = mul
        self.neg_y = neg_y
        self.reduce_cost = reduce_cost

    def lift(self, P):
        """Affine (not None) → XYZZ."""
        return (P[0], P[1], self.one, self.one)


def _neg_fq(y):
    return -y % Q


def _neg_fq2(y):
    return (-y[0] % Q, -y[1] % Q)


def _pippenger(points, scalars, G: _Group, span=None):
    if len(points) != len(scalars):
        raise MalformedInput(f"msm needs as many scalars as points ({len(scalars)} != {len(points)})")
    lo, hi = (0.0, 1.0) if span is None else span
    if not 0.0 <= lo <= hi <= 1.0:
        raise MalformedInput(f"msm span must satisfy 0 <= lo <= hi <= 1, got {span}")
    first = lo == 0.0 < hi                 # the piece that also takes the terms outside the windows
    neg_y = G.neg_y
    acc = G.infinity                       # Σ of the points whose scalar is ±1
    short, long_ = ([], []), ([], [])      # (points, scalars) below / above 2^SHORT_BITS
    for P, k in zip(points, scalars):
        if P is None or not k:
            continue
        if not 0 < k < R:
            raise MalformedInput(f"msm scalars must be reduced into [0, r), got {k}")
        k = int(k)
        if k > HALF_R:                     # k·P = (r − k)·(−P), and r − k is the shorter one
            k = R_INT - k
            P = (P[0], neg_y(P[1]))
        if k == 1:
            if first:
                acc = G.add_affine(acc, P)
            continue
        group = short if k >> SHORT_BITS == 0 else long_
        group[0].append(P)
        group[1].append(k)
    for pts, ks in (short, long_):
        if len(pts) < SMALL_MSM:
            if first:
                for P, k in zip(pts, ks):
                    acc = G.add(acc, G.from_jacobian(G.mul(P, k)))
        elif pts:
            acc = G.add(acc, _bucket_sum(pts, ks, G, lo, hi))
    return G.to_affine(acc)


def _bucket_sum(pts, ks, G: _Group, lo=0.0, hi=1.0):
    """Σ ks[i]·pts[i] (XYZZ) by signed-digit buckets; pts affine, ks in (1, r/2].

    Only the windows w with lo·W ≤ w < hi·W (rounded; W windows) are summed, so pieces with
    spans that tile [0, 1] add up to the whole sum, each paying only its own windows' buckets.
    """
    bits = max(k.bit_length() for k in ks)
    c = window_size(len(pts), G.reduce_cost, bits)
    windows, offset = signed_windows(c, bits)
    w_lo, w_hi = int(lo * windows + 0.5), int(hi * windows + 0.5)
    if w_lo >= w_hi:
        return G.infinity
    recoded = [k + offset for k in ks]
    neg_y = G.neg_y
    negs = [(P[0], neg_y(P[1])) for P in pts]
    infinity, add, add_affine, double = G.infinity, G.add, G.add_affine, G.double
    one = G.one
    mask = (1 << c) - 1
    half = 1 << (c - 1)
    total = infinity
    for w in range(w_hi - 1, w_lo - 1, -1):
        for _ in range(c):
            total = double(total)
        shift = c * w
        buckets = [None] * (half + 1)          # bucket j collects the points with digit ±j
        for K, P, N in zip(recoded, pts, negs):
            d = ((K >> shift) & mask) - half
            if d > 0:
                b = buckets[d]
                buckets[d] = (P[0], P[1], one, one) if b is None else add_affine(b, P)
            elif d:
                b = buckets[-d]
                buckets[-d] = (N[0], N[1], one, one) if b is None else add_affine(b, N)
        running = infinity
        window_sum = infinity
        for j in range(half, 0, -1):
            b = buckets[j]
            if b is not None:
                running = add(running, b)
            window_sum = add(window_sum, running)
        total = add(total, window_sum)
    for _ in range(c * w_lo):                  # the lowest window summed here has weight 2^(c·w_lo)
        total = double(total)
    return total


_G1 = _Group(XYZZ_G1_INFINITY, XYZZ_G1_INFINITY[0], xyzz_g1_add, xyzz_g1_add_affine, xyzz_g1_double,
             xyzz_g1_from_jacobian, xyzz_g1_to_affine, jac_g1_mul, _neg_fq, REDUCE_COST_G1)
_G2 = _Group(XYZZ_G2_INFINITY, XYZZ_G2_INFINITY[0], xyzz_g2_add, xyzz_g2_add_affine, xyzz_g2_double,
             xyzz_g2_from_jacobian, xyzz_g2_to_affine, jac_g2_mul, _neg_fq2, REDUCE_COST_G2)


def msm_g1(points, scalars, span=None):
    """Σ scalars[i]·points[i] in G1 (affine points or None; scalars ints in [0, r)) → affine.

    ``span=(lo, hi)`` (0 ≤ lo ≤ hi ≤ 1) computes only the part of the sum carried by the bucket
    windows in that fraction of the scalars' digits (and, for lo = 0, the terms outside the
    windows); the parts of spans tiling [0, 1] add up to the whole sum.  Workers splitting one
    MSM this way each pay only their own windows, where a split by point range would make every
    piece pay the full bucket reduction and a smaller window.
    """
    return _pippenger(points, scalars, _G1, span)


def msm_g2(points, scalars, span=None):
    """Σ scalars[i]·points[i] in G2 (affine points or None; scalars ints in [0, r)) → affine;
    ``span`` as in ``msm_g1``."""
    return _pippenger(points, scalars, _G2, span)
