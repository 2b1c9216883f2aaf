"""Attacks on the cooperative close of a channel (issue 12, finding 8), played through the public API.

The attack: a car obtains the pole's closing signature at 500, keeps paying up to
3,500, then submits the old close so that the pole gets 500.  Two layers stop it:
a party that signs a closing message is frozen (its channel refuses every later
update with ``ChannelClosed``), so the car cannot get its later payments taken;
and the ledger settles a close at once only while the height both parties signed
(``valid_until``) holds, so a pole whose software did not freeze (here: its channel
file restored from before it signed) answers the stale close with its later
co-signed counter during the challenge period and is paid 3,500.  Both for signed
and for shielded channels.
"""
import pytest
from nacl.signing import SigningKey

from zkescrow.channel import api
from zkescrow.channel import transactions as T
from zkescrow.channel.closing import CLOSE_VALIDITY, Closing
from zkescrow.channel.contract import escrow_account
from zkescrow.channel.proofs import address_of
from circuits.escrow.channel_settle import settlement_notes
from zkescrow.channel.state import Channel
from zkescrow.errors import ChannelClosed
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.transactions import Transaction

from test_channel_shielded import shared_keys_dir

CAR, POLE = SigningKey(bytes([41]) * 32), SigningKey(bytes([42]) * 32)
A, B = address_of(CAR), address_of(POLE)
EXT = ("channel",)
UNIT = 500
PERIOD = 3


def commit(ledger, txs):
    for tx in txs:
        ledger.submit(tx)
    return ledger.commit_block()


def blocks(ledger, n):
    for _ in range(n):
        ledger.commit_block()


def pay(payer, payee, amount):
    verified = api.verify_update(payee, api.make_update(payer, amount))
    api.accept_receipt(payer, verified.receipt)


def open_channel(ledger, keys=None, shielded=False):
    nonce = ledger.nonce(A)
    terms = api.new_channel(CAR, B, nonce, 20 * UNIT, challenge_period=PERIOD, shielded=shielded, unit=UNIT,
                            owner_a=1, owner_b=2, chain_id=ledger.chain_id)
    assert commit(ledger, [api.open_transaction(terms, CAR, nonce, POLE)]).rejected == []
    return terms, Channel(terms, CAR, prover=keys), Channel(terms, POLE, prover=keys)


def signed_ledger(path):
    return Ledger.create(path, {A: 100_000, B: 50_000}, depth=4, extensions=EXT)


def refuses_everything_after_closing(car, pole):
    """The pole signed a close: the car's later payments are not taken, and the pole pays or confirms nothing."""
    for _ in range(6):
        update = api.make_update(car, UNIT)                  # the car "keeps paying" ...
        with pytest.raises(ChannelClosed):
            api.verify_update(pole, update)                  # ... but the pole countersigns none of it
    with pytest.raises(ChannelClosed):
        api.make_update(pole, UNIT)
    with pytest.raises(ChannelClosed):
        api.accept_receipt(pole, b'{"type": "receipt"}')


# --- signed channels ---------------------------------------------------------------------------

def test_closing_signature_is_terminal_and_the_stale_close_pays_what_was_taken(tmp_path):
    ledger = signed_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, UNIT)
    closing = api.closing_signature(pole, ledger)
    refuses_everything_after_closing(car, pole)
    assert pole.transferred(A) == UNIT                        # the pole took (and delivered for) 500
    result = commit(ledger, api.settle(car, ledger=ledger, peer_signature=closing))
    assert result.rejected == []
    assert ledger.balance(B) == 50_000 + UNIT and ledger.balance(A) == 100_000 - UNIT
    assert ledger.balance(escrow_account(terms.channel_id)) == 0


