"""Whole-process `zkescrow prove` of this tree against an earlier git revision, interleaved run by run.

    python -m bench.compare_revisions BASE_REV [--runs 9] [--circuits membership-d20,transfer-d20]

The machine's speed drifts by tens of percent over minutes when it is shared, so two runs of
``bench.prove_vs_snarkjs`` taken before and after a change do not measure the change.  This runs
both versions of the prover on the same fixture back to back in every round (first one
alternating), after one warm-up round each, and reports the medians and the median of the
per-round ratios new / base, wall and CPU (user + system of the process and its workers, from
``os.wait4``).  BASE_REV is checked out into a temporary ``git worktree``; both versions run with
this virtualenv's Python and the same decoded-key cache format as long as it did not change.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .fixtures import REPO, fixture


def prove_once(tree: Path, fx, out: Path) -> tuple[float, float]:
    """(wall, CPU) of one whole-process proof by the zkescrow package in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "zkescrow.cli.main", "prove", str(fx.zkey), str(fx.wtns),
           str(out / "proof.json"), str(out / "public.json")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=out, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"{tree}: prove failed with status {status}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def compare(trees: dict, fx, runs: int, out: Path) -> dict:
    samples = {name: [] for name in trees}
    loads = []
    for name, tree in trees.items():                 # warm-up: fills each version's key cache
        prove_once(tree, fx, out)
    for i in range(runs):
        loads.append(os.getloadavg()[0])
        for name in (list(trees) if i % 2 == 0 else list(trees)[::-1]):
            samples[name].append(prove_once(trees[name], fx, out))
    med = statistics.median
    ratios = {k: [n[j] / b[j] for n, b in zip(samples["new"], samples["base"])] for j, k in enumerate(("wall", "cpu"))}
    return {"samples": samples, "load_1min": loads,
            **{f"{name}_{k}_s": med(s[j] for s in samples[name]) for name in trees
               for j, k in enumerate(("wall", "cpu"))},
            **{f"ratio_{k}": med(v) for k, v in ratios.items()},
            **{f"ratio_{k}_range": [min(v), max(v)] for k, v in ratios.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compare_revisions", description=__doc__.split("\n\n")[0])
    ap.add_argument("base", metavar="BASE_REV")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--circuits", default="membership-d20,transfer-d20")
    args = ap.parse_args(argv)
    rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=REPO, capture_output=True, text=True)
    if rev.returncode != 0:
        print(f"not a revision: {args.base}", file=sys.stderr)
        return 2
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    rows = [f"| circuit | {rev.stdout.strip()} wall / CPU | {head} (this tree) wall / CPU | new / base wall | "
            f"new / base CPU | load |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base_tree), args.base], cwd=REPO, check=True)
        try:
            for name in filter(None, args.circuits.split(",")):
                fx = fixture(name, log=lambda m: print(m, file=sys.stderr))
                r = compare({"base": base_tree, "new": REPO}, fx, args.runs, Path(tmp))
                loads = r["load_1min"]
                rows.append(f"| {name} | {r['base_wall_s']:.2f} / {r['base_cpu_s']:.2f} s "
                            f"| {r['new_wall_s']:.2f} / {r['new_cpu_s']:.2f} s "
                            f"| **{r['ratio_wall']:.3f}×** ({r['ratio_wall_range'][0]:.2f}–{r['ratio_wall_range'][1]:.2f}) "
                            f"| **{r['ratio_cpu']:.3f}×** ({r['ratio_cpu_range'][0]:.2f}–{r['ratio_cpu_range'][1]:.2f}) "
                            f"| {statistics.median(loads):.1f} ({min(loads):.1f}–{max(loads):.1f}) |")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=REPO)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
