"""The router's per-model work, done once per change of config, catalogue or profiles.

``compile_router(models, profiles, config)`` turns the catalogue into pools that a
decision only slices: for each combination of "vision required" and "images allowed",
the routable models of each cost tier sorted by context window, widest first. A request's
context requirement is then a prefix of each pool (one bisection), and a uniform pick
among the eligible models of a tier is one random index. Scores are only computed when a
strategy or a face needs them, from terms that are also precomputed here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from modelplane.domain.lifecycle import SunsetSchedule
from modelplane.domain.models import Model
from modelplane.domain.profiles import DEFAULT_CATEGORIES, Profile
from modelplane.domain.router_config import (
    COMPLEXITIES,
    TIERS,
    Complexity,
    ResearchMatch,
    RouterConfig,
    Tier,
)
from modelplane.router.classification.classifier import ClassifierContext
from modelplane.router.classification.difficulty import shipped_model

if TYPE_CHECKING:  # scoring builds on this module
    from modelplane.router.selection.scoring import Candidate

TIER_INDEX: dict[Tier, int] = {tier: i for i, tier in enumerate(TIERS)}


@dataclass(frozen=True, slots=True)
class CompiledModel:
    """One catalogue entry with everything a decision needs already worked out."""

    index: int
    """Position in the catalogue sorted by id: the tie-breaker, lowest first."""
    model: Model
    id: str
    tier: Tier
    average_price: Decimal
    cost_unit: float
    """The cost penalty at costBias 100: average price / divisor * max penalty."""
    speed_bonus: float
    """The first matching speed rule's bonus, before the speedBias factor."""
    context_window: int
    has_vision: bool
    makes_images: bool
    thinks: bool
    is_research: bool
    routable: bool
    """Neither deprecated nor internal-only."""
    deprecated: bool
    profile: Profile | None


@dataclass(frozen=True, slots=True)
class TierPool:
    """The routable models of one tier that pass the capability flags of one pool, widest
    context window first (then by id)."""

    models: tuple[CompiledModel, ...]
    neg_context: tuple[int, ...]
    position: dict[str, int]

    def prefix(self, min_context: float) -> int:
        """How many models have a context window of at least ``min_context``."""
        return bisect_right(self.neg_context, -min_context)


@dataclass(slots=True)
class Eligible:
    """The eligible models of one request: per tier, a prefix of a pool minus exclusions."""

    pools: tuple[TierPool, ...]
    counts: list[int]
    skipped: list[list[int]]

    def available(self, tier: int) -> int:
        return self.counts[tier] - len(self.skipped[tier])

    def total(self) -> int:
        return sum(self.available(t) for t in range(len(TIERS)))

    def pick(self, tier: int, j: int) -> CompiledModel:
        """The ``j``-th eligible model of ``tier`` (0-based), skipping exclusions."""
        for position in self.skipped[tier]:
            if position <= j:
                j += 1
        return self.pools[tier].models[j]

    def in_tier(self, tier: int) -> Iterator[CompiledModel]:
        skipped = self.skipped[tier]
        models = self.pools[tier].models
        for position in range(self.counts[tier]):
            if position not in skipped:
                yield models[position]

    def all(self) -> Iterator[CompiledModel]:
        for tier in range(len(TIERS)):
            yield from self.in_tier(tier)


@dataclass(frozen=True, slots=True)
class Dials:
    """The config's numbers as plain floats, for arithmetic without attribute chains."""

    stickiness_bonus: float
    reasoning_bonus: float
    research_bonus: float
    simple_penalty: float
    complex_boost_threshold: float
    complex_boost_multiplier: float
    default_score: float
    secondary_weight: float
    quality_floor: float
    context_buffer: float
    long_context_threshold: int
    weights: dict[Complexity, tuple[float, float, float]]
    premium_threshold: float
    """The difficulty from which a message goes premium under the quality strategy: the
    one above which ``premiumShare`` of the reference prompts lie (``difficulty.py``)."""
    cheap_threshold: float
    """The difficulty up to which a message goes cheap: ``cheapShare`` of them lie below."""
    temperature: float
    exploration: float


