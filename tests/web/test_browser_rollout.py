"""The rollout and experiments pages in Chromium: steps, the kill switch, trying a user,
a change made elsewhere appearing live, and an experiment from start to promotion."""

from __future__ import annotations

import re
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from modelplane.bootstrap import Runtime
from modelplane.rollout.parity import compare_catalogues
from modelplane.services.experiments import experiment_report
from modelplane.services.flags import set_flag
from modelplane.services.models import update_model
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings
from modelplane.store.rollout_repositories import ParityRepository
from tests.support import wait_until
from tests.web.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser


def other_runtime(server: LiveServer) -> Runtime:
    # uvicorn types Config.app as any ASGI app or import string; LiveServer serves create_app's.
    app = cast(FastAPI, server.server.config.app)
    url = app.state.runtime.settings.database_url
    return Runtime(Settings(database_url=url, environment="test"))


def test_step_button_kill_switch_and_try_a_user(page: Any) -> None:
    sign_in(page, "editor")
    page.get_by_role("link", name="Rollout").click()
    card = page.locator('[data-flag-card="models_source"]')
    card.get_by_role("button", name="Set models_source to 0%").click()
    expect(page.locator("[data-effect]")).to_have_text(
        "This moves 100% of traffic off models_source at once (100% → 0% of users)."
    )
    page.get_by_label("Reason (required)").fill(" ")
    page.get_by_role("button", name="Move 100% of traffic").click()
    expect(page.locator(".banner.error")).to_contain_text("give a reason")
    page.get_by_label("Reason (required)").fill("start over")
    page.get_by_role("button", name="Move 100% of traffic").click()
    expect(page.get_by_text("models_source is on at 0% (version 2).")).to_be_visible()
    card = page.locator('[data-flag-card="models_source"]')
    next_step = card.get_by_role("button", name="Set models_source to 1% (next step)")
    expect(next_step).to_be_visible()
    card.get_by_label("Reason for this change").fill("first step")
    next_step.click()
    expect(page.get_by_label("Reason (required)")).to_have_value("first step")
    page.get_by_role("button", name="Move 1% of traffic").click()
    expect(page.get_by_text("models_source is on at 1% (version 3).")).to_be_visible()
    card = page.locator('[data-flag-card="models_source"]')
    expect(card.get_by_label("models_source: percentage", exact=True)).to_have_value("1")
    expect(card.get_by_role("button", name="Set models_source to 10% (next step)")).to_be_visible()

    card.get_by_label("User id").fill("user-42")
    card.get_by_role("button", name="Try models_source").click()
    card = page.locator('[data-flag-card="models_source"]')
    expect(card.locator("[data-trial]")).to_contain_text(re.compile(r"bucket \d+ of 100"))
    screenshot(page, "20-rollout")

    card.get_by_role("button", name="Turn models_source off…").click()
    expect(page.locator("[data-effect]")).to_contain_text("This moves 1% of traffic off")
    page.get_by_label("Reason (required)").fill("kill switch: off")
    page.get_by_role("button", name="Turn models_source off").click()
    expect(page.get_by_text("models_source is OFF at 1% (version 4).")).to_be_visible()
    card = page.locator('[data-flag-card="models_source"]')
    expect(card.locator("[data-state]")).to_have_text("Off")
    card.locator("details.flag-history > summary").click()
    expect(card.locator("li.entry").first).to_contain_text("kill switch: off")
    expect(card.locator("li.entry").nth(1)).to_contain_text("first step")
    screenshot(page, "21-rollout-killed", full_page=True)


def test_a_flag_changed_elsewhere_refreshes_its_card(page: Any, live_server: LiveServer) -> None:
    sign_in(page, "viewer")
    page.goto("/admin/rollout")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)
    card = page.locator('[data-flag-card="router_config_source"]')
    expect(card.locator("[data-percentage]")).to_have_text("100%")
    runtime = other_runtime(live_server)
    with runtime.unit_of_work() as uow:
        set_flag(uow, "router_config_source", {"percentage": 50}, "elsewhere", "from the CLI")
        uow.commit()
    runtime.close()
    card = page.locator('[data-flag-card="router_config_source"]')
    expect(card.locator("[data-percentage]")).to_have_text("50%")
    expect(page.locator("#live-banner")).to_contain_text("changed elsewhere")


def test_a_viewer_cannot_change_a_flag(page: Any, live_server: LiveServer) -> None:
    sign_in(page, "viewer")
    page.goto("/admin/rollout")
    card = page.locator('[data-flag-card="models_source"]')
    expect(card.get_by_role("button", name=re.compile("Turn models_source"))).to_have_count(0)
    expect(card.get_by_role("button", name="Set models_source to 10%")).to_be_disabled()
    response = page.request.post(
        f"{live_server.url}/admin/rollout/flags/models_source/switch",
        form={"enabled": "off", "csrf_token": page.evaluate("document.body.dataset.csrf")},
    )
    assert response.status == 403
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "22-rollout-phone", full_page=True)


