"""What every console page needs: who is asking, their session and CSRF token, and the
way to answer (a page, a fragment or a redirect) with the session cookie kept current."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from modelplane.bootstrap import Runtime
from modelplane.domain.access import User, allows
from modelplane.domain.validation import MAX_REASON
from modelplane.services.users import session_user
from modelplane.store.unit_of_work import UnitOfWorkFactory
from modelplane.web import forms
from modelplane.web.session import COOKIE, LIFETIME_SECONDS, Session, Signer

T = TypeVar("T")
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


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
        """What the services open their transactions from."""
        return self.runtime.unit_of_work

    # Answers ---------------------------------------------------------------------------

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        notice = self.request.query_params.get("notice")
        body = {
            "request": self.request,
            "console": self,
            "user": self.user,
            "csrf": self.csrf,
            "notices": [*self.notices, *([notice] if notice else [])],
            **context,
        }
        response = templates.TemplateResponse(self.request, template, body, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return self.finish(response)  # type: ignore[return-value]

    def redirect(self, url: str, notice: str | None = None) -> Response:
        if notice:
            url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
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


def _console(request: Request) -> Console:
    runtime: Runtime = request.app.state.runtime
    signer: Signer = request.app.state.console_signer
    session = signer.load(request.cookies.get(COOKIE)) or Session.fresh()
    user = None
    if session.username is not None:
        found = session_user(runtime.engine, session.username)
        if found is not None and signer.fingerprint(found[1]) == session.fingerprint:
            user = found[0]
        else:  # disabled, deleted or password changed: the session ends
            session = Session.fresh()
    return Console(request, runtime, signer, session, user)


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


async def checked_form(
    request: Request, console: Annotated[Console, Depends(_console)]
) -> FormData:
    """The posted form, once its CSRF token (field or header) matches the session's."""
    form = await request.form()
    token = form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not console.signer.csrf_ok(console.session, token if isinstance(token, str) else None):
        raise ConsoleForbidden(
            "this form's security token is missing or out of date; reload the page and retry"
        )
    return form


AnyVisitor = Annotated[Console, Depends(_console)]
SignedIn = Annotated[Console, Depends(_signed_in)]
EditorConsole = Annotated[Console, Depends(_role("editor"))]
AdminConsole = Annotated[Console, Depends(_role("admin"))]
CheckedForm = Annotated[FormData, Depends(checked_form)]


# Template helpers ----------------------------------------------------------------------------


def model_url(model_id: str, suffix: str = "") -> str:
    return f"/admin/models/{quote(model_id, safe=':/')}{suffix}"


def money(value: Any) -> str:
    if value is None:
        return "—"
    text = f"{float(value):,.4f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def tokens(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= 1_000_000 and value % 100_000 == 0:
        return f"{value / 1_000_000:g}M"
    if value >= 1000 and value % 1000 == 0:
        return f"{value // 1000}K"
    return f"{value:,}"


def score_colour(score: Any) -> str:
    """A background on a red-amber-green scale for a 0-100 score, readable with dark text."""
    try:
        value = max(0.0, min(100.0, float(score)))
    except (TypeError, ValueError):
        return ""
    hue = round(value * 1.2)  # 0 red .. 120 green
    return f"background-color: hsl({hue} 70% 85%)"


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted((HERE / "static").glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def short_time(value: Any) -> str:
    if value is None:
        return "—"
    return str(value.strftime("%Y-%m-%d %H:%M"))


templates.env.globals.update(
    model_url=model_url,
    shown=forms.shown,
    errors_at=forms.errors_at,
    static_version=_static_version(),
    MAX_REASON=MAX_REASON,
)
templates.env.filters.update(
    money=money,
    tokens=tokens,
    score_colour=score_colour,
    short_time=short_time,
    pairs=lambda items: [(str(i), str(i)) for i in items],
)
