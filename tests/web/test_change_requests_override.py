"""The console's answer to a write an approval policy refuses: an admin can apply it now
as an emergency override (a required reason, marked in the history), an editor cannot;
a restore that changes nothing says so and opens no request; and a change request of an
experiment opens from the console like any other kind."""

from __future__ import annotations

import html
import re
from typing import Any

from modelplane.services import change_requests as svc
from modelplane.services import experiments, flags
from modelplane.store.static import read_json

RESTORE = "/admin/rollout/flags/parity_shadow/restore"


def _two_versions(uows: Any) -> None:
    flags.set_flag(uows, "parity_shadow", {"percentage": 5}, "ops", "start small")
    flags.set_flag(uows, "parity_shadow", {"percentage": 40}, "ops", "go wider", 1)
    svc.set_policy(uows, "flag", 1, "editor", "admin-user")


def _restore(console: Any, version: int) -> Any:
    console.get("/admin/rollout/flags/parity_shadow/history")
    console.refresh_csrf()
    form = {"version": str(version), "expectedVersion": "2", "reason": "back", "confirmed": "yes"}
    return console.post(RESTORE, form, follow_redirects=True)


def _change_json(page: str) -> str:
    found = re.search(r'name="change" value="([^"]*)"', page)
    assert found is not None
    return html.unescape(found.group(1))


def test_an_admin_applies_a_refused_change_as_an_emergency_override(as_role: Any) -> None:
    admin = as_role("admin")
    uows = admin.client.app.state.runtime.unit_of_work
    _two_versions(uows)
    refused = _restore(admin, 1)
    assert refused.status_code == 409 and "data-approval-required" in refused.text
    assert "data-emergency-override" in refused.text
    assert "Apply now as an emergency override" in refused.text
    change = _change_json(refused.text)

    blank = admin.post(
        "/admin/changes/override", {"change": change, "reason": " "}, follow_redirects=True
    )
    assert "Not applied" in blank.text and "must say why" in blank.text
    assert flags.get_flag(uows, "parity_shadow").percentage == 40

    done = admin.post(
        "/admin/changes/override",
        {"change": change, "reason": "shadow traffic overloads"},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "Applied as an emergency override: flag parity_shadow is now at version 3" in done.text
    assert done.url.path == "/admin/rollout/flags/parity_shadow/history"
    assert "emergency override: shadow traffic overloads" in done.text
    flag = flags.get_flag(uows, "parity_shadow")
    assert (flag.percentage, flag.version) == (5, 3)
    entries, _ = flags.flag_history(uows, "parity_shadow")
    assert entries[0].reason == "emergency override: shadow traffic overloads"
    assert svc.list_requests(uows)["count"] == 0

    again = admin.post(
        "/admin/changes/override", {"change": change, "reason": "twice"}, follow_redirects=True
    )
    assert "Not applied" in again.text and "version" in again.text  # drawn at 2, now 3
    assert flags.get_flag(uows, "parity_shadow").version == 3


def test_an_editor_is_not_offered_the_override_and_cannot_post_it(as_role: Any) -> None:
    editor = as_role("editor")
    uows = editor.client.app.state.runtime.unit_of_work
    _two_versions(uows)
    refused = _restore(editor, 1)
    assert refused.status_code == 409 and "data-approval-required" in refused.text
    assert "data-emergency-override" not in refused.text
    assert "emergency override" not in refused.text.lower()
    change = _change_json(refused.text)
    forbidden = editor.post("/admin/changes/override", {"change": change, "reason": "please"})
    assert forbidden.status_code == 403
    assert flags.get_flag(uows, "parity_shadow").version == 2


def test_a_restore_to_the_current_document_under_a_policy_says_nothing_changes(
    as_role: Any,
) -> None:
    editor = as_role("editor")
    uows = editor.client.app.state.runtime.unit_of_work
    _two_versions(uows)
    answer = _restore(editor, 2)
    assert answer.status_code == 200
    assert "Not restored" in answer.text and "nothing to change" in answer.text
    assert "data-approval-required" not in answer.text
    assert svc.list_requests(uows)["count"] == 0
    assert flags.get_flag(uows, "parity_shadow").version == 2


def test_a_change_request_of_an_experiment_opens_from_the_console(as_role: Any) -> None:
    editor = as_role("editor")
    uows = editor.client.app.state.runtime.unit_of_work
    config = read_json("router-defaults.json")
    spec = {"name": "tiers", "variants": [{"name": "control", "weight": 100, "config": config}]}
    experiments.create_experiment(uows, spec, "ops")
    svc.set_policy(uows, "experiment", 1, "editor", "admin-user")
    editor.get("/admin/changes")
    editor.refresh_csrf()
    change = '{"kind": "experiment", "id": "tiers", "patch": {"description": "why"}, '
    change += '"expectedVersion": 1}'
    opened = editor.post(
        "/admin/changes",
        {"change": change, "title": "describe tiers", "reason": "context"},
        follow_redirects=True,
    )
    assert opened.status_code == 200 and "Change request #" in opened.text
    assert "experiment tiers" in opened.text and "description" in opened.text
