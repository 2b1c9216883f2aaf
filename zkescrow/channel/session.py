"""A streaming party: a ``Channel`` wired to its ``StreamController``, speaking bytes in and bytes out.

``Party.poll(now)`` releases the next packet and/or pays what is due;
``Party.handle(message, now)`` consumes one message from the peer and returns the
answers; ``Party.resend()`` repeats the last packet and update (after a loss).
Nothing here blocks or sleeps, so a test or a simulator decides the interleaving,
and any transport can carry the messages.  Message types:

    packet   {"type": "packet", "packet": {seq, wh, signal}}   energy released (meter reading)
    update   Channel.pay                                       a payment (balance proof)
    receipt  Channel.receive                                   its countersignature
    signal   {"type": "signal", "signal": PriceSignal}         a price / direction change

A message that fails a check is dropped and recorded in ``rejected`` (reason); a
repeated update or packet is ignored.  Nothing a peer sends can raise.
"""
from __future__ import annotations

from zkescrow.errors import ChannelError, ZkEscrowError
from zkescrow.ledger.codec import canonical

from .controller import Packet, StreamController
from .pricing import PriceSignal
from .state import Channel, decode


def signal_message(signal: PriceSignal) -> bytes:
    return canonical({"type": "signal", "signal": signal.to_json()})


class Party:
    """One side of a metered stream over a channel (see the module docstring)."""

    def __init__(self, channel: Channel, controller: StreamController):
        if channel.is_a != controller.is_a:
            raise ChannelError("channel and controller belong to different parties")
        self.channel = channel
        self.controller = controller
        self.rejected: list[str] = []
        self.last_packet: bytes | None = None

    def poll(self, now: int) -> list[bytes]:
        """Release one packet if allowed and pay what is due; returns the messages to send."""
        out = []
        packet = self.controller.release(now)
        if packet is not None:
            self.last_packet = canonical({"type": "packet", "packet": packet.to_json()})
            out.append(self.last_packet)
        due = min(self.controller.payment_due(), self.channel.own_share)
        if due > 0 and not self.channel.closed:          # a party that signed a close pays no more
            out.append(self.channel.pay(due))
            self.controller.paid(due)
        return out

    def handle(self, message: bytes, now: int) -> list[bytes]:
        """Consume one message from the peer; returns the answers (a receipt for an update)."""
        try:
            msg = decode(message)
            kind = msg["type"]
            if kind == "packet":
                self.controller.meter(Packet.from_json(msg["packet"]), now)
                return []
            if kind == "update":
                return self._update(message)
            if kind == "receipt":
                self.channel.confirm(message)
                return []
            if kind == "signal":
                self.controller.adopt(PriceSignal.from_json(msg["signal"]), now)
                return []
            raise ChannelError(f"unknown message type {kind!r}")
        except (ZkEscrowError, KeyError, TypeError, ValueError) as exc:
            if "already metered" not in str(exc):
                self.rejected.append(f"{type(exc).__name__}: {exc}")
            return []

    def _update(self, message: bytes) -> list[bytes]:
        amount, receipt = self.channel.receive(message)
        if amount:
            self.controller.received(amount)
        return [receipt]

    def resend(self) -> list[bytes]:
        """The last packet and the last update again (cumulative, so a late copy never double-counts)."""
        return [m for m in (self.last_packet, self.channel.last_update) if m is not None]

    def status(self) -> dict:
        return {**self.controller.status(), "balance_b": self.channel.balance}