def test_closing_message_names_the_channel_and_the_highest_nonces(tmp_path):
    ledger = signed_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, UNIT)
    pay(car, pole, UNIT)
    pay(pole, car, 200)
    closing = Closing.from_bytes(api.closing_signature(pole, ledger))
    assert closing.channel_id == terms.channel_id and closing.valid_until == ledger.height + CLOSE_VALIDITY
    assert (closing.states["a"].nonce, closing.states["b"].nonce) == (2, 1)
    assert (closing.states["a"].transferred, closing.states["b"].transferred) == (2 * UNIT, 200)
    assert closing.signed_by(B) and not closing.signed_by(A)
    assert Closing.from_bytes(api.closing_signature(pole, ledger)).states == closing.states   # the same, frozen
    txs = api.settle(car, ledger=ledger, peer_signature=closing.to_bytes())
    body = txs[0].body
    assert "states" not in body and body["settle"] == {"net": 2 * UNIT - 200}      # fresh: no counter posted
    states = {side: state.to_json() for side, state in closing.states.items()}
    lowered = {**body, "settle": {"net": UNIT - 200}}
    rehashed = {**body, "state_hash": "00" * 32}
    revealed_lower = {k: v for k, v in body.items() if k not in ("state_hash", "settle")}
    revealed_lower["states"] = {**states, "a": {**states["a"], "nonce": 1, "transferred": UNIT}}
    stretched = {**body, "valid_until": body["valid_until"] + 100}
    for forged in (lowered, rehashed, revealed_lower, stretched):
        assert "no valid closing signature" in commit(ledger, [Transaction(txs[0].kind, forged)]).rejected[0][1]
    assert commit(ledger, txs).rejected == []
    assert ledger.balance(B) == 50_000 + 2 * UNIT - 200


def test_stale_close_against_a_restored_pole_loses_to_the_challenge(tmp_path):
    """The pole's software did not stay frozen (its channel file is from before it signed): the car is paid
    on to 3,500, then submits the old 500 close once its bound has passed; the pole's challenge wins."""
    ledger = signed_ledger(tmp_path / "ledger")
    terms, car, pole = open_channel(ledger)
    pay(car, pole, UNIT)
    api.save_channel(pole, tmp_path / "pole.json")
    api.save_channel(car, tmp_path / "car-at-500.json")
    closing = api.closing_signature(pole, ledger)
    pole = api.load_channel(tmp_path / "pole.json", POLE)                # restored: no longer frozen
    for _ in range(6):
        pay(car, pole, UNIT)
    assert pole.transferred(A) == 3_500
    blocks(ledger, CLOSE_VALIDITY)
    stale_car = api.load_channel(tmp_path / "car-at-500.json", CAR)
    assert commit(ledger, api.settle(stale_car, ledger=ledger, peer_signature=closing)).rejected == []
    record = T.channel_record(ledger, terms.channel_id)
    assert record["status"] == "closing" and record["t_a"] == UNIT and ledger.balance(B) == 50_000
    assert commit(ledger, api.challenge(pole, ledger)).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["t_a"] == 3_500
    assert "challenge period" in commit(ledger, [api.settle_after_period(car, ledger)]).rejected[0][1]
    blocks(ledger, PERIOD)
    assert commit(ledger, [api.settle_after_period(car, ledger)]).rejected == []
    assert ledger.balance(B) == 50_000 + 3_500 and ledger.balance(A) == 100_000 - 3_500


def test_unbounded_closing_signature_never_settles_at_once(tmp_path):
    ledger = signed_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, 2 * UNIT)
    closing = api.closing_signature(pole)                            # no ledger, no bound
    assert commit(ledger, api.settle(car, ledger=ledger, peer_signature=closing)).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["status"] == "closing" and ledger.balance(B) == 50_000
    blocks(ledger, PERIOD)
    assert commit(ledger, [api.settle_after_period(pole, ledger)]).rejected == []
    assert ledger.balance(B) == 50_000 + 2 * UNIT


def test_a_frozen_party_stays_frozen_after_a_reload(tmp_path):
    ledger = signed_ledger(tmp_path / "ledger")
    terms, car, pole = open_channel(ledger)
    pay(car, pole, UNIT)
    api.closing_signature(pole, ledger)
    api.save_channel(pole, tmp_path / "pole.json")
    refuses_everything_after_closing(car, api.load_channel(tmp_path / "pole.json", POLE))


