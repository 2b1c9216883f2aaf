"""Attacks on the escrow circuits: each forged witness satisfies everything but the guard that stops it.

Every attack starts from an honest statement, changes inputs (and, where an attack
needs it, hint values) and computes the rest of the assignment with the circuit's
own gadgets but without any check (``forge``), so public commitments and hashes are
consistent with the lie.  The compiled R1CS must reject it, and only in the gadget
that implements the rule the attack breaks (``assert_only_guard_fails``).
"""
from dataclasses import replace

import pytest

from circuits.crypto.babyjub import SUBORDER
from circuits.crypto.merkle import MerkleTree
from circuits.crypto.pedersen import BLINDING_BASE, VALUE_BASE, commit
from circuits.escrow.channel_update import ChannelUpdate
from circuits.escrow.deposit import Deposit, deposit_inputs
from circuits.escrow.escrow_release import EscrowRelease
from circuits.escrow.transfer import Transfer
from circuits.escrow.value_commitment import ValueCommitment, value_commitment_inputs
from circuits.crypto.poseidon import poseidon
from circuits.domains import Domain
from circuits.notes import Note, SpendingKey, note_commitment, nullifier, output_rho, owner_of, release_message
from test_soundness_common import (DEPTH, P, accepts, assert_only_guard_fails, assert_rejected,  # noqa: F401
                                   channel_statement, escrow, failing, forge, pool, refund_statement,
                                   release_statement, settle_statement, tampered, transfer_statement, wire)


# --- deposit -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1 << 64, (1 << 64) + 5, P - 5], ids=["2^64", "2^64+5", "negative"])
def test_deposit_value_must_fit_64_bits(value):
    owner = SpendingKey.generate().owner
    inputs = deposit_inputs(Note.new(5, owner))
    inputs.update(value=value, commitment=note_commitment(value, 0, owner, inputs["rho"], inputs["blind"]))
    circuit = Deposit()
    assert_only_guard_fails(circuit, forge(circuit, inputs), r"RangeCheck")


def test_deposit_commitment_binds_value_and_asset():
    circuit = Deposit()
    honest = circuit.witness(deposit_inputs(Note.new(5, SpendingKey.generate().owner)))
    for name, delta in (("value", 1), ("asset", 1), ("commitment", 1)):
        assert_rejected(circuit, honest, {wire(circuit, name): honest[wire(circuit, name)] + delta})


# --- transfer ----------------------------------------------------------------------------------

def _recommit_outputs(inputs):
    """Output commitments consistent with the (forged) output values, owners and blinds."""
    nf0 = inputs["nullifiers"][0]
    return [note_commitment(v, inputs["asset"], o, output_rho(nf0, j), b)
            for j, (v, o, b) in enumerate(zip(inputs["out_value"], inputs["out_owner"], inputs["out_blind"]))]


@pytest.fixture(scope="module")
def transfer():
    return Transfer(depth=DEPTH)


def test_transfer_membership_cannot_be_skipped_for_a_non_zero_value(pool, transfer):
    """A note of 50 that was never deposited: its path leads to another root."""
    alice = pool[0]
    inputs = dict(transfer_statement(pool).inputs)
    forged = Note.new(50, alice.owner)
    inputs["in_value"] = [inputs["in_value"][0], 50]
    inputs["in_rho"] = [inputs["in_rho"][0], forged.rho]
    inputs["in_blind"] = [inputs["in_blind"][0], forged.blind]
    pos = sum(b << i for i, b in enumerate(inputs["in_index_bits"][DEPTH:]))
    nfs = list(inputs["nullifiers"])
    nfs[1] = nullifier(alice.nullifier_key, forged.commitment, pos)
    inputs["nullifiers"] = nfs
    inputs["out_value"] = [inputs["out_value"][0] + 20, inputs["out_value"][1]]       # 50 in place of 30
    inputs["commitments"] = _recommit_outputs(inputs)
    assert_only_guard_fails(transfer, forge(transfer, inputs), r"MerkleMembership")


