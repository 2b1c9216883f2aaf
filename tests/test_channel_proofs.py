"""Signed balance proofs and price signals: the documented byte layout, checked with pyca/cryptography's
Ed25519 (an implementation other than the pynacl one that signs), and every way a receiver refuses an update."""
import json

import pytest
from cryptography.exceptions import InvalidSignature as CryptographyInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.signing import SigningKey

from zkescrow.channel import api
from zkescrow.channel.pricing import PriceSignal
from zkescrow.channel.proofs import BalanceProof, address_of, closing_message
from zkescrow.channel.state import Channel
from zkescrow.channel.terms import channel_id_for
from zkescrow.errors import ChannelError, MalformedInput, Refused

CAR, POLE, OTHER = (SigningKey(bytes([i]) * 32) for i in (41, 42, 43))
A, B = address_of(CAR), address_of(POLE)


def pair(deposit_a=1_000, deposit_b=0, nonce=0):
    terms = api.new_channel(CAR, B, nonce, deposit_a, deposit_b)
    return Channel(terms, CAR), Channel(terms, POLE)


def canonical_by_hand(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def verify_with_cryptography(address: str, signature_hex: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(address)).verify(bytes.fromhex(signature_hex), message)
        return True
    except CryptographyInvalidSignature:
        return False


def test_signed_update_matches_the_documented_layout():
    car, pole = pair()
    update = json.loads(api.make_update(car, 120))
    state = update["state"]
    assert state["transferred"] == 120 and state["nonce"] == 1 and state["sender"] == A
    message = b"zkescrow-channel-v1/balance-proof\x00" + canonical_by_hand(
        {"channel": car.terms.channel_id, "sender": A, "nonce": 1, "transferred": 120})
    assert verify_with_cryptography(A, state["signatures"][A], message)
    assert not verify_with_cryptography(A, state["signatures"][A], message.replace(b"120", b"121"))
    receipt = json.loads(api.verify_update(pole, json.dumps(update).encode()).receipt)["state"]
    assert verify_with_cryptography(B, receipt["signatures"][B], message)          # countersigned: same bytes


def test_channel_id_follows_the_documented_formula():
    import hashlib
    chain = "cd" * 32
    expected = hashlib.sha256(canonical_by_hand({"a": A, "b": B, "nonce": 7, "chain": chain})).hexdigest()
    assert channel_id_for(A, B, 7, chain) == expected != channel_id_for(B, A, 7, chain)
    assert expected != channel_id_for(A, B, 7, "ce" * 32)           # another ledger: another channel


def test_closing_message_binds_both_counters():
    car, pole = pair()
    final = car.cosigned()
    m = closing_message(car.terms.channel_id, final[A], final[B])
    assert m != closing_message(car.terms.channel_id, final[B], final[A])
    assert m.startswith(b"zkescrow-channel-v1/cooperative-close\x00")


def test_replayed_or_stale_update_is_refused():
    car, pole = pair()
    first, second = api.make_update(car, 100), api.make_update(car, 100)
    assert api.verify_update(pole, second).amount == 200          # cumulative: a lost update costs nothing
    with pytest.raises(ChannelError, match="replay or stale"):
        api.verify_update(pole, first)
    again = api.verify_update(pole, second)                        # an exact resend: its receipt, no money
    assert again.amount == 0 and pole.transferred(A) == 200


def test_update_replayed_on_another_channel_is_refused():
    car, _ = pair(nonce=0)
    _, other_pole = pair(nonce=1)
    with pytest.raises(ChannelError, match="another channel"):
        api.verify_update(other_pole, api.make_update(car, 100))


@pytest.mark.parametrize("field, value, reason", [
    ("transferred", 999, "not signed"),
    ("nonce", 5, "not signed"),
    ("sender", B, "not the peer's counter"),
])
def test_tampered_update_is_refused(field, value, reason):
    car, pole = pair()
    update = json.loads(api.make_update(car, 100))
    update["state"][field] = value
    with pytest.raises(ChannelError, match=reason):
        api.verify_update(pole, json.dumps(update).encode())
    assert pole.transferred(A) == 0


def test_update_signed_by_a_stranger_is_refused():
    car, pole = pair()
    forged = BalanceProof(car.terms.channel_id, A, 1, 100).signed(OTHER)
    message = json.dumps({"type": "update", "channel_id": car.terms.channel_id, "state": forged.to_json()})
    with pytest.raises(ChannelError, match="not signed"):
        api.verify_update(pole, message.encode())


def test_payer_cannot_overspend_and_receiver_refuses_out_of_range_states():
    car, pole = pair(deposit_a=1_000)
    with pytest.raises(ChannelError, match="exceeds"):
        car.pay(1_001)
    forged = BalanceProof(car.terms.channel_id, A, 1, 1_500).signed(CAR)   # the car signs more than it has
    message = json.dumps({"type": "update", "channel_id": car.terms.channel_id, "state": forged.to_json()})
    with pytest.raises(ChannelError, match="outside"):
        api.verify_update(pole, message.encode())


def test_both_directions_pay_concurrently_without_a_fork():
    car, pole = pair(deposit_a=1_000, deposit_b=1_000)
    to_pole, to_car = api.make_update(car, 300), api.make_update(pole, 200)   # both sign before either hears
    ok_pole, ok_car = api.verify_update(pole, to_pole), api.verify_update(car, to_car)
    api.accept_receipt(car, ok_pole.receipt)
    api.accept_receipt(pole, ok_car.receipt)
    assert car.balance == pole.balance == 1_000 + 300 - 200
    assert car.cosigned()[A].nonce == pole.cosigned()[A].nonce == 1


def test_receipt_for_a_state_never_signed_is_refused():
    car, pole = pair()
    api.make_update(car, 100)
    fake = BalanceProof(car.terms.channel_id, A, 1, 900).signed(POLE)
    with pytest.raises(ChannelError, match="did not sign"):
        api.accept_receipt(car, json.dumps({"type": "receipt", "state": fake.to_json()}).encode())


def test_malformed_messages_are_malformed_input():
    car, pole = pair()
    for junk in (b"not json", b"[]", b'{"type": "update", "channel_id": "x", "state": {}}'):
        with pytest.raises((MalformedInput, ChannelError)):
            api.verify_update(pole, junk)


def test_price_signal_layout_and_window():
    grid = SigningKey(bytes([44]) * 32)
    signal = PriceSignal(address_of(grid), 3, 650, 1, 100, 200).signed(grid)
    message = b"zkescrow-channel-v1/price-signal\x00" + canonical_by_hand(
        {"issuer": address_of(grid), "seq": 3, "price_per_wh": 650, "direction": 1, "valid_from": 100,
         "valid_until": 200})
    assert verify_with_cryptography(address_of(grid), signal.signature, message)
    signal.verify(address_of(grid), 150)
    with pytest.raises(Refused, match="valid in"):
        signal.verify(address_of(grid), 200)
    tampered = PriceSignal(address_of(grid), 3, 1, 1, 100, 200, signal.signature)
    with pytest.raises(Exception, match="does not verify"):
        tampered.verify(address_of(grid), 150)
    assert PriceSignal.from_json(json.dumps(signal.to_json())) == signal
