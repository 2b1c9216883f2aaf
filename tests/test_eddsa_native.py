"""Native EdDSA-Poseidon against circomlibjs buildEddsa: same signatures from the same keys, each side
verifies the other's, and every tampering is rejected."""
import json
import random

import pytest

from circuits.crypto.babyjub import BASE8, GENERATOR, IDENTITY, SUBORDER, Point
from circuits.crypto.eddsa import PrivateKey, PublicKey, Signature
from conftest import run_node_script
from zkescrow.bn254.constants import R
from zkescrow.errors import InvalidFieldElement, InvalidPoint, InvalidSignature, MalformedInput

rng = random.Random(2494)
KEYS = [bytes(rng.getrandbits(8) for _ in range(32)) for _ in range(6)] + [bytes(32), b"\xff" * 32]
MSGS = [0, 1, int(R) - 1] + [rng.randrange(int(R)) for _ in range(5)]


@pytest.fixture(scope="module")
def circomlibjs():
    """One node run: circomlibjs signs KEYS×MSGS and verifies signatures made here (honest and tampered)."""
    ours = []
    for key, msg in zip(KEYS, MSGS):
        k = PrivateKey(key)
        sig = k.sign_poseidon(msg)
        ours.append((k.public_key, msg, sig, True))
        ours.append((k.public_key, (msg + 1) % int(R), sig, False))                       # other message
        ours.append((k.public_key, msg, Signature(sig.r8, (sig.s + 1) % SUBORDER), False))  # other S
        ours.append((PrivateKey(bytes(b ^ 1 for b in key)).public_key, msg, sig, False))        # other key
    pt = lambda p: [str(p.x), str(p.y)]
    script = f"""
const {{buildEddsa}} = require('circomlibjs');
(async () => {{
  const eddsa = await buildEddsa(); const F = eddsa.babyJub.F;
  const o = p => [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
  const P = a => [F.e(a[0]), F.e(a[1])];
  const keys = {json.dumps([k.hex() for k in KEYS])}, msgs = {json.dumps([str(m) for m in MSGS])};
  const signed = keys.map((k, i) => {{
    const prv = Buffer.from(k, 'hex');
    const sig = eddsa.signPoseidon(prv, F.e(msgs[i]));
    return {{pub: o(eddsa.prv2pub(prv)), r8: o(sig.R8), s: sig.S.toString(),
             packed: Buffer.from(eddsa.packSignature(sig)).toString('hex'),
             packedPub: Buffer.from(eddsa.babyJub.packPoint(eddsa.prv2pub(prv))).toString('hex')}};
  }});
  const verified = {json.dumps([[pt(a.point), str(m), pt(s.r8), str(s.s)] for a, m, s, _ in ours])}.map(
    ([a, m, r8, s]) => eddsa.verifyPoseidon(F.e(m), {{R8: P(r8), S: BigInt(s)}}, P(a)));
  console.log(JSON.stringify({{signed, verified}}));
  process.exit(0);
}})();
"""
    return {"ours": ours, **run_node_script(script)}


@pytest.mark.interop
def test_same_key_same_signature_as_circomlibjs(circomlibjs):
    for key, msg, js in zip(KEYS, MSGS, circomlibjs["signed"]):
        k = PrivateKey(key)
        sig = k.sign_poseidon(msg)
        assert js["pub"] == [str(k.public_key.x), str(k.public_key.y)]
        assert js["packedPub"] == k.public_key.pack().hex()
        assert js["r8"] == [str(sig.r8.x), str(sig.r8.y)] and js["s"] == str(sig.s)
        assert js["packed"] == sig.pack().hex()


@pytest.mark.interop
def test_circomlibjs_signatures_verify_here(circomlibjs):
    for key, msg, js in zip(KEYS, MSGS, circomlibjs["signed"]):
        pub = PublicKey(Point(int(js["pub"][0]), int(js["pub"][1])))
        sig = Signature.unpack(bytes.fromhex(js["packed"]))
        assert pub.verify_poseidon(msg, sig)
        assert not pub.verify_poseidon((msg + 1) % int(R), sig)


@pytest.mark.interop
def test_our_signatures_and_tamperings_judged_alike_by_circomlibjs(circomlibjs):
    expected = [ok for _, _, _, ok in circomlibjs["ours"]]
    assert circomlibjs["verified"] == expected
    assert [a.verify_poseidon(m, s) for a, m, s, _ in circomlibjs["ours"]] == expected


def test_sign_verify_roundtrip_and_determinism():
    k = PrivateKey.generate()
    sig = k.sign_poseidon(123456789)
    assert k.sign_poseidon(123456789) == sig
    k.public_key.verify(123456789, sig)
    assert Signature.unpack(sig.pack()) == sig
    assert PublicKey.unpack(k.public_key.pack()) == k.public_key
    assert PrivateKey.generate().public_key != k.public_key


def test_tampered_signatures_fail():
    k = PrivateKey(KEYS[0])
    sig = k.sign_poseidon(7)
    pub = k.public_key
    with pytest.raises(InvalidSignature):
        pub.verify(8, sig)
    assert not pub.verify_poseidon(7, Signature(sig.r8 + BASE8, sig.s))
    assert not pub.verify_poseidon(7, Signature(sig.r8, sig.s + SUBORDER))       # malleated S ≥ subOrder
    assert not pub.verify_poseidon(7, Signature(Point(1, 2), sig.s))              # R8 off the curve
    assert not PrivateKey(KEYS[1]).public_key.verify_poseidon(7, sig)


def test_unpack_signature_rejects_bad_encodings():
    sig = PrivateKey(KEYS[0]).sign_poseidon(7)
    packed = sig.pack()
    with pytest.raises(MalformedInput, match="64 bytes"):
        Signature.unpack(packed[:63])
    with pytest.raises(MalformedInput, match="SUBORDER"):
        Signature.unpack(packed[:32] + (sig.s + SUBORDER).to_bytes(32, "little"))
    with pytest.raises(InvalidPoint):
        Signature.unpack(int(R).to_bytes(32, "little") + packed[32:])


def test_key_and_message_validation():
    with pytest.raises(MalformedInput, match="32 bytes"):
        PrivateKey(b"short")
    with pytest.raises(InvalidFieldElement):
        PrivateKey(KEYS[0]).sign_poseidon(int(R))
    with pytest.raises(InvalidFieldElement):
        PrivateKey(KEYS[0]).public_key.verify_poseidon(-1, PrivateKey(KEYS[0]).sign_poseidon(1))
    with pytest.raises(InvalidPoint):
        PublicKey(GENERATOR.mul(SUBORDER))      # a torsion point
    with pytest.raises(InvalidPoint):
        PublicKey(IDENTITY)
    with pytest.raises(InvalidPoint):
        PublicKey(Point(1, 2))
    assert "PrivateKey(public_key=" in repr(PrivateKey(KEYS[0])) and KEYS[0].hex() not in repr(PrivateKey(KEYS[0]))
