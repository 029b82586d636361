"""Who is asking a console page, and how to answer them: the ``Console`` request context
(user, session, CSRF token; a page, a fragment or a redirect with the session cookie kept
current) and the dependencies that require a signed-in user or a role."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelplane.bootstrap import Runtime
from modelplane.domain.access import User, allows
from modelplane.domain.errors import ApprovalRequired
from modelplane.services.change_requests import pending_count
from modelplane.services.sign_in import session_user
from modelplane.store.unit_of_work import UnitOfWorkFactory
from modelplane.web import notices
from modelplane.web.session import COOKIE, LIFETIME_SECONDS, Session, Signer
from modelplane.web.templates import templates


class LoginRequired(Exception):
    """No signed-in user: the answer is the sign-in page."""


class ConsoleForbidden(Exception):
    """Signed in, but the role (or a missing CSRF token) does not allow this."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Console:
    request: Request
    runtime: Runtime
    signer: Signer
    session: Session
    user: User | None
    cookie_dirty: bool = False
    notices: list[str] = field(default_factory=list)
    start_sequence: int | None = None
    """The change sequence this process served when the request arrived (server only)."""

    # Who -------------------------------------------------------------------------------

    @property
    def author(self) -> str:
        assert self.user is not None
        return self.user.username

    def can(self, role: str) -> bool:
        """The roles' order is the API tokens' (``services.tokens.allows``), kept in one place."""
        return self.user is not None and allows(self.user.role, role)

    @property
    def csrf(self) -> str:
        return self.signer.csrf_token(self.session)

    def replace_session(self, session: Session) -> None:
        self.session = session
        self.cookie_dirty = True

    # Work ------------------------------------------------------------------------------

    @property
    def uows(self) -> UnitOfWorkFactory:
        """What the services open their transactions from (writes recorded as the console's)."""
        return self.runtime.unit_of_work_for("console")

    def written_sequence(self) -> int | None:
        """The change this request wrote (the sequence this process now serves, if it moved
        during a POST), for "applied by N of M processes"; else None."""
        if self.request.method != "POST" or self.start_sequence is None:
            return None
        now = self.runtime.live.current.sequence
        return now if now > self.start_sequence else None

    # Answers ---------------------------------------------------------------------------

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        sealed = notices.unseal(
            self.signer, self.session, self.request.query_params.get(notices.PARAMETER)
        )
        banners = [notices.Banner("notice", text) for text in self.notices]
        body = {
            "request": self.request,
            "console": self,
            "user": self.user,
            "csrf": self.csrf,
            "notices": [*banners, *([sealed] if sealed else [])],
            "applied_sequence": self.written_sequence(),
            "pending_changes": pending_count(self.uows) if self.user is not None else 0,
            **context,
        }
        response = templates.TemplateResponse(self.request, template, body, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return self.finish(response)  # type: ignore[return-value]

    def confirm(
        self,
        *,
        title: str,
        lines: list[str],
        action: str,
        fields: list[tuple[str, Any]],
        button: str,
        cancel: str,
        reason: str = "",
        errors: list[Any] | None = None,
        danger: bool = False,
    ) -> HTMLResponse:
        """A risky action's confirmation: what it does, a required reason, and one button
        that posts the same form again with ``confirmed=yes``."""
        return self.page(
            "confirm.html",
            status=422 if errors else 200,
            title=title,
            lines=lines,
            action=action,
            fields=[(name, "" if value is None else str(value)) for name, value in fields],
            button=button,
            cancel=cancel,
            reason=reason,
            errors=errors or [],
            danger=danger,
        )

    def approval_required(self, exc: ApprovalRequired) -> HTMLResponse:
        """What every console write answers when an approval policy refuses it: an error
        banner saying so, a link to the change requests, and (when the write said what it
        was) a button that opens a request with exactly the refused change; for an admin,
        also "apply now as an emergency override" with a required reason."""
        change = exc.change
        return self.page(
            "approval_required.html",
            status=409,
            message=str(exc).split(": open a change request")[0],
            change=change,
            change_json=json.dumps(change, ensure_ascii=False) if change else "",
            title=f"{change['kind'].replace('_', ' ')} {change['id']}" if change else "",
            reason=exc.reason or "",
            back=_same_site_path(self.request.headers.get("referer", "")),
            can_override=self.can("admin"),
        )

    def redirect(
        self, url: str, notice: str | None = None, *, refused: str | None = None
    ) -> Response:
        """A 303 to ``url`` leaving a banner for the page there: ``notice`` for what was
        done (success style), ``refused`` for what was not (error style)."""
        banner = (
            notices.Banner("error", refused)
            if refused
            else notices.Banner("notice", notice)
            if notice
            else None
        )
        if banner is not None:
            token = notices.seal(self.signer, self.session, banner)
            url += ("&" if "?" in url else "?") + urlencode({notices.PARAMETER: token})
        written = self.written_sequence()
        if written is not None:
            url += ("&" if "?" in url else "?") + urlencode({"applied": written})
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        if self.session.is_new or self.cookie_dirty:
            response.set_cookie(
                COOKIE,
                self.signer.dump(self.session),
                max_age=LIFETIME_SECONDS,
                httponly=True,
                samesite="lax",
                secure=self.request.url.scheme == "https",
                path="/",
            )
        return response


def _same_site_path(url: str) -> str:
    """The console path of ``url`` (a Referer), or "" for anything else."""
    parts = urlsplit(url)
    if not parts.path.startswith("/admin/"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def console_for(request: Request) -> Console:
    """The console context of ``request`` (for answers outside a route: error handlers)."""
    return _console(request)


def _console(request: Request) -> Console:
    runtime: Runtime = request.app.state.runtime
    signer: Signer = request.app.state.console_signer
    session = signer.load(request.cookies.get(COOKIE)) or Session.fresh()
    user = None
    if session.username is not None:
        found = session_user(runtime.engine, session.username, session.sid)
        if found is not None and signer.fingerprint(found[1]) == session.fingerprint:
            user = found[0]
        else:  # signed out, disabled, deleted or password changed: the session ends
            session = Session.fresh()
    start = runtime.live.current.sequence if runtime.live_reads else None
    return Console(request, runtime, signer, session, user, start_sequence=start)


def _signed_in(console: Annotated[Console, Depends(_console)]) -> Console:
    if console.user is None:
        raise LoginRequired()
    return console


def _role(role: str) -> Callable[[Console], Console]:
    def check(console: Annotated[Console, Depends(_signed_in)]) -> Console:
        if not console.can(role):
            assert console.user is not None
            raise ConsoleForbidden(f"this needs the {role} role; you are {console.user.role}")
        return console

    return check


AnyVisitor = Annotated[Console, Depends(_console)]
SignedIn = Annotated[Console, Depends(_signed_in)]
EditorConsole = Annotated[Console, Depends(_role("editor"))]
AdminConsole = Annotated[Console, Depends(_role("admin"))]
