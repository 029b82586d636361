"""Sync from a public catalogue: upload the source's file (or give its URL), see the preview
(every created model, changed field, conflict, held price, skipped entry and bad value), and
apply it in one transaction only when the preview is confirmed. The last sync of each source
is listed on the page.

The source's text waits between preview and apply as the bulk import's does
(``web/staging.py``); applying re-plans in its transaction and refuses if the plan is not the
one that was confirmed.

When an approval policy holds the sync (``approvalsNeeded`` in its preview), the preview
offers to open a change request holding exactly the previewed diff instead, and an
emergency override with a required reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any, cast

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from modelplane.domain.catalogue_sources import SOURCES, SourceName
from modelplane.domain.errors import ApprovalRequired, FieldError, Forbidden, InvalidInput
from modelplane.services import change_requests, versioned
from modelplane.services import sync as svc
from modelplane.web import staging
from modelplane.web.console import AdminConsole, Console
from modelplane.web.csrf import CheckedForm

router = APIRouter(prefix="/admin")
LABELS = {
    "litellm": "LiteLLM (model_prices_and_context_window.json)",
    "openrouter": "OpenRouter (GET /api/v1/models)",
    "modelsdev": "models.dev (api.json)",
}


class _Refused(Exception):
    def __init__(self, report: svc.SyncReport) -> None:
        self.report = report


@router.get("/sync", response_class=HTMLResponse)
def sync_page(console: AdminConsole) -> Response:
    return _page(console, [])


@router.post("/sync", response_class=HTMLResponse)
async def preview(console: AdminConsole, form: CheckedForm) -> Response:
    source = str(form.get("source") or "")
    url = str(form.get("url") or "").strip()
    reason = str(form.get("reason") or "").strip()
    overwrite = form.get("overwrite") == "on"
    upload = form.get("file")
    limit = console.runtime.settings.import_max_bytes
    if source not in SOURCES:
        return _page(console, [FieldError("source", "choose a source")], status=422)
    try:
        if url:
            raw = svc.fetch(url) if url.startswith(("http://", "https://")) else None
            if raw is None:
                raise InvalidInput([FieldError("url", "must be an http or https URL")])
            location = url
        elif isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read(limit + 1)
            location = upload.filename
            if len(raw) > limit:
                message = f"the file is larger than the limit of {limit:,} bytes"
                return _page(console, [FieldError("file", message)], status=413)
        else:
            return _page(console, [FieldError("file", "choose a file or give a URL")], status=422)
        options = _options(console, source, location, reason, overwrite, dry_run=True)
        report = svc.sync(console.uows, options, console.author, raw=raw)
    except InvalidInput as exc:
        return _page(console, exc.errors, status=422)
    finally:
        await form.close()
    text = raw.decode("utf-8", errors="replace")
    stage = staging.stage(
        _owner(console),
        {"source": source, "location": location, "raw": text, "overwrite": overwrite},
    )
    return _page(console, [], report=report, stage=stage, digest=_digest(report), reason=reason)


@router.post("/sync/apply", response_class=HTMLResponse)
def apply(console: AdminConsole, form: CheckedForm) -> Response:
    """Apply the confirmed preview; with ``override`` (a reason), past its policy as an
    emergency override."""
    stage, digest, reason, staged = _staged(console, form)
    if not isinstance(staged, dict):
        return _expired(console)
    options = _options(
        console, staged["source"], staged["location"], reason, bool(staged["overwrite"]), False
    )
    override = form.get("override")
    raw = str(staged["raw"]).encode()
    try:
        if override is None:
            report = svc.sync(console.uows, options, console.author, raw, _confirm(digest))
        else:
            assert console.user is not None
            why = versioned.override_reason(console.author, console.user.role, override, "override")
            with versioned.overriding(why):
                report = svc.sync(console.uows, options, console.author, raw, _confirm(digest))
    except _Refused as refused:
        return _changed_since(console, refused.report, stage, reason)
    except ApprovalRequired:
        # A policy set since the preview: the preview again, now offering the request.
        console.notices.append("This sync now needs approval, so nothing was applied.")
        dry = dataclasses.replace(options, dry_run=True)
        fresh = svc.sync(console.uows, dry, console.author, raw=raw)
        return _page(
            console, [], report=fresh, stage=stage, digest=_digest(fresh), reason=reason, status=409
        )
    except (InvalidInput, Forbidden) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else [FieldError("override", str(exc))]
        return _page(console, errors, status=422)
    staging.discard(_owner(console), stage)
    return _page(console, [], report=report, applied=True)


@router.post("/sync/request")
def open_request(console: AdminConsole, form: CheckedForm) -> Response:
    """Open a change request holding the confirmed preview's diff, and land on it."""
    stage, digest, reason, staged = _staged(console, form)
    if not isinstance(staged, dict):
        return _expired(console)
    options = _options(
        console, staged["source"], staged["location"], reason, bool(staged["overwrite"]), False
    )
    try:
        opened = change_requests.open_sync(
            console.uows,
            options,
            form.get("title"),
            console.author,
            str(staged["raw"]).encode(),
            _confirm(digest),
        )
    except _Refused as refused:
        return _changed_since(console, refused.report, stage, reason)
    except InvalidInput as exc:
        return _page(console, exc.errors, status=422)
    staging.discard(_owner(console), stage)
    notice = (
        f"Change request #{opened['id']} opened with {len(opened['changes'])} model "
        f"change(s): it needs {opened['approvalsNeeded']} approval(s)."
    )
    return console.redirect(f"/admin/changes/{opened['id']}", notice=notice)


def _staged(console: Console, form: CheckedForm) -> tuple[str, str, str, Any]:
    stage = str(form.get("stage") or "")
    digest = str(form.get("digest") or "")
    reason = str(form.get("reason") or "").strip()
    return stage, digest, reason, staging.staged(_owner(console), stage)


def _expired(console: Console) -> Response:
    problem = FieldError("file", "this preview has expired; upload the file again")
    return _page(console, [problem], status=410)


def _confirm(digest: str) -> Callable[[svc.SyncReport], None]:
    """Refuse (``_Refused``) a plan that is not the preview that was confirmed."""

    def confirm(report: svc.SyncReport) -> None:
        if _digest(report) != digest:
            raise _Refused(report)

    return confirm


def _changed_since(console: Console, fresh: svc.SyncReport, stage: str, reason: str) -> Response:
    console.notices.append(
        "The catalogue changed since your preview, so nothing was applied. "
        "Here is the new preview; confirm again to apply it."
    )
    fresh.dry_run, fresh.applied = True, False
    return _page(
        console, [], report=fresh, stage=stage, digest=_digest(fresh), reason=reason, status=409
    )


def _options(
    console: Console, source: str, location: str, reason: str, overwrite: bool, dry_run: bool
) -> svc.SyncOptions:
    settings = console.runtime.settings
    return svc.SyncOptions(
        source=cast(SourceName, source),
        location=location,
        dry_run=dry_run,
        reason=reason or None,
        overwrite=overwrite,
        hold_below=settings.sync_hold_below,
        hold_above=settings.sync_hold_above,
    )


def _digest(report: svc.SyncReport) -> str:
    plan = {"created": report.created, "updated": report.updated, "held": report.held}
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _owner(console: Console) -> str:
    return hashlib.sha256(console.session.sid.encode()).hexdigest()[:16]


def _page(
    console: Console, errors: list[FieldError], status: int = 200, **context: Any
) -> Response:
    context.setdefault("report", None)
    runs = svc.sync_runs(console.uows, limit=20)
    return console.page(
        "sync.html", status=status, labels=LABELS, errors=errors, runs=runs, **context
    )
