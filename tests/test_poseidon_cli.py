"""`zkescrow poseidon`: decimal output, hex input, one-line errors with exit 2."""
import json

import pytest

from circuits.crypto.poseidon import poseidon
from zkescrow.bn254.constants import R
from zkescrow.cli.main import main


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["poseidon", *args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_prints_the_decimal_hash(capsys):
    code, out, err = run(capsys, "1", "2")
    assert code == 0 and err == ""
    assert out == "7853200120776062878684798364095072458815029376092732009249414926327459813530\n"


def test_hex_and_decimal_inputs_agree(capsys):
    assert run(capsys, "0x1", "0X2")[1] == run(capsys, "1", "2")[1]
    code, out, _ = run(capsys, *map(str, range(1, 17)))
    assert code == 0 and int(out) == poseidon(list(range(1, 17)))


def test_json_output(capsys):
    code, out, _ = run(capsys, "--json", "0x0a", "3")
    assert code == 0
    assert json.loads(out) == {"inputs": ["10", "3"], "hash": str(poseidon([10, 3]))}


@pytest.mark.parametrize("args", [[], ["abc"], ["-5"], [str(R)], ["1.5"], [str(i) for i in range(17)], ["0x"]])
def test_bad_input_is_one_line_and_exit_2(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("zkescrow: ") and err.count("\n") == 1


def test_help_shows_an_example(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "Example" in out and "zkescrow poseidon 1 2" in out
