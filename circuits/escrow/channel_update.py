"""channel_update: a Pedersen-committed channel balance moves by k packets at the agreed price.

A channel is fixed at opening by ``channel_id = H(CHANNEL, deposit, price, salt)``;
its state after each update is ``C = paid·G + blind·H`` (Baby Jubjub Pedersen),
where ``paid`` is the cumulative amount the payer has paid the payee.

Public:  channel_id, nonce_old, nonce_new, c_old (x, y), c_new (x, y)
Private: deposit, price, salt, paid_old, blind_old, paid_new, blind_new, packets, direction

Statement: channel_id opens to (deposit, price, salt); c_old opens to paid_old and
c_new to paid_new; paid_new = paid_old ± packets·price (direction 1: the payee pays
the payer back, as a pole pays a car for energy fed into the grid);
0 ≤ paid_new ≤ deposit; nonce_new = nonce_old + 1.  The ledger sees only
commitments, the channel id and nonces — never an amount.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.crypto.pedersen import commit
from circuits.domains import Domain
from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.bits import range_check
from circuits.gadgets.pedersen import value_commitment
from circuits.gadgets.poseidon import poseidon
from circuits.notes import check_value
from circuits.crypto.poseidon import poseidon as poseidon_native
from zkescrow.errors import WitnessError

PACKET_BITS = PRICE_BITS = 32


def channel_id(deposit: int, price: int, salt: int) -> int:
    """channel_id = H(CHANNEL, deposit, price per packet, salt)."""
    return poseidon_native([Domain.CHANNEL, deposit, price, salt])


class ChannelUpdate(Circuit):
    """Move the committed balance of ``channel_id`` from ``c_old`` to ``c_new`` by k packets at the agreed price."""

    channel_id = Public()
    nonce_old = Public()
    nonce_new = Public()
    c_old = Public(n=2)
    c_new = Public(n=2)

    deposit = Private()
    price = Private()
    salt = Private()
    paid_old = Private()
    blind_old = Private()
    paid_new = Private()
    blind_new = Private()
    packets = Private()
    direction = Private()

    def define(self, cs):
        with cs.scope("ChannelTerms"):
            cs.assert_equal(poseidon(cs, Domain.CHANNEL, self.deposit, self.price, self.salt), self.channel_id)
            range_check(cs, self.deposit, 64)
            range_check(cs, self.price, PRICE_BITS)
        with cs.scope("Nonce"):
            cs.assert_equal(self.nonce_new, self.nonce_old + 1)
        for (cx, cy), paid, blind in ((self.c_old, self.paid_old, self.blind_old),
                                      (self.c_new, self.paid_new, self.blind_new)):
            x, y = value_commitment(cs, paid, blind)
            cs.assert_equal(x, cx)
            cs.assert_equal(y, cy)
        with cs.scope("Step"):
            cs.assert_bool(self.direction)
            range_check(cs, self.packets, PACKET_BITS)
            amount = cs.mul(self.packets, self.price)
            signed = amount - cs.mul(self.direction, amount).scale(2)
            cs.assert_equal(self.paid_new, self.paid_old + signed)
            range_check(cs, self.deposit - self.paid_new, 64)


@dataclass(frozen=True)
class ChannelState:
    """One committed channel state: ``paid`` so far, its blinding factor and the nonce."""

    paid: int
    blind: int
    nonce: int

    @property
    def commitment(self):
        return commit(self.paid, self.blind)


def channel_update_inputs(deposit: int, price: int, salt: int, old: ChannelState, new: ChannelState,
                          packets: int, direction: int = 0) -> dict:
    """Circuit inputs for moving ``old`` to ``new``; WitnessError says which rule the step breaks."""
    check_value(deposit, "deposit")
    if not 0 <= price < 1 << PRICE_BITS or not 0 <= packets < 1 << PACKET_BITS:
        raise WitnessError(f"price and packet count must fit in {PRICE_BITS} bits")
    if new.nonce != old.nonce + 1:
        raise WitnessError(f"nonce must increase by one: {old.nonce} -> {new.nonce}")
    step = packets * price * (-1 if direction else 1)
    if new.paid != old.paid + step:
        raise WitnessError(f"{packets} packets at {price} move the balance from {old.paid} to "
                           f"{old.paid + step}, not {new.paid}")
    if not 0 <= new.paid <= deposit:
        raise WitnessError(f"paid amount {new.paid} is outside [0, deposit {deposit}]")
    c_old, c_new = old.commitment, new.commitment
    return {"channel_id": channel_id(deposit, price, salt), "nonce_old": old.nonce, "nonce_new": new.nonce,
            "c_old": [int(c_old.x), int(c_old.y)], "c_new": [int(c_new.x), int(c_new.y)],
            "deposit": deposit, "price": price, "salt": salt, "paid_old": old.paid, "blind_old": old.blind,
            "paid_new": new.paid, "blind_new": new.blind, "packets": packets, "direction": direction}
