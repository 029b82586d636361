"""The router's one entry point for every face: ``route(runtime, request)``.

It reads the data through the read path, reuses the compiled router while the config,
catalogue and profiles are unchanged, classifies (or takes the caller's classification),
decides, explains and logs. Any error on the way falls back to the fallback model and says
why; only "all models exhausted" and an invalid given classification reach the caller.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from time import perf_counter_ns

import httpx

from modelplane.bootstrap import Runtime
from modelplane.domain.experiments import assign
from modelplane.domain.flags import UserContext
from modelplane.domain.reader import CatalogReader
from modelplane.domain.router_config import RouterConfig, RouterConfigDoc
from modelplane.router.classification.classifier import Classifier, ClassifierFailed, Message
from modelplane.router.classification.embedded import EmbeddedClassifier
from modelplane.router.classification.llm import LLMClassifier
from modelplane.router.classification.result import CONSERVATIVE, Classification
from modelplane.router.decision import ClassificationSource, RouteDecision, Timing
from modelplane.router.explanation import describe_classification, explain, explain_failure
from modelplane.router.request import RouteRequest
from modelplane.router.selection.compiled import CompiledRouter, compile_router
from modelplane.router.selection.decide import AllModelsExhausted, Outcome, decide
from modelplane.settings import Settings
from modelplane.store.static import static_tables

log = logging.getLogger(__name__)


class RouterCache:
    """Compiled routers keyed on what they were compiled from. Snapshot and static sources
    name their data cheaply (``CatalogReader.cache_key``); a live database source is keyed
    on the config's version, each model's and profile's (id, version, update time) and the
    category ids. An experiment variant adds its name. Thread-safe; keeps the most recently
    used few."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, CompiledRouter] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, reader: CatalogReader, arm: ExperimentArm | None = None) -> CompiledRouter:
        arm_key = (arm.experiment, arm.variant) if arm else None
        config = arm.config if arm else None
        # From immutable snapshots, the compiled router lives as long as the snapshot does.
        kept = reader.memo(("compiled-router", arm_key), lambda: _compile(reader, config))
        if kept is not None:
            return kept
        data_key: Hashable = reader.cache_key() or _content_key(reader)
        key = (data_key, (arm.experiment, arm.variant) if arm else None)
        with self._lock:
            router = self._entries.get(key)
            if router is not None:
                self._entries.move_to_end(key)
                return router
        config = arm.config if arm else reader.router_config()
        router = _compile_with(reader, config)
        with self._lock:
            self._entries[key] = router
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return router

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _content_key(reader: CatalogReader) -> Hashable:
    config = reader.router_config()
    return (
        (config.version, config.updated_at),
        tuple((m.id, m.version, m.updated_at) for m in reader.models()),
        tuple((p.model_id, p.version, p.updated_at) for p in reader.profiles()),
        tuple(c.id for c in reader.categories()),
    )


@dataclass(frozen=True)
class ExperimentArm:
    """The experiment variant a user is assigned to, and the config it routes with."""

    experiment: str
    variant: str
    config: RouterConfig


_cache = RouterCache()
_embedded = EmbeddedClassifier()
_unseeded = random.Random()
_http_lock = threading.Lock()
_http: httpx.Client | None = None


def route(
    source: Runtime | CatalogReader,
    request: RouteRequest,
    *,
    classifier: Classifier | None = None,
    http_client: httpx.Client | None = None,
    config: RouterConfig | None = None,
    context: UserContext | None = None,
) -> RouteDecision:
    """Route one message. ``classifier`` overrides the configured one; ``http_client`` is
    what the LLM classifier talks through (a shared client when omitted). ``config`` routes
    with an unsaved config instead of the stored one (the console's "what if"): it is
    compiled afresh, never cached, and its decisions are not logged.

    With a runtime, ``context`` is the user the request is for: the rollout flags choose the
    data's source for them, and a running experiment may assign them a variant's config.
    """
    start = perf_counter_ns()
    runtime = source if isinstance(source, Runtime) else None
    if runtime is not None:
        reader = runtime.reader_for(context or UserContext())
    else:
        assert isinstance(source, CatalogReader)
        reader = source
    settings = runtime.settings if runtime is not None else Settings()
    arm = None
    if runtime is not None and config is None and context is not None:
        arm = experiment_arm(runtime, reader, context)
    try:
        router = _compile_with(reader, config) if config else _cache.get(reader, arm)
    except Exception as exc:  # the data cannot be read: still answer, with the fallback
        log.warning("routing without data: %s", exc)
        decision = _without_data(request, start, _error_text(exc))
    else:
        decision = _route(router, request, settings, start, classifier, http_client)
        if arm is not None:
            decision = decision.model_copy(
                update={"experiment": arm.experiment, "variant": arm.variant}
            )
    uses_db = "db" in (settings.models_source, settings.router_config_source)
    if runtime is not None and config is None and uses_db:
        chosen = reader.find(decision.selected_model_id)
        average = chosen.pricing.average if chosen is not None else None
        runtime.decisions.record(request.text, decision, settings.log_decision_text, average)
    return decision


def experiment_arm(
    runtime: Runtime, reader: CatalogReader, context: UserContext
) -> ExperimentArm | None:
    """The variant of the first running experiment that takes this user, if the router's
    data comes from the database for them (experiments live there)."""
    from modelplane.live.source import SnapshotSource

    if not runtime.live_reads or not isinstance(reader.routing_source, SnapshotSource):
        return None
    for experiment in reader.routing_source.snapshot().experiments:
        variant = assign(experiment, context)
        if variant is not None:
            build = partial(_variant_config, reader, variant.config)
            key = ("variant-config", experiment.name, variant.name)
            config = reader.memo(key, build) or build()
            return ExperimentArm(experiment.name, variant.name, config)
    return None


