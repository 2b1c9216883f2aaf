"""Shielded (Pedersen-committed) channels: balance proofs, step proofs, the ledger flow and settlement into notes.

Keys are a development setup of channel_update and channel_settle, made once per
test session.  The ledger must never see an amount; tampered commitments and
proofs are refused; a stale shielded close loses to the challenge; the settlement
notes are the ones the parties can rebuild from their shared salt.  One test hands
a step proof to snarkjs (someone else's verifier).
"""
import dataclasses
import json

import pytest
from nacl.signing import SigningKey

from circuits.crypto.pedersen import commit as pedersen_commit
from circuits.notes import NATIVE_ASSET, note_commitment
from zkescrow.channel import api
from zkescrow.channel import transactions as T
from zkescrow.channel.proofs import Opening, ShieldedBalanceProof, StepProof, address_of
from circuits.escrow.channel_settle import settlement_notes
from zkescrow.channel.state import Channel
from zkescrow.channel.terms import NOTE_A, NOTE_B, settlement_blind, settlement_rho
from zkescrow.errors import ChannelError, MalformedInput
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.proofs import CircuitKeys
from zkescrow.ledger.transactions import Transaction

CAR, POLE = SigningKey(bytes([21]) * 32), SigningKey(bytes([22]) * 32)
A, B = address_of(CAR), address_of(POLE)
WALLET_A, WALLET_B = WalletKeys(bytes([31]) * 32), WalletKeys(bytes([32]) * 32)
OWNER_A, OWNER_B = WALLET_A.owner, WALLET_B.owner
RECIPIENTS = (WALLET_A.payment_address.viewing_public, WALLET_B.payment_address.viewing_public)
UNIT = 500
EXT = ("channel",)


#: The circuits the channel tests prove with (set up once per test run, shared by the xdist workers).
CIRCUITS = ("channel_update", "channel_settle", "deposit", "transfer")


