"""The escrow enclave's state: one typed record per charging session, and its sealed encoding.

Measured with the escrow enclave program (it is in the program's ``measured_modules``):
these classes are what the enclave keeps between ecalls and seals with its monotonic
counter.  A record's phase moves

    created ──fund──▶ funded ──(pole confirms) packet*──▶ streaming ──close──▶ closing ──sign──▶ settled
       │                                                          │
       └──────────────── refund height reached ───────────────────┴──▶ expired

Sealed encoding (``SessionRecord.to_sealed``): a JSON object with ``"version":
SESSION_RECORD_VERSION`` and one key per field (owners as decimal strings, the phase
as its name, the meter log and decision as nested objects).  ``from_sealed`` refuses any
other version with ``SealingError``, so a newer program's state is never misread.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from zkescrow.errors import MalformedInput, SealingError
from zkescrow.escrow.meter import ReadingLog
from zkescrow.escrow.settlement import DECISION_FIELDS

SESSION_RECORD_VERSION = 3
FIELD_BOUND = 1 << 254


def need_int(value, name, low=0, high=(1 << 64) - 1) -> int:
    """``value`` if it is an int (not a bool) in [low, high]; MalformedInput otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedInput(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def need_hex(value, name, length=64) -> str:
    """``value`` if it is ``length`` lowercase hex digits; MalformedInput otherwise."""
    if not isinstance(value, str) or len(value) != length or any(c not in "0123456789abcdef" for c in value):
        raise MalformedInput(f"{name} must be {length} lowercase hex digits")
    return value


def need_owner(value, name) -> int:
    """An owner field element given as an int or a decimal string."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise MalformedInput(f"{name} must be a field element, got {value!r}") from None
    return need_int(number, name, 0, FIELD_BOUND - 1)


class Phase(enum.Enum):
    """Where a session stands (see the module docstring)."""

    CREATED = "created"
    FUNDED = "funded"
    STREAMING = "streaming"
    CLOSING = "closing"
    SETTLED = "settled"
    EXPIRED = "expired"

    @property
    def takes_packets(self) -> bool:
        return self in (Phase.FUNDED, Phase.STREAMING)

    @property
    def before_settlement(self) -> bool:
        """Still open or closing: reaching the refund height expires it."""
        return self in (Phase.CREATED, Phase.FUNDED, Phase.STREAMING, Phase.CLOSING)


@dataclass(frozen=True)
class Decision:
    """The closing decision the enclave signed (``zkescrow.escrow.settlement`` describes the fields).

    ``signature``: Ed25519 by the attested key over the decision's signing bytes (a transparent
    payout's authority); ``release_signature``: the EdDSA release signature (shielded; "" otherwise).
    """

    session_id: str
    mode: str
    escrow: str                         # transparent: escrow_open txid; shielded: the escrow note's nullifier
    energy_wh: int
    pay: int
    refund: int
    payee_owner: int
    driver_owner: int
    final_nonce: int
    chain_id: str
    price: int
    salt: int
    pay_commitment: int
    refund_commitment: int
    signature: str = ""                 # Ed25519, hex
    release_signature: str = ""         # packed EdDSA, hex

    def fields(self) -> dict:
        """The signed fields (``settlement.DECISION_FIELDS``), without the signatures."""
        return {name: getattr(self, name) for name in DECISION_FIELDS}

    def to_dict(self) -> dict:
        out = self.fields()
        for name in ("payee_owner", "driver_owner", "salt", "pay_commitment", "refund_commitment"):
            out[name] = str(out[name])
        return dict(out, signature=self.signature, release_signature=self.release_signature)

    @classmethod
    def from_dict(cls, d: dict) -> "Decision":
        return cls(d["session_id"], d["mode"], d["escrow"], d["energy_wh"], d["pay"], d["refund"],
                   int(d["payee_owner"]), int(d["driver_owner"]), d["final_nonce"], d["chain_id"], d["price"],
                   int(d["salt"]), int(d["pay_commitment"]), int(d["refund_commitment"]), d["signature"],
                   d["release_signature"])


@dataclass
class SessionRecord:
    """One session as the enclave keeps it: the terms, then what happened."""

    session_id: str                     # 62 hex digits
    mode: str                           # "transparent" | "shielded"
    pole_id: str
    price: int                          # per Wh
    deposit: int
    packet_wh: int
    meter_key: str                      # Ed25519, hex
    car_key: str                        # Ed25519, hex
    pole_owner: int
    driver_owner: int
    refund_height: int
    close_height: int
    phase: Phase = Phase.CREATED
    delivered_wh: int = 0
    paid_wh: int = 0
    page: int | None = None
    nonce: int = 0
    meter: ReadingLog | None = None
    funding: dict | None = None
    close_reason: str | None = None
    decision: Decision | None = None
    offer_id: str = ""                  # the pole's offer the terms come from
    offer_hash: str = ""
    operator: str = ""                  # the pole's registered operator key (confirms the ticket)
    opened_height: int = 0              # the enclave's header tip when the session opened
    confirmed: bool = False             # the pole confirmed the ticket: packets may flow

    def __post_init__(self):
        if self.meter is None:
            self.meter = ReadingLog(self.pole_id, self.session_id)

    def view(self) -> dict:
        """What a party of the session is told about it."""
        return {"session_id": self.session_id, "mode": self.mode, "state": self.phase.value,
                "deposit": self.deposit, "price": self.price, "delivered_wh": self.delivered_wh,
                "paid_wh": self.paid_wh, "page": self.page, "refund_height": self.refund_height,
                "close_height": self.close_height, "close_reason": self.close_reason, "confirmed": self.confirmed,
                "offer_hash": self.offer_hash}

    def ticket(self, chain_id: str) -> dict:
        """The terms the pole confirms before it delivers (``offer.ticket_bytes``)."""
        return {"session_id": self.session_id, "offer_hash": self.offer_hash, "mode": self.mode,
                "deposit": self.deposit, "refund_height": self.refund_height, "close_height": self.close_height,
                "car_key": self.car_key, "chain_id": chain_id}

    # --- sealed encoding ---------------------------------------------------------------------

    def to_sealed(self) -> dict:
        return {"version": SESSION_RECORD_VERSION, "session_id": self.session_id, "mode": self.mode,
                "pole_id": self.pole_id, "price": self.price, "deposit": self.deposit, "packet_wh": self.packet_wh,
                "meter_key": self.meter_key, "car_key": self.car_key, "pole_owner": str(self.pole_owner),
                "driver_owner": str(self.driver_owner), "refund_height": self.refund_height,
                "close_height": self.close_height, "phase": self.phase.value, "delivered_wh": self.delivered_wh,
                "paid_wh": self.paid_wh, "page": self.page, "nonce": self.nonce, "meter": self.meter.to_dict(),
                "funding": self.funding, "close_reason": self.close_reason,
                "decision": None if self.decision is None else self.decision.to_dict(),
                "offer_id": self.offer_id, "offer_hash": self.offer_hash,
                "operator": self.operator, "opened_height": self.opened_height, "confirmed": self.confirmed}

    @classmethod
    def from_sealed(cls, data: dict) -> "SessionRecord":
        """The record sealed by ``to_sealed``; SealingError for another encoding version."""
        version = data.get("version") if isinstance(data, dict) else None
        if version != SESSION_RECORD_VERSION:
            raise SealingError(f"sealed session record has version {version!r}; this program reads version "
                               f"{SESSION_RECORD_VERSION} only")
        decision = data["decision"]
        return cls(data["session_id"], data["mode"], data["pole_id"], data["price"], data["deposit"],
                   data["packet_wh"], data["meter_key"], data["car_key"], int(data["pole_owner"]),
                   int(data["driver_owner"]), data["refund_height"], data["close_height"], Phase(data["phase"]),
                   data["delivered_wh"], data["paid_wh"], data["page"], data["nonce"],
                   ReadingLog.from_dict(data["meter"]), data["funding"], data["close_reason"],
                   None if decision is None else Decision.from_dict(decision),
                   data["offer_id"], data["offer_hash"], data["operator"], data["opened_height"], data["confirmed"])
