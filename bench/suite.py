"""The Groth16 benchmark suite: zkescrow beside snarkjs, groth16py (arkworks) and a py_ecc prover.

    python -m bench.suite [--quick] [--runs 5] [--preset rpi4|phone|server|single]
                          [--cores N] [--memory 512M] [--cpu-quota 0.5] [--out DIR] [--publish]
                          [--targets T,…] [--sizes K,…] [--circuits C,…] [--presets P,…]

(also ``zkescrow bench …`` and ``make bench``).  What runs:

* **targets**: the built-in ``transfer`` circuit at depth 20 and a circom2-compiled circomlib Poseidon
  membership circuit (``bench/fixtures.py``): whole-process prove and verify for every prover on the
  same .zkey and .wtns, interleaved run by run so they share the machine's conditions; in-process
  phases, key loading, verify and ``verify_batch`` of 64 proofs.
* **scaling sweep**: synthetic circuits of 2^8 … 2^16 constraints (2^8 … 2^12 with ``--quick``, which
  also leaves out the py_ecc prover: ~30 s for one 2^8 proof) with full-size witness values;
  in-process phases and whole-process provers; time per constraint against n·log n.
* **circuit sweep**: every circuit of the project's registry (``circuits.registry``) at its default
  parameters (``--quick``: those without a Merkle depth), with a witness from
  ``bench.builtin_circuits.honest_inputs``: whole-process prove and verify for zkescrow and snarkjs
  (and groth16py's prove), interleaved run by run, with the per-round zkescrow/snarkjs ratios of wall
  and CPU time.
* **presets** (only with ``--presets``): the car's deposit proof and its time to first packet under each
  named preset (``bench/first_packet.py``).

Every sample is the median of ``--runs`` runs after one warm-up (min and max kept).  Every proof a
prover writes is checked by ``snarkjs groth16 verify`` once per fixture.  Output in ``--out``
(default bench/out/<timestamp>): ``results.json`` (machine, versions, git revision, profile, every
raw sample), ``results.md`` (the tables) and ``*.png`` plots; ``--publish`` also copies them to
bench/results/ and refreshes the tables in bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .fixtures import REPO, builtin_fixture_name, fixture
from .profiles import make_profile
from .runners import (groth16py_version, prove_command, rss_floor_mib, run_measured, snarkjs_cli,
                      verify_command)

PROVERS = ("zkescrow", "snarkjs", "groth16py", "py_ecc")
VERIFIERS = ("zkescrow", "snarkjs", "groth16py")
#: py_ecc's prover only runs at these sizes or below (it needs ~6 ms per G1 term), once.
PY_ECC_MAX_CONSTRAINTS = 300


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def med(xs):
    return statistics.median(xs) if xs else None


def summary(xs) -> dict | None:
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


# --- environment --------------------------------------------------------------------------------

def _cmd_output(cmd) -> str | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info(profile) -> dict:
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import gmpy2
    snarkjs_version = None
    pkg = REPO / "tests" / "interop" / "node_modules" / "snarkjs" / "package.json"
    if pkg.exists():
        snarkjs_version = json.loads(pkg.read_text()).get("version")
    try:
        mem_total = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                             if line.startswith("MemTotal"))) // 1024
    except (OSError, StopIteration):
        mem_total = None
    return {
        "uname": platform.uname()._asdict(), "cpu_model": cpu_model, "cpu_count": os.cpu_count(),
        "memory_mib": mem_total, "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(), "gmpy2": gmpy2.version(), "gmp": gmpy2.mp_version(),
        "node": _cmd_output(["node", "--version"]), "snarkjs": snarkjs_version, "groth16py": groth16py_version(),
        "git_revision": _cmd_output(["git", "rev-parse", "HEAD"]),
        "git_dirty": bool(_cmd_output(["git", "status", "--porcelain", "--", "zkescrow", "bench"])),
        "profile": profile.to_json(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rss_floor_mib": rss_floor_mib(profile),
    }


# --- correctness of every prover's output -----------------------------------------------------------

def check_with_snarkjs(fx, proof: Path, public: Path) -> bool | None:
    cli = snarkjs_cli()
    if cli is None:
        return None
    proc = subprocess.run(cli + ["groth16", "verify", str(fx.vk_json), str(public), str(proof)],
                          capture_output=True, text=True, timeout=600)
    return proc.returncode == 0 and "OK" in proc.stdout


def ensure_reference_proof(fx, profile) -> None:
    """proof.json/public.json in the fixture dir: a zkescrow proof that snarkjs accepts."""
    if fx.proof_json.exists() and fx.public_json.exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        res = run_measured(prove_command("zkescrow", fx, Path(tmp)), make_profile())
        if res["status"] != "ok":
            raise RuntimeError(f"zkescrow prove failed on {fx.name}: {res.get('detail')}")
        shutil.copy(Path(tmp) / "proof.json", fx.proof_json)
        shutil.copy(Path(tmp) / "public.json", fx.public_json)


# --- whole-process rounds ------------------------------------------------------------------------------

def whole_process(fx, provers, profile, runs: int, warmup: int, what: str = "prove") -> dict:
    """{prover: {samples: [...], status, accepted_by_snarkjs}}; provers interleaved run by run."""
    out = {p: {"samples": [], "status": "ok"} for p in provers}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {p: Path(tmp) / p for p in provers}
        for d in dirs.values():
            d.mkdir()
        for i in range(warmup + runs):
            for p in provers:
                if out[p]["status"] != "ok":
                    continue
                if p == "py_ecc" and i != warmup:      # minutes per run: one timed run, no warm-up
                    continue
                cmd = prove_command(p, fx, dirs[p]) if what == "prove" else verify_command(p, fx)
                if cmd is None:
                    out[p]["status"] = "unavailable"
                    continue
                res = run_measured(cmd, profile)
                if res["status"] != "ok":
                    out[p]["status"] = res["status"]
                    out[p]["detail"] = res.get("detail")
                    log(f"    {p} {what}: {res['status']} ({res.get('detail')})")
                    continue
                if i >= warmup:
                    out[p]["samples"].append(res)
        if what == "prove":
            for p in provers:
                if out[p]["status"] == "ok" and (dirs[p] / "proof.json").exists():
                    out[p]["accepted_by_snarkjs"] = check_with_snarkjs(fx, dirs[p] / "proof.json",
                                                                       dirs[p] / "public.json")
                    if out[p]["accepted_by_snarkjs"] is False:
                        log(f"    WARNING: snarkjs rejects the {p} proof of {fx.name}")
    for p, entry in out.items():
        s = entry["samples"]
        if p != "snarkjs" and out.get("snarkjs", {}).get("samples") and len(s) == len(out["snarkjs"]["samples"]):
            # ratios run by run: both measured back to back in the same round, under the same load
            sj = out["snarkjs"]["samples"]
            entry["ratio_wall"] = summary([a["wall_s"] / b["wall_s"] for a, b in zip(s, sj)])
            entry["ratio_cpu"] = summary([a["cpu_s"] / b["cpu_s"] for a, b in zip(s, sj)
                                          if a["cpu_s"] is not None and b["cpu_s"]])
        entry["wall"] = summary([x["wall_s"] for x in s])
        entry["cpu"] = summary([x["cpu_s"] for x in s])
        entry["peak_rss_mib"] = summary([x["peak_rss_mib"] for x in s])
        entry["peak_tree_mib"] = summary([x.get("peak_tree_mib") for x in s])
    return out


def in_process(fx, profile, runs: int, warmup: int, parts: str) -> dict:
    cmd = [sys.executable, "-m", "bench.inprocess", str(fx.dir), "--runs", str(runs), "--warmup", str(warmup),
           "--parts", parts]
    env = dict(os.environ)
    env.update(profile.env())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=profile.child_setup(), env=env,
                          cwd=str(REPO))
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        status = "oom" if "MemoryError" in proc.stderr else "error"
        return {"status": status, "detail": "out of memory for this profile" if status == "oom"
                else (err[-1] if err else f"exit {proc.returncode}")}
    return {"status": "ok", **json.loads(proc.stdout)}


# --- the plan ------------------------------------------------------------------------------------------

def registry_circuits(*, small_only: bool = False) -> list[str]:
    """Every built-in circuit of the project's registry, by name (``small_only``: those without a Merkle
    depth, which are all under 2^13 constraints; the depth-20 ones take most of a run)."""
    from circuits.registry import list_circuits
    return [name for name, e in list_circuits() if not (small_only and "depth" in e.defaults)]


def plan(quick: bool) -> dict:
    if quick:
        return {"targets": ["transfer-d20"], "sweep": [8, 10, 12], "circuits": registry_circuits(small_only=True),
                "inprocess_targets": "key,verify,batch", "py_ecc": False}
    return {"targets": ["transfer-d20", "membership-d20"], "sweep": list(range(8, 17, 2)),
            "circuits": registry_circuits(), "inprocess_targets": "prove,key,verify,batch", "py_ecc": True}


def run(args) -> dict:
    profile = make_profile(args.preset, cores=args.cores, memory=args.memory, cpu_quota=args.cpu_quota)
    profile.prepare()
    p = plan(args.quick)
    if args.sizes is not None:
        p["sweep"] = [int(x) for x in args.sizes.split(",") if x.strip()]
    if args.targets is not None:
        p["targets"] = [t for t in args.targets.split(",") if t]
    if getattr(args, "circuits", None) is not None:
        p["circuits"] = [c for c in args.circuits.split(",") if c]
    runs, warmup = args.runs, 1
    results = {"machine": machine_info(profile), "plan": p, "command": command_line(args), "runs": runs,
               "warmup": warmup,
               "quick": args.quick, "targets": {}, "sweep": {}, "circuits": {}, "presets": {}}
    try:
        for name in p["targets"]:
            log(f"target {name}")
            fx = fixture(name, log=log)
            ensure_reference_proof(fx, profile)
            entry = {"fixture": fx.__dict__ | {"dir": str(fx.dir)}}
            entry["prove"] = whole_process(fx, ("zkescrow", "snarkjs", "groth16py"), profile, runs, warmup)
            entry["verify"] = whole_process(fx, VERIFIERS, profile, runs, warmup, what="verify")
            entry["in_process"] = in_process(fx, profile, runs, warmup, p["inprocess_targets"])
            results["targets"][name] = entry
        for k in p["sweep"]:
            name = f"chain-2^{k}"
            log(f"sweep {name}")
            fx = fixture(name, log=log)
            provers = [x for x in PROVERS
                       if x != "py_ecc" or (p["py_ecc"] and fx.n_constraints <= PY_ECC_MAX_CONSTRAINTS)]
            entry = {"fixture": fx.__dict__ | {"dir": str(fx.dir)}}
            entry["prove"] = whole_process(fx, provers, profile, runs, warmup)
            entry["in_process"] = in_process(fx, profile, runs, warmup, "prove")
            results["sweep"][name] = entry
        for name in p["circuits"]:
            log(f"circuit {name}")
            fx = fixture(builtin_fixture_name(name), log=log)
            ensure_reference_proof(fx, profile)
            entry = {"fixture": fx.__dict__ | {"dir": str(fx.dir)}, "load_before": os.getloadavg()}
            entry["prove"] = whole_process(fx, ("zkescrow", "snarkjs", "groth16py"), profile, runs, warmup)
            entry["verify"] = whole_process(fx, ("zkescrow", "snarkjs"), profile, runs, warmup, what="verify")
            entry["load_after"] = os.getloadavg()
            results["circuits"][name] = entry
        if getattr(args, "presets", None):
            from .first_packet import run_presets
            log(f"presets {args.presets}: deposit proof and time to first packet")
            results["presets"] = run_presets([x for x in args.presets.split(",") if x], runs)
    finally:
        profile.cleanup()
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["machine"]["profile"] = profile.to_json()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench.suite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return execute(args)


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true", help="a ~2-minute run: transfer depth 20, sweep to 2^12")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per measurement (default 5; 3 quick)")
    parser.add_argument("--preset", choices=["rpi4", "phone", "server", "single"], default=None)
    parser.add_argument("--cores", type=int, default=None, help="CPU affinity: the first N usable CPUs")
    parser.add_argument("--memory", default=None, help="address-space limit, e.g. 512M")
    parser.add_argument("--cpu-quota", type=float, default=None, help="CPUs of bandwidth (cgroup v2 cpu.max)")
    parser.add_argument("--sizes", default=None, help="sweep exponents, e.g. 8,10,12")
    parser.add_argument("--targets", default=None, help="target fixtures, e.g. transfer-d20,membership-d20")
    parser.add_argument("--circuits", default=None, help="built-in circuits, e.g. deposit,transfer (default: all)")
    parser.add_argument("--presets", default=None,
                        help="deposit proof and time to first packet under these presets, "
                             "e.g. server,rpi4,phone,single")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--publish", action="store_true", help="copy the output to bench/results and RESULTS.md")
    parser.add_argument("--no-plots", action="store_true")


def command_line(args) -> str:
    """The command that repeats this run (the options that were set, in the suite's spelling)."""
    parts = ["python -m bench.suite"]
    if args.quick:
        parts.append("--quick")
    parts += ["--runs", str(args.runs)]
    for opt in ("preset", "cores", "memory", "cpu_quota", "sizes", "targets", "circuits", "presets"):
        value = getattr(args, opt, None)
        if value is not None:
            parts += ["--" + opt.replace("_", "-"), repr(value) if value == "" else str(value)]
    if args.publish:
        parts.append("--publish")
    return " ".join(parts)


def execute(args) -> int:
    from . import report

    if args.runs is None:
        args.runs = 3 if args.quick else 5
    from .profiles import PRESETS
    for name in (getattr(args, "presets", None) or "").split(","):
        if name and name not in PRESETS:
            raise SystemExit(f"bench.suite: unknown preset {name!r} in --presets (known: {', '.join(PRESETS)})")
    out = args.out or REPO / "bench" / "out" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = run(args)
    results["seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    md = report.markdown(results)
    (out / "results.md").write_text(md)
    plots = [] if args.no_plots else report.plots(results, out)
    print(md)
    log(f"wrote {out}/results.json, results.md" + (f" and {len(plots)} plots" if plots else ""))
    if args.publish:
        from .publish import publish
        publish(out, results, plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