def test_a_flag_form_without_its_csrf_token_is_refused(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/rollout")
    card = page.locator('[data-flag-card="models_source"]')
    card.evaluate("c => c.querySelectorAll('input[name=csrf_token]').forEach(i => i.remove())")
    card.get_by_role("button", name="Set models_source to 50%").click()
    expect(page.get_by_role("alert")).to_contain_text("security token")
    page.goto("/admin/rollout")
    expect(page.locator('[data-flag-card="models_source"] [data-percentage]')).to_have_text("100%")


def test_parity_report_page(page: Any, live_server: LiveServer) -> None:
    runtime = other_runtime(live_server)
    with runtime.unit_of_work() as uow:
        update_model(uow, "openai:gpt-5", {"pricing": {"input": 3}}, "ops", None)
        uow.commit()
    sample = compare_catalogues(*runtime.source_readers())
    # a difference no edit explains (the static tables and the database disagree by themselves)
    sample.mismatch("price", "openai:gpt-5-mini", fields={"input": {"static": 0.25, "db": 0.3}})
    sample.mismatch("cost", "openai:gpt-5-mini", static="0.0025", db="0.003", tokens=[1000, 1000])
    with runtime.engine.begin() as conn:
        ParityRepository(conn).add(sample.samples, sample.mismatches)
    runtime.close()
    sign_in(page, "viewer")
    page.goto("/admin/rollout/parity?window=hour")
    page.get_by_label("last week").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"window=week"))
    expect(page.locator("#parity-sources tr[data-source=db]")).to_contain_text("1")
    price = page.locator("[data-kind=price]")
    expect(price).to_contain_text("openai:gpt-5-mini")
    expect(price.locator("[data-requests]")).to_have_text("1 request")  # not 2 differences
    expect(price).to_contain_text("input price: static tables 0.25, database 0.3")
    expect(price.locator("code.details")).to_have_count(0)  # readable rows, not raw JSON
    expect(page.locator("[data-kind=cost]")).to_contain_text("static tables 0.0025, database")
    # the price ops set in the database explains gpt-5's differences: named, not counted
    explained = page.locator('#explained tr[data-explained="price"]')
    expect(explained).to_contain_text("openai:gpt-5")
    expect(explained).to_contain_text("price changed in the database by ops")
    expect(page.locator('#explained tr[data-explained="cost"]')).to_contain_text("openai:gpt-5")
    expect(price.locator('a.model-link[href$="/openai:gpt-5"]')).to_have_count(0)
    expect(page.locator("#evidence")).to_contain_text("1 with a mismatch")
    expect(page.locator("#evidence")).to_contain_text("Look at them before raising a step")
    screenshot(page, "23-parity", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "23-parity-phone", full_page=True)


def test_create_an_experiment_read_its_report_and_promote(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, "editor")
    page.get_by_role("link", name="Experiments").click()
    page.get_by_role("link", name="New experiment").click()
    page.get_by_label("Name", exact=True).fill("cheap-moderate")
    config = page.get_by_label("Variant 2: router config (JSON)")
    text = config.input_value()
    config.fill(text.rstrip()[:-1])  # the closing brace missing
    expect(page.locator('[data-path="variants[1].config"] .field-error')).to_contain_text(
        "not JSON"
    )
    config.fill(re.sub(r'("moderate": \{\s*"cheap": )[0-9.]+', r"\g<1>0.7", text, count=1))
    page.get_by_label("Variant 1: weight (%)").fill("30")
    expect(page.locator("output[data-weight-sum]")).to_contain_text("80 (must be 100)")
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.locator("#error-summary")).to_contain_text("variants[1].config.tierWeights")
    expect(page.locator('[data-path="variants[1].config"] .json-errors')).to_contain_text(
        "tierWeights.moderate: weights must sum to 1"
    )
    screenshot(page, "24-experiment-errors")
    config = page.get_by_label("Variant 2: router config (JSON)")
    config.fill(
        re.sub(
            r'("moderate": \{\s*"cheap": )[0-9.]+(,\s*"mid": )[0-9.]+',
            r"\g<1>0.6\g<2>0.2",
            text,
            count=1,
        )
    )
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.locator("#error-summary")).to_contain_text("sum to 100")
    page.get_by_label("Variant 1: weight (%)").fill("50")
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.get_by_text(re.compile("Started cheap-moderate"))).to_be_visible()

    _route_some_requests(live_server, "cheap-moderate")
    page.reload()
    expect(page.locator('tr[data-variant] [data-col="decisions"]').first).not_to_have_text("0")
    screenshot(page, "25-experiment-report", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "25-experiment-report-phone", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("Reason").fill("cheaper at the same quality")
    page.get_by_role("button", name="Promote candidate…").click()
    expect(page.locator("#confirm-text")).to_contain_text("version 2")
    page.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_text("Promoted candidate: the router config is now version 2.")
    ).to_be_visible()
    page.goto("/admin/auto-router")
    expect(page.get_by_text(re.compile(r"Config version 2"))).to_be_visible()
    page.goto("/admin/experiments")
    expect(page.locator('tr[data-experiment="cheap-moderate"]')).to_contain_text(
        "promoted candidate"
    )
    screenshot(page, "26-experiments")


def _route_some_requests(server: LiveServer, experiment: str) -> None:
    runtime = other_runtime(server)
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="router", role="viewer"), "test")
        uow.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(12):
        answer = httpx.post(
            f"{server.url}/api/v1/route",
            json={
                "text": f"write a python function {i}",
                "classification": {"primaryCategory": "coding", "complexity": "moderate"},
            },
            headers={**headers, "X-Modelplane-User": f"user-{i}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text

    def logged() -> bool:
        with runtime.unit_of_work() as uow:
            report = experiment_report(uow, experiment)
        decisions: int = sum(v["decisions"] for v in report["variants"])
        return decisions >= 12

    wait_until(logged, timeout=15)
    runtime.close()
