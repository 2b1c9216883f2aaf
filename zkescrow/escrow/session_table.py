"""The escrow enclave's table of sessions: who may take a slot, and when a slot is freed.

Measured with the escrow enclave program.  The table is bounded (``max_sessions``), so a
slot must be hard to get and must come back:

* a slot needs a valid pole offer (checked before the table is consulted) and
  ``admit`` bounds it further: one offer opens at most ``sessions_per_offer`` sessions
  (counted for as long as the offer is valid, evicted sessions included), a registered pole
  holds at most ``sessions_per_pole`` live sessions, and a car session key opens one;
* ``evict`` frees, by the enclave's own header tip (never a caller's height): every session
  ``evict_after`` blocks past its refund height (the enclave signs nothing for it any more
  and the driver's refund is open), and every session the pole has not confirmed or the
  car has not funded ``confirm_timeout`` blocks after it opened (no packet ever flowed).

Sealed with the sessions as ``{"sessions": …, "offers": …, "services": …}``.
"""
from __future__ import annotations

from zkescrow.errors import Refused, WrongState
from zkescrow.escrow.enclave_state import Phase, SessionRecord


class SessionTable:
    """Sessions by id, offer use counts and the registry entries the enclave has seen proven."""

    def __init__(self, config: dict, sessions: dict | None = None, offers: dict | None = None,
                 services: dict | None = None):
        self.config = config
        self.sessions: dict[str, SessionRecord] = sessions or {}
        self.offers: dict[str, list[int]] = offers or {}          # offer_id -> [uses, valid_until]
        self.services: dict[str, dict] = services or {}          # pole_id -> registry entry

    def __len__(self) -> int:
        return len(self.sessions)

    def get(self, session_id) -> SessionRecord | None:
        return self.sessions.get(session_id) if isinstance(session_id, str) else None

    def admit(self, s: SessionRecord, valid_until: int, tip: int) -> None:
        """Take ``s`` into the table (after its offer was checked), or Refused/WrongState saying why not."""
        self.evict(tip)
        if s.session_id in self.sessions:
            raise WrongState(f"session {s.session_id[:16]}… already exists")
        uses = self.offers.get(s.offer_id, [0, valid_until])[0]
        if uses >= self.config["sessions_per_offer"]:
            raise Refused(f"offer {s.offer_id} has opened its {self.config['sessions_per_offer']} session(s)")
        live = list(self.sessions.values())
        if sum(1 for r in live if r.pole_id == s.pole_id) >= self.config["sessions_per_pole"]:
            raise Refused(f"pole {s.pole_id} holds its maximum of {self.config['sessions_per_pole']} live sessions")
        if any(r.car_key == s.car_key for r in live):
            raise Refused("this car session key already has a session")
        if len(live) >= self.config["max_sessions"]:
            raise Refused("the enclave holds its maximum number of sessions")
        self.offers[s.offer_id] = [uses + 1, valid_until]
        self.sessions[s.session_id] = s

    def evict(self, tip: int) -> int:
        """Drop what ``tip`` makes final or stale (see the module docstring); returns how many sessions went."""
        gone = [sid for sid, s in self.sessions.items() if self._stale(s, tip)]
        for sid in gone:
            del self.sessions[sid]
        for offer_id in [o for o, (_, valid_until) in self.offers.items() if valid_until <= tip]:
            del self.offers[offer_id]
        return len(gone)

    def _stale(self, s: SessionRecord, tip: int) -> bool:
        if tip >= s.refund_height + self.config["evict_after"]:
            return True
        unstarted = s.phase is Phase.CREATED or (s.phase is Phase.FUNDED and not s.confirmed)
        return unstarted and tip >= s.opened_height + self.config["confirm_timeout"]

    def to_sealed(self) -> dict:
        return {"sessions": {sid: s.to_sealed() for sid, s in self.sessions.items()}, "offers": self.offers,
                "services": self.services}

    @classmethod
    def from_sealed(cls, config: dict, state: dict | None) -> "SessionTable":
        if not state:
            return cls(config)
        sessions = {sid: SessionRecord.from_sealed(data) for sid, data in state["sessions"].items()}
        return cls(config, sessions, dict(state.get("offers", {})), dict(state.get("services", {})))
