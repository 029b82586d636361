"""Replace a model by its successor: choose the new model, see every reference that would
move (the preview is the change itself, rolled back), then apply it as one change."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.services.replace import replace_model
from modelplane.web.console import Console, EditorConsole
from modelplane.web.csrf import CheckedForm

router = APIRouter(prefix="/admin/models")


@router.get("/{model_id:path}/replace", response_class=HTMLResponse)
def replace_page(console: EditorConsole, model_id: str, new: str = "") -> Response:
    if not new:
        return _page(console, model_id)
    try:
        report = replace_model(console.uows, model_id, new.strip(), console.author, dry_run=True)
    except (InvalidInput, NotFound) as exc:
        return _page(console, model_id, new=new, errors=_errors(exc), status=422)
    return _page(console, model_id, new=new, report=report)


@router.post("/{model_id:path}/replace", response_class=HTMLResponse)
def replace(console: EditorConsole, form: CheckedForm, model_id: str) -> Response:
    new = str(form.get("new") or "").strip()
    reason = str(form.get("reason") or "").strip() or None
    try:
        report = replace_model(console.uows, model_id, new, console.author, reason=reason)
    except (InvalidInput, NotFound) as exc:
        return _page(console, model_id, new=new, errors=_errors(exc), status=422)
    return _page(console, model_id, new=new, report=report, applied=True)


def _errors(exc: InvalidInput | NotFound) -> list[FieldError]:
    return exc.errors if isinstance(exc, InvalidInput) else [FieldError("new", str(exc))]


def _page(
    console: Console,
    model_id: str,
    new: str = "",
    report: dict[str, object] | None = None,
    errors: list[FieldError] | None = None,
    applied: bool = False,
    status: int = 200,
) -> Response:
    return console.page(
        "replace.html",
        status=status,
        model_id=model_id,
        new=new,
        report=report,
        errors=errors or [],
        applied=applied,
        choices=[m.id for m in console.runtime.reader.models() if m.status != "deprecated"],
    )
