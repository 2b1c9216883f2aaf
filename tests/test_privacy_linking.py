"""The timing adversary (``zkescrow.privacy.linking``) and the settlement policies it attacks.

Synthetic populations (fundings, background transfers and releases drawn the way the
software draws them) measure the design without a ledger: under prompt settlement the
gap between funding and release gives the session away, under hidden settlement the
global maximum-likelihood assignment does no better than twice chance.
"""
import random

import pytest

from zkescrow.errors import MalformedInput
from zkescrow.escrow.settlement_timing import HiddenSettlement, PromptSettlement, settlement_timing
from zkescrow.escrow.world import REFUND_DELAYS
from zkescrow.privacy.linking import (CHARGE_BLOCKS, assign, best_assignment, candidates, gap_model,
                                      posterior_charge)


# --- the policies -----------------------------------------------------------------------------------

def test_hidden_settlement_draws_every_height_up_to_the_margin_and_no_other():
    policy = HiddenSettlement(margin=2, rng=random.Random(3))
    heights = [policy.settle_height(100, 130) for _ in range(4000)]
    assert min(heights) == 101 and max(heights) == 128
    counts = [heights.count(h) for h in range(101, 129)]
    assert max(counts) < 2 * min(counts)                      # roughly uniform over the 28 heights


def test_hidden_settlement_with_no_room_settles_at_once_and_prompt_always_does():
    assert HiddenSettlement(margin=2).settle_height(100, 103) == 101
    assert PromptSettlement().settle_height(100, 130) == 101


@pytest.mark.parametrize("margin", [0, -1, 1.5, True, "2"])
def test_a_settlement_margin_must_be_a_positive_whole_number(margin):
    with pytest.raises(MalformedInput):
        HiddenSettlement(margin=margin)


def test_policies_by_name():
    assert settlement_timing("hidden").name == "hidden" and settlement_timing("prompt").name == "prompt"
    with pytest.raises(MalformedInput, match="prompt"):
        settlement_timing("soon")


# --- the gap models ---------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["prompt", "hidden"])
def test_gap_models_are_distributions_over_the_window(policy):
    model = gap_model(policy)
    assert abs(sum(model.density) - 1) < 1e-9
    assert model.density[0] == 0 and model.max_gap == REFUND_DELAYS[1]


def test_prompt_gaps_give_the_charging_time_away_and_hidden_gaps_do_not():
    prompt, hidden = gap_model("prompt"), gap_model("hidden")
    for c in range(CHARGE_BLOCKS[0], CHARGE_BLOCKS[1] + 1):
        assert posterior_charge(c + 1, prompt)[c] == 1.0
    spread = posterior_charge(60, hidden)
    assert max(spread.values()) < 1.5 / len(spread)           # a long gap: every charging time about as likely


# --- the assignment ---------------------------------------------------------------------------------

def test_the_global_assignment_gives_each_funding_to_one_release():
    """Greedy release-by-release linking would hand the 2-block funding to both releases; the assignment
    gives it to the release it fits and the other funding to the other."""
    fundings = [{"height": 10}, {"height": 12}]
    releases = [{"height": 14}, {"height": 15}]                # gaps 4/2 and 5/3 under prompt (2 … 9)
    matched, _ = assign(releases, fundings, gap_model("prompt"))
    assert sorted(matched) == [0, 1]


def test_candidates_are_the_transfers_of_the_window_before_the_release():
    fundings = [{"height": h} for h in (1, 50, 99, 100, 101)]
    assert candidates(100, fundings, 60) == [1, 2]


def _population(seed: int, policy: str, sessions: int = 40, arrivals: float = 0.5, background: float = 0.5):
    """Fundings (with their session index) and background transfers by height, and each session's release,
    drawn as the simulator's drivers and poles draw them."""
    rng = random.Random(seed)
    clock, fundings, releases = 0.0, [], []
    timing = HiddenSettlement(rng=rng) if policy == "hidden" else PromptSettlement()
    for index in range(sessions):
        clock += rng.expovariate(arrivals)
        opened = int(clock)
        refund = opened + rng.randint(*REFUND_DELAYS)
        funded = opened + 1
        closed = funded + rng.randint(*CHARGE_BLOCKS)
        fundings.append({"height": funded, "session": index})
        releases.append({"height": timing.settle_height(closed, refund), "session": index})
    end = max(r["height"] for r in releases)
    transfers = list(fundings)
    for height in range(end):
        transfers += [{"height": height, "session": None}] * _poisson(rng, background)
    transfers.sort(key=lambda t: t["height"])
    return transfers, releases


def _poisson(rng, rate):
    count, clock = 0, rng.expovariate(rate)
    while clock < 1:
        count, clock = count + 1, clock + rng.expovariate(rate)
    return count


def _linking(policy: str, seeds=range(8)):
    """(share of releases linked to their own funding, mean chance 1/candidates) over several populations."""
    linked = chance = total = 0
    for seed in seeds:
        transfers, releases = _population(seed, policy)
        model, matched = best_assignment(releases, transfers)
        window = model.max_gap
        for release, j in zip(releases, matched):
            linked += j is not None and transfers[j]["session"] == release["session"]
            chance += 1 / max(len(candidates(release["height"], transfers, window)), 1)
            total += 1
    return linked / total, chance / total


def test_prompt_settlement_lets_the_adversary_link_far_above_chance():
    linked, chance = _linking("prompt")
    assert linked > 3 * chance


def test_hidden_settlement_keeps_the_adversary_within_twice_chance():
    linked, chance = _linking("hidden")
    assert linked <= 2 * chance
