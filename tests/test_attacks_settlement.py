"""Attacks on the settlement of a charging session (issue 12, findings 3, 4 and 7), played through the public API.

Each test runs a session up to the enclave's decision, lets one party cheat with what it holds (its
wallet, its copy of the decision, the ledger), and checks what the honest party ends up with.
Statements are checked natively (``StatementKeys``) instead of proved; test_escrow_demo.py runs the same
settlement with real Groth16 proofs.
"""
import pytest
from nacl.public import PrivateKey as BoxKey

from circuits.crypto.eddsa import Signature
from circuits.escrow.escrow_release import REFUND, RELEASE, escrow_release_inputs
from circuits.escrow.transfer import SpendInput
from circuits.notes import Note, release_message
from escrow_statement_keys import StatementKeys, make_world
from zkescrow.errors import StatementFalse, ZkEscrowError
from zkescrow.escrow import settlement, shielded, transparent
from zkescrow.escrow.modes import ShieldedEscrow, TransparentEscrow
from zkescrow.escrow.session import ChargingSession
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.note_encryption import encrypt_note
from zkescrow.ledger.transactions import Transaction, ext_data_hash

PRICE, DEPOSIT, ENERGY = 5, 1_500, 90
PAY = ENERGY * PRICE
SUPPLY = 10_000_000


def charged(tmp_path, mode):
    """A session of ``mode`` charged with ENERGY Wh and closed: the enclave has decided; nothing is settled."""
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = ChargingSession(world, car, pole, mode, deposit=DEPOSIT, target_wh=ENERGY)
    before = car.wallet.balance()
    session.discover()
    session.attest()
    session.open()
    session.fund()
    session.confirm()
    session.stream()
    session.close()
    assert session.decision["pay"] == PAY and session.pole_decision["pay"] == PAY
    return world, car, pole, session, before


def mined(world, tx) -> bool:
    """Submit ``tx`` alone in a block: True if the ledger accepted it."""
    return not world.mine(tx).rejected


def spendable(world, wallet, owned) -> None:
    """The wallet really holds the note ``owned``: it spends exactly that note and the ledger accepts."""
    other = WalletKeys.generate().payment_address
    outputs = [(Note.new(owned.note.value, other.owner), other.viewing_public)]
    assert mined(world, wallet.build_transfer([owned], outputs, 0, "shielded_transfer", {"recipient": None}))


def conserved(world) -> None:
    assert world.ledger.total_value()["total"] == SUPPLY
    world.ledger.verify_chain()


def refund_after_deadline(world, session):
    """The driver's refund once the chain reaches the refund height (whatever the enclave said)."""
    world.mine_until(session.refund_height)
    session.car.wallet.scan()
    return session.escrow.refund(session)


# --- hidden settlement heights: a late draw is still the pole's ----------------------------------------------

def test_a_release_at_the_latest_height_the_hidden_policy_draws_pays_the_pole_and_shuts_out_the_refund(tmp_path):
    """The car stays silent; the pole posts at the last height ``HiddenSettlement`` can draw (deadline − margin)."""
    from zkescrow.escrow.settlement_timing import HiddenSettlement
    world, car, pole, session, before = charged(tmp_path, "shielded")
    policy = HiddenSettlement()
    latest = session.refund_height - policy.margin
    assert max(policy.settle_height(world.ledger.height, session.refund_height) for _ in range(200)) <= latest
    world.mine_until(latest - 1)
    pole_side = ShieldedEscrow()
    release = pole_side.settlement(session, session.pole_decision, wallet=pole.wallet)
    result = world.mine(release)
    assert not result.rejected and result.height == latest
    assert not mined(world, refund_after_deadline(world, session))             # the escrow note is spent
    owned = pole.wallet.adopt(pole_side.notes(session, session.pole_decision)[0])
    assert owned is not None and pole.wallet.balance() == PAY


# --- finding 3: the car blocks the pole's payout, then refunds itself -----------------------------------------

@pytest.mark.parametrize("mode", ["transparent", "shielded"])
def test_car_that_never_settles_and_submits_junk_cannot_keep_the_pole_from_its_pay(tmp_path, mode):
    world, car, pole, session, before = charged(tmp_path, mode)
    decision = session.decision
    with pytest.raises(ZkEscrowError):               # the enclave signs no transaction: there is nothing to hijack
        world.call(car, "sign_payout", session.session_id, {}, [], world.ledger.height)
    if mode == "transparent":                         # a payout of the whole deposit back to the car, with the
        me = car.keys.payment_address                 # decision's signature attached: its outputs are not the
        junk = car.wallet.build_transfer(             # decided notes
            [], [(Note.new(DEPOSIT, me.owner), me.viewing_public)], DEPOSIT, "escrow_payout",
            transparent.payout_fields(decision))
        assert "not the enclave's decision" in world.mine(junk).rejected[0][1]
    pole_side = TransparentEscrow() if mode == "transparent" else ShieldedEscrow()
    assert mined(world, pole_side.settlement(session, session.pole_decision, wallet=pole.wallet))   # the pole, alone
    assert not mined(world, refund_after_deadline(world, session))             # the deadline passed: too late
    pay_note, rest = pole_side.notes(session, session.pole_decision)
    owned = pole.wallet.adopt(pay_note)
    assert owned is not None and car.wallet.adopt(rest) is not None
    assert pole.wallet.balance() == PAY and car.wallet.balance() == before - PAY
    spendable(world, pole.wallet, owned)
    conserved(world)