def test_transfer_rejects_the_same_note_twice(pool, transfer):
    inputs = dict(transfer_statement(pool).inputs)
    for name in ("in_value", "in_sk", "in_rho", "in_blind"):
        inputs[name] = [inputs[name][0]] * 2
    inputs["in_path"] = inputs["in_path"][:DEPTH] * 2
    inputs["in_index_bits"] = inputs["in_index_bits"][:DEPTH] * 2
    inputs["nullifiers"] = [inputs["nullifiers"][0]] * 2
    inputs["out_value"] = [inputs["out_value"][0] + 40, inputs["out_value"][1]]       # 70 + 70 − 5
    inputs["commitments"] = _recommit_outputs(inputs)
    assert_only_guard_fails(transfer, forge(transfer, inputs), r"DistinctNullifiers")


def test_transfer_nullifier_binds_the_position(pool, transfer):
    """Claiming the note sits at another leaf (a fresh nullifier for a spent note) breaks membership."""
    alice = pool[0]
    inputs = dict(transfer_statement(pool).inputs)
    bits = list(inputs["in_index_bits"])
    bits[DEPTH - 1] ^= 1                                   # input 0 at position 0 → position 4
    inputs["in_index_bits"] = bits
    pos = sum(b << i for i, b in enumerate(bits[:DEPTH]))
    cm = note_commitment(inputs["in_value"][0], 0, alice.owner, inputs["in_rho"][0], inputs["in_blind"][0])
    inputs["nullifiers"] = [nullifier(alice.nullifier_key, cm, pos), inputs["nullifiers"][1]]
    inputs["commitments"] = _recommit_outputs(inputs)
    assert_only_guard_fails(transfer, forge(transfer, inputs), r"MerkleMembership")


def test_transfer_nullifier_binds_the_key(pool, transfer):
    """A nullifier made with another nullifier key (so the note could be spent again) is refused."""
    inputs = dict(transfer_statement(pool).inputs)
    honest = transfer.witness(inputs)
    other = SpendingKey.generate().nullifier_key
    cm = note_commitment(inputs["in_value"][0], 0, pool[0].owner, inputs["in_rho"][0], inputs["in_blind"][0])
    pos = sum(b << i for i, b in enumerate(inputs["in_index_bits"][:DEPTH]))
    assert_rejected(transfer, honest, {wire(transfer, "nullifiers[0]"): nullifier(other, cm, pos)})


def test_transfer_spend_needs_the_owners_key(pool, transfer):
    """Mallory spends Alice's note with her own key: the note she can open is not in the tree."""
    inputs = dict(transfer_statement(pool).inputs)
    mallory = SpendingKey.generate()
    inputs["in_sk"] = [mallory.sk, inputs["in_sk"][1]]
    cm = note_commitment(inputs["in_value"][0], 0, mallory.owner, inputs["in_rho"][0], inputs["in_blind"][0])
    pos = sum(b << i for i, b in enumerate(inputs["in_index_bits"][:DEPTH]))
    inputs["nullifiers"] = [nullifier(mallory.nullifier_key, cm, pos), inputs["nullifiers"][1]]
    inputs["commitments"] = _recommit_outputs(inputs)
    assert_only_guard_fails(transfer, forge(transfer, inputs), r"SpendInput\[0\]\.MerkleMembership")


@pytest.mark.parametrize("k", [6, 1 << 64, 1 << 200], ids=["6", "2^64", "2^200"])
def test_transfer_output_values_cannot_wrap(pool, transfer, k):
    """Outputs (90 + k, 5 − k) keep the balance in Fr; 5 − k is "negative" (r − …), printing value from nothing."""
    inputs = dict(transfer_statement(pool).inputs)
    a, b = inputs["out_value"]                              # 90, 5
    inputs["out_value"] = [(a + k) % P, (b - k) % P]
    inputs["commitments"] = _recommit_outputs(inputs)
    assert_only_guard_fails(transfer, forge(transfer, inputs), r"CreateOutput\[\d\]\.RangeCheck")


def test_transfer_value_must_balance(pool, transfer):
    inputs = dict(transfer_statement(pool).inputs)
    inputs["out_value"] = [inputs["out_value"][0] + 1, inputs["out_value"][1]]
    inputs["commitments"] = _recommit_outputs(inputs)
    assert_only_guard_fails(transfer, forge(transfer, inputs), r"ValueBalance")


