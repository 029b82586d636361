"""The router engine: ``Router(data, classifier).route(request, context)``.

``data`` is the compiled router data of one snapshot (``compile_router``), the classifier is
whichever one the caller chose. The engine knows nothing of where either came from: which
source a user reads, experiments, the decision log and shadowing are the routing service's
(``services/routing.py``). It classifies (or takes the request's classification), decides
and explains; an error on the way falls back to the fallback model and says why. Only
"all models exhausted" and an invalid given classification reach the caller.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import perf_counter_ns

from modelplane.router.classification.classifier import Classifier, ClassifierFailed, Message
from modelplane.router.classification.difficulty import DifficultyModelError, default_model
from modelplane.router.classification.result import CONSERVATIVE, Classification
from modelplane.router.decision import ClassificationSource, RouteDecision, Timing
from modelplane.router.explanation import describe_classification, explain, explain_failure
from modelplane.router.request import TOP_CANDIDATES, RouteRequest
from modelplane.router.selection.compiled import CompiledModel, CompiledRouter
from modelplane.router.selection.decide import AllModelsExhausted, Outcome, decide
from modelplane.router.selection.scoring import Candidate

log = logging.getLogger(__name__)
_unseeded = random.Random()


@dataclass(frozen=True)
class RouteContext:
    """What one call brings besides the request: when the caller started working on it
    (so ``timing`` covers choosing the data too), and the random source for an unseeded
    request (a seeded one always rolls with its seed), and the id the decision is logged
    under, if it is logged."""

    started_ns: int = field(default_factory=perf_counter_ns)
    rng: random.Random | None = None
    decision_id: str | None = None


class Router:
    def __init__(self, data: CompiledRouter, classifier: Classifier) -> None:
        self.data = data
        self.classifier = classifier

    def route(self, request: RouteRequest, context: RouteContext | None = None) -> RouteDecision:
        context = context or RouteContext()
        data = self.data
        classification, how, note = self.classify(request)
        classified = perf_counter_ns()
        seeded = random.Random(request.seed) if request.seed is not None else None
        rng = seeded or context.rng or _unseeded
        try:
            outcome = decide(data, classification, request, rng)
        except AllModelsExhausted:
            raise
        except Exception as exc:  # a bug or bad data must not leave the user without a model
            log.exception("routing failed; using the fallback model")
            return self._fallback_after_error(request, classification, how, context, exc)
        decided = perf_counter_ns()
        reasoning = describe_classification(classification, how, note)
        return self._decision(
            request, classification, how, outcome, reasoning, context, classified, decided
        )

    def classify(
        self, request: RouteRequest
    ) -> tuple[Classification, ClassificationSource, str | None]:
        """The caller's classification (checked against the known categories and domains),
        or the classifier's, or the conservative one with the reason the classifier failed."""
        data = self.data
        given = request.classification
        if given is not None:
            given.check_against(data.categories, data.config.high_stakes_domains)
            if "difficulty" in given.model_fields_set or not request.text.strip():
                return given, "given", None
            # The caller said what the task is, not how hard: the shipped estimator says
            # that from the text, as it does for the LLM classifier (no text: the median).
            try:
                difficulty = round(default_model().estimate(request.text), 3)
            except DifficultyModelError as exc:
                return given, "given", f"difficulty unknown, counted as median ({exc})"
            return given.model_copy(update={"difficulty": difficulty}), "given", None
        message = Message(
            text=request.text,
            attachment_types=tuple(request.attachment_types),
            context_tokens=request.context_tokens,
            has_previous_model=request.previous_model_id is not None,
        )
        classifier = self.classifier
        try:
            return classifier.classify(message, data.classifier_context), classifier.name, None
        except ClassifierFailed as exc:
            return CONSERVATIVE, "conservative", str(exc)
        except Exception as exc:
            log.exception("the %s classifier crashed", classifier.name)
            return CONSERVATIVE, "conservative", f"the classifier failed ({error_text(exc)})"

    def _decision(
        self,
        request: RouteRequest,
        classification: Classification,
        how: ClassificationSource,
        outcome: Outcome,
        classified_text: str,
        context: RouteContext,
        classified: int,
        decided: int,
    ) -> RouteDecision:
        candidates, rank = _listed(outcome, request.candidates == "all")
        reasoning = f"{classified_text} {explain(outcome, request.previous_model_id)}"
        return RouteDecision(
            selected_model_id=outcome.model.id,
            tier=outcome.tier,
            classification=classification,
            classification_source=how,
            candidates=candidates,
            candidate_count=outcome.eligible.total(),
            selected_rank=rank,
            is_sticky=outcome.is_sticky,
            exploration_pick=outcome.exploration,
            is_fallback=outcome.is_fallback,
            reasoning=reasoning,
            config_version=self.data.config_version,
            profiles_version=self.data.profiles_version,
            seed=request.seed,
            timing=_timing(context.started_ns, classified, decided),
            decision_id=context.decision_id,
        )

    def _fallback_after_error(
        self,
        request: RouteRequest,
        classification: Classification,
        how: ClassificationSource,
        context: RouteContext,
        exc: Exception,
    ) -> RouteDecision:
        data = self.data
        fallback_id = data.config.router_settings.fallback_model_id
        _refuse_if_excluded(fallback_id, request.exclude)
        model = data.by_id.get(fallback_id)
        now = perf_counter_ns()
        return RouteDecision(
            selected_model_id=fallback_id,
            tier=model.tier if model else None,
            classification=classification,
            classification_source=how,
            candidates=[],
            candidate_count=0,
            is_sticky=False,
            exploration_pick=False,
            is_fallback=True,
            reasoning=explain_failure(fallback_id, error_text(exc)),
            config_version=data.config_version,
            profiles_version=data.profiles_version,
            seed=request.seed,
            error=error_text(exc),
            timing=_timing(context.started_ns, now, now),
            decision_id=context.decision_id,
        )


