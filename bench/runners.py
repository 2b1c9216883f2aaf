"""Whole-process runs of each prover/verifier on a fixture: wall time, CPU time and peak RSS.

Each run is a child process started with the profile applied (affinity, address-space limit,
cgroup); ``os.wait4`` gives its CPU time and peak resident set.  A child that dies of the memory
limit is reported with ``status = "oom"`` ("out of memory for this profile"), never raised.

Provers (``PROVERS``):

* ``zkescrow``   ``zkescrow prove KEY.zkey W.wtns PROOF.json PUBLIC.json`` (the installed CLI).
* ``snarkjs``    ``snarkjs groth16 prove`` (PATH, else tests/interop/node_modules/snarkjs/build/cli.cjs).
* ``groth16py``  arkworks via groth16py 0.2.0 (``import_zkey`` + ``prove_wtns``), when installed: the
                 native floor.
* ``py_ecc``     bench/alternatives/py_ecc_prover.py: the same algorithm on py_ecc's optimized_bn128
                 (only at small sizes).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .fixtures import REPO, SNARKJS_CLI

PYTHON = sys.executable
_OOM_MARKERS = ("MemoryError", "out of memory", "Cannot allocate memory", "Out of memory", "std::bad_alloc",
                "WebAssembly.Memory", "Array buffer allocation failed", "RangeError: WebAssembly",
                "Fatal process out of memory", "Fatal process OOM", "Failed to reserve", "failed to reserve",
                "mmap failed", "allocation failed")


def zkescrow_cli() -> list[str]:
    exe = Path(PYTHON).with_name("zkescrow")
    if exe.exists():
        return [str(exe)]
    return [PYTHON, "-m", "zkescrow.cli.main"]


def snarkjs_cli() -> list[str] | None:
    found = shutil.which("snarkjs")
    if found:
        return [found]
    if shutil.which("node") and SNARKJS_CLI.exists():
        return ["node", str(SNARKJS_CLI)]
    return None


def groth16py_version() -> str | None:
    try:
        from importlib.metadata import version
        return version("groth16py")
    except Exception:
        return None


_GROTH16PY_PROVE = """
import sys, groth16py
pk, vk = groth16py.import_zkey(sys.argv[1])
proof = groth16py.prove_wtns(pk, sys.argv[2])
open(sys.argv[3], "wb").write(proof)
"""

_GROTH16PY_VERIFY = """
import sys, groth16py, json
pk, vk = groth16py.import_zkey(sys.argv[1])
ok = groth16py.Verifier(vk).verify_snarkjs(open(sys.argv[2]).read(), open(sys.argv[3]).read())
sys.exit(0 if ok else 1)
"""


def prove_command(prover: str, fx, out_dir: Path) -> list[str] | None:
    proof, public = out_dir / "proof.json", out_dir / "public.json"
    if prover == "zkescrow":
        return zkescrow_cli() + ["prove", str(fx.zkey), str(fx.wtns), str(proof), str(public)]
    if prover == "snarkjs":
        cli = snarkjs_cli()
        return None if cli is None else cli + ["groth16", "prove", str(fx.zkey), str(fx.wtns), str(proof),
                                                 str(public)]
    if prover == "groth16py":
        if groth16py_version() is None:
            return None
        return [PYTHON, "-c", _GROTH16PY_PROVE, str(fx.zkey), str(fx.wtns), str(out_dir / "proof.bin")]
    if prover == "py_ecc":
        return [PYTHON, "-m", "bench.alternatives.py_ecc_prover", str(fx.zkey), str(fx.wtns), str(proof),
                str(public)]
    raise ValueError(prover)


def verify_command(verifier: str, fx) -> list[str] | None:
    if verifier == "zkescrow":
        return zkescrow_cli() + ["verify", str(fx.vk_json), str(fx.public_json), str(fx.proof_json)]
    if verifier == "snarkjs":
        cli = snarkjs_cli()
        return None if cli is None else cli + ["groth16", "verify", str(fx.vk_json), str(fx.public_json),
                                                 str(fx.proof_json)]
    if verifier == "groth16py":
        if groth16py_version() is None:
            return None
        return [PYTHON, "-c", _GROTH16PY_VERIFY, str(fx.zkey), str(fx.proof_json), str(fx.public_json)]
    raise ValueError(verifier)


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


def _pss_kib(pid: int) -> int:
    """Proportional set size of one process (shared pages split between sharers), 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_mib(pid: int) -> float:
    """Memory of a process and its children together, counting copy-on-write shared pages once."""
    return sum(_pss_kib(p) for p in _tree(pid)) / 1024


def run_measured(cmd: list[str], profile, *, timeout: float = 3600) -> dict:
    """Run ``cmd`` under ``profile``; {status, wall_s, cpu_s, peak_rss_mib, peak_tree_mib, detail}.

    ``peak_rss_mib`` is the kernel's peak resident set of the largest process (``ru_maxrss``);
    ``peak_tree_mib`` the largest sum of proportional set sizes of the process and its children,
    sampled every ~20 ms (it sees a forked helper's memory, which ``ru_maxrss`` does not add).
    """
    env = dict(os.environ)
    env.update(profile.env())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, preexec_fn=profile.child_setup(), env=env,
                                cwd=str(REPO))
        deadline = start + timeout
        peak_tree = 0.0
        next_sample = start
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if now >= next_sample:
                peak_tree = max(peak_tree, tree_pss_mib(proc.pid))
                next_sample = now + 0.02
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    rc = proc.returncode
    result = {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
              "peak_rss_mib": usage.ru_maxrss / 1024, "peak_tree_mib": peak_tree, "rc": rc}
    if rc == 0:
        result["status"] = "ok"
    elif any(m in stderr for m in _OOM_MARKERS) or rc in (-9, 137, -6, 134) and profile.memory:
        result["status"] = "oom"
        result["detail"] = "out of memory for this profile"
    else:
        result["status"] = "error"
        result["detail"] = stderr.strip().splitlines()[-1][:300] if stderr.strip() else f"exit {rc}"
    return result
