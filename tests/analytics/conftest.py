"""A small fixed dataset whose every answer is worked out by hand in the tests.

Prices (USD per 1M tokens, from the seeded catalogue): openai:gpt-5 input 2.5, output 10,
cached 0.25; anthropic:claude-haiku-4.5 input 1, output 5; google:gemini-2.5-flash input
0.15, output 0.6, reasoning 3.5.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert

from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.services.usage import parse_batch, record_events
from modelplane.store import tables as t

D1, D2, D3, D4 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)

EVENTS: list[dict[str, Any]] = [
    # cost (2.5*1000 + 10*500) / 1e6 = 0.0075
    {
        "modelId": "openai:gpt-5",
        "feature": "chat",
        "inputTokens": 1000,
        "outputTokens": 500,
        "latencyMs": 100,
        "at": "2026-03-01T10:00:00Z",
        "userId": "u1",
    },
    # (2.5*2000 + 10*1000 + 0.25*1000) / 1e6 = 0.01525
    {
        "modelId": "openai:gpt-5",
        "feature": "chat",
        "inputTokens": 2000,
        "outputTokens": 1000,
        "cachedTokens": 1000,
        "latencyMs": 200,
        "at": "2026-03-01T11:00:00Z",
        "userId": "u2",
    },
    # (1*100 + 5*20) / 1e6 = 0.0002, failed
    {
        "modelId": "anthropic:claude-haiku-4.5",
        "feature": "title",
        "inputTokens": 100,
        "outputTokens": 20,
        "latencyMs": 300,
        "success": False,
        "error": "timeout",
        "at": "2026-03-01T12:00:00Z",
    },
    # (1*400 + 5*200) / 1e6 = 0.0014
    {
        "modelId": "anthropic:claude-haiku-4.5",
        "feature": "chat",
        "inputTokens": 400,
        "outputTokens": 200,
        "latencyMs": 400,
        "at": "2026-03-02T09:00:00Z",
    },
    # (0.15*1000 + 0.6*100 + 3.5*1000) / 1e6 = 0.00371; 01:59:59+02:00 is D2 in UTC
    {
        "modelId": "google:gemini-2.5-flash",
        "feature": "auto_router",
        "inputTokens": 1000,
        "outputTokens": 100,
        "reasoningTokens": 1000,
        "latencyMs": 50,
        "at": "2026-03-03T01:59:59+02:00",
    },
    # (2.5*10 + 10*10) / 1e6 = 0.000125
    {
        "modelId": "openai:gpt-5",
        "feature": "chat",
        "inputTokens": 10,
        "outputTokens": 10,
        "latencyMs": 1000,
        "at": "2026-03-03T00:00:00Z",
    },
]


def _decision(
    at: datetime, category: str, complexity: str, tier: str | None, model: str, **flags: Any
) -> dict[str, Any]:
    return {
        "at": at,
        "text_hash": "0" * 64,
        "classification": {},
        "primary_category": category,
        "complexity": complexity,
        "selected_model_id": model,
        "tier": tier,
        "candidate_count": 3,
        "is_sticky": flags.get("sticky", False),
        "exploration": flags.get("explore", False),
        "is_fallback": flags.get("fallback", False),
        "config_version": 1,
        "profiles_version": 1,
        "latency_us": 50,
        "error": flags.get("error"),
    }


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


DECISIONS = [
    _decision(_at(D1, 1), "coding", "simple", "cheap", "openai:gpt-5-mini"),
    _decision(_at(D1, 2), "coding", "simple", "cheap", "openai:gpt-5-mini", sticky=True),
    _decision(_at(D1, 23), "coding", "complex", "premium", "openai:gpt-5", explore=True),
    _decision(
        _at(D2, 5),
        "creative",
        "moderate",
        None,
        "openai:gpt-5-mini",
        fallback=True,
        error="no candidate",
    ),
    _decision(_at(D2, 6), "creative", "moderate", "mid", "anthropic:claude-haiku-4.5"),
    _decision(_at(D3, 8), "coding", "simple", "mid", "anthropic:claude-haiku-4.5", explore=True),
    _decision(_at(D4, 8), "coding", "simple", "cheap", "openai:gpt-5-mini"),
]


@pytest.fixture
def dataset(runtime: Runtime) -> Runtime:
    """The six events (ingested as one batch at ``NOW``) and seven decisions."""
    with runtime.unit_of_work() as uow:
        record_events(uow, runtime.reader, parse_batch({"events": EVENTS}), now=NOW)
        uow.connection.execute(insert(t.routing_decisions), DECISIONS)
        uow.commit()
    return runtime


@pytest.fixture
def tokens(runtime: Runtime) -> dict[str, dict[str, str]]:
    """Authorization headers per role; ``anonymous`` sends none."""
    found: dict[str, dict[str, str]] = {"anonymous": {}}
    with runtime.unit_of_work() as uow:
        for role in ("viewer", "editor", "admin", "ingest"):
            _, token = create_token(uow, TokenSpec(name=f"{role}-t", role=role), "test")
            found[role] = {"Authorization": f"Bearer {token}"}
        uow.commit()
    return found
