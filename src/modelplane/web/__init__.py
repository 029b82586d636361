"""The admin console: server-rendered pages over the same services as the API.

``install(app)`` mounts it under ``/admin`` (pages) and ``/admin/static`` (CSS and JS,
served from the package: nothing comes from a CDN, so it works air-gapped).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import ApprovalRequired
from modelplane.web.console import ConsoleForbidden, LoginRequired, console_for
from modelplane.web.routes import (
    admin,
    analytics,
    audit,
    auth,
    bulk,
    change_requests,
    experiments,
    fleet,
    model_bulk,
    models,
    playground,
    providers,
    replace,
    rollout,
    router_data,
    sync,
    webhooks,
)
from modelplane.web.session import Signer, resolve_secret
from modelplane.web.templates import HERE, templates


def install(app: FastAPI) -> None:
    """Add the console to ``app``. Outside development a secret key must be set."""
    runtime: Runtime = app.state.runtime
    app.state.console_signer = Signer(resolve_secret(runtime.settings))
    app.mount("/admin/static", StaticFiles(directory=HERE / "static"), name="console-static")
    modules = (
        auth,
        replace,
        model_bulk,
        models,
        bulk,
        sync,
        router_data,
        playground,
        admin,
        analytics,
        rollout,
        experiments,
        webhooks,
        fleet,
        audit,
        providers,
        change_requests,
    )
    for module in modules:
        app.include_router(module.router, include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        if request.method != "GET" or request.headers.get("X-Requested-With"):
            return HTMLResponse("Sign in again.", status_code=401)
        return RedirectResponse(f"/admin/login?{urlencode({'next': target})}", status_code=303)

    api_approval = app.exception_handlers.get(ApprovalRequired)

    @app.exception_handler(ApprovalRequired)
    async def _approval(request: Request, exc: ApprovalRequired) -> Response:
        """A console write refused by an approval policy gets the console's answer (the
        banner and "open a change request"); the API keeps its 409 problem."""
        if request.url.path.startswith("/admin") or api_approval is None:
            return console_for(request).approval_required(exc)
        answer: Response = await api_approval(request, exc)  # type: ignore[misc]
        return answer

    @app.exception_handler(ConsoleForbidden)
    async def _forbidden(request: Request, exc: ConsoleForbidden) -> Response:
        context: dict[str, object] = {
            "message": exc.message,
            "user": None,
            "console": None,
            "notices": [],
        }
        return templates.TemplateResponse(request, "forbidden.html", context, status_code=403)


__all__ = ["install"]