@dataclass
class CompiledRouter:
    """Everything a decision reads, built by ``compile_router``. Immutable after that,
    except for its memos, filled on first use: ``_fixed`` (score terms per classification)
    and ``listings`` (the best five candidates per kind of request, ``router/engine.py``)."""

    config: RouterConfig
    dials: Dials
    models: tuple[CompiledModel, ...]
    by_id: dict[str, CompiledModel]
    pools: dict[tuple[bool, bool], tuple[TierPool, ...]]
    categories: tuple[str, ...]
    profiles_version: int
    classifier_context: ClassifierContext
    sunsets: SunsetSchedule = field(default_factory=lambda: SunsetSchedule(()))
    """The routable models' sunset instants: past one, a model is excluded at route time,
    with no write and no recompilation."""
    _fixed: dict[tuple[str, str | None, Complexity, bool], list[float]] = field(
        default_factory=dict, repr=False
    )
    listings: dict[Hashable, tuple[Candidate, ...]] = field(default_factory=dict, repr=False)

    @property
    def config_version(self) -> int:
        return self.config.version

    def eligible(
        self,
        *,
        requires_vision: bool,
        requires_long_context: bool,
        images_allowed: bool,
        context_tokens: int,
        exclude: Iterable[str],
    ) -> Eligible:
        pools = self.pools[(requires_vision, images_allowed)]
        min_context = self.min_context(context_tokens, requires_long_context)
        counts = [pool.prefix(min_context) for pool in pools]
        skipped: list[list[int]] = [[], [], []]
        for model_id in exclude:
            for tier, pool in enumerate(pools):
                position = pool.position.get(model_id)
                if position is not None and position < counts[tier]:
                    skipped[tier].append(position)
        for positions in skipped:
            positions.sort()
        return Eligible(pools, counts, skipped)

    def min_context(self, context_tokens: int, requires_long_context: bool) -> float:
        needed = context_tokens * self.dials.context_buffer
        if requires_long_context:
            return max(needed, self.dials.long_context_threshold)
        return needed

    def fixed_terms(
        self, primary: str, secondary: str | None, complexity: Complexity, reasoning: bool
    ) -> list[float]:
        """Per model (by ``index``): the quality part of the score plus the reasoning and
        research bonuses, i.e. every term that does not depend on the biases or the
        previous model. Computed once per classification shape, then reused."""
        key = (primary, secondary, complexity, reasoning)
        terms = self._fixed.get(key)
        if terms is None:
            terms = [
                _fixed(m, self.dials, primary, secondary, complexity, reasoning)
                for m in self.models
            ]
            self._fixed[key] = terms
        return terms


def quality_part(
    model: CompiledModel,
    dials: Dials,
    primary: str,
    secondary: str | None,
    complexity: Complexity,
) -> tuple[float, float, float]:
    """``(base, secondary term, multiplier)`` of the score's quality part."""
    profile = model.profile
    if profile is None:
        return dials.default_score, 0.0, _multiplier(None, complexity, dials)
    base = profile.category_scores.get(primary)
    second = profile.category_scores.get(secondary) if secondary is not None else None
    return (
        dials.default_score if base is None else float(base),
        dials.secondary_weight * second if second else 0.0,
        _multiplier(profile, complexity, dials),
    )


def _multiplier(profile: Profile | None, complexity: Complexity, dials: Dials) -> float:
    if complexity == "simple":
        return dials.simple_penalty
    if (
        complexity == "complex"
        and profile is not None
        and profile.quality_score >= dials.complex_boost_threshold
    ):
        return dials.complex_boost_multiplier
    return 1.0


def _fixed(
    model: CompiledModel,
    dials: Dials,
    primary: str,
    secondary: str | None,
    complexity: Complexity,
    reasoning: bool,
) -> float:
    base, second, multiplier = quality_part(model, dials, primary, secondary, complexity)
    value = (base + second) * multiplier
    if reasoning and model.thinks:
        value += dials.reasoning_bonus
    if primary == "research" and model.is_research:
        value += dials.research_bonus
    return value


def compile_router(
    models: Sequence[Model],
    profiles: Sequence[Profile],
    config: RouterConfig,
    categories: Sequence[str] = DEFAULT_CATEGORIES,
) -> CompiledRouter:
    """Do every per-model computation once. Deterministic: the same inputs give the same
    pools in the same order, whatever order the inputs come in."""
    by_profile = {p.model_id: p for p in profiles}
    ordered = sorted(models, key=lambda m: m.id)
    compiled = tuple(
        _compile_model(i, m, by_profile.get(m.id), config) for i, m in enumerate(ordered)
    )
    return _assemble(compiled, config, categories, profiles_version(profiles))


