"""escrow_release, channel_update and value_commitment: honest witnesses pass, every false statement fails."""
import pytest

from circuits.crypto.eddsa import PrivateKey
from circuits.crypto.merkle import MerkleTree
from circuits.crypto.pedersen import random_blinding
from circuits.escrow.channel_update import ChannelState, ChannelUpdate, channel_update_inputs
from circuits.escrow.escrow_release import REFUND, RELEASE, EscrowRelease, escrow_release_inputs
from circuits.escrow.value_commitment import ValueCommitment, value_commitment_inputs
from circuits.notes import EscrowTerms, Note, SpendingKey, output_rho, release_message
from conftest import run_snarkjs
from zkescrow.errors import UnsatisfiedConstraint, WitnessError
from zkescrow.formats.r1cs_file import write_r1cs
from zkescrow.formats.wtns_file import write_wtns

DEPTH = 3


@pytest.fixture(scope="module")
def escrow():
    enclave = PrivateKey.generate()
    driver, pole = SpendingKey.generate(), SpendingKey.generate()
    terms = EscrowTerms(enclave.public_key, driver.owner, pole.owner, price_per_wh=3, session_id=77,
                        refund_height=100)
    note = Note.new(300, terms.owner)
    tree = MerkleTree(DEPTH)
    tree.append(Note.new(5, driver.owner).commitment)
    index = tree.append(note.commitment)
    return enclave, driver, pole, terms, note, tree, tree.path(index)


@pytest.fixture(scope="module")
def release_circuit():
    return EscrowRelease(depth=DEPTH)


def note_nullifier(escrow):
    terms, note, path = escrow[3], escrow[4], escrow[6]
    return terms.nullifier(note, path.index)


def release(escrow, energy, nonce=9, key=None, **kw):
    enclave, driver, pole, terms, note, tree, path = escrow
    sig = (key or enclave).sign_poseidon(release_message(terms.session_id, energy, nonce, note_nullifier(escrow)))
    return escrow_release_inputs(note, terms, path, root=tree.root, height=50, mode=RELEASE, energy_wh=energy,
                                 final_nonce=nonce, signature=sig, depth=DEPTH, **kw)


def test_release_splits_deposit(escrow, release_circuit):
    st = release(escrow, energy=40)
    release_circuit.compile().check(release_circuit.witness(st.inputs))
    assert (st.pay_note.value, st.refund_note.value) == (120, 180)


def test_release_for_more_than_the_deposit_fails(escrow, release_circuit):
    with pytest.raises(WitnessError, match="exceeds the escrow deposit of 300"):
        release(escrow, energy=101)
    forged = release(escrow, energy=100).inputs      # 300: allowed; now claim 101 Wh under a fresh signature
    enclave = escrow[0]
    forged.update(energy_wh=101)
    sig = enclave.sign_poseidon(release_message(77, 101, 9, note_nullifier(escrow)))
    forged.update(sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y), sig_s=sig.s)
    with pytest.raises(UnsatisfiedConstraint):
        release_circuit.witness(forged)


def test_release_needs_the_enclave_signature(escrow, release_circuit):
    with pytest.raises(WitnessError, match="signature"):
        release(escrow, energy=10, key=PrivateKey.generate())
    forged = release(escrow, energy=10).inputs
    forged["energy_wh"] = 11                          # signature covers 10 Wh
    with pytest.raises(UnsatisfiedConstraint):
        release_circuit.witness(forged)


def test_refund_after_deadline_without_enclave(escrow, release_circuit):
    enclave, driver, pole, terms, note, tree, path = escrow
    st = escrow_release_inputs(note, terms, path, root=tree.root, height=100, mode=REFUND, driver_key=driver,
                               depth=DEPTH)
    release_circuit.witness(st.inputs)
    assert (st.pay_note.value, st.refund_note.value) == (0, 300)
    with pytest.raises(WitnessError, match="before the refund deadline 100"):
        escrow_release_inputs(note, terms, path, root=tree.root, height=99, mode=REFUND, driver_key=driver,
                              depth=DEPTH)
    early = dict(st.inputs, height=99)
    with pytest.raises(UnsatisfiedConstraint):
        release_circuit.witness(early)
    with pytest.raises(WitnessError, match="driver"):
        escrow_release_inputs(note, terms, path, root=tree.root, height=120, mode=REFUND, driver_key=pole,
                              depth=DEPTH)
    thief = dict(st.inputs, driver_sk=pole.sk)
    with pytest.raises(UnsatisfiedConstraint):
        release_circuit.witness(thief)