def shared_keys_dir(tmp_path_factory) -> "Path":
    """A keys directory all xdist workers of this run share, its keys made once under a file lock."""
    import fcntl
    import os
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    path = base / "channel-keys"
    path.mkdir(exist_ok=True)
    with open(base / "channel-keys.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            keys = CircuitKeys(path, depth=4)
            for name in CIRCUITS:
                keys.proving_key(name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    return CircuitKeys(shared_keys_dir(tmp_path_factory), depth=4)


def new_terms(nonce=0, deposit_a=20 * UNIT, deposit_b=4 * UNIT, chain_id=""):
    return api.new_channel(CAR, B, nonce, deposit_a, deposit_b, challenge_period=3, shielded=True, unit=UNIT,
                           owner_a=OWNER_A, owner_b=OWNER_B, chain_id=chain_id)


def pay(payer, payee, amount):
    verified = api.verify_update(payee, api.make_update(payer, amount))
    api.accept_receipt(payer, verified.receipt)
    return verified


# --- off-ledger --------------------------------------------------------------------------------

def test_shielded_update_carries_a_commitment_not_an_amount():
    terms = new_terms()
    car, pole = Channel(terms, CAR), Channel(terms, POLE)
    message = json.loads(api.make_update(car, 3 * UNIT))
    state = message["state"]
    assert "transferred" not in state and state["kind"] == "shielded"
    opening = Opening.from_json(message["opening"])
    assert opening.value == 3 * UNIT
    assert tuple(int(c) for c in state["commitment"]) == (int(pedersen_commit(opening.value, opening.blind).x),
                                                          int(pedersen_commit(opening.value, opening.blind).y))
    verified = api.verify_update(pole, json.dumps(message).encode())
    assert verified.amount == 3 * UNIT and isinstance(verified.proof, ShieldedBalanceProof)
    assert pole.balance == car.balance == 4 * UNIT + 3 * UNIT


def test_tampered_commitment_or_opening_is_rejected():
    terms = new_terms()
    car, pole = Channel(terms, CAR), Channel(terms, POLE)
    message = json.loads(api.make_update(car, UNIT))
    other = pedersen_commit(7 * UNIT, 12345)
    bad_commitment = {**message, "state": {**message["state"], "commitment": [str(other.x), str(other.y)]}}
    with pytest.raises(ChannelError, match="not signed"):
        api.verify_update(pole, json.dumps(bad_commitment).encode())
    bad_opening = {**message, "opening": {"value": 7 * UNIT, "blind": message["opening"]["blind"]}}
    with pytest.raises(ChannelError, match="tampered commitment"):
        api.verify_update(pole, json.dumps(bad_opening).encode())
    off_curve = {**message, "state": {**message["state"], "commitment": ["1", "2"]}}
    with pytest.raises(MalformedInput):
        api.verify_update(pole, json.dumps(off_curve).encode())
    from zkescrow.bn254.constants import R
    order_two = {**message, "state": {**message["state"], "commitment": ["0", str(int(R) - 1)]}}
    with pytest.raises(MalformedInput, match="subgroup"):
        ShieldedBalanceProof.from_json(order_two["state"])            # what the ledger parses
    with pytest.raises(ChannelError):
        api.verify_update(pole, json.dumps(order_two).encode())        # the receiver: no opening matches
    assert api.verify_update(pole, json.dumps(message).encode()).amount == UNIT     # the genuine one still works


def test_amounts_must_be_whole_units():
    terms = new_terms()
    car = Channel(terms, CAR)
    with pytest.raises(ChannelError, match="multiples of the unit"):
        car.pay(UNIT + 1)


def test_nonce_replay_is_rejected():
    terms = new_terms()
    car, pole = Channel(terms, CAR), Channel(terms, POLE)
    first = api.make_update(car, UNIT)
    second = api.make_update(car, UNIT)
    assert api.verify_update(pole, second).amount == 2 * UNIT
    with pytest.raises(ChannelError, match="replay or stale"):
        api.verify_update(pole, first)
    assert api.verify_update(pole, second).amount == 0              # an exact resend only gets its receipt again


def test_step_proofs_batch_verify_and_tampering_is_found(keys):
    terms = new_terms()
    car = Channel(terms, CAR, prover=keys, proof_every=2)
    pole = Channel(terms, POLE, prover=keys)
    for _ in range(6):
        pay(car, pole, UNIT)
    assert len(pole.backlog) == 3
    good = list(pole.backlog)
    forged = dict(good[1].proof, pi_a=good[0].proof["pi_a"])
    pole.backlog[1] = StepProof(good[1].terms_id, good[1].step_old, good[1].c_old, good[1].c_new, forged)
    with pytest.raises(ChannelError, match=r"\[1\] of the backlog"):
        api.verify_backlog(pole)
    pole.backlog = good
    assert api.verify_backlog(pole) == 3 and pole.backlog == []


def test_step_proof_must_continue_the_chain(keys):
    terms = new_terms()
    car = Channel(terms, CAR, prover=keys, proof_every=1)
    pole = Channel(terms, POLE, prover=keys)
    pay(car, pole, UNIT)
    message = json.loads(api.make_update(car, UNIT))
    message["step"]["step_old"] = 0
    with pytest.raises(ChannelError, match="continue the proven chain"):
        api.verify_update(pole, json.dumps(message).encode())


@pytest.mark.interop
@pytest.mark.slow
def test_snarkjs_accepts_a_step_proof(keys, tmp_path):
    from conftest import run_snarkjs
    terms = new_terms()
    car = Channel(terms, CAR, prover=keys, proof_every=1)
    message = json.loads(api.make_update(car, 3 * UNIT))
    step = StepProof.from_json(message["step"])
    (tmp_path / "vk.json").write_text(json.dumps(keys.verification_key("channel_update").to_json()))
    (tmp_path / "public.json").write_text(json.dumps([str(x) for x in step.public_signals]))
    (tmp_path / "proof.json").write_text(json.dumps(step.proof))
    out = run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json")
    assert "OK" in out.stdout
    bad = list(step.public_signals)
    bad[6] = (bad[6] + 1)
    (tmp_path / "public.json").write_text(json.dumps([str(x) for x in bad]))
    out = run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json",
                      check=False)
    assert "OK" not in out.stdout


# --- on the ledger -------------------------------------------------------------------------------

def new_ledger(path, keys):
    return Ledger.create(path, {A: 100_000, B: 50_000}, depth=4, keys=keys, extensions=EXT)


def open_shielded(ledger, keys, **kw):
    terms = new_terms(ledger.nonce(A), chain_id=ledger.chain_id, **kw)
    assert ledger.submit(api.open_transaction(terms, CAR, ledger.nonce(A), POLE))
    assert ledger.commit_block().rejected == []
    return terms, Channel(terms, CAR, prover=keys), Channel(terms, POLE, prover=keys)


def commit(ledger, txs):
    for tx in txs:
        ledger.submit(tx)
    return ledger.commit_block()


def amounts_in(ledger, *values):
    """Whether any of ``values`` appears as a number in any transaction body on the ledger."""
    text = " ".join(tx["body"] for tx in ledger.transactions())
    return [v for v in values if f'"{v}"' in text or f": {v}," in text or f": {v}}}" in text]


@pytest.mark.slow
def test_shielded_stale_close_loses_and_settles_into_notes(tmp_path, keys):
    ledger = new_ledger(tmp_path, keys)
    terms, car, pole = open_shielded(ledger, keys)
    for _ in range(6):
        pay(car, pole, UNIT)                         # car pays 3,000
    pay(pole, car, 2 * UNIT)                         # vehicle-to-grid: the pole pays 1,000 back
    stale = Channel(terms, POLE, prover=keys)        # the pole forgets its own payment and the car's
    stale.counters[A] = pole.counters[A]             # ... but keeps what the car paid it
    assert commit(ledger, api.settle(stale)).rejected == []
    from zkescrow.channel.storage import load_channel, save_channel
    save_channel(car, tmp_path / "car.json")         # the car was offline: it answers from its saved state
    car = load_channel(tmp_path / "car.json", CAR, prover=keys)
    challenge = api.challenge(car, ledger)
    assert len(challenge) == 1 and challenge[0].kind == "channel_counter_shielded"
    assert commit(ledger, challenge).rejected == []
    blocks = [ledger.commit_block() for _ in range(3)]
    assert all(not b.rejected for b in blocks)
    settle = api.settle_after_period(car, ledger, recipients=RECIPIENTS)
    result = commit(ledger, [settle])
    assert result.rejected == [] and result.proofs_verified == 1
    balance_b = 4 * UNIT + 6 * UNIT - 2 * UNIT
    cm_a, cm_b = settlement_notes(terms, balance_b)
    tid = terms.terms_id
    assert cm_b == note_commitment(balance_b, NATIVE_ASSET, OWNER_B, settlement_rho(tid, NOTE_B),
                                   settlement_blind(terms.salt, tid, NOTE_B))
    assert cm_a == note_commitment(terms.total - balance_b, NATIVE_ASSET, OWNER_A, settlement_rho(tid, NOTE_A),
                                   settlement_blind(terms.salt, tid, NOTE_A))
    assert [c for _, c, _ in ledger.commitments()] == [cm_a, cm_b]
    value = ledger.total_value()
    assert T.locked_in_channels(ledger) == 0 and value["shielded"] == terms.total and value["total"] == 150_000
    assert amounts_in(ledger, balance_b, terms.total - balance_b, 6 * UNIT, 2 * UNIT) == []
    from zkescrow.ledger.wallet import Wallet
    for wallet_keys, value in ((WALLET_A, terms.total - balance_b), (WALLET_B, balance_b)):
        wallet = Wallet(wallet_keys, ledger, keys)
        found = wallet.scan()
        assert [n.note.value for n in found] == [value] and wallet.balance() == value


@pytest.mark.slow
def test_shielded_cooperative_close_and_tampered_proofs(tmp_path, keys):
    ledger = new_ledger(tmp_path, keys)
    terms, car, pole = open_shielded(ledger, keys)
    for _ in range(3):
        pay(car, pole, UNIT)
    txs = api.settle(car, ledger=ledger, peer_signature=api.closing_signature(pole, ledger))
    kinds = [tx.kind for tx in txs]
    assert kinds == ["channel_cooperative_close", "channel_settle_shielded"]     # no counter, no nonce posted
    close, settle = txs
    assert "states" not in close.body and set(close.body["settle"]) == {"c_a", "c_b"}
    swapped = Transaction(close.kind, {**close.body, "settle": {"c_a": close.body["settle"]["c_b"],
                                                                "c_b": close.body["settle"]["c_a"]}})
    assert "no valid closing signature" in commit(ledger, [swapped]).rejected[0][1]
    forged_proof = dict(settle.body["proof"], pi_c=settle.body["proof"]["pi_a"])
    result = commit(ledger, [close, Transaction(settle.kind, {**settle.body, "proof": forged_proof})])
    assert result.rejected and result.rejected[0][1] == "proof does not verify"
    assert T.channel_record(ledger, terms.channel_id)["status"] == "closing"     # the close held, unsettled
    result = commit(ledger, [settle])
    assert result.rejected == [] and result.proofs_verified == 1
    assert T.channel_record(ledger, terms.channel_id)["status"] == "settled"
    assert [c for _, c, _ in ledger.commitments()] == list(settlement_notes(terms, 4 * UNIT + 3 * UNIT))


@pytest.mark.slow
def test_settlement_proof_cannot_redirect_the_notes(tmp_path, keys):
    ledger = new_ledger(tmp_path, keys)
    terms, car, pole = open_shielded(ledger, keys)
    pay(car, pole, UNIT)
    commit(ledger, api.settle(pole))
    for _ in range(3):
        ledger.commit_block()
    honest = api.settle_after_period(pole, ledger)
    swapped = Transaction(honest.kind, {**honest.body, "cm_a": honest.body["cm_b"], "cm_b": honest.body["cm_a"]})
    assert commit(ledger, [swapped]).rejected[0][1] == "proof does not verify"
    greedy = dataclasses.replace(terms, owner_a=OWNER_B)          # the pole tries to take both notes
    thief = Channel(greedy, POLE, prover=keys)
    thief.counters = pole.counters
    result = commit(ledger, [api.settle_after_period(thief, ledger)])
    assert "other channel terms" in result.rejected[0][1]
    assert commit(ledger, [honest]).rejected == []


@pytest.mark.slow
def test_shielded_top_up_rebinds_the_terms(tmp_path, keys):
    ledger = new_ledger(tmp_path, keys)
    terms, car, pole = open_shielded(ledger, keys, deposit_a=4 * UNIT, deposit_b=0)
    for _ in range(4):
        pay(car, pole, UNIT)
    with pytest.raises(ChannelError, match="exceeds"):
        car.pay(UNIT)
    unsigned, _ = T.top_up_transaction(terms, 6 * UNIT, CAR, ledger.nonce(A), POLE)
    forged = Transaction(unsigned.kind, {**unsigned.body, "terms_id": str(terms.terms_id)}).signed(CAR, ledger.chain_id)
    assert "did not sign" in commit(ledger, [forged]).rejected[0][1]      # B signed other terms
    tx, bigger = T.top_up_transaction(terms, 6 * UNIT, CAR, ledger.nonce(A), POLE)
    assert commit(ledger, [tx]).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["terms_id"] == str(bigger.terms_id) != str(terms.terms_id)
    for channel in (car, pole):
        T.apply_top_up(channel, bigger)
    for _ in range(3):
        pay(car, pole, UNIT)
    result = commit(ledger, api.settle(pole, ledger=ledger, peer_signature=api.closing_signature(car, ledger)))
    assert result.rejected == []
    assert [c for _, c, _ in ledger.commitments()] == list(settlement_notes(bigger, 7 * UNIT))
    assert ledger.total_value()["shielded"] == 10 * UNIT


@pytest.mark.slow
def test_channel_funded_from_notes_settles_back_into_notes(tmp_path, keys):
    """A's deposit comes out of its shielded notes (transfer proof) and the payout goes back into notes."""
    import secrets

    from zkescrow.channel.funding import open_from_notes_transaction
    from zkescrow.ledger.wallet import Wallet
    from zkescrow.channel.terms import ChannelTerms
    ledger = Ledger.create(tmp_path, {WALLET_A.address: 20 * UNIT}, depth=4, keys=keys, extensions=EXT)
    wallet = Wallet(WALLET_A, ledger, keys)
    assert commit(ledger, [wallet.shield(20 * UNIT)]).rejected == []
    wallet.scan()
    open_nonce = secrets.randbits(62)
    terms = ChannelTerms.new(A, B, open_nonce, 8 * UNIT, shielded=True, unit=UNIT, owner_a=OWNER_A,
                             owner_b=OWNER_B, challenge_period=3, chain_id=ledger.chain_id)
    tx = open_from_notes_transaction(terms, open_nonce, wallet, POLE)
    retargeted = Transaction(tx.kind, {**tx.body, "party_a": B})
    assert commit(ledger, [retargeted]).rejected[0][1] == "proof does not verify"     # terms bound by the proof
    assert commit(ledger, [tx]).rejected == []
    assert T.locked_in_channels(ledger) == 8 * UNIT and ledger.total_value()["shielded"] == 12 * UNIT
    car, pole = Channel(terms, CAR, prover=keys), Channel(terms, POLE, prover=keys)
    for _ in range(3):
        pay(car, pole, UNIT)
    result = commit(ledger, api.settle(car, ledger=ledger, peer_signature=api.closing_signature(pole, ledger),
                                       recipients=RECIPIENTS))
    assert result.rejected == []
    wallet.scan()
    assert wallet.balance() == 12 * UNIT + 5 * UNIT                    # change + A's settlement note
    pole_wallet = Wallet(WALLET_B, ledger, keys)
    pole_wallet.scan()
    assert pole_wallet.balance() == 3 * UNIT
    assert ledger.total_value()["shielded"] == 20 * UNIT and T.locked_in_channels(ledger) == 0