def recompile_models(
    router: CompiledRouter,
    models: Sequence[Model],
    changed: Iterable[str],
    profiles: Mapping[str, Profile],
) -> CompiledRouter:
    """``compile_router`` again for a catalogue in which only the ``changed`` models or
    their profiles differ (same config and categories; ``profiles`` as they are now): only
    those are compiled afresh, the others keep their terms. Most changes are price or
    profile edits, so this keeps a change's cost proportional to what changed, not to the
    catalogue: when the catalogue has the same ids, the pools are patched where the
    changed models were and go (``_patched``) instead of being sorted again."""
    fresh = set(changed)
    version = profiles_version(profiles.values())
    if len(models) == len(router.models) and all(
        new.id == old.id for new, old in zip(models, router.models, strict=True)
    ):  # the same ids, already in order (a snapshot's models are sorted by id)
        return _patched(router, models, fresh, profiles, version)
    ordered = sorted(models, key=lambda m: m.id)
    compiled = []
    for i, model in enumerate(ordered):
        old = router.by_id.get(model.id)
        if old is None or model.id in fresh:
            compiled.append(_compile_model(i, model, profiles.get(model.id), router.config))
        else:
            compiled.append(old if old.index == i else replace(old, index=i))
    return _assemble(tuple(compiled), router.config, router.categories, version)


def _patched(
    router: CompiledRouter,
    ordered: Sequence[Model],
    fresh: set[str],
    profiles: Mapping[str, Profile],
    version: int,
) -> CompiledRouter:
    """``router`` with the ``fresh`` models compiled again, in a catalogue of the same ids
    (so every other model keeps its index and its place in each pool). Equal to
    ``_assemble`` of the whole catalogue: each pool is sorted by (-context window, index),
    so a changed model is taken out of the pools it was in and bisected into the ones it
    fits now."""
    models = list(router.models)
    by_id = dict(router.by_id)
    renewed: list[tuple[CompiledModel, CompiledModel]] = []
    for model_id in sorted(fresh):
        old = router.by_id.get(model_id)
        if old is None:
            continue
        new = _compile_model(old.index, ordered[old.index], profiles.get(model_id), router.config)
        models[new.index] = by_id[model_id] = new
        renewed.append((old, new))
    pools = {
        (vision, images): tuple(
            _repooled(pool, tier, renewed, vision, images)
            for tier, pool in zip(TIERS, tiers, strict=True)
        )
        for (vision, images), tiers in router.pools.items()
    }
    sunsets = router.sunsets
    if any(
        (old.routable, old.model.sunset_date) != (new.routable, new.model.sunset_date)
        for old, new in renewed
    ):
        sunsets = SunsetSchedule(m.model for m in models if m.routable)
    return CompiledRouter(
        config=router.config,
        dials=router.dials,
        models=tuple(models),
        by_id=by_id,
        pools=pools,
        categories=router.categories,
        profiles_version=version,
        classifier_context=_classifier_context(router.config, router.categories, by_id),
        sunsets=sunsets,
    )


def _fits(model: CompiledModel, tier: Tier, requires_vision: bool, images_allowed: bool) -> bool:
    """Whether ``model`` belongs in the pool of ``tier`` for these capability flags."""
    return (
        model.routable
        and model.tier == tier
        and (model.has_vision or not requires_vision)
        and (images_allowed or not model.makes_images)
    )


def _repooled(
    pool: TierPool,
    tier: Tier,
    renewed: list[tuple[CompiledModel, CompiledModel]],
    requires_vision: bool,
    images_allowed: bool,
) -> TierPool:
    """``pool`` with each renewed model in its place: the same one when its sort key (the
    index and context window) and its fit are unchanged, else taken out and bisected in."""
    members = list(pool.models)
    replaced = reordered = False
    for old, new in renewed:
        if reordered:
            at = next((i for i, m in enumerate(members) if m.id == old.id), None)
        else:
            at = pool.position.get(old.id)
        fits = _fits(new, tier, requires_vision, images_allowed)
        if at is not None and fits and old.context_window == new.context_window:
            members[at] = new
            replaced = True
            continue
        if at is not None:
            del members[at]
            reordered = True
        if fits:
            keys = [(-m.context_window, m.index) for m in members]
            members.insert(bisect_left(keys, (-new.context_window, new.index)), new)
            reordered = True
    if reordered:
        return _pool_of(members)
    if replaced:
        return TierPool(models=tuple(members), neg_context=pool.neg_context, position=pool.position)
    return pool


def _assemble(
    compiled: tuple[CompiledModel, ...],
    config: RouterConfig,
    categories: Sequence[str],
    profiles_version: int,
) -> CompiledRouter:
    by_id = {m.id: m for m in compiled}
    return CompiledRouter(
        config=config,
        dials=_dials(config),
        models=compiled,
        by_id=by_id,
        pools={
            (vision, images): _pools(compiled, vision, images)
            for vision in (False, True)
            for images in (False, True)
        },
        categories=tuple(categories),
        profiles_version=profiles_version,
        classifier_context=_classifier_context(config, categories, by_id),
        sunsets=SunsetSchedule(m.model for m in compiled if m.routable),
    )


