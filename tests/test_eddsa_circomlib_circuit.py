"""Our EdDSA-Poseidon verifier gadget accepts and rejects the same inputs as circomlib's own
EdDSAPoseidonVerifier, compiled by circom and run by its witness calculator."""
import json
import random
import shutil

import pytest

from circuits.crypto.babyjub import BASE8, GENERATOR, IDENTITY, SUBORDER
from circuits.crypto.eddsa import PrivateKey
from conftest import CIRCOMLIB_CIRCUITS, run_circom, run_node_script
from test_eddsa_gadget import REJECTED, Verify, inputs

pytestmark = [pytest.mark.interop, pytest.mark.slow]


@pytest.fixture(scope="module")
def circomlib_verifier(tmp_path_factory):
    """Directory holding circomlib's EdDSAPoseidonVerifier compiled to WebAssembly."""
    work = tmp_path_factory.mktemp("eddsa_circom")
    shutil.copytree(CIRCOMLIB_CIRCUITS, work / "circomlib")
    (work / "verifier.circom").write_text(
        'pragma circom 2.0.0;\ninclude "circomlib/eddsaposeidon.circom";\n'
        "component main {public [Ax, Ay, M]} = EdDSAPoseidonVerifier();\n")
    run_circom("verifier.circom", "--wasm", "-o", ".", cwd=work)
    return work / "verifier_js"


def cases():
    rng = random.Random(4217)
    keys = [PrivateKey(bytes(rng.getrandbits(8) for _ in range(32))) for _ in range(2)]
    out = []
    for key in keys:
        msg = rng.randrange(SUBORDER)
        sig = key.sign_poseidon(msg)
        a, r8, s = key.public_key.point, sig.r8, sig.s
        out += [("valid", inputs(a, msg, r8, s)),
                ("msg+1", inputs(a, msg + 1, r8, s)),
                ("s+1", inputs(a, msg, r8, (s + 1) % SUBORDER)),
                ("s+suborder", inputs(a, msg, r8, s + SUBORDER)),
                ("other r8", inputs(a, msg, r8 + BASE8, s)),
                ("other key", inputs(keys[0].public_key.point if key is keys[1] else keys[1].public_key.point,
                                     msg, r8, s)),
                ("disabled, wrong S", inputs(a, msg, r8, (s + 1) % SUBORDER, enabled=0))]
    torsion, s = GENERATOR.mul(SUBORDER), 12345
    out += [("small-order key", inputs(torsion, 99, BASE8.mul(s), s)),
            ("disabled, small-order key", inputs(torsion, 99, BASE8.mul(s), s, enabled=0)),
            ("disabled, identity dummies", inputs(IDENTITY, 0, IDENTITY, 0, enabled=0))]
    return out


def circom_accepts(verifier_dir, all_inputs) -> list:
    circom_inputs = [{"enabled": str(i["enabled"]), "Ax": str(i["ax"]), "Ay": str(i["ay"]), "S": str(i["s"]),
                      "R8x": str(i["r8x"]), "R8y": str(i["r8y"]), "M": str(i["msg"])} for i in all_inputs]
    script = f"""
const fs = require('fs');
const builder = require({json.dumps(str(verifier_dir / "witness_calculator.js"))});
(async () => {{
  const calc = await builder(fs.readFileSync({json.dumps(str(verifier_dir / "verifier.wasm"))}));
  const out = [];
  for (const input of {json.dumps(circom_inputs)}) {{
    try {{ await calc.calculateWitness(input, true); out.push(true); }} catch (e) {{ out.push(false); }}
  }}
  console.log(JSON.stringify(out));
}})();
"""
    return run_node_script(script)


def ours_accepts(i) -> bool:
    try:
        Verify(switchable=True).witness(i)
        return True
    except REJECTED:
        return False


def test_same_verdicts_as_circomlib(circomlib_verifier):
    named = cases()
    theirs = circom_accepts(circomlib_verifier, [i for _, i in named])
    ours = [ours_accepts(i) for _, i in named]
    names = [n for n, _ in named]
    assert list(zip(names, ours)) == list(zip(names, theirs))
    assert sum(ours) == 2 + 2 + 2        # the valid signatures and the disabled verifiers, nothing else