def test_transfer_merkle_index_bits_must_be_boolean(pool, transfer):
    """A non-boolean index bit makes DualMux mix node and sibling; MerkleRoot's boolean check refuses it."""
    honest = transfer.witness(transfer_statement(pool).inputs)
    w = tampered(honest, {wire(transfer, "in_index_bits[0]"): 2})
    assert not accepts(transfer, w)


def test_transfer_outputs_bound_to_the_first_nullifier(pool, transfer):
    """ρ_j = H(RHO, nf_0, j): an output cannot reuse another note's ρ (Orchard-style uniqueness)."""
    inputs = dict(transfer_statement(pool).inputs)
    honest = transfer.witness(inputs)
    rho = Note.new(1, 1).rho
    v, o, b = inputs["out_value"][0], inputs["out_owner"][0], inputs["out_blind"][0]
    assert_rejected(transfer, honest, {wire(transfer, "commitments[0]"): note_commitment(v, 0, o, rho, b)})


# --- escrow_release ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def release_circuit():
    return EscrowRelease(depth=DEPTH)


@pytest.fixture(scope="module")
def release_honest(escrow, release_circuit):
    return release_circuit.witness(release_statement(escrow).inputs)


def _recommit_split(inputs, pay, refund):
    out = dict(inputs)
    nf = inputs["nullifier"]
    terms = poseidon([Domain.TERMS, inputs["owner_driver"], inputs["owner_pole"], inputs["price"],
                      inputs["session_id"]])
    pay_blind = poseidon([Domain.PAYMENT_BLIND, nf, terms])
    out["pay_commitment"] = note_commitment(pay % P, inputs["asset"], inputs["owner_pole"], output_rho(nf, 0),
                                            pay_blind)
    out["refund_commitment"] = note_commitment(refund % P, inputs["asset"], inputs["owner_driver"],
                                               output_rho(nf, 1), poseidon([Domain.REFUND_BLIND, nf, terms]))
    return out


def _nf(escrow):
    terms, note, path = escrow[3], escrow[4], escrow[6]
    return terms.nullifier(note, path.index)


def test_refund_before_the_deadline_is_refused(escrow, release_circuit):
    inputs = dict(refund_statement(escrow).inputs, height=99)       # refund height is 100
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"RefundConditions")


def test_refund_needs_the_drivers_key(escrow, release_circuit):
    inputs = dict(refund_statement(escrow).inputs, driver_sk=SpendingKey.generate().sk)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"RefundConditions")


def test_refund_deadline_comparator_hint_cannot_lie(escrow, release_circuit):
    """Solve for LessThan bits that claim height ≥ deadline at height 99: the top bit must read 0, so the
    low bits must sum to refund_height + 2^64 − height − 1 = 2^64 + 0, which needs a non-boolean bit."""
    inputs = dict(refund_statement(escrow).inputs, height=99)

    def lie(bits, x):
        bits = [1] * len(bits)                              # Σ_{i≥1} 2^i = 2^64 − 2 ...
        bits[0] = (x - ((1 << 64) - 2)) % P                 # ... and bit 0 takes the rest (= 2)
        return bits
    w = forge(release_circuit, inputs, [(r"RefundConditions\[0\]\.LessThan\[0\]\.Num2Bits\[0\]\.bit$", lie)])
    assert_only_guard_fails(release_circuit, w, r"RefundConditions\[0\]\.LessThan\[0\]\.Num2Bits")


@pytest.mark.parametrize("height", [P - 1, 1 << 64], ids=["r-1", "2^64"])
def test_refund_height_cannot_wrap(escrow, release_circuit, height):
    """A "height" of r − 1 or 2^64 is refused by the 64-bit check (at r − 1 the comparator says no as well)."""
    inputs = dict(refund_statement(escrow).inputs, height=height)
    w = forge(release_circuit, inputs)
    assert_only_guard_fails(release_circuit, w, r"RefundConditions")
    assert any(o.startswith("main.RefundConditions[0].RangeCheck") for o in failing(release_circuit, w))


def test_release_without_the_enclave_signature(escrow, release_circuit):
    from circuits.crypto.eddsa import PrivateKey
    inputs = dict(release_statement(escrow, energy=40).inputs)
    terms = escrow[3]
    sig = PrivateKey.generate().sign_poseidon(release_message(terms.session_id, 40, 9, _nf(escrow)))
    inputs.update(sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y), sig_s=sig.s)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"ReleaseSignature")


