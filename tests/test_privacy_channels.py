"""What a channel leaves on the public ledger (issue 13, leak 6), read the way an observer reads it.

Both parties use one-time channel keys and A funds its deposit from shielded
notes, so no transaction names a party's long-term account; the deposit is a
denomination, not price × (packets + 1); a fresh cooperative close posts no
counter, nonce or packet count (the closing signatures bind the counters by a
hash, revealed only in a dispute).  Scans every public transaction body.
"""
import secrets

import pytest
from nacl.signing import SigningKey

from zkescrow.channel import api
from zkescrow.channel import transactions as T
from zkescrow.channel.funding import DENOMINATIONS, deposit_for, open_from_notes_transaction
from zkescrow.channel.proofs import address_of
from zkescrow.channel.state import Channel
from zkescrow.channel.terms import ChannelTerms
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.proofs import CircuitKeys
from zkescrow.ledger.transactions import Transaction

from test_channel_shielded import shared_keys_dir

PRICE = 5_000                  # one 10 Wh packet at 500 µEUR/Wh
PACKETS = 37
WALLET_CAR, WALLET_POLE = WalletKeys.generate(), WalletKeys.generate()
POLE_LONG_TERM = SigningKey.generate()              # the pole's registered, long-term key
LONG_TERM = {WALLET_CAR.address, WALLET_POLE.address, address_of(POLE_LONG_TERM)}
EXT = ("channel",)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return CircuitKeys(shared_keys_dir(tmp_path_factory), depth=4)


