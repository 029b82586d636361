"""Sync from the three public formats against the real database (fixtures in ./fixtures)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import InvalidInput
from modelplane.services import models as model_svc
from modelplane.services import sync as sync_svc
from modelplane.services.sync import SyncOptions

FIXTURES = Path(__file__).parent / "fixtures"


def litellm_doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "litellm.json").read_text())
    return data


def raw(data: Any) -> bytes:
    """As the upstream file writes it: a float's repr is the number's shortest exact text."""
    return json.dumps(data).encode()


def run(
    rt: Runtime, source: str = "litellm", data: Any = None, **options: Any
) -> sync_svc.SyncReport:
    body = (FIXTURES / f"{source}.json").read_bytes() if data is None else raw(data)
    opts = SyncOptions(source=source, location=f"{source}.json", **options)  # type: ignore[arg-type]
    return sync_svc.sync(rt.unit_of_work, opts, "tester", raw=body)


def test_a_first_sync_creates_the_chat_models_with_exact_prices(runtime: Runtime) -> None:
    report = run(runtime)
    created = {c["id"] for c in report.created}
    assert created == {"openai:gpt-4o", "gemini:gemini-2.5-pro"}
    assert "gemini" in report.providers_created
    assert {"entry": "text-embedding-3-small", "reason": "mode 'embedding', not chat"} in (
        report.skipped
    )
    model = model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")
    assert model.pricing.input == Decimal("2.5")
    assert model.pricing.output == Decimal("10")
    assert model.pricing.cached == Decimal("1.25")
    assert model.capabilities == ["vision", "function-calling"]
    assert model.max_output_tokens == 16384
    assert model.input_modalities == ["image", "text"]
    assert model.deprecation_date is not None and model.deprecation_date.year == 2027
    assert model.successor_id == "openai:gpt-5.5"
    gemini = model_svc.get_model(runtime.unit_of_work, "gemini:gemini-2.5-pro")
    assert gemini.pricing.cached == Decimal("0.125")
    tiers = gemini.pricing.tiers
    assert tiers is not None and len(tiers) == 1
    assert (tiers[0].above_input_tokens, tiers[0].input, tiers[0].output) == (
        200_000,
        Decimal("2.5"),
        Decimal("15"),
    )
    assert "thinking" in gemini.capabilities
    assert report.unmapped == {"max_tokens": 1, "supports_prompt_caching": 1}


def test_history_is_one_synced_entry_naming_the_source(runtime: Runtime) -> None:
    run(runtime)
    entries, total = model_svc.history(runtime.unit_of_work, "openai:gpt-4o")
    assert total == 1
    assert entries[0].change_type == "synced"
    assert entries[0].reason is not None and "synced from litellm (litellm.json) at " in (
        entries[0].reason
    )


def test_an_existing_model_without_provenance_takes_the_source_values(runtime: Runtime) -> None:
    report = run(runtime)
    updated = {u["id"]: {c["field"]: c["new"] for c in u["changes"]} for u in report.updated}
    assert updated["anthropic:claude-sonnet-4"]["pricing.cacheWrite"] == "3.75"
    model = model_svc.get_model(runtime.unit_of_work, "anthropic:claude-sonnet-4")
    assert model.pricing.cache_write == Decimal("3.75")


def test_a_second_identical_sync_has_nothing_to_change(runtime: Runtime) -> None:
    run(runtime)
    again = run(runtime)
    assert again.change_count == 0 and not again.applied
    assert not again.conflicts and not again.held
    assert set(again.unchanged) >= {"openai:gpt-4o", "gemini:gemini-2.5-pro"}


def test_editing_one_price_in_the_file_is_exactly_one_change(runtime: Runtime) -> None:
    run(runtime)
    doc = litellm_doc()
    doc["gpt-4o"]["output_cost_per_token"] = 1.2e-05
    report = run(runtime, data=doc, dry_run=True)
    assert report.created == []
    assert report.updated == [
        {"id": "openai:gpt-4o", "changes": [{"field": "pricing.output", "old": "10", "new": "12"}]}
    ]
    model = model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")
    assert model.pricing.output == Decimal("10"), "a dry run writes nothing"


def test_a_dry_run_writes_nothing(runtime: Runtime) -> None:
    report = run(runtime, dry_run=True)
    assert len(report.created) == 2
    with pytest.raises(Exception, match="unknown model"):
        model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")
    assert sync_svc.sync_runs(runtime.unit_of_work)["data"] == []


def test_a_person_edit_is_kept_as_a_conflict_unless_overwrite(runtime: Runtime) -> None:
    run(runtime)
    model_svc.update_model(
        runtime.unit_of_work, "openai:gpt-4o", {"pricing": {"input": 2.4}}, "editor", None
    )
    doc = litellm_doc()
    doc["gpt-4o"]["input_cost_per_token"] = 2.6e-06
    report = run(runtime, data=doc)
    assert report.conflicts == [
        {
            "id": "openai:gpt-4o",
            "field": "pricing.input",
            "current": "2.4",
            "upstream": "2.6",
            "lastSynced": "2.5",
        }
    ]
    assert model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o").pricing.input == Decimal(
        "2.4"
    )
    forced = run(runtime, data=doc, overwrite=True)
    assert forced.conflicts == []
    assert model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o").pricing.input == Decimal(
        "2.6"
    )


def test_an_implausible_price_jump_is_held(runtime: Runtime) -> None:
    run(runtime)
    doc = litellm_doc()
    doc["gpt-4o"]["input_cost_per_token"] = 1e-06  # 2.5 -> 1: more than half off
    doc["gpt-4o"]["output_cost_per_token"] = 1.1e-05  # 10 -> 11: applied
    report = run(runtime, data=doc)
    assert report.held == [
        {"id": "openai:gpt-4o", "field": "pricing.input", "old": "2.5", "new": "1"}
    ]
    model = model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")
    assert (model.pricing.input, model.pricing.output) == (Decimal("2.5"), Decimal("11"))
    accepted = run(runtime, data=doc, accept_held=True)
    assert accepted.held == []
    assert model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o").pricing.input == 1


def test_a_model_the_source_no_longer_lists_is_reported_not_deleted(runtime: Runtime) -> None:
    run(runtime)
    doc = litellm_doc()
    del doc["gemini/gemini-2.5-pro"]
    report = run(runtime, data=doc)
    assert "gemini:gemini-2.5-pro" in report.not_upstream
    model_svc.get_model(runtime.unit_of_work, "gemini:gemini-2.5-pro")


def test_bad_prices_are_reported_per_entry_and_block_the_apply(runtime: Runtime) -> None:
    doc = litellm_doc()
    doc["gpt-4o"]["input_cost_per_token"] = "cheap"
    doc["anthropic/claude-sonnet-4"]["output_cost_per_token"] = -1e-06
    preview = run(runtime, data=doc, dry_run=True)
    assert {(e["id"], e["field"]) for e in preview.errors} == {
        ("openai:gpt-4o", "gpt-4o.input_cost_per_token"),
        ("anthropic:claude-sonnet-4", "anthropic/claude-sonnet-4.output_cost_per_token"),
    }
    assert [c["id"] for c in preview.created] == ["gemini:gemini-2.5-pro"]
    with pytest.raises(InvalidInput, match="must be a number"):
        run(runtime, data=doc)
    with pytest.raises(Exception, match="unknown model"):
        model_svc.get_model(runtime.unit_of_work, "gemini:gemini-2.5-pro")
    failed = sync_svc.sync_runs(runtime.unit_of_work)["latest"][0]
    assert not failed["applied"] and "must be a number" in failed["errors"][0]
    filtered = run(runtime, data=doc, only=("gemini:gemini-2.5-pro",))
    assert [c["id"] for c in filtered.created] == ["gemini:gemini-2.5-pro"]
    by_provider = run(runtime, data=doc, providers=("gemini",))
    assert by_provider.errors == []


def test_a_malformed_file_names_where_and_writes_nothing(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match=r"not JSON: .* line 1"):
        sync_svc.sync(
            runtime.unit_of_work, SyncOptions("litellm", "x.json"), "tester", raw=b"{oops"
        )
    doc = litellm_doc()
    doc["gpt-4o"]["max_input_tokens"] = "lots"
    with pytest.raises(InvalidInput, match=r"gpt-4o\.max_input_tokens: must be a whole number"):
        run(runtime, data=doc)
    with pytest.raises(Exception, match="unknown model"):
        model_svc.get_model(runtime.unit_of_work, "gemini:gemini-2.5-pro")


def test_an_unreachable_url_is_one_line(runtime: Runtime) -> None:
    options = SyncOptions("litellm", "http://127.0.0.1:9/prices.json")
    with pytest.raises(InvalidInput) as caught:
        sync_svc.sync(runtime.unit_of_work, options, "tester")
    message = str(caught.value)
    assert "\n" not in message and "cannot read http://127.0.0.1:9/prices.json" in message


def test_openrouter_models_prices_and_tiers(runtime: Runtime) -> None:
    report = run(runtime, "openrouter")
    assert {c["id"] for c in report.created} == {"openai:gpt-4o-mini"}
    assert {"entry": "openai/dall-e-3", "reason": "no text output, not a chat model"} in (
        report.skipped
    )
    mini = model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o-mini")
    assert (mini.pricing.input, mini.pricing.output, mini.pricing.cached) == (
        Decimal("0.15"),
        Decimal("0.6"),
        Decimal("0.075"),
    )
    assert mini.capabilities == ["vision", "function-calling"]
    assert mini.name == "OpenAI: GPT-4o-mini"
    flash = model_svc.get_model(runtime.unit_of_work, "google:gemini-2.5-flash")
    assert flash.pricing.tiers is not None
    assert flash.pricing.tiers[0].input == Decimal("0.6")
    assert report.unmapped["pricing.image"] == 1 and report.unmapped["created"] == 1


def test_modelsdev_models_and_long_context_tier(runtime: Runtime) -> None:
    report = run(runtime, "modelsdev")
    assert {c["id"] for c in report.created} == {
        "anthropic:claude-opus-4-1",
        "anthropic:claude-sonnet-4-5",
    }
    opus = model_svc.get_model(runtime.unit_of_work, "anthropic:claude-opus-4-1")
    assert opus.name == "Claude Opus 4.1"
    assert (opus.pricing.input, opus.pricing.cache_write) == (Decimal("15"), Decimal("18.75"))
    assert opus.knowledge_cutoff == "2025-03-31"
    assert opus.capabilities == ["vision", "function-calling", "thinking"]
    sonnet = model_svc.get_model(runtime.unit_of_work, "anthropic:claude-sonnet-4-5")
    assert sonnet.pricing.tiers is not None and sonnet.pricing.tiers[0].output == 22.5
    assert "release_date" in report.unmapped


def test_the_last_run_of_each_source_is_logged(runtime: Runtime) -> None:
    run(runtime)
    run(runtime, "modelsdev")
    runs = sync_svc.sync_runs(runtime.unit_of_work)
    latest = {r["source"]: r for r in runs["latest"]}
    assert set(latest) == {"litellm", "modelsdev"}
    assert latest["litellm"]["counts"]["created"] == 2
    assert latest["litellm"]["author"] == "tester" and latest["litellm"]["applied"]


def test_every_parses_intervals_and_repeats() -> None:
    assert sync_svc.parse_interval("6h") == 21600
    assert sync_svc.parse_interval("90s") == 90
    with pytest.raises(InvalidInput, match="every"):
        sync_svc.parse_interval("often")
    calls: list[float] = []

    def once() -> None:
        calls.append(1.0)

    sync_svc.sync_every(once, 0.01, times=3)
    assert len(calls) == 3
