"""Choosing one model among the eligible ones.

``weighted-random`` (the original): high-stakes messages go to a uniformly random premium
model; otherwise a roll ``r`` in [0, 1) against the complexity's tier weights picks a tier by
the first rule that applies:

1. ``r < w.cheap`` and there are cheap models: cheap;
2. ``r < w.cheap + w.mid`` and there are mid models: mid;
3. there are premium models: premium;
4. there are mid models: mid;
5. otherwise the best score overall.

and a model is drawn uniformly from that tier. ``best-in-tier`` rolls the same way but
takes the tier's best score; ``best`` takes the best score overall, without a roll.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from modelplane.domain.router_config import TIERS, SelectionStrategy, Tier
from modelplane.router.selection.compiled import CompiledModel, Eligible
from modelplane.router.selection.scoring import Scorer

log = logging.getLogger(__name__)

CHEAP, MID, PREMIUM = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Pick:
    """The chosen model and how it was reached."""

    model: CompiledModel
    tier: Tier
    rule: str
    """``high-stakes``, ``high-stakes-no-premium``, ``roll``, ``best-overall`` or ``best``."""
    exploration: bool
    roll: float | None = None
    pool_size: int = 0
    """How many models the final pick was made among."""


def select(
    eligible: Eligible,
    scorer: Scorer,
    strategy: SelectionStrategy,
    rng: random.Random,
) -> Pick | None:
    """The pick, or ``None`` when nothing is eligible."""
    if eligible.total() == 0:
        return None
    if scorer.classification.is_high_stakes:
        return _high_stakes(eligible, scorer, strategy, rng)
    if strategy == "best":
        return _best_overall(eligible, scorer, "best")
    weights = scorer.router.dials.weights[scorer.classification.complexity]
    roll = rng.random()
    tier = roll_tier(roll, weights, eligible)
    if tier is None:
        return _best_overall(eligible, scorer, "best-overall", roll)
    return _within(eligible, scorer, strategy, rng, tier, "roll", roll, tier != CHEAP)


def roll_tier(roll: float, weights: tuple[float, float, float], eligible: Eligible) -> int | None:
    """Rules 1-4 of the tier roll; ``None`` means rule 5 (best overall)."""
    cheap, mid, premium = (eligible.available(t) > 0 for t in (CHEAP, MID, PREMIUM))
    if roll < weights[CHEAP] and cheap:
        return CHEAP
    if roll < weights[CHEAP] + weights[MID] and mid:
        return MID
    if premium:
        return PREMIUM
    if mid:
        return MID
    return None


def _high_stakes(
    eligible: Eligible, scorer: Scorer, strategy: SelectionStrategy, rng: random.Random
) -> Pick:
    if eligible.available(PREMIUM) == 0:
        domain = scorer.classification.high_stakes_domain
        log.warning("high-stakes (%s) message but no premium model is eligible", domain)
        return _best_overall(eligible, scorer, "high-stakes-no-premium")
    return _within(eligible, scorer, strategy, rng, PREMIUM, "high-stakes", None, False)


def _within(
    eligible: Eligible,
    scorer: Scorer,
    strategy: SelectionStrategy,
    rng: random.Random,
    tier: int,
    rule: str,
    roll: float | None,
    exploration: bool,
) -> Pick:
    size = eligible.available(tier)
    if strategy == "weighted-random":
        model = eligible.pick(tier, rng.randrange(size))
    else:
        best = scorer.best(eligible.in_tier(tier))
        assert best is not None, "a tier with models has a best one"
        model = best
    return Pick(model, TIERS[tier], rule, exploration, roll, size)


def _best_overall(eligible: Eligible, scorer: Scorer, rule: str, roll: float | None = None) -> Pick:
    model = scorer.best(eligible.all())
    assert model is not None, "select() returns early when nothing is eligible"
    return Pick(model, model.tier, rule, False, roll, eligible.total())
