"""Groth16 setup, phase-2 contributions and zkey verification against snarkjs 0.7.6.

snarkjs is the reference throughout: our setup must produce the bytes `snarkjs groth16 setup`
produces, `snarkjs zkey verify` must accept what we write, and our verifier must accept what
snarkjs writes and reject tampered keys.
"""
import json

import pytest

from conftest import run_node_script, run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403
from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from zkescrow.bn254.curve import g1_double, g1_mul, g2_mul
from zkescrow.errors import InvalidSetup, MalformedInput
from zkescrow.formats.r1cs_file import read_r1cs
from zkescrow.groth16.zkey import read_zkey, write_zkey, zkey_to_bytes
from zkescrow.groth16.contribute import contribute, hash_to_g2
from zkescrow.groth16.setup import setup, setup_dev
from zkescrow.groth16.zkey_verify import zkey_verify
from zkescrow.r1cs import R1CS

pytestmark = pytest.mark.interop


def _snarkjs_accepts(r1cs_path, ptau, zkey_path) -> bool:
    proc = run_snarkjs("zkey", "verify", r1cs_path, ptau, zkey_path, check=False)
    return proc.returncode == 0 and "ZKey Ok!" in proc.stdout


@pytest.mark.parametrize("key", ["snarkjs_zkey", "snarkjs_zkey_poseidon"])
def test_setup_is_byte_identical_to_snarkjs(key, request):
    keys = request.getfixturevalue(key)
    pk = setup(read_r1cs(keys.circuit.r1cs), keys.ptau)
    assert zkey_to_bytes(pk) == keys.zkey_initial.read_bytes()
    assert pk.is_fresh() and not pk.contributions


def test_snarkjs_accepts_our_setup_and_our_contribution(snarkjs_zkey_poseidon, tmp_path):
    keys = snarkjs_zkey_poseidon
    pk = setup(read_r1cs(keys.circuit.r1cs), keys.ptau)
    write_zkey(pk, tmp_path / "ours_0000.zkey")
    assert _snarkjs_accepts(keys.circuit.r1cs, keys.ptau, tmp_path / "ours_0000.zkey")

    contributed = contribute(tmp_path / "ours_0000.zkey", "zkescrow", "some typed text")
    assert not contributed.is_fresh() and contributed.contributions[0].name == "zkescrow"
    write_zkey(contributed, tmp_path / "ours_0001.zkey")
    assert _snarkjs_accepts(keys.circuit.r1cs, keys.ptau, tmp_path / "ours_0001.zkey")

    # snarkjs contributes on top of ours; both verifiers accept the chain of two.
    run_snarkjs("zkey", "contribute", tmp_path / "ours_0001.zkey", tmp_path / "ours_0002.zkey",
                "--name=snarkjs on top", "-e=more entropy")
    assert _snarkjs_accepts(keys.circuit.r1cs, keys.ptau, tmp_path / "ours_0002.zkey")
    assert zkey_verify(keys.circuit.r1cs, keys.ptau, tmp_path / "ours_0002.zkey")


def test_contribute_on_a_snarkjs_key(snarkjs_zkey, tmp_path):
    new = contribute(read_zkey(snarkjs_zkey.zkey), "second", None)
    assert len(new.contributions) == 2
    write_zkey(new, tmp_path / "k.zkey")
    assert _snarkjs_accepts(snarkjs_zkey.circuit.r1cs, snarkjs_zkey.ptau, tmp_path / "k.zkey")


@pytest.mark.parametrize("which", ["zkey_initial", "zkey"])
def test_zkey_verify_accepts_snarkjs_keys(snarkjs_zkey_poseidon, which):
    keys = snarkjs_zkey_poseidon
    assert zkey_verify(keys.circuit.r1cs, keys.ptau, getattr(keys, which)) is True


def _tamper_h(pk):
    pk.h[3] = g1_double(pk.h[3])


def _tamper_c(pk):
    pk.c[0] = g1_double(pk.c[0])


def _tamper_delta_both(pk):
    pk.delta1, pk.delta2 = g1_mul(pk.delta1, 2), g2_mul(pk.delta2, 2)


def _tamper_delta2(pk):
    pk.delta2 = g2_mul(pk.delta2, 3)


def _tamper_ic(pk):
    pk.ic[1] = g1_double(pk.ic[1])


def _tamper_alpha(pk):
    pk.alpha1 = g1_double(pk.alpha1)


def _tamper_transcript(pk):
    pk.contributions[0].transcript = bytes(64)


def _tamper_public_key(pk):
    pk.contributions[0].g2_spx = g2_mul(pk.contributions[0].g2_spx, 2)


def _tamper_coef(pk):
    matrix, constraint, signal, value = pk.coefs[0]
    pk.coefs[0] = (matrix, constraint, signal, (value + 1) % R)


@pytest.mark.parametrize("tamper, reason", [
    (_tamper_h, "H section does not match"),
    (_tamper_c, r"C \(L\) section does not match"),
    (_tamper_delta_both, "invalid delta1"),
    (_tamper_delta2, "invalid delta2"),
    (_tamper_ic, "IC section"),
    (_tamper_alpha, "invalid alpha1"),
    (_tamper_transcript, "inconsistent transcript"),
    (_tamper_public_key, "same ratio"),
    (_tamper_coef, "coefficients section"),
])
def test_zkey_verify_rejects_tampered_keys(snarkjs_zkey_poseidon, tamper, reason):
    keys = snarkjs_zkey_poseidon
    pk = read_zkey(keys.zkey)
    tamper(pk)
    with pytest.raises(InvalidSetup, match=reason):
        zkey_verify(keys.circuit.r1cs, keys.ptau, pk)


