"""Run the installed ``zkescrow`` console script in a subprocess, as a user does (real exit codes, real stderr).

The script beside the test interpreter is used when it exists (the venv's entry point), else
``python -c 'from zkescrow.cli.main import main; main()'``; PYTHONPATH puts this checkout first, so a
worktree's code is what runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("zkescrow")


def zkescrow(*args, cwd=None, timeout=300, stdin=None, preexec_fn=None) -> subprocess.CompletedProcess:
    """``zkescrow ARGS...`` in a fresh process; returns the completed process (text output).
    ``preexec_fn`` runs in the child before the command (e.g. to cap its memory)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    command = [str(SCRIPT)] if SCRIPT.exists() else \
        [sys.executable, "-c", "import sys; from zkescrow.cli.main import main; main(sys.argv[1:])"]
    return subprocess.run(command + [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, input=stdin, preexec_fn=preexec_fn)


def one_line_error(proc: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Assert exit ``code`` with exactly one line on stderr (no traceback) containing ``words``; return it."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- the newcomer-path helpers: an explicit environment and cwd per run ---------------------------------

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


def in_process(capsys, argv) -> tuple[int, str, str]:
    """Run ``zkescrow ARGV`` in this process (pytest's ``capsys`` captures it): (exit code, stdout, stderr)."""
    import pytest

    from zkescrow.cli.main import main
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err