def test_channel_update_moves_balance_by_packets():
    blind = [random_blinding() for _ in range(3)]
    s0, s1 = ChannelState(100, blind[0], 4), ChannelState(130, blind[1], 5)
    circuit = ChannelUpdate()
    circuit.compile().check(circuit.witness(channel_update_inputs(1000, 10, 42, s0, s1, packets=3)))
    back = ChannelState(110, blind[2], 6)          # vehicle-to-grid: the payee pays back 2 packets
    circuit.witness(channel_update_inputs(1000, 10, 42, s1, back, packets=2, direction=1))
    with pytest.raises(WitnessError, match="not 140"):
        channel_update_inputs(1000, 10, 42, s0, ChannelState(140, blind[1], 5), packets=3)
    with pytest.raises(WitnessError, match="nonce"):
        channel_update_inputs(1000, 10, 42, s0, ChannelState(130, blind[1], 4), packets=3)
    with pytest.raises(WitnessError, match="outside"):
        channel_update_inputs(120, 10, 42, s0, s1, packets=3)
    forged = channel_update_inputs(1000, 10, 42, s0, s1, packets=3)
    forged["packets"] = 4
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness(forged)
    over = channel_update_inputs(1000, 10, 42, s0, s1, packets=3)
    over["deposit"] = 120                          # channel id no longer opens
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness(over)


def test_value_commitment_opens():
    circuit = ValueCommitment()
    inputs = value_commitment_inputs(123456789, random_blinding())
    circuit.compile().check(circuit.witness(inputs))
    inputs["value"] = 123456790
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness(inputs)


@pytest.mark.interop
def test_snarkjs_accepts_release_and_channel_witnesses(escrow, release_circuit, tmp_path):
    blind = random_blinding(), random_blinding()
    cases = [("release", release_circuit, release(escrow, energy=40).inputs),
             ("channel", ChannelUpdate(),
              channel_update_inputs(500, 7, 1, ChannelState(0, blind[0], 0), ChannelState(21, blind[1], 1), 3))]
    for name, circuit, inputs in cases:
        write_r1cs(circuit.compile(), tmp_path / f"{name}.r1cs")
        write_wtns(circuit.witness(inputs), tmp_path / f"{name}.wtns")
        out = run_snarkjs("wtns", "check", tmp_path / f"{name}.r1cs", tmp_path / f"{name}.wtns")
        assert "WITNESS IS CORRECT" in out.stdout + out.stderr


def test_pole_rebuilds_its_payment_note_from_public_data_and_the_terms(escrow, release_circuit):
    """The payment note's blind is derived, so a bad ciphertext cannot freeze the pole's money."""
    enclave, driver, pole, terms, note, tree, path = escrow
    st = release(escrow, energy=40)
    nf, pay = st.public["nullifier"], 40 * terms.price_per_wh          # both known to the pole
    rebuilt = Note(pay, pole.owner, output_rho(nf, 0), terms.payment_blind(nf), note.asset)
    assert rebuilt.commitment == st.public["pay_commitment"]
    forged = dict(st.inputs, pay_commitment=Note.new(pay, pole.owner, rho=output_rho(nf, 0)).commitment)
    with pytest.raises(UnsatisfiedConstraint):
        release_circuit.witness(forged)                                 # a prover-chosen blind is refused


def test_driver_rebuilds_its_refund_note_from_public_data_and_the_terms(escrow, release_circuit):
    """The refund note's blind is derived too: whoever proves a release, the driver finds its change."""
    enclave, driver, pole, terms, note, tree, path = escrow
    for st, rest in ((release(escrow, energy=40), 180),
                     (escrow_release_inputs(note, terms, path, root=tree.root, height=100, mode=REFUND,
                                            driver_key=driver, depth=DEPTH), 300)):
        nf = st.public["nullifier"]
        rebuilt = Note(rest, driver.owner, output_rho(nf, 1), terms.refund_blind(nf), note.asset)
        assert rebuilt.commitment == st.public["refund_commitment"]
        forged = dict(st.inputs, refund_commitment=Note.new(rest, driver.owner, rho=output_rho(nf, 1)).commitment)
        with pytest.raises(UnsatisfiedConstraint):
            release_circuit.witness(forged)


