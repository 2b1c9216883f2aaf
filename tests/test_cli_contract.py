"""The promises every `zkescrow` command keeps, checked command by command.

- `--help` exits 0 and shows an Example, for every command and subcommand (found from COMMANDS, so a new
  command is covered the day it is registered).
- Malformed input (missing or unreadable files, empty files, random bytes, directories, truncated binaries,
  JSON of the wrong shape, numbers out of range, unknown options) is ONE line on stderr and exit 2.
- A well-formed statement that is false (an invalid proof, an unsatisfied circuit, a quote for another
  nonce) is one line on stderr and exit 1.
- No traceback, ever: most cases run in-process through `main()` (an uncaught exception fails the test),
  and a sample per command family runs in a real interpreter through `python -m zkescrow.cli.main`.

Only cheap error paths are exercised: nothing here runs a demo, a benchmark or a large circuit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from zkescrow.bn254.constants import R
from zkescrow.cli.main import COMMANDS, LazyGroup, cli, main

# --- running the CLI ------------------------------------------------------------------------------------


def run(capsys, argv):
    """main(argv) in-process: (exit code, stdout, stderr).  Any exception other than SystemExit propagates."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else code), out, err


def assert_one_line_error(code, out, err, expected_code, argv):
    shown = f"{argv}: exit {code}\nstdout: {out!r}\nstderr: {err!r}"
    assert code == expected_code, shown
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), shown
    assert "Traceback" not in out + err, shown


def run_subprocess(argv, cwd):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "zkescrow.cli.main", *map(str, argv)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)


# --- the command tree -----------------------------------------------------------------------------------


def _command_paths():
    """Every command path: ("verify",), ("zkey",), ("zkey", "contribute"), ... with its click object."""
    ctx = click.Context(cli)
    found = []

    def walk(path, command):
        found.append((path, command))
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, parent=ctx)
            for name in command.list_commands(sub_ctx):
                walk(path + (name,), command.get_command(sub_ctx, name))

    group = LazyGroup()
    for name in sorted(COMMANDS):
        walk((name,), group.get_command(ctx, name))
    return found


COMMAND_PATHS = _command_paths()
LEAVES = [path for path, command in COMMAND_PATHS if not isinstance(command, click.Group)]
GROUPS = [path for path, command in COMMAND_PATHS if isinstance(command, click.Group)]


def test_the_commands_of_the_guide_exist():
    names = {" ".join(path) for path, _ in COMMAND_PATHS}
    for required in ("prove", "verify", "setup", "zkey contribute", "zkey verify", "zkey export-vk",
                     "export calldata", "export solidity", "circuits", "compile", "witness", "inspect",
                     "poseidon", "enclave measure", "enclave quote", "enclave verify"):
        assert required in names, f"`zkescrow {required}` is missing"


@pytest.mark.parametrize("path", [()] + [p for p, _ in COMMAND_PATHS], ids=lambda p: " ".join(p) or "zkescrow")
def test_help_exits_0_and_shows_an_example(capsys, path):
    code, out, err = run(capsys, [*path, "--help"])
    assert code == 0, err
    assert "Usage:" in out and "Example" in out, out
    assert err == ""


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_an_unknown_option_is_one_line_exit_2(capsys, path):
    argv = [*path, "--no-such-option-anywhere"]
    assert_one_line_error(*run(capsys, argv), 2, argv)


@pytest.mark.parametrize("path", [()] + GROUPS, ids=lambda p: " ".join(p) or "zkescrow")
def test_a_group_without_or_with_an_unknown_subcommand_is_one_line_exit_2(capsys, path):
    for argv in ([*path], [*path, "no-such-command"]):
        assert_one_line_error(*run(capsys, argv), 2, argv)


