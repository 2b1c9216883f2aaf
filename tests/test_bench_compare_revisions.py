"""bench/compare_revisions.py runs two trees' provers interleaved and reports their ratios (no timing
assertions): both runs must make proofs snarkjs's key accepts, and a bad revision is one line, exit 2."""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.compare_revisions import compare, main  # noqa: E402
from conftest import run_snarkjs  # noqa: E402
from groth16_fixtures import *  # noqa: F401,F403,E402  (session fixtures)

pytestmark = pytest.mark.interop


def test_both_trees_prove_and_the_ratios_are_per_round(snarkjs_zkey_poseidon, tmp_path):
    key = snarkjs_zkey_poseidon
    fx = SimpleNamespace(zkey=key.zkey, wtns=key.circuit.wtns)
    result = compare({"base": REPO, "new": REPO}, fx, 2, tmp_path)
    assert len(result["samples"]["base"]) == len(result["samples"]["new"]) == 2
    assert all(wall > 0 and cpu > 0 for wall, cpu in result["samples"]["new"])
    assert result["ratio_cpu_range"][0] <= result["ratio_cpu"] <= result["ratio_cpu_range"][1]
    out = run_snarkjs("groth16", "verify", key.vk_json, tmp_path / "public.json", tmp_path / "proof.json",
                      check=False)
    assert out.returncode == 0 and "OK" in out.stdout


def test_a_revision_git_does_not_know_is_one_line_and_exit_2(capsys):
    def worktrees():
        return subprocess.run(["git", "worktree", "list"], cwd=REPO, capture_output=True, text=True).stdout

    before = worktrees()
    assert main(["no-such-revision-xyz"]) == 2
    assert capsys.readouterr().err.strip() == "not a revision: no-such-revision-xyz"
    assert worktrees() == before                # nothing was checked out
