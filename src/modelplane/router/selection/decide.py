"""The deterministic stage: from a classification to a chosen model.

Everything here is cheap per-request arithmetic over a ``CompiledRouter``; the benchmark
in ``bench/route.py`` times exactly ``decide``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import ModelplaneError
from modelplane.domain.router_config import Tier
from modelplane.router.classification.result import Classification
from modelplane.router.request import RouteRequest
from modelplane.router.selection.compiled import CompiledModel, CompiledRouter, Eligible
from modelplane.router.selection.pick import Pick, select
from modelplane.router.selection.scoring import Scorer
from modelplane.router.selection.sticky import StickyVerdict, check_sticky


class AllModelsExhausted(ModelplaneError):
    """Nothing is eligible and the fallback model is excluded (or cannot serve)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"all models exhausted: {why}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The choice and everything needed to explain it."""

    model: CompiledModel
    tier: Tier
    is_sticky: bool
    exploration: bool
    is_fallback: bool
    sticky: StickyVerdict
    pick: Pick | None
    eligible: Eligible
    scorer: Scorer


def decide(
    router: CompiledRouter,
    classification: Classification,
    request: RouteRequest,
    rng: random.Random,
) -> Outcome:
    c = classification
    retired = router.sunsets.past(utcnow())
    exclude = [*request.exclude, *retired] if retired else request.exclude
    eligible = router.eligible(
        requires_vision=c.requires_vision,
        requires_long_context=c.requires_long_context,
        images_allowed=c.primary_category == "multimodal",
        context_tokens=request.context_tokens,
        exclude=exclude,
    )
    scorer = Scorer.for_request(
        router, c, request.cost_bias, request.speed_bias, request.previous_model_id
    )
    sticky = check_sticky(router, c, request.previous_model_id, exclude, request.context_tokens)
    if sticky.model is not None:
        m = sticky.model
        return Outcome(m, m.tier, True, False, False, sticky, None, eligible, scorer)
    pick = select(eligible, scorer, router.config.router_settings.selection_strategy, rng)
    if pick is None:
        m = fallback_model(router, list(exclude), "no model is eligible")
        return Outcome(m, m.tier, False, False, True, sticky, None, eligible, scorer)
    return Outcome(
        pick.model, pick.tier, False, pick.exploration, False, sticky, pick, eligible, scorer
    )


def fallback_model(router: CompiledRouter, exclude: list[str], why: str) -> CompiledModel:
    """The fallback-model dial's model, unless it is excluded, unknown or deprecated."""
    model_id = router.config.router_settings.fallback_model_id
    model = router.by_id.get(model_id)
    if model_id in exclude:
        raise AllModelsExhausted(f"{why} and the fallback model {model_id} is excluded")
    if model is None:
        raise AllModelsExhausted(f"{why} and the fallback model {model_id} is not in the catalogue")
    if model.deprecated:
        raise AllModelsExhausted(f"{why} and the fallback model {model_id} is deprecated")
    return model
