"""When a pole forwards its earnings to its operator: not in the block after each settlement.

A pole that sends each session's payment on to its operator in the very next block
marks, for anyone reading the ledger, which release paid a pole and when: a shielded
transfer follows every settlement.  ``EarningsForwarder`` decides when forwarding
happens:

    next-block   each session's earnings in the block after its settlement (the old habit; kept to measure it)
    batched      on the pole's own fixed schedule, every ``period`` blocks at a per-pole offset, the pole
                 forwards everything it earned since its last forward — so a forward's height depends on
                 the schedule, not on any settlement, and one forward covers any number of sessions
"""
from __future__ import annotations

import random

POLICIES = ("batched", "next-block")
DEFAULT_PERIOD = 16


class EarningsForwarder:
    """Earnings per pole, and which poles forward how much at a given height (see the module docstring)."""

    def __init__(self, policy: str = "batched", rng: random.Random | None = None, *, period: int = DEFAULT_PERIOD):
        if policy not in POLICIES:
            raise ValueError(f"forwarding policy must be one of {POLICIES}")
        self.policy, self.period = policy, period
        self.rng = rng or random.SystemRandom()
        self._owed: dict[str, int] = {}
        self._since: dict[str, int] = {}
        self._offset: dict[str, int] = {}
        self._forwarded: list[str] = []

    def earned(self, pole_id: str, amount: int, height: int) -> None:
        """The pole was paid ``amount`` in the block at ``height``."""
        if amount <= 0:
            return
        self._owed[pole_id] = self._owed.get(pole_id, 0) + amount
        self._since.setdefault(pole_id, height)
        self._offset.setdefault(pole_id, self.rng.randrange(self.period))

    def pending(self) -> bool:
        return bool(self._owed)

    def due(self, height: int, idle=None) -> list[tuple[str, int]]:
        """[(pole, amount)] to forward in the block at ``height`` (only poles in ``idle`` when given)."""
        out = []
        for pole_id in sorted(self._owed):
            if idle is not None and pole_id not in idle:
                continue
            if self.policy == "next-block":
                ready = height > self._since[pole_id]
            else:
                ready = height > self._since[pole_id] and (height + self._offset[pole_id]) % self.period == 0
            if ready:
                out.append((pole_id, self._owed.pop(pole_id)))
                del self._since[pole_id]
        return out
