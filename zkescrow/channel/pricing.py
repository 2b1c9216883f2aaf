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


#: The keys a schedule entry may have.
SCHEDULE_KEYS = ("at_packet", "price_per_wh", "direction")


def load_schedule(path: str | Path, *, max_price_per_wh: int = 2**32 - 1, packets: int | None = None) -> list[dict]:
    """A price schedule file: a JSON list of {"at_packet": n, "price_per_wh": p, "direction": 0|1}.

    The demo's grid key signs each entry as it comes due (a stand-in for an operator feed).
    An entry at packet 0 is required (the first packet needs a price); packets are counted
    from 0, prices are whole base units per Wh in 1..``max_price_per_wh``; with ``packets``
    every entry must come due before the stream ends.  Errors name the file and entry.
    """
    def bad(message: str):
        return MalformedInput(f"price schedule {path}: {message}")

    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise bad(exc.strerror or str(exc)) from None
    except (ValueError, RecursionError) as exc:     # ValueError covers bad JSON and bad UTF-8
        raise bad(f"not valid JSON ({exc})") from None
    shape = '[{"at_packet": 0, "price_per_wh": 500, "direction": 0}, …]'
    if not isinstance(entries, list):
        raise bad(f"expected a JSON list of price steps like {shape}")
    if not entries:
        raise bad(f"the list is empty; it needs at least the price from the first packet on: {shape}")
    out = []
    for k, e in enumerate(entries, start=1):
        if not isinstance(e, dict):
            raise bad(f"entry {k} is not an object like {shape[1:-4]}")
        unknown = sorted(set(e) - set(SCHEDULE_KEYS))
        if unknown:
            raise bad(f"entry {k} has unknown key(s) {', '.join(unknown)} (keys: {', '.join(SCHEDULE_KEYS)})")
        for name in ("at_packet", "price_per_wh"):
            if name not in e:
                raise bad(f"entry {k} lacks {name}")
            if isinstance(e[name], bool) or not isinstance(e[name], int):
                raise bad(f"entry {k}: {name} must be a whole number, got {e[name]!r}")
        at, price, direction = e["at_packet"], e["price_per_wh"], e.get("direction", CHARGE)
        if at < 0:
            raise bad(f"entry {k}: at_packet {at} is negative (packets are counted from 0)")
        if packets is not None and at >= packets:
            raise bad(f"entry {k}: at_packet {at} is after the last packet of the session (packets 0..{packets - 1})")
        if not 1 <= price <= max_price_per_wh:
            raise bad(f"entry {k}: price_per_wh {price} is outside 1..{max_price_per_wh:,} (whole base units per Wh)")
        if isinstance(direction, bool) or direction not in (CHARGE, FEED_IN):
            raise bad(f"entry {k}: direction must be 0 (charging: the car pays) or 1 (feed-in: the pole pays), "
                      f"got {direction!r}")
        out.append({"at_packet": at, "price_per_wh": price, "direction": direction})
    out.sort(key=lambda e: e["at_packet"])
    starts = [e["at_packet"] for e in out]
    if starts[0] != 0:
        raise bad(f"no entry at packet 0: the first packet would have no price (the earliest entry starts at packet "
                  f"{starts[0]}); add {{\"at_packet\": 0, \"price_per_wh\": …}}")
    twice = sorted({a for a in starts if starts.count(a) > 1})
    if twice:
        raise bad(f"two entries at packet {twice[0]}: which price applies is ambiguous")
    return out
