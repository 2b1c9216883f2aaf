"""The sorted-bucket G1 MSM kept in bench/alternatives (an evaluated technique) agrees with zkescrow's MSM."""
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.alternatives import msm_sorted_buckets as sb  # noqa: E402
from msm_inputs import points as _points, scalars as _scalars  # noqa: E402
from zkescrow.bn254 import msm  # noqa: E402
from zkescrow.bn254.constants import G1_GENERATOR  # noqa: E402
from zkescrow.bn254.curve import g1_add, g1_mul, g1_neg  # noqa: E402


@pytest.mark.parametrize("n", [0, 1, 5, 37, 300])
def test_g1_matches(n):
    rnd = random.Random(n)
    pts = _points(n, rnd, G1_GENERATOR, g1_add, g1_mul)
    if n > 3:                                   # repeated and opposite points share buckets
        pts[1] = pts[0]
        pts[2] = g1_neg(pts[0])
        pts[3] = None
    ks = _scalars(n, rnd)
    assert sb.msm_g1(pts, ks) == msm.msm_g1(pts, ks)


def test_same_point_many_times_cancels():
    P = g1_mul(G1_GENERATOR, 12345)
    assert sb.msm_g1([P] * 50 + [g1_neg(P)] * 50, [7] * 100) is None
