"""Global linking: which funding paid for which shielded release, as a maximum-likelihood assignment.

A shielded escrow's funding is a shielded transfer like any other and its release names
no session, so the adversary links them by time alone.  It knows the software (Kerckhoffs):
the drivers' refund delays (``REFUND_DELAYS``), the settlement policies
(``zkescrow.escrow.settlement_timing``) and how long charging takes in blocks.  From these,
``gap_model`` gives the distribution of ``release height − funding height`` under each
policy, and ``assign`` matches every release to a distinct funding candidate so that
the sum of log-likelihoods is largest (the Hungarian method, ``scipy``), which beats
taking, release by release, the most plausible unclaimed transfer: a funding that fits
one release well is not spent on another.  Of the policies it picks the one whose best
assignment is the most likely (a release no candidate explains costs ``log UNEXPLAINED``).

The candidates of a release are all shielded transfers in the ``max_gap`` blocks before
it; ``chance`` for that release is one over their number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from zkescrow.escrow.world import REFUND_DELAYS

#: Blocks of charging between funding and close, as an observer learns them from transparent sessions.
CHARGE_BLOCKS = (1, 8)
SETTLE_MARGIN = 2                 # HiddenSettlement's default: the last blocks before the deadline are left free
UNEXPLAINED = 1e-9                # likelihood of a release that no candidate explains
FLOOR = 1e-6                      # likelihood of an in-window gap a model says cannot happen


@dataclass(frozen=True)
class GapModel:
    """The distribution of release height − funding height under one settlement policy."""

    policy: str
    density: tuple                # density[g] for g = 0 … max_gap

    @property
    def max_gap(self) -> int:
        return len(self.density) - 1

    def likelihood(self, gap: int) -> float:
        if not 1 <= gap <= self.max_gap:
            return 0.0
        return max(self.density[gap], FLOOR)


@lru_cache(maxsize=None)
def gap_model(policy: str, delays: tuple = REFUND_DELAYS, charge: tuple = CHARGE_BLOCKS,
              margin: int = SETTLE_MARGIN) -> GapModel:
    """The gap distribution, enumerated exactly: delay d (from opening; funding one block later) uniform on
    ``delays``, charging c blocks uniform on ``charge``, then 'prompt': the next block; 'hidden': uniform
    from the next block to ``margin`` blocks before the deadline."""
    low, high = delays
    max_gap = high
    density = [0.0] * (max_gap + 1)
    weight = 1.0 / ((high - low + 1) * (charge[1] - charge[0] + 1))
    for d in range(low, high + 1):
        for c in range(charge[0], charge[1] + 1):
            first, last = c + 1, d - 1 - margin          # gaps counted from the funding block
            if policy == "prompt" or last < first:
                density[min(first, max_gap)] += weight
                continue
            share = weight / (last - first + 1)
            for g in range(first, last + 1):
                density[g] += share
    return GapModel(policy, tuple(density))


def candidates(release_height: int, fundings: list, max_gap: int) -> list[int]:
    """Indices of the fundings (dicts with ``height``) that lie in the ``max_gap`` blocks before the release."""
    return [j for j, f in enumerate(fundings) if 1 <= release_height - f["height"] <= max_gap]


def assign(releases: list, fundings: list, model: GapModel, weights=None) -> tuple[list, float]:
    """([funding index or None per release], total log-likelihood): the most likely one-to-one assignment.

    ``weights``: per funding candidate, how much likelier than an ordinary transfer it is to fund a session
    (e.g. one just after a shield); default 1."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    if not releases:
        return [], 0.0
    unexplained = -math.log(UNEXPLAINED)
    n, m = len(releases), len(fundings)
    cost = np.full((n, m + n), unexplained * 2)          # the last n columns: "no candidate" per release
    for i, r in enumerate(releases):
        cost[i, m + i] = unexplained
        for j in candidates(r["height"], fundings, model.max_gap):
            weight = 1.0 if weights is None else weights[j]
            cost[i, j] = -math.log(weight * model.likelihood(r["height"] - fundings[j]["height"]))
    rows, cols = linear_sum_assignment(cost)
    out: list = [None] * n
    total = 0.0
    for i, j in zip(rows, cols):
        total -= cost[i, j]
        out[i] = int(j) if j < m else None
    return out, total


def best_assignment(releases: list, fundings: list, policies=("hidden", "prompt"),
                    weights=None) -> tuple[GapModel, list]:
    """The policy whose most likely assignment is the most likely, and that assignment."""
    best = None
    for policy in policies:
        model = gap_model(policy)
        matched, total = assign(releases, fundings, model, weights)
        if best is None or total > best[0]:
            best = (total, model, matched)
    return best[1], best[2]


def posterior_charge(gap: int, model: GapModel, delays: tuple = REFUND_DELAYS, charge: tuple = CHARGE_BLOCKS,
                     margin: int = SETTLE_MARGIN) -> dict[int, float]:
    """P(charging took c blocks | gap) under ``model``'s policy (c uniform on ``charge`` a priori)."""
    low, high = delays
    post = {}
    for c in range(charge[0], charge[1] + 1):
        p = 0.0
        for d in range(low, high + 1):
            first, last = c + 1, d - 1 - margin
            if model.policy == "prompt" or last < first:
                p += 1.0 if gap == min(first, model.max_gap) else 0.0
            elif first <= gap <= last:
                p += 1.0 / (last - first + 1)
        post[c] = p
    total = sum(post.values())
    return {c: p / total for c, p in post.items()} if total else {}


def posterior_deadline(funding_height: int, release_height: int, model: GapModel,
                       delays: tuple = REFUND_DELAYS, margin: int = SETTLE_MARGIN) -> int:
    """The most likely refund height given the funding and the release (the release is before the deadline;
    under 'hidden' a nearer deadline makes this release height likelier)."""
    low, high = delays
    best, best_p = None, -1.0
    for d in range(low, high + 1):
        deadline = funding_height - 1 + d
        if deadline < release_height + margin:
            continue
        span = deadline - margin - funding_height            # hidden: the release is uniform over about this span
        p = 1.0 if model.policy == "prompt" else 1.0 / max(span, 1)
        if p > best_p:
            best, best_p = deadline, p
    return best if best is not None else release_height + margin