def _classifier_context(
    config: RouterConfig, categories: Sequence[str], by_id: dict[str, CompiledModel]
) -> ClassifierContext:
    settings = config.router_settings
    router_model = by_id.get(settings.router_model_id)
    actual = router_model.model.actual_model_id if router_model is not None else None
    return ClassifierContext(
        categories=tuple(categories),
        domains=tuple(config.high_stakes_domains),
        long_context_threshold=settings.long_context_threshold,
        context_buffer=settings.context_buffer,
        router_model=actual or settings.router_model_id,
        temperature=settings.classifier_temperature,
        timeout_seconds=settings.classifier_timeout_seconds,
        max_retries=settings.max_retries,
    )


def profiles_version(profiles: Iterable[Profile]) -> int:
    """The sum of the profiles' versions. Every profile write adds one to a version, so the
    sum moves on every edit (a max would not move when an older profile changes). Only
    deleting a profile lowers it."""
    return sum(p.version for p in profiles)


def _compile_model(
    index: int, model: Model, profile: Profile | None, config: RouterConfig
) -> CompiledModel:
    average = model.pricing.average
    scale = config.router_settings.cost_penalty_scale
    return CompiledModel(
        index=index,
        model=model,
        id=model.id,
        tier=config.cost_tiers.tier_of(float(average)),
        average_price=average,
        cost_unit=float(average) / scale.divisor * scale.max_penalty,
        speed_bonus=config.speed_bonus_for(model.id, model.host_order, list(model.capabilities)),
        context_window=model.context_window,
        has_vision=model.has("vision"),
        makes_images=model.has("image-generation"),
        thinks=model.has("thinking") or model.has("extended-thinking"),
        is_research=is_research_model(model, config.scoring_bonuses.research_match),
        routable=model.status != "deprecated" and not model.is_internal_only,
        deprecated=model.status == "deprecated",
        profile=profile,
    )


def is_research_model(model: Model, match: ResearchMatch) -> bool:
    """Any rule of the research-match dial: an id prefix, a provider or a capability."""
    return (
        any(model.id.startswith(prefix) for prefix in match.id_prefixes)
        or model.provider in match.providers
        or any(model.has(c) for c in match.capabilities)
    )


def _dials(config: RouterConfig) -> Dials:
    bonuses, complexity, settings, quality = (
        config.scoring_bonuses,
        config.complexity,
        config.router_settings,
        config.quality,
    )
    reference = shipped_model()  # its spread turns the quality shares into thresholds
    return Dials(
        stickiness_bonus=bonuses.stickiness_bonus,
        reasoning_bonus=bonuses.reasoning_bonus,
        research_bonus=bonuses.research_bonus,
        simple_penalty=complexity.simple_penalty,
        complex_boost_threshold=complexity.complex_boost_threshold,
        complex_boost_multiplier=complexity.complex_boost_multiplier,
        default_score=settings.default_score_without_profile,
        secondary_weight=settings.secondary_category_weight,
        quality_floor=settings.quality_floor,
        context_buffer=settings.context_buffer,
        long_context_threshold=settings.long_context_threshold,
        weights={c: _weights(config, c) for c in COMPLEXITIES},
        premium_threshold=reference.threshold(quality.premium_share, hardest=True),
        cheap_threshold=reference.threshold(quality.cheap_share, hardest=False),
        temperature=quality.temperature,
        exploration=quality.exploration,
    )


def _weights(config: RouterConfig, complexity: Complexity) -> tuple[float, float, float]:
    weights = config.tier_weights.of(complexity)
    return (weights.cheap, weights.mid, weights.premium)


def _pools(
    models: Sequence[CompiledModel], requires_vision: bool, images_allowed: bool
) -> tuple[TierPool, ...]:
    fits = [
        m
        for m in models
        if m.routable
        and (m.has_vision or not requires_vision)
        and (images_allowed or not m.makes_images)
    ]
    return tuple(_pool([m for m in fits if m.tier == tier]) for tier in TIERS)


def _pool(models: list[CompiledModel]) -> TierPool:
    return _pool_of(sorted(models, key=lambda m: (-m.context_window, m.index)))


def _pool_of(ordered_models: Sequence[CompiledModel]) -> TierPool:
    """A pool of models already in order (widest context window first, then by index)."""
    ordered = tuple(ordered_models)
    return TierPool(
        models=ordered,
        neg_context=tuple(-m.context_window for m in ordered),
        position={m.id: i for i, m in enumerate(ordered)},
    )
