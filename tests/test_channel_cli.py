"""The streaming demo (library function and `zkescrow channel-demo`) and the paywall example.

The demo's books are checked against the ledger it settles on: what the pole
receives is its deposit plus the net value of the energy, exposure never passed
one packet, and the ledger's total is unchanged.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zkescrow.channel.funding import DENOMINATIONS, deposit_for
from zkescrow.channel.demo import PACKET_WH, run_channel_demo
from zkescrow.ledger.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory):
    """A per-worker data directory whose keys/ links to the keys the shielded channel tests share."""
    from test_channel_shielded import shared_keys_dir
    keys = shared_keys_dir(tmp_path_factory)
    path = tmp_path_factory.mktemp("channel-demo-data")
    (path / "keys").symlink_to(keys, target_is_directory=True)
    return path


def zkescrow(*args, cwd):
    return subprocess.run([sys.executable, "-m", "zkescrow.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def check_books(summary, charge_value, feed_value, deposit_b):
    after, before = summary["ledger_after"], summary["ledger_before"]
    assert summary["status"] == "settled"
    assert summary["balance_b"] == deposit_b + charge_value - feed_value
    assert summary["paid_car_to_pole"] - summary["paid_pole_to_car"] == charge_value - feed_value
    assert summary["max_exposure"] <= summary["packet_price_max"]
    return after, before


def test_demo_charges_and_settles(tmp_path):
    summary = run_channel_demo(tmp_path, v2g=False, price_signal_path=None, out=open(tmp_path / "log", "w"),
                               packets=12)
    assert summary["packets"] == 12 and summary["wh_charged"] == 12 * PACKET_WH
    after, before = check_books(summary, 12 * 5_000, 0, 0)
    assert after["pole"] - before["pole"] == 60_000
    assert summary["max_exposure"] == 5_000 and summary["locked_in_channels"] == 0
    text = (tmp_path / "log").read_text()
    assert "packets   12/12" in text and "exposure      0" in text


def test_demo_v2g_reverses_and_nets(tmp_path):
    summary = run_channel_demo(tmp_path, v2g=True, price_signal_path=None, out=open(tmp_path / "log", "w"),
                               packets=20)
    charged, fed = summary["wh_charged"], summary["wh_fed_back"]
    assert charged == 12 * PACKET_WH and fed == 8 * PACKET_WH
    assert summary["deposit_b"] == deposit_for(20 * 5_000 // 2) == 51_200         # a denomination, not price × n
    check_books(summary, charged * 500, fed * 400, summary["deposit_b"])
    assert summary["paid_pole_to_car"] > 0


def test_demo_follows_a_price_schedule(tmp_path):
    schedule = tmp_path / "prices.json"
    schedule.write_text(json.dumps([{"at_packet": 0, "price_per_wh": 300}, {"at_packet": 4, "price_per_wh": 700},
                                    {"at_packet": 7, "price_per_wh": 200, "direction": 1}]))
    summary = run_channel_demo(tmp_path, v2g=False, price_signal_path=schedule, out=open(tmp_path / "log", "w"),
                               packets=10, pay_ahead=True)
    assert summary["wh_charged"] == 70 and summary["wh_fed_back"] == 30
    check_books(summary, 4 * 3_000 + 3 * 7_000, 3 * 2_000, deposit_for(10 * 7_000 // 2))
    assert summary["max_exposure"] <= 7_000


@pytest.mark.slow
def test_demo_shielded_settles_into_notes(shared_dir):
    summary = run_channel_demo(shared_dir, v2g=False, price_signal_path=None, out=open(shared_dir / "log", "w"),
                               shielded=True, packets=6, proof_every=3)
    assert summary["status"] == "settled" and len(summary["settlement_notes"]) == 2
    assert summary["step_proofs_verified"] == 2                      # updates 3 and 6 carried proofs
    assert summary["balance_b"] == 6 * 5_000 and summary["max_exposure"] == 5_000
    value = summary["ledger_value"]
    deposit = deposit_for(7 * 5_000)
    assert summary["deposit_a"] == deposit in DENOMINATIONS
    assert summary["locked_in_channels"] == 0 and value["shielded"] == deposit and value["total"] == 1_500_000
    assert summary["ledger_after"] == summary["ledger_before"]      # the payout went into notes, not accounts
    assert summary["wallet_balances"] == {"car": deposit - 6 * 5_000, "pole": 6 * 5_000}
    txs = Ledger(shared_dir / "channel-demo").transactions()
    accounts = [a for tx in txs if tx["kind"] == "genesis" for a in json.loads(tx["body"])["body"]["accounts"]]
    opened = [tx for tx in txs if tx["kind"].startswith("channel_open")]
    assert len(accounts) == 2 and [tx["kind"] for tx in opened] == ["channel_open_from_notes"]
    assert not any(a in opened[0]["body"] for a in accounts)       # one-time channel keys: no long-term account


def test_cli_channel_demo_prints_progress_and_writes_json(tmp_path):
    out = zkescrow("channel-demo", "--data-dir", tmp_path / "d", "--packets", "8", "--v2g", "--json",
                   tmp_path / "s.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "packets    8/8" in out.stdout and "closed cooperatively" in out.stdout
    assert json.loads((tmp_path / "s.json").read_text())["status"] == "settled"


def test_cli_channel_demo_rejects_a_bad_schedule(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"price": 5}')
    out = zkescrow("channel-demo", "--data-dir", tmp_path / "d", "--price-signal", bad, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("zkescrow:") and "Traceback" not in out.stderr
    assert "Example" in zkescrow("channel-demo", "--help", cwd=tmp_path).stdout


def load_example():
    import importlib.util
    spec = importlib.util.spec_from_file_location("paywall_channel", ROOT / "examples" / "paywall_channel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_paywall_example_runs(tmp_path, capsys):
    summary = load_example().main(["--requests", "6", "--data-dir", str(tmp_path)])
    assert summary["earned"] == summary["server_balance"] == 6 * 25
    assert summary["client_balance"] == 10_000 - 150
    assert "result #6" in capsys.readouterr().out


@pytest.mark.slow
def test_paywall_example_shielded(tmp_path, shared_dir):
    summary = load_example().main(["--requests", "3", "--shielded", "--data-dir", str(tmp_path),
                                   "--keys-dir", str(shared_dir / "keys")])
    assert summary["earned"] == 75 and summary["shielded_pool"] == 1_000 and summary["server_balance"] == 0


def test_api_module_assumes_no_energy_domain():
    """The integration API and the example speak of amounts and messages, not of cars, poles or Wh."""
    import re
    for path in (ROOT / "zkescrow" / "channel" / "api.py", ROOT / "examples" / "paywall_channel.py"):
        text = path.read_text().lower()
        for word in (r"charg", r"\bpoles?\b", r"\bcars?\b", r"\bk?wh\b", r"energy", r"packet", r"vehicle"):
            assert not re.search(word, text), (path.name, word)
