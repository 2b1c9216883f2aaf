"""How the prover would scale on more cores than this machine has: the plan for N workers replayed on one.

    python -m bench.scaling_replay [--workers 1,2,4,8] [--runs 3] [--circuits membership-d20,transfer-d20]

For each N, the pool's plan (``schedule.plan`` with the pool's default cost model, as a one-shot
``zkescrow prove`` uses it) is computed for the fixture's witness, and every piece of every worker
is run here, one after another, timed in CPU seconds.  The timeline is then laid out as the pool
runs it: the worker holding the quotient job starts with it, H pieces on other workers wait for
its end, every worker runs its pieces in plan order.  The predicted proving wall time is the latest
worker's end; the pieces' partial sums are added and the proof is checked against the one-process
prover's (same r, s).

What a replay cannot show: contention between cores for memory bandwidth and shared caches, the
fork and the messages (a few milliseconds per proof, see ``bench.prove_vs_snarkjs`` for the measured
2-worker wall), and a slower or faster core.  Replaying N = 2 here and comparing with the measured
2-worker proof is how far to trust it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from .fixtures import fixture


class FixedRng:
    """Blinding scalars r = s = 123456789, so a replayed proof can be compared with the one-process one."""

    def randbelow(self, n):
        return 123456789


def replay(pk, w, workers: int) -> dict:
    """One replay of the ``workers``-worker plan: per-worker end times and the predicted wall."""
    from zkescrow.bn254.curve import g1_add, g2_add
    from zkescrow.groth16.pool import ProverPool, msm_piece, quotient_job
    from zkescrow.groth16.prove import blind
    from zkescrow.groth16 import schedule

    plan = ProverPool(pk, workers=1).plan(w, workers)      # no fork: only the plan is used
    t0 = time.process_time()
    d, _, _ = quotient_job(pk, w)
    q_end = time.process_time() - t0
    sums = {job: None for job in schedule.LINE if job != "q"}
    ends = []
    for pieces in plan:
        clock = 0.0
        for p in sorted(pieces, key=lambda p: p.job == "h"):        # the pool sends H pieces last
            if p.job == "q":
                clock += q_end
                continue
            if p.job == "h":
                clock = max(clock, q_end)
            t = time.process_time()
            point = msm_piece(pk, p.job, p.lo, p.hi, w, d[p.lo:p.hi] if p.job == "h" else None, p.span)
            clock += time.process_time() - t
            sums[p.job] = (g2_add if p.job == "b2" else g1_add)(sums[p.job], point)
        ends.append(clock)
    proof = blind(pk, sums["a"], sums["b1"], sums["b2"], g1_add(sums["c"], sums["h"]), FixedRng())
    return {"wall": max(ends), "cpu": sum(ends), "ends": ends, "proof": proof}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scaling_replay", description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--circuits", default="membership-d20,transfer-d20")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    from gmpy2 import mpz

    from zkescrow.formats.wtns_file import read_wtns
    from zkescrow.groth16.key_cache import load_proving_key
    from zkescrow.groth16.prove import prove

    counts = [int(x) for x in args.workers.split(",")]
    report = {}
    rows = ["| circuit | workers | predicted proving wall (median) | speed-up vs 1 | CPU summed | busiest / idlest worker |",
            "|---|---|---|---|---|---|"]
    for name in filter(None, args.circuits.split(",")):
        fx = fixture(name, log=lambda m: print(m, file=sys.stderr))
        pk, _ = load_proving_key(fx.zkey)
        w = [mpz(v) for v in read_wtns(fx.wtns)]
        expected = prove(pk, w, rng=FixedRng(), workers=1)[0]
        report[name] = {}
        for n in counts:
            runs = [replay(pk, w, n) for _ in range(args.runs)]
            if any(r["proof"] != expected for r in runs):
                raise RuntimeError(f"{name}: the {n}-worker pieces do not add up to the proof")
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            ends = min(runs, key=lambda r: abs(r["wall"] - wall))["ends"]
            report[name][n] = {"wall_s": wall, "cpu_s": cpu, "ends_s": ends,
                               "samples_wall_s": [r["wall"] for r in runs]}
            base = report[name][counts[0]]["wall_s"]
            rows.append(f"| {name} | {n} | {wall:.2f} s | {base / wall:.2f}× | {cpu:.2f} s "
                        f"| {max(ends):.2f} / {min(ends):.2f} s |")
    print("\n".join(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