def _variant_config(reader: CatalogReader, doc: RouterConfigDoc) -> RouterConfig:
    """A variant's document as a stored config, versioned like the live one it varies."""
    stored = reader.router_config()
    return RouterConfig.model_validate(
        {
            **doc.model_dump(),
            "version": stored.version,
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
        }
    )


def _compile(reader: CatalogReader, config: RouterConfig | None) -> CompiledRouter:
    return _compile_with(reader, config or reader.router_config())


def _compile_with(reader: CatalogReader, config: RouterConfig) -> CompiledRouter:
    categories = [c.id for c in reader.categories()]
    return compile_router(reader.models(), reader.profiles(), config, categories)


def _route(
    router: CompiledRouter,
    request: RouteRequest,
    settings: Settings,
    start: int,
    classifier: Classifier | None,
    http_client: httpx.Client | None,
) -> RouteDecision:
    chosen = classifier or _configured_classifier(router, settings, http_client)
    classification, how, note = classify(router, request, chosen)
    classified = perf_counter_ns()
    rng = random.Random(request.seed) if request.seed is not None else _unseeded
    try:
        outcome = decide(router, classification, request, rng)
    except AllModelsExhausted:
        raise
    except Exception as exc:  # a bug or bad data must not leave the user without a model
        log.exception("routing failed; using the fallback model")
        return _fallback_after_error(router, request, classification, how, start, exc)
    decided = perf_counter_ns()
    reasoning = describe_classification(classification, how, note)
    return _decision(
        router, request, classification, how, outcome, reasoning, start, classified, decided
    )


def classify(
    router: CompiledRouter, request: RouteRequest, classifier: Classifier
) -> tuple[Classification, ClassificationSource, str | None]:
    """The caller's classification (checked against the known categories and domains), or
    the classifier's, or the conservative one with the reason the classifier failed."""
    if request.classification is not None:
        request.classification.check_against(router.categories, router.config.high_stakes_domains)
        return request.classification, "given", None
    message = Message(
        text=request.text,
        attachment_types=tuple(request.attachment_types),
        context_tokens=request.context_tokens,
        has_previous_model=request.previous_model_id is not None,
    )
    try:
        return classifier.classify(message, router.classifier_context), classifier.name, None
    except ClassifierFailed as exc:
        return CONSERVATIVE, "conservative", str(exc)
    except Exception as exc:
        log.exception("the %s classifier crashed", classifier.name)
        return CONSERVATIVE, "conservative", f"the classifier failed ({_error_text(exc)})"


def _configured_classifier(
    router: CompiledRouter, settings: Settings, http_client: httpx.Client | None
) -> Classifier:
    if router.config.router_settings.classifier != "llm":
        return _embedded
    if not settings.llm_base_url:
        log.warning("the LLM classifier is selected but no LLM base URL is set; using embedded")
        return _embedded
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLMClassifier(http_client or _shared_client(), settings.llm_base_url, key)


def _shared_client() -> httpx.Client:
    global _http
    with _http_lock:
        if _http is None:
            _http = httpx.Client()
        return _http


def _decision(
    router: CompiledRouter,
    request: RouteRequest,
    classification: Classification,
    how: ClassificationSource,
    outcome: Outcome,
    classified_text: str,
    start: int,
    classified: int,
    decided: int,
) -> RouteDecision:
    scorer = outcome.scorer
    candidates = sorted(
        (scorer.candidate(m) for m in outcome.eligible.all()),
        key=lambda c: (-c.score, c.model_id),
    )
    reasoning = f"{classified_text} {explain(outcome, request.previous_model_id)}"
    return RouteDecision(
        selected_model_id=outcome.model.id,
        tier=outcome.tier,
        classification=classification,
        classification_source=how,
        candidates=candidates,
        candidate_count=len(candidates),
        is_sticky=outcome.is_sticky,
        exploration_pick=outcome.exploration,
        is_fallback=outcome.is_fallback,
        reasoning=reasoning,
        config_version=router.config_version,
        profiles_version=router.profiles_version,
        seed=request.seed,
        timing=_timing(start, classified, decided),
    )


def _fallback_after_error(
    router: CompiledRouter,
    request: RouteRequest,
    classification: Classification,
    how: ClassificationSource,
    start: int,
    exc: Exception,
) -> RouteDecision:
    fallback_id = router.config.router_settings.fallback_model_id
    _refuse_if_excluded(fallback_id, request.exclude)
    model = router.by_id.get(fallback_id)
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
        reasoning=explain_failure(fallback_id, _error_text(exc)),
        config_version=router.config_version,
        profiles_version=router.profiles_version,
        seed=request.seed,
        error=_error_text(exc),
        timing=_timing(start, now, now),
    )


def _without_data(request: RouteRequest, start: int, error: str) -> RouteDecision:
    """The data could not be read: the bundled config's fallback model, said plainly."""
    config = static_tables().router_config
    fallback_id = config.router_settings.fallback_model_id
    _refuse_if_excluded(fallback_id, request.exclude)
    now = perf_counter_ns()
    return RouteDecision(
        selected_model_id=fallback_id,
        classification=request.classification or CONSERVATIVE,
        classification_source="given" if request.classification else "conservative",
        candidates=[],
        candidate_count=0,
        is_sticky=False,
        exploration_pick=False,
        is_fallback=True,
        reasoning=explain_failure(fallback_id, error),
        config_version=0,
        profiles_version=0,
        seed=request.seed,
        error=error,
        timing=_timing(start, now, now),
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


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