def test_the_decision_is_the_same_for_both_parties_and_does_not_change(tmp_path):
    world, car, pole, session, _ = charged(tmp_path, "transparent")
    again = session.fetch_decision(car)
    late = world.call(pole, "close", session.session_id, "pole closes too", world.ledger.height,
                      pole.close_authorization(session.session_id))
    for copy in (session.pole_decision, again, late):
        assert {k: copy[k] for k in settlement.DECISION_FIELDS + ("signature",)} == \
            {k: session.decision[k] for k in settlement.DECISION_FIELDS + ("signature",)}
    with pytest.raises(ZkEscrowError):                # a stranger (not the car, not the pole) gets nothing
        world.call(car, "decision", session.session_id, "00" * 64)


# --- finding 4: settlement notes withheld by a ciphertext the other party wrote ------------------------------

def test_car_encrypts_the_poles_payout_note_to_itself_but_the_pole_rebuilds_it(tmp_path):
    """Transparent: the car settles with the right outputs but both ciphertexts to itself."""
    world, car, pole, session, before = charged(tmp_path, "transparent")
    decision, mine = session.decision, bytes(car.keys.viewing.public_key)
    pay_note, rest = settlement.decision_notes(decision)
    inputs = [SpendInput(n, settlement.payout_key(decision["escrow"]), None)
              for n in settlement.payout_inputs(decision["escrow"])]
    tx = car.wallet.build_transfer([], [(pay_note, mine), (rest, mine)], DEPOSIT, "escrow_payout",
                                   transparent.payout_fields(decision), spend_inputs=inputs)
    assert mined(world, tx)
    pole.wallet.scan()
    assert pole.wallet.balance() == 0                # no ciphertext opens for the pole...
    rebuilt, _ = settlement.decision_notes(session.pole_decision)
    owned = pole.wallet.adopt(rebuilt)               # ...but its note follows from its copy of the decision
    assert owned is not None and pole.wallet.balance() == PAY
    spendable(world, pole.wallet, owned)
    car.wallet.adopt(rest)
    assert car.wallet.balance() == before - PAY
    conserved(world)


def test_a_payout_with_outputs_the_enclave_did_not_decide_is_rejected(tmp_path):
    """Transparent: the same split, but notes with blinds the car chose (so only it could open the pole's)."""
    world, car, pole, session, _ = charged(tmp_path, "transparent")
    decision = session.decision
    pole_addr, me = session.pole_address, car.keys.payment_address
    inputs = [SpendInput(n, settlement.payout_key(decision["escrow"]), None)
              for n in settlement.payout_inputs(decision["escrow"])]
    tx = car.wallet.build_transfer([], [(Note.new(PAY, pole_addr.owner), me.viewing_public),
                                        (Note.new(DEPOSIT - PAY, me.owner), me.viewing_public)],
                                   DEPOSIT, "escrow_payout", transparent.payout_fields(decision), spend_inputs=inputs)
    assert "not the enclave's decision" in world.mine(tx).rejected[0][1]
    assert mined(world, TransparentEscrow().settlement(session, session.pole_decision, wallet=pole.wallet))
    pay_note, _ = settlement.decision_notes(session.pole_decision)
    pole.wallet.adopt(pay_note)
    assert pole.wallet.balance() == PAY
    conserved(world)


def test_pole_encrypts_the_drivers_refund_note_to_itself_but_the_driver_rebuilds_it(tmp_path):
    """Shielded: the pole proves the release alone and sends the driver's change to its own viewing key."""
    world, car, pole, session, before = charged(tmp_path, "shielded")
    pole_side = ShieldedEscrow()
    pole_side.adopt(session, session.pole_decision)
    d = session.pole_decision
    signature = Signature.unpack(bytes.fromhex(d["release_signature"]))
    pole.wallet.scan()
    statement = escrow_release_inputs(pole_side.note, pole_side.terms, pole.wallet.merkle_path(pole_side.position),
                                      root=pole.wallet.tree.root, height=world.ledger.height + 1, mode=RELEASE,
                                      energy_wh=d["energy_wh"], final_nonce=d["final_nonce"], signature=signature,
                                      depth=world.ledger.depth)
    mine = bytes(pole.keys.viewing.public_key)
    p = statement.public
    body = {"root": str(p["root"]), "nullifier": str(p["nullifier"]), "pay_commitment": str(p["pay_commitment"]),
            "refund_commitment": str(p["refund_commitment"]), "height": p["height"], "asset": p["asset"],
            "ciphertexts": [encrypt_note(statement.pay_note, mine), encrypt_note(statement.refund_note, mine)]}
    proof, _, _ = world.keys.prove("escrow_release", dict(statement.inputs,
                                                          ext_data_hash=ext_data_hash("escrow_release", body)))
    assert mined(world, Transaction("escrow_release", dict(body, proof=proof)))
    car.wallet.scan()
    assert car.wallet.balance() == before - DEPOSIT   # the change is nowhere in the car's ciphertexts...
    _, rest = session.escrow.notes(session, session.decision)
    owned = car.wallet.adopt(rest)                    # ...but it follows from the nullifier and the terms
    assert owned is not None and car.wallet.balance() == before - PAY
    spendable(world, car.wallet, owned)
    pole.wallet.adopt(statement.pay_note)
    assert pole.wallet.balance() == PAY
    conserved(world)


