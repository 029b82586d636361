"""The change requests pages: the pending list with counts per state, and one request with
its diff, its events, approve/reject, a schedule picker and apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.errors import Forbidden, InvalidInput, NotFound, RequestConflict
from modelplane.services import change_requests as svc
from modelplane.web.console import EditorConsole, SignedIn
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
