"""Solidity calldata and the Solidity verifier, checked against snarkjs and an EVM (solc-js + ganache).

The calldata must equal `snarkjs zkey export soliditycalldata` byte for byte.  The generated verifier
is compiled with solc-js, deployed on an in-process ganache chain next to snarkjs's own verifier for
the same key, and called with the same calldata: both accept a good proof and reject tampered ones.
Gas (eth_estimateGas) of both is written to the test report.
"""
import json
import re

import pytest

from conftest import NODE_MODULES, run_node_cli, run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403  (session fixtures)

from zkescrow.bn254.constants import Q, R
from zkescrow.errors import InvalidPoint, MalformedInput
from zkescrow.groth16.calldata import abi_encode, calldata, calldata_words
from zkescrow.groth16.proof import Proof, dumps, parse_public_signals
from zkescrow.groth16.solidity import solidity_verifier
from zkescrow.groth16.vk import VerificationKey

pytestmark = pytest.mark.interop

#: Compile with solc-js (standard JSON), deploy on ganache, eth_call + eth_estimateGas verifyProof.
EVM_SCRIPT = r"""
const fs = require("fs");
const path = require("path");
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const solc = require(path.join(job.node_modules, "solc"));
const ganache = require(path.join(job.node_modules, "ganache"));

function compileAll(contracts) {
  const sources = {};
  for (const [name, source] of Object.entries(contracts)) sources[name + ".sol"] = { content: source };
  const input = {
    language: "Solidity",
    sources,
    settings: { optimizer: { enabled: true, runs: 200 },
                outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.methodIdentifiers"] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const compiled = {};
  for (const name of Object.keys(contracts)) {
    const [contract] = Object.values(out.contracts[name + ".sol"]);
    const [signature, selector] = Object.entries(contract.evm.methodIdentifiers)
      .find(([sig]) => sig.startsWith("verifyProof("));
    compiled[name] = { bytecode: "0x" + contract.evm.bytecode.object, signature, selector };
  }
  return compiled;
}

(async () => {
  const provider = ganache.provider({ logging: { quiet: true } });
  const [from] = await provider.request({ method: "eth_accounts", params: [] });
  const report = {};
  const compiled = compileAll(job.contracts);
  for (const [name, c] of Object.entries(compiled)) {
    const txHash = await provider.request({ method: "eth_sendTransaction",
      params: [{ from, data: c.bytecode, gas: "0x1c9c380" }] });
    const receipt = await provider.request({ method: "eth_getTransactionReceipt", params: [txHash] });
    const to = receipt.contractAddress;
    const results = [];
    for (const args of job.calls) {
      const data = "0x" + c.selector + args;
      try {
        const ret = await provider.request({ method: "eth_call", params: [{ from, to, data }, "latest"] });
        const gas = await provider.request({ method: "eth_estimateGas", params: [{ from, to, data }] });
        results.push({ ok: BigInt(ret) === 1n, gas: Number(BigInt(gas)) });
      } catch (e) {
        results.push({ error: String(e.message || e) });
      }
    }
    report[name] = { signature: c.signature, deployGas: Number(BigInt(receipt.gasUsed)), results };
  }
  process.stdout.write(JSON.stringify(report));
})().catch((e) => { process.stderr.write(String(e.stack || e)); process.exit(1); });
"""


@pytest.fixture(scope="module")
def snarkjs_proof(snarkjs_zkey, tmp_path_factory):
    """(proof.json, public.json, calldata stdout) from `snarkjs groth16 prove` + `zkey export soliditycalldata`."""
    d = tmp_path_factory.mktemp("snarkjs-proof")
    run_snarkjs("groth16", "prove", snarkjs_zkey.zkey, snarkjs_zkey.circuit.wtns, d / "proof.json", d / "public.json")
    out = run_snarkjs("zkey", "export", "soliditycalldata", d / "public.json", d / "proof.json").stdout
    return d / "proof.json", d / "public.json", out


@pytest.fixture(scope="module")
def vk(snarkjs_zkey):
    return VerificationKey.from_json(snarkjs_zkey.vk_json.read_text())


def test_proof_json_round_trips_byte_for_byte(snarkjs_proof):
    proof_path, public_path, _ = snarkjs_proof
    assert dumps(Proof.from_json(proof_path.read_text()).to_json()) == proof_path.read_text()
    public = parse_public_signals(public_path.read_text())
    assert dumps([str(v) for v in public]) == public_path.read_text()


def test_calldata_equals_snarkjs_byte_for_byte(snarkjs_proof):
    proof_path, public_path, snarkjs_out = snarkjs_proof
    text = calldata(json.loads(public_path.read_text()), Proof.from_json(proof_path.read_text()))
    assert text + "\n" == snarkjs_out


def test_calldata_swaps_g2_to_imaginary_first(snarkjs_proof):
    proof_path, public_path, _ = snarkjs_proof
    proof = Proof.from_json(proof_path.read_text())
    a, b, c, inputs = calldata_words(json.loads(public_path.read_text()), proof)
    (x0, x1), (y0, y1) = proof.pi_b
    assert b == [[x1, x0], [y1, y0]]
    assert a == list(proof.pi_a) and c == list(proof.pi_c)
    assert len(abi_encode(inputs, proof)) == 32 * (8 + len(inputs))


