"""Whole-process `zkescrow prove` against `snarkjs groth16 prove`, interleaved run by run.

    python -m bench.prove_vs_snarkjs [--runs 5] [--circuits membership-d20,transfer-d20]
                                     [--no-scaling] [--out bench/out/prove_vs_snarkjs.json]

For each circuit (fixtures from ``bench/fixtures.py``: the same .zkey and .wtns for both provers)
every round runs zkescrow and snarkjs back to back, alternating which goes first, after one
warm-up round (which also fills zkescrow's decoded-key cache, as any second proof with a key
would).  Each run is a child process; wall time and CPU time (user + system of the process and
its reaped children: snarkjs's threads, zkescrow's workers) come from ``os.wait4``.  The load
average is read before every round.  Reported: medians of each, and the median of the per-round
ratios zkescrow / snarkjs, which is what counts on a shared machine.

Scaling: zkescrow again with its CPU affinity limited to 1 core (``taskset``-style, so it proves
in one process) and with both cores (two workers), interleaved the same way.
One proof of each prover per circuit is checked with ``snarkjs groth16 verify``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from .fixtures import REPO, fixture
from .profiles import make_profile
from .runners import prove_command, run_measured, snarkjs_cli
from .suite import check_with_snarkjs


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _round(cmds: dict, profiles: dict, order: list) -> dict:
    out = {}
    for name in order:
        res = run_measured(cmds[name], profiles[name])
        if res["status"] != "ok":
            raise RuntimeError(f"{name} failed: {res.get('detail')}")
        out[name] = {"wall_s": res["wall_s"], "cpu_s": res["cpu_s"]}
    return out


def interleaved(cmds: dict, profiles: dict, runs: int, warmup: int = 1) -> dict:
    """Rounds of every command, first one alternating; samples per name plus the load of each round."""
    names = list(cmds)
    samples = {name: [] for name in names}
    loads = []
    for i in range(warmup + runs):
        order = names if i % 2 == 0 else names[::-1]
        load = os.getloadavg()[0]
        got = _round(cmds, profiles, order)
        if i < warmup:
            continue
        loads.append(load)
        for name in names:
            samples[name].append(got[name])
    return {"samples": samples, "load_1min": loads}


def summarise(result: dict, a: str, b: str) -> dict:
    s = result["samples"]
    med = statistics.median
    out = {"load_1min_median": med(result["load_1min"]), "load_1min_range": [min(result["load_1min"]),
                                                                           max(result["load_1min"])]}
    for name in (a, b):
        out[name] = {"wall_s": med(x["wall_s"] for x in s[name]), "cpu_s": med(x["cpu_s"] for x in s[name])}
    for key in ("wall_s", "cpu_s"):
        ratios = [x[key] / y[key] for x, y in zip(s[a], s[b])]
        out[f"ratio_{key}"] = med(ratios)
        out[f"ratio_{key}_range"] = [min(ratios), max(ratios)]
    return out


def _verify_both(fx, profile) -> dict:
    ok = {}
    with tempfile.TemporaryDirectory() as tmp:
        for prover in ("zkescrow", "snarkjs"):
            d = Path(tmp) / prover
            d.mkdir()
            res = run_measured(prove_command(prover, fx, d), profile)
            ok[prover] = res["status"] == "ok" and bool(check_with_snarkjs(fx, d / "proof.json", d / "public.json"))
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.prove_vs_snarkjs", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--circuits", default="membership-d20,transfer-d20")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "prove_vs_snarkjs.json"))
    args = ap.parse_args(argv)
    if snarkjs_cli() is None:
        log("snarkjs is not installed (tests/interop/node_modules); nothing to compare with")
        return 1
    cores = len(os.sched_getaffinity(0))
    full, one = make_profile(), make_profile(cores=1)
    report = {"cpus": cores, "runs": args.runs, "circuits": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in filter(None, args.circuits.split(",")):
            fx = fixture(name, log=log)
            log(f"{name}: {fx.n_constraints} constraints, domain {fx.domain_size}")
            entry = {"constraints": fx.n_constraints, "domain": fx.domain_size,
                     "accepted_by_snarkjs": _verify_both(fx, full)}
            dirs = {p: Path(tmp) / name / p for p in ("zkescrow", "snarkjs", "zkescrow-1core")}
            for d in dirs.values():
                d.mkdir(parents=True)
            cmds = {p: prove_command(p, fx, dirs[p]) for p in ("zkescrow", "snarkjs")}
            res = interleaved(cmds, {"zkescrow": full, "snarkjs": full}, args.runs)
            entry["vs_snarkjs"] = {"raw": res, **summarise(res, "zkescrow", "snarkjs")}
            if not args.no_scaling and cores >= 2:
                cmds = {"zkescrow-1core": prove_command("zkescrow", fx, dirs["zkescrow-1core"]),
                        "zkescrow": cmds["zkescrow"]}
                res = interleaved(cmds, {"zkescrow-1core": one, "zkescrow": full}, args.runs)
                entry["scaling"] = {"raw": res, **summarise(res, "zkescrow", "zkescrow-1core")}
            report["circuits"][name] = entry
            log(json.dumps({k: v for k, v in entry["vs_snarkjs"].items() if k != "raw"}))
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(report, indent=1))     # after each circuit
    print(markdown(report))
    return 0


def markdown(report: dict) -> str:
    rows = ["| circuit | zkescrow wall | snarkjs wall | wall ratio | zkescrow CPU | snarkjs CPU | CPU ratio | "
            "load (1-min, median, range) | accepted by snarkjs |", "|---|---|---|---|---|---|---|---|---|"]
    for name, e in report["circuits"].items():
        v = e["vs_snarkjs"]
        rows.append(
            f"| {name} ({e['constraints']:,} constraints, 2^{e['domain'].bit_length() - 1}) "
            f"| {v['zkescrow']['wall_s']:.2f} s | {v['snarkjs']['wall_s']:.2f} s "
            f"| **{v['ratio_wall_s']:.2f}×** ({v['ratio_wall_s_range'][0]:.2f}–{v['ratio_wall_s_range'][1]:.2f}) "
            f"| {v['zkescrow']['cpu_s']:.2f} s | {v['snarkjs']['cpu_s']:.2f} s "
            f"| **{v['ratio_cpu_s']:.2f}×** ({v['ratio_cpu_s_range'][0]:.2f}–{v['ratio_cpu_s_range'][1]:.2f}) "
            f"| {v['load_1min_median']:.1f} ({v['load_1min_range'][0]:.1f}–{v['load_1min_range'][1]:.1f}) "
            f"| {'yes' if all(e['accepted_by_snarkjs'].values()) else 'NO'} |")
    if any("scaling" in e for e in report["circuits"].values()):
        rows += ["", "| circuit | 1 core (in-process) wall | 2 workers wall | speed-up (median of per-round) | "
                 "1 core CPU | 2 workers CPU | load |", "|---|---|---|---|---|---|---|"]
        for name, e in report["circuits"].items():
            if "scaling" not in e:
                continue
            s = e["scaling"]
            rows.append(f"| {name} | {s['zkescrow-1core']['wall_s']:.2f} s | {s['zkescrow']['wall_s']:.2f} s "
                        f"| {1 / s['ratio_wall_s']:.2f}× | {s['zkescrow-1core']['cpu_s']:.2f} s "
                        f"| {s['zkescrow']['cpu_s']:.2f} s | {s['load_1min_median']:.1f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
