"""The on-ledger channel contract with transparent (signed) counters: open, top-up, close, challenge, settle.

Stale closes lose to the challenge, a party that was offline closes later, replayed or
half-signed counters are refused, and value is conserved for random sessions (the
ledger itself re-checks conservation after every block).
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from zkescrow.channel import api
from zkescrow.channel import transactions as T
from zkescrow.channel.contract import escrow_account
from zkescrow.channel.proofs import address_of
from zkescrow.channel.state import Channel
from zkescrow.ledger.ledger import Ledger
from zkescrow.errors import MalformedInput
from zkescrow.ledger.transactions import Transaction

CAR, POLE, OTHER = (SigningKey(bytes([i]) * 32) for i in (11, 12, 13))
A, B = address_of(CAR), address_of(POLE)
EXT = ("channel",)


def new_ledger(path, **balances):
    return Ledger.create(path, {A: balances.get("a", 100_000), B: balances.get("b", 50_000),
                                address_of(OTHER): 1}, depth=4, extensions=EXT)


def open_channel(ledger, deposit_a=10_000, deposit_b=0, period=3):
    terms = api.new_channel(CAR, B, ledger.nonce(A), deposit_a, deposit_b, challenge_period=period,
                            chain_id=ledger.chain_id)
    ledger.submit(api.open_transaction(terms, CAR, ledger.nonce(A), POLE))
    result = ledger.commit_block()
    assert result.rejected == []
    return terms, Channel(terms, CAR), Channel(terms, POLE)


def pay(payer, payee, amount):
    verified = api.verify_update(payee, api.make_update(payer, amount))
    api.accept_receipt(payer, verified.receipt)
    return verified.amount


def commit(ledger, txs):
    for tx in txs:
        ledger.submit(tx)
    return ledger.commit_block()


def blocks(ledger, n):
    for _ in range(n):
        ledger.commit_block()


def test_open_locks_the_deposit_and_conserves_value(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, _, _ = open_channel(ledger)
    assert ledger.balance(A) == 90_000
    assert T.locked_in_channels(ledger) == 10_000 == ledger.balance(escrow_account(terms.channel_id))
    assert ledger.total_value()["total"] == 150_001
    record = T.channel_record(ledger, terms.channel_id)
    assert record["status"] == "open" and record["locked"] == 10_000


def test_stale_close_loses_to_the_challenge(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    for _ in range(5):
        pay(car, pole, 500)
    stale = Channel(terms, CAR)                      # the car pretends nothing was paid
    assert commit(ledger, api.settle(stale)).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["t_a"] == 0
    challenge = api.challenge(pole, ledger)
    assert len(challenge) == 1
    assert commit(ledger, challenge).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["t_a"] == 2_500
    blocks(ledger, 3)
    assert commit(ledger, [api.settle_after_period(pole, ledger)]).rejected == []
    assert ledger.balance(B) == 50_000 + 2_500
    assert ledger.balance(A) == 100_000 - 2_500


def test_challenge_after_the_period_is_too_late(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger, period=2)
    pay(car, pole, 700)
    commit(ledger, api.settle(Channel(terms, CAR)))
    blocks(ledger, 2)
    result = commit(ledger, api.challenge(pole, ledger))
    assert "challenge period ended" in result.rejected[0][1]


def test_settle_before_the_period_is_refused(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger, period=5)
    pay(car, pole, 300)
    commit(ledger, api.settle(car))
    result = commit(ledger, [T.settle_transaction(terms.channel_id)])
    assert "before the end of the challenge period" in result.rejected[0][1]


def test_offline_party_closes_later_with_its_latest_cosigned_state(tmp_path):
    from zkescrow.channel.storage import load_channel, save_channel
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    for _ in range(3):
        pay(car, pole, 1_000)
    save_channel(pole, tmp_path / "pole-channel.json")
    assert (tmp_path / "pole-channel.json").stat().st_mode & 0o777 == 0o600
    del pole                                         # the pole goes offline (its process ends)
    car.pay(1_000)                                   # ... so this update never arrives
    blocks(ledger, 40)                               # ... for a long time
    ledger.close()
    ledger = Ledger(tmp_path)                        # the pole's node restarts from disk
    pole = load_channel(tmp_path / "pole-channel.json", POLE)
    with pytest.raises(MalformedInput, match="another key"):
        load_channel(tmp_path / "pole-channel.json", CAR)
    assert commit(ledger, api.settle(pole)).rejected == []       # the pole closes with what it holds
    assert commit(ledger, api.challenge(car, ledger)).rejected == []  # nothing newer the car can post
    blocks(ledger, 3)
    commit(ledger, [api.settle_after_period(pole, ledger)])
    assert ledger.balance(B) == 53_000 and ledger.balance(A) == 97_000
    assert T.channel_record(ledger, terms.channel_id)["status"] == "settled"


def test_car_offline_pole_cannot_settle_an_older_state(tmp_path):
    ledger = new_ledger(tmp_path, b=50_000)
    terms, car, pole = open_channel(ledger, deposit_b=5_000)
    pay(car, pole, 2_000)
    pay(pole, car, 1_500)                            # V2G: the pole pays the car back
    old_pole = Channel(terms, POLE)
    pay(car, pole, 200)
    pole_view_before_refund = old_pole
    commit(ledger, api.settle(pole_view_before_refund))           # "forgets" its own payment to the car
    assert commit(ledger, api.challenge(car, ledger)).rejected == []
    record = T.channel_record(ledger, terms.channel_id)
    assert (record["t_a"], record["t_b"]) == (2_200, 1_500)
    blocks(ledger, 3)
    commit(ledger, [api.settle_after_period(car, ledger)])
    assert ledger.balance(B) == 45_000 + 5_000 + 2_200 - 1_500
    assert ledger.balance(A) == 90_000 + 10_000 - 2_200 + 1_500


def test_counters_must_be_cosigned_and_fresh(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger, period=10)
    pay(car, pole, 400)
    only_car = car.pay(400)                          # signed by the car only
    commit(ledger, api.settle(Channel(terms, POLE)))
    import json
    half = json.loads(only_car)["state"]
    result = commit(ledger, [Transaction("channel_counter", {"channel_id": terms.channel_id, "state": half})])
    assert "co-signed" in result.rejected[0][1]
    txs = api.challenge(pole, ledger)
    assert commit(ledger, txs).rejected == []
    replay = Transaction("channel_counter", {"channel_id": terms.channel_id, "state": txs[0].body["state"],
                                             "again": 1})
    assert "not above the recorded" in commit(ledger, [replay]).rejected[0][1]
    assert "replay" in commit(ledger, txs).rejected[0][1]


def test_tampered_counter_is_refused(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, 400)
    commit(ledger, [T.close_transactions(pole)[0]])
    state = car.cosigned()[A].to_json()
    state["transferred"] = 9_000
    result = commit(ledger, [Transaction("channel_counter", {"channel_id": terms.channel_id, "state": state})])
    assert "not signed" in result.rejected[0][1]


def test_close_needs_the_closers_signature_and_an_open_channel(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    forged = Transaction("channel_close", {"channel_id": terms.channel_id, "closer": A}).signed(OTHER, ledger.chain_id)
    assert "does not verify" in commit(ledger, [forged]).rejected[0][1]
    commit(ledger, api.settle(car))
    again = Transaction("channel_close", {"channel_id": terms.channel_id, "closer": B}).signed(POLE, ledger.chain_id)
    assert "not open" in commit(ledger, [again]).rejected[0][1]


def test_cooperative_close_settles_at_once(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    for _ in range(4):
        pay(car, pole, 250)
    txs = api.settle(car, peer_signature=api.closing_signature(pole, ledger))
    assert commit(ledger, txs).rejected == []
    assert ledger.balance(B) == 51_000 and ledger.balance(A) == 99_000
    assert T.locked_in_channels(ledger) == 0


def test_cooperative_close_needs_both_signatures(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger)
    pay(car, pole, 250)
    txs = api.settle(car, peer_signature=api.closing_signature(car))       # the car signs twice
    assert "closing signature" in commit(ledger, txs).rejected[0][1]


def test_top_up_while_open_only(tmp_path):
    ledger = new_ledger(tmp_path)
    terms, car, pole = open_channel(ledger, deposit_a=1_000)
    pay(car, pole, 1_000)
    with pytest.raises(Exception, match="exceeds"):
        car.pay(1)
    tx, new_terms = T.top_up_transaction(terms, 4_000, CAR, ledger.nonce(A))
    assert commit(ledger, [tx]).rejected == []
    for channel in (car, pole):
        T.apply_top_up(channel, new_terms)
    pay(car, pole, 3_000)
    assert T.channel_record(ledger, terms.channel_id)["locked"] == 5_000
    commit(ledger, api.settle(pole))
    tx, _ = T.top_up_transaction(new_terms, 10, CAR, ledger.nonce(A))
    assert "closing" in commit(ledger, [tx]).rejected[0][1]


def test_b_funding_needs_bs_signature(tmp_path):
    ledger = new_ledger(tmp_path)
    terms = api.new_channel(CAR, B, ledger.nonce(A), 1_000, 2_000, chain_id=ledger.chain_id)
    tx = api.open_transaction(terms, CAR, ledger.nonce(A), OTHER)          # signed by the wrong "B"
    assert "did not sign" in commit(ledger, [tx]).rejected[0][1]
    assert ledger.balance(B) == 50_000


def test_channel_id_must_follow_from_the_account_nonce(tmp_path):
    ledger = new_ledger(tmp_path)
    terms = api.new_channel(CAR, B, ledger.nonce(A) + 7, 1_000, chain_id=ledger.chain_id)
    tx = api.open_transaction(terms, CAR, ledger.nonce(A), None)
    assert "channel_id" in commit(ledger, [tx]).rejected[0][1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.integers(1, 20_000), st.integers(0, 20_000),
       st.lists(st.tuples(st.booleans(), st.integers(1, 3_000)), max_size=25),
       st.sampled_from(["cooperative", "car", "pole"]), st.booleans())
def test_value_is_conserved_open_stream_close(tmp_path_factory, deposit_a, deposit_b, payments, how, stale):
    ledger = new_ledger(tmp_path_factory.mktemp("conserve"))
    terms, car, pole = open_channel(ledger, deposit_a, deposit_b, period=2)
    supply = ledger.total_value()["total"]
    paid = {A: 0, B: 0}
    for from_car, amount in payments:
        payer, payee = (car, pole) if from_car else (pole, car)
        amount = min(amount, payer.own_share)
        if amount:
            pay(payer, payee, amount)
            paid[payer.address] += amount
    if how == "cooperative":
        commit(ledger, api.settle(car, peer_signature=api.closing_signature(pole, ledger)))
    else:
        closer, other = (car, pole) if how == "car" else (pole, car)
        commit(ledger, api.settle(Channel(terms, closer.key) if stale else closer))
        commit(ledger, api.challenge(other, ledger))
        blocks(ledger, 2)
        commit(ledger, [api.settle_after_period(other, ledger)])
    assert T.channel_record(ledger, terms.channel_id)["status"] == "settled"
    balance_b = deposit_b + paid[A] - paid[B]
    assert ledger.balance(B) == 50_000 - deposit_b + balance_b
    assert ledger.balance(A) == 100_000 - deposit_a + deposit_a + deposit_b - balance_b
    assert ledger.total_value()["total"] == supply and T.locked_in_channels(ledger) == 0
    assert ledger.balance(escrow_account(terms.channel_id)) == 0