def test_release_energy_must_match_the_signature(escrow, release_circuit):
    inputs = _recommit_split(dict(release_statement(escrow, energy=40).inputs, energy_wh=41), 123, 177)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"ReleaseSignature")


def test_mode_must_be_boolean(escrow, release_circuit, release_honest):
    """mode = 2 or −1 would be neither release nor refund; the assert_bool on the (private) mode refuses it."""
    for mode in (2, P - 1):
        assert_rejected(release_circuit, release_honest, {wire(release_circuit, "mode"): mode})
    inputs = dict(refund_statement(escrow).inputs, mode=2)
    assert "main" in failing(release_circuit, forge(release_circuit, inputs))                                   # the top-level assert_bool(mode)


def test_signature_check_is_on_exactly_when_releasing(escrow, release_circuit):
    """enabled = 1 − mode: with mode = 0 (a pole payment) a zero signature is refused; with mode = 1 the
    refund path pays the pole nothing, so switching the check off gains nothing."""
    inputs = dict(release_statement(escrow).inputs, sig_r8x=0, sig_r8y=1, sig_s=0)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"ReleaseSignature")
    refund = dict(refund_statement(escrow).inputs)
    enclave, terms = escrow[0], escrow[3]
    sig = enclave.sign_poseidon(release_message(terms.session_id, 40, 9, _nf(escrow)))
    refund.update(energy_wh=40, final_nonce=9, sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y), sig_s=sig.s)
    refund = _recommit_split(refund, 120, 180)              # claim the pole still gets 40 Wh · 3
    assert_only_guard_fails(release_circuit, forge(release_circuit, refund), r"CreateOutput")


def test_release_cannot_pay_more_than_the_deposit(escrow, release_circuit):
    enclave, terms = escrow[0], escrow[3]
    sig = enclave.sign_poseidon(release_message(terms.session_id, 101, 9, _nf(escrow)))   # 303 > 300
    inputs = dict(release_statement(escrow).inputs, energy_wh=101, sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y),
                  sig_s=sig.s)
    inputs = _recommit_split(inputs, 303, 300 - 303)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"Split\[0\]\.RangeCheck")


def test_energy_times_price_cannot_overflow(escrow, release_circuit):
    """A signed energy E ≥ 2^32 with E·3 ≡ 31 (mod r) would pay 31 for a huge reading; the 32-bit check stops it."""
    enclave, terms = escrow[0], escrow[3]
    energy = 31 * pow(3, -1, P) % P
    assert energy * 3 % P == 31 and energy >= 1 << 32
    sig = enclave.sign_poseidon(release_message(terms.session_id, energy, 9, _nf(escrow)))
    inputs = dict(release_statement(escrow).inputs, energy_wh=energy, sig_r8x=int(sig.r8.x),
                  sig_r8y=int(sig.r8.y), sig_s=sig.s)
    inputs = _recommit_split(inputs, 31, 269)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"Split\[0\]\.RangeCheck")


def test_release_split_goes_to_the_owners_in_the_terms(escrow, release_circuit):
    """Paying the pole's share to another owner changes the terms hash, so the escrow note is not found."""
    terms, note, path = escrow[3], escrow[4], escrow[6]
    other = replace(terms, owner_pole=SpendingKey.generate().owner)
    cm = note_commitment(note.value, note.asset, other.owner, note.rho, note.blind)
    nf = nullifier(other.owner, cm, path.index)
    sig = escrow[0].sign_poseidon(release_message(terms.session_id, 40, 9, nf))     # the enclave signs it all
    inputs = dict(release_statement(escrow).inputs, owner_pole=other.owner_pole, nullifier=nf,
                  sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y), sig_s=sig.s)
    inputs = _recommit_split(inputs, 120, 180)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"EscrowNote\[0\]\.MerkleMembership")


def test_escrow_nullifier_binds_position_and_note(escrow, release_circuit, release_honest):
    honest = release_honest
    terms, note, path = escrow[3], escrow[4], escrow[6]
    for other in (nullifier(terms.owner, note.commitment, path.index + 1),
                  nullifier(owner_of(1), note.commitment, path.index)):
        assert_rejected(release_circuit, honest, {wire(release_circuit, "nullifier"): other})


