"""Sign-in and sign-out."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from modelplane.services import users as svc
from modelplane.web.context import AnyVisitor, CheckedForm, SignedIn
from modelplane.web.session import Session

router = APIRouter(prefix="/admin")


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
    # The slow argon2 check reads only; a short write follows only to upgrade an old hash.
    sign_in = console.query(lambda uow: svc.check_password(uow, username, password))
    if sign_in is not None and sign_in.rehash is not None:
        console.write(lambda uow: svc.store_rehash(uow, sign_in))
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


@router.post("/logout")
def logout(console: AnyVisitor, _: CheckedForm) -> Response:
    console.replace_session(Session.fresh())
    return console.redirect("/admin/login", notice="Signed out.")
