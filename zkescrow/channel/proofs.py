"""Balance proofs: the states two channel parties sign, in two kinds.

A channel between party A (the opener, e.g. a car) and party B (e.g. a charging
pole) holds ``total = deposit_a + deposit_b``.  As in Raiden, each party has its
own cumulative, monotone counter ``transferred`` (everything it has paid the
other so far) with its own strictly increasing ``nonce``; only its owner raises
it, so both parties can pay at once (vehicle-to-grid reverses the direction in a
session) without ever forking a state.  At settlement B receives

    balance = deposit_b + transferred_a − transferred_b      and A receives total − balance.

The payer signs its new counter; the payee checks it and countersigns it (the
receipt), so every counter the ledger accepts is **co-signed**: both parties
checked it keeps the balance in [0, total].  On the ledger the highest nonce of
each counter wins.

``BalanceProof`` (signed, µRaiden-style, one per packet)::

    message = DOMAIN ‖ canonical({"channel": id, "sender": S, "nonce": n, "transferred": t})

``ShieldedBalanceProof`` (Pedersen-committed) signs a commitment instead::

    C = transferred·G + blind·H   (Baby Jubjub, circuits.crypto.pedersen)
    message = SHIELDED_DOMAIN ‖ canonical({"channel": id, "sender": S, "nonce": n, "commitment": [C.x, C.y]})

so a ledger that sees it learns the channel id, the nonce and a point — never an
amount.  The opening travels only between the two parties (``Opening``), and a
``StepProof`` (Groth16, circuit ``channel_update``) shows that a counter's
commitment moved up by a whole number of price units and stays within the total.
The combined commitment deposit_b·G + C_a − C_b opens to B's balance.

Signatures are collected in ``signatures`` (address → hex).  Everything
serialises to canonical JSON bytes (``to_bytes``/``from_bytes``) so any
transport can carry it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from circuits.crypto.babyjub import Point
from circuits.crypto.pedersen import commit
from zkescrow.errors import ChannelError, InvalidSignature, MalformedInput
from zkescrow.ledger.codec import canonical

DOMAIN = b"zkescrow-channel-v1/balance-proof\x00"
SHIELDED_DOMAIN = b"zkescrow-channel-v1/shielded-balance-proof\x00"
CLOSING_DOMAIN = b"zkescrow-channel-v1/cooperative-close\x00"
CLOSING_STATE_DOMAIN = b"zkescrow-channel-v1/closing-state\x00"
OPEN_DOMAIN = b"zkescrow-channel-v1/open\x00"
MAX_AMOUNT = (1 << 64) - 1


def address_of(key: SigningKey | VerifyKey) -> str:
    """A party's address: its Ed25519 public key in hex (as on the ledger)."""
    verify_key = key.verify_key if isinstance(key, SigningKey) else key
    return bytes(verify_key).hex()


