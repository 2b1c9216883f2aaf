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
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .fixtures import REPO, SNARKJS_CLI
from .memory import poll_peak

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


LAUNCHER = Path(__file__).with_name("launch.py")


def launcher_argv(cmd: list[str], result_file: Path) -> list[str]:
    """``cmd`` behind bench/launch.py (a fresh small process, so the driver's memory is not counted)."""
    return [PYTHON, "-I", "-S", str(LAUNCHER), str(result_file), *cmd]


def run_measured(cmd: list[str], profile, *, timeout: float = 3600) -> dict:
    """Run ``cmd`` under ``profile``; {status, wall_s, cpu_s, peak_rss_mib, peak_tree_mib, detail}.

    The command runs as the child of bench/launch.py, itself started with the profile applied
    (affinity, address-space limit, cgroup), so what is measured is the command's own tree:

    * ``wall_s``, ``cpu_s``: fork to exit, user + system of the command and the descendants it reaped;
    * ``peak_rss_mib``: the kernel's peak resident set of the largest process of the tree (``ru_maxrss``
      from ``wait4`` in the launcher; never below the launcher's own few MiB, see ``rss_floor_mib``);
    * ``peak_tree_mib``: the largest summed PSS of the command and all its descendants, sampled every
      10 ms (``bench.memory``): a forked worker's memory is added, shared pages count once.
    """
    env = dict(os.environ)
    env.update(profile.env())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        result_file = Path(tmp) / "usage"
        setup = profile.child_setup()

        def preexec():
            os.setsid()
            setup()
        proc = subprocess.Popen(launcher_argv(cmd, result_file), stdout=out, stderr=err, preexec_fn=preexec,
                                env=env, cwd=str(REPO))
        start = time.perf_counter()
        peak_tree, timed_out = poll_peak(proc, start + timeout)
        if timed_out:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        usage = result_file.read_text().split() if result_file.exists() else None
    if usage is None:      # the launcher itself failed (e.g. could not start under the memory limit)
        result = {"wall_s": time.perf_counter() - start, "cpu_s": None, "peak_rss_mib": None,
                  "peak_tree_mib": peak_tree or None, "rc": proc.returncode}
    else:
        _pid, wall, cpu, maxrss_kib, code = usage
        result = {"wall_s": float(wall), "cpu_s": float(cpu), "peak_rss_mib": int(maxrss_kib) / 1024,
                  "peak_tree_mib": peak_tree or None, "rc": int(code)}
    if timed_out:
        result.update(status="error", detail=f"timed out after {timeout:.0f} s")
        return result
    rc = result["rc"]
    if rc == 0:
        result["status"] = "ok"
    elif any(m in stderr for m in _OOM_MARKERS) or rc in (-9, 137, -6, 134) and profile.memory:
        result["status"] = "oom"
        result["detail"] = "out of memory for this profile"
    else:
        result["status"] = "error"
        result["detail"] = stderr.strip().splitlines()[-1][:300] if stderr.strip() else f"exit {rc}"
    return result


def rss_floor_mib(profile=None) -> float | None:
    """The smallest ``peak_rss_mib`` this harness can report: the launcher's size, measured on ``true``."""
    from .profiles import make_profile
    true = shutil.which("true")
    if true is None:
        return None
    return run_measured([true], profile or make_profile())["peak_rss_mib"]
