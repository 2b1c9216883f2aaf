"""The closing message: a party's signed consent to end the channel at final counters, and terminal for it.

A party that signs a closing message freezes its ``Channel`` at the co-signed
counters it holds (``Channel.freeze``): from then on it pays, countersigns and
takes receipts no more (``ChannelClosed``).  So the counters a party has
closing-signed are the highest it will ever countersign, and the peer cannot
obtain a closing signature, keep paying and later settle at the old counters:
the later payments are refused.  Signing again (e.g. after a bound expired)
signs the same frozen counters.

The message (canonical JSON bytes, ``type`` "closing") carries the channel id,
both final counters with their nonces (for the peer only), ``valid_until`` (the
last ledger height at which the ledger settles the close at once; see
``adjudicator``), the signer and its Ed25519 signature over
``proofs.closing_message``, which binds the counters by their hash and names only
what settlement needs, so a fresh close puts no nonce on the ledger.  A receiver parses it
with ``Closing.from_bytes`` and the ledger judges the signatures.
"""
from __future__ import annotations

from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from zkescrow.errors import MalformedInput
from zkescrow.ledger.codec import canonical

from .proofs import _hex, _int, _load, closing_message
from .state import Channel, parse_state

#: blocks a closing signature stays good for an immediate settlement, by default: an honest peer submits the
#: close in the next block; a stale one past its bound only opens the challenge period
CLOSE_VALIDITY = 6


@dataclass(frozen=True)
class Closing:
    """One party's signed closing message: final counters ``states`` {"a", "b"} of ``channel_id``."""

    channel_id: str
    states: dict
    valid_until: int | None
    signer: str
    signature: str

    def message(self) -> bytes:
        return closing_message(self.channel_id, self.states["a"], self.states["b"], self.valid_until)

    def same_close(self, other: "Closing") -> bool:
        """Whether ``other`` closes the same channel at the same counters with the same bound."""
        return self.message() == other.message()

    def signed_by(self, address: str) -> bool:
        if address != self.signer:
            return False
        try:
            VerifyKey(bytes.fromhex(address)).verify(self.message(), bytes.fromhex(self.signature))
        except (BadSignatureError, ValueError):
            return False
        return True

    def to_json(self) -> dict:
        return {"type": "closing", "channel_id": self.channel_id, "valid_until": self.valid_until,
                "states": {side: state.to_json() for side, state in self.states.items()},
                "signer": self.signer, "signature": self.signature}

    def to_bytes(self) -> bytes:
        return canonical(self.to_json())

    @classmethod
    def from_bytes(cls, data) -> "Closing":
        obj = _load(data)
        if obj.get("type") != "closing":
            raise MalformedInput("not a closing message")
        states = obj.get("states")
        if not isinstance(states, dict) or set(states) != {"a", "b"}:
            raise MalformedInput("a closing message holds the final counters of a and b")
        valid_until = None if obj.get("valid_until") is None else _int(obj, "valid_until")
        return cls(_hex(obj, "channel_id"), {side: parse_state(states[side]) for side in ("a", "b")}, valid_until,
                   _hex(obj, "signer"), _hex(obj, "signature", 128))


def sign_closing(channel: Channel, valid_until: int | None) -> Closing:
    """Freeze ``channel`` (terminal) and sign its final co-signed counters, good at once until ``valid_until``."""
    if valid_until is not None:
        _int({"valid_until": valid_until}, "valid_until")
    final = channel.freeze()
    terms = channel.terms
    states = {"a": final[terms.party_a], "b": final[terms.party_b]}
    message = closing_message(terms.channel_id, states["a"], states["b"], valid_until)
    return Closing(terms.channel_id, states, valid_until, channel.address, channel.key.sign(message).signature.hex())
