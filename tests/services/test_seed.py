import json
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from modelplane.domain.errors import InvalidInput
from modelplane.domain.profiles import ProfileSpec
from modelplane.services.models import create_model
from modelplane.services.router_data import put_profile
from modelplane.services.seed import (
    DERIVED_PROFILE_REASON,
    EXTENDED_PROFILE_REASON,
    PROFILE_REASON,
    seed,
)
from modelplane.store import tables as t
from modelplane.store.repositories import (
    HistoryRepository,
    ModelRepository,
    ProfileRepository,
    RouterConfigRepository,
)
from modelplane.store.static import (
    ROUTER_ONLY_REASON,
    StaticTables,
    build_static_tables,
    read_json,
)
from modelplane.store.unit_of_work import factory_for
from tests.router.conftest import make_model

ROUTER_ONLY = {
    "anthropic:claude-sonnet-4",
    "anthropic:claude-opus-4",
    "anthropic:claude-3.5-haiku",
    "xai:grok-3",
    "xai:grok-3-mini",
    "deepseek:deepseek-chat",
}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


ORIGINAL_PROFILES = 21
EXTENDED_PROFILES = 39
"""Catalogue models the original table does not profile but the extended file does."""


def test_seed_loads_every_model_profile_score_and_the_config(engine: Engine) -> None:
    report = seed(engine)
    assert count(engine, t.models) == 61
    assert count(engine, t.model_profiles) == ORIGINAL_PROFILES + EXTENDED_PROFILES + 1
    assert count(engine, t.profile_scores) == 168 + 8 * (EXTENDED_PROFILES + 1)
    assert count(engine, t.providers) == 12
    assert count(engine, t.task_categories) == 8
    assert len(report.created["models"]) == 61


def test_router_only_models_are_deprecated_with_a_reason_naming_their_source(
    seeded: Engine,
) -> None:
    with seeded.connect() as conn:
        deprecated = {m.id for m in ModelRepository(conn).filtered() if m.status == "deprecated"}
        history = HistoryRepository(conn, t.model_history).page("xai:grok-3")
    assert deprecated == ROUTER_ONLY
    assert history[0].reason == ROUTER_ONLY_REASON
    assert "router-profiles-v1.json" in ROUTER_ONLY_REASON


def test_seeded_router_config_equals_the_reference_defaults(seeded: Engine) -> None:
    with seeded.connect() as conn:
        config = RouterConfigRepository(conn).get()
    assert config is not None
    stored: dict[str, Any] = config.doc().to_json()
    reference = read_json("router-defaults.json")
    assert (
        stored["scoringBonuses"]["stickinessBonus"]
        == reference["scoringBonuses"]["stickinessBonus"]
    )
    assert stored["tierWeights"] == reference["tierWeights"]
    assert stored["complexity"] == reference["complexity"]
    assert stored["highStakesDomains"] == reference["highStakesDomains"]
    speed = {f"{r['match']}:{r['value']}": r["bonus"] for r in stored["speedBonuses"]}
    assert speed == reference["speedBonuses"]
    assert list(speed) == list(reference["speedBonuses"])  # order is meaning: first match wins
    settings = {k: v for k, v in reference["routerSettings"].items() if k != "speedBiasScale"}
    assert {k: stored["routerSettings"][k] for k in settings} == settings
    thresholds = {k: v for k, v in reference["costTiers"].items() if k != "tierOf"}
    assert stored["costTiers"] == thresholds


def test_a_second_seed_creates_nothing(seeded: Engine) -> None:
    before = count(seeded, t.model_history), count(seeded, t.change_log)
    report = seed(seeded)
    assert report.created_count == 0
    assert len(report.skipped["models"]) == 61
    assert (count(seeded, t.model_history), count(seeded, t.change_log)) == before


def test_dry_run_reports_what_it_would_create_and_writes_nothing(engine: Engine) -> None:
    report = seed(engine, dry_run=True)
    assert len(report.created["models"]) == 61
    assert len(report.created["profiles"]) == ORIGINAL_PROFILES + EXTENDED_PROFILES + 1
    assert report.default_score_models == []  # kimi-k2.5's is derived, below
    assert count(engine, t.models) == 0
    assert count(engine, t.change_log) == 0


def test_report_lists_each_disagreement_with_both_values(engine: Engine) -> None:
    report = seed(engine, dry_run=True)
    found = {(d.model_id, d.field): (d.catalogue, d.router) for d in report.disagreements}
    assert found[("openai:gpt-5.2", "pricing.input")] == (1.75, 0.6)
    assert found[("openai:gpt-5.2", "pricing.output")] == (14, 4.8)
    assert found[("openai:gpt-5.2", "contextWindow")] == (400000, 500000)
    assert ("google:gemini-2.5-pro", "pricing.output") in found
    assert ("deepseek:deepseek-r1", "hostOrder") in found
    disagreeing_models = {d.model_id for d in report.disagreements}
    assert len(disagreeing_models) == 10
    assert "openai:gpt-5" not in disagreeing_models


