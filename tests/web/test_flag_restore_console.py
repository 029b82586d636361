"""The flag history page: every version with who, when and why, and "Restore this version",
which asks for a reason and goes through the same rollback as the API and CLI."""

from __future__ import annotations

from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.services import flags as svc


def test_a_flag_version_is_restored_from_its_history_with_a_reason(
    as_role: Any, runtime: Runtime
) -> None:
    uows = runtime.unit_of_work
    svc.set_flag(uows, "parity_shadow", {"percentage": 5}, "ops", "start small")
    svc.set_flag(uows, "parity_shadow", {"percentage": 40}, "ops", "go wider", 1)
    editor = as_role("editor")

    rollout = editor.get("/admin/rollout").text
    assert 'href="/admin/rollout/flags/parity_shadow/history"' in rollout
    page = editor.get("/admin/rollout/flags/parity_shadow/history")
    assert page.status_code == 200
    assert "start small" in page.text and "go wider" in page.text and "ops" in page.text
    assert "Restore this version" in page.text
    assert 'action="/admin/rollout/flags/parity_shadow/restore"' in page.text

    form = {"version": "1", "expectedVersion": "2"}
    confirm = editor.post("/admin/rollout/flags/parity_shadow/restore", form)
    assert confirm.status_code == 200
    assert "Restore version 1 of flag" in confirm.text and "percentage" in confirm.text
    assert svc.get_flag(uows, "parity_shadow").version == 2  # nothing written yet

    blank = editor.post("/admin/rollout/flags/parity_shadow/restore", {**form, "confirmed": "yes"})
    assert blank.status_code == 422
    assert svc.get_flag(uows, "parity_shadow").version == 2

    done = editor.post(
        "/admin/rollout/flags/parity_shadow/restore",
        {**form, "confirmed": "yes", "reason": "40% was too much"},
        follow_redirects=True,
    )
    assert "Restored version 1 as version 3." in done.text
    restored = svc.get_flag(uows, "parity_shadow")
    assert (restored.version, restored.percentage) == (3, 5)
    entries, _ = svc.flag_history(uows, "parity_shadow")
    assert (entries[0].author, entries[0].reason) == ("editor-user", "40% was too much")

    stale = editor.post(
        "/admin/rollout/flags/parity_shadow/restore",
        {**form, "confirmed": "yes", "reason": "again"},
        follow_redirects=True,
    )
    assert "Not restored" in stale.text
    assert svc.get_flag(uows, "parity_shadow").version == 3


def test_a_viewer_sees_the_history_but_cannot_restore(as_role: Any, runtime: Runtime) -> None:
    svc.set_flag(runtime.unit_of_work, "parity_shadow", {"percentage": 5}, "ops", "start")
    svc.set_flag(runtime.unit_of_work, "parity_shadow", {"percentage": 9}, "ops", "more", 1)
    viewer = as_role("viewer")
    page = viewer.get("/admin/rollout/flags/parity_shadow/history")
    assert page.status_code == 200 and "Restore this version" not in page.text
    answer = viewer.post("/admin/rollout/flags/parity_shadow/restore", {"version": "1"})
    assert answer.status_code == 403
    assert viewer.get("/admin/rollout/flags/nope/history").status_code == 404
