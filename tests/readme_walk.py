"""The README, walked (the machinery; the tests are in tests/test_readme.py): every ```sh and ```python block runs, in order, in one empty directory.

A new user copies the README's commands into a shell; so does this test, so the README cannot drift from the
code.  Rules of the walk:

- Blocks run in document order in one temporary directory (later blocks use the files earlier ones made);
  ``sh`` blocks under ``bash -e -o pipefail`` with the real ``zkescrow`` console script and the pinned snarkjs
  first on PATH, ``python`` blocks under this interpreter.  Every command must succeed.
- A block preceded by ``<!-- readme-walk: skip (REASON) -->`` is not run; the reason is required, and any other
  ``readme-walk`` marker fails the test.  Only blocks that would run something else entirely (``make test``
  inside the test suite) may be skipped.
- Small circuits: ``--depth 20`` becomes ``--depth 4`` and ``zkescrow demo`` gets ``--depth 4`` (the README says
  so); every data directory a block names starts with the suite's shared depth-4 circuit keys
  (``escrow_keys_dir``), so the walk proves for real but makes no key twice.  The key cache is a temporary one.

The walk runs once per test run (``readme_walk``, shared by the xdist workers) and leaves its directory for the
tests that look at what the README's demo produced (tests/test_escrow_demo.py).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_run import ROOT, cli_env
from escrow_fixtures import *  # noqa: F401,F403
from escrow_fixtures import ESCROW_DEPTH
from groth16_fixtures import _build_once

README = ROOT / "README.md"
NODE_BIN = ROOT / "tests" / "interop" / "node_modules" / ".bin"
MARKER = re.compile(r"<!--\s*readme-walk:(.*?)-->")
SKIP = re.compile(r"^\s*skip \((.+)\)\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
SMALL = ESCROW_DEPTH


def readme_blocks(text: str) -> list[dict]:
    """[{"lang", "code", "line", "skip"}] for every fenced block of the README (all languages)."""
    blocks, lines, i, pending = [], text.splitlines(), 0, None
    while i < len(lines):
        marker = MARKER.search(lines[i])
        if marker:
            reason = SKIP.match(marker.group(1))
            if reason is None:
                raise AssertionError(f"README line {i + 1}: unknown readme-walk marker {marker.group(0)!r}")
            pending = (i + 1, reason.group(1))
        fence = FENCE.match(lines[i])
        if fence:
            start = i
            i += 1
            body = []
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            skip = pending[1] if pending is not None and pending[0] >= start - 1 else None
            blocks.append({"lang": fence.group(1), "code": "\n".join(body) + "\n", "line": start + 1, "skip": skip})
            pending = None
        i += 1
    return blocks


def small(code: str) -> str:
    """The block with the protocol's depth 20 made the test's small depth."""
    code = code.replace("--depth 20", f"--depth {SMALL}")
    return re.sub(r"(zkescrow demo)(?![^\n]*--(?:depth|channel))", rf"\1 --depth {SMALL}", code)


def data_dirs(code: str) -> set[str]:
    dirs = set(re.findall(r"--data-dir[ =](\S+)", code))
    if re.search(r"zkescrow (demo|observe|compare|ledger|wallet)\b(?![^\n]*--data-dir)", code):
        dirs.add("zkescrow-data")
    return dirs


def walk(directory: Path, keys_dir: Path) -> list[dict]:
    """Run the README's blocks in ``directory``; returns what ran (block, output).  Raises on the first failure."""
    env = cli_env(ZKESCROW_KEY_CACHE=directory / ".key-cache")
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), str(NODE_BIN), env.get("PATH", "")])
    ran = []
    for block in readme_blocks(README.read_text(encoding="utf-8")):
        if block["lang"] not in ("sh", "python") or block["skip"]:
            continue
        code = small(block["code"]) if block["lang"] == "sh" else block["code"]
        for name in data_dirs(code):
            if not (directory / name / "keys").exists():
                shutil.copytree(keys_dir, directory / name / "keys")
        argv = ["bash", "-e", "-o", "pipefail", "-c", code] if block["lang"] == "sh" else [sys.executable, "-c", code]
        proc = subprocess.run(argv, cwd=directory, env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise AssertionError(f"README block at line {block['line']} failed (exit {proc.returncode}):\n{code}\n"
                                 f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")
        ran.append({**block, "ran": code, "stdout": proc.stdout, "stderr": proc.stderr})
        log = directory / ".walk"
        log.mkdir(exist_ok=True)
        (log / f"line{block['line']:04d}.sh").write_text(code)
        (log / f"line{block['line']:04d}.out").write_text(proc.stdout)
    return ran


def walk_output(directory: Path, command: str) -> str:
    """What the README block that runs ``command`` printed in the walk in ``directory``."""
    for script in sorted((directory / ".walk").glob("*.sh")):
        if command in script.read_text():
            return script.with_suffix(".out").read_text()
    raise AssertionError(f"no README block runs {command!r}")


@pytest.fixture(scope="session")
def readme_walk(tmp_path_factory, escrow_keys_dir) -> Path:
    """The directory in which the whole README ran (once per test run); a failed walk fails every user."""
    if not (NODE_BIN / "snarkjs").exists():
        pytest.skip("the pinned npm peers are not installed (make interop)")

    def build(directory: Path) -> None:
        try:
            walk(directory, escrow_keys_dir)
        except AssertionError as exc:
            (directory / "WALK-FAILED").write_text(str(exc))
    directory = _build_once(tmp_path_factory, "readme-walk", build)
    failed = directory / "WALK-FAILED"
    if failed.exists():
        raise AssertionError(failed.read_text())
    return directory
