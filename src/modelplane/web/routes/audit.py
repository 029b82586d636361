"""The audit log page: every change, filtered by kind, actor, time and id, a page at a
time, with CSV and JSON Lines downloads of everything that matches."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from modelplane.domain.audit import KINDS, parse_filter
from modelplane.domain.errors import InvalidInput
from modelplane.services import audit as svc
from modelplane.web.console import SignedIn

router = APIRouter(prefix="/admin/audit")
PAGE = 50
Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_class=HTMLResponse)
def audit_page(
    console: SignedIn,
    kind: Text = None,
    actor: Text = None,
    since: Text = None,
    until: Text = None,
    id: Text = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    values = {"kind": kind, "actor": actor, "since": since, "until": until, "id": id}
    sent = {k: v for k, v in values.items() if v}
    try:
        where = parse_filter(kind, actor, since, until, id)
    except InvalidInput as exc:
        return console.page(
            "audit.html", status=422, errors=exc.errors, values=sent, kinds=KINDS, log=None
        )
    log = svc.audit_log(console.uows, where, offset, PAGE)
    query = urlencode(sent)
    return console.page(
        "audit.html",
        errors=[],
        values=sent,
        kinds=KINDS,
        log=log,
        query=query,
        newer=max(offset - PAGE, 0) if offset else None,
        older=offset + PAGE if log["total"] > offset + PAGE else None,
    )


@router.get("/export")
def export(
    console: SignedIn,
    format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
    kind: Text = None,
    actor: Text = None,
    since: Text = None,
    until: Text = None,
    id: Text = None,
) -> Response:
    where = parse_filter(kind, actor, since, until, id)
    body = svc.export(console.uows, where, format)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    headers = {"Content-Disposition": f'attachment; filename="modelplane-audit.{format}"'}
    return console.finish(PlainTextResponse(body, media_type=media, headers=headers))
