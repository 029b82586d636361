"""Sign-in and sign-out."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.responses import Response

from modelplane.services import sign_in as sessions
from modelplane.services import users as svc
from modelplane.web.console import AnyVisitor, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.session import LIFETIME_SECONDS, Session

router = APIRouter(prefix="/admin")
_limiter_made = threading.Lock()


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin/models"


@router.get("")
@router.get("/")
def home(console: SignedIn) -> Response:
    return console.redirect("/admin/models")


@router.get("/login")
def login_page(console: AnyVisitor, next: str | None = None) -> Response:
    if console.user is not None:
        return console.redirect(_safe_next(next))
    return console.page("login.html", next=_safe_next(next), username="", error=None)


@router.post("/login")
def login(console: AnyVisitor, form: CheckedForm) -> Response:
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    settings = console.runtime.settings
    address = _client_address(console.request, settings.trusted_proxies)
    hashing = settings.password_hashing
    # The slow argon2 check reads only; a short write follows only to upgrade an old hash.
    try:
        sign_in = _limiter(console.request).attempt(
            username,
            address,
            lambda: svc.check_password(console.uows, username, password, hashing=hashing),
        )
    except sessions.SignInLocked as exc:
        message = (
            "Too many failed sign-ins for this account or address; "
            f"try again in {exc.retry_after} seconds."
        )
        page = console.page("login.html", status=429, next=target, username=username, error=message)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if sign_in is not None and sign_in.rehash is not None:
        svc.store_rehash(console.uows, sign_in)
    if sign_in is None:
        message = "Wrong username or password, or the account is disabled."
        return console.page("login.html", status=401, next=target, username=username, error=message)
    found = sign_in.user
    # A new session id on sign-in: a token planted before it is worthless after it.
    salt = sessions.signed_in_salt(sign_in)
    fresh = Session.fresh(found.username, console.signer.fingerprint(salt))
    console.replace_session(fresh)
    return console.redirect(target)


def _limiter(request: Request) -> sessions.SignInLimiter:
    """The app's sign-in limiter, made on first use. Its counts are in the database, so
    every process's limiter sees every failure; a test may put in one with its own clock."""
    with _limiter_made:
        state = request.app.state
        limiter: sessions.SignInLimiter | None = getattr(state, "sign_in_limiter", None)
        if limiter is None:
            limiter = state.sign_in_limiter = sessions.SignInLimiter(state.runtime.unit_of_work)
        return limiter


def _client_address(request: Request, trusted: frozenset[str]) -> str:
    """The peer's address; behind a trusted proxy, the right-most untrusted address in
    ``X-Forwarded-For`` (each proxy appends its peer, so only that one can be believed)."""
    peer = request.client.host if request.client is not None else "unknown"
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    untrusted = [h for h in hops if h and h not in trusted]
    return untrusted[-1] if untrusted else peer


@router.post("/logout")
def logout(console: AnyVisitor, _: CheckedForm) -> Response:
    session = console.session
    if session.username is not None:  # ended everywhere: a copied cookie dies with it
        sessions.end_session(
            console.uows, session.sid, session.username, session.issued, LIFETIME_SECONDS
        )
    console.replace_session(Session.fresh())
    return console.redirect("/admin/login", notice="Signed out.")