def test_escrow_note_membership_is_always_checked(escrow, release_circuit):
    """Unlike a transfer input, the escrow note is checked against the root even at value 0."""
    inputs = dict(release_statement(escrow).inputs, root=MerkleTree(DEPTH).root)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"EscrowNote\[0\]\.MerkleMembership")


@pytest.mark.parametrize("name", ["height", "asset", "root", "pay_commitment", "refund_commitment",
                                  "ext_data_hash"])
def test_release_public_inputs_are_bound(release_circuit, release_honest, name):
    i = wire(release_circuit, name)
    assert_rejected(release_circuit, release_honest, {i: release_honest[i] + 1})


def test_release_and_refund_publish_no_mode_and_no_session(release_circuit):
    """Issue 13, leak 4: the mode and the session id are private inputs; the public inputs are the same seven
    for a release and a refund."""
    public = [name for name, _, _ in release_circuit.signals("public")]
    private = [name for name, _, _ in release_circuit.signals("private")]
    assert public == ["root", "nullifier", "pay_commitment", "refund_commitment", "height", "asset", "ext_data_hash"]
    assert {"mode", "session_id"} <= set(private)


def test_release_session_id_is_bound_though_private(escrow, release_circuit):
    """Another session id changes the terms, so the escrow note is not found (and the signature does not match)."""
    inputs = _recommit_split(dict(release_statement(escrow).inputs, session_id=78), 120, 180)
    bad = failing(release_circuit, forge(release_circuit, inputs))
    assert any("MerkleMembership" in name for name in bad)


def test_release_signature_names_the_escrow_note(escrow, release_circuit):
    """Finding 7: a signature over another nullifier (the same session, energy and nonce) releases nothing."""
    enclave, terms = escrow[0], escrow[3]
    sig = enclave.sign_poseidon(release_message(terms.session_id, 40, 9, _nf(escrow) + 1))
    inputs = dict(release_statement(escrow).inputs, sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y), sig_s=sig.s)
    assert_only_guard_fails(release_circuit, forge(release_circuit, inputs), r"ReleaseSignature")


# --- channel_update ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def channel():
    return ChannelUpdate()


def _with_paid(inputs, paid_new, blind_new=None):
    out = dict(inputs, paid_new=paid_new % P)
    if blind_new is not None:
        out["blind_new"] = blind_new
    point = VALUE_BASE.mul(paid_new % P) + BLINDING_BASE.mul(out["blind_new"])
    out["c_new"] = [int(point.x), int(point.y)]
    return out


@pytest.mark.parametrize("delta", [1, -1, 7 * 11 - 7 * 10], ids=["+1", "-1", "one packet extra"])
def test_channel_moves_exactly_packets_times_price(channel, delta):
    inputs = channel_statement()                                    # 70 → 140 by 10 packets at 7
    assert_only_guard_fails(channel, forge(channel, _with_paid(inputs, inputs["paid_new"] + delta)), r"Step")


def test_channel_paid_cannot_exceed_the_deposit(channel):
    inputs = dict(channel_statement(paid_old=990, packets=1), packets=2)
    forged = _with_paid(inputs, 990 + 14)                            # 1004 > deposit 1000
    assert_only_guard_fails(channel, forge(channel, forged), r"Step\[0\]\.RangeCheck")


def test_channel_paid_cannot_go_negative(channel):
    """Paying back 10 packets at 7 from 21 paid: 21 − 70 wraps to r − 49, which no 64-bit opening reaches."""
    base = channel_statement(paid_old=70, packets=10, direction=1)  # honest: 70 → 0
    c_old = commit(21, base["blind_old"])
    inputs = _with_paid(dict(base, paid_old=21, c_old=[int(c_old.x), int(c_old.y)]), 21 - 70)
    bad = failing(channel, forge(channel, inputs))
    assert any(o.startswith("main.ValueCommitment[1].Num2Bits") for o in bad), bad


def test_channel_direction_must_be_boolean(channel):
    """With direction d free, paid moves by amount·(1 − 2d): any value at all.  d = (1 − 500/70)/2 pays 500."""
    inputs = channel_statement()
    d = (1 - 500 * pow(70, -1, P)) * pow(2, -1, P) % P
    forged = forge(channel, _with_paid(dict(inputs, direction=d), inputs["paid_old"] + 500))
    assert failing(channel, forged) == ["main.Step[0]"]             # only assert_bool(direction)


