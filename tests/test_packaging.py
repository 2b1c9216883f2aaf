"""The distribution as a user gets it: a wheel built from this tree, installed into a fresh venv outside
the repository, runs the console script, including ``zkescrow bench`` (the ``bench`` package ships in it)."""
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "*.egg-info", "out", "__pycache__",
                              ".pytest_cache", ".hypothesis", "zkescrow-data")

pytestmark = pytest.mark.slow


def _run(*command, cwd, timeout=600):
    proc = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def _setuptools_is_new_enough() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77      # pyproject's build requirement


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv (outside the repository) with only the wheel installed; dependencies come from this
    interpreter's site-packages through a .pth path entry, so nothing is downloaded for them."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=SKIP, symlinks=True)
    isolation = ["--no-build-isolation"] if _setuptools_is_new_enough() else []     # else pip fetches setuptools
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, source, "-w", tmp / "dist", cwd=tmp)
    wheel = next((tmp / "dist").glob("zkescrow-*.whl"))
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=tmp)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp)
                .stdout.strip())
    (site / "zz_parent_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", wheel, cwd=tmp)
    return venv, tmp


def test_the_wheel_runs_zkescrow_bench_outside_the_repository(installed):
    venv, tmp = installed
    proc = _run(venv / "bin" / "zkescrow", "bench", "--help", cwd=tmp)
    assert "Example:" in proc.stdout and "zkescrow bench --quick" in proc.stdout

    where = _run(venv / "bin" / "python", "-c", "import bench.suite, zkescrow.cli.bench, zkescrow; "
                 "print(bench.suite.__file__); print(zkescrow.__file__)", cwd=tmp).stdout.split()
    assert all(Path(path).is_relative_to(venv) for path in where), where      # not the source tree

    # the command itself loads the suite (then refuses the bad option): no sys.path tricks needed
    proc = subprocess.run([venv / "bin" / "zkescrow", "bench", "--runs", "0"], cwd=tmp, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp)})
    assert proc.returncode == 2 and "--runs must be at least 1" in proc.stderr, proc.stderr


def test_the_cli_source_does_not_reach_into_the_source_tree():
    text = (ROOT / "zkescrow" / "cli" / "bench.py").read_text()
    assert "sys.path" not in text
