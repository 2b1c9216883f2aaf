"""`zkescrow prove | verify | export` as a user runs them: snarkjs argument order, snarkjs-readable files,
OK/INVALID/one-line errors with exit 0/1/2, and lean start-up (the verifier does not import the prover)."""
import copy
import json
import subprocess
import sys

import pytest

from cli_run import one_line_error
from conftest import run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403  (session fixtures)

from zkescrow.bn254.constants import Q, R
from zkescrow.groth16.proof import dumps

pytestmark = pytest.mark.interop

ENTRY = "import sys; from zkescrow.cli.main import main; main(sys.argv[1:])"


def zk(*args, cwd=None):
    """Run the zkescrow CLI in a fresh interpreter (the real entry point, with its exit codes)."""
    return subprocess.run([sys.executable, "-c", ENTRY, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def snarkjs_files(snarkjs_zkey, tmp_path_factory):
    """proof.json/public.json from `snarkjs groth16 prove`, and snarkjs's calldata for them."""
    d = tmp_path_factory.mktemp("snarkjs-cli")
    run_snarkjs("groth16", "prove", snarkjs_zkey.zkey, snarkjs_zkey.circuit.wtns, d / "proof.json", d / "public.json")
    calldata = run_snarkjs("zkey", "export", "soliditycalldata", d / "public.json", d / "proof.json").stdout
    return d, calldata


def test_prove_file_form_is_accepted_by_snarkjs(snarkjs_zkey, tmp_path):
    proc = zk("prove", snarkjs_zkey.zkey, snarkjs_zkey.circuit.wtns, tmp_path / "proof.json",
              tmp_path / "public.json", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for phase in ("build_abc", "ntt", "msm_a", "msm_b1", "msm_b2", "msm_c", "msm_h", "total"):
        assert report["timings_ms"][phase] >= 0
    out = run_snarkjs("groth16", "verify", snarkjs_zkey.vk_json, tmp_path / "public.json", tmp_path / "proof.json")
    assert "OK" in out.stdout
    proof_text = (tmp_path / "proof.json").read_text()
    assert proof_text == dumps(json.loads(proof_text))      # snarkjs's layout
    assert zk("verify", snarkjs_zkey.vk_json, tmp_path / "public.json", tmp_path / "proof.json").stdout == "OK\n"


def test_prove_warns_about_a_key_without_contribution(snarkjs_zkey, tmp_path):
    proc = zk("prove", snarkjs_zkey.zkey_initial, snarkjs_zkey.circuit.wtns, tmp_path / "p.json", tmp_path / "q.json")
    assert proc.returncode == 0 and "no phase-2 contribution" in proc.stderr
    run_snarkjs("groth16", "verify", snarkjs_zkey.vk_json_initial, tmp_path / "q.json", tmp_path / "p.json")
    quiet = zk("prove", snarkjs_zkey.zkey, snarkjs_zkey.circuit.wtns, tmp_path / "p.json", tmp_path / "q.json")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_prove_rejects_a_witness_of_another_circuit(snarkjs_zkey, snarkjs_zkey_poseidon, tmp_path):
    proc = zk("prove", snarkjs_zkey.zkey, snarkjs_zkey_poseidon.circuit.wtns, tmp_path / "p.json", tmp_path / "q.json")
    one_line_error(proc, 2, "values")
    assert not (tmp_path / "p.json").exists()


def test_prove_usage_errors(tmp_path):
    one_line_error(zk("prove", "no-such-circuit-or-file"), 2)
    one_line_error(zk("prove", "a.zkey", "b.wtns"), 2)


def test_verify_ok_and_invalid(snarkjs_zkey, snarkjs_files):
    d, _ = snarkjs_files
    ok = zk("verify", snarkjs_zkey.vk_json, d / "public.json", d / "proof.json")
    assert (ok.returncode, ok.stdout) == (0, "OK\n"), ok.stderr
    timed = zk("verify", snarkjs_zkey.vk_json, d / "public.json", d / "proof.json", "--json")
    report = json.loads(timed.stdout)
    assert report["valid"] is True and report["timings_ms"]["pairing"] > 0

    public = json.loads((d / "public.json").read_text())
    public[0] = str((int(public[0]) + 1) % R)
    (d / "other_public.json").write_text(json.dumps(public))
    bad = zk("verify", snarkjs_zkey.vk_json, d / "other_public.json", d / "proof.json")
    assert bad.stdout == "INVALID\n"
    one_line_error(bad, 1, "does not verify")


def _non_subgroup_g2_json():
    from zkescrow.bn254.constants import B2
    from zkescrow.bn254.fields import fq2_add, fq2_mul, fq2_sqr, fq2_sqrt
    x0 = 1
    while (y := fq2_sqrt(fq2_add(fq2_mul(fq2_sqr((x0, 0)), (x0, 0)), B2))) is None:
        x0 += 1
    return [[str(x0), "0"], [str(y[0]), str(y[1])], ["1", "0"]]


def _malformed_cases(proof, public):
    def with_proof(mutate):
        p = copy.deepcopy(proof)
        mutate(p)
        return p, public

    def with_public(values):
        return proof, values

    return {
        "proof not JSON": ("{not json", public, "not JSON"),
        "proof wrong shape": (*with_proof(lambda p: p.update(pi_a=["1"])), "pi_a"),
        "pi_a missing": (*with_proof(lambda p: p.pop("pi_a")), "pi_a"),
        "pi_a x >= q": (*with_proof(lambda p: p["pi_a"].__setitem__(0, str(int(p["pi_a"][0]) + Q))), "pi_a"),
        "pi_c off curve": (*with_proof(lambda p: p["pi_c"].__setitem__(1, str((int(p["pi_c"][1]) + 1) % Q))),
                           "pi_c"),
        "pi_b off curve": (*with_proof(lambda p: p["pi_b"][0].__setitem__(1, str((int(p["pi_b"][0][1]) + 1) % Q))),
                           "pi_b"),
        "pi_b outside G2": (*with_proof(lambda p: p.update(pi_b=_non_subgroup_g2_json())), "subgroup"),
        "public >= r": (*with_public([str(int(public[0]) + R)] + public[1:]), "public signal 0"),
        "public not decimal": (*with_public(["0x21"] + public[1:]), "public signal 0"),
        "public count": (*with_public(public[:-1]), "expected 2 public signals"),
        "public not a list": (*with_public({"a": "1"}), "list"),
    }


@pytest.mark.slow
def test_verify_malformed_input_is_one_line_exit_2(snarkjs_zkey, snarkjs_files, tmp_path):
    d, _ = snarkjs_files
    proof = json.loads((d / "proof.json").read_text())
    public = json.loads((d / "public.json").read_text())
    for name, (p, pub, words) in _malformed_cases(proof, public).items():
        (tmp_path / "proof.json").write_text(p if isinstance(p, str) else json.dumps(p))
        (tmp_path / "public.json").write_text(json.dumps(pub))
        proc = zk("verify", snarkjs_zkey.vk_json, tmp_path / "public.json", tmp_path / "proof.json")
        line = one_line_error(proc, 2, words)
        assert proc.stdout == "", (name, proc.stdout)
        assert line.startswith("zkescrow: "), (name, line)


def test_verify_malformed_key_and_missing_file(snarkjs_zkey, snarkjs_files, tmp_path):
    d, _ = snarkjs_files
    vk = json.loads(snarkjs_zkey.vk_json.read_text())
    vk["vk_delta_2"] = _non_subgroup_g2_json()
    (tmp_path / "vk.json").write_text(json.dumps(vk))
    one_line_error(zk("verify", tmp_path / "vk.json", d / "public.json", d / "proof.json"), 2, "vk_delta_2")
    one_line_error(zk("verify", snarkjs_zkey.vk_json, d / "public.json", tmp_path / "absent.json"), 2, "absent.json")


def test_export_calldata_matches_snarkjs_stdout(snarkjs_files):
    d, snarkjs_calldata = snarkjs_files
    proc = zk("export", "calldata", d / "public.json", d / "proof.json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == snarkjs_calldata


def test_export_solidity_writes_a_contract(snarkjs_zkey, tmp_path):
    proc = zk("export", "solidity", snarkjs_zkey.vk_json, tmp_path / "Verifier.sol")
    assert proc.returncode == 0, proc.stderr
    source = (tmp_path / "Verifier.sol").read_text()
    assert "contract Groth16Verifier" in source and "uint256[2] calldata input" in source


@pytest.mark.parametrize("command", [["prove"], ["verify"], ["export"], ["export", "calldata"],
                                     ["export", "solidity"]])
def test_help_shows_an_example(command):
    proc = zk(*command, "--help")
    assert proc.returncode == 0 and "Example:" in proc.stdout and "zkescrow " + command[0] in proc.stdout


def test_verify_imports_neither_prover_nor_heavy_libraries(snarkjs_zkey, snarkjs_files):
    d, _ = snarkjs_files
    probe = ("import sys\nfrom zkescrow.cli.main import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
             "    pass\nprint(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('galois', 'matplotlib', 'numpy', 'circuits', 'py_ecc') or m in "
             "('zkescrow.groth16.prove', 'zkescrow.bn254.ntt', 'zkescrow.formats.zkey', 'zkescrow.groth16.zkey'))))")
    proc = subprocess.run([sys.executable, "-c", probe, "verify", snarkjs_zkey.vk_json, d / "public.json",
                           d / "proof.json"], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == ["OK", ""] or proc.stdout.splitlines() == ["OK"], proc.stdout


@pytest.mark.slow
def test_prove_builtin_circuit_by_name(tmp_path):
    """`zkescrow prove NAME --input ...`: the witness is computed in-process by the built-in circuit."""
    from circuits import registry
    from circuits.escrow.deposit import deposit_inputs
    from circuits.notes import Note
    from zkescrow.groth16.zkey import write_zkey
    from zkescrow.groth16.setup import setup_dev

    pk = setup_dev(registry.get("deposit").compile())
    write_zkey(pk, tmp_path / "deposit.zkey")
    (tmp_path / "vk.json").write_text(dumps(pk.verification_key().to_json()))
    inputs = {k: str(v) for k, v in deposit_inputs(Note.new(1000, 12345)).items()}
    (tmp_path / "input.json").write_text(json.dumps(inputs))
    proc = zk("prove", "deposit", "--input", "input.json", "--zkey", "deposit.zkey", "-o", "proof.json",
              "--public", "public.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    public = json.loads((tmp_path / "public.json").read_text())
    assert public == [inputs["commitment"], inputs["value"], inputs["asset"]]
    out = run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json")
    assert "OK" in out.stdout
    assert zk("verify", "vk.json", "public.json", "proof.json", cwd=tmp_path).stdout == "OK\n"

    inputs["value"] = "1001"                              # a false statement: the commitment hides 1000
    (tmp_path / "false.json").write_text(json.dumps(inputs))
    proc = zk("prove", "deposit", "--input", "false.json", "--zkey", "deposit.zkey", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
