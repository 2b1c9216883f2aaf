"""Packet ↔ payment synchronisation: a pure, event-driven state machine per party (no threads, no clock).

Each party keeps its **position**: value it has given (energy supplied + money
paid) minus value it has got (energy metered + payments received), all in base
units.  A positive position is that party's credit exposure: energy delivered and
not yet paid (the supplier's risk) or money paid for energy not yet delivered
(the consumer's risk).  Two rules keep it at most one packet:

* a supplier releases the next packet only if its position after the release is
  at most ``release_allowance`` — one packet when paying after delivery (the
  default), zero when the consumer pays ahead;
* a consumer pays what it owes, plus one packet when paying ahead, and never more.

Everything else — messages lost, duplicated or delayed, price signals arriving at
different times on the two sides, the energy direction reversing mid-session
(vehicle-to-grid) — only lowers a position or waits.  Each packet names the
signed price signal it was released under; the consumer checks that signal
before it counts the packet, so both sides price every packet alike.

Events (methods) take ``now`` where time matters and never block:
``adopt(signal, now)``, ``release(now)`` (supplier; returns a ``Packet`` or None),
``meter(packet, now)`` (consumer), ``payment_due()`` / ``paid(amount)`` (payer),
``received(amount)`` (payee).
"""
from __future__ import annotations

from dataclasses import dataclass

from zkescrow.errors import ChannelError, ZkEscrowError

from .pricing import CHARGE, PriceSignal


@dataclass(frozen=True)
class Packet:
    """One energy packet: sequence number, size, direction and the price signal it is priced by."""

    seq: int
    wh: int
    signal: PriceSignal

    @property
    def price(self) -> int:
        return self.signal.price_per_wh * self.wh

    @property
    def direction(self) -> int:
        return self.signal.direction

    def to_json(self) -> dict:
        return {"seq": self.seq, "wh": self.wh, "signal": self.signal.to_json()}

    @classmethod
    def from_json(cls, obj: dict) -> "Packet":
        return cls(int(obj["seq"]), int(obj["wh"]), PriceSignal.from_json(obj["signal"]))


class StreamController:
    """One party's side (``is_a``: party A, the car) of a metered stream over a channel."""

    def __init__(self, is_a: bool, *, grid_key: str, packet_wh: int, pay_ahead: bool = False,
                 max_packets: int | None = None):
        if packet_wh <= 0:
            raise ChannelError("packets hold a positive number of Wh")
        self.is_a = is_a
        self.grid_key = grid_key
        self.packet_wh = packet_wh
        self.pay_ahead = pay_ahead
        self.max_packets = max_packets
        self.signal: PriceSignal | None = None
        self.supplied = self.metered = self.paid_out = self.paid_in = 0      # base units
        self.wh_supplied = self.wh_metered = 0
        self.released = 0            # packets this party released
        self.metered_seqs: set[int] = set()
        self.stopped = False

    # --- position -----------------------------------------------------------------------------

    @property
    def position(self) -> int:
        return self.supplied + self.paid_out - self.metered - self.paid_in

    @property
    def exposure(self) -> int:
        """Value this party has given and not got back (≥ 0)."""
        return max(0, self.position)

    @property
    def price(self) -> int:
        """The price of the next packet under the adopted signal (0 before any)."""
        return 0 if self.signal is None else self.signal.price_per_wh * self.packet_wh

    def supplies(self, direction: int) -> bool:
        """Direction 0 (charge): B supplies A; 1 (feed-in): A supplies B."""
        return (direction == CHARGE) != self.is_a

    # --- events ---------------------------------------------------------------------------------

    def adopt(self, signal: PriceSignal, now: int) -> bool:
        """Take a newer valid price signal; False (nothing changes) if it is older, foreign or out of its window."""
        try:
            signal.verify(self.grid_key, now)
        except ZkEscrowError:
            return False
        if self.signal is not None and signal.seq <= self.signal.seq:
            return False
        self.signal = signal
        return True

    def can_release(self, now: int) -> bool:
        if self.stopped or self.signal is None or not self.supplies(self.signal.direction):
            return False
        if self.max_packets is not None and self.released >= self.max_packets:
            return False
        if not self.signal.valid_from <= now < self.signal.valid_until:
            return False
        allowance = 0 if self.pay_ahead else self.price
        return self.position + self.price <= allowance

    def release(self, now: int) -> Packet | None:
        """Supplier: release the next packet if the rules allow it (its value counts as given)."""
        if not self.can_release(now):
            return None
        self.released += 1
        packet = Packet(self.released, self.packet_wh, self.signal)
        self.supplied += packet.price
        self.wh_supplied += packet.wh
        return packet

    def meter(self, packet: Packet, now: int) -> int:
        """Consumer: count a delivered packet priced by a signal valid at ``now``; returns its price."""
        if self.supplies(packet.direction):
            raise ChannelError(f"packet {packet.seq} flows from this party, not to it")
        key = (packet.direction, packet.seq)
        if key in self.metered_seqs:
            raise ChannelError(f"packet {packet.seq} was already metered")
        try:
            packet.signal.verify(self.grid_key, now)
        except ZkEscrowError as exc:
            raise ChannelError(f"packet {packet.seq} is priced by an invalid signal: {exc}") from None
        if packet.wh != self.packet_wh:
            raise ChannelError(f"packet {packet.seq} holds {packet.wh} Wh, not the agreed {self.packet_wh}")
        self.metered_seqs.add(key)
        self.metered += packet.price
        self.wh_metered += packet.wh
        return packet.price

    def payment_due(self) -> int:
        """What to pay now: what this party owes, plus one packet ahead when paying ahead as the consumer.

        The current supplier pays nothing (it owes energy); after ``stop`` a party pays only what it owes.
        """
        owed = -self.position
        if not self.stopped and self.signal is not None:
            if self.supplies(self.signal.direction):
                return 0                  # the current supplier settles in energy
            if self.pay_ahead:
                owed += self.price
        return max(0, owed)

    def paid(self, amount: int) -> None:
        """Payer: ``amount`` was signed over to the peer (counts as given as soon as it leaves)."""
        if amount <= 0 or amount > self.payment_due():
            raise ChannelError(f"payment of {amount} is not due (due: {self.payment_due()})")
        self.paid_out += amount

    def received(self, amount: int) -> None:
        """Payee: a verified payment of ``amount`` arrived (``Channel.receive``)."""
        if amount <= 0:
            raise ChannelError("a received payment is positive")
        self.paid_in += amount

    def stop(self) -> None:
        """No further releases or payments (end of session, deposit exhausted, peer unresponsive)."""
        self.stopped = True

    def status(self) -> dict:
        return {"released": self.released, "metered_packets": len(self.metered_seqs), "wh_in": self.wh_metered,
                "wh_out": self.wh_supplied, "paid_out": self.paid_out, "paid_in": self.paid_in,
                "exposure": self.exposure, "price": self.price}
