"""The EdDSA-Poseidon verifier gadget accepts exactly what the native verifier (and circomlibjs) accepts."""
import json
import random

import pytest

from circuits.crypto.babyjub import BASE8, GENERATOR, IDENTITY, SUBORDER, Point
from circuits.crypto.eddsa import PrivateKey
from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.eddsa import eddsa_poseidon_verify
from conftest import run_node_script
from zkescrow.errors import UnsatisfiedConstraint, WitnessError

rng = random.Random(4217)
KEYS = [PrivateKey(bytes(rng.getrandbits(8) for _ in range(32))) for _ in range(3)]
REJECTED = (UnsatisfiedConstraint, WitnessError)


class Verify(Circuit):
    """A signature of `msg` under (ax, ay); with switchable=True, checked only when `enabled` = 1."""
    ax = Public()
    ay = Public()
    msg = Public()
    enabled = Public()
    s = Private()
    r8x = Private()
    r8y = Private()

    def define(self, cs):
        enabled = self.enabled if self.switchable else None
        if not self.switchable:
            cs.assert_equal(self.enabled, 1)
        eddsa_poseidon_verify(cs, self.ax, self.ay, self.s, self.r8x, self.r8y, self.msg, enabled=enabled)


def inputs(a: Point, msg: int, r8: Point, s: int, enabled=1) -> dict:
    return {"ax": a.x, "ay": a.y, "msg": msg, "enabled": enabled, "s": s, "r8x": r8.x, "r8y": r8.y}


def signed(key_index=0, msg=None):
    key = KEYS[key_index]
    msg = rng.randrange(SUBORDER) if msg is None else msg
    sig = key.sign_poseidon(msg)
    return key.public_key.point, msg, sig.r8, sig.s


@pytest.mark.parametrize("switchable", [False, True])
def test_valid_signatures_give_a_witness(switchable):
    for i in range(len(KEYS)):
        Verify(switchable=switchable).witness(inputs(*signed(i)))


def test_constraint_count_not_above_circomlib():
    # circomlib EdDSAPoseidonVerifier (with its `enabled` input): 4217 constraints (circom --O2)
    assert len(Verify(switchable=True).compile().constraints) <= 4217


@pytest.mark.parametrize("tamper", ["msg", "s+1", "s+suborder", "other r8", "r8 off curve", "other key"])
def test_tampered_signature_makes_witness_generation_fail(tamper):
    a, msg, r8, s = signed()
    if tamper == "msg":
        msg += 1
    elif tamper == "s+1":
        s = (s + 1) % SUBORDER
    elif tamper == "s+suborder":       # same point S·B8, non-canonical S: only the S < subOrder check stops it
        s += SUBORDER
    elif tamper == "other r8":
        r8 = r8 + BASE8
    elif tamper == "r8 off curve":
        r8 = Point(r8.x, (r8.y + 1))
    elif tamper == "other key":
        a = KEYS[1].public_key.point
    where = {"s+suborder": "SBelowSubOrder", "r8 off curve": "BabyCheck"}.get(tamper, "VerificationEquation")
    for switchable in (False, True):
        with pytest.raises(REJECTED, match=where):
            Verify(switchable=switchable).witness(inputs(a, msg, r8, s))
    # a switched-off verifier does not care, as long as A and R8 are on the curve
    if tamper == "r8 off curve":
        with pytest.raises(UnsatisfiedConstraint, match="BabyCheck"):
            Verify(switchable=True).witness(inputs(a, msg, r8, s, enabled=0))
    else:
        Verify(switchable=True).witness(inputs(a, msg, r8, s % (1 << 253), enabled=0))


def test_small_order_key_forgery_is_rejected():
    """With A of order 8 the equation S·B8 = R8 + 8·hm·A holds for R8 = S·B8, whatever the message."""
    torsion = GENERATOR.mul(SUBORDER)
    s = 12345
    forged = inputs(torsion, 99, BASE8.mul(s), s)
    with pytest.raises(REJECTED, match="NotSmallOrder"):
        Verify(switchable=False).witness(forged)
    with pytest.raises(REJECTED):
        Verify(switchable=True).witness(forged)
    # a disabled verifier takes dummy inputs, small-order keys included
    Verify(switchable=True).witness(inputs(IDENTITY, 0, IDENTITY, 0, enabled=0))
    Verify(switchable=True).witness(forged | {"enabled": 0})


@pytest.mark.interop
def test_circomlibjs_signatures_verify_in_circuit():
    msgs = [rng.randrange(SUBORDER) for _ in range(3)]
    keys = [bytes(rng.getrandbits(8) for _ in range(32)) for _ in msgs]
    script = f"""
const {{buildEddsa}} = require('circomlibjs');
(async () => {{
  const eddsa = await buildEddsa(); const F = eddsa.babyJub.F;
  const s = x => F.toObject(x).toString();
  const out = {json.dumps([k.hex() for k in keys])}.map((k, i) => {{
    const prv = Buffer.from(k, 'hex'); const m = {json.dumps([str(m) for m in msgs])}[i];
    const sig = eddsa.signPoseidon(prv, F.e(m)); const A = eddsa.prv2pub(prv);
    return {{ax: s(A[0]), ay: s(A[1]), msg: m, enabled: "1", s: sig.S.toString(), r8x: s(sig.R8[0]), r8y: s(sig.R8[1])}};
  }});
  console.log(JSON.stringify(out));
  process.exit(0);
}})();
"""
    for js_inputs in run_node_script(script):
        Verify(switchable=False).witness(js_inputs)
        with pytest.raises(REJECTED):
            Verify(switchable=False).witness(dict(js_inputs, msg=str(int(js_inputs["msg"]) + 1)))