def test_a_refund_note_is_rebuilt_from_the_terms_and_a_relay_cannot_swap_its_ciphertexts(tmp_path):
    """Shielded refund (the enclave decided, nobody settled): its output is the derived note too."""
    world, car, pole, session, before = charged(tmp_path, "shielded")
    refund = refund_after_deadline(world, session)
    body = dict(refund.body, ciphertexts=["00" * 16, "00" * 16])    # the proof binds the ciphertexts
    assert world.mine(Transaction("escrow_release", body)).rejected[0][1] == "proof does not verify"
    refund = refund_after_deadline(world, session)
    assert mined(world, refund)
    _, rest = shielded.settlement_notes(session.escrow.note, session.escrow.position, session.escrow.terms, 0)
    assert str(rest.commitment) == refund.body["refund_commitment"] and rest.value == DEPOSIT
    car.wallet.scan()
    assert car.wallet.balance() == before
    conserved(world)


# --- finding 7: one release signature, two escrow notes with identical terms ---------------------------------

def test_one_release_signature_pays_one_escrow_note(tmp_path):
    """The car funded the same terms twice (a retry); the pole, holding both openings, tries the one signature
    on both notes.  It is paid once; the driver refunds the second note in full after the deadline."""
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = ChargingSession(world, car, pole, "shielded", deposit=DEPOSIT, target_wh=ENERGY)
    before = car.wallet.balance()
    session.discover()
    session.attest()
    session.open()
    session.fund()
    car.wallet.scan()
    twin_tx, twin = shielded.fund_escrow(car.wallet, session.escrow.terms, DEPOSIT, bytes(BoxKey.generate().public_key))
    assert mined(world, twin_tx)
    twin_position = shielded.locate(world.ledger, twin.commitment)
    session.confirm()
    session.stream()
    session.close()
    d = session.pole_decision
    pole_side = ShieldedEscrow()
    assert mined(world, pole_side.settlement(session, d, wallet=pole.wallet))      # the pole is paid for note 1
    pole.wallet.scan()
    with pytest.raises(StatementFalse, match="escrow note"):                         # and cannot prove note 2
        pole_side.release(session, energy_wh=d["energy_wh"], final_nonce=d["final_nonce"],
                          signature_hex=d["release_signature"], wallet=pole.wallet, note=twin, position=twin_position)
    terms = pole_side.terms
    twin_nf = terms.nullifier(twin, twin_position)
    assert terms.enclave_key.verify_poseidon(
        release_message(terms.session_id, d["energy_wh"], d["final_nonce"], int(d["escrow"])),
        Signature.unpack(bytes.fromhex(d["release_signature"])))
    assert int(d["escrow"]) != twin_nf                                               # the signature names note 1
    world.mine_until(session.refund_height)
    car.wallet.scan()
    twin_refund = shielded.release(car.wallet, twin, twin_position, terms, pole=session.pole_address,
                                   driver=session.driver_address, mode=REFUND, driver_key=car.keys.spending)
    assert mined(world, twin_refund)
    for wallet, note in ((pole.wallet, pole_side.notes(session, d)[0]), (car.wallet, pole_side.notes(session, d)[1])):
        wallet.adopt(note)
    car.wallet.scan()
    assert pole.wallet.balance() == PAY                          # once, not twice
    assert car.wallet.balance() == before - PAY
    conserved(world)


# --- issue 13, leak 4: one public shape for a release and a refund -------------------------------------------

def test_a_release_is_accepted_only_in_the_block_whose_height_it_proves(tmp_path):
    """The public height is the including block's, so it says nothing about the deadline or the path taken."""
    world, car, pole, session, before = charged(tmp_path, "shielded")
    early = session.escrow.settlement(session, session.decision)          # proved for the next block
    world.ledger.commit_block()                                           # ...which passes without it
    assert "proves height" in world.mine(early).rejected[0][1]
    on_time = session.escrow.settlement(session, session.decision)
    assert on_time.body["height"] == world.ledger.height + 1
    assert set(on_time.body) == {"root", "nullifier", "pay_commitment", "refund_commitment", "height", "asset",
                                 "ciphertexts", "proof"}                  # no mode, no session id
    assert mined(world, on_time)
    refund_body = refund_after_deadline(world, session).body              # a refund has the same fields
    assert set(refund_body) == set(on_time.body)
    conserved(world)
