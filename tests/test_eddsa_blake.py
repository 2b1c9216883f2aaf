"""BLAKE-256/512 (original BLAKE, used by circomlib's EdDSA and Pedersen hash) against the
specification's test vectors and against the npm ``blake-hash`` package that circomlibjs uses."""
import json
import random

import pytest

from circuits.crypto.blake import blake256, blake512
from conftest import run_node_script

# "SHA-3 proposal BLAKE" v1.3, Appendix A: one-block and two-block messages of zero bytes.
SPEC_VECTORS = [
    (blake256, b"\x00", "0ce8d4ef4dd7cd8d62dfded9d4edb0a774ae6a41929a74da23109e8f11139c87"),
    (blake256, b"\x00" * 72, "d419bad32d504fb7d44d460c42c5593fe544fa4c135dec31e21bd9abdcc22d41"),
    (blake512, b"\x00", "97961587f6d970faba6d2478045de6d1fabd09b61ae50932054d52bc29d31be4"
                        "ff9102b9f69e2bbdb83be13d4b9c06091e5fa0b48bd081b634058be0ec49beb3"),
    (blake512, b"\x00" * 144, "313717d608e9cf758dcb1eb0f0c3cf9fc150b2d500fb33f51c52afc99d358a2f"
                              "1374b8a38bba7974e7f6ef79cab16f22ce1e649d6e01ad9589c213045d545dde"),
]


@pytest.mark.parametrize("fn,message,digest", SPEC_VECTORS,
                         ids=["256-1byte", "256-72bytes", "512-1byte", "512-144bytes"])
def test_specification_vectors(fn, message, digest):
    assert fn(message).hex() == digest


def test_digest_sizes_and_input_types():
    assert len(blake256(b"abc")) == 32 and len(blake512(b"abc")) == 64
    assert blake512(bytearray(b"abc")) == blake512(b"abc")
    assert blake512(b"abc") != blake512(b"abd")


@pytest.mark.interop
def test_matches_npm_blake_hash_across_block_boundaries():
    rng = random.Random(2494)
    # lengths around the padding edge cases of both variants (55/56/64 and 111/112/128 bytes)
    lengths = [0, 1, 54, 55, 56, 63, 64, 65, 110, 111, 112, 119, 127, 128, 129, 200, 255, 256, 300]
    messages = [bytes(rng.getrandbits(8) for _ in range(n)) for n in lengths]
    script = f"""
const blake = require('blake-hash');
const msgs = {json.dumps([m.hex() for m in messages])};
const out = msgs.map(m => [blake('blake256').update(Buffer.from(m, 'hex')).digest('hex'),
                           blake('blake512').update(Buffer.from(m, 'hex')).digest('hex')]);
console.log(JSON.stringify(out));
"""
    expected = run_node_script(script)
    assert [[blake256(m).hex(), blake512(m).hex()] for m in messages] == expected
