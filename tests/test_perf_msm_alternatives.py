"""The MSMs kept in bench/alternatives (evaluated techniques: batch-affine buckets, buckets filled in
sorted runs) agree with zkescrow's MSM."""
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.alternatives import msm_batch_affine as ba  # noqa: E402
from bench.alternatives import msm_sorted_buckets as sb  # noqa: E402
from msm_inputs import points as _points, scalars as _scalars  # noqa: E402
from zkescrow.bn254 import msm  # noqa: E402
from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R  # noqa: E402
from zkescrow.bn254.curve import g1_add, g1_mul, g1_neg, g2_add, g2_mul, g2_neg  # noqa: E402


@pytest.mark.parametrize("alt", [ba, sb], ids=["batch_affine", "sorted_buckets"])
@pytest.mark.parametrize("n", [0, 1, 3, 37, 300])
def test_g1_matches(alt, n):
    rnd = random.Random(n)
    pts = _points(n, rnd, G1_GENERATOR, g1_add, g1_mul)
    if n > 3:                                   # repeated and opposite points share buckets
        pts[1] = pts[0]
        pts[2] = g1_neg(pts[0])
        pts[3] = None
    ks = _scalars(n, rnd)
    assert alt.msm_g1(pts, ks) == msm.msm_g1(pts, ks)


@pytest.mark.parametrize("n", [0, 2, 41])
def test_g2_matches(n):
    rnd = random.Random(100 + n)
    pts = _points(n, rnd, G2_GENERATOR, g2_add, g2_mul)
    if n > 3:
        pts[1] = pts[0]
        pts[2] = g2_neg(pts[0])
        pts[3] = None
    ks = _scalars(n, rnd)
    assert ba.msm_g2(pts, ks) == msm.msm_g2(pts, ks)


@pytest.mark.parametrize("alt", [ba, sb], ids=["batch_affine", "sorted_buckets"])
def test_same_point_many_times_cancels(alt):
    P = g1_mul(G1_GENERATOR, 12345)
    pts = [P] * 50 + [g1_neg(P)] * 50
    ks = [7] * 100
    assert alt.msm_g1(pts, ks) is None


def test_rejects_unreduced_scalars():
    with pytest.raises(ValueError):
        ba.msm_g1([G1_GENERATOR], [R])
