"""MSM == the naive sum of scalar multiplications (ours, and py_ecc's for one case)."""
import random

import pytest
from hypothesis import given, settings, strategies as st
from py_ecc import optimized_bn128 as ref

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from zkescrow.bn254.curve import g1_add, g1_mul, g1_neg, g2_add, g2_mul, g2_neg
from zkescrow.bn254.msm import msm_g1, msm_g2, signed_windows, window_size
from zkescrow.errors import MalformedInput

r = int(R)


def naive_g1(points, scalars):
    acc = None
    for P, k in zip(points, scalars):
        if P is not None:
            acc = g1_add(acc, g1_mul(P, k))
    return acc


def naive_g2(points, scalars):
    acc = None
    for P, k in zip(points, scalars):
        if P is not None:
            acc = g2_add(acc, g2_mul(P, k))
    return acc


@pytest.fixture(scope="module")
def g1_points():
    rng = random.Random(10)
    return [g1_mul(G1_GENERATOR, rng.randrange(1, r)) for _ in range(320)]


@pytest.fixture(scope="module")
def g2_points():
    rng = random.Random(11)
    return [g2_mul(G2_GENERATOR, rng.randrange(1, r)) for _ in range(24)]


def special_scalars(n, rng):
    pool = [0, 1, 2, r - 1, r - 2, (r - 1) // 2, 2 ** 253, 2 ** 128 - 1]
    return [rng.choice(pool) if rng.random() < 0.3 else rng.randrange(r) for _ in range(n)]


scalar = st.one_of(st.sampled_from([0, 1, 2, r - 1]), st.integers(min_value=0, max_value=r - 1))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_msm_g1_equals_naive_sum_small(g1_points, data):
    n = data.draw(st.integers(min_value=0, max_value=40))
    idx = data.draw(st.lists(st.integers(min_value=0, max_value=9), min_size=n, max_size=n))
    points = [None if i == 9 else g1_points[i] for i in idx]     # repeats exercise P + P in a bucket
    scalars = data.draw(st.lists(scalar, min_size=n, max_size=n))
    assert msm_g1(points, scalars) == naive_g1(points, scalars)


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_msm_g2_equals_naive_sum_small(g2_points, data):
    n = data.draw(st.integers(min_value=0, max_value=12))
    idx = data.draw(st.lists(st.integers(min_value=0, max_value=6), min_size=n, max_size=n))
    points = [None if i == 6 else g2_points[i] for i in idx]
    scalars = data.draw(st.lists(scalar, min_size=n, max_size=n))
    assert msm_g2(points, scalars) == naive_g2(points, scalars)


def test_msm_g1_300_points_with_zeros_ones_and_none(g1_points):
    rng = random.Random(12)
    points = list(g1_points[:300])
    for i in rng.sample(range(300), 30):
        points[i] = None
    scalars = special_scalars(300, rng)
    assert sum(1 for k in scalars if k in (0, 1)) > 10
    assert msm_g1(points, scalars) == naive_g1(points, scalars)


def test_msm_g2_with_zeros_ones_and_none(g2_points):
    rng = random.Random(13)
    points = [None if i % 7 == 3 else P for i, P in enumerate(g2_points)]
    scalars = special_scalars(len(points), rng)
    assert msm_g2(points, scalars) == naive_g2(points, scalars)


def test_msm_g1_against_py_ecc(g1_points):
    rng = random.Random(14)
    scalars = [rng.randrange(r) for _ in range(40)]
    expected = ref.Z1
    for P, k in zip(g1_points[:40], scalars):
        expected = ref.add(expected, ref.multiply((ref.FQ(int(P[0])), ref.FQ(int(P[1])), ref.FQ.one()), k))
    x, y = ref.normalize(expected)
    assert msm_g1(g1_points[:40], scalars) == (int(x), int(y))


def test_msm_cancellation_gives_infinity(g1_points, g2_points):
    P = g1_points[0]
    assert msm_g1([P, g1_neg(P), P], [5, 5, 0]) is None
    assert msm_g1([P] * 50, [r - 1] * 25 + [1] * 25) is None
    assert msm_g1([], []) is None and msm_g1([None, None], [3, 4]) is None
    Q = g2_points[0]
    assert msm_g2([Q, g2_neg(Q)] * 4, [7] * 8) is None


def test_msm_same_point_everywhere(g1_points):
    P = g1_points[1]
    scalars = list(range(2, 202))
    assert msm_g1([P] * 200, scalars) == g1_mul(P, sum(scalars))


def test_msm_rejects_length_mismatch(g1_points):
    with pytest.raises(MalformedInput, match="as many scalars as points"):
        msm_g1(g1_points[:3], [1, 2])


def test_signed_windows_recode_scalars():
    rng = random.Random(15)
    for bits in (64, 128, 253, 254):
        ks = [0, 1, 2 ** bits - 1, 2 ** (bits - 1)] + [rng.randrange(2 ** bits) for _ in range(50)]
        for c in (2, 5, 9, 11, 16):
            windows, offset = signed_windows(c, bits)
            assert windows * c <= bits + 2 * c
            for k in ks:
                K = k + offset
                assert K >> (c * windows) == 0
                digits = [((K >> (c * w)) & ((1 << c) - 1)) - (1 << (c - 1)) for w in range(windows)]
                assert sum(d << (c * w) for w, d in enumerate(digits)) == k
                assert all(-(1 << (c - 1)) <= d < 1 << (c - 1) for d in digits)


def test_window_size_grows_with_n():
    sizes = [window_size(1 << k) for k in range(4, 21, 2)]
    assert sizes == sorted(sizes) and 9 <= window_size(1 << 14) <= 13


@pytest.mark.parametrize("k", [-1, r, 2 ** 300])
def test_msm_rejects_unreduced_scalars(g1_points, k):
    with pytest.raises(MalformedInput, match=r"reduced into \[0, r\)"):
        msm_g1(g1_points[:5], [2, 3, k, 4, 5])


def witness_like_scalars(n, rng):
    """Bits, amounts below 2^64, small negatives r − m and full field elements, mixed."""
    kinds = [lambda: rng.randrange(2), lambda: rng.randrange(2 ** 64), lambda: r - rng.randrange(1, 2 ** 40),
             lambda: rng.randrange(r), lambda: 2 ** 64 - 1, lambda: 2 ** 64, lambda: r // 2, lambda: r // 2 + 1]
    return [rng.choice(kinds)() for _ in range(n)]


def test_msm_g1_witness_like_scalars(g1_points):
    rng = random.Random(16)
    for n in (8, 60, 320):
        scalars = witness_like_scalars(n, rng)
        assert msm_g1(g1_points[:n], scalars) == naive_g1(g1_points[:n], scalars)
    short = [rng.randrange(2 ** 64) for _ in range(100)]
    assert msm_g1(g1_points[:100], short) == naive_g1(g1_points[:100], short)
    negative = [r - rng.randrange(1, 1000) for _ in range(100)]
    assert msm_g1(g1_points[:100], negative) == naive_g1(g1_points[:100], negative)


def test_msm_g2_witness_like_scalars(g2_points):
    rng = random.Random(17)
    scalars = witness_like_scalars(len(g2_points), rng)
    assert msm_g2(g2_points, scalars) == naive_g2(g2_points, scalars)


@pytest.mark.parametrize("cuts", [[0.5], [0.3, 0.31, 0.8], [0.0, 1.0], [0.17, 0.5, 0.83]])
def test_msm_spans_tiling_the_windows_add_up_to_the_whole_sum(g1_points, g2_points, cuts):
    rng = random.Random(len(cuts))
    bounds = [0.0] + cuts + [1.0]
    spans = list(zip(bounds, bounds[1:]))
    points = list(g1_points[:200])
    scalars = special_scalars(200, rng)
    scalars[:20] = [rng.randrange(2, 1 << 64) for _ in range(20)]      # a short pass too
    parts = [msm_g1(points, scalars, span) for span in spans]
    total = None
    for part in parts:
        total = g1_add(total, part)
    assert total == naive_g1(points, scalars)
    if cuts == [0.5]:
        assert all(part is not None for part in parts)          # both halves carry windows
    pts2 = list(g2_points[:12])
    ks2 = special_scalars(12, rng)
    total2 = None
    for span in spans:
        total2 = g2_add(total2, msm_g2(pts2, ks2, span))
    assert total2 == naive_g2(pts2, ks2)


def test_msm_span_must_lie_in_the_unit_interval(g1_points):
    with pytest.raises(MalformedInput):
        msm_g1(g1_points[:5], [3] * 5, (0.6, 0.4))