def test_a_pole_party_that_signed_a_close_takes_no_more_payments(tmp_path):
    """Streaming layer: the update is dropped (recorded as rejected), no receipt goes back, the counter stays."""
    from zkescrow.channel.controller import StreamController
    from zkescrow.channel.session import Party
    ledger = signed_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, UNIT)
    api.closing_signature(pole, ledger)
    party = Party(pole, StreamController(False, grid_key=address_of(SigningKey(bytes([43]) * 32)), packet_wh=10))
    assert party.handle(api.make_update(car, UNIT), now=0) == []
    assert party.rejected and "ChannelClosed" in party.rejected[0] and pole.transferred(A) == UNIT


# --- shielded channels -------------------------------------------------------------------------

def test_shielded_closing_signature_is_terminal():
    terms = api.new_channel(CAR, B, 7, 20 * UNIT, challenge_period=PERIOD, shielded=True, unit=UNIT,
                            owner_a=1, owner_b=2)
    car, pole = Channel(terms, CAR), Channel(terms, POLE)
    pay(car, pole, UNIT)
    closing = Closing.from_bytes(api.closing_signature(pole, valid_until=10))
    assert closing.states["a"].nonce == 1 and closing.states["a"].commitment == pole.theirs.cosigned.commitment
    refuses_everything_after_closing(car, pole)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    from zkescrow.ledger.proofs import CircuitKeys
    return CircuitKeys(shared_keys_dir(tmp_path_factory), depth=4)


@pytest.mark.slow
def test_stale_shielded_close_against_a_restored_pole_loses_to_the_challenge(tmp_path, keys):
    ledger = Ledger.create(tmp_path / "ledger", {A: 100_000, B: 50_000}, depth=4, keys=keys, extensions=EXT)
    terms, car, pole = open_channel(ledger, keys, shielded=True)
    pay(car, pole, UNIT)
    api.save_channel(pole, tmp_path / "pole.json")
    api.save_channel(car, tmp_path / "car-at-500.json")
    closing = api.closing_signature(pole, ledger)
    refuses_everything_after_closing(car, pole)
    pole = api.load_channel(tmp_path / "pole.json", POLE, prover=keys)   # restored: no longer frozen
    car = api.load_channel(tmp_path / "car-at-500.json", CAR, prover=keys)
    for _ in range(6):
        pay(car, pole, UNIT)
    assert pole.balance == 3_500
    blocks(ledger, CLOSE_VALIDITY)
    stale_car = api.load_channel(tmp_path / "car-at-500.json", CAR, prover=keys)
    txs = api.settle(stale_car, ledger=ledger, peer_signature=closing)
    assert [tx.kind for tx in txs] == ["channel_counter_shielded", "channel_cooperative_close"]   # no settling yet
    assert commit(ledger, txs).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["status"] == "closing"
    assert commit(ledger, api.challenge(pole, ledger)).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["nonce_a"] == 7
    blocks(ledger, PERIOD)
    assert commit(ledger, [api.settle_after_period(pole, ledger)]).rejected == []
    assert [c for _, c, _ in ledger.commitments()] == list(settlement_notes(terms, 3_500))   # pole's note: 3,500
    assert ledger.total_value()["shielded"] == terms.total and T.locked_in_channels(ledger) == 0


@pytest.mark.slow
def test_fresh_shielded_close_at_the_frozen_state_pays_what_was_taken(tmp_path, keys):
    ledger = Ledger.create(tmp_path / "ledger", {A: 100_000, B: 50_000}, depth=4, keys=keys, extensions=EXT)
    terms, car, pole = open_channel(ledger, keys, shielded=True)
    pay(car, pole, UNIT)
    closing = api.closing_signature(pole, ledger)
    refuses_everything_after_closing(car, pole)
    txs = api.settle(car, ledger=ledger, peer_signature=closing)
    assert commit(ledger, txs).rejected == []
    assert [c for _, c, _ in ledger.commitments()] == list(settlement_notes(terms, UNIT))


def test_a_frozen_party_whose_peer_never_submits_closes_alone(tmp_path):
    """Freezing is no trap: the pole that signed a close the car sits on still closes unilaterally."""
    ledger = signed_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, 3 * UNIT)
    api.closing_signature(pole, ledger)
    assert commit(ledger, api.settle(pole, ledger=ledger)).rejected == []
    blocks(ledger, PERIOD)
    assert commit(ledger, [api.settle_after_period(pole, ledger)]).rejected == []
    assert ledger.balance(B) == 50_000 + 3 * UNIT
