"""The console's rollout and experiments pages over HTTP (no browser), on SQLite and
PostgreSQL: every write goes through the same services as the CLI and the API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.domain.flags import bucket
from modelplane.rollout.parity import Sample
from modelplane.services import experiments as experiment_svc
from modelplane.services.flags import flag_history_page, get_flag, set_flag
from modelplane.services.router_data import get_router_config
from modelplane.settings import Settings
from modelplane.store import tables as t
from modelplane.store.rollout_repositories import ParityRepository
from modelplane.store.static import read_json
from tests.web.conftest import Console, make_users

OK = {"confirmed": "yes", "reason": "checked"}
"""What a confirmation page posts back: the reason it asked for."""


def flag(runtime: Runtime, name: str) -> Any:
    with runtime.unit_of_work() as uow:
        return get_flag(uow, name)


def card(html: str, name: str) -> str:
    """The HTML of one flag's card."""
    start = html.index(f'data-flag-card="{name}"')
    end = html.find("data-flag-card=", start + 20)
    return html[start : end if end != -1 else len(html)]


# Flags ---------------------------------------------------------------------------------------


def test_the_page_lists_the_source_flags_and_parity_sampling(as_role: Any) -> None:
    page = as_role("viewer").get("/admin/rollout")
    assert page.status_code == 200
    for name in ("models_source", "router_config_source", "parity_shadow"):
        assert f'data-flag-card="{name}"' in page.text
    models = card(page.text, "models_source")
    assert 'aria-pressed="true"' in models  # 100% is the current step
    assert "not set yet" in card(page.text, "parity_shadow")


def test_a_viewer_sees_no_controls_and_cannot_post(as_role: Any, runtime: Runtime) -> None:
    console = as_role("viewer")
    page = console.get("/admin/rollout").text
    assert "Turn models_source off" not in page
    assert "<fieldset disabled>" in page
    answer = console.post("/admin/rollout/flags/models_source", {"step": "1"})
    assert answer.status_code == 403
    answer = console.post("/admin/rollout/flags/models_source/switch", {"enabled": "off"})
    assert answer.status_code == 403
    assert flag(runtime, "models_source").enabled