def test_release_and_refund_have_the_same_public_shape(escrow, release_circuit):
    """No mode bit, no session id, and the height is the including block's: the two paths publish the same
    fields, and nothing in them tells a release from a refund."""
    enclave, driver, pole, terms, note, tree, path = escrow
    names = [name for name, _, _ in release_circuit.signals("public")]
    assert names == ["root", "nullifier", "pay_commitment", "refund_commitment", "height", "asset", "ext_data_hash"]
    released = escrow_release_inputs(note, terms, path, root=tree.root, height=120, mode=RELEASE, energy_wh=40,
                                     final_nonce=9, depth=DEPTH, signature=enclave.sign_poseidon(
                                         release_message(terms.session_id, 40, 9, note_nullifier(escrow))))
    refunded = escrow_release_inputs(note, terms, path, root=tree.root, height=120, mode=REFUND, driver_key=driver,
                                     depth=DEPTH)
    assert set(released.public) == set(refunded.public) == set(names)
    for st in (released, refunded):
        release_circuit.witness(st.inputs)
    same = {k for k in names if released.public[k] == refunded.public[k]}
    assert same == {"root", "nullifier", "height", "asset", "ext_data_hash"}      # the commitments are hiding


def test_one_signature_releases_one_note(escrow, release_circuit):
    """Finding 7: two escrow notes with identical terms; the signature for the first cannot release the second."""
    enclave, driver, pole, terms, note, _, _ = escrow
    twin = Note.new(note.value, terms.owner)
    tree = MerkleTree(DEPTH)
    path, twin_path = (tree.path(tree.append(n.commitment)) for n in (note, twin))
    path = tree.path(path.index)
    sig = enclave.sign_poseidon(release_message(terms.session_id, 40, 9, terms.nullifier(note, path.index)))
    first = escrow_release_inputs(note, terms, path, root=tree.root, height=50, mode=RELEASE, energy_wh=40,
                                  final_nonce=9, signature=sig, depth=DEPTH)
    release_circuit.witness(first.inputs)
    with pytest.raises(WitnessError, match="escrow note"):
        escrow_release_inputs(twin, terms, twin_path, root=tree.root, height=50, mode=RELEASE, energy_wh=40,
                              final_nonce=9, signature=sig, depth=DEPTH)
    forged = dict(first.inputs, rho=twin.rho, blind=twin.blind, path=list(twin_path.elements),
                  index_bits=list(twin_path.index_bits), nullifier=terms.nullifier(twin, twin_path.index))
    forged.update(zip(("pay_commitment", "refund_commitment"),
                      (n.commitment for n in terms.settlement_notes(twin, forged["nullifier"], 120))))
    with pytest.raises(UnsatisfiedConstraint):
        release_circuit.witness(forged)


def test_cached_circuit_keys_are_remade_when_the_circuit_changes(tmp_path):
    """Ledger keys are cached per circuit and depth, and used only with the R1CS they were made for: a key whose
    sidecar names another R1CS (as after this circuit's change of public inputs) is set up again."""
    import json

    from zkescrow.ledger.proofs import CircuitKeys
    keys = CircuitKeys(tmp_path, DEPTH)
    keys.proving_key("deposit")
    zkey, meta = tmp_path / "deposit.zkey", tmp_path / "deposit.json"
    first = zkey.read_bytes()
    assert CircuitKeys(tmp_path, DEPTH).proving_key("deposit") is not None and zkey.read_bytes() == first   # reused
    meta.write_text(json.dumps(dict(json.loads(meta.read_text()), r1cs_sha256="00" * 32)))     # made for another R1CS
    CircuitKeys(tmp_path, DEPTH).proving_key("deposit")
    assert zkey.read_bytes() != first
    assert json.loads(meta.read_text())["r1cs_sha256"] != "00" * 32
