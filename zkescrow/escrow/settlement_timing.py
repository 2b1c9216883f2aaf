"""When a closed session's settlement goes on the ledger: a policy of the party that posts it.

On a live chain, the number of blocks between a shielded escrow's funding and its release
is public.  Posted in the block after the close, it is the charging time plus a constant,
so it gives the energy away (``packets_per_block`` is no secret) and, where few sessions
overlap, it ties the release to its funding.  A signed decision stays valid until the
session's refund height, so the settlement need not follow the close:

* ``PromptSettlement`` posts in the next block (transparent escrow: the open already names
  pole, deposit and deadline, so waiting hides nothing and only delays the money);
* ``HiddenSettlement`` draws the posting height uniformly (from the OS's randomness) over every block
  from the next one to ``margin`` blocks before the refund height.  With deadlines drawn
  uniformly from the world's ``refund_delays``, the release then lands anywhere in that
  span whatever the energy was, and its distance from the funding says next to nothing
  about the charging time.  What it costs: the pole waits for its money, on average half
  the time to the deadline; what remains public: the release is before the (hidden)
  deadline and after the funding, so it is one of the transfers of the last
  ``max(refund_delays)`` blocks.

``margin`` (≥ 1) keeps a block or more in which a settlement that missed its block can
still land before the driver may refund.
"""
from __future__ import annotations

import secrets
from typing import Protocol

from zkescrow.errors import MalformedInput


class SettlementTiming(Protocol):
    """Chooses the height at which the settlement of a closed session is posted."""

    name: str

    def settle_height(self, tip: int, refund_height: int) -> int:
        """The block height to post at: after ``tip``, before ``refund_height``."""


class PromptSettlement:
    """Settle in the next block."""

    name = "prompt"

    def settle_height(self, tip: int, refund_height: int) -> int:
        return tip + 1


class HiddenSettlement:
    """Settle at a height drawn uniformly from [tip + 1, refund_height − margin]."""

    name = "hidden"

    def __init__(self, margin: int = 2, *, rng=None):
        if isinstance(margin, bool) or not isinstance(margin, int) or margin < 1:
            raise MalformedInput("the settlement margin must be a whole number of blocks, at least 1")
        self.margin = margin
        self.rng = rng or secrets.SystemRandom()     # a seeded random.Random only to replay a simulation

    def settle_height(self, tip: int, refund_height: int) -> int:
        last = refund_height - self.margin
        if last <= tip + 1:
            return tip + 1                     # no room left to wait: settle at once
        return self.rng.randint(tip + 1, last)


POLICIES = {"prompt": PromptSettlement, "hidden": HiddenSettlement}


def settlement_timing(name: str) -> SettlementTiming:
    """A policy by name ('prompt' or 'hidden'); MalformedInput for any other."""
    cls = POLICIES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise MalformedInput(f"settlement timing must be one of {', '.join(POLICIES)}")
    return cls()