def test_a_flag_form_without_its_csrf_token_is_refused(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    answer = console.client.post(
        "/admin/rollout/flags/models_source/switch", data={"enabled": "off"}
    )
    assert answer.status_code == 403
    assert "security token" in answer.text
    assert flag(runtime, "models_source").enabled


def test_a_step_button_changes_only_the_percentage_with_the_reason(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    with runtime.unit_of_work() as uow:
        set_flag(uow, "models_source", {"percentage": 1}, "ops")
        uow.commit()
    answer = console.post(
        "/admin/rollout/flags/models_source",
        {
            "step": "10",
            "expectedVersion": "2",
            "reason": "parity clean",
            "groupId": "ignored",
            "confirmed": "yes",
        },
    )
    assert answer.status_code == 200
    assert "models_source is on at 10% (version 3)." in answer.text
    saved = flag(runtime, "models_source")
    assert (saved.percentage, saved.group_id) == (10, None)
    with runtime.unit_of_work() as uow:
        assert flag_history_page(uow, "models_source")[0].reason == "parity clean"
    next_step = re.search(
        r'class="step primary next"[^>]*value="(\d+)"|value="(\d+)" class="step primary next"',
        answer.text,
    )
    assert next_step is not None
    assert "50" in next_step.groups()


def test_the_settings_form_saves_percentage_group_and_stickiness(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("admin")
    form = {"percentage": "25", "groupId": "catalogue", "stickiness": "sessionId"}
    answer = console.post(
        "/admin/rollout/flags/models_source", {**form, "expectedVersion": "1", "reason": "r"}
    )
    assert answer.status_code == 200
    saved = flag(runtime, "models_source")
    assert (saved.percentage, saved.group_id, saved.stickiness) == (25, "catalogue", "sessionId")
    cleared = {**form, "groupId": "", "expectedVersion": "2"}
    console.post("/admin/rollout/flags/models_source", cleared)
    assert flag(runtime, "models_source").group_id is None


def test_an_out_of_range_percentage_is_shown_beside_its_flag(
    as_role: Any, runtime: Runtime
) -> None:
    answer = as_role("editor").post(
        "/admin/rollout/flags/models_source", {"percentage": "150", "expectedVersion": "1"}
    )
    assert answer.status_code == 422
    models = card(answer.text, "models_source")
    assert "<code>percentage</code>" in models
    assert 'value="150"' in models
    assert flag(runtime, "models_source").percentage == 100


def test_a_step_is_confirmed_with_the_traffic_it_moves_and_needs_a_reason(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    before = flag(runtime, "models_source")
    asked = console.post(
        "/admin/rollout/flags/models_source", {"step": "10", "expectedVersion": "1"}
    )
    assert asked.status_code == 200
    assert "This moves 90% of traffic off models_source at once" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    blank = {"step": "10", "expectedVersion": "1", "confirmed": "yes", "reason": "  "}
    refused = console.post("/admin/rollout/flags/models_source", blank)
    assert refused.status_code == 422
    assert "give a reason" in refused.text
    assert flag(runtime, "models_source") == before
    switch = console.post("/admin/rollout/flags/models_source/switch", {"enabled": "off"})
    assert "This moves 100% of traffic off models_source" in switch.text
    assert flag(runtime, "models_source").enabled


def test_a_stale_write_is_refused_with_409_and_says_who_changed_what(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    with runtime.unit_of_work() as uow:
        set_flag(uow, "models_source", {"percentage": 50}, "someone-else")
        uow.commit()
    answer = console.post(
        "/admin/rollout/flags/models_source", {"step": "10", "expectedVersion": "1", **OK}
    )
    assert answer.status_code == 409
    models = card(answer.text, "models_source")
    assert "Someone else changed models_source first" in models
    assert "<code>percentage</code>" in models
    assert flag(runtime, "models_source").percentage == 50


def test_the_kill_switch_turns_a_flag_off_even_from_a_stale_page(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    with runtime.unit_of_work() as uow:
        set_flag(uow, "models_source", {"percentage": 10}, "someone-else")
        uow.commit()
    answer = console.post(
        "/admin/rollout/flags/models_source/switch",
        {"enabled": "off", "expectedVersion": "1", "reason": "bad prices", "confirmed": "yes"},
    )
    assert answer.status_code == 200
    assert "models_source is OFF at 10%" in answer.text
    assert not flag(runtime, "models_source").enabled
    # Turning it back on carries the version, so a stale page cannot.
    stale = console.post(
        "/admin/rollout/flags/models_source/switch", {"enabled": "on", "expectedVersion": "2", **OK}
    )
    assert stale.status_code == 409
    fresh = console.post(
        "/admin/rollout/flags/models_source/switch", {"enabled": "on", "expectedVersion": "3", **OK}
    )
    assert fresh.status_code == 200
    assert flag(runtime, "models_source").enabled


def test_an_unknown_flag_is_not_created_from_the_console(as_role: Any) -> None:
    answer = as_role("editor").post("/admin/rollout/flags/made_up", {"step": "10"})
    assert answer.status_code == 404


def test_try_a_user_shows_the_bucket_and_enrolment(as_role: Any, runtime: Runtime) -> None:
    with runtime.unit_of_work() as uow:
        set_flag(uow, "models_source", {"percentage": 10}, "ops")
        uow.commit()
    console = as_role("viewer")
    users = [f"user-{i}" for i in range(40)]
    inside = next(u for u in users if bucket("models_source", u) <= 10)
    outside = next(u for u in users if bucket("models_source", u) > 10)
    for user, verdict in ((inside, "Enrolled"), (outside, "Not enrolled")):
        page = console.get("/admin/rollout", params={"flag": "models_source", "user": user})
        trial = re.search(r"data-trial>(.*?)</p>", card(page.text, "models_source"), re.S)
        assert trial is not None
        assert f"<strong>{verdict}</strong>" in trial.group(1)
        assert f"bucket {bucket('models_source', user)} of 100" in trial.group(1)
    nobody = console.get("/admin/rollout", params={"flag": "models_source"}).text
    assert "no user or session id" in card(nobody, "models_source")


@pytest.fixture
def overridden(runtime: Runtime) -> Iterator[TestClient]:
    settings = Settings(
        database_url=runtime.settings.database_url,
        environment="test",
        flag_overrides={"models_source": "off"},
    )
    other = Runtime(settings)
    make_users(other)
    with TestClient(create_app(other)) as client:
        yield client
    other.close()


def test_an_environment_override_is_shown_as_winning_over_the_database(
    overridden: TestClient,
) -> None:
    console = Console(overridden)
    console.sign_in("viewer-user")
    page = console.get("/admin/rollout", params={"flag": "models_source", "user": "u1"}).text
    models = card(page, "models_source")
    assert "Environment override: always off." in models
    assert "MODELPLANE_FLAG_MODELS_SOURCE" in models
    assert "the environment override decides" in models
    assert "<strong>Not enrolled</strong>" in models
    assert "data-override" not in card(page, "router_config_source")


# Parity report -------------------------------------------------------------------------------


def record_parity(runtime: Runtime, at_hours_ago: float = 0) -> None:
    from datetime import timedelta

    sample = Sample("catalogue")
    sample.at = utcnow() - timedelta(hours=at_hours_ago)
    sample.timed("static", lambda: None)
    sample.timed("db", lambda: 1 / 0)
    sample.mismatch("price", "openai:gpt-5", fields={"input": {"static": 1.25, "db": 3.0}})
    with runtime.engine.begin() as conn:
        ParityRepository(conn).add(sample.samples, sample.mismatches)


def test_the_parity_report_shows_sources_and_mismatches_by_window(
    as_role: Any, runtime: Runtime
) -> None:
    record_parity(runtime, at_hours_ago=30)
    console = as_role("viewer")
    day = console.get("/admin/rollout/parity").text
    assert "No requests were compared" in day
    assert 'data-kind="price"' not in day
    week = console.get("/admin/rollout/parity", params={"window": "week"}).text
    assert 'data-kind="price"' in week
    assert "openai:gpt-5" in week
    db_row = re.search(r'<tr data-source="db">(.*?)</tr>', week, re.S)
    assert db_row is not None
    assert "100.00%" in db_row.group(1)  # its one sample failed
    assert "<strong>1</strong> with a mismatch and <strong>1</strong> error" in week
    assert console.get("/admin/rollout/parity", params={"window": "year"}).status_code == 422


def test_the_rollout_page_points_at_the_evidence(as_role: Any, runtime: Runtime) -> None:
    record_parity(runtime)
    page = as_role("viewer").get("/admin/rollout").text
    assert "<strong>1</strong> with a mismatch and <strong>1</strong> error" in page
    assert "1 with a mismatch, 1 error" in card(page, "models_source")


# Experiments ---------------------------------------------------------------------------------


def variant_form(name: str, variants: list[tuple[str, int, Any]]) -> list[tuple[str, str]]:
    form = [("name", name), ("description", "cheaper moderate tasks")]
    for i, (variant, weight, config) in enumerate(variants):
        text = config if isinstance(config, str) else json.dumps(config)
        form += [
            (f"variants[{i}].name", variant),
            (f"variants[{i}].weight", str(weight)),
            (f"variants[{i}].config[json]", text),
        ]
    return form


def cheap_config() -> dict[str, Any]:
    config: dict[str, Any] = read_json("router-defaults.json")
    config["tierWeights"]["moderate"] = {"cheap": 0.8, "mid": 0.1, "premium": 0.1}
    return config


def test_the_new_experiment_form_starts_from_the_live_config(
    as_role: Any, runtime: Runtime
) -> None:
    page = as_role("editor").get("/admin/experiments/new").text
    with runtime.unit_of_work() as uow:
        live = get_router_config(uow).doc().to_json()
    areas = re.findall(r'name="variants\[\d\]\.config\[json\]"[^>]*>(.*?)</textarea>', page, re.S)
    assert len(areas) == 2
    from html import unescape

    assert all(json.loads(unescape(a)) == live for a in areas)


def test_variant_config_errors_are_shown_with_their_json_paths(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    defaults = read_json("router-defaults.json")
    bad = cheap_config()
    bad["tierWeights"]["simple"]["cheap"] = 0.1
    form = variant_form("exp-a", [("control", 50, defaults), ("cheap", 40, bad)])
    answer = console.post("/admin/experiments/new", form)
    assert answer.status_code == 422
    assert "<code>variants[1].config.tierWeights.simple</code>" in answer.text
    assert "<code>tierWeights.simple</code>: " in answer.text  # beside its textarea
    assert "sum to 100" in answer.text

    unknown = cheap_config()
    unknown["routerSettings"]["fallbackModelId"] = "nobody:nothing"
    form = variant_form("exp-b", [("control", 50, defaults), ("cheap", 50, unknown)])
    answer = console.post("/admin/experiments/new", form)
    assert answer.status_code == 422
    assert "<code>routerSettings.fallbackModelId</code>: unknown model" in answer.text
    with runtime.unit_of_work() as uow:
        assert experiment_svc.list_experiments(uow) == []


def test_json_that_does_not_parse_is_reported_at_its_variant(as_role: Any) -> None:
    form = variant_form("broken", [("control", 100, '{"tierWeights": ')])
    answer = as_role("editor").post("/admin/experiments/new", form)
    assert answer.status_code == 422
    assert "<code>variants[0].config</code>: not JSON" in answer.text
    assert "Field required" not in answer.text


def test_variants_can_be_added_and_removed_before_starting(as_role: Any) -> None:
    console = as_role("editor")
    form = variant_form("three", [("a", 50, {}), ("b", 50, {})])
    added = console.post("/admin/experiments/new", [*form, ("add_variant", "yes")]).text
    assert 'name="variants[2].name"' in added
    removed = console.post("/admin/experiments/new", [*form, ("remove_variant", "0")]).text
    assert 'name="variants[1].name"' not in removed
    assert re.search(r'name="variants\[0\]\.name"[^>]*value="b"', removed)


def log_decisions(runtime: Runtime, experiment: str, variant: str, tiers: list[str]) -> None:
    rows = [
        {
            "at": utcnow(),
            "text_hash": "0" * 64,
            "classification": {},
            "primary_category": "coding",
            "complexity": "moderate",
            "selected_model_id": "openai:gpt-5",
            "tier": tier,
            "candidate_count": 3,
            "is_sticky": False,
            "exploration": i == 0,
            "is_fallback": False,
            "config_version": 1,
            "profiles_version": 1,
            "variant": variant,
            "experiment": experiment,
            "cost_per_1k": Decimal("0.002"),
            "latency_us": 100,
        }
        for i, tier in enumerate(tiers)
    ]
    with runtime.engine.begin() as conn:
        conn.execute(insert(t.routing_decisions), rows)


def test_create_report_and_promote_a_variant(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    form = variant_form(
        "cheap-moderate",
        [("control", 70, read_json("router-defaults.json")), ("cheap", 30, cheap_config())],
    )
    created = console.post("/admin/experiments/new", form)
    assert created.status_code == 200
    assert "Started cheap-moderate: control 70%, cheap 30%." in created.text
    assert "tierWeights.moderate.cheap" in created.text  # the variant's change vs live

    log_decisions(runtime, "cheap-moderate", "cheap", ["cheap", "cheap", "mid", "premium"])
    report = console.get("/admin/experiments/cheap-moderate").text
    cheap_row = re.search(r'<tr data-variant="cheap">(.*?)</tr>', report, re.S)
    assert cheap_row is not None
    row = cheap_row.group(1)
    assert '<td class="num" data-col="decisions">4</td>' in row
    assert "50% / 25% / 25%" in row
    bars = re.findall(r'<rect class="tier-(\w+)" x="([\d.]+)" y="0" width="([\d.]+)"', row)
    assert bars == [("cheap", "0.0", "50.0"), ("mid", "50.0", "25.0"), ("premium", "75.0", "25.0")]
    assert "style=" not in report
    assert "25.0%" in row  # exploration
    assert "$0.00200" in row
    listing = console.get("/admin/experiments").text
    assert 'data-experiment="cheap-moderate"' in listing

    assert 'name="expectedVersion" value="1"' in report
    ended = console.post(
        "/admin/experiments/cheap-moderate/end",
        {"promote": "cheap", "reason": "cheaper, same", "expectedVersion": "1"},
    )
    assert "Promoted cheap: the router config is now version 2." in ended.text
    with runtime.unit_of_work() as uow:
        config = get_router_config(uow)
        history = uow.router_config_history.page("router")
    assert config.version == 2
    assert config.tier_weights.moderate.cheap == 0.8
    assert history[0].reason == (
        "cheaper, same; verdict: keep running: about 200 more requests needed"
    )
    assert "Promote cheap" not in ended.text  # ended: no more end buttons


def test_discarding_keeps_the_live_config(as_role: Any, runtime: Runtime) -> None:
    console = as_role("admin")
    form = variant_form("throwaway", [("only", 100, cheap_config())])
    console.post("/admin/experiments/new", form)
    answer = console.post("/admin/experiments/throwaway/end", {"discard": "yes"})
    assert "all variants discarded" in answer.text
    with runtime.unit_of_work() as uow:
        assert get_router_config(uow).version == 1
        assert experiment_svc.get_experiment(uow, "throwaway").outcome == "discarded"


def test_a_viewer_reads_experiments_but_cannot_start_or_end_one(
    as_role: Any, runtime: Runtime
) -> None:
    with runtime.unit_of_work() as uow:
        spec = {"name": "ab", "variants": [{"name": "x", "weight": 100, "config": cheap_config()}]}
        experiment_svc.create_experiment(uow, spec, "ops")
        uow.commit()
    console = as_role("viewer")
    assert "New experiment" not in console.get("/admin/experiments").text
    page = console.get("/admin/experiments/ab")
    assert page.status_code == 200
    assert "Promote x" not in page.text
    assert console.get("/admin/experiments/new").status_code == 403
    assert console.post("/admin/experiments/ab/end", {"promote": "x"}).status_code == 403
    assert console.get("/admin/experiments/nope").status_code == 404
    with runtime.unit_of_work() as uow:
        assert experiment_svc.get_experiment(uow, "ab").status == "running"


def test_an_experiment_form_without_its_csrf_token_is_refused(as_role: Any) -> None:
    console = as_role("editor")
    body = dict(variant_form("nocsrf", [("only", 100, cheap_config())]))
    answer = console.client.post("/admin/experiments/new", data=body)
    assert answer.status_code == 403
