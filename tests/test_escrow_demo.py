"""The demo with real Groth16 proofs, its JSON report, and the compare/observe/ledger/wallet commands."""
import json
import re
import shutil

import pytest

from escrow_fixtures import *  # noqa: F401,F403
from escrow_fixtures import ESCROW_DEPTH
from readme_walk import readme_walk, walk_output  # noqa: F401
from zkescrow.cli.demo import REPORT_NAME
from zkescrow.cli.main import main
from zkescrow.ledger.ledger import Ledger
from zkescrow.escrow.demo import DEPOSIT_WH, MAX_PRICE_PER_WH, PRICE_PER_WH, format_comparison, run_demo
from zkescrow.ledger import denominations
from zkescrow.privacy.observer import observe


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.mark.slow
@pytest.mark.interop
def test_demo_both_modes_with_proofs_report_and_observer_commands(readme_walk, tmp_path, capsys):
    """The README's `zkescrow demo --save-wallets` (real proofs in both modes, run once by the README walk through
    the real entry point, at the suite's small depth): its report, its log, and the commands that read its ledger."""
    shutil.copytree(readme_walk / "zkescrow-data", tmp_path / "data", ignore=shutil.ignore_patterns("keys"))
    data = tmp_path / "data"
    report = json.loads((data / REPORT_NAME).read_text())
    lines = walk_output(readme_walk, "zkescrow demo --depth").splitlines()
    transparent, shielded = report["runs"]
    deposit = denominations.covering(DEPOSIT_WH * MAX_PRICE_PER_WH, denominations.DEFAULT)    # pre-funded notes
    assert deposit == 1_000_000
    for run_ in (transparent, shielded):
        assert run_["sessions"] == 1 and run_["energy_wh"] == 200
        assert run_["paid"] == 200 * PRICE_PER_WH and run_["paid"] + run_["refunded"] == deposit
        assert run_["conservation"]["before"] == run_["conservation"]["after"] == 100_000_000
        assert run_["proofs"]["count"] == 3 and run_["proofs"]["verified"] == 3 and run_["proofs"]["prove_s"] > 0
        assert run_["attestation"]["verified"] and len(run_["attestation"]["measurement"]) == 64
    assert transparent["proofs"]["by_circuit"] == {"transfer": 3}
    assert shielded["proofs"]["by_circuit"] == {"transfer": 2, "escrow_release": 1}
    # what the observer infers from the ledger (the adversary of zkescrow.privacy), checked against what happened
    funding = {r["mode"]: next(t for t in r["session_results"][0]["transactions"] if t["label"].startswith("deposit"))
               for r in (transparent, shielded)}
    settled = {r["mode"]: next(t for t in r["session_results"][0]["transactions"]
                               if t["label"].startswith("settlement")) for r in (transparent, shielded)}
    assert transparent["observer"]["deposit_amount"]["values"] == [deposit]
    assert transparent["observer"]["linked_transactions"]["values"] == [funding["transparent"]["txid"]]
    assert transparent["observer"]["identities"]["values"][0][1] == "pole-berlin-01"
    assert transparent["observer"]["timeouts"]["learned"] == "yes"
    # the release waits for a height drawn up to its deadline, so the observer links it to one of the shielded
    # transfers before it, the real funding among them, and says how many there were
    ledger = Ledger(data / "ledger")
    before = {t["txid"] for t in ledger.transactions() if t["kind"] == "shielded_transfer"
              and t["height"] < settled["shielded"]["height"]}
    ledger.close()
    assert funding["shielded"]["txid"] in before
    assert set(shielded["observer"]["linked_transactions"]["values"]) <= before
    assert "chance 1/" in shielded["observer"]["linked_transactions"]["detail"]
    assert not any("mode bit" in str(v) for v in shielded["observer"]["outcome"]["values"])   # one public shape
    assert shielded["observer"]["timing"]["values"] == [settled["shielded"]["height"]]
    comparison = report["comparison"]
    assert comparison["deposit_amount"]["transparent"]["learned"] == "yes"
    assert comparison["value_conserved"] == {"transparent": True, "shielded": True}
    assert any("escrow_release" in line for line in lines) and any("escrow_open" in line for line in lines)
    assert "deposit amount" in format_comparison(report)
    assert report["saved_wallets"] is True
    code, out, err = run(capsys, "ledger", "show", "--data-dir", str(data), "--json")
    assert code == 0, err
    assert report["ledger_tip"]["height"] == json.loads(out)["height"] > 0     # the tip the demo left, recorded

    code, out, err = run(capsys, "observe", "--data-dir", str(data), "--json")
    assert code == 0, err
    observed = json.loads(out)
    assert observed["transparent"]["sessions"][0]["deposit"] == deposit
    assert "mode" not in observed["shielded"]["sessions"][0]                 # a release shows no mode bit
    assert observed["shielded"]["sessions"][0]["funding_candidates"] >= 1
    sid = observed["transparent"]["sessions"][0]["session_id"]               # the same session id as the demo printed
    assert any(f"session {sid[:12]}… opened in the enclave" in line for line in lines), sid
    code, out, err = run(capsys, "compare", "--data-dir", str(data), "--json")
    assert code == 0, err
    assert json.loads(out)["deposit_amount"]["transparent"]["learned"] == "yes"
    code, out, _ = run(capsys, "compare", "--data-dir", str(data))
    assert code == 0 and "what" not in out.splitlines()[0] and "transparent" in out
    code, out, _ = run(capsys, "ledger", "show", "--data-dir", str(data))
    assert code == 0 and "pole pole-berlin-01" in out and "settled" in out
    balances = {}
    for name in ("driver", "operator", "pole-berlin-01"):       # the demo's wallets, driven by hand afterwards
        code, out, err = run(capsys, "wallet", "balance", name, "--data-dir", str(data), "--json")
        assert code == 0, err
        balances[name] = json.loads(out)["shielded"]
    assert balances == {"driver": 2 * deposit - 2 * 200 * PRICE_PER_WH, "operator": 2 * 200 * PRICE_PER_WH,
                        "pole-berlin-01": 0}
    code, _, err = run(capsys, "demo", "--data-dir", str(data), "--depth", str(ESCROW_DEPTH))
    assert code == 2 and "--fresh" in err and "wallets it saved" in err     # the saved wallets are not replaced


