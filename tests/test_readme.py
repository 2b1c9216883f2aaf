"""Every README block runs as written: see tests/readme_walk.py for the rules of the walk."""
from __future__ import annotations

import pytest

from escrow_fixtures import *  # noqa: F401,F403
from readme_walk import README, SMALL, data_dirs, readme_blocks, readme_walk, small  # noqa: F401


# --- the walk ----------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.interop
def test_every_readme_block_runs_as_written(readme_walk):
    made = {p.name for p in readme_walk.iterdir()}
    for name in ("input.json", "proof.json", "public.json", "vk.json", "circuit.zkey", "Verifier.sol", "pot.ptau",
                 "zkescrow-data", "mine", "prices.json"):
        assert name in made, f"the README walk made no {name}"


# --- the rules of the walk, cheaply ------------------------------------------------------------------------------

def test_the_readme_has_walkable_blocks_and_skips_only_with_a_reason():
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    runnable = [b for b in blocks if b["lang"] in ("sh", "python") and not b["skip"]]
    skipped = [b for b in blocks if b["skip"]]
    assert len(runnable) >= 8
    assert all("make test" in b["code"] for b in skipped), "only the block that runs the suite itself may be skipped"
    commands = " ".join(b["code"] for b in runnable)
    for command in ("witness deposit --example", "prove", "verify", "setup", "zkey contribute", "demo", "observe",
                    "compare", "ledger init", "wallet send", "cache info", "powersoftau"):
        assert command in commands, f"no README block runs {command!r}"


def test_readme_markers_are_understood_or_refused():
    text = "<!-- readme-walk: skip (needs a GPU) -->\n```sh\nrun-on-gpu\n```\n```sh\necho hi\n```\n"
    first, second = readme_blocks(text)
    assert first["skip"] == "needs a GPU" and second["skip"] is None
    with pytest.raises(AssertionError, match="unknown readme-walk marker"):
        readme_blocks("<!-- readme-walk: skip -->\n```sh\nx\n```\n")
    assert small("zkescrow demo --save-wallets\nzkescrow demo --channel --v2g\nzkescrow ledger init --depth 20") == \
        (f"zkescrow demo --depth {SMALL} --save-wallets\nzkescrow demo --channel --v2g\n"
         f"zkescrow ledger init --depth {SMALL}")
    assert data_dirs("zkescrow observe\nzkescrow wallet balance bob --data-dir mine") == {"zkescrow-data", "mine"}
