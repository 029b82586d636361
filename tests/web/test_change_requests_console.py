"""The change requests pages: a pending request in the list and the header badge, its diff,
approval by another user, a schedule through the datetime-local picker, and apply."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from modelplane.services import change_requests as svc

CHANGE = {
    "kind": "router_config",
    "id": "router",
    "patch": {"routerSettings": {"maxRetries": 4}},
    "expectedVersion": 1,
}


def test_a_request_is_listed_diffed_approved_scheduled_and_applied(as_role: Any) -> None:
    editor = as_role("editor")
    uows = editor.client.app.state.runtime.unit_of_work
    svc.set_policy(uows, "router_config", 1, "editor", "admin-user")
    rid = svc.create_request(uows, "more retries", "flaky", [CHANGE], "editor-user")["id"]

    listing = editor.get("/admin/changes")
    assert listing.status_code == 200
    assert f'data-request="{rid}"' in listing.text and "more retries" in listing.text
    assert 'data-pending="1"' in listing.text  # the header badge
    assert "style=" not in listing.text and "<script>" not in listing.text

    page = editor.get(f"/admin/changes/{rid}")
    assert "routerSettings.maxRetries" in page.text and "<td>4</td>" in page.text
    assert 'type="datetime-local"' in page.text
    editor.refresh_csrf()
    own = editor.post(f"/admin/changes/{rid}", {"action": "approve"}, follow_redirects=True)
    assert "cannot approve" in own.text

    admin = as_role("admin")
    admin.get(f"/admin/changes/{rid}")
    admin.refresh_csrf()
    approved = admin.post(f"/admin/changes/{rid}", {"action": "approve"}, follow_redirects=True)
    assert 'data-state="approved"' in approved.text
    at = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduled = admin.post(
        f"/admin/changes/{rid}", {"action": "schedule", "at": at}, follow_redirects=True
    )
    assert 'data-state="scheduled"' in scheduled.text
    applied = admin.post(f"/admin/changes/{rid}", {"action": "apply"}, follow_redirects=True)
    assert 'data-state="applied"' in applied.text
    assert re.search(r"<strong>applied</strong>", applied.text)
    assert "data-pending=" not in admin.get("/admin/changes").text
