"""Balance proofs: the states two channel parties sign, in two kinds.

A channel between party A (the opener, e.g. a car) and party B (e.g. a charging
pole) holds ``total = deposit_a + deposit_b``.  Its state is one number, the
**balance**: what B receives at settlement (A receives ``total − balance``).  It
starts at ``deposit_b``; A paying B raises it, B paying A lowers it (vehicle-to-grid).
Every state carries a strictly increasing ``nonce``; on the ledger the highest
nonce wins.

``BalanceProof`` (signed, µRaiden-style, one per packet)::

    message = DOMAIN ‖ canonical({"channel": id, "nonce": n, "balance": b})
    signature = Ed25519(party key, message)

``ShieldedBalanceProof`` (Pedersen-committed) signs the commitment instead of the
amount::

    C = balance·G + blind·H   (Baby Jubjub, circuits.crypto.pedersen)
    message = DOMAIN ‖ canonical({"channel": id, "nonce": n, "commitment": [C.x, C.y]})

so a ledger that sees it learns the channel id, the nonce and a point — never the
balance.  Its opening travels only between the two parties (``Opening``), and a
``StepProof`` (Groth16, circuit ``channel_update``) shows that one commitment
moved to another by a whole number of price units, in range.

Signatures are collected in ``signatures`` (address → hex); a state signed by both
parties is *co-signed*.  Everything serialises to canonical JSON bytes
(``to_bytes``/``from_bytes``) so any transport can carry it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from circuits.crypto.babyjub import Point
from circuits.crypto.pedersen import commit
from zkescrow.errors import ChannelError, InvalidSignature, MalformedInput
from zkescrow.escrow.codec import canonical

DOMAIN = b"zkescrow-channel-v1/balance-proof\x00"
SHIELDED_DOMAIN = b"zkescrow-channel-v1/shielded-balance-proof\x00"
CLOSING_DOMAIN = b"zkescrow-channel-v1/cooperative-close\x00"
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


def _hex(obj: dict, name: str, length: int = 64) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or len(value) != length or value.strip("0123456789abcdef"):
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

    def message(self) -> bytes:
        raise TypeError("abstract")

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

    def closing_message(self) -> bytes:
        """What a party signs to agree to settle at this state at once (cooperative close)."""
        return CLOSING_DOMAIN + self.message()

    def sign_closing(self, key: SigningKey) -> str:
        return key.sign(self.closing_message()).signature.hex()


@dataclass(frozen=True)
class BalanceProof(_Signed):
    """A signed channel state: B's cumulative ``balance`` after ``nonce`` updates of ``channel_id``."""

    channel_id: str
    nonce: int
    balance: int
    signatures: tuple = field(default=(), compare=False)

    def __post_init__(self):
        _hex({"c": self.channel_id}, "c")
        _int({"nonce": self.nonce}, "nonce")
        _int({"balance": self.balance}, "balance")

    def message(self) -> bytes:
        return DOMAIN + canonical({"channel": self.channel_id, "nonce": self.nonce, "balance": self.balance})

    def to_json(self) -> dict:
        return {"kind": "signed", "channel_id": self.channel_id, "nonce": self.nonce, "balance": self.balance,
                "signatures": dict(self.signatures)}

    @classmethod
    def from_json(cls, data) -> "BalanceProof":
        obj = _load(data)
        if obj.get("kind", "signed") != "signed":
            raise MalformedInput("not a signed balance proof")
        return cls(_hex(obj, "channel_id"), _int(obj, "nonce"), _int(obj, "balance"), _signatures(obj))

    from_bytes = from_json


@dataclass(frozen=True)
class ShieldedBalanceProof(_Signed):
    """A signed committed state: the Pedersen ``commitment`` (x, y) to B's balance after ``nonce`` updates."""

    channel_id: str
    nonce: int
    commitment: tuple
    signatures: tuple = field(default=(), compare=False)

    def __post_init__(self):
        _hex({"c": self.channel_id}, "c")
        _int({"nonce": self.nonce}, "nonce")
        if not isinstance(self.commitment, tuple) or len(self.commitment) != 2:
            raise MalformedInput("a commitment is a pair (x, y)")
        object.__setattr__(self, "commitment", tuple(int(c) for c in self.commitment))

    @property
    def point(self) -> Point:
        return Point(*self.commitment)

    def message(self) -> bytes:
        return SHIELDED_DOMAIN + canonical({"channel": self.channel_id, "nonce": self.nonce,
                                            "commitment": [str(c) for c in self.commitment]})

    def opens_to(self, opening: "Opening") -> bool:
        return commit(opening.balance, opening.blind) == self.point

    def to_json(self) -> dict:
        return {"kind": "shielded", "channel_id": self.channel_id, "nonce": self.nonce,
                "commitment": [str(c) for c in self.commitment], "signatures": dict(self.signatures)}

    @classmethod
    def from_json(cls, data) -> "ShieldedBalanceProof":
        obj = _load(data)
        if obj.get("kind") != "shielded":
            raise MalformedInput("not a shielded balance proof")
        cm = obj.get("commitment")
        if not isinstance(cm, list) or len(cm) != 2:
            raise MalformedInput("commitment must be [x, y]")
        from zkescrow.bn254.constants import R
        point = tuple(_int({"c": c}, "c", int(R) - 1) for c in cm)
        if not Point(*point).in_subgroup():
            raise MalformedInput("the commitment is not a point of the Baby Jubjub prime-order subgroup")
        return cls(_hex(obj, "channel_id"), _int(obj, "nonce"), point, _signatures(obj))

    from_bytes = from_json


@dataclass(frozen=True)
class Opening:
    """The secret opening of a shielded state: ``balance`` and blinding factor (only the two parties know it)."""

    balance: int
    blind: int

    def commitment(self) -> tuple:
        point = commit(self.balance, self.blind)
        return int(point.x), int(point.y)

    def to_json(self) -> dict:
        return {"balance": self.balance, "blind": str(self.blind)}

    @classmethod
    def from_json(cls, obj) -> "Opening":
        from circuits.crypto.babyjub import SUBORDER
        if not isinstance(obj, dict):
            raise MalformedInput("an opening is {balance, blind}")
        return cls(_int(obj, "balance"), _int(obj, "blind", int(SUBORDER) - 1))


@dataclass(frozen=True)
class StepProof:
    """A Groth16 ``channel_update`` proof: commitment ``c_old`` at ``step_old`` moved to ``c_new`` at step + 1.

    ``terms_id`` = H(CHANNEL, total, unit, salt) binds the proof to one channel's
    deposit and price unit.  Steps count proofs along one chain of commitments
    (they are not the per-packet nonces).
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


def require(condition: bool, reason: str) -> None:
    """Raise ChannelError(reason) unless ``condition``."""
    if not condition:
        raise ChannelError(reason)
