"""Shared test helpers: paths to the pinned npm peers and runners for them.

The peers (snarkjs, circom2, circomlibjs, solc, ganache) are installed by
`make test` into tests/interop/node_modules from the lock file there.
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check laws, not speed: no per-example deadline (a loaded CI machine is no failure).
settings.register_profile("zkescrow", deadline=None)
settings.load_profile("zkescrow")

TESTS_DIR = Path(__file__).parent
INTEROP_DIR = TESTS_DIR / "interop"
NODE_MODULES = INTEROP_DIR / "node_modules"
CIRCOMLIB_CIRCUITS = NODE_MODULES / "circomlib" / "circuits"


class PeerFailed(AssertionError):
    """An npm peer exited non-zero; the message carries its output."""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise PeerFailed("node is not on PATH; the interop tests need Node.js")
    return node


def _require(path: Path) -> Path:
    if not path.exists():
        raise PeerFailed(f"{path} is missing: run `make test` (it installs tests/interop)")
    return path


def run_node_cli(script: Path, *args, cwd=None, check=True, timeout=600) -> subprocess.CompletedProcess:
    """Run a Node.js CLI script with arguments; raise PeerFailed with its output when it fails."""
    proc = subprocess.run([_node(), str(_require(script)), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise PeerFailed(f"{script.name} {' '.join(map(str, args))} exited {proc.returncode}\n"
                         f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def run_snarkjs(*args, **kw) -> subprocess.CompletedProcess:
    """`snarkjs ARGS...` from the pinned install."""
    return run_node_cli(NODE_MODULES / "snarkjs" / "build" / "cli.cjs", *args, **kw)


def run_circom(*args, **kw) -> subprocess.CompletedProcess:
    """`circom2 ARGS...` (circom compiled to WebAssembly) from the pinned install."""
    return run_node_cli(NODE_MODULES / "circom2" / "cli.js", *args, **kw)


def run_node_script(source: str, *, cwd=None, timeout=600):
    """Run a JavaScript snippet with the interop node_modules on the require path; return its JSON stdout."""
    proc = subprocess.run([_node(), "-e", source], cwd=cwd or INTEROP_DIR, capture_output=True,
                          text=True, timeout=timeout, env={"NODE_PATH": str(NODE_MODULES), "PATH": _path()})
    if proc.returncode != 0:
        raise PeerFailed(f"node script failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def _path() -> str:
    import os
    return os.environ.get("PATH", "/usr/bin:/bin")


@pytest.fixture(scope="session")
def snarkjs():
    return run_snarkjs


@pytest.fixture(scope="session")
def circom():
    return run_circom
