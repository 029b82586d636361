"""The fleet page: every serving process, the change it serves and its lag; and the small
JSON answer the console polls after a write ("applied by 3 of 3 processes in 14 ms")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from modelplane.services.fleet import applied_by, fleet_status
from modelplane.web.console import SignedIn

router = APIRouter(prefix="/admin/fleet")


@router.get("", response_class=HTMLResponse)
def fleet_page(console: SignedIn) -> Response:
    status = fleet_status(console.uows, console.runtime.settings)
    return console.page("fleet.html", fleet=status)


@router.get("/applied")
def applied(console: SignedIn, sequence: Annotated[int, Query(ge=1, lt=2**31)]) -> Response:
    answer = applied_by(console.uows, console.runtime.settings, sequence)
    return console.finish(JSONResponse(answer, headers={"Cache-Control": "no-store"}))