@pytest.mark.slow
def test_ledger_and_wallet_commands(tmp_path, escrow_keys_dir, capsys):
    data = str(tmp_path)
    shutil.copytree(escrow_keys_dir, tmp_path / "keys")
    code, out, err = run(capsys, "ledger", "init", "--data-dir", data, "--depth", str(ESCROW_DEPTH),
                         "--fund", "alice=1000", "--fund", "bob=0")
    assert code == 0, err
    assert "supply 1,000" in out
    code, _, err = run(capsys, "ledger", "init", "--data-dir", data, "--fund", "alice=oops")
    assert code == 2 and "NAME=AMOUNT" in err
    code, out, err = run(capsys, "wallet", "send", "alice", "100", "--to", "bob", "--transparent", "--data-dir", data)
    assert code == 0, err
    code, _, err = run(capsys, "wallet", "send", "bob", "5000", "--to", "alice", "--transparent", "--data-dir", data)
    assert code == 1 and "rejected by the ledger" in err and "less than 5000" in err
    code, out, err = run(capsys, "wallet", "shield", "alice", "300", "--data-dir", data)
    assert code == 0, err
    code, out, err = run(capsys, "wallet", "send", "alice", "120", "--to", "bob", "--data-dir", data)
    assert code == 0, err
    code, out, _ = run(capsys, "wallet", "balance", "bob", "--data-dir", data, "--json")
    bob = json.loads(out)
    assert (bob["transparent"], bob["shielded"]) == (100, 120)
    code, out, _ = run(capsys, "wallet", "balance", "alice", "--data-dir", data)
    assert "transparent 600, shielded 180" in out
    code, out, _ = run(capsys, "ledger", "show", "--data-dir", data, "--json")
    assert json.loads(out)["value"]["total"] == 1000
    code, out, _ = run(capsys, "ledger", "blocks", "--data-dir", data, "--from", "1")
    assert code == 0 and "shielded_transfer" in out and "shield" in out
    code, out, _ = run(capsys, "wallet", "new", "carol", "--data-dir", data)
    assert code == 0 and "payment address: zkpay:" in out
    code, _, err = run(capsys, "wallet", "new", "carol", "--data-dir", data)
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "wallet", "balance", "dave", "--data-dir", data)
    assert code == 2 and "no wallet" in err
    code, _, err = run(capsys, "observe", "--data-dir", str(tmp_path / "nowhere"))
    assert code == 2 and "no ledger" in err


def test_demo_report_with_a_fault_and_several_sessions(tmp_path):
    from escrow_statement_keys import StatementKeys
    report = run_demo(tmp_path, sessions=2, depth=8, keys=StatementKeys(8), log=lambda m: None, fault="enclave-gone",
                      observe=observe)
    for run_ in report["runs"]:
        first, second = run_["session_results"]
        assert (first["outcome"], first["paid"], first["refunded"]) == ("refunded", 0, 1_000_000)
        assert second["outcome"] == "settled" and second["energy_wh"] == 120
        assert run_["paid"] == 120 * PRICE_PER_WH
        assert run_["conservation"]["before"] == run_["conservation"]["after"]
    transparent, shielded = report["runs"]
    assert transparent["observer"]["outcome"]["values"] == ["refunded by the driver", "settled"]
    # no mode bit: a refund and a release look alike, and a refund no longer proves its deadline
    assert not any("mode bit" in str(v) for v in shielded["observer"]["outcome"]["values"])
    assert report["comparison"]["proofs_made"] == {"transparent": 4, "shielded": 4}


def test_cli_fault_names_are_the_demo_faults():
    from zkescrow.cli.demo import demo
    from zkescrow.escrow.demo import FAULTS
    option = next(p for p in demo.params if p.name == "fault")
    assert sorted(option.type.choices) == sorted(FAULTS)
