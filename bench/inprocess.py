"""In-process measurements on one fixture, printed as JSON (run as a child under the bench profile).

    python -m bench.inprocess FIXTURE_DIR [--runs 5] [--warmup 1] [--parts prove,verify,batch,key]

* ``prove``   the prover per phase (build_abc, ntt, msm_a, msm_b1, msm_b2, msm_c, msm_h, blind) with
              ``workers=1`` and with ``workers=2`` (the work spread over forked workers by measured cost) when 2 CPUs are usable.
* ``key``     reading the .zkey (``read_zkey``) against a hit of the decoded-key cache.
* ``verify``  one in-process verification (parsed key and proof, as a long-running verifier holds them).
* ``batch``   ``verify_batch`` of 64 proofs against 64 single ``verify`` calls; the 64 proofs are
              re-randomisations of one proof (A' = t⁻¹·A, B' = t·B + t·u·δ, C' = C + u·A), each a
              valid, distinct proof of the same statement.

Times are wall-clock (``perf_counter``) with CPU time (``process_time``) alongside.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

from zkescrow.bn254.constants import R
from zkescrow.bn254.curve import g1_add, g1_mul, g2_add, g2_mul
from zkescrow.formats.wtns_file import read_wtns
from zkescrow.groth16.zkey import read_zkey
from zkescrow.groth16.proof import Proof, parse_public_signals
from zkescrow.groth16.vk import VerificationKey

BATCH = 64


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def _series(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    wall, cpu, extra = [], [], []
    for _ in range(runs):
        out, w, c = _timed(fn)
        wall.append(w)
        cpu.append(c)
        extra.append(out)
    return {"wall_s": wall, "cpu_s": cpu}, extra


def rerandomize(proof: Proof, delta2, rng=secrets) -> Proof:
    """Another valid proof of the same statement (public re-randomisation of Groth16)."""
    t = rng.randbelow(int(R) - 1) + 1
    u = rng.randbelow(int(R))
    a = g1_mul(proof.pi_a, pow(t, -1, int(R)))
    b = g2_add(g2_mul(proof.pi_b, t), g2_mul(delta2, t * u % int(R)))
    c = g1_add(proof.pi_c, g1_mul(proof.pi_a, u))
    return Proof(a, b, c)


def measure_prove(fx_dir: Path, runs: int, warmup: int) -> dict:
    import os

    from zkescrow.groth16.prove import prove

    pk = read_zkey(fx_dir / "circuit.zkey")
    witness = read_wtns(fx_dir / "witness.wtns")
    phases = {}

    def seq():
        t = {}
        prove(pk, witness, workers=1, timings=t)
        return t
    totals, per_run = _series(seq, runs, warmup)
    for t in per_run:
        for k, v in t.items():
            phases.setdefault(k, []).append(v)
    workers = 2 if len(os.sched_getaffinity(0)) >= 2 else 1

    def par():
        t = {}
        prove(pk, witness, workers=workers, timings=t)
        return t
    par_totals, par_runs = _series(par, runs, warmup)
    return {"sequential": totals, "sequential_phases_s": phases, "parallel": par_totals,
            "parallel_phases_s": {k: [t[k] for t in par_runs] for k in par_runs[0]}, "workers": workers,
            "witness_01": sum(1 for v in witness if v in (0, 1)), "witness_len": len(witness)}


def measure_key(fx_dir: Path, runs: int, warmup: int) -> dict:
    from zkescrow.groth16.key_cache import load_proving_key

    zkey = fx_dir / "circuit.zkey"
    plain, _ = _series(lambda: read_zkey(zkey), runs, warmup)
    with tempfile.TemporaryDirectory() as cache:
        load_proving_key(zkey, cache_dir=cache)
        hit, statuses = _series(lambda: load_proving_key(zkey, cache_dir=cache)[1], runs, warmup)
    return {"read_zkey": plain, "cache_hit": hit, "statuses": statuses}


def _load_verify_inputs(fx_dir: Path):
    vk = VerificationKey.from_json(json.loads((fx_dir / "verification_key.json").read_text()))
    proof = Proof.from_json(json.loads((fx_dir / "proof.json").read_text()))
    public = parse_public_signals(json.loads((fx_dir / "public.json").read_text()), vk.n_public)
    return vk, proof, public


def measure_verify(fx_dir: Path, runs: int, warmup: int) -> dict:
    from zkescrow.groth16.verify import verify

    vk, proof, public = _load_verify_inputs(fx_dir)
    series, oks = _series(lambda: verify(vk, public, proof), max(runs, 20), warmup + 2)
    if not all(oks):
        raise SystemExit("the fixture proof does not verify")
    return {"verify": series}


def measure_batch(fx_dir: Path, runs: int, warmup: int) -> dict:
    from zkescrow.groth16.batch import verify_batch
    from zkescrow.groth16.verify import verify

    vk, proof, public = _load_verify_inputs(fx_dir)
    proofs = [rerandomize(proof, vk.delta2) for _ in range(BATCH)]
    items = [(public, p) for p in proofs]
    batch, oks = _series(lambda: verify_batch(vk, items), runs, warmup)
    singles, singles_ok = _series(lambda: all(verify(vk, public, p) for p in proofs), runs, warmup)
    if not (all(oks) and all(singles_ok)):
        raise SystemExit("re-randomised proofs do not verify")
    return {"batch_64": batch, "singles_64": singles, "n": BATCH}


PARTS = {"prove": measure_prove, "key": measure_key, "verify": measure_verify, "batch": measure_batch}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fixture_dir", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--parts", default="prove,key,verify,batch")
    args = parser.parse_args(argv)
    out = {}
    for part in args.parts.split(","):
        out[part] = PARTS[part](args.fixture_dir, args.runs, args.warmup)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
