"""A first-time user's path through the CLI: every case of the newcomer review, through the real entry point.

1. example inputs for every built-in circuit, circom input conventions, errors naming the field
2. ledger init with amounts beyond the ledger's range: checked first, nothing half-made
3. six concurrent writers on one data directory: they take turns
4. the demo never replaces a ledger it did not make, or one used since, without --fresh
5. price schedules checked in the user's terms; escrow-only options refused with --channel
6. read-only commands work on a read-only data directory
7. cheap checks before long work; outputs written atomically
8. messages that keep the cause
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

from cli_run import ZKESCROW, cli_env, one_line, zk

BIG = 2 ** 63


def _init(data, *funds, depth=4):
    proc = zk("ledger", "init", "--data-dir", data, "--depth", depth, *[f"--fund={f}" for f in funds], cwd=data.parent)
    assert proc.returncode == 0, proc.stderr
    return proc


def _balance(data, name) -> dict:
    proc = zk("wallet", "balance", name, "--data-dir", data, "--json", cwd=data.parent)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# --- 1. example inputs ---------------------------------------------------------------------------------

def test_every_builtin_circuit_has_an_example_its_witness_builder_accepts():
    from circuits import registry
    from zkescrow.cli.examples import EXAMPLES, example_input
    names = [name for name, _ in registry.list_circuits()]
    assert sorted(EXAMPLES) == sorted(names)
    for name in names:
        params = {"depth": 3} if "depth" in registry.entry(name).defaults else {}
        example = example_input(name, params)
        assert all(isinstance(v, (str, list)) for v in example.values()), name     # circom style: decimal strings
        registry.get(name, **params).witness(example)                                # a true statement
        assert example_input(name, params) != example, f"{name}: the example must be made fresh, not stored"


def test_witness_example_then_witness_then_prove_workflow(tmp_path):
    proc = zk("witness", "deposit", "--example", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "input.json").write_text(proc.stdout)
    assert set(json.loads(proc.stdout)) == {"commitment", "value", "asset", "owner", "rho", "blind"}
    proc = zk("witness", "deposit", "input.json", "-o", "deposit.wtns", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = zk("witness", "transfer", "--example", "--depth", "3", "-o", "transfer.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = zk("witness", "transfer", "transfer.json", "--depth", "3", "-o", "transfer.wtns", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = one_line(zk("witness", "deposit", cwd=tmp_path), 2)
    assert "--example" in line


def test_inputs_take_circom_conventions_and_errors_name_the_field(tmp_path):
    from zkescrow.cli.examples import example_input
    example = example_input("channel_update", {})
    nested = dict(example, c_old=[[example["c_old"][0]], [example["c_old"][1]]])       # nested arrays
    numbers = dict(example, nonce_old=int(example["nonce_old"]))                       # JSON numbers too
    for name, inputs in {"nested": nested, "numbers": numbers}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(inputs))
        proc = zk("witness", "channel_update", f"{name}.json", "-o", f"{name}.wtns", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    for change, field in ((("c_new", ["x", "1"]), "c_new[0]"), (("price", "7.5"), "price"),
                          (("packets", [1, 2]), "packets"), (("c_old", ["1"]), "c_old")):
        (tmp_path / "bad.json").write_text(json.dumps(dict(example, **dict([change]))))
        assert field in one_line(zk("witness", "channel_update", "bad.json", cwd=tmp_path), 2)


# --- 2. ledger init beyond the ledger's range ------------------------------------------------------------

@pytest.mark.parametrize("funds", [[f"alice={BIG}"], [f"alice={2 ** 64}"], [f"alice={BIG - 1}", "bob=1"],
                                   ["alice=5", "alice=6"], ["alice=-3"]])
def test_ledger_init_checks_amounts_before_creating_anything(tmp_path, funds):
    data = tmp_path / "data"
    line = one_line(zk("ledger", "init", "--data-dir", data, *[f"--fund={f}" for f in funds], cwd=tmp_path), 2)
    assert "--fund" in line
    assert not (data / "ledger" / "ledger.sqlite").exists() and not (data / "wallets").exists()
    _init(data, "alice=1000", "bob=0")                    # a retry with good amounts just works
    assert _balance(data, "alice")["transparent"] == 1000


def test_ledger_create_leaves_nothing_behind_when_genesis_fails(tmp_path):
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.ledger import Ledger
    with pytest.raises(MalformedInput):
        Ledger.create(tmp_path / "l", {"ab" * 32: BIG})
    assert not (tmp_path / "l" / "ledger.sqlite").exists()
    with pytest.raises((MalformedInput, AssertionError)):           # a rule refuses the genesis itself
        Ledger.create(tmp_path / "l", {"not an address": 5})
    assert not list((tmp_path / "l").glob("ledger.sqlite*"))
    Ledger.create(tmp_path / "l", {"ab" * 32: 5}).close()


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_ledger_blocks_refuses_heights_out_of_range(tmp_path, option):
    data = tmp_path / "data"
    _init(data, "alice=1")
    for value in ("99999999999999999999999", "-1"):
        assert option in one_line(zk("ledger", "blocks", "--data-dir", data, option, value, cwd=tmp_path), 2)


# --- 3. concurrent writers --------------------------------------------------------------------------------

def test_six_concurrent_sends_take_turns_and_all_land(tmp_path):
    data = tmp_path / "data"
    _init(data, "alice=1000", "bob=0")
    procs = [subprocess.Popen([ZKESCROW, "wallet", "send", "alice", str(k), "--to", "bob", "--transparent",
                               "--data-dir", str(data)], cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(1, 7)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0 and err == "" and out.startswith("block "), (code, out, err)
    assert _balance(data, "bob")["transparent"] == 21
    assert _balance(data, "alice")["transparent"] == 1000 - 21
    heights = sorted(int(out.split()[1].rstrip(":")) for _, out, _ in results)
    assert heights == list(range(1, 7))


def test_a_writer_that_waits_too_long_says_the_ledger_is_busy(tmp_path):
    data = tmp_path / "data"
    _init(data, "alice=10", "bob=0")
    with open(data / ".writer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)                    # another writer is busy
        proc = zk("wallet", "send", "alice", "1", "--to", "bob", "--transparent", "--data-dir", data, cwd=tmp_path,
                  env=cli_env(ZKESCROW_LOCK_WAIT="0.3"))
        assert "ledger busy" in one_line(proc, 2)
        assert _balance(data, "bob")["transparent"] == 0       # readers do not wait for the lock
    assert zk("wallet", "send", "alice", "1", "--to", "bob", "--transparent", "--data-dir", data,
              cwd=tmp_path).returncode == 0


# --- 4. the demo and an existing ledger ----------------------------------------------------------------------

def test_demo_refuses_to_replace_a_ledger_built_by_hand(tmp_path):
    data = tmp_path / "zkescrow-data"
    _init(data, "alice=1000", "bob=0")
    zk("wallet", "send", "alice", "7", "--to", "bob", "--transparent", "--data-dir", data, cwd=tmp_path)
    line = one_line(zk("demo", "--depth", "2", cwd=tmp_path), 2)            # the default --data-dir
    assert "--fresh" in line and "did not make" in line
    assert _balance(data, "bob")["transparent"] == 7 and _balance(data, "alice")["transparent"] == 993


def test_demo_replaces_only_its_own_untouched_ledger(tmp_path):
    from zkescrow.cli.demo import REPORT_NAME, _ledger_tip, check_replaceable
    from zkescrow.errors import MalformedInput
    data = tmp_path / "data"
    _init(data, "alice=1000", "bob=0")
    report = {"ledger_tip": _ledger_tip(data), "saved_wallets": False}
    (data / REPORT_NAME).write_text(json.dumps(report))
    check_replaceable(data, fresh=False)                    # made by the demo, nothing since: replaceable
    (data / REPORT_NAME).write_text(json.dumps(dict(report, saved_wallets=True)))
    with pytest.raises(MalformedInput, match="wallets it saved.*--fresh"):
        check_replaceable(data, fresh=False)
    (data / REPORT_NAME).write_text(json.dumps(report))
    zk("wallet", "send", "alice", "7", "--to", "bob", "--transparent", "--data-dir", data, cwd=tmp_path)
    with pytest.raises(MalformedInput, match=r"used since the last demo \(height 0 then, 1 now\).*--fresh"):
        check_replaceable(data, fresh=False)
    check_replaceable(data, fresh=True)
    line = one_line(zk("demo", "--depth", "2", "--data-dir", data, cwd=tmp_path), 2)
    assert "used since" in line and _balance(data, "bob")["transparent"] == 7


# --- 5. price schedules and channel-mode options ---------------------------------------------------------------

@pytest.mark.parametrize("schedule, words", [
    ([], "empty"),
    ([{"at_packet": 5, "price_per_wh": 500}], "no entry at packet 0"),
    ([{"at_packet": 0, "price_per_wh": 10 ** 12}], "price_per_wh 1000000000000 is outside"),
    ([{"at_packet": 0, "price_per_wh": 500}, {"at_packet": 0, "price_per_wh": 400}], "two entries at packet 0"),
    ([{"at_packet": 0, "price_per_wh": 500}, {"at_packet": 40, "price_per_wh": 400}], "after the last packet"),
    ([{"at_packet": 0, "price_per_wh": 500, "direction": 2}], "direction must be 0"),
    ([{"at_packet": 0, "price": 500}], "unknown key(s) price"),
    ({"at_packet": 0}, "JSON list"),
    ([7], "entry 1 is not an object"),
])
def test_price_schedules_are_checked_in_the_users_terms(tmp_path, schedule, words):
    (tmp_path / "prices.json").write_text(json.dumps(schedule))
    line = one_line(zk("demo", "--channel", "--price-signal", "prices.json", cwd=tmp_path), 2)
    assert words in line and "prices.json" in line and "deposit_a" not in line
    assert not (tmp_path / "zkescrow-data" / "channel-demo").exists()


def test_a_schedule_with_a_large_price_and_feed_in_streams_and_settles(tmp_path):
    schedule = [{"at_packet": 0, "price_per_wh": 100_000_000}, {"at_packet": 30, "price_per_wh": 7, "direction": 1}]
    (tmp_path / "prices.json").write_text(json.dumps(schedule))
    proc = zk("demo", "--channel", "--price-signal", "prices.json", "--json", "r.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "r.json").read_text())["channel"]
    assert summary["packets"] == 40 and summary["status"] == "settled"


@pytest.mark.parametrize("option", [["--mode", "shielded"], ["--fault", "pole-stops"], ["--sessions", "2"],
                                    ["--depth", "8"], ["--save-wallets"], ["--fresh"]])
def test_escrow_only_options_are_refused_in_channel_mode(tmp_path, option):
    line = one_line(zk("demo", "--channel", *option, cwd=tmp_path), 2)
    assert option[0] in line and "--channel" in line
    assert not (tmp_path / "zkescrow-data").exists()


# --- 6. a read-only data directory ----------------------------------------------------------------------------

#: As root, file modes do not bind; this shim makes the data directory refuse every open but a read-only one.
READ_ONLY_SHIM = '''
import os, sqlite3
_connect = sqlite3.connect
def connect(database, *args, **kw):
    where = os.environ["ZKESCROW_TEST_READONLY"]
    if str(database).removeprefix("file:").startswith(where) and not (kw.get("uri") and "mode=ro" in str(database)):
        raise sqlite3.OperationalError("attempt to write a readonly database")
    return _connect(database, *args, **kw)
sqlite3.connect = connect
'''


def test_read_only_commands_work_in_a_read_only_data_dir(tmp_path):
    data = tmp_path / "data"
    _init(data, "alice=1000", "bob=0")
    zk("wallet", "send", "alice", "7", "--to", "bob", "--transparent", "--data-dir", data, cwd=tmp_path)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(READ_ONLY_SHIM)
    env = cli_env(ZKESCROW_TEST_READONLY=str(data.resolve()))
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(shim)])
    modes = {p: p.stat().st_mode for p in [data, *data.rglob("*")]}
    try:
        for p in modes:
            p.chmod(modes[p] & 0o555)
        for args in (["ledger", "show"], ["ledger", "blocks"], ["wallet", "balance", "bob"], ["observe"]):
            proc = zk(*args, "--data-dir", data, cwd=tmp_path, env=env)
            assert proc.returncode == 0, (args, proc.stderr)
        assert "transparent 7" in zk("wallet", "balance", "bob", "--data-dir", data, cwd=tmp_path, env=env).stdout
        proc = zk("wallet", "send", "alice", "1", "--to", "bob", "--transparent", "--data-dir", data, cwd=tmp_path,
                  env=env)
        one_line(proc, 2)                                   # a writer fails cleanly
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_a_read_only_ledger_connection_cannot_write(tmp_path):
    import sqlite3

    from zkescrow.ledger.ledger import Ledger
    Ledger.create(tmp_path / "l", {"ab" * 32: 5}).close()
    ledger = Ledger(tmp_path / "l", readonly=True)
    assert ledger.height == 0 and ledger.balance("ab" * 32) == 5
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ledger.store.db.execute("DELETE FROM accounts")
    ledger.close()


# --- 7. cheap checks first, atomic outputs --------------------------------------------------------------------

@pytest.fixture(scope="module")
def deposit_key(tmp_path_factory):
    d = tmp_path_factory.mktemp("deposit-key")
    for args in (["compile", "deposit", "-o", "deposit.r1cs"], ["setup", "deposit.r1cs", "deposit.zkey", "--dev"]):
        proc = zk(*args, cwd=d)
        assert proc.returncode == 0, proc.stderr
    (d / "input.json").write_text(zk("witness", "deposit", "--example", cwd=d).stdout)
    assert zk("witness", "deposit", "input.json", "-o", "deposit.wtns", cwd=d).returncode == 0
    return d


def test_prove_checks_its_outputs_before_proving(deposit_key, tmp_path):
    d = deposit_key
    for out in (["nowhere/proof.json", "public.json"], ["proof.json", "nowhere/public.json"], [".", "public.json"],
                ["same.json", "same.json"]):
        proc = zk("prove", d / "deposit.zkey", d / "deposit.wtns", *out, cwd=tmp_path,
                  env=cli_env(ZKESCROW_KEY_CACHE="off"))
        one_line(proc, 2)
        assert not (tmp_path / "proof.json").exists() and not (tmp_path / "public.json").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    (tmp_path / "proof.json").write_text("old")
    proc = zk("prove", "deposit", "--input", d / "input.json", "--zkey", d / "deposit.zkey", "-o", "proof.json",
              "--public", "nowhere/public.json", cwd=tmp_path)
    assert "nowhere/public.json" in one_line(proc, 2)
    assert (tmp_path / "proof.json").read_text() == "old"          # untouched: no proof without its public.json


def test_demo_json_path_is_checked_before_the_demo_runs(tmp_path):
    line = one_line(zk("demo", "--depth", "2", "--json", "nowhere/report.json", cwd=tmp_path), 2)
    assert "nowhere/report.json" in line
    assert not (tmp_path / "zkescrow-data").exists()


def test_shield_checks_the_balance_before_any_key_setup_or_proof(tmp_path):
    data = tmp_path / "data"
    _init(data, "alice=10")
    line = one_line(zk("wallet", "shield", "alice", "500", "--data-dir", data, cwd=tmp_path), 1)
    assert "has 10" in line and "500" in line
    assert not (data / "keys").exists()                           # no circuit key was made


def test_contribute_onto_its_own_input_is_atomic(deposit_key, tmp_path):
    import shutil

    from zkescrow.groth16.zkey import read_zkey
    key = tmp_path / "k.zkey"
    shutil.copy(deposit_key / "deposit.zkey", key)
    before = key.stat().st_ino
    proc = zk("zkey", "contribute", key, key, "-e", "some entropy", "--name", "me", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert key.stat().st_ino != before                             # a new file renamed over the old one
    assert [c.name for c in read_zkey(key).contributions] == ["me"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.zkey"]


def test_write_file_replaces_atomically_and_cleans_up(tmp_path, monkeypatch):
    from zkescrow.formats.binfile import write_file
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    real = os.replace

    def failing(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError):
        write_file(target, b"new")
    monkeypatch.setattr(os, "replace", real)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]
    write_file(target, b"new")
    assert target.read_bytes() == b"new"


# --- 8. messages that keep the cause ----------------------------------------------------------------------------

def test_a_bad_zkey_is_named_in_the_message(deposit_key, tmp_path):
    bad = tmp_path / "broken.zkey"
    bad.write_bytes((deposit_key / "deposit.zkey").read_bytes()[:300])
    for cache in ("off", str(tmp_path / "cache")):
        proc = zk("prove", bad, deposit_key / "deposit.wtns", "p.json", "q.json", cwd=tmp_path,
                  env=cli_env(ZKESCROW_KEY_CACHE=cache))
        line = one_line(proc, 2)
        assert "broken.zkey" in line and "<bytes>" not in line


def test_enclave_measure_on_a_directory_says_so(tmp_path):
    line = one_line(zk("enclave", "measure", tmp_path, cwd=tmp_path), 2)
    assert "is a directory" in line


@pytest.mark.parametrize("amount, words", [("-5", "cannot be negative"), ("0", "at least 1"),
                                           (str(BIG), "larger than any ledger"), ("1.5", "whole number"),
                                           ("ten", "whole number")])
@pytest.mark.parametrize("command", ["send", "shield"])
def test_bad_amounts_are_named_and_exit_2(tmp_path, amount, words, command):
    data = tmp_path / "data"
    _init(data, "alice=10", "bob=0")
    extra = ["--to", "bob", "--transparent"] if command == "send" else []
    line = one_line(zk("wallet", command, "alice", amount, *extra, "--data-dir", data, cwd=tmp_path), 2)
    assert words in line and "No such option" not in line


def test_a_false_statement_names_the_inconsistent_input(tmp_path):
    from zkescrow.cli.examples import example_input
    cases = {
        "deposit": ({"value": "999"}, "input commitment"),
        "channel_update": ({"packets": "11"}, "input paid_new"),
        "transfer": ({"public_amount": "5"}, "public_amount"),
        "value_commitment": ({"value": str(2 ** 64)}, f"input value = {2 ** 64} does not fit in 64 bits"),
        "escrow_release": ({"mode": "2"}, "input mode = 2 must be 0 or 1"),
    }
    for name, (change, words) in cases.items():
        params = ["--depth", "3"] if name in ("transfer", "escrow_release") else []
        inputs = dict(example_input(name, {"depth": 3} if params else {}), **change)
        (tmp_path / f"{name}.json").write_text(json.dumps(inputs))
        line = one_line(zk("witness", name, f"{name}.json", *params, cwd=tmp_path), 1)
        assert words in line and "main" in line, line
        assert not any(len(token.strip(",.()")) > 20 and token.strip(",.()").isdigit() for token in line.split())


# --- 9. the key cache: documented, inspectable, bounded --------------------------------------------------------

def test_cache_info_and_clear_through_the_cli(deposit_key, tmp_path):
    env = cli_env(ZKESCROW_KEY_CACHE=tmp_path / "cache")
    info = json.loads(zk("cache", "info", "--json", cwd=tmp_path, env=env).stdout)
    assert info == {"directory": str(tmp_path / "cache"), "enabled": True, "entries": 0, "bytes": 0,
                    "max_bytes": 2 << 30}
    proc = zk("prove", deposit_key / "deposit.zkey", deposit_key / "deposit.wtns", "p.json", "q.json", cwd=tmp_path,
              env=env)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(zk("cache", "info", "--json", cwd=tmp_path, env=env).stdout)
    assert info["entries"] == 1 and info["bytes"] > 0
    assert "1 key(s)" in zk("cache", "info", cwd=tmp_path, env=env).stdout
    assert "removed 1 key(s)" in zk("cache", "clear", cwd=tmp_path, env=env).stdout
    assert json.loads(zk("cache", "info", "--json", cwd=tmp_path, env=env).stdout)["entries"] == 0
    capped = cli_env(ZKESCROW_KEY_CACHE=tmp_path / "cache", ZKESCROW_KEY_CACHE_MAX="500M")
    assert json.loads(zk("cache", "info", "--json", cwd=tmp_path, env=capped).stdout)["max_bytes"] == 500 << 20
    bad = cli_env(ZKESCROW_KEY_CACHE_MAX="lots")
    assert "ZKESCROW_KEY_CACHE_MAX" in one_line(zk("cache", "info", cwd=tmp_path, env=bad), 2)


def test_the_cache_keeps_to_its_cap_dropping_the_least_recently_used(tmp_path, monkeypatch):
    from zkescrow.groth16 import key_cache
    for k, name in enumerate(["a", "b", "c", "d"]):
        path = tmp_path / f"{name}.pk"
        path.write_bytes(bytes(100))
        os.utime(path, (1000 + k, 1000 + k))
    os.utime(tmp_path / "a.pk", (2000, 2000))                # used last: kept
    removed = key_cache.prune(tmp_path, 250, keep=tmp_path / "d.pk")
    assert sorted(p.name for p in removed) == ["b.pk", "c.pk"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pk", "d.pk"]
    monkeypatch.setenv("ZKESCROW_KEY_CACHE_MAX", "1K")
    assert key_cache.max_bytes() == 1024


def test_write_file_keeps_symlinks_and_writes_to_pipes(tmp_path):
    from zkescrow.formats.binfile import write_file
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_file(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    proc = zk("witness", "deposit", "--example", "-o", "/dev/stdout", cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["value"] == "1000", proc.stderr    # a pipe stays one
