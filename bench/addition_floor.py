"""The curve additions one proof needs, priced at their tight-loop cost, against snarkjs's whole CPU time.

    python -m bench.addition_floor [--runs 5] [--circuits membership-d20,transfer-d20] [--out FILE]

A floor for this prover's design (Pippenger buckets, XYZZ formulas, gmpy2 field operations): the
group operations of one proof are counted (``counting_group_ops`` around a one-process ``prove``),
then each kind is priced at what it costs in a loop that does nothing else (one accumulator, the
key's own points, no buckets, no digits: ``op_costs``).  Their sum is CPU time the prover cannot go
below with these operations, before start-up, the key, the quotient, digit extraction and the cache
misses of real buckets.  Every round measures the loop costs here and runs `snarkjs groth16 prove`
and `zkescrow prove` as whole processes back to back (order alternating), so the ratios floor /
snarkjs and zkescrow / floor are per round, on the same machine state; medians are reported.

Not counted, so the floor stays a floor: the handful of scalar multiplications for MSMs of fewer
than ``msm.SMALL_MSM`` terms and the blinding (their number is reported).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .fixtures import REPO, fixture
from .profiles import make_profile
from .prove_vs_snarkjs import _round
from .runners import prove_command, snarkjs_cli

#: The priced operations: (group, operation on ``msm._Group``).
OPERATIONS = [(g, op) for g in ("g1", "g2") for op in ("add_affine", "add", "double")]


def _groups():
    from zkescrow.bn254 import msm
    return {"g1": msm._G1, "g2": msm._G2}


@contextlib.contextmanager
def counting_group_ops():
    """Count the group operations the bucket method performs inside the block: a Counter with keys
    ``g1_add_affine``, ``g1_add``, ``g1_double``, ``g1_mul`` and the same for g2."""
    counts = Counter()
    saved = []

    def counted(f, key):
        def op(*args):
            counts[key] += 1
            return f(*args)
        return op
    for tag, group in _groups().items():
        for name in ("add_affine", "add", "double", "mul"):
            f = getattr(group, name)
            saved.append((group, name, f))
            setattr(group, name, counted(f, f"{tag}_{name}"))
    try:
        yield counts
    finally:
        for group, name, f in saved:
            setattr(group, name, f)


def count_operations(pk, witness) -> Counter:
    """The group operations of one proof of ``witness`` (one process; the pool's split of an MSM by
    windows adds no additions)."""
    from zkescrow.groth16.prove import prove
    with counting_group_ops() as counts:
        prove(pk, witness, workers=1)
    return counts


def _chain(op, start, items):
    acc = start
    for item in items:
        acc = op(acc, item)
    return acc


def op_costs(pk, points: int = 2048, repeat: int = 5) -> dict:
    """CPU seconds per operation, each the fastest of ``repeat`` chains of one accumulator over the
    key's points (H for G1, B2 for G2): ``{"g1_add_affine": …, "g1_add": …, …}``."""
    groups = _groups()
    sources = {"g1": [P for P in pk.h if P is not None][:points],
               "g2": [P for P in pk.b2 if P is not None][:points // 2]}
    costs = {}
    for tag, group in groups.items():
        affine = sources[tag]
        if len(affine) < 2:
            raise ValueError(f"the key has fewer than 2 {tag} points to time")
        xyzz = [group.double(group.lift(P)) for P in affine]          # ZZ ≠ 1: a full addition's input
        runs = {"add_affine": lambda: _chain(group.add_affine, group.lift(affine[0]), affine[1:]),
                "add": lambda: _chain(group.add, xyzz[0], xyzz[1:]),
                "double": lambda: _chain(lambda acc, _: group.double(acc), xyzz[0], xyzz[1:])}
        for name, run in runs.items():
            best = None
            for _ in range(repeat):
                t0 = time.process_time()
                run()
                t = time.process_time() - t0
                best = t if best is None else min(best, t)
            costs[f"{tag}_{name}"] = best / (len(affine) - 1)
    return costs


def floor_seconds(counts, costs) -> float:
    """Σ count × cost over the priced operations."""
    return sum(counts.get(f"{g}_{op}", 0) * costs[f"{g}_{op}"] for g, op in OPERATIONS)


def measure(fx, runs: int, out_dir: Path, profile=None) -> dict:
    """Counts, then ``runs`` rounds of (loop costs, snarkjs, zkescrow); per-round samples and medians."""
    from zkescrow.formats.wtns_file import read_wtns
    from zkescrow.groth16.key_cache import load_proving_key
    profile = profile or make_profile()
    pk, _ = load_proving_key(fx.zkey)
    witness = read_wtns(fx.wtns)
    counts = count_operations(pk, witness)
    cmds = {p: prove_command(p, fx, out_dir / p) for p in ("snarkjs", "zkescrow")}
    for p in cmds:
        (out_dir / p).mkdir(parents=True, exist_ok=True)
    rounds = []
    for i in range(runs + 1):                                        # round 0 warms the key cache
        load = os.getloadavg()[0]
        costs = op_costs(pk)
        got = _round(cmds, {p: profile for p in cmds}, ["snarkjs", "zkescrow"][::1 if i % 2 else -1])
        if i:
            rounds.append({"load_1min": load, "costs": costs, "floor_s": floor_seconds(counts, costs),
                           "snarkjs_cpu_s": got["snarkjs"]["cpu_s"], "zkescrow_cpu_s": got["zkescrow"]["cpu_s"]})
    med = statistics.median
    return {"counts": dict(counts), "rounds": rounds,
            "costs_us": {k: med(r["costs"][k] for r in rounds) * 1e6 for k in rounds[0]["costs"]},
            "floor_s": med(r["floor_s"] for r in rounds),
            "snarkjs_cpu_s": med(r["snarkjs_cpu_s"] for r in rounds),
            "zkescrow_cpu_s": med(r["zkescrow_cpu_s"] for r in rounds),
            "floor_over_snarkjs": med(r["floor_s"] / r["snarkjs_cpu_s"] for r in rounds),
            "zkescrow_over_floor": med(r["zkescrow_cpu_s"] / r["floor_s"] for r in rounds),
            "load_1min": [min(r["load_1min"] for r in rounds), max(r["load_1min"] for r in rounds)]}


def markdown(report: dict) -> str:
    rows = ["| circuit | G1 additions (mixed + full) | G2 additions (mixed + full) | tight loop: G1 / G2 mixed "
            "| addition floor (CPU) | snarkjs CPU | floor / snarkjs | zkescrow CPU | zkescrow / floor | load |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in report["circuits"].items():
        c, us = e["counts"], e["costs_us"]
        rows.append(f"| {name} | {c.get('g1_add_affine', 0):,} + {c.get('g1_add', 0):,} "
                    f"| {c.get('g2_add_affine', 0):,} + {c.get('g2_add', 0):,} "
                    f"| {us['g1_add_affine']:.2f} / {us['g2_add_affine']:.2f} µs | {e['floor_s']:.2f} s "
                    f"| {e['snarkjs_cpu_s']:.2f} s | **{e['floor_over_snarkjs']:.2f}×** | {e['zkescrow_cpu_s']:.2f} s "
                    f"| {e['zkescrow_over_floor']:.2f}× | {e['load_1min'][0]:.1f}–{e['load_1min'][1]:.1f} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.addition_floor", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--circuits", default="membership-d20,transfer-d20")
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "addition_floor.json"))
    args = ap.parse_args(argv)
    if snarkjs_cli() is None:
        print("snarkjs is not installed (tests/interop/node_modules); nothing to compare with", file=sys.stderr)
        return 1
    report = {"cpus": len(os.sched_getaffinity(0)), "runs": args.runs, "circuits": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in filter(None, args.circuits.split(",")):
            fx = fixture(name, log=lambda m: print(m, file=sys.stderr, flush=True))
            report["circuits"][name] = measure(fx, args.runs, Path(tmp) / name)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(report, indent=1))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