LISTINGS_KEPT = 1024
"""Default listings each compiled router remembers (five candidates each); past that, the
oldest is dropped."""


def _listed(outcome: Outcome, everything: bool) -> tuple[list[Candidate], int | None]:
    """The candidates to list, best score first (then by id), and the chosen model's rank.
    Every eligible model is scored once (a float each); only the listed ones get a
    breakdown, so a ``top`` answer costs one pass, a partial sort and a handful of
    breakdowns, not one per model.

    The best five depend only on what ``_listing_key`` names, which requests of one kind
    share: they are built once per kind and compiled router (so per change of the data)
    and then reused; candidates are frozen, so sharing them is safe. The chosen model's
    rank is then its place among them, or, when the pick lies outside them, counted
    afresh and its candidate added."""
    if everything:
        return _list(outcome, everything)
    memo = outcome.scorer.router.listings
    key = _listing_key(outcome)
    top = memo.get(key)
    counted: int | None = None
    if top is None:
        best, counted = _list(outcome, False, with_chosen=False)
        top = tuple(best)
        if len(memo) >= LISTINGS_KEPT:
            memo.pop(next(iter(memo), None), None)
        memo[key] = top
    candidates = list(top)
    if outcome.is_fallback:
        return candidates, None
    chosen = outcome.model
    for position, candidate in enumerate(top):
        if candidate.model_id == chosen.id:
            return candidates, position + 1
    rank = counted if counted is not None else _rank(outcome)
    if rank is not None:  # eligible, and below the best five
        candidates.append(outcome.scorer.candidate(chosen))
    return candidates, rank


def _listing_key(outcome: Outcome) -> tuple[object, ...]:
    """Everything the best five are computed from: the eligible models (their pool, its
    prefix per tier and the positions skipped) and the score's inputs (the
    classification's categories, complexity and reasoning, the bias factors, the previous
    model)."""
    eligible, scorer = outcome.eligible, outcome.scorer
    c = scorer.classification
    return (
        id(eligible.pools),  # one of the router's own pools, alive as long as its memo
        tuple(eligible.counts),
        tuple(tuple(s) for s in eligible.skipped),
        c.primary_category,
        c.secondary_category,
        c.complexity,
        c.requires_reasoning,
        scorer.cost_factor,
        scorer.speed_factor,
        scorer.previous_model_id,
    )


def _rank(outcome: Outcome) -> int | None:
    """The chosen model's place among the eligible ones, or ``None`` if it is not one."""
    score, chosen = outcome.scorer.score, outcome.model
    chosen_key = (-score(chosen), chosen.id)
    rank, found = 1, False
    for m in outcome.eligible.all():
        if m is chosen:
            found = True
        elif (-score(m), m.id) < chosen_key:
            rank += 1
    return rank if found else None


def _list(
    outcome: Outcome, everything: bool, with_chosen: bool = True
) -> tuple[list[Candidate], int | None]:
    """The listing computed afresh (``with_chosen=False``: the best five alone)."""
    scorer, chosen = outcome.scorer, outcome.model
    score = scorer.score
    keyed = [(-score(m), m.id, m) for m in outcome.eligible.all()]
    rank: int | None = None
    if not outcome.is_fallback:
        chosen_key = next(((s, i) for s, i, m in keyed if m is chosen), None)
        if chosen_key is not None:
            rank = 1 + sum(1 for s, i, _ in keyed if (s, i) < chosen_key)
    if everything:
        keyed.sort(key=_by_key)
        ranked = [m for _, _, m in keyed]
    else:
        ranked = [m for _, _, m in heapq.nsmallest(TOP_CANDIDATES, keyed, key=_by_key)]
        if with_chosen and rank is not None and rank > TOP_CANDIDATES:
            ranked.append(chosen)
    return [scorer.candidate(m) for m in ranked], rank


def _by_key(entry: tuple[float, str, CompiledModel]) -> tuple[float, str]:
    return entry[0], entry[1]


def without_data(
    request: RouteRequest, fallback_model_id: str, error: str, context: RouteContext | None = None
) -> RouteDecision:
    """The answer when there is no router data to route with: ``fallback_model_id``, and
    why, said plainly."""
    context = context or RouteContext()
    _refuse_if_excluded(fallback_model_id, request.exclude)
    now = perf_counter_ns()
    return RouteDecision(
        selected_model_id=fallback_model_id,
        classification=request.classification or CONSERVATIVE,
        classification_source="given" if request.classification else "conservative",
        candidates=[],
        candidate_count=0,
        is_sticky=False,
        exploration_pick=False,
        is_fallback=True,
        reasoning=explain_failure(fallback_model_id, error),
        config_version=0,
        profiles_version=0,
        seed=request.seed,
        error=error,
        timing=_timing(context.started_ns, now, now),
        decision_id=context.decision_id,
    )


def _refuse_if_excluded(fallback_id: str, exclude: Sequence[str]) -> None:
    if fallback_id in exclude:
        raise AllModelsExhausted(f"routing failed and the fallback model {fallback_id} is excluded")


def _timing(start: int, classified: int, decided: int) -> Timing:
    return Timing(
        classification_us=(classified - start) // 1000,
        decision_us=(decided - classified) // 1000,
        total_us=(perf_counter_ns() - start) // 1000,
    )


def error_text(exc: BaseException) -> str:
    """The first line of an error, with its type: ``RuntimeError: disk on fire``."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["RouteContext", "Router", "error_text", "without_data"]
