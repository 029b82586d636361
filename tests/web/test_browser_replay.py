"""Issue 13 in Chromium: the playground replays an uploaded prompt set under two saved
config versions, and a bad line is named. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from modelplane.bootstrap import Runtime
from modelplane.services import router_data
from modelplane.settings import Settings
from tests.replay_prompts import PROMPTS
from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _file(lines: list[str]) -> dict[str, Any]:
    data = ("\n".join(lines) + "\n").encode()
    return {"name": "prompts.jsonl", "mimeType": "application/x-ndjson", "buffer": data}


def test_the_playground_replays_a_prompt_set_under_two_versions(
    page: Any, database_url: str
) -> None:
    runtime = Runtime(Settings(database_url=database_url, environment="test"))
    try:
        patch = {"routerSettings": {"selectionStrategy": "quality"}}
        router_data.update_router_config(runtime.unit_of_work, patch, "test", None, "quality")
    finally:
        runtime.close()
    sign_in(page, "viewer")
    page.goto("/admin/auto-router/playground")
    form = page.locator("#replay-form")
    form.get_by_label("Prompt file (JSON lines)").set_input_files(
        _file([json.dumps(p) for p in PROMPTS * 3])
    )
    form.get_by_label("Live config (v2)").uncheck()
    form.get_by_label("v1 ·").check()
    form.get_by_label("v2 ·").check()
    form.get_by_role("button", name="Replay").click()
    table = page.locator("table[data-replay-configs]")
    expect(table).to_contain_text("12 prompts from prompts.jsonl")
    expect(table.locator('tr[data-config="v2"]')).to_contain_text("quality")
    expect(table.locator('tr[data-config="v1"]')).to_contain_text("weighted-random")
    screenshot(page, "60-replay-results", full_page=True)

    form.get_by_label("Prompt file (JSON lines)").set_input_files(
        _file([json.dumps(PROMPTS[0]), '{"costBias": 3}'])
    )
    expect(form.get_by_label("v1 ·")).to_be_checked()  # the choices are kept
    form.get_by_role("button", name="Replay").click()
    errors = page.locator("#replay-line-errors")
    expect(errors).to_contain_text("line 2")
    expect(errors).to_contain_text("text: required")
    expect(page.locator("#replay-results")).to_have_count(0)
    screenshot(page, "61-replay-bad-line")
