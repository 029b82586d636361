"""``services.routing.route()`` against the seeded database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import InvalidInput
from modelplane.router import AllModelsExhausted, RouteContext, RouteDecision, RouteRequest
from modelplane.router.selection.compiled import CompiledRouter
from modelplane.services.models import create_in, update_model
from modelplane.services.router_data import update_router_config
from modelplane.services.routing import route, route_on, text_hash
from modelplane.services.versioned import Change
from modelplane.settings import Settings
from modelplane.store import tables as t

from .conftest import make_model
from .fake_openai import FakeOpenAI

CODING = {"primaryCategory": "coding", "complexity": "moderate"}


def decide(runtime: Runtime, **fields: Any) -> RouteDecision:
    # These tests read every candidate's terms; the default answer lists only the top five.
    request = RouteRequest.model_validate({"seed": 7, "candidates": "all", **fields})
    decision = route(runtime, request)
    runtime.decisions.flush()  # the log is written in the background
    return decision


def change_dials(runtime: Runtime, patch: dict[str, Any]) -> None:
    with runtime.unit_of_work() as uow:
        update_router_config(uow, patch, "test", None, "router test")
        uow.commit()


def test_decision_lists_every_eligible_candidate_with_its_terms(runtime: Runtime) -> None:
    decision = decide(runtime, text="hello", classification=CODING)
    assert decision.candidate_count == len(decision.candidates) > 30
    ids = {c.model_id for c in decision.candidates}
    assert decision.selected_model_id in ids
    assert "meta:llama-3.3-70b" not in ids, "internal-only"
    assert decision.config_version == 1
    assert decision.classification_source == "given"
    scores = [c.score for c in decision.candidates]
    assert scores == sorted(scores, reverse=True)


def test_every_decision_is_logged_with_a_hash_of_the_text(runtime: Runtime) -> None:
    decision = decide(runtime, text="a secret message", classification=CODING)
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(t.routing_decisions)).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.text_hash == text_hash("a secret message") and row.text is None
    assert row.selected_model_id == decision.selected_model_id
    assert (row.primary_category, row.complexity) == ("coding", "moderate")
    assert row.candidate_count == decision.candidate_count
    assert (row.is_sticky, row.exploration, row.is_fallback) == (
        False,
        decision.exploration_pick,
        False,
    )
    assert row.config_version == 1 and row.latency_us >= 0
    assert row.classification["primaryCategory"] == "coding"


def test_a_dial_changed_in_the_database_changes_the_next_decision(runtime: Runtime) -> None:
    with runtime.unit_of_work() as uow:
        spec = make_model("openai:newcomer-1").spec()
        create_in(uow, spec, Change("test", "a model nobody has profiled"))
        uow.commit()
    before = {c.model_id: c for c in decide(runtime, classification=CODING).candidates}
    change_dials(runtime, {"routerSettings": {"defaultScoreWithoutProfile": 20}})
    after_decision = decide(runtime, classification=CODING)
    after = {c.model_id: c for c in after_decision.candidates}
    assert after_decision.config_version == 2
    unprofiled = "openai:newcomer-1"
    assert before[unprofiled].breakdown.base == 50
    assert after[unprofiled].breakdown.base == 20
    assert after["openai:gpt-5"].score == before["openai:gpt-5"].score


def test_a_speed_rule_changed_in_the_database_changes_scores(runtime: Runtime) -> None:
    change_dials(runtime, {"speedBonuses": [{"match": "name", "value": "gpt-5", "bonus": 40}]})
    decision = decide(runtime, classification=CODING, speedBias=50)
    terms = {c.model_id: c.breakdown.speed_bonus for c in decision.candidates}
    assert terms["openai:gpt-5.2"] == 20
    assert terms["google:gemini-2.5-flash"] == 0  # the flash rule is gone


def test_a_model_deprecated_in_the_database_is_never_selected(runtime: Runtime) -> None:
    with runtime.unit_of_work() as uow:
        update_model(uow, "openai:gpt-5", {"status": "deprecated"}, "test", None)
        uow.commit()
    high_stakes = {**CODING, "isHighStakes": True, "highStakesDomain": "medical"}
    picks = {
        decide(runtime, classification=high_stakes, seed=s).selected_model_id for s in range(60)
    }
    assert "openai:gpt-5" not in picks
    candidates = decide(runtime, classification=CODING).candidates
    assert "openai:gpt-5" not in {c.model_id for c in candidates}


def test_all_models_exhausted_reaches_the_caller(runtime: Runtime) -> None:
    vision = {**CODING, "requiresVision": True}
    fallback = decide(runtime, classification=vision, contextTokens=2_000_000)
    assert fallback.is_fallback and fallback.selected_model_id == "openai:gpt-5-mini"
    with pytest.raises(AllModelsExhausted, match="all models exhausted"):
        decide(
            runtime,
            classification=vision,
            contextTokens=2_000_000,
            exclude=["openai:gpt-5-mini"],
        )


def test_a_given_classification_must_name_known_categories(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match="astrology"):
        decide(runtime, classification={**CODING, "primaryCategory": "astrology"})


def test_sticky_keep_is_reported_and_logged(runtime: Runtime) -> None:
    keep = {**CODING, "recommendedAction": "keep"}
    decision = decide(runtime, classification=keep, previousModelId="anthropic:claude-opus-4.5")
    assert decision.is_sticky and decision.selected_model_id == "anthropic:claude-opus-4.5"
    assert "Kept anthropic:claude-opus-4.5" in decision.reasoning
    with runtime.engine.connect() as conn:
        assert conn.execute(select(t.routing_decisions.c.is_sticky)).scalar_one() is True


@pytest.fixture
def llm_runtime(runtime: Runtime, database_url: str) -> Iterator[tuple[Runtime, FakeOpenAI]]:
    server = FakeOpenAI()
    change_dials(
        runtime, {"routerSettings": {"classifier": "llm", "classifierTimeoutSeconds": 0.3}}
    )
    rt = Runtime(Settings(database_url=database_url, environment="test", llm_base_url=server.url))
    yield rt, server
    rt.close()
    server.close()


def test_the_llm_classifier_is_a_dial(llm_runtime: tuple[Runtime, FakeOpenAI]) -> None:
    rt, server = llm_runtime
    server.answers = [{"primaryCategory": "research", "complexity": "complex"}]
    decision = decide(rt, text="what happened in the news today")
    assert decision.classification_source == "llm"
    assert decision.classification.primary_category == "research"
    assert server.requests[0]["model"] == "openai:gpt-oss-120b"


def test_llm_timeout_routes_with_the_conservative_classification(
    llm_runtime: tuple[Runtime, FakeOpenAI],
) -> None:
    rt, server = llm_runtime
    server.answers = [1.0]
    decision = decide(rt, text="what happened in the news today")
    assert decision.classification_source == "conservative"
    c = decision.classification
    assert (c.primary_category, c.complexity, c.confidence, c.recommended_action) == (
        "conversation",
        "simple",
        0.0,
        "change",
    )
    assert "timed out" in decision.reasoning
    assert not decision.is_fallback


def broken_data() -> CompiledRouter:
    """Router data that cannot be had: a fake at the storage boundary."""
    raise RuntimeError("disk on fire")


def test_an_error_while_routing_falls_back_and_says_why() -> None:
    settings, context = Settings(), RouteContext()
    decision = route_on(broken_data, RouteRequest(text="hi"), settings, context)
    assert decision.is_fallback and decision.selected_model_id == "openai:gpt-5-mini"
    assert "disk on fire" in decision.reasoning and decision.error
    excluded = RouteRequest(text="hi", exclude=["openai:gpt-5-mini"])
    with pytest.raises(AllModelsExhausted):
        route_on(broken_data, excluded, settings, context)


def test_only_short_in_process_routing_runs_on_a_servers_event_loop(database_url: str) -> None:
    """``runs_inline``: the live snapshot, no LLM endpoint to wait on, a short text."""
    from modelplane.services.routing import INLINE_TEXT_CHARS, runs_inline

    def runtime_with(live: bool, **settings: Any) -> Runtime:
        return Runtime(
            Settings(database_url=database_url, environment="test", **settings),
            live_reads=live,
        )

    short = RouteRequest(text="hello")
    long = RouteRequest(text="x" * (INLINE_TEXT_CHARS + 1))
    given = RouteRequest.model_validate(
        {"text": "hello", "classification": {"primaryCategory": "coding", "complexity": "simple"}}
    )
    live, baseline = runtime_with(True), runtime_with(False)
    asking = runtime_with(True, llm_base_url="http://127.0.0.1:9/v1")
    try:
        assert runs_inline(live, short) and not runs_inline(live, long)
        assert not runs_inline(baseline, short), "database reads wait on the database"
        assert not runs_inline(asking, short), "an LLM classifier waits on its endpoint"
        assert runs_inline(asking, given), "a given classification asks no one"
    finally:
        for rt in (live, baseline, asking):
            rt.close()
