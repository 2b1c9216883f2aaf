"""A pole's signed offer, and the session ticket the pole confirms before it delivers energy.

The terms of a charging session come from the pole, never from the car:

    Offer   pole_id, operator (hex Ed25519: the key that registered the pole), price_per_wh,
            payee_owner (decimal field element) + payee_viewing_key (hex X25519): the pole's
            shielded payment address, meter_key, packet_wh, valid_until (a ledger height),
            offer_id (32 hex digits, random), chain_id (the ledger's genesis hash)
    signed  by the operator key over OFFER_DOMAIN ‖ canonical JSON of the offer

A car passes the signed offer to the enclave unchanged (any changed field breaks the
signature); the enclave checks the signature, the validity against its own view of the
chain, and that pole_id, operator, price and meter key are the pole's registry entry.

    Ticket  session_id, offer_hash, mode, deposit, refund_height, close_height, car_key, chain_id
            what the enclave recorded for a new session; the pole's operator key signs
            CONFIRM_DOMAIN ‖ canonical JSON of it after checking that offer_hash is one of its
            own current offers.  The enclave takes no packet before that confirmation.  After an
            enclave restart a streaming session is held until the pole signs RECONFIRM_DOMAIN ‖
            canonical {ticket, epoch} for that start's random epoch (a restored platform cannot
            replay it), having checked that the enclave counts all the packets it holds receipts for.

Pure (hashlib, json, PyNaCl): the enclave measures this module.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from zkescrow.errors import InvalidSignature, MalformedInput

OFFER_DOMAIN = b"zkescrow/escrow/offer/v1\x00"
OFFER_HASH_DOMAIN = b"zkescrow/escrow/offer-hash/v1\x00"
CONFIRM_DOMAIN = b"zkescrow/escrow/session-ticket/v1\x00"
RECONFIRM_DOMAIN = b"zkescrow/escrow/session-ticket-after-restart/v1\x00"
FIELD_BOUND = 1 << 254

_HEX = re.compile(r"^[0-9a-f]+$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,76})$")
OFFER_FIELDS = ("pole_id", "operator", "price_per_wh", "payee_owner", "payee_viewing_key", "meter_key",
                "packet_wh", "valid_until", "offer_id", "chain_id")
TICKET_FIELDS = ("session_id", "offer_hash", "mode", "deposit", "refund_height", "close_height", "car_key",
                 "chain_id")


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _hex(value, name: str, length: int) -> str:
    if not isinstance(value, str) or len(value) != length or not _HEX.match(value):
        raise MalformedInput(f"{name} must be {length} lowercase hex digits")
    return value


def _int(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedInput(f"{name} must be an integer in [{low}, {high}], got {str(value)[:40]!r}")
    return value


@dataclass(frozen=True)
class Offer:
    """A pole's terms (see the module docstring); every field is checked on construction."""

    pole_id: str
    operator: str
    price_per_wh: int
    payee_owner: str
    payee_viewing_key: str
    meter_key: str
    packet_wh: int
    valid_until: int
    offer_id: str
    chain_id: str

    def __post_init__(self):
        if not isinstance(self.pole_id, str) or not 0 < len(self.pole_id) <= 64:
            raise MalformedInput("offer pole_id must be 1 to 64 characters")
        for name in ("operator", "payee_viewing_key", "meter_key", "chain_id"):
            _hex(getattr(self, name), f"offer {name}", 64)
        _hex(self.offer_id, "offer offer_id", 32)
        _int(self.price_per_wh, "offer price_per_wh", 1, 2**32 - 1)
        _int(self.packet_wh, "offer packet_wh", 1, 2**32 - 1)
        _int(self.valid_until, "offer valid_until", 1, 2**62)
        if not isinstance(self.payee_owner, str) or not _DECIMAL.match(self.payee_owner) or \
                int(self.payee_owner) >= FIELD_BOUND:
            raise MalformedInput("offer payee_owner must be a field element as a decimal string")

    @classmethod
    def new(cls, *, pole_id: str, operator: str, price_per_wh: int, payee_owner: int, payee_viewing_key: str,
            meter_key: str, packet_wh: int, valid_until: int, chain_id: str) -> "Offer":
        """A fresh offer with a random offer id."""
        return cls(pole_id, operator, price_per_wh, str(payee_owner), payee_viewing_key, meter_key, packet_wh,
                   valid_until, secrets.token_hex(16), chain_id)

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in OFFER_FIELDS}

    @classmethod
    def from_json(cls, obj) -> "Offer":
        if not isinstance(obj, dict) or set(obj) != set(OFFER_FIELDS):
            raise MalformedInput(f"an offer has exactly the fields {', '.join(OFFER_FIELDS)}")
        return cls(*(obj[name] for name in OFFER_FIELDS))

    def signing_bytes(self) -> bytes:
        return OFFER_DOMAIN + canonical(self.to_json())

    def hash(self) -> str:
        """Hex SHA-256 naming this offer (what a session ticket refers to)."""
        return hashlib.sha256(OFFER_HASH_DOMAIN + canonical(self.to_json())).hexdigest()

    def sign(self, operator_key: SigningKey) -> dict:
        """The signed offer as it travels: {"offer": ..., "signature": hex}."""
        if bytes(operator_key.verify_key).hex() != self.operator:
            raise MalformedInput("an offer is signed by the operator key it names")
        return {"offer": self.to_json(), "signature": operator_key.sign(self.signing_bytes()).signature.hex()}


def verify_offer(signed) -> Offer:
    """The offer of ``signed`` ({"offer", "signature"}) if its operator signed it; InvalidSignature otherwise."""
    if not isinstance(signed, dict) or set(signed) != {"offer", "signature"}:
        raise MalformedInput("a signed offer is {offer, signature}")
    offer = Offer.from_json(signed["offer"])
    signature = _hex(signed["signature"], "offer signature", 128)
    try:
        VerifyKey(bytes.fromhex(offer.operator)).verify(offer.signing_bytes(), bytes.fromhex(signature))
    except (BadSignatureError, ValueError) as exc:
        raise InvalidSignature(f"offer {offer.offer_id} is not signed by its operator") from exc
    return offer


def ticket_bytes(ticket: dict, epoch: str | None = None) -> bytes:
    """What the pole's operator key signs to confirm a session (see the module docstring); with ``epoch`` (the
    random value of one enclave start) the re-confirmation of a session held after a restart, which no
    recorded confirmation can stand in for."""
    if not isinstance(ticket, dict) or set(ticket) != set(TICKET_FIELDS):
        raise MalformedInput(f"a session ticket has exactly the fields {', '.join(TICKET_FIELDS)}")
    if epoch is None:
        return CONFIRM_DOMAIN + canonical(ticket)
    return RECONFIRM_DOMAIN + canonical({"ticket": ticket, "epoch": _hex(epoch, "epoch", 32)})


def confirm_ticket(ticket: dict, operator_key: SigningKey, epoch: str | None = None) -> str:
    return operator_key.sign(ticket_bytes(ticket, epoch)).signature.hex()


def verify_confirmation(ticket: dict, operator_hex: str, signature_hex, *, epoch: str | None = None) -> None:
    """InvalidSignature unless ``signature_hex`` is the operator's confirmation of ``ticket`` (under ``epoch``)."""
    try:
        VerifyKey(bytes.fromhex(operator_hex)).verify(ticket_bytes(ticket, epoch), bytes.fromhex(str(signature_hex)))
    except (BadSignatureError, ValueError, TypeError) as exc:
        raise InvalidSignature("the session confirmation is not signed by the pole's operator") from exc
