"""The prover against snarkjs: proofs made here from snarkjs zkeys and circom witnesses pass
`snarkjs groth16 verify`, and the prover's intermediate values follow snarkjs's algorithm."""
import random

import pytest

from conftest import run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403  (session fixtures)

from zkescrow.bn254.constants import R
from zkescrow.bn254.curve import g1_add, g1_mul
from zkescrow.bn254.ntt import root_of_unity
from zkescrow.errors import InvalidFieldElement, MalformedInput
from zkescrow.formats.wtns_file import read_wtns
from zkescrow.groth16.zkey import read_zkey
from zkescrow.groth16.proof import dumps, public_signals_to_json
from zkescrow.groth16.prove import PHASES, build_abc, prove, quotient_evaluations
from zkescrow.groth16.verify import verify

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def multiplier(snarkjs_zkey):
    return read_zkey(snarkjs_zkey.zkey), read_wtns(snarkjs_zkey.circuit.wtns)


def _snarkjs_verifies(vk_json, proof, public, tmp_path) -> bool:
    (tmp_path / "proof.json").write_text(dumps(proof.to_json()))
    (tmp_path / "public.json").write_text(dumps(public_signals_to_json(public)))
    out = run_snarkjs("groth16", "verify", vk_json, tmp_path / "public.json", tmp_path / "proof.json", check=False)
    return out.returncode == 0 and "OK" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("circuit", ["multiplier", "poseidon"])
def test_snarkjs_verifies_our_proof(circuit, request, tmp_path):
    pk, witness = request.getfixturevalue(circuit)
    key = request.getfixturevalue("snarkjs_zkey" if circuit == "multiplier" else "snarkjs_zkey_poseidon")
    timings = {}
    proof, public = prove(pk, witness, timings=timings)
    assert public == witness[1:pk.n_public + 1]
    assert set(timings) == set(PHASES) | {"total"}
    assert _snarkjs_verifies(key.vk_json, proof, public, tmp_path)
    assert verify(pk.verification_key(), public, proof)


def test_snarkjs_rejects_our_proof_for_other_public_signals(multiplier, snarkjs_zkey, tmp_path):
    pk, witness = multiplier
    proof, public = prove(pk, witness)
    other = [(public[0] + 1) % R] + public[1:]
    assert not _snarkjs_verifies(snarkjs_zkey.vk_json, proof, other, tmp_path)


def test_each_proof_has_fresh_randomness(multiplier):
    pk, witness = multiplier
    first, _ = prove(pk, witness)
    second, _ = prove(pk, witness)
    assert first.pi_a != second.pi_a and first.pi_b != second.pi_b and first.pi_c != second.pi_c


def test_blinding_is_r_delta_on_a(multiplier):
    """With r = s = 0 the proof is deterministic; r shifts π_A by exactly r·δ1 (step 7 of the algorithm)."""
    pk, witness = multiplier

    class Fixed:
        def __init__(self, *values):
            self.values = list(values)

        def randbelow(self, bound):
            return self.values.pop(0)

    base, _ = prove(pk, witness, rng=Fixed(0, 0))
    again, _ = prove(pk, witness, rng=Fixed(0, 0))
    assert base == again
    shifted, _ = prove(pk, witness, rng=Fixed(5, 0))
    assert shifted.pi_a == g1_add(base.pi_a, g1_mul(pk.delta1, 5))
    assert shifted.pi_b == base.pi_b
    assert verify(pk.verification_key(), witness[1:pk.n_public + 1], shifted)


def _lagrange_eval(values, omega, n, x):
    """Σ v_j·L_j(x) over the domain ω^j, by the barycentric formula with plain ints."""
    zx = (pow(x, n, R) - 1) % R
    total = 0
    wj = 1
    for v in values:
        if v:
            total += v * wj * pow(x - wj, -1, R)
        wj = wj * omega % R
    return total * zx * pow(n, -1, R) % R


def test_h_scalars_match_direct_coset_evaluation(poseidon):
    """d_i = A(x_i)·B(x_i) − C(x_i) at x_i = inc·ω^i, recomputed by Lagrange interpolation without NTTs."""
    pk, witness = poseidon
    at, bt, ct = build_abc(pk, witness)
    assert ct == [a * b % R for a, b in zip(at, bt)]
    d = quotient_evaluations(pk, at, bt, ct)
    n = pk.domain_size
    omega = int(root_of_unity(pk.log_domain_size))
    inc = int(root_of_unity(pk.log_domain_size + 1))
    assert pow(inc, n, R) == R - 1          # the odd coset, where Z(x) = x^n − 1 = −2
    for i in random.Random(7).sample(range(n), 6):
        x = inc * pow(omega, i, R) % R
        a, b, c = (_lagrange_eval([int(v) for v in col], omega, n, x) for col in (at, bt, ct))
        assert d[i] == (a * b - c) % R


def test_wrong_witness_length_is_malformed(multiplier):
    pk, witness = multiplier
    with pytest.raises(MalformedInput, match="witness has"):
        prove(pk, witness[:-1])
    with pytest.raises(MalformedInput):
        prove(pk, witness + [0])


def test_out_of_range_witness_value_is_rejected(multiplier):
    pk, witness = multiplier
    bad = list(witness)
    bad[-1] = R
    with pytest.raises(InvalidFieldElement):
        prove(pk, bad)
    bad = list(witness)
    bad[0] = 2
    with pytest.raises(MalformedInput, match="constant wire"):
        prove(pk, bad)


def test_false_witness_gives_a_proof_that_fails(multiplier, snarkjs_zkey, tmp_path):
    """A witness that breaks c = a·b still yields points, but no verifier accepts them."""
    pk, witness = multiplier
    bad = list(witness)
    bad[-1] = (bad[-1] + random.randrange(1, 1000)) % R
    proof, public = prove(pk, bad)
    assert not verify(pk.verification_key(), public, proof)
    assert not _snarkjs_verifies(snarkjs_zkey.vk_json, proof, public, tmp_path)


def test_worker_processes_give_the_same_proof(poseidon, snarkjs_zkey_poseidon, tmp_path):
    """workers=2 spreads the work over two forked processes; with fixed r, s the proof is identical."""
    pk, witness = poseidon

    class Fixed:
        def randbelow(self, bound):
            return 123456789

    alone, public = prove(pk, witness, rng=Fixed(), workers=1)
    timings = {}
    helped, _ = prove(pk, witness, rng=Fixed(), workers=2, timings=timings)
    assert helped == alone
    assert set(timings) == set(PHASES) | {"total"} and timings["msm_b2"] > 0
    assert _snarkjs_verifies(snarkjs_zkey_poseidon.vk_json, helped, public, tmp_path)
