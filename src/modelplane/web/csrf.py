"""The console's CSRF check: a posted form is read only once its token matches the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from modelplane.web.console import AnyVisitor, ConsoleForbidden


async def checked_form(request: Request, console: AnyVisitor) -> FormData:
    """The posted form, once its CSRF token (field or header) matches the session's."""
    form = await request.form()
    token = form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not console.signer.csrf_ok(console.session, token if isinstance(token, str) else None):
        raise ConsoleForbidden(
            "this form's security token is missing or out of date; reload the page and retry"
        )
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]
