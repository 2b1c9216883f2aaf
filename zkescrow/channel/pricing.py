"""Signed price signals: a grid or operator key sets the price (and direction) of the stream for a time window.

    signal  = {issuer, seq, price_per_wh, direction, valid_from, valid_until}
    message = DOMAIN ‖ canonical(signal without the signature);  signature = Ed25519(issuer key, message)

``direction`` 0: energy flows B → A and A pays (charging); 1: energy flows A → B and
B pays (vehicle-to-grid feed-in).  ``seq`` orders signals of one issuer; times are
integer seconds of whatever clock the session uses (events carry ``now``).  A
party adopts a signal only if its issuer is the expected key, the signature
verifies, ``now`` is inside [valid_from, valid_until) and ``seq`` is higher than
the adopted one.  Prices are integers (base units per Wh), never floats.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from zkescrow.errors import InvalidSignature, MalformedInput, Refused
from zkescrow.ledger.codec import canonical

from .proofs import address_of

DOMAIN = b"zkescrow-channel-v1/price-signal\x00"
CHARGE, FEED_IN = 0, 1


@dataclass(frozen=True)
class PriceSignal:
    """A signed tariff: ``price_per_wh`` in ``direction`` from ``valid_from`` until ``valid_until``."""

    issuer: str
    seq: int
    price_per_wh: int
    direction: int = CHARGE
    valid_from: int = 0
    valid_until: int = 2**62
    signature: str = ""

    def __post_init__(self):
        for name in ("seq", "price_per_wh", "valid_from", "valid_until"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
                raise MalformedInput(f"price signal {name} must be a non-negative integer, got {value!r}")
        if self.direction not in (CHARGE, FEED_IN):
            raise MalformedInput("price signal direction must be 0 (charge) or 1 (feed-in)")
        if self.valid_until <= self.valid_from:
            raise MalformedInput("price signal window is empty")

    def message(self) -> bytes:
        body = self.to_json()
        body.pop("signature")
        return DOMAIN + canonical(body)

    def signed(self, key: SigningKey) -> "PriceSignal":
        if address_of(key) != self.issuer:
            raise MalformedInput("a price signal is signed by its issuer")
        return replace(self, signature=key.sign(self.message()).signature.hex())

    def verify(self, issuer: str, now: int) -> None:
        """Raise InvalidSignature/Refused unless ``issuer`` signed this and ``now`` is in its window."""
        if self.issuer != issuer:
            raise InvalidSignature(f"price signal by {self.issuer[:16]}…, expected {issuer[:16]}…")
        try:
            VerifyKey(bytes.fromhex(issuer)).verify(self.message(), bytes.fromhex(self.signature))
        except (BadSignatureError, ValueError) as exc:
            raise InvalidSignature(f"price signal {self.seq} does not verify") from exc
        if not self.valid_from <= now < self.valid_until:
            raise Refused(f"price signal {self.seq} is valid in [{self.valid_from}, {self.valid_until}), "
                                 f"not at {now}")

    def to_json(self) -> dict:
        return {"issuer": self.issuer, "seq": self.seq, "price_per_wh": self.price_per_wh,
                "direction": self.direction, "valid_from": self.valid_from, "valid_until": self.valid_until,
                "signature": self.signature}

    @classmethod
    def from_json(cls, obj) -> "PriceSignal":
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as exc:
                raise MalformedInput(f"price signal is not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise MalformedInput("a price signal is a JSON object")
        try:
            return cls(str(obj["issuer"]), obj["seq"], obj["price_per_wh"], obj.get("direction", CHARGE),
                       obj.get("valid_from", 0), obj.get("valid_until", 2**62), str(obj.get("signature", "")))
        except KeyError as exc:
            raise MalformedInput(f"price signal lacks {exc}") from None


def load_schedule(path: str | Path) -> list[dict]:
    """A price schedule file: a JSON list of {"at_packet": n, "price_per_wh": p, "direction": 0|1}.

    The demo's grid key signs each entry as it comes due (a stand-in for an operator feed).
    """
    try:
        entries = json.loads(Path(path).read_text())
    except (OSError, ValueError, RecursionError) as exc:     # ValueError covers bad JSON and bad UTF-8
        raise MalformedInput(f"cannot read price schedule {path}: {exc}") from None
    if not isinstance(entries, list):
        raise MalformedInput("a price schedule is a JSON list")
    out = []
    for k, e in enumerate(entries):
        if not isinstance(e, dict) or not all(isinstance(e.get(f), int) and not isinstance(e.get(f), bool)
                                              for f in ("at_packet", "price_per_wh")):
            raise MalformedInput(f"schedule entry {k} needs integer at_packet and price_per_wh")
        if e.get("direction", CHARGE) not in (CHARGE, FEED_IN) or e["price_per_wh"] <= 0 or e["at_packet"] < 0:
            raise MalformedInput(f"schedule entry {k}: price > 0, at_packet ≥ 0, direction 0 or 1")
        out.append({"at_packet": e["at_packet"], "price_per_wh": e["price_per_wh"],
                    "direction": e.get("direction", CHARGE)})
    return sorted(out, key=lambda e: e["at_packet"])
