"""The change requests pages: the pending list with counts per state, and one request with
its diff, its events, approve/reject, a schedule picker and apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    RequestConflict,
    VersionConflict,
)
from modelplane.services import change_requests as svc
from modelplane.web.console import AdminConsole, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm

router = APIRouter(prefix="/admin/changes")


@router.get("", response_class=HTMLResponse)
def changes_page(console: SignedIn) -> Response:
    everything = svc.list_requests(console.uows)
    pending = [r for r in everything["data"] if r["state"] in svc.PENDING]
    done = [r for r in everything["data"] if r["state"] not in svc.PENDING][:50]
    return console.page("changes.html", pending=pending, done=done, counts=everything["counts"])


@router.post("")
def open_request(console: EditorConsole, form: CheckedForm) -> Response:
    """Open a change request with one change, the one a write refused for approval carried
    (``change``, as JSON), and land on the new request's page."""
    try:
        change = json.loads(str(form.get("change") or ""))
    except ValueError:
        return console.redirect("/admin/changes", refused="No change to open a request for.")
    title = str(form.get("title") or "").strip()
    try:
        made = svc.create_request(console.uows, title, form.get("reason"), [change], console.author)
    except (InvalidInput, NotFound) as exc:
        return console.redirect("/admin/changes", refused=f"Not opened: {exc}")
    notice = f"Change request #{made['id']} opened: it needs {made['approvalsNeeded']} approval(s)."
    return console.redirect(f"/admin/changes/{made['id']}", notice=notice)


@router.post("/override")
def emergency_override(console: AdminConsole, form: CheckedForm) -> Response:
    """Apply the change a write refused for approval (``change``, as JSON) now, past the
    policy: an admin's emergency override with a required reason, marked in the history."""
    try:
        change = json.loads(str(form.get("change") or ""))
    except ValueError:
        return console.redirect("/admin/changes", refused="No change to apply.")
    back = _document_page(change)
    assert console.user is not None
    try:
        done = svc.emergency_apply(
            console.uows, change, console.author, console.user.role, form.get("reason")
        )
    except (InvalidInput, NotFound, VersionConflict, Forbidden) as exc:
        return console.redirect(back, refused=f"Not applied: {exc}")
    kind = str(done["kind"]).replace("_", " ")
    notice = (
        f"Applied as an emergency override: {kind} {done['id']} is now at version "
        f"{done['version']}; its history says so."
    )
    return console.redirect(_document_page(done), notice=notice)


_PAGES = {
    "model": "/admin/models/{id}/history",
    "router_config": "/admin/auto-router/history",
    "profile": "/admin/auto-router/profiles/{id}/history",
    "flag": "/admin/rollout/flags/{id}/history",
    "experiment": "/admin/experiments/{id}",
    "sync": "/admin/models/{id}/history",
}


def _document_page(change: Any) -> str:
    """The console page showing a change's document and its history (the change
    requests when the change does not name one)."""
    kind = change.get("kind") if isinstance(change, dict) else None
    key = change.get("id") if isinstance(change, dict) else None
    if kind not in _PAGES or not isinstance(key, str):
        return "/admin/changes"
    return _PAGES[kind].format(id=quote(key, safe="/"))


@router.get("/{request_id}", response_class=HTMLResponse)
def change_page(console: SignedIn, request_id: int) -> Response:
    return console.page("change.html", cr=svc.get_request(console.uows, request_id))


@router.post("/{request_id}")
def change_action(console: EditorConsole, form: CheckedForm, request_id: int) -> Response:
    action = str(form.get("action") or "")
    note = str(form.get("reason") or "").strip() or None
    assert console.user is not None
    here = f"/admin/changes/{request_id}"
    try:
        if action == "approve":
            svc.approve(console.uows, request_id, console.author, console.user.role, note)
        elif action == "reject":
            svc.reject(console.uows, request_id, console.author, note)
        elif action == "withdraw":
            svc.withdraw(console.uows, request_id, console.author, note)
        elif action == "rebase":
            svc.rebase(console.uows, request_id, console.author, note)
        elif action == "comment":
            svc.comment(console.uows, request_id, form.get("text"), console.author)
        elif action == "apply":
            svc.apply(console.uows, request_id, console.author)
        elif action == "schedule":
            local = str(form.get("at") or "")
            try:  # the picker's value has no zone: the console's times are UTC
                when = datetime.fromisoformat(local).replace(tzinfo=UTC).isoformat()
            except ValueError:
                return console.redirect(here, refused="Pick a date and time to schedule.")
            svc.apply(console.uows, request_id, console.author, when)
        else:
            return console.redirect(here, refused="Nothing to do.")
    except (InvalidInput, NotFound, RequestConflict, Forbidden) as exc:
        return console.redirect(here, refused=str(exc))
    return console.redirect(here, notice=f"Change request #{request_id}: {action} done.")
