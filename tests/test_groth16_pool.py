"""The worker pool: any worker count gives the same proof (snarkjs accepts it), the cost-balanced plan
covers every MSM exactly once, the pool survives a dead worker and follows the CPU affinity mask; the
bench's replay of an N-worker plan makes the same proof."""
import os
import random
import sys
from pathlib import Path

import pytest

from conftest import run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403  (session fixtures)

from zkescrow.groth16 import pool as pool_module
from zkescrow.groth16 import schedule
from zkescrow.groth16.pool import ProverPool, prove_many
from zkescrow.groth16.proof import dumps, public_signals_to_json
from zkescrow.groth16.prove import prove
from zkescrow.groth16.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.scaling_replay import FixedRng, replay  # noqa: E402

prove_module = sys.modules[prove.__module__]

pytestmark = pytest.mark.interop


class Fixed:
    """An rng returning fixed blinding scalars, so proofs can be compared bit for bit."""

    def __init__(self, *values):
        self.values = list(values)

    def randbelow(self, bound):
        return self.values.pop(0)


def _snarkjs_verifies(vk_json, proof, public, tmp_path) -> bool:
    (tmp_path / "proof.json").write_text(dumps(proof.to_json()))
    (tmp_path / "public.json").write_text(dumps(public_signals_to_json(public)))
    out = run_snarkjs("groth16", "verify", vk_json, tmp_path / "public.json", tmp_path / "proof.json", check=False)
    return out.returncode == 0 and "OK" in out.stdout


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_worker_count_gives_the_in_process_proof(poseidon, workers, snarkjs_zkey_poseidon, tmp_path):
    pk, witness = poseidon
    expected, public = prove(pk, witness, rng=Fixed(11, 13), workers=1)
    with ProverPool(pk, workers) as pool:
        assert pool.workers == workers
        proof, pub = pool.prove(witness, rng=Fixed(11, 13))
        fresh, _ = pool.prove(witness)
    assert (proof, pub) == (expected, public)
    assert verify(pk.verification_key(), pub, fresh)
    assert _snarkjs_verifies(snarkjs_zkey_poseidon.vk_json, fresh, pub, tmp_path)


def test_prove_with_workers_reports_every_phase(poseidon):
    pk, witness = poseidon
    timings = {}
    proof, public = prove(pk, witness, workers=2, timings=timings)
    assert set(timings) == set(prove_module.PHASES) | {"total"}
    assert verify(pk.verification_key(), public, proof)


def test_prove_many_gives_independent_valid_proofs(poseidon):
    pk, witness = poseidon
    results = prove_many(pk, [witness] * 3, workers=2)
    vk = pk.verification_key()
    assert len(results) == 3
    assert all(verify(vk, public, proof) for proof, public in results)
    assert len({proof.pi_a for proof, _ in results}) == 3        # fresh r, s each time


def test_pool_finishes_the_proof_when_a_worker_dies(poseidon):
    pk, witness = poseidon
    expected, _ = prove(pk, witness, rng=Fixed(3, 4), workers=1)
    with ProverPool(pk, 3) as pool:
        pool._procs[1].kill()
        pool._procs[1].join()
        proof, _ = pool.prove(witness, rng=Fixed(3, 4))
        assert proof == expected
        assert pool.workers == 2
        again, _ = pool.prove(witness, rng=Fixed(3, 4))
        assert again == expected


def test_worker_count_follows_the_affinity_mask(monkeypatch):
    class Key:
        domain_size = 1 << 14

    pk = Key()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert prove_module.default_workers(pk) == 4
    assert pool_module.affinity_cpus() == 4
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5}, raising=False)
    assert prove_module.default_workers(pk) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert prove_module.default_workers(pk) == 16
    pk.domain_size = prove_module.PARALLEL_MIN_DOMAIN // 2
    assert prove_module.default_workers(pk) == 1


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 7])
def test_plan_covers_every_msm_once_and_balances(workers):
    rng = random.Random(workers)
    sizes = {"a": 900, "b1": 900, "b2": 900, "c": 880, "h": 1024}
    prefixes = {}
    for job, n in sizes.items():
        weights = schedule.scalar_weights(rng.choice([0, 1, 5, rng.getrandbits(250)]) for _ in range(n))
        prefixes[job] = schedule.prefix_costs(weights, [rng.random() > 0.1 for _ in range(n)])
    costs = schedule.Costs(ntt=1e-8)          # MSM-bound, so the bound below is about the cuts
    plan = schedule.plan(prefixes, 1024, workers, costs)
    assert len(plan) == workers
    for job, n in sizes.items():
        pieces_of = [p for pieces in plan for p in pieces if p.job == job]
        assert all((p.lo, p.hi) == (0, n) for p in pieces_of)        # a cut splits windows, not points
        spans = sorted(p.span for p in pieces_of)
        assert spans[0][0] == 0.0 and spans[-1][1] == 1.0
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(spans, spans[1:]))
    assert sum(p.job == "q" for pieces in plan for p in pieces) == 1
    assert sum(len(pieces) for pieces in plan) <= len(schedule.LINE) + workers - 1

    def cost(p):
        if p.job == "q":
            return p.units * costs.ntt
        return p.units * (costs.g2 if p.job == "b2" else costs.g1) + costs.piece * p.fraction

    loads = [sum(cost(p) for p in pieces) for pieces in plan]
    target = sum(loads) / workers
    assert max(loads) <= target * (1 + schedule.MIN_PIECE * workers) + costs.piece


def test_scalar_weights():
    r = int(schedule.R)
    assert schedule.scalar_weights([0, 1, r - 1, 7, r - 7, 1 << 200]) == [
        0.0, schedule.WEIGHT_ONE, schedule.WEIGHT_ONE, schedule.WEIGHT_SHORT, schedule.WEIGHT_SHORT, 1.0]


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_scaling_replay_pieces_add_up_to_the_proof(poseidon, workers):
    """bench.scaling_replay times the plan of N workers piece by piece; its pieces must make the proof."""
    pk, witness = poseidon
    w = [int(v) for v in witness]
    expected = prove_module.prove(pk, w, rng=FixedRng(), workers=1)[0]
    got = replay(pk, prove_module._checked_witness(pk, w), workers)
    assert got["proof"] == expected
    assert len(got["ends"]) == workers and got["wall"] == max(got["ends"]) <= got["cpu"] + 1e-9
