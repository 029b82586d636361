"""Routing for every face: the wiring around the router engine.

For one request: the assignment (``rollout/assignment.py``: which source's data, which
experiment arm, whether it is shadowed), that data's compiled router (compiled when the
snapshot was built; a variant's or a mixed rollout's on first use, per snapshot), the
classifier the data's dials and the settings choose, the engine's decision, the decision
log (queued, never waited for) and, for a shadowed request, the same decision on both
sources in the background.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import random
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.domain.flags import MODELS_SOURCE, ROUTER_CONFIG_SOURCE, UserContext
from modelplane.domain.router_config import RouterConfig
from modelplane.live.snapshot import Snapshot, router_data, static_snapshot
from modelplane.rollout.assignment import Arm, Assignment, needs_database
from modelplane.router.classification.cache import CachedClassifier
from modelplane.router.classification.classifier import Classifier
from modelplane.router.classification.embedded import EmbeddedClassifier
from modelplane.router.classification.llm import LLMClassifier
from modelplane.router.decision import RouteDecision
from modelplane.router.engine import RouteContext, Router, error_text, without_data
from modelplane.router.request import RouteRequest
from modelplane.router.selection.compiled import CompiledRouter, compile_router
from modelplane.services.shadow import shadow_route
from modelplane.settings import Settings

log = logging.getLogger(__name__)
_THOUSAND = Decimal(1000)
ROLLOUT_FLAGS = (MODELS_SOURCE, ROUTER_CONFIG_SOURCE)
"""The flags whose enrolment each decision records, in ``Assignment.sources`` order."""
_embedded = EmbeddedClassifier()
_http_lock = threading.Lock()
_http: httpx.Client | None = None


def route(
    runtime: Runtime,
    request: RouteRequest,
    *,
    context: UserContext | None = None,
    classifier: Classifier | None = None,
    http_client: httpx.Client | None = None,
) -> RouteDecision:
    """Route one message and log the decision. ``context`` is the user the request is for
    (flags choose the data's source for them, an experiment may assign them a variant, and
    a sampled share is shadowed); without one, the environment alone chooses.
    ``classifier`` overrides the configured one; ``http_client`` is what the LLM
    classifier talks through (a shared client when omitted)."""
    logged = needs_database(runtime.overrides)
    started = RouteContext(decision_id=new_decision_id() if logged else None)
    assignment = runtime.assignment(context)
    if assignment.shadowed and request.seed is None:  # a comparison must replay the roll
        request = request.model_copy(update={"seed": random.getrandbits(62)})
    models = runtime.snapshot_for(assignment.models)
    decision = route_on(
        lambda: _data(runtime, assignment, models),
        request,
        runtime.settings,
        started,
        classifier,
        http_client,
        assignment.arm,
    )
    if logged:
        chosen = models.get_model(decision.selected_model_id)
        average = chosen.pricing.average if chosen is not None else None
        settings = runtime.settings
        row = decision_row(request.text, decision, settings.log_decision_text, average)
        row["enrolled_flags"] = enrolled_flags(assignment)
        runtime.decisions.record(row)
    if assignment.shadowed:
        shadow_route(runtime, request, decision)
    return decision


INLINE_TEXT_CHARS = 4000
"""The longest text whose routing ``runs_inline`` (classifying it takes about a
millisecond; a longer one, proportionally more)."""


def runs_inline(runtime: Runtime, request: RouteRequest) -> bool:
    """Whether routing ``request`` is short work in this process that waits on nothing, so
    a server may run it on its event loop: the data comes from the live snapshot, no LLM
    endpoint can be asked (none is set, or the request brings its classification) and the
    text is at most ``INLINE_TEXT_CHARS`` long."""
    if not runtime.live_reads:
        return False
    if request.classification is None and runtime.settings.llm_base_url:
        return False
    return len(request.text) <= INLINE_TEXT_CHARS


def what_if(runtime: Runtime, request: RouteRequest, config: RouterConfig) -> RouteDecision:
    """Route with an unsaved config over the process-wide data (the console's "what if"):
    compiled afresh, never kept, never logged."""
    reader = runtime.reader

    def data() -> CompiledRouter:
        categories = [c.id for c in reader.categories()]
        return compile_router(reader.models(), reader.profiles(), config, categories)

    return route_on(data, request, runtime.settings, RouteContext())


def preview(runtime: Runtime, request: RouteRequest) -> RouteDecision:
    """Route with the process-wide data, without logging (the console's playground)."""
    assignment = runtime.assignment(None)
    models = runtime.snapshot_for(assignment.models)
    return route_on(
        lambda: _data(runtime, assignment, models), request, runtime.settings, RouteContext()
    )


def route_on(
    data: Callable[[], CompiledRouter],
    request: RouteRequest,
    settings: Settings,
    context: RouteContext,
    classifier: Classifier | None = None,
    http_client: httpx.Client | None = None,
    arm: Arm | None = None,
) -> RouteDecision:
    """The engine's decision on ``data()``, labelled with the experiment ``arm`` whose
    data it is. If the data cannot be had, the bundled config's fallback model, and why."""
    try:
        compiled = data()
    except Exception as exc:  # the data cannot be read: still answer, with the fallback
        log.warning("routing without data: %s", exc)
        fallback = static_snapshot().router_config.router_settings.fallback_model_id
        return without_data(request, fallback, error_text(exc), context)
    chosen = classifier or configured_classifier(compiled, settings, http_client)
    decision = Router(compiled, chosen).route(request, context)
    if arm is not None:
        decision = decision.model_copy(
            update={"experiment": arm.experiment, "variant": arm.variant}
        )
    return decision


def configured_classifier(
    data: CompiledRouter, settings: Settings, http_client: httpx.Client | None = None
) -> Classifier:
    """The classifier the dials name: embedded (remembering recent messages' answers when
    the settings allow), or the LLM one when an endpoint is set."""
    if data.config.router_settings.classifier != "llm":
        return _embedded_for(settings.classify_cache_size)
    if not settings.llm_base_url:
        log.warning("the LLM classifier is selected but no LLM base URL is set; using embedded")
        return _embedded_for(settings.classify_cache_size)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLMClassifier(http_client or _shared_client(), settings.llm_base_url, key)


@functools.cache
def _embedded_for(cache_size: int) -> Classifier:
    """The process's embedded classifier, behind one memo per cache size (0: none)."""
    return CachedClassifier(_embedded, cache_size) if cache_size else _embedded


def _data(runtime: Runtime, assignment: Assignment, models: Snapshot) -> CompiledRouter:
    routing = runtime.snapshot_for(assignment.router_data)
    arm = assignment.arm
    variant = (arm.experiment, arm.variant, arm.config) if arm is not None else None
    return router_data(models, routing, variant)


def _shared_client() -> httpx.Client:
    global _http
    with _http_lock:
        if _http is None:
            _http = httpx.Client()
        return _http


__all__ = ["configured_classifier", "preview", "route", "route_on", "runs_inline", "what_if"]


_ID_BYTES = 16
_id_pool = bytearray()
_id_lock = threading.Lock()
os.register_at_fork(after_in_child=_id_pool.clear)  # a forked child draws its own bytes


def new_decision_id() -> str:
    """A fresh decision id: 32 hex digits of a random (version 4) UUID, unique without
    coordination. Built from the OS's random bytes directly (``uuid.uuid4().hex`` gives
    the same digits at five times the cost), drawn 256 ids at a time: a system call per
    decision let other threads take the interpreter in the middle of a request."""
    with _id_lock:
        if not _id_pool:
            _id_pool.extend(os.urandom(_ID_BYTES * 256))
        raw = _id_pool[-_ID_BYTES:]
        del _id_pool[-_ID_BYTES:]
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    return raw.hex()


def enrolled_flags(assignment: Assignment) -> str:
    """The rollout flags that enrolled the request, as the decision log stores them
    (``",models_source,router_config_source,"``), so a flag's guardrails can compare its
    enrolled traffic with the rest by a ``LIKE '%,name,%'``."""
    names = [
        name
        for name, source in zip(ROLLOUT_FLAGS, assignment.sources, strict=True)
        if source == "db"
    ]
    return "," + ",".join(names) + "," if names else ""


def text_hash(text: str) -> str:
    """The hex SHA-256 of the UTF-8 text: 64 characters, the same on every machine."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decision_row(
    text: str, decision: RouteDecision, keep_text: bool, average_price: Decimal | None
) -> dict[str, Any]:
    """The decision log's row for one decision: the message as its hash, the text only
    when the deployment keeps it, and the chosen model's average price per 1K tokens."""
    c = decision.classification
    return {
        "at": utcnow(),
        "text_hash": text_hash(text),
        "text": text if keep_text else None,
        "classification": c.to_json(),
        "primary_category": c.primary_category,
        "complexity": c.complexity,
        "selected_model_id": decision.selected_model_id,
        "tier": decision.tier,
        "candidate_count": decision.candidate_count,
        "is_sticky": decision.is_sticky,
        "exploration": decision.exploration_pick,
        "is_fallback": decision.is_fallback,
        "config_version": decision.config_version,
        "profiles_version": decision.profiles_version,
        "experiment": decision.experiment,
        "variant": decision.variant,
        "cost_per_1k": average_price / _THOUSAND if average_price is not None else None,
        "latency_us": decision.timing.total_us,
        "error": decision.error,
        "decision_id": decision.decision_id,
    }
