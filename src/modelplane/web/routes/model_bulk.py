"""The models table's bulk action: deprecate or activate the selected rows (or every model
matching the search) with one reason, in one transaction (``services.models.
bulk_set_status`` holds the rule). A confirmation names the models and asks the reason;
the router-model rule's refusals come back on it, naming the blocking models."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.services import models as svc
from modelplane.web.console import Console, EditorConsole
from modelplane.web.csrf import CheckedForm
from modelplane.web.labels import humane
from modelplane.web.routes.models import TableQuery, matching

router = APIRouter(prefix="/admin/models")
_SHOWN = 12


@router.post("/bulk-status")
def bulk_status(console: EditorConsole, form: CheckedForm) -> Response:
    back = str(form.get("back") or "/admin/models")
    back = back if back.startswith("/admin/models") else "/admin/models"
    status = "active" if form.get("status") == "active" else "deprecated"
    ids = _chosen(console, form)
    if not ids:
        refusal = "Nothing changed: tick the models to change, or choose all matching the search."
        return console.redirect(back, refused=refusal)
    typed = str(form.get("reason") or "")
    if form.get("confirmed") != "yes":
        return _confirm(console, ids, status, back, typed)
    try:
        result = svc.bulk_set_status(console.uows, ids, status, console.author, typed)
    except InvalidInput as exc:
        return _confirm(console, ids, status, back, typed, exc.errors)
    done = f"{len(result.changed)} model{'s' if len(result.changed) != 1 else ''} now {status}"
    if result.unchanged:
        done += f"; {len(result.unchanged)} already {status}, left alone"
    return console.redirect(back, notice=done + ".")


def _chosen(console: Console, form: Any) -> list[str]:
    """The ticked ids, or (scope ``matching``) every model the search's filters match."""
    if form.get("scope") == "matching":
        query = TableQuery(
            q=str(form.get("q") or "").strip(),
            provider=str(form.get("provider") or ""),
            status=str(form.get("filterStatus") or ""),
            capability=str(form.get("capability") or ""),
        )
        return [m.id for m in matching(console, query)]
    return [str(i) for i in form.getlist("ids") if str(i).strip()]


def _confirm(
    console: Console,
    ids: list[str],
    status: str,
    back: str,
    reason: str,
    errors: list[FieldError] | None = None,
) -> Response:
    count = f"{len(ids)} model{'s' if len(ids) != 1 else ''}"
    named = ", ".join(ids[:_SHOWN]) + (
        f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    )
    if status == "deprecated":
        title = f"Deprecate {count}?"
        effect = "The router stops choosing them and clients see them as deprecated."
    else:
        title = f"Activate {count}?"
        effect = "They become active: public (unless internal-only) and routable."
    return console.confirm(
        title=title,
        lines=[
            f"{effect} In one change: if any one cannot change, none does.",
            f"Models: {named}.",
        ],
        action="/admin/models/bulk-status",
        fields=[("status", status), ("back", back), *(("ids", i) for i in ids)],
        button="Deprecate all" if status == "deprecated" else "Activate all",
        cancel=back,
        reason=reason,
        errors=humane(errors or []),
        danger=status == "deprecated",
    )
