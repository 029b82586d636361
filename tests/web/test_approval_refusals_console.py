"""A console write refused by an approval policy: an error banner saying approval is
required, a link to the change requests, and a button that opens a request with exactly
the refused change, landing on its page with the diff."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.domain.validation import deep_merge, merge_patch
from modelplane.services import change_requests as cr
from tests.web.test_forms import _config_form


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*? value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


def test_a_refused_router_save_opens_a_request_with_exactly_that_change(
    as_role: Any, runtime: Runtime
) -> None:
    uows = runtime.unit_of_work
    cr.set_policy(uows, "router_config", 1, "editor", "admin-user")
    before = runtime.reader.router_config()
    editor = as_role("editor")
    form = _config_form(runtime, {"scoringBonuses.reasoningBonus": "40", "reason": "tuning"})
    refused = editor.post("/admin/auto-router", form)

    assert refused.status_code == 409
    assert "data-approval-required" in refused.text and "Approval is required" in refused.text
    assert 'href="/admin/changes"' in refused.text
    assert "Open a change request with this change" in refused.text
    assert runtime.reader.router_config().version == before.version  # nothing saved
    change = json.loads(_hidden(refused.text, "change"))
    assert change == {
        "kind": "router_config",
        "id": change["id"],
        "patch": {"scoringBonuses": {"reasoningBonus": 40}},
        "expectedVersion": before.version,
    }
    assert _hidden(refused.text, "reason") == "tuning"

    opened = editor.post(
        "/admin/changes",
        {"change": json.dumps(change), "title": "more reasoning", "reason": "tuning"},
        follow_redirects=True,
    )
    assert opened.status_code == 200
    found = re.search(r"/admin/changes/(\d+)", str(opened.url))
    assert found is not None
    request = cr.get_request(uows, int(found.group(1)))
    assert request["state"] == "pending" and request["author"] == "editor-user"
    assert [
        {k: c[k] for k in ("kind", "patch", "expectedVersion")} for c in request["changes"]
    ] == [
        {
            "kind": "router_config",
            "patch": {"scoringBonuses": {"reasoningBonus": 40}},
            "expectedVersion": before.version,
        }
    ]
    row = re.search(
        r"<th scope=\"row\">scoringBonuses.reasoningBonus</th><td>([^<]*)</td><td>([^<]*)</td>",
        opened.text,
    )
    assert row is not None and float(row.group(2)) == 40  # the diff against the current
    assert float(row.group(1)) == before.scoring_bonuses.reasoning_bonus
    assert runtime.reader.router_config().version == before.version


def test_a_refused_model_write_shows_the_banner_and_the_api_keeps_its_problem(
    as_role: Any, runtime: Runtime
) -> None:
    cr.set_policy(runtime.unit_of_work, "model", 1, "editor", "admin-user")
    editor = as_role("editor")
    refused = editor.post(
        "/admin/models/openai:gpt-5/status",
        {"action": "deprecate", "reason": "old", "confirmed": "yes", "expectedVersion": "1"},
    )
    assert refused.status_code == 409
    assert "Approval is required" in refused.text
    change = json.loads(_hidden(refused.text, "change"))
    assert (change["kind"], change["id"]) == ("model", "openai:gpt-5")
    assert change["patch"] == {"status": "deprecated"}
    assert runtime.reader.get("openai:gpt-5").status != "deprecated"


def test_the_refused_change_is_the_smallest_patch_that_makes_the_write() -> None:
    before = {"a": 1, "b": {"c": 2, "d": 3}, "gone": True, "list": [1, 2]}
    after = {"a": 1, "b": {"c": 5, "d": 3}, "list": [1], "new": "x"}
    patch = merge_patch(before, after)
    assert patch == {"b": {"c": 5}, "list": [1], "new": "x", "gone": None}
    assert deep_merge(before, patch) == after