def test_invalid_static_data_is_reported_by_model_and_field_and_nothing_is_written(
    engine: Engine,
) -> None:
    catalogue = read_json("catalogue.json")
    catalogue["models"][2]["pricing"]["output"] = -1
    catalogue["models"][5]["capabilities"] = ["vision", "mind-reading"]
    with pytest.raises(InvalidInput) as exc:
        seed(engine, tables=_tables_from(catalogue))
    message = str(exc.value)
    assert "catalogue.models[2] (openai:gpt-5-nano).pricing.output" in message
    assert "catalogue.models[5] (openai:gpt-5.1-instant).capabilities[1]" in message
    assert count(engine, t.models) == 0


def test_seed_history_records_creation_of_each_model(seeded: Engine) -> None:
    with seeded.connect() as conn:
        entries = HistoryRepository(conn, t.model_history).page("openai:gpt-5")
    assert [(e.version, e.change_type, e.author) for e in entries] == [(1, "created", "seed")]
    fields = {c.field: c.new for c in entries[0].changes}
    assert fields["pricing.input"] == 2.5
    assert json.dumps(fields["capabilities"]) == '["thinking", "vision", "function-calling"]'


def test_the_original_profiles_are_seeded_exactly_and_keep_their_reason(seeded: Engine) -> None:
    original = {p["modelId"]: p for p in read_json("router-profiles-v1.json")["profiles"]}
    with seeded.connect() as conn:
        stored = {p.model_id: p for p in ProfileRepository(conn).all()}
        history = HistoryRepository(conn, t.profile_history).page("openai:gpt-5")
    assert len(original) == ORIGINAL_PROFILES
    assert sum(len(p["categoryScores"]) for p in original.values()) == 168
    for model_id, row in original.items():
        assert stored[model_id].quality_score == row["qualityScore"]
        assert stored[model_id].category_scores == row["categoryScores"]
    assert history[0].reason == PROFILE_REASON


def test_catalogue_models_without_an_original_profile_get_the_extended_one(
    seeded: Engine,
) -> None:
    extended = {p["modelId"]: p for p in read_json("router-profiles-extended.json")["profiles"]}
    original = {p["modelId"] for p in read_json("router-profiles-v1.json")["profiles"]}
    with seeded.connect() as conn:
        stored = {p.model_id: p for p in ProfileRepository(conn).all()}
        history = HistoryRepository(conn, t.profile_history).page("anthropic:claude-opus-4.5")
    added = set(stored) - original - {"openrouter:kimi-k2.5"}  # derived: the next test
    assert len(added) == EXTENDED_PROFILES
    for model_id in added:
        assert stored[model_id].quality_score == extended[model_id]["qualityScore"]
        assert stored[model_id].category_scores == extended[model_id]["categoryScores"]
    assert "meta:llama-4-maverick" not in stored  # in the extended file, not in the catalogue
    assert stored["anthropic:claude-opus-4.5"].category_scores["coding"] != 50
    assert [(e.author, e.reason) for e in history] == [("seed", EXTENDED_PROFILE_REASON)]
    assert "router-profiles-extended.json" in EXTENDED_PROFILE_REASON


def test_a_model_neither_file_profiles_starts_from_its_nearest_siblings_profile(
    seeded: Engine,
) -> None:
    # openrouter:kimi-k2.5 (vision, function calling, thinking) is in the catalogue but in
    # neither profiles file; of its family, moonshotai:kimi-k2-thinking shares the most
    # capabilities.
    with seeded.connect() as conn:
        stored = {p.model_id: p for p in ProfileRepository(conn).all()}
        history = HistoryRepository(conn, t.profile_history).page("openrouter:kimi-k2.5")
    derived, sibling = stored["openrouter:kimi-k2.5"], stored["moonshotai:kimi-k2-thinking"]
    assert derived.quality_score == sibling.quality_score
    assert sibling.category_scores["multimodal"] == 0
    expected = {**sibling.category_scores, "multimodal": 50}  # it has vision; its sibling not
    assert derived.category_scores == expected
    (entry,) = history
    assert entry.author == "seed"
    assert entry.reason == DERIVED_PROFILE_REASON.format(sibling="moonshotai:kimi-k2-thinking")
    assert "router-profiles-extended.json" in entry.reason


def test_the_report_names_active_models_still_on_the_default_score(seeded: Engine) -> None:
    assert seed(seeded).default_score_models == []
    uows = factory_for(seeded)
    create_model(uows, make_model("openai:newcomer-1").spec(), "admin", "nobody profiled it")
    report = seed(seeded)
    assert report.default_score_models == ["openai:newcomer-1"]
    assert report.to_json()["defaultScoreCount"] == 1
    spec = ProfileSpec(
        model_id="openai:newcomer-1", quality_score=85, category_scores={"coding": 85}
    )
    put_profile(uows, spec, "admin", None, "profiled by hand")
    again = seed(seeded)
    assert again.default_score_models == []
    assert again.to_json()["defaultScoreCount"] == 0


def _tables_from(catalogue: dict[str, Any]) -> StaticTables:
    return build_static_tables(
        catalogue,
        read_json("router-profiles-v1.json"),
        read_json("router-defaults.json"),
        read_json("router-profiles-extended.json"),
    )