def test_calldata_rejects_bad_public_signals(snarkjs_proof):
    proof = Proof.from_json(snarkjs_proof[0].read_text())
    with pytest.raises(MalformedInput):
        calldata([str(R)], proof)
    with pytest.raises(MalformedInput):
        calldata(["0x10"], proof)


def test_solidity_source_names_the_precompiles_and_checks_r(vk):
    source = solidity_verifier(vk)
    assert "0x06" in source and "0x07" in source and "0x08" in source
    assert f"uint256 internal constant R = {R};" in source
    assert f"uint256[{vk.n_public}] calldata input" in source
    assert f"IC{vk.n_public}_X" in source and f"IC{vk.n_public + 1}_X" not in source


def _tampered_calls(public, proof) -> tuple[list[str], list[str]]:
    """ABI argument blobs: the good one first, then tampers, with their names."""
    words = [int.from_bytes(chunk, "big") for chunk in re.findall(b"(?s).{32}", abi_encode(public, proof))]
    names = ["good"]
    blobs = [words]
    for index, name in ((0, "a.x"), (1, "a.y"), (2, "b.x.im"), (5, "b.y.re"), (6, "c.x"), (7, "c.y")):
        tampered = list(words)
        tampered[index] = (tampered[index] + 1) % Q
        names.append(name)
        blobs.append(tampered)
    for i in range(len(public)):
        tampered = list(words)
        tampered[8 + i] = (tampered[8 + i] + 1) % R
        names.append(f"input[{i}]+1")
        blobs.append(tampered)
        tampered = list(words)
        tampered[8 + i] += R      # same residue, but not a canonical field element
        names.append(f"input[{i}]+r")
        blobs.append(tampered)
    tampered = list(words)
    tampered[1] += Q              # -A would be computed from a non-canonical y
    names.append("a.y+q")
    blobs.append(tampered)
    return names, ["".join(f"{w:064x}" for w in blob) for blob in blobs]


def _run_evm(tmp_path, contracts: dict, calls: list[str]) -> dict:
    script = tmp_path / "evm.js"
    script.write_text(EVM_SCRIPT)
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"node_modules": str(NODE_MODULES), "contracts": contracts, "calls": calls}))
    return json.loads(run_node_cli(script, job, timeout=300).stdout)


def _words_from_calldata_text(text: str) -> str:
    """The ABI argument blob for the text `export calldata` prints (read back as JSON)."""
    a, b, c, inputs = json.loads("[" + text + "]")
    return "".join(w[2:] for w in [*a, *b[0], *b[1], *c, *inputs])


@pytest.mark.slow
def test_solidity_verifier_on_evm_beside_snarkjs_verifier(vk, snarkjs_zkey, snarkjs_proof, tmp_path,
                                                          record_property):
    from zkescrow.formats.wtns_file import read_wtns
    from zkescrow.groth16.zkey import read_zkey
    from zkescrow.groth16.prove import prove

    proof_path, public_path, _ = snarkjs_proof
    proof = Proof.from_json(proof_path.read_text())
    public = parse_public_signals(public_path.read_text())
    our_proof, our_public = prove(read_zkey(snarkjs_zkey.zkey), read_wtns(snarkjs_zkey.circuit.wtns))
    run_snarkjs("zkey", "export", "solidityverifier", snarkjs_zkey.zkey, tmp_path / "snarkjs_verifier.sol")
    contracts = {"zkescrow": solidity_verifier(vk), "snarkjs": (tmp_path / "snarkjs_verifier.sol").read_text()}
    names, calls = _tampered_calls(public, proof)
    names += ["ours", "ours, other input"]
    calls += [_words_from_calldata_text(calldata(our_public, our_proof)),
              _words_from_calldata_text(calldata([our_public[0] + 1] + our_public[1:], our_proof))]
    report = _run_evm(tmp_path, contracts, calls)

    assert report["zkescrow"]["signature"] == report["snarkjs"]["signature"] == \
        f"verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[{vk.n_public}])"
    for contract in ("zkescrow", "snarkjs"):
        results = dict(zip(names, report[contract]["results"]))
        assert results["good"] == {"ok": True, "gas": results["good"]["gas"]}, (contract, results["good"])
        assert results["ours"].get("ok") is True, (contract, results["ours"])
        for name in (n for n in names[1:] if n != "ours"):
            assert not results[name].get("ok"), (contract, name, results[name])
    ours, theirs = report["zkescrow"]["results"][0]["gas"], report["snarkjs"]["results"][0]["gas"]
    record_property("verify_gas_zkescrow", ours)
    record_property("verify_gas_snarkjs", theirs)
    print(f"verifyProof gas (eth_estimateGas): zkescrow {ours}, snarkjs {theirs}; deploy "
          f"{report['zkescrow']['deployGas']} vs {report['snarkjs']['deployGas']}")


def test_solidity_export_validates_the_key(vk):
    bad = VerificationKey(vk.alpha1, vk.beta2, vk.gamma2, vk.delta2, [(vk.ic[0][0], vk.ic[0][1] + 1)] + vk.ic[1:])
    with pytest.raises(InvalidPoint):
        solidity_verifier(bad)