def leaves(obj):
    """Every key and scalar of a JSON value."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from leaves(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from leaves(value)
    else:
        yield obj


def commit(ledger, txs):
    for tx in txs:
        ledger.submit(tx)
    return ledger.commit_block()


def pay_packets(car, pole, n):
    for _ in range(n):
        verified = api.verify_update(pole, api.make_update(car, PRICE))
        api.accept_receipt(car, verified.receipt)


def open_one_time(ledger, keys, *, shielded: bool):
    """Both parties make a key for this channel; the car funds a denominated deposit from its notes."""
    from zkescrow.ledger.wallet import Wallet
    wallet = Wallet(WALLET_CAR, ledger, keys)
    assert commit(ledger, [wallet.shield(1_000_000)]).rejected == []
    wallet.scan()
    car_key, pole_key = api.one_time_key(), api.one_time_key()
    deposit = deposit_for(PRICE * (PACKETS + 1))
    open_nonce = secrets.randbits(62)
    terms = ChannelTerms.new(address_of(car_key), address_of(pole_key), open_nonce, deposit, shielded=shielded,
                             unit=PRICE, owner_a=WALLET_CAR.owner, owner_b=WALLET_POLE.owner, challenge_period=3,
                             chain_id=ledger.chain_id)
    assert commit(ledger, [open_from_notes_transaction(terms, open_nonce, wallet, pole_key)]).rejected == []
    car = Channel(terms, car_key, prover=keys, one_time=True)
    pole = Channel(terms, pole_key, prover=keys, one_time=True)
    return terms, car, pole


@pytest.mark.slow
@pytest.mark.parametrize("shielded", [True, False], ids=["shielded", "signed"])
def test_one_time_channel_leaves_no_identity_nonce_or_packet_count(tmp_path, keys, shielded):
    ledger = Ledger.create(tmp_path / "ledger", {WALLET_CAR.address: 1_000_000}, depth=4, keys=keys,
                           extensions=EXT)
    terms, car, pole = open_one_time(ledger, keys, shielded=shielded)
    assert terms.deposit_a in DENOMINATIONS and terms.deposit_a != PRICE * (PACKETS + 1)
    pay_packets(car, pole, PACKETS)
    assert car.mine.cosigned.nonce == PACKETS
    api.save_channel(car, tmp_path / "car.json")                       # the one-time key lives in the file
    car = api.load_channel(tmp_path / "car.json", prover=keys)
    assert car.address == terms.party_a and car.one_time
    recipients = (WALLET_CAR.payment_address.viewing_public, WALLET_POLE.payment_address.viewing_public)
    txs = api.settle(car, ledger=ledger, peer_signature=api.closing_signature(pole, ledger), prover=keys,
                     recipients=recipients)
    assert [tx.kind for tx in txs] == (["channel_cooperative_close", "channel_settle_shielded"] if shielded
                                       else ["channel_cooperative_close"])
    result = commit(ledger, txs)
    assert result.rejected == []

    shield = [tx for tx in ledger.transactions() if tx["kind"] == "shield"]
    assert WALLET_CAR.address in repr(shield)                            # the scan sees an address that is there
    public = [tx for tx in ledger.transactions() if tx["kind"].startswith("channel_")]
    assert [tx["kind"] for tx in public][0] == "channel_open_from_notes"
    for tx in public:                                                   # no long-term identity anywhere
        text = tx["body"] if isinstance(tx["body"], str) else repr(tx["body"])
        assert not any(address in text for address in LONG_TERM), tx["kind"]
    import json
    closing = [json.loads(tx["body"]) if isinstance(tx["body"], str) else tx["body"] for tx in public[1:]]
    for body in closing:                                                # no nonce, counter or packet count
        found = set(map(str, leaves(body)))
        assert not found & {"nonce", "nonce_a", "nonce_b", "states", "state", "step", str(PACKETS)}, found
    record = T.channel_record(ledger, terms.channel_id)
    assert record["status"] == "settled" and (record["nonce_a"], record["nonce_b"]) == (0, 0)
    assert {record["party_a"], record["party_b"]} == {terms.party_a, terms.party_b}
    assert not {record["party_a"], record["party_b"]} & LONG_TERM
    if shielded:                                                       # the payout went into notes
        from zkescrow.ledger.wallet import Wallet
        pole_wallet = Wallet(WALLET_POLE, ledger, keys)
        pole_wallet.scan()
        assert pole_wallet.balance() == PACKETS * PRICE
    else:                                                              # …or to the pole's one-time address
        assert ledger.balance(terms.party_b) == PACKETS * PRICE
        assert ledger.balance(WALLET_POLE.address) == 0


def test_deposits_come_from_the_denomination_set():
    assert DENOMINATIONS[:4] == (100, 200, 400, 800) and DENOMINATIONS[-1] < 1 << 64
    for need in (0, 1, 100, 101, 190_000, 204_800, 204_801, 10**12):
        deposit = deposit_for(need)
        assert deposit in DENOMINATIONS and deposit >= need
        assert deposit == DENOMINATIONS[0] or deposit // 2 < need      # the smallest that covers it


def test_demo_deposit_is_a_denomination_not_price_times_packets(tmp_path):
    from zkescrow.channel.demo import run_channel_demo
    summary = run_channel_demo(tmp_path, v2g=False, price_signal_path=None, out=open(tmp_path / "log", "w"),
                               packets=12)
    assert summary["deposit_a"] in DENOMINATIONS and summary["deposit_a"] != PRICE * 13
    bodies = [tx for tx in Ledger(tmp_path / "channel-demo").transactions() if tx["kind"].startswith("channel_c")]
    assert bodies and all("12" not in map(str, leaves(_body(tx))) for tx in bodies)


def _body(tx):
    import json
    return json.loads(tx["body"]) if isinstance(tx["body"], str) else tx["body"]


def _signed_channel(tmp_path):
    car_key, pole_key = api.one_time_key(), api.one_time_key()
    car_addr, pole_addr = address_of(car_key), address_of(pole_key)
    ledger = Ledger.create(tmp_path / "ledger", {car_addr: 1_000_000}, depth=4, extensions=EXT)
    terms = api.new_channel(car_key, pole_addr, 0, deposit_for(10 * PRICE), challenge_period=3,
                            chain_id=ledger.chain_id)
    assert commit(ledger, [api.open_transaction(terms, car_key, 0)]).rejected == []
    return ledger, terms, Channel(terms, car_key, one_time=True), Channel(terms, pole_key, one_time=True)


def test_a_close_without_counters_is_refused_once_the_ledger_holds_counters(tmp_path):
    """A dispute needs the nonces: after a checkpoint counter (or past the bound) the close must reveal them."""
    ledger, terms, car, pole = _signed_channel(tmp_path)
    pay_packets(car, pole, 2)
    checkpoint = T.counter_transactions(car, T.channel_record(ledger, terms.channel_id))
    closing = api.closing_signature(pole, ledger)
    lean = api.settle(car, ledger=ledger, peer_signature=closing)[0]    # built before the checkpoint landed
    assert "state_hash" in lean.body and "states" not in lean.body
    assert commit(ledger, checkpoint).rejected == []
    assert "must reveal" in commit(ledger, [lean]).rejected[0][1]
    revealed = api.settle(car, ledger=ledger, peer_signature=closing)
    assert "states" in revealed[0].body and commit(ledger, revealed).rejected == []
    assert ledger.balance(terms.party_b) == 2 * PRICE


def test_a_stale_close_without_counters_is_refused(tmp_path):
    ledger, terms, car, pole = _signed_channel(tmp_path)
    pay_packets(car, pole, 1)
    closing = api.closing_signature(pole, ledger, valid_until=ledger.height + 1)
    lean = api.settle(car, ledger=ledger, peer_signature=closing)[0]
    for _ in range(2):
        ledger.commit_block()
    assert "must reveal" in commit(ledger, [Transaction(lean.kind, lean.body)]).rejected[0][1]
    stale = api.settle(car, ledger=ledger, peer_signature=closing)      # the dispute path: challenge period
    assert "states" in stale[0].body and commit(ledger, stale).rejected == []
    assert T.channel_record(ledger, terms.channel_id)["status"] == "closing"
