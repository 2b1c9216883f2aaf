"""Keys anyone can forge under are refused: with γ₂ = δ₂ the witness-less proof (α, β, −vk_x) verifies for
any public signals, so ``verify`` (library and CLI) raises ``InsecureKey`` / exits 1 unless told to allow it."""
import json
import secrets

import pytest

from cli_run import one_line_error, zkescrow
from groth16_fixtures import *  # noqa: F401,F403  (session fixtures)

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from zkescrow.bn254.curve import g1_mul, g1_neg, g2_mul, g2_neg
from zkescrow.errors import InsecureKey, StatementFalse
from zkescrow.groth16.batch import find_invalid, verify_batch
from zkescrow.groth16.proof import Proof, public_signals_to_json
from zkescrow.groth16.verify import public_input_point, verify
from zkescrow.groth16.vk import VerificationKey


def _scalar() -> int:
    return secrets.randbelow(R - 2) + 2


def random_key(n_public=2, *, gamma=None, delta=None) -> VerificationKey:
    """A verification key of random points (γ, δ overridable): enough to play the forgery."""
    return VerificationKey(alpha1=g1_mul(G1_GENERATOR, _scalar()), beta2=g2_mul(G2_GENERATOR, _scalar()),
                           gamma2=gamma or g2_mul(G2_GENERATOR, _scalar()),
                           delta2=delta or g2_mul(G2_GENERATOR, _scalar()),
                           ic=[g1_mul(G1_GENERATOR, _scalar()) for _ in range(n_public + 1)])


def forgery(vk: VerificationKey, public: list[int], *, sign: int = -1) -> Proof:
    """(α, β, ∓vk_x): no witness, no trapdoor; valid exactly when γ = ±δ."""
    vk_x = public_input_point(vk, public)
    return Proof(pi_a=vk.alpha1, pi_b=vk.beta2, pi_c=g1_neg(vk_x) if sign < 0 else vk_x)


def test_the_forgery_verifies_under_gamma_equal_delta_only_when_allowed():
    shared = g2_mul(G2_GENERATOR, _scalar())
    vk = random_key(gamma=shared, delta=shared)
    public = [secrets.randbelow(R), secrets.randbelow(R)]          # any statement at all
    proof = forgery(vk, public)
    assert verify(vk, public, proof, allow_insecure=True)          # the attack works without the check
    with pytest.raises(InsecureKey, match="gamma_2 = delta_2"):
        verify(vk, public, proof)
    with pytest.raises(InsecureKey):
        verify_batch(vk, [(public, proof), (public, proof)])
    with pytest.raises(InsecureKey):
        find_invalid(vk, [(public, proof)])
    assert verify_batch(vk, [(public, proof), ([1, 2], forgery(vk, [1, 2]))], allow_insecure=True)
    assert issubclass(InsecureKey, StatementFalse)


def test_gamma_equal_minus_delta_is_forgeable_too_and_refused():
    gamma = g2_mul(G2_GENERATOR, _scalar())
    vk = random_key(gamma=gamma, delta=g2_neg(gamma))
    public = [7, 8]
    proof = forgery(vk, public, sign=+1)
    assert verify(vk, public, proof, allow_insecure=True)
    with pytest.raises(InsecureKey, match="gamma_2 = -delta_2"):
        verify(vk, public, proof)


@pytest.mark.parametrize("delta", [G2_GENERATOR, g2_neg(G2_GENERATOR)], ids=["G2", "-G2"])
def test_delta_at_the_generator_is_refused(delta):
    vk = random_key(delta=delta)
    with pytest.raises(InsecureKey, match="delta_2 is the G2 generator"):
        verify(vk, [1, 2], forgery(vk, [1, 2]))


def test_a_sound_key_rejects_the_forgery_and_gamma_at_the_generator_is_allowed():
    """γ = G2 is what snarkjs writes in every key; with an independent δ the forgery fails."""
    for vk in (random_key(), random_key(gamma=G2_GENERATOR)):
        assert vk.insecurity() is None
        assert verify(vk, [3, 4], forgery(vk, [3, 4])) is False
        assert verify(vk, [3, 4], forgery(vk, [3, 4], sign=+1)) is False


# --- through the CLI, on a key `zkescrow setup` writes before any contribution ------------------------------

@pytest.mark.interop
def test_cli_refuses_a_fresh_setup_key_and_accepts_after_contribution(circom_multiplier, ptau_file, tmp_path):
    k0, k1 = tmp_path / "c_0000.zkey", tmp_path / "c_0001.zkey"
    assert zkescrow("setup", circom_multiplier.r1cs, ptau_file, k0).returncode == 0
    assert zkescrow("zkey", "export-vk", k0, tmp_path / "vk0.json").returncode == 0
    vk0 = VerificationKey.from_json((tmp_path / "vk0.json").read_text())
    assert vk0.gamma2 == vk0.delta2 == G2_GENERATOR                 # what the finding describes

    public = [123456789 + i for i in range(vk0.n_public)]          # a statement the circuit never proved
    (tmp_path / "public.json").write_text(json.dumps(public_signals_to_json(public)))
    (tmp_path / "forged.json").write_text(json.dumps(forgery(vk0, public).to_json()))
    args = (tmp_path / "vk0.json", tmp_path / "public.json", tmp_path / "forged.json")

    one_line_error(zkescrow("verify", *args), 1, "insecure verification key", "gamma_2 = delta_2")
    allowed = zkescrow("verify", *args, "--allow-insecure-key")
    assert allowed.returncode == 0 and allowed.stdout.strip() == "OK"   # the forgery, shown
    assert "insecure" in allowed.stderr and "proves nothing" in allowed.stderr

    assert zkescrow("zkey", "contribute", k0, k1, "--name", "t", "-e", "entropy").returncode == 0
    assert zkescrow("zkey", "export-vk", k1, tmp_path / "vk1.json").returncode == 0
    vk1 = VerificationKey.from_json((tmp_path / "vk1.json").read_text())
    (tmp_path / "forged1.json").write_text(json.dumps(forgery(vk1, public).to_json()))
    refused = zkescrow("verify", tmp_path / "vk1.json", tmp_path / "public.json", tmp_path / "forged1.json")
    assert refused.returncode == 1 and refused.stdout.strip() == "INVALID"


@pytest.mark.interop
def test_cli_dev_setup_key_is_accepted(circom_multiplier, tmp_path):
    """`setup --dev` draws γ and δ at random: its key verifies honest proofs without any override."""
    zkey = tmp_path / "dev.zkey"
    assert zkescrow("setup", circom_multiplier.r1cs, zkey, "--dev").returncode == 0
    assert zkescrow("zkey", "export-vk", zkey, tmp_path / "vk.json").returncode == 0
    assert zkescrow("prove", zkey, circom_multiplier.wtns, tmp_path / "proof.json",
                    tmp_path / "public.json").returncode == 0
    proc = zkescrow("verify", tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json")
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "OK", "")