# --- files: garbage and the real thing ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cli_recursion_limit():
    """Run in-process commands under the interpreter's default recursion limit, as ``zkescrow`` runs.

    py_ecc raises the limit to 100,000 when it is imported (other tests in this worker import it);
    under that limit a deeply nested JSON file overflows the C stack instead of raising RecursionError.
    """
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(saved)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Paths by name: garbage of every kind, plus a real deposit circuit with a dev key, proofs and a quote."""
    d = tmp_path_factory.mktemp("cli-contract")
    f = {"dir": d / "a-directory", "missing": d / "missing" / "nothing.json", "out_dir": d / "a-directory",
         "no_parent": d / "no-such-dir" / "out.file", "out_a": d / "outputs" / "a.out",
         "out_b": d / "outputs" / "b.out"}
    f["dir"].mkdir()
    f["out_a"].parent.mkdir()

    def put(name, data):
        path = d / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        f[name.split(".")[0]] = path
        return path

    put("empty", b"")
    put("random.bin", bytes.fromhex("9f3a8c00ff17e2b4") * 40)          # not UTF-8, no known magic
    put("trunc_r1cs.r1cs", b"r1cs\x01\x00\x00\x00")
    put("trunc_wtns.wtns", b"wtns\x02\x00\x00\x00\x01\x00\x00\x00")
    put("trunc_zkey.zkey", b"zkey\x01\x00\x00\x00")
    put("json_list.json", "[1, 2]")
    put("json_str.json", '"text"')
    put("json_obj.json", '{"a": 1}')
    put("json_num.json", "12")
    put("json_trunc.json", '{"a": [1, 2')
    put("json_deep.json", "[" * 100_000 + "]" * 100_000)                 # deeper than the parser's recursion
    put("bad_toml.toml", "not = [toml")
    put("bad_program.py", "print(1\n")

    def build(*argv):
        with pytest.raises(SystemExit) as info:
            main([str(a) for a in argv])
        assert info.value.code in (0, None), argv

    # a real circuit, key, witness, proof (deposit: 416 constraints, well under a second each)
    from circuits.escrow.deposit import deposit_inputs
    from circuits.notes import Note, SpendingKey
    from zkescrow.formats.wtns_file import write_wtns
    inputs = {k: str(v) for k, v in deposit_inputs(Note.new(100, SpendingKey.generate().owner)).items()}
    put("input.json", json.dumps(inputs))
    for name, change in {"input_false": {"value": "101"}, "input_range": {"value": str(2 ** 64)},
                         "input_r": {"value": str(R)}, "input_neg": {"value": "-1"},
                         "input_word": {"value": "abc"}, "input_float": {"value": 1.5},
                         "input_null": {"value": None}, "input_bool": {"value": True},
                         "input_array": {"value": [1, 2]}, "input_huge": {"value": 10 ** 400},
                         "input_extra": {"extra": "1"}}.items():
        put(f"{name}.json", json.dumps({**inputs, **change}))
    f["r1cs"], f["zkey"], f["wtns"] = d / "deposit.r1cs", d / "deposit.zkey", d / "deposit.wtns"
    f["vk"], f["proof"], f["public"] = d / "vk.json", d / "proof.json", d / "public.json"
    build("compile", "deposit", "-o", f["r1cs"])
    build("setup", f["r1cs"], f["zkey"], "--dev")
    build("zkey", "export-vk", f["zkey"], f["vk"])
    build("witness", "deposit", f["input"], "-o", f["wtns"])
    build("prove", f["zkey"], f["wtns"], f["proof"], f["public"])
    write_wtns([1, 2, 3], d / "short.wtns")
    f["short_wtns"] = d / "short.wtns"

    proof = json.loads(f["proof"].read_text())
    public = json.loads(f["public"].read_text())
    vk = json.loads(f["vk"].read_text())
    put("proof_wrong.json", json.dumps({**proof, "pi_a": proof["pi_c"]}))          # well-formed, false
    put("public_wrong.json", json.dumps([str(int(public[0]) + 1)] + public[1:]))    # well-formed, false
    put("public_short.json", json.dumps(public[:-1]))
    put("public_long.json", json.dumps(public + ["1"]))
    put("public_word.json", json.dumps(["x"] * len(public)))
    put("public_big.json", json.dumps([str(R)] + public[1:]))
    put("proof_offcurve.json", json.dumps({**proof, "pi_a": ["1", "3", "1"]}))
    put("proof_bigcoord.json", json.dumps({**proof, "pi_a": [str(2 ** 300), "3", "1"]}))
    put("proof_shape.json", json.dumps({**proof, "pi_b": "x"}))
    put("proof_missing.json", json.dumps({k: v for k, v in proof.items() if k != "pi_c"}))
    put("vk_short.json", json.dumps({**vk, "IC": vk["IC"][:-1]}))
    put("vk_npublic.json", json.dumps({**vk, "nPublic": "x"}))
    put("vk_offcurve.json", json.dumps({**vk, "vk_alpha_1": ["1", "3", "1"]}))
    put("vk_curve.json", json.dumps({**vk, "curve": "bls12381"}))

    # an enclave quote for a known nonce, and the policy accepting exactly that enclave
    f["nonce"] = "00112233445566778899aabbccddeeff"
    f["platform"], f["quote"], f["policy"] = d / "platform", d / "quote.json", d / "policy.toml"
    build("enclave", "quote", "enclave_sim.examples.kvstore", "--platform-dir", f["platform"], "--nonce", f["nonce"],
          "-o", f["quote"], "--write-policy", f["policy"])

    # escrow data directories: none, a file, garbage wallets, an empty ledger file
    f["data_none"] = d / "no-data"
    f["data_garbage"] = d / "data-garbage"
    (f["data_garbage"] / "wallets").mkdir(parents=True)
    (f["data_garbage"] / "ledger").mkdir()
    (f["data_garbage"] / "ledger" / "ledger.sqlite").write_bytes(b"")
    for name, data in {"rand": f["random"].read_bytes(), "list": b"[1, 2]", "obj": b'{"a": 1}'}.items():
        (f["data_garbage"] / "wallets" / f"{name}.json").write_bytes(data)
    (f["data_garbage"] / "wallets" / "dir.json").mkdir()
    return f


# --- the battery: (exit code, argv with {name} placeholders) ----------------------------------------------

MALFORMED = 2
FALSE = 1

CASES = {
    "verify": [
        (2, "verify {missing} {public} {proof}"), (2, "verify {vk} {missing} {proof}"),
        (2, "verify {vk} {public} {missing}"),
        (2, "verify {empty} {empty} {empty}"), (2, "verify {random} {public} {proof}"),
        (2, "verify {vk} {random} {proof}"), (2, "verify {vk} {public} {random}"),
        (2, "verify {dir} {public} {proof}"), (2, "verify {vk} {public} {dir}"),
        (2, "verify {json_list} {public} {proof}"), (2, "verify {json_str} {public} {proof}"),
        (2, "verify {json_obj} {public} {proof}"), (2, "verify {json_num} {public} {proof}"),
        (2, "verify {json_trunc} {public} {proof}"), (2, "verify {vk} {json_obj} {proof}"),
        (2, "verify {json_deep} {public} {proof}"), (2, "verify {vk} {json_deep} {proof}"),
        (2, "verify {vk} {public} {json_deep}"),
        (2, "verify {vk} {public} {json_list}"), (2, "verify {proof} {public} {vk}"),
        (2, "verify {vk} {public_short} {proof}"), (2, "verify {vk} {public_long} {proof}"),
        (2, "verify {vk} {public_word} {proof}"), (2, "verify {vk} {public_big} {proof}"),
        (2, "verify {vk} {public} {proof_offcurve}"), (2, "verify {vk} {public} {proof_bigcoord}"),
        (2, "verify {vk} {public} {proof_shape}"), (2, "verify {vk} {public} {proof_missing}"),
        (2, "verify {vk_short} {public} {proof}"), (2, "verify {vk_npublic} {public} {proof}"),
        (2, "verify {vk_offcurve} {public} {proof}"), (2, "verify {vk_curve} {public} {proof}"),
        (2, "verify"), (2, "verify {vk} {public}"), (2, "verify {vk} {public} {proof} extra"),
        (1, "verify {vk} {public} {proof_wrong}"), (1, "verify {vk} {public_wrong} {proof}"),
        (1, "verify {vk} {public_wrong} {proof} --json"),
    ],
    "prove": [
        (2, "prove"), (2, "prove a b c"), (2, "prove no-such-circuit"),
        (2, "prove {missing} {wtns} {out_a} {out_b}"), (2, "prove {zkey} {missing} {out_a} {out_b}"),
        (2, "prove {empty} {wtns} {out_a} {out_b}"), (2, "prove {zkey} {empty} {out_a} {out_b}"),
        (2, "prove {random} {wtns} {out_a} {out_b}"), (2, "prove {zkey} {random} {out_a} {out_b}"),
        (2, "prove {dir} {wtns} {out_a} {out_b}"), (2, "prove {zkey} {dir} {out_a} {out_b}"),
        (2, "prove {trunc_zkey} {wtns} {out_a} {out_b}"),
        (2, "prove {zkey} {trunc_wtns} {out_a} {out_b}"),
        (2, "prove {r1cs} {wtns} {out_a} {out_b}"), (2, "prove {vk} {wtns} {out_a} {out_b}"),
        (2, "prove {zkey} {r1cs} {out_a} {out_b}"),
        (2, "prove {zkey} {short_wtns} {out_a} {out_b}"),
        (2, "prove {zkey} {wtns} {out_dir} {no_parent}"), (2, "prove {zkey} {wtns} {no_parent} {no_parent}"),
        (2, "prove {zkey} {wtns} {out_a} {out_b} --input {input}"),
        (2, "prove deposit"), (2, "prove deposit --input {missing} --zkey {zkey}"),
        (2, "prove deposit --input {empty} --zkey {zkey}"), (2, "prove deposit --input {random} --zkey {zkey}"),
        (2, "prove deposit --input {dir} --zkey {zkey}"), (2, "prove deposit --input {json_list} --zkey {zkey}"),
        (2, "prove deposit --input {json_obj} --zkey {zkey}"), (2, "prove deposit --input {json_deep} --zkey {zkey}"),
        (2, "prove deposit --input {input_r} --zkey {zkey}"),
        (2, "prove deposit --input {input} --zkey {random} -o {out_a} --public {out_b}"),
        (2, "prove deposit --input {input} --zkey {zkey} -p depth"),
        (2, "prove transfer --input {input} --depth 0"), (2, "prove transfer --input {input} --depth 100000"),
        (2, "prove transfer --input {input} --depth x"),
        (1, "prove deposit --input {input_false} --zkey {zkey} -o {out_a} --public {out_b}"),
        (2, "prove deposit --input {input_false} --zkey {zkey} -o {no_parent} --public {out_b}"),
        (2, "prove deposit --input {input} --zkey {zkey} -o {out_a} --public {out_a}"),
        (2, "setup {r1cs} {zkey} {no_parent}"),
    ],
    "setup": [
        (2, "setup"), (2, "setup {r1cs} {zkey}"), (2, "setup {r1cs} {zkey} --dev --dev {zkey}"),
        (2, "setup {missing} {missing} {out_a}"), (2, "setup {empty} {empty} {out_a}"),
        (2, "setup {random} {random} {out_a}"), (2, "setup {dir} {dir} {out_a}"),
        (2, "setup {trunc_r1cs} {random} {out_a}"), (2, "setup {r1cs} {random} {out_a}"),
        (2, "setup {r1cs} {zkey} {out_a}"), (2, "setup {r1cs} {empty} {out_a}"),
        (2, "setup {missing} {out_a} --dev"), (2, "setup {random} {out_a} --dev"),
        (2, "setup {dir} {out_a} --dev"), (2, "setup {trunc_r1cs} {out_a} --dev"),
        (2, "setup {zkey} {out_a} --dev"), (2, "setup {wtns} {out_a} --dev"),
        (2, "setup {r1cs} {out_dir} --dev"), (2, "setup {r1cs} {no_parent} --dev"),
    ],
    "zkey": [
        (2, "zkey contribute {missing} {out_a} -e x"), (2, "zkey contribute {empty} {out_a} -e x"),
        (2, "zkey contribute {random} {out_a} -e x"), (2, "zkey contribute {dir} {out_a} -e x"),
        (2, "zkey contribute {trunc_zkey} {out_a} -e x"), (2, "zkey contribute {r1cs} {out_a} -e x"),
        (2, "zkey contribute {zkey} {out_dir} -e x"), (2, "zkey contribute {zkey} {no_parent} -e x"),
        (2, "zkey contribute {zkey}"),
        (2, "zkey beacon {missing} {no_parent} 0102 10"), (2, "zkey beacon {random} {no_parent} 0102 10"),
        (2, "zkey beacon {zkey} {no_parent} 0102 10"), (2, "zkey beacon {zkey} {no_parent} xyz 10"),
        (2, "zkey beacon {zkey} {no_parent} 0102 9"), (2, "zkey beacon {zkey} {no_parent} 0102 x"),
        (2, "zkey beacon {zkey} {out_dir} 0102 10"), (2, "zkey beacon {dir} {no_parent} 0102 10"),
        (2, "zkey verify {missing} {missing} {missing}"), (2, "zkey verify {empty} {empty} {empty}"),
        (2, "zkey verify {random} {random} {random}"), (2, "zkey verify {dir} {dir} {dir}"),
        (2, "zkey verify {trunc_r1cs} {random} {zkey}"), (2, "zkey verify {r1cs} {random} {zkey}"),
        (2, "zkey verify {r1cs} {zkey} {zkey}"), (2, "zkey verify {zkey} {empty} {zkey}"),
        (2, "zkey verify {r1cs} {empty} {zkey}"), (2, "zkey verify {r1cs}"),
        (2, "zkey export-vk {missing} {no_parent}"), (2, "zkey export-vk {empty} {no_parent}"),
        (2, "zkey export-vk {random} {no_parent}"), (2, "zkey export-vk {dir} {no_parent}"),
        (2, "zkey export-vk {trunc_zkey} {no_parent}"), (2, "zkey export-vk {r1cs} {no_parent}"),
        (2, "zkey export-vk {zkey} {out_dir}"), (2, "zkey export-vk {zkey} {no_parent}"),
        (2, "zkey export-vk {zkey}"),
        (2, "zkey export verificationkey {random} {no_parent}"),
        (2, "zkey export verificationkey {dir} {no_parent}"),
    ],
    "export": [
        (2, "export calldata {missing} {proof}"), (2, "export calldata {public} {missing}"),
        (2, "export calldata {empty} {empty}"), (2, "export calldata {random} {proof}"),
        (2, "export calldata {public} {random}"), (2, "export calldata {dir} {proof}"),
        (2, "export calldata {public} {dir}"), (2, "export calldata {json_obj} {proof}"),
        (2, "export calldata {public} {json_list}"), (2, "export calldata {public_word} {proof}"),
        (2, "export calldata {public_big} {proof}"), (2, "export calldata {public} {proof_offcurve}"),
        (2, "export calldata {public} {proof_shape}"), (2, "export calldata {public}"),
        (2, "export calldata {json_deep} {proof}"), (2, "export solidity {json_deep} {no_parent}"),
        (2, "export solidity {missing} {no_parent}"), (2, "export solidity {empty} {no_parent}"),
        (2, "export solidity {random} {no_parent}"), (2, "export solidity {dir} {no_parent}"),
        (2, "export solidity {json_obj} {no_parent}"), (2, "export solidity {json_trunc} {no_parent}"),
        (2, "export solidity {vk_offcurve} {no_parent}"), (2, "export solidity {vk} {out_dir}"),
        (2, "export solidity {vk} {no_parent}"), (2, "export solidity {vk}"),
    ],
    "circuits": [
        (2, "circuits extra"), (2, "circuits --json extra"),
    ],
    "compile": [
        (2, "compile"), (2, "compile no-such-circuit -o {no_parent}"),
        (2, "compile deposit --depth 3 -o {no_parent}"), (2, "compile deposit --depth abc"),
        (2, "compile deposit -p foo"), (2, "compile deposit -p foo=1"), (2, "compile transfer -p depth=x"),
        (2, "compile transfer --depth 0 -o {no_parent}"), (2, "compile transfer --depth -1 -o {no_parent}"),
        (2, "compile transfer --depth 100000 -o {no_parent}"), (2, "compile transfer -p depth=-5 -o {no_parent}"),
        (2, "compile deposit -o {out_dir}"), (2, "compile deposit -o {no_parent}"),
    ],
    "witness": [
        (2, "witness"), (2, "witness deposit"), (2, "witness deposit {missing}"),
        (2, "witness deposit {empty}"), (2, "witness deposit {random}"), (2, "witness deposit {dir}"),
        (2, "witness deposit {json_list}"), (2, "witness deposit {json_str}"), (2, "witness deposit {json_num}"),
        (2, "witness deposit {json_trunc}"), (2, "witness deposit {json_obj}"), (2, "witness deposit {json_deep}"),
        (2, "witness no-such-circuit {input}"), (2, "witness transfer {input} --depth 0"),
        (2, "witness deposit {input_r} -o {no_parent}"), (2, "witness deposit {input_neg} -o {no_parent}"),
        (2, "witness deposit {input_word} -o {no_parent}"), (2, "witness deposit {input_float} -o {no_parent}"),
        (2, "witness deposit {input_null} -o {no_parent}"), (2, "witness deposit {input_bool} -o {no_parent}"),
        (2, "witness deposit {input_array} -o {no_parent}"), (2, "witness deposit {input_huge} -o {no_parent}"),
        (2, "witness deposit {input_extra} -o {no_parent}"),
        (2, "witness deposit {input} -o {out_dir}"), (2, "witness deposit {input} -o {no_parent}"),
        (1, "witness deposit {input_false} -o {no_parent}"), (1, "witness deposit {input_range} -o {no_parent}"),
    ],
    "inspect": [
        (2, "inspect"), (2, "inspect {missing}"), (2, "inspect {empty}"), (2, "inspect {random}"),
        (2, "inspect {dir}"), (2, "inspect {trunc_r1cs}"), (2, "inspect {trunc_wtns}"),
        (2, "inspect {trunc_zkey}"), (2, "inspect {zkey}"), (2, "inspect {vk}"), (2, "inspect {r1cs} {wtns}"),
    ],
    "poseidon": [
        (2, "poseidon"), (2, "poseidon --json"), (2, "poseidon abc"), (2, "poseidon -1"), (2, "poseidon 0x"),
        (2, "poseidon 1e5"), (2, "poseidon 1.5"), (2, f"poseidon {R}"), (2, f"poseidon 1 {2 ** 256}"),
        (2, "poseidon " + " ".join(str(i) for i in range(17))), (2, "poseidon 0xzz"),
    ],
    "enclave": [
        (2, "enclave measure"), (2, "enclave measure {missing}"), (2, "enclave measure no_such.module"),
        (2, "enclave measure {empty}"), (2, "enclave measure {random}"), (2, "enclave measure {dir}"),
        (2, "enclave measure {bad_program}"), (2, "enclave measure {json_obj}"),
        (2, "enclave measure enclave_sim.examples.kvstore:NoSuchClass"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce zz -o {no_parent}"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce 00 -o {no_parent}"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {empty} --nonce {nonce} -o {no_parent}"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce {nonce} -o {no_parent} "
            "--signer-key {random}"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce {nonce} -o {no_parent} "
            "--signer-key {dir}"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce {nonce} -o {no_parent} "
            "--signer-key {missing}"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce {nonce} -o {no_parent} "
            "--svn 70000"),
        (2, "enclave quote enclave_sim.examples.kvstore --platform-dir {platform} --nonce {nonce} -o {no_parent} "
            "--product-id -1"),
        (2, "enclave quote {missing} --platform-dir {platform} --nonce {nonce} -o {no_parent}"),
        (2, "enclave quote enclave_sim.examples.kvstore --nonce {nonce} -o {no_parent}"),
        (2, "enclave verify"), (2, "enclave verify {quote}"),
        (2, "enclave verify {missing} --policy {policy}"), (2, "enclave verify {empty} --policy {policy}"),
        (2, "enclave verify {random} --policy {policy}"), (2, "enclave verify {dir} --policy {policy}"),
        (2, "enclave verify {json_obj} --policy {policy}"), (2, "enclave verify {json_list} --policy {policy}"),
        (2, "enclave verify {json_trunc} --policy {policy}"), (2, "enclave verify {json_deep} --policy {policy}"),
        (2, "enclave verify {quote} --policy {missing}"), (2, "enclave verify {quote} --policy {empty}"),
        (2, "enclave verify {quote} --policy {random}"), (2, "enclave verify {quote} --policy {dir}"),
        (2, "enclave verify {quote} --policy {bad_toml}"), (2, "enclave verify {quote} --policy {json_obj}"),
        (2, "enclave verify {quote} --policy {policy} --chain {random}"),
        (2, "enclave verify {quote} --policy {policy} --chain {dir}"),
        (2, "enclave verify {quote} --policy {policy} --chain {empty}"),
        (2, "enclave verify {quote} --policy {policy} --chain {missing}"),
        (2, "enclave verify {quote} --policy {policy} --nonce xyz"),
        (2, "enclave verify {quote} --policy {policy} --nonce 00"),
        (1, "enclave verify {quote} --policy {policy} --nonce 00112233445566778899aabbccddee00"),
    ],
    "wtns": [
        (2, "wtns calculate"), (2, "wtns calculate {missing} {input} {no_parent}"),
        (2, "wtns calculate {random} {input} {no_parent}"), (2, "wtns calculate {empty} {input} {no_parent}"),
        (2, "wtns calculate {dir} {input} {no_parent}"), (2, "wtns calculate {r1cs} {input} {no_parent}"),
        (2, "wtns calculate {random} {input} {out_dir}"), (2, "wtns calculate {random} {json_deep} {no_parent}"),
        (2, "wtns calculate {r1cs} {json_list} {no_parent}"),
    ],
    "fullprove": [
        (2, "fullprove"), (2, "fullprove {input} {missing} {zkey} {no_parent} {no_parent}"),
        (2, "fullprove {input} {random} {zkey} {no_parent} {no_parent}"),
        (2, "fullprove {json_list} {random} {zkey} {no_parent} {no_parent}"),
        (2, "fullprove {missing} {random} {zkey} {no_parent} {no_parent}"),
        (2, "fullprove {input} {zkey} {zkey} {out_dir} {no_parent}"),
    ],
    "powersoftau": [
        (2, "powersoftau new"), (2, "powersoftau new bn128 x {no_parent}"), (2, "powersoftau new bls12381 4 {no_parent}"),
        (2, "powersoftau new bn128 0 {no_parent}"), (2, "powersoftau new bn128 4 {no_parent}"),
        (2, "powersoftau new bn128 4 {out_dir}"),
        (2, "powersoftau contribute {missing} {no_parent} -e x"), (2, "powersoftau contribute {empty} {out_dir} -e x"),
        (2, "powersoftau contribute {random} {dir}.x -e x"), (2, "powersoftau contribute {zkey} {dir}.x -e x"),
        (2, "powersoftau contribute {dir} {dir}.x -e x"),
        (2, "powersoftau beacon {random} {dir}.x 0102 10"), (2, "powersoftau beacon {random} {dir}.x zz 10"),
        (2, "powersoftau beacon {random} {dir}.x 0102 x"), (2, "powersoftau beacon {random} {dir}.x 0102 3"),
        (2, "powersoftau prepare phase2 {trunc_zkey} {dir}.x"), (2, "powersoftau prepare phase2 {random} {no_parent}"),
        (2, "powersoftau verify {missing}"), (2, "powersoftau verify {empty}"), (2, "powersoftau verify {random}"),
        (2, "powersoftau verify {dir}"), (2, "powersoftau verify {r1cs}"), (2, "powersoftau verify {zkey}"),
    ],
    # Families still being finished elsewhere: only their cheap, argument-level error paths.
    "demo": [
        (2, "demo --mode nope"), (2, "demo --sessions 0"), (2, "demo --sessions x"), (2, "demo --depth 99"),
        (2, "demo --fault nope"), (2, "demo --data-dir {empty}"), (2, "demo --v2g"),
    ],
    "channel-demo": [
        (2, "channel-demo --packets 0"), (2, "channel-demo --packets x"), (2, "channel-demo --proof-every -1"),
        (2, "channel-demo --price-signal {missing}"), (2, "channel-demo --price-signal {dir}"),
        (2, "channel-demo --data-dir {empty}"),
    ],
    "bench": [
        (2, "bench --preset nope"), (2, "bench --cores x"), (2, "bench --cpu-quota x"),
    ],
    "cache": [
        (2, "cache"), (2, "cache nope"), (2, "cache info extra"), (2, "cache clear --nope"),
    ],
    "compare": [
        (2, "compare --data-dir {empty}"), (2, "compare extra"),
    ],
    "observe": [
        (2, "observe --data-dir {data_none}"), (2, "observe --data-dir {empty}"), (2, "observe --data-dir {dir}"),
        (2, "observe --data-dir {data_garbage}"),
    ],
    "ledger": [
        (2, "ledger show --data-dir {data_none}"), (2, "ledger show --data-dir {empty}"),
        (2, "ledger show --data-dir {data_garbage}"), (2, "ledger blocks --data-dir {data_none}"),
        (2, "ledger blocks --from x"), (2, "ledger init --data-dir {data_none} --fund alice"),
        (2, "ledger init --data-dir {data_none} --fund alice=-5"),
        (2, "ledger init --data-dir {data_none} --fund ../x=5"),
        (2, "ledger init --data-dir {data_none} --depth 1"), (2, "ledger init --data-dir {empty}"),
    ],
    "wallet": [
        (2, "wallet new --data-dir {data_none} ''"), (2, "wallet new --data-dir {data_none} a/b"),
        (2, "wallet new --data-dir {data_none}"), (2, "wallet balance --data-dir {data_none} nobody"),
        (2, "wallet balance --data-dir {data_garbage} rand"), (2, "wallet balance --data-dir {data_garbage} list"),
        (2, "wallet balance --data-dir {data_garbage} obj"), (2, "wallet balance --data-dir {data_garbage} dir"),
        (2, "wallet shield --data-dir {data_none} nobody 0"), (2, "wallet shield --data-dir {data_none} nobody x"),
        (2, "wallet send --data-dir {data_none} nobody 5"),
        (2, "wallet send --data-dir {data_none} nobody 5 --to zkpay:garbage"),
        (2, "wallet send --data-dir {data_garbage} obj 5 --to obj"),
    ],
}

ALL_CASES = [(family, code, template) for family, cases in CASES.items() for code, template in cases]


def _argv(template: str, files) -> list[str]:
    import shlex
    return [part.format(**{k: str(v) for k, v in files.items()}) for part in shlex.split(template)]


def test_every_command_has_malformed_input_cases():
    assert set(CASES) == set(COMMANDS), "add cases for new commands (or drop those of removed ones)"


@pytest.mark.parametrize("family, expected, template", ALL_CASES, ids=[t for _, _, t in ALL_CASES])
def test_bad_input_is_one_line_on_stderr(capsys, monkeypatch, files, family, expected, template):
    monkeypatch.chdir(files["dir"].parent)
    argv = _argv(template, files)
    code, out, err = run(capsys, argv)
    assert_one_line_error(code, out, err, expected, argv)
    assert not files["no_parent"].parent.exists(), "an error path created an output directory"


# --- well-formed input: the other half of the contract ---------------------------------------------------


def test_verify_prints_ok_and_json(capsys, files):
    assert run(capsys, ["verify", files["vk"], files["public"], files["proof"]]) == (0, "OK\n", "")
    code, out, err = run(capsys, ["verify", files["vk"], files["public"], files["proof"], "--json"])
    assert code == 0 and err == "" and json.loads(out)["valid"] is True
    code, out, err = run(capsys, ["verify", files["vk"], files["public"], files["proof_wrong"], "--json"])
    assert code == 1 and json.loads(out)["valid"] is False and len(err.splitlines()) == 1


def test_prove_draws_no_progress_bar_off_a_terminal(capsys, files, tmp_path):
    """stderr is not a terminal here: a successful prove says nothing on it; --json is pure JSON on stdout."""
    code, out, err = run(capsys, ["prove", files["zkey"], files["wtns"], tmp_path / "p.json", tmp_path / "q.json",
                                  "--json"])
    assert (code, err) == (0, "")
    assert json.loads(out)["n_vars"] == 421
    assert run(capsys, ["verify", files["vk"], tmp_path / "q.json", tmp_path / "p.json"])[:2] == (0, "OK\n")


def test_machine_output_is_json(capsys, files, tmp_path):
    for argv in (["poseidon", "1", "2", "--json"], ["inspect", files["r1cs"], "--json"],
                 ["inspect", files["wtns"], "--json"], ["enclave", "measure", "enclave_sim.examples.kvstore", "--json"],
                 ["enclave", "verify", files["quote"], "--policy", files["policy"], "--nonce", files["nonce"], "--json"],
                 ["compile", "deposit", "-o", tmp_path / "d.r1cs", "--json"]):
        code, out, err = run(capsys, argv)
        assert code == 0, (argv, err)
        json.loads(out)


# --- real interpreters: nothing leaks past main() ---------------------------------------------------------

SUBPROCESS_CASES = [
    (2, "verify {missing} {public} {proof}"), (2, "verify {random} {public} {proof}"),
    (1, "verify {vk} {public} {proof_wrong}"), (2, "verify"),
    (2, "prove {zkey} {dir} {no_parent} {no_parent}"), (1, "prove deposit --input {input_false} --zkey {zkey}"),
    (2, "setup {trunc_r1cs} {no_parent} --dev"), (2, "zkey export-vk {empty} {no_parent}"),
    (2, "zkey"), (2, "export calldata {json_obj} {proof}"), (2, "compile transfer --depth 0"),
    (2, "witness deposit {random}"), (1, "witness deposit {input_false} -o {no_parent}"),
    (2, "inspect {trunc_wtns}"), (2, "poseidon {random}"), (2, "enclave verify {quote} --policy {bad_toml}"),
    (1, "enclave verify {quote} --policy {policy} --nonce 00112233445566778899aabbccddee00"),
    (2, "demo --sessions 0"), (2, "observe --data-dir {data_garbage}"), (2, "wallet balance --data-dir {data_garbage} rand"),
    (2, ""),
]


@pytest.mark.parametrize("expected, template", SUBPROCESS_CASES, ids=[t or "zkescrow" for _, t in SUBPROCESS_CASES])
def test_no_traceback_from_a_real_interpreter(files, expected, template):
    argv = _argv(template, files)
    proc = run_subprocess(argv, cwd=files["dir"].parent)
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, expected, argv)


def test_the_entry_point_keeps_the_contract(files):
    """The installed `zkescrow` script (when the venv has one) maps errors the same way."""
    script = os.path.join(os.path.dirname(sys.executable), "zkescrow")
    if not os.path.exists(script):
        pytest.skip("no zkescrow entry point next to this interpreter")
    proc = subprocess.run([script, "verify", str(files["vk"]), str(files["public"]), str(files["random"])],
                          capture_output=True, text=True, timeout=120)
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, 2, "zkescrow verify ... random")
