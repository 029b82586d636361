"""The baseline for ``bench/route.py``: the router's rules implemented the straightforward
way, recomputing every per-model term on every request from the domain objects (Decimal
prices, the speed rules, the cost tiers, profile look-ups), then scoring every eligible
model and rolling the tier. Same rules, same answers as ``modelplane.router``; no
precomputation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from modelplane.domain.models import Model
from modelplane.domain.profiles import Profile
from modelplane.domain.router_config import RouterConfig
from modelplane.router import Classification, RouteRequest


@dataclass
class NaiveCandidate:
    model: Model
    score: float
    tier: str


def naive_route(
    models: list[Model],
    profiles: dict[str, Profile],
    config: RouterConfig,
    c: Classification,
    request: RouteRequest,
    rng: random.Random,
) -> str:
    """The chosen model's id."""
    settings = config.router_settings
    previous = next((m for m in models if m.id == request.previous_model_id), None)
    if previous is not None and _keeps(previous, c, request, config):
        return previous.id
    candidates = [
        NaiveCandidate(m, naive_score(m, profiles.get(m.id), config, c, request), _tier(m, config))
        for m in models
        if naive_eligible(m, c, request, config)
    ]
    if not candidates:
        return settings.fallback_model_id
    by_tier = {t: [x for x in candidates if x.tier == t] for t in ("cheap", "mid", "premium")}
    if c.is_high_stakes:
        if by_tier["premium"]:
            return _pick(by_tier["premium"], strategy=settings.selection_strategy, rng=rng)
        return _best(candidates).model.id
    strategy = settings.selection_strategy
    if strategy == "best":
        return _best(candidates).model.id
    w = config.tier_weights.of(c.complexity)
    r = rng.random()
    if r < w.cheap and by_tier["cheap"]:
        pool = by_tier["cheap"]
    elif r < w.cheap + w.mid and by_tier["mid"]:
        pool = by_tier["mid"]
    elif by_tier["premium"]:
        pool = by_tier["premium"]
    elif by_tier["mid"]:
        pool = by_tier["mid"]
    else:
        return _best(candidates).model.id
    return _pick(pool, strategy, rng)


def _pick(pool: list[NaiveCandidate], strategy: str, rng: random.Random) -> str:
    return rng.choice(pool).model.id if strategy == "weighted-random" else _best(pool).model.id


def naive_eligible(
    m: Model, c: Classification, request: RouteRequest, config: RouterConfig
) -> bool:
    s = config.router_settings
    return not (
        m.status == "deprecated"
        or m.id in request.exclude
        or m.is_internal_only
        or m.context_window < request.context_tokens * s.context_buffer
        or (c.requires_vision and "vision" not in m.capabilities)
        or (c.requires_long_context and m.context_window < s.long_context_threshold)
        or ("image-generation" in m.capabilities and c.primary_category != "multimodal")
    )


def naive_score(
    m: Model,
    profile: Profile | None,
    config: RouterConfig,
    c: Classification,
    request: RouteRequest,
) -> float:
    s, bonuses, cx = config.router_settings, config.scoring_bonuses, config.complexity
    base = profile.category_scores.get(c.primary_category) if profile else None
    score = float(s.default_score_without_profile if base is None else base)
    if profile and c.secondary_category:
        second = profile.category_scores.get(c.secondary_category)
        if second:
            score += s.secondary_category_weight * second
    if c.complexity == "simple":
        score *= cx.simple_penalty
    elif (
        c.complexity == "complex"
        and profile
        and profile.quality_score >= cx.complex_boost_threshold
    ):
        score *= cx.complex_boost_multiplier
    average = float((m.pricing.input + m.pricing.output) / 2)
    scale = s.cost_penalty_scale
    score -= average / scale.divisor * (request.cost_bias / 100) * scale.max_penalty
    speed = config.speed_bonus_for(m.id, m.host_order, list(m.capabilities))
    score += speed * (request.speed_bias / 100)
    if m.id == request.previous_model_id:
        score += bonuses.stickiness_bonus
    if c.requires_reasoning and (
        "thinking" in m.capabilities or "extended-thinking" in m.capabilities
    ):
        score += bonuses.reasoning_bonus
    match = bonuses.research_match
    is_research = (
        any(m.id.startswith(p) for p in match.id_prefixes)
        or m.provider in match.providers
        or any(cap in m.capabilities for cap in match.capabilities)
    )
    if c.primary_category == "research" and is_research:
        score += bonuses.research_bonus
    return max(s.quality_floor, score)


def _keeps(m: Model, c: Classification, request: RouteRequest, config: RouterConfig) -> bool:
    s = config.router_settings
    return (
        c.recommended_action == "keep"
        and m.id not in request.exclude
        and m.status != "deprecated"
        and (not c.requires_vision or "vision" in m.capabilities)
        and (not c.requires_long_context or m.context_window >= s.long_context_threshold)
        and m.context_window >= request.context_tokens * s.context_buffer
    )


def _tier(m: Model, config: RouterConfig) -> str:
    return config.cost_tiers.tier_of(float((m.pricing.input + m.pricing.output) / 2))


def _best(candidates: list[NaiveCandidate]) -> NaiveCandidate:
    return max(candidates, key=lambda x: (x.score, [-ord(ch) for ch in x.model.id]))
