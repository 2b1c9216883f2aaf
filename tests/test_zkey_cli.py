"""`zkescrow setup` and `zkescrow zkey ...`: outputs equal snarkjs's, exit codes 0/1/2, no prompts."""
import json

import pytest

from conftest import run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403
from zkescrow.cli.main import main
from zkescrow.groth16.zkey import read_zkey

pytestmark = pytest.mark.interop


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.mark.parametrize("which", ["initial", "contributed"])
@pytest.mark.parametrize("command", [["export-vk"], ["export", "verificationkey"]])
def test_export_vk_is_snarkjs_text(snarkjs_zkey_poseidon, which, command, tmp_path, capsys):
    keys = snarkjs_zkey_poseidon
    zkey, vk = (keys.zkey_initial, keys.vk_json_initial) if which == "initial" else (keys.zkey, keys.vk_json)
    code, _, err = run(capsys, "zkey", *command, zkey, tmp_path / "vk.json")
    assert code == 0, err
    assert (tmp_path / "vk.json").read_text() == vk.read_text()


def test_setup_then_contribute_then_verify(snarkjs_zkey, tmp_path, capsys):
    keys = snarkjs_zkey
    k0, k1 = tmp_path / "c_0000.zkey", tmp_path / "c_0001.zkey"
    code, out, err = run(capsys, "setup", keys.circuit.r1cs, keys.ptau, k0, "--json")
    assert code == 0, err
    assert json.loads(out)["nVars"] == 4
    assert k0.read_bytes() == keys.zkey_initial.read_bytes()

    code, out, err = run(capsys, "zkey", "contribute", k0, k1, "--name", "cli")   # stdin is not a TTY: no prompt
    assert code == 0, err
    assert "Contribution Hash:" in out and "Enter" not in out + err
    assert read_zkey(k1).contributions[0].name == "cli"

    code, out, err = run(capsys, "zkey", "verify", keys.circuit.r1cs, keys.ptau, k1)
    assert (code, out.splitlines()[-1]) == (0, "OK")
    proc = run_snarkjs("zkey", "verify", keys.circuit.r1cs, keys.ptau, k1)
    assert "ZKey Ok!" in proc.stdout


def test_verify_exit_codes(snarkjs_zkey, circom_poseidon, tmp_path, capsys):
    keys = snarkjs_zkey
    code, out, _ = run(capsys, "zkey", "verify", keys.circuit.r1cs, keys.ptau, keys.zkey, "--json")
    assert code == 0 and json.loads(out)["ok"] is True

    code, out, err = run(capsys, "zkey", "verify", circom_poseidon.r1cs, keys.ptau, keys.zkey)
    assert code == 1 and "different circuit parameters" in err and len(err.strip().splitlines()) == 1

    (tmp_path / "junk.zkey").write_bytes(b"zkey" + bytes(20))
    code, _, err = run(capsys, "zkey", "verify", keys.circuit.r1cs, keys.ptau, tmp_path / "junk.zkey")
    assert code == 2 and "zkey" in err and "Traceback" not in err

    code, _, err = run(capsys, "zkey", "verify", keys.circuit.r1cs, keys.circuit.r1cs, keys.zkey)
    assert code == 2 and "not a ptau file" in err


def test_setup_dev_warns_and_usage_errors(circom_multiplier, ptau_file, tmp_path, capsys):
    code, out, err = run(capsys, "setup", circom_multiplier.r1cs, tmp_path / "dev.zkey", "--dev")
    assert code == 0 and "WARNING: development setup" in err
    assert not read_zkey(tmp_path / "dev.zkey").is_fresh()

    code, _, err = run(capsys, "setup", circom_multiplier.r1cs, tmp_path / "x.zkey")
    assert code == 2 and "expected CIRCUIT.r1cs POT.ptau OUT.zkey" in err
    code, _, err = run(capsys, "setup", circom_multiplier.r1cs, ptau_file, tmp_path / "x.zkey", "--dev")
    assert code == 2


@pytest.mark.parametrize("argv", [["setup"], ["zkey"], ["zkey", "contribute"], ["zkey", "verify"],
                                  ["zkey", "export-vk"], ["zkey", "export"], ["zkey", "export", "verificationkey"]])
def test_help_shows_an_example(argv, capsys):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0 and "Example:" in out and "zkescrow " in out
