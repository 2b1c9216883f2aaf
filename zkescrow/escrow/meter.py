"""Signed meter readings in the shape of OCMF (Open Charge Metering Format, protocols.md §8).

A reading travels as one string ``OCMF|<payload JSON>|<signature JSON>``, signed by
the pole's meter (its "signing component") with an Ed25519 key whose public half
is the ``meter_key`` of the pole's service-registry entry::

    payload   {"FV": "1.0", "GI": "zkescrow sim meter", "GV": "1", "MS": <meter serial>,
               "PG": "T<n>", "CI": <pole id>, "ID": <session id hex>,
               "RD": [{"TM": "2026-01-01T12:00:03,270+0000 S", "TX": "B"|"C"|"E",
                       "RV": <register, integer Wh>, "RU": "Wh", "RI": "01-00:01.08.00*FF", "ST": "G"}]}
    signature {"SA": "ED25519", "SE": "hex", "SD": <hex signature over the payload bytes>}

``RV`` is the meter's cumulative register in integer Wh (never a float) and
``PG`` counts the records of one charging transaction, +1 per record.  A verifier
checks the signature over the exact payload bytes, then the pagination and the
monotone register (``ReadingLog``).
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from zkescrow.errors import InvalidSignature, MalformedInput, Refused

PREFIX = "OCMF"
SIGNATURE_ALGORITHM = "ED25519"
OBIS_ACTIVE_IMPORT = "01-00:01.08.00*FF"
#: Record kinds (OCMF "TX"): begin, charging, end.
BEGIN, CHARGING, END = "B", "C", "E"
_EPOCH = _dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=_dt.timezone.utc)


@dataclass(frozen=True)
class MeterReading:
    """One verified (or about to be signed) record of a pole's meter."""

    meter_serial: str
    pole_id: str
    session_id: str
    page: int            # PG "T<page>"
    register_wh: int     # RV, cumulative, integer Wh
    kind: str            # TX: B, C or E
    time_ms: int         # milliseconds since the simulated epoch

    def __post_init__(self):
        for name in ("meter_serial", "pole_id", "session_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not 0 < len(value) <= 80:
                raise MalformedInput(f"meter reading {name} must be a short string")
        for name in ("page", "register_wh", "time_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 53:
                raise MalformedInput(f"meter reading {name} must be a non-negative integer, got {value!r}")
        if self.kind not in (BEGIN, CHARGING, END):
            raise MalformedInput(f"meter reading kind must be B, C or E, got {self.kind!r}")

    def payload(self) -> bytes:
        """The payload JSON bytes, exactly as signed."""
        record = {"TM": ocmf_time(self.time_ms), "TX": self.kind, "RV": self.register_wh, "RU": "Wh",
                  "RI": OBIS_ACTIVE_IMPORT, "ST": "G"}
        body = {"FV": "1.0", "GI": "zkescrow sim meter", "GV": "1", "MS": self.meter_serial,
                "PG": f"T{self.page}", "CI": self.pole_id, "ID": self.session_id, "RD": [record]}
        return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def ocmf_time(time_ms: int) -> str:
    """OCMF time: local time with milliseconds, offset and the sync flag ("S": synchronised clock)."""
    t = _EPOCH + _dt.timedelta(milliseconds=time_ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S,") + f"{time_ms % 1000:03d}+0000 S"


def _time_ms(text: str) -> int:
    try:
        stamp, flag = text.split(" ")
        whole, rest = stamp.split(",")
        millis, offset = int(rest[:3]), rest[3:]
        if flag not in ("S", "I", "U", "R") or offset != "+0000":
            raise ValueError
        t = _dt.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise MalformedInput(f"OCMF time {text!r} is not 'YYYY-MM-DDThh:mm:ss,fff+0000 S'") from None
    return (t - _EPOCH) // _dt.timedelta(seconds=1) * 1000 + millis


class MeterKey:
    """The pole meter's signing key (Ed25519); ``public_hex`` goes into the service registry."""

    def __init__(self, key: SigningKey | None = None):
        self._key = key or SigningKey.generate()

    @property
    def public_hex(self) -> str:
        return bytes(self._key.verify_key).hex()

    def sign_message(self, message: bytes) -> str:
        """Hex Ed25519 signature over ``message`` (e.g. the pole's authorization to close a session)."""
        return self._key.sign(message).signature.hex()

    def sign(self, reading: MeterReading) -> str:
        """The OCMF string for ``reading``."""
        payload = reading.payload()
        signature = {"SA": SIGNATURE_ALGORITHM, "SE": "hex", "SD": self._key.sign(payload).signature.hex()}
        return f"{PREFIX}|{payload.decode()}|{json.dumps(signature, separators=(',', ':'), sort_keys=True)}"


def parse_reading(text: str, meter_key_hex: str) -> MeterReading:
    """Verify an OCMF string against the meter's public key and return its reading.

    MalformedInput for a string that is not an OCMF record of this format,
    InvalidSignature when the signature is not by ``meter_key_hex`` over the payload.
    """
    if not isinstance(text, str) or not text.startswith(PREFIX + "|"):
        raise MalformedInput("a meter reading is a string 'OCMF|<payload>|<signature>'")
    try:
        payload_text, signature_text = text[len(PREFIX) + 1:].rsplit("|", 1)
        signature = json.loads(signature_text)
        body = json.loads(payload_text)
        record = body["RD"][0]
        if signature["SA"] != SIGNATURE_ALGORITHM or signature.get("SE", "hex") != "hex" or len(body["RD"]) != 1:
            raise ValueError("unsupported signature or record layout")
        if record["RU"] != "Wh" or not isinstance(record["RV"], int) or isinstance(record["RV"], bool):
            raise ValueError("the register value must be an integer number of Wh")
        page = body["PG"]
        if not (isinstance(page, str) and page.startswith("T") and page[1:].isdigit()):
            raise ValueError(f"pagination {page!r} is not T<n>")
        sig = bytes.fromhex(signature["SD"])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise MalformedInput(f"malformed OCMF record: {exc}") from None
    try:
        VerifyKey(bytes.fromhex(meter_key_hex)).verify(payload_text.encode(), sig)
    except (BadSignatureError, ValueError) as exc:
        raise InvalidSignature(f"meter reading is not signed by meter key {meter_key_hex[:16]}…") from exc
    return MeterReading(body["MS"], body["CI"], body["ID"], int(page[1:]), record["RV"], record["TX"],
                        _time_ms(record["TM"]))


class ReadingLog:
    """The running checks on one session's readings: same meter and session, pagination +1, register monotone.

    ``start_wh`` is the register at the begin record; ``delivered_wh`` the energy since then.
    """

    def __init__(self, pole_id: str, session_id: str, meter_serial: str | None = None):
        self.pole_id, self.session_id, self.meter_serial = pole_id, session_id, meter_serial
        self.page = None
        self.start_wh = None
        self.register_wh = None
        self.time_ms = None
        self.ended = False

    @property
    def delivered_wh(self) -> int:
        return 0 if self.start_wh is None else self.register_wh - self.start_wh

    def check(self, reading: MeterReading) -> int:
        """Raise Refused unless ``reading`` is the next valid record; returns the energy it adds (Wh)."""
        if reading.pole_id != self.pole_id or reading.session_id != self.session_id:
            raise Refused(f"reading is for pole {reading.pole_id} session {reading.session_id[:12]}…, "
                                 f"not this session")
        if self.meter_serial is not None and reading.meter_serial != self.meter_serial:
            raise Refused(f"reading comes from meter {reading.meter_serial}, not {self.meter_serial}")
        if self.ended:
            raise Refused("the meter already ended this transaction (TX=E)")
        if self.page is None:
            if reading.kind != BEGIN:
                raise Refused("the first reading of a session must be a begin record (TX=B)")
        else:
            if reading.page != self.page + 1:
                raise Refused(f"pagination jumps from T{self.page} to T{reading.page} (must be +1)")
            if reading.kind == BEGIN:
                raise Refused("a second begin record (TX=B) in one session")
            if reading.register_wh < self.register_wh:
                raise Refused(f"meter register goes backwards: {reading.register_wh} Wh after "
                                     f"{self.register_wh} Wh")
            if reading.time_ms < self.time_ms:
                raise Refused("meter time goes backwards")
        return reading.register_wh - (self.register_wh if self.register_wh is not None else reading.register_wh)

    def accept(self, reading: MeterReading) -> int:
        """``check`` then record the reading; returns the energy it adds."""
        added = self.check(reading)
        if self.page is None:
            self.start_wh = reading.register_wh
            self.meter_serial = reading.meter_serial
        self.page, self.register_wh, self.time_ms = reading.page, reading.register_wh, reading.time_ms
        self.ended = reading.kind == END
        return added

    def to_dict(self) -> dict:
        return {"pole_id": self.pole_id, "session_id": self.session_id, "meter_serial": self.meter_serial,
                "page": self.page, "start_wh": self.start_wh, "register_wh": self.register_wh,
                "time_ms": self.time_ms, "ended": self.ended}

    @classmethod
    def from_dict(cls, d: dict) -> "ReadingLog":
        log = cls(d["pole_id"], d["session_id"], d["meter_serial"])
        log.page, log.start_wh, log.register_wh = d["page"], d["start_wh"], d["register_wh"]
        log.time_ms, log.ended = d["time_ms"], d["ended"]
        return log


# --- the car's acknowledgement of a reading (ISO 15118 MeteringReceipt analogue) ------------

ACK_DOMAIN = b"zkescrow/escrow/metering-receipt/v1\x00"


def ack_message(session_id: str, page: int, energy_wh: int) -> bytes:
    """What the car signs to accept paying for ``energy_wh`` (cumulative) as of reading T<page>."""
    return ACK_DOMAIN + json.dumps([session_id, page, energy_wh], separators=(",", ":")).encode()


def sign_ack(key: SigningKey, session_id: str, page: int, energy_wh: int) -> str:
    return key.sign(ack_message(session_id, page, energy_wh)).signature.hex()


def verify_ack(car_key_hex: str, session_id: str, page: int, energy_wh: int, signature_hex: str) -> None:
    try:
        VerifyKey(bytes.fromhex(car_key_hex)).verify(ack_message(session_id, page, energy_wh),
                                                     bytes.fromhex(signature_hex))
    except (BadSignatureError, ValueError, TypeError) as exc:
        raise InvalidSignature("metering receipt is not signed by the car's session key") from exc
