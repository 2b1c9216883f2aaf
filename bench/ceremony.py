"""zkescrow beside snarkjs for the circom-user commands: `wtns calculate` and the powers-of-tau ceremony.

    python -m bench.ceremony                      # power 8, a 300-hash Poseidon chain, 5 runs each
    python -m bench.ceremony --power 10 --chain 100 --runs 3

Each step runs as a whole process, zkescrow and snarkjs interleaved run by run on the same input file
(one warm-up each), and prints medians of wall and CPU (user + system) time with the load average
before and after.  Both tools' outputs are checked: the two witnesses must be the same bytes, and each
ptau step's output must pass the other tool's `powersoftau verify` once.  Raw samples go to
bench/results/ceremony.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from .fixtures import CIRCOM_CLI, CIRCOMLIB, REPO
from .profiles import make_profile
from .runners import run_measured, snarkjs_cli, zkescrow_cli

CHAIN = """pragma circom 2.0.0;
include "poseidon.circom";
template Chain(n) {
    signal input seed;
    signal input salt[2];
    signal output out;
    component h[n];
    for (var i = 0; i < n; i++) {
        h[i] = Poseidon(3);
        h[i].inputs[0] <== i == 0 ? seed : h[i - 1].out;
        h[i].inputs[1] <== salt[0];
        h[i].inputs[2] <== salt[1];
    }
    out <== h[n - 1].out;
}
component main {public [seed]} = Chain(%d);
"""
BEACON = "0102030405060708090a0b0c0d0e0f"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _measure(label: str, commands: dict, runs: int, profile) -> dict:
    """commands: tool -> argv; interleaved runs, first one of each discarded as warm-up."""
    samples = {tool: [] for tool in commands}
    for i in range(runs + 1):
        for tool, argv in commands.items():
            result = run_measured(argv, profile)
            if result["status"] != "ok":
                raise SystemExit(f"{label}: {tool} failed: {result.get('detail', '')}")
            if i:
                samples[tool].append(result)
    row = {"step": label}
    for tool, rs in samples.items():
        row[tool] = {"wall_s": statistics.median(r["wall_s"] for r in rs),
                     "cpu_s": statistics.median(r["cpu_s"] for r in rs), "samples": rs}
    return row


def _check(argv, profile, what: str) -> None:
    if run_measured(argv, profile)["status"] != "ok":
        raise SystemExit(f"check failed: {what}")


def run(args) -> dict:
    profile = make_profile()
    z, s = zkescrow_cli(), snarkjs_cli()
    if s is None:
        raise SystemExit("snarkjs is not installed (tests/interop/node_modules)")
    d = Path(tempfile.mkdtemp(prefix="bench-ceremony-"))
    try:
        return _run(args, profile, z, s, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _run(args, profile, z, s, d: Path) -> dict:
    rows, load_before = [], _load()

    (d / "chain.circom").write_text(CHAIN % args.chain)
    _check(["node", str(CIRCOM_CLI), str(d / "chain.circom"), "--wasm", "-o", str(d), "-l", str(CIRCOMLIB)],
           profile, "circom compile")
    (d / "input.json").write_text(json.dumps({"seed": "5", "salt": ["1", "2"]}))
    wasm = str(d / "chain_js" / "chain.wasm")
    rows.append(_measure(f"wtns calculate, Poseidon chain of {args.chain}", {
        "zkescrow": [*z, "wtns", "calculate", wasm, str(d / "input.json"), str(d / "z.wtns")],
        "snarkjs": [*s, "wtns", "calculate", wasm, str(d / "input.json"), str(d / "s.wtns")]}, args.runs, profile))
    if (d / "z.wtns").read_bytes() != (d / "s.wtns").read_bytes():
        raise SystemExit("the two witnesses differ")

    p = args.power
    steps = [("new", lambda t, o: ["powersoftau", "new", "bn128", str(p), o]),
             ("contribute", lambda t, o: ["powersoftau", "contribute", str(d / f"{t}_new.ptau"), o,
                                          "--name=bench", "-e=bench entropy"]),
             ("beacon", lambda t, o: ["powersoftau", "beacon", str(d / f"{t}_contribute.ptau"), o, BEACON, "10",
                                      "-n=bench beacon"]),
             ("prepare", lambda t, o: ["powersoftau", "prepare", "phase2", str(d / f"{t}_beacon.ptau"), o]),
             ("verify", None)]
    for name, make in steps:
        if make is None:
            rows.append(_measure(f"powersoftau verify, power {p} (prepared)", {
                "zkescrow": [*z, "powersoftau", "verify", str(d / "zkescrow_prepare.ptau")],
                "snarkjs": [*s, "powersoftau", "verify", str(d / "snarkjs_prepare.ptau")]}, args.runs, profile))
            continue
        cmds = {t: [*(z if t == "zkescrow" else s), *make(t, str(d / f"{t}_{name}.ptau"))]
                for t in ("zkescrow", "snarkjs")}
        rows.append(_measure(f"powersoftau {name}, power {p}", cmds, args.runs, profile))
        if name != "new":
            _check([*s, "powersoftau", "verify", str(d / f"zkescrow_{name}.ptau")], profile,
                   f"snarkjs verifies our {name}")
            _check([*z, "powersoftau", "verify", str(d / f"snarkjs_{name}.ptau")], profile,
                   f"we verify snarkjs's {name}")
    return {"rows": rows, "load_before": load_before, "load_after": _load(), "runs": args.runs,
            "power": p, "chain": args.chain, "cpus": os.cpu_count()}


def table(result: dict) -> str:
    lines = [f"load average before {result['load_before']}, after {result['load_after']}; "
             f"{result['cpus']} CPUs; medians of {result['runs']} interleaved runs",
             "", "| step | zkescrow wall / CPU | snarkjs wall / CPU | ratio wall (CPU) |", "|---|---|---|---|"]
    for row in result["rows"]:
        z, s = row["zkescrow"], row["snarkjs"]
        lines.append(f"| {row['step']} | {z['wall_s']:.2f} s / {z['cpu_s']:.2f} s | {s['wall_s']:.2f} s / "
                     f"{s['cpu_s']:.2f} s | {z['wall_s'] / s['wall_s']:.2f}× ({z['cpu_s'] / s['cpu_s']:.2f}×) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceremony", description=__doc__.splitlines()[0])
    parser.add_argument("--power", type=int, default=8, help="ptau power (default 8)")
    parser.add_argument("--chain", type=int, default=300, help="Poseidon hashes in the witness circuit")
    parser.add_argument("--runs", type=int, default=5)
    result = run(parser.parse_args(argv))
    out = REPO / "bench" / "results" / "ceremony.json"
    out.write_text(json.dumps(result, indent=1))
    print(table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
