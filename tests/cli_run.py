"""Run the installed ``zkescrow`` console script in a subprocess, with this checkout's code first on the path.

Tests about exit codes and messages use the real entry point, as a user's shell would.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZKESCROW = os.path.join(os.path.dirname(sys.executable), "zkescrow")


def cli_env(**extra) -> dict:
    """The environment of a CLI run: this checkout on PYTHONPATH, plus ``extra`` (None removes a variable)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def zk(*args, cwd, env=None, timeout=900, **popen) -> subprocess.CompletedProcess:
    """``zkescrow ARGS`` in ``cwd``: the completed process (text stdout/stderr)."""
    return subprocess.run([ZKESCROW, *map(str, args)], cwd=cwd, env=env or cli_env(), capture_output=True,
                          text=True, timeout=timeout, **popen)


def one_line(proc: subprocess.CompletedProcess, code: int) -> str:
    """Assert exit ``code`` with exactly one line on stderr and no traceback; return that line."""
    shown = f"exit {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
    assert proc.returncode == code, shown
    assert "Traceback" not in proc.stderr, shown
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, shown
    return lines[0]
