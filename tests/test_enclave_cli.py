"""`zkescrow enclave measure | quote | verify`: exit 0 for a good quote, 1 for a failing one, 2 for bad files."""
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from zkescrow.cli.main import main

REPO = Path(__file__).resolve().parent.parent
PROGRAM = "enclave_sim.examples.kvstore"


def run(capsys, *args):
    """Run the CLI in-process as the console script does; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def quoted(tmp_path, capsys):
    nonce = secrets.token_hex(32)
    code, out, err = run(capsys, "enclave", "quote", PROGRAM, "--platform-dir", str(tmp_path / "plat"),
                         "--nonce", nonce, "-o", str(tmp_path / "quote.json"),
                         "--write-policy", str(tmp_path / "policy.toml"), "--json")
    assert code == 0, err
    return tmp_path, nonce, json.loads(out)


def test_measure_prints_the_measurement(capsys):
    from enclave_sim import ProgramImage
    code, out, err = run(capsys, "enclave", "measure", PROGRAM)
    assert code == 0 and out.strip() == ProgramImage.load(PROGRAM).measurement.hex()
    code, out, _ = run(capsys, "enclave", "measure", str(REPO / "enclave_sim/examples/kvstore.py"), "--json")
    assert code == 0 and json.loads(out)["program"] == "KeyValueStore"


def test_good_quote_verifies_with_exit_0(quoted, capsys):
    d, nonce, info = quoted
    assert (d / "chain.pem").read_text().count("BEGIN CERTIFICATE") == 3
    code, out, err = run(capsys, "enclave", "verify", str(d / "quote.json"), "--policy", str(d / "policy.toml"),
                         "--chain", str(d / "chain.pem"), "--nonce", nonce)
    assert code == 0 and out.startswith(f"OK: enclave {info['mrenclave']}"), err
    code, out, _ = run(capsys, "enclave", "verify", str(d / "quote.json"), "--policy", str(d / "policy.toml"),
                       "--nonce", nonce, "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_failing_quotes_exit_1_with_the_reason(quoted, capsys):
    d, nonce, info = quoted
    code, out, err = run(capsys, "enclave", "verify", str(d / "quote.json"), "--policy", str(d / "policy.toml"),
                         "--nonce", secrets.token_hex(32))
    assert code == 1 and out == "" and err == "zkescrow: quote was made for another nonce (replayed or stale)\n"
    code, _, err = run(capsys, "enclave", "quote", PROGRAM, "--platform-dir", str(d / "plat"), "--nonce", nonce,
                       "-o", str(d / "debug.json"), "--debug")
    assert code == 0, err
    code, _, err = run(capsys, "enclave", "verify", str(d / "debug.json"), "--policy", str(d / "policy.toml"),
                       "--nonce", nonce)
    assert code == 1 and err == "zkescrow: debug enclave rejected: the policy forbids debug enclaves\n"
    quote = json.loads((d / "quote.json").read_text())
    quote["svn"] = 9
    (d / "forged.json").write_text(json.dumps(quote))
    code, _, err = run(capsys, "enclave", "verify", str(d / "forged.json"), "--policy", str(d / "policy.toml"),
                       "--nonce", nonce)
    assert code == 1 and "quote signature does not verify" in err


@pytest.mark.parametrize("mangle", ["not json", "truncated", "bad hex", "missing"])
def test_malformed_files_exit_2_without_traceback(quoted, capsys, mangle):
    d, nonce, _ = quoted
    text = (d / "quote.json").read_text()
    target = d / "bad.json"
    if mangle == "not json":
        target.write_text("{")
    elif mangle == "truncated":
        obj = json.loads(text)
        del obj["signature"]
        target.write_text(json.dumps(obj))
    elif mangle == "bad hex":
        target.write_text(json.dumps({**json.loads(text), "mrenclave": "xyz"}))
    code, out, err = run(capsys, "enclave", "verify", str(target), "--policy", str(d / "policy.toml"),
                         "--nonce", nonce)
    assert code == 2 and err.startswith("zkescrow: ") and err.count("\n") == 1 and "Traceback" not in err


def test_malformed_policy_chain_and_nonce_exit_2(quoted, capsys):
    d, nonce, _ = quoted
    (d / "bad.toml").write_text("[enclave\n")
    (d / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    cases = [("--policy", str(d / "bad.toml"), "--nonce", nonce),
             ("--policy", str(d / "policy.toml"), "--chain", str(d / "bad.pem"), "--nonce", nonce),
             ("--policy", str(d / "policy.toml"), "--nonce", "abc"),
             ("--policy", str(d / "policy.toml"))]
    for args in cases:
        code, _, err = run(capsys, "enclave", "verify", str(d / "quote.json"), *args)
        assert code == 2 and err.startswith("zkescrow: ") and "Traceback" not in err, (args, err)


def test_console_entry_point_and_help_example(tmp_path):
    nonce = secrets.token_hex(16)
    cmd = [sys.executable, "-m", "zkescrow.cli.main", "enclave"]
    helped = subprocess.run(cmd + ["quote", "--help"], capture_output=True, text=True, cwd=REPO)
    assert helped.returncode == 0 and "Example:" in helped.stdout
    made = subprocess.run(cmd + ["quote", PROGRAM, "--platform-dir", str(tmp_path / "p"), "--nonce", nonce, "-o",
                                 str(tmp_path / "q.json"), "--write-policy", str(tmp_path / "pol.toml")],
                          capture_output=True, text=True, cwd=REPO)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run(cmd + ["verify", str(tmp_path / "q.json"), "--policy", str(tmp_path / "pol.toml"),
                                    "--nonce", nonce], capture_output=True, text=True, cwd=REPO)
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stderr
    replayed = subprocess.run(cmd + ["verify", str(tmp_path / "q.json"), "--policy", str(tmp_path / "pol.toml"),
                                     "--nonce", "11" * 16], capture_output=True, text=True, cwd=REPO)
    assert replayed.returncode == 1 and "Traceback" not in replayed.stderr
    broken = subprocess.run(cmd + ["verify", str(tmp_path / "missing.json"), "--policy", str(tmp_path / "pol.toml")],
                            capture_output=True, text=True, cwd=REPO)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
