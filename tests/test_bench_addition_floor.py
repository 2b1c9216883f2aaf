"""bench/addition_floor.py counts the group operations of the bucket method exactly (checked against a
recount from the scalars' signed digits), leaves the MSM untouched, and prices a key's operations."""
import random
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.addition_floor import OPERATIONS, count_operations, counting_group_ops, floor_seconds, op_costs  # noqa: E402
from msm_inputs import points as _points  # noqa: E402
from zkescrow.bn254 import msm  # noqa: E402
from zkescrow.bn254.constants import G1_GENERATOR, R  # noqa: E402
from zkescrow.bn254.curve import g1_add, g1_mul  # noqa: E402
from groth16_fixtures import *  # noqa: F401,F403,E402  (session fixtures)


def _expected_bucket_ops(scalars):
    """The bucket method's operations for scalars in (2^64, r/2], recounted from the digits."""
    n = len(scalars)
    bits = max(k.bit_length() for k in scalars)
    c = msm.window_size(n, msm.REDUCE_COST_G1, bits)
    windows, offset = msm.signed_windows(c, bits)
    half = 1 << (c - 1)
    mixed = full = 0
    for w in range(windows):
        digits = [(((k + offset) >> (c * w)) & ((1 << c) - 1)) - half for k in scalars]
        used = {abs(d) for d in digits if d}
        mixed += sum(1 for d in digits if d) - len(used)      # the first point of a bucket is no addition
        full += len(used) + half + 1                          # running sums, window sum, into the total
    return {"g1_add_affine": mixed, "g1_add": full + 1, "g1_double": c * windows}   # + 1: into the MSM's sum


def test_counts_match_a_recount_from_the_digits_and_the_sum_is_unchanged():
    rnd = random.Random(7)
    pts = _points(300, rnd, G1_GENERATOR, g1_add, g1_mul)
    ks = [rnd.randrange(1 << 65, R // 2) for _ in pts]
    plain = msm.msm_g1(pts, ks)
    with counting_group_ops() as counts:
        counted = msm.msm_g1(pts, ks)
    assert counted == plain
    assert {k: v for k, v in counts.items() if v} == _expected_bucket_ops(ks)


def test_unit_scalars_are_one_mixed_addition_each():
    rnd = random.Random(8)
    pts = _points(20, rnd, G1_GENERATOR, g1_add, g1_mul)
    with counting_group_ops() as counts:
        msm.msm_g1(pts, [1] * 10 + [R - 1] * 10)
    assert {k: v for k, v in counts.items() if v} == {"g1_add_affine": 20}


def test_the_group_operations_are_restored_even_after_an_error():
    before = {name: getattr(msm._G1, name) for name in ("add_affine", "add", "double", "mul")}
    with pytest.raises(ZeroDivisionError):
        with counting_group_ops():
            assert msm._G1.add is not before["add"]
            raise ZeroDivisionError
    assert {name: getattr(msm._G1, name) for name in before} == before


def test_floor_is_counts_times_costs():
    costs = {f"{g}_{op}": 1e-6 * (i + 1) for i, (g, op) in enumerate(OPERATIONS)}
    counts = {"g1_add_affine": 1000, "g2_add": 10, "g1_mul": 5}     # scalar multiplications are not priced
    assert floor_seconds(counts, costs) == pytest.approx(1000 * 1e-6 + 10 * 5e-6)


@pytest.mark.interop
def test_a_proof_is_counted_and_every_operation_priced(poseidon):
    pk, witness = poseidon
    counts = count_operations(pk, witness)
    assert counts["g1_add_affine"] > 0 and counts["g2_add_affine"] > 0
    costs = op_costs(pk, points=64, repeat=1)
    assert sorted(costs) == sorted(f"{g}_{op}" for g, op in OPERATIONS)
    assert all(v > 0 for v in costs.values())
    assert 0 < floor_seconds(counts, costs)
