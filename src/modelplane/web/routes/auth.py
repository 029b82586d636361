"""Sign-in and sign-out."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.responses import Response

from modelplane.services import users as svc
from modelplane.web.console import AnyVisitor, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.session import Session

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
    address = _client_address(console.request, console.runtime.settings.trusted_proxies)
    # The slow argon2 check reads only; a short write follows only to upgrade an old hash.
    try:
        sign_in = _limiter(console.request).attempt(
            username,
            address,
            lambda: svc.check_password(console.uows, username, password),
        )
    except svc.SignInLocked as exc:
        message = (
            "Too many failed sign-ins for this account or address; "
            f"try again in {exc.retry_after} seconds."
        )
        page = console.page("login.html", status=429, next=target, username=username, error=message)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if sign_in is not None and sign_in.rehash is not None:
        svc.store_rehash(console.uows, sign_in)
    found = sign_in.user if sign_in is not None else None
    if found is None:
        message = "Wrong username or password, or the account is disabled."
        return console.page("login.html", status=401, next=target, username=username, error=message)
    fingerprint = svc.session_user(console.runtime.engine, found.username)
    assert fingerprint is not None
    # A new session id on sign-in: a token planted before it is worthless after it.
    console.replace_session(
        Session.fresh(found.username, console.signer.fingerprint(fingerprint[1]))
    )
    return console.redirect(target)


def _limiter(request: Request) -> svc.SignInLimiter:
    """The app's sign-in limiter, made on first use: one per app, so one per process in
    production, and a fresh one for each test's app."""
    with _limiter_made:
        limiter: svc.SignInLimiter | None = getattr(request.app.state, "sign_in_limiter", None)
        if limiter is None:
            limiter = request.app.state.sign_in_limiter = svc.SignInLimiter()
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
    console.replace_session(Session.fresh())
    return console.redirect("/admin/login", notice="Signed out.")
