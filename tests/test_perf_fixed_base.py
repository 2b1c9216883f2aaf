"""The fixed-base (precomputed window table) MSM kept in bench/alternatives agrees with zkescrow's MSM."""
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.alternatives import msm_fixed_base as fb  # noqa: E402
from msm_inputs import points as _points, scalars as _scalars  # noqa: E402
from zkescrow.bn254 import msm  # noqa: E402
from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR  # noqa: E402
from zkescrow.bn254.curve import g1_add, g1_mul, g2_add, g2_mul  # noqa: E402


@pytest.mark.parametrize("c", [5, 8])
def test_g1_matches(c):
    rnd = random.Random(c)
    points = _points(30, rnd, G1_GENERATOR, g1_add, g1_mul) + [None]
    scalars = _scalars(31, rnd)
    rows = fb.precompute(points, c)
    assert len(rows) == fb.table_rows(c)
    assert fb.msm_fixed(rows, scalars, c) == msm.msm_g1(points, scalars)


def test_g2_matches():
    rnd = random.Random(2)
    points = _points(12, rnd, G2_GENERATOR, g2_add, g2_mul)
    scalars = _scalars(12, rnd)
    rows = fb.precompute(points, 6, is_g2=True)
    assert fb.msm_fixed(rows, scalars, 6, is_g2=True) == msm.msm_g2(points, scalars)


def test_window_choice_grows_with_n():
    assert fb.table_window(1 << 10) < fb.table_window(1 << 16)