def test_zkey_verify_rejects_another_circuit(snarkjs_zkey, circom_poseidon):
    with pytest.raises(InvalidSetup, match="different circuit parameters"):
        zkey_verify(circom_poseidon.r1cs, snarkjs_zkey.ptau, snarkjs_zkey.zkey)


def test_snarkjs_rejects_what_we_reject(snarkjs_zkey_poseidon, tmp_path):
    """The tampered H point is caught by snarkjs too, so both verifiers agree on the check."""
    keys = snarkjs_zkey_poseidon
    pk = read_zkey(keys.zkey)
    _tamper_h(pk)
    write_zkey(pk, tmp_path / "bad.zkey")
    assert not _snarkjs_accepts(keys.circuit.r1cs, keys.ptau, tmp_path / "bad.zkey")


HASH_TO_G2_JS = """
const {buildBn128, ChaCha} = require("ffjavascript");
(async () => {
    const curve = await buildBn128(true);
    const out = [];
    for (const hex of %s) {
        const hash = Buffer.from(hex, "hex");
        const seed = [];
        for (let i = 0; i < 8; i++) seed.push(hash.readUInt32BE(i * 4));
        const P = curve.G2.toAffine(curve.G2.fromRng(new ChaCha(seed)));
        out.push(curve.G2.toObject(P).map(c => c.map(v => v.toString())));
    }
    await curve.terminate();
    console.log(JSON.stringify(out));
})();
"""


def test_hash_to_g2_matches_ffjavascript():
    digests = [bytes(64), bytes(range(64)), bytes([0xFF] * 64)]
    expected = run_node_script(HASH_TO_G2_JS % json.dumps([d.hex() for d in digests]))
    for digest, obj in zip(digests, expected):
        (x0, x1), (y0, y1), _ = obj
        assert hash_to_g2(digest) == ((int(x0), int(x1)), (int(y0), int(y1)))


def test_dev_key_proves_and_verifies_with_snarkjs(circom_multiplier, tmp_path):
    pk = setup_dev(read_r1cs(circom_multiplier.r1cs))
    assert not pk.is_fresh()
    assert pk.alpha1 != G1_GENERATOR and pk.gamma2 != G2_GENERATOR
    write_zkey(pk, tmp_path / "dev.zkey")
    assert read_zkey(tmp_path / "dev.zkey") == pk
    run_snarkjs("groth16", "prove", tmp_path / "dev.zkey", circom_multiplier.wtns,
                tmp_path / "proof.json", tmp_path / "public.json")
    run_snarkjs("zkey", "export", "verificationkey", tmp_path / "dev.zkey", tmp_path / "vk.json")
    proc = run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "public.json",
                       tmp_path / "proof.json", check=False)
    assert proc.returncode == 0 and "OK" in proc.stdout
    assert json.loads((tmp_path / "public.json").read_text()) == ["33", "3"]

    # the dev key takes contributions like any other
    contributed = contribute(pk, "after dev", "x")
    assert contributed.delta1 != pk.delta1 and contributed.contributions[0].name == "after dev"


def test_setup_dev_keys_differ():
    r1cs = R1CS(n_wires=4, n_pub_out=1, n_pub_in=1, n_prv_in=1,
                constraints=[({2: 1}, {3: 1}, {1: 1})])
    first, second = setup_dev(r1cs), setup_dev(r1cs)
    assert first.alpha1 != second.alpha1 and first.a != second.a
    assert first.coefs == second.coefs == [(0, 0, 2, 1), (1, 0, 3, 1), (0, 1, 0, 1), (0, 2, 1, 1), (0, 3, 2, 1)]


def test_setup_rejects_a_circuit_too_big_for_the_ptau(ptau_file):
    m = 2 ** PTAU_POWER
    r1cs = R1CS(n_wires=3, n_pub_out=1, n_pub_in=0, n_prv_in=1,
                constraints=[({2: 1}, {2: 1}, {1: 1})] * m)
    with pytest.raises(MalformedInput, match="circuit too big"):
        setup(r1cs, ptau_file)


def test_contribute_needs_a_ceremony_record(snarkjs_zkey):
    pk = read_zkey(snarkjs_zkey.zkey)
    pk.cs_hash = None
    with pytest.raises(MalformedInput, match="no ceremony record"):
        contribute(pk, "x", "y")


def test_zkey_verify_checks_snarkjs_beacon_contributions(snarkjs_zkey, tmp_path):
    """A `snarkjs zkey beacon` contribution (2^10 SHA-256 iterations, snarkjs's minimum): its key must
    re-derive from the beacon (ChaCha, fromRng)."""
    beacon = tmp_path / "beacon.zkey"
    run_snarkjs("zkey", "beacon", snarkjs_zkey.zkey, beacon, "0102030405060708090a0b0c0d0e0f10" * 2, "10",
                "-n=final beacon")
    pk = read_zkey(beacon)
    last = pk.contributions[-1]
    assert (last.type, last.num_iterations_exp, last.name) == (1, 10, "final beacon")
    assert zkey_to_bytes(pk) == beacon.read_bytes()
    assert zkey_verify(snarkjs_zkey.circuit.r1cs, snarkjs_zkey.ptau, pk)
    last.beacon_hash = bytes(32)
    with pytest.raises(InvalidSetup, match="does not match the beacon"):
        zkey_verify(snarkjs_zkey.circuit.r1cs, snarkjs_zkey.ptau, pk)