def test_channel_packet_count_cannot_overflow(channel):
    """packets = 8/7 mod r (≥ 2^32) makes packets·price ≡ 8: a move that is no whole number of packets."""
    inputs = channel_statement(packets=1)
    packets = 8 * pow(7, -1, P) % P
    assert packets >= 1 << 32
    forged = _with_paid(dict(inputs, packets=packets), inputs["paid_old"] + 8)
    assert_only_guard_fails(channel, forge(channel, forged), r"Step\[0\]\.RangeCheck")


@pytest.mark.parametrize("nonce_new", [5, 7, 4, 0], ids=["replay", "skip", "back", "zero"])
def test_channel_nonce_moves_up_by_exactly_one(channel, nonce_new):
    inputs = dict(channel_statement(nonce=5), nonce_new=nonce_new)
    assert_only_guard_fails(channel, forge(channel, inputs), r"Nonce")


def test_channel_blinding_alias_is_refused(channel):
    """blind + SUBORDER opens the same point: the second opening is refused by BlindingBelowSubOrder."""
    inputs = channel_statement()
    blind = 12345                                                    # small, so blind + SUBORDER < 2^251
    forged = _with_paid(inputs, inputs["paid_new"], blind_new=blind)
    assert accepts(channel, forge(channel, forged))
    alias = dict(forged, blind_new=blind + SUBORDER)
    assert alias["c_new"] == forged["c_new"] and blind + SUBORDER < 1 << 251
    assert_only_guard_fails(channel, forge(channel, alias), r"ValueCommitment\[1\]\.BlindingBelowSubOrder")


def test_channel_terms_bind_deposit_and_price(channel):
    inputs = channel_statement()
    for change in ({"deposit": 2000}, {"price": 8}, {"salt": 1}):
        assert_only_guard_fails(channel, forge(channel, dict(inputs, **change)), r"ChannelTerms|Step")


# --- value_commitment --------------------------------------------------------------------------

def test_value_commitment_openings_are_unique():
    circuit = ValueCommitment()
    inputs = value_commitment_inputs(77, 999)
    assert accepts(circuit, forge(circuit, inputs))
    alias = dict(inputs, blind=999 + SUBORDER)
    assert_only_guard_fails(circuit, forge(circuit, alias), r"BlindingBelowSubOrder")
    point = VALUE_BASE.mul(P - 1) + BLINDING_BASE.mul(999)               # value −1
    negative = dict(inputs, value=P - 1, commitment=[int(point.x), int(point.y)])
    assert any("Num2Bits" in o for o in failing(circuit, forge(circuit, negative)))


# --- channel_settle (circuits/escrow/channel_settle.py) -----------------------------------------

def _settle_notes(terms, inputs, balance, owner_b=None):
    from zkescrow.channel.terms import settlement_blind, settlement_rho
    tid = terms.terms_id
    owners = (inputs["owner_a"], inputs["owner_b"] if owner_b is None else owner_b)
    values = ((terms.total - balance) % P, balance % P)
    return [note_commitment(v, 0, o, settlement_rho(tid, j), settlement_blind(terms.salt, tid, j))
            for j, (v, o) in enumerate(zip(values, owners))]


def test_settle_balance_cannot_exceed_the_total():
    from circuits.registry import get
    terms, inputs = settle_statement(350)
    circuit = get("channel_settle")
    c = commit(1001, inputs["blind"])
    cm_a, cm_b = _settle_notes(terms, inputs, 1001)
    forged = dict(inputs, balance=1001, c=[int(c.x), int(c.y)], cm_a=cm_a, cm_b=cm_b)    # A's note: −1
    assert_only_guard_fails(circuit, forge(circuit, forged), r"Split\[0\]\.RangeCheck")


def test_settle_pays_only_the_owners_fixed_at_opening():
    from circuits.registry import get
    terms, inputs = settle_statement(350)
    circuit = get("channel_settle")
    thief = SpendingKey.generate().owner
    cm_a, cm_b = _settle_notes(terms, inputs, 350, owner_b=thief)
    forged = dict(inputs, owner_b=thief, cm_a=cm_a, cm_b=cm_b)
    assert_only_guard_fails(circuit, forge(circuit, forged), r"ChannelTerms")