def _int(obj: dict, name: str, high: int = MAX_AMOUNT) -> int:
    value = obj.get(name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise MalformedInput(f"{name} must be an integer in [0, {high}], got {value!r}")
    return value


_HEX = {64: re.compile(r"[0-9a-f]{64}"), 128: re.compile(r"[0-9a-f]{128}")}


def _hex(obj: dict, name: str, length: int = 64) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not _HEX[length].fullmatch(value):
        raise MalformedInput(f"{name} must be {length} lowercase hex digits, got {value!r}")
    return value


def _load(data) -> dict:
    if isinstance(data, (bytes, bytearray, str)):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedInput(f"channel message is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedInput("a channel message is a JSON object")
    return data


def _signatures(obj: dict) -> tuple:
    sigs = obj.get("signatures", {})
    if not isinstance(sigs, dict):
        raise MalformedInput("signatures must be an object {address: signature hex}")
    return tuple(sorted((_hex({"a": a}, "a"), _hex({"s": s}, "s", 128)) for a, s in sigs.items()))


class _Signed:
    """Signing and checking shared by both kinds (subclasses define ``message``)."""

    signatures: tuple

    def signed(self, key: SigningKey):
        """This state with ``key``'s signature added."""
        sig = key.sign(self.message()).signature.hex()
        sigs = dict(self.signatures)
        sigs[address_of(key)] = sig
        return replace(self, signatures=tuple(sorted(sigs.items())))

    def signed_by(self, address: str) -> bool:
        """Whether ``address`` signed exactly this state."""
        sig = dict(self.signatures).get(address)
        if sig is None:
            return False
        try:
            VerifyKey(bytes.fromhex(address)).verify(self.message(), bytes.fromhex(sig))
        except (BadSignatureError, ValueError):
            return False
        return True

    def require_signed_by(self, address: str) -> None:
        if not self.signed_by(address):
            raise InvalidSignature(f"{type(self).__name__} nonce {self.nonce} is not signed by {address[:16]}…")

    def to_bytes(self) -> bytes:
        return canonical(self.to_json())


@dataclass(frozen=True)
class BalanceProof(_Signed):
    """A signed counter: ``sender`` has paid ``transferred`` in total after ``nonce`` payments on ``channel_id``."""

    channel_id: str
    sender: str
    nonce: int
    transferred: int
    signatures: tuple = field(default=(), compare=False)

    def __post_init__(self):
        _hex({"c": self.channel_id}, "c")
        _hex({"s": self.sender}, "s")
        _int({"nonce": self.nonce}, "nonce")
        _int({"transferred": self.transferred}, "transferred")

    def message(self) -> bytes:
        return DOMAIN + canonical({"channel": self.channel_id, "sender": self.sender, "nonce": self.nonce,
                                   "transferred": self.transferred})

    def to_json(self) -> dict:
        return {"kind": "signed", "channel_id": self.channel_id, "sender": self.sender, "nonce": self.nonce,
                "transferred": self.transferred, "signatures": dict(self.signatures)}

    @classmethod
    def from_json(cls, data) -> "BalanceProof":
        obj = _load(data)
        if obj.get("kind", "signed") != "signed":
            raise MalformedInput("not a signed balance proof")
        return cls(_hex(obj, "channel_id"), _hex(obj, "sender"), _int(obj, "nonce"), _int(obj, "transferred"),
                   _signatures(obj))

    from_bytes = from_json


@dataclass(frozen=True)
class ShieldedBalanceProof(_Signed):
    """A signed committed counter: Pedersen ``commitment`` (x, y) to what ``sender`` has paid after ``nonce``."""

    channel_id: str
    sender: str
    nonce: int
    commitment: tuple
    signatures: tuple = field(default=(), compare=False)

    def __post_init__(self):
        _hex({"c": self.channel_id}, "c")
        _hex({"s": self.sender}, "s")
        _int({"nonce": self.nonce}, "nonce")
        if not isinstance(self.commitment, tuple) or len(self.commitment) != 2:
            raise MalformedInput("a commitment is a pair (x, y)")
        object.__setattr__(self, "commitment", tuple(int(c) for c in self.commitment))

    @property
    def point(self) -> Point:
        return Point(*self.commitment)

    def message(self) -> bytes:
        return SHIELDED_DOMAIN + canonical({"channel": self.channel_id, "sender": self.sender, "nonce": self.nonce,
                                            "commitment": [str(c) for c in self.commitment]})

    def opens_to(self, opening: "Opening") -> bool:
        return commit(opening.value, opening.blind) == self.point

    def to_json(self) -> dict:
        return {"kind": "shielded", "channel_id": self.channel_id, "sender": self.sender, "nonce": self.nonce,
                "commitment": [str(c) for c in self.commitment], "signatures": dict(self.signatures)}

    @classmethod
    def from_json(cls, data, *, check_subgroup: bool = True) -> "ShieldedBalanceProof":
        """Parse; ``check_subgroup=False`` only where the caller then checks an opening (which implies it)."""
        obj = _load(data)
        if obj.get("kind") != "shielded":
            raise MalformedInput("not a shielded balance proof")
        cm = obj.get("commitment")
        if not isinstance(cm, list) or len(cm) != 2:
            raise MalformedInput("commitment must be [x, y]")
        from zkescrow.bn254.constants import R
        point = tuple(_int({"c": c}, "c", int(R) - 1) for c in cm)
        if not Point(*point).is_on_curve() or (check_subgroup and not Point(*point).in_subgroup()):
            raise MalformedInput("the commitment is not a point of the Baby Jubjub prime-order subgroup")
        return cls(_hex(obj, "channel_id"), _hex(obj, "sender"), _int(obj, "nonce"), point, _signatures(obj))

    from_bytes = from_json


@dataclass(frozen=True)
class Opening:
    """The secret opening of a committed counter: ``value`` and blinding factor (only the two parties know it)."""

    value: int
    blind: int

    def commitment(self) -> tuple:
        point = commit(self.value, self.blind)
        return int(point.x), int(point.y)

    def to_json(self) -> dict:
        return {"value": self.value, "blind": str(self.blind)}

    @classmethod
    def from_json(cls, obj) -> "Opening":
        from circuits.crypto.babyjub import SUBORDER
        if not isinstance(obj, dict):
            raise MalformedInput("an opening is {value, blind}")
        return cls(_int(obj, "value"), _int(obj, "blind", int(SUBORDER) - 1))


@dataclass(frozen=True)
class StepProof:
    """A Groth16 ``channel_update`` proof: counter commitment ``c_old`` at ``step_old`` moved to ``c_new``.

    ``terms_id`` = H(CHANNEL, total, unit, salt) binds the proof to one channel's
    total and price unit.  Steps count proofs along one chain of commitments of one
    counter (the circuit's nonce_old → nonce_new); they are not the per-packet nonces.
    """

    terms_id: int
    step_old: int
    c_old: tuple
    c_new: tuple
    proof: dict

    @property
    def public_signals(self) -> list[int]:
        return [self.terms_id, self.step_old, self.step_old + 1, *self.c_old, *self.c_new]

    def to_json(self) -> dict:
        return {"terms_id": str(self.terms_id), "step_old": self.step_old,
                "c_old": [str(c) for c in self.c_old], "c_new": [str(c) for c in self.c_new], "proof": self.proof}

    @classmethod
    def from_json(cls, data) -> "StepProof":
        from zkescrow.bn254.constants import R
        obj = _load(data)
        pair = []
        for name in ("c_old", "c_new"):
            value = obj.get(name)
            if not isinstance(value, list) or len(value) != 2:
                raise MalformedInput(f"{name} must be [x, y]")
            pair.append(tuple(_int({"c": c}, "c", int(R) - 1) for c in value))
        if not isinstance(obj.get("proof"), dict):
            raise MalformedInput("proof must be a snarkjs proof object")
        return cls(_int(obj, "terms_id", int(R) - 1), _int(obj, "step_old"), pair[0], pair[1], obj["proof"])


def closing_state_hash(counter_a, counter_b) -> str:
    """SHA-256 of both final co-signed counters, signatures included (hex): what a closing message binds
    instead of the nonces.

    The co-signatures are secret until a counter is posted (a dispute), so nobody
    who has not seen the counters can test a guess of the nonces (the packet count)
    against the hash; in a dispute the counters are revealed and must hash to it.
    """
    import hashlib
    return hashlib.sha256(CLOSING_STATE_DOMAIN + canonical({"a": counter_a.to_json(),
                                                            "b": counter_b.to_json()})).hexdigest()


def closing_settlement(counter_a, counter_b) -> dict:
    """What the ledger needs to settle a cooperative close at once, and no more: for signed counters the
    net amount A paid B (``net`` = transferred_a − transferred_b; the payout makes the split public anyway),
    for shielded ones the two final commitments."""
    if isinstance(counter_a, ShieldedBalanceProof):
        return {"c_a": [str(c) for c in counter_a.commitment], "c_b": [str(c) for c in counter_b.commitment]}
    return {"net": counter_a.transferred - counter_b.transferred}


def closing_message_for(channel_id: str, state_hash: str, settlement: dict, valid_until: int | None) -> bytes:
    """The closing message from its parts (how the ledger rebuilds it from a close that reveals no counter)."""
    return CLOSING_DOMAIN + canonical({"channel": channel_id, "state": state_hash, "settle": settlement,
                                       "valid_until": valid_until})


def closing_message(channel_id: str, counter_a, counter_b, valid_until: int | None = None) -> bytes:
    """What both parties sign to end the channel at these two final counters (cooperative close).

    It names the channel, the hash of both final co-signed counters
    (``closing_state_hash``: their nonces stay off the ledger unless a dispute
    reveals them), what settlement needs (``closing_settlement``) and
    ``valid_until``: the last ledger height at which the close may settle at once
    (``None``: never at once, it waits out the challenge period).
    """
    return closing_message_for(channel_id, closing_state_hash(counter_a, counter_b),
                               closing_settlement(counter_a, counter_b), valid_until)


def require(condition: bool, reason: str) -> None:
    """Raise ChannelError(reason) unless ``condition``."""
    if not condition:
        raise ChannelError(reason)
