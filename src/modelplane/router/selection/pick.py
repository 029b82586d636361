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

``quality`` replaces the roll by the message's difficulty against the thresholds that the
``quality`` dials' shares come to (``QualityDials``; ``compiled.Dials``: premium from the
difficulty above which ``premiumShare`` of the reference prompts lie, cheap up to the one
below which ``cheapShare`` lie, else mid; an empty tier falls to mid, then premium, then
cheap), and replaces
the uniform pick by a score-weighted one: each model's share of the tier is
``(1 - exploration) * softmax(score / temperature) + exploration / n``. High-stakes messages
still go premium, picked the same weighted way. An exploration pick is one that did not go
to a best-scoring model of its tier.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from math import exp

from modelplane.domain.router_config import TIERS, SelectionStrategy, Tier
from modelplane.router.classification.result import Classification
from modelplane.router.selection.compiled import CompiledModel, Eligible
from modelplane.router.selection.scoring import Scorer

log = logging.getLogger(__name__)

CHEAP, MID, PREMIUM = 0, 1, 2
_FALLS_TO: dict[int, tuple[int, int, int]] = {
    PREMIUM: (PREMIUM, MID, CHEAP),
    MID: (MID, PREMIUM, CHEAP),
    CHEAP: (CHEAP, MID, PREMIUM),
}
"""For the quality strategy: the tiers to try, in order, when a tier is wanted."""


def difficulty_of(classification: Classification) -> float:
    """The message's difficulty in [0, 1] (the classifier's estimate; a classification
    given without one carries ``UNKNOWN_DIFFICULTY``). The one place the router reads it."""
    return classification.difficulty


@dataclass(frozen=True, slots=True)
class Pick:
    """The chosen model and how it was reached."""

    model: CompiledModel
    tier: Tier
    rule: str
    """``high-stakes``, ``high-stakes-no-premium``, ``roll``, ``best-overall``, ``best`` or
    ``difficulty`` (the quality strategy)."""
    exploration: bool
    roll: float | None = None
    pool_size: int = 0
    """How many models the final pick was made among."""
    difficulty: float | None = None
    """The quality strategy: the difficulty the tier followed."""
    wanted: Tier | None = None
    """The quality strategy: the tier the difficulty asked for (``tier`` when it had models)."""
    share: float | None = None
    """The quality strategy: the chosen model's share of its tier's picks."""


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
    if strategy == "quality":
        return _by_difficulty(eligible, scorer, rng)
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


def quality_tier(difficulty: float, premium_threshold: float, cheap_threshold: float) -> int:
    """The tier a difficulty asks for under the quality strategy."""
    if difficulty >= premium_threshold:
        return PREMIUM
    if difficulty <= cheap_threshold:
        return CHEAP
    return MID


def _by_difficulty(eligible: Eligible, scorer: Scorer, rng: random.Random) -> Pick:
    dials = scorer.router.dials
    difficulty = difficulty_of(scorer.classification)
    wanted = quality_tier(difficulty, dials.premium_threshold, dials.cheap_threshold)
    tier = next(t for t in _FALLS_TO[wanted] if eligible.available(t) > 0)
    model, share, explored = _weighted(eligible, scorer, rng, tier)
    return Pick(
        model,
        TIERS[tier],
        "difficulty",
        explored,
        None,
        eligible.available(tier),
        difficulty,
        TIERS[wanted],
        share,
    )


def _weighted(
    eligible: Eligible, scorer: Scorer, rng: random.Random, tier: int
) -> tuple[CompiledModel, float, bool]:
    """A score-weighted draw from ``tier``: the model, its share, and whether it is not a
    best-scoring one."""
    dials = scorer.router.dials
    models = list(eligible.in_tier(tier))
    scores = [scorer.score(m) for m in models]
    top = max(scores)
    weights = [exp((score - top) / dials.temperature) for score in scores]
    keep = (1.0 - dials.exploration) / sum(weights)
    even = dials.exploration / len(models)
    roll = rng.random()
    chosen, share, acc = len(models) - 1, 0.0, 0.0
    for i, weight in enumerate(weights):
        share = keep * weight + even
        acc += share
        if roll < acc:
            chosen = i
            break
    else:
        share = keep * weights[chosen] + even
    return models[chosen], share, scores[chosen] < top


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
    if strategy == "quality":
        model, share, _ = _weighted(eligible, scorer, rng, tier)
        return Pick(model, TIERS[tier], rule, exploration, roll, size, share=share)
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
