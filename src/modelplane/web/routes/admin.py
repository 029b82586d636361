"""Users and API tokens, for admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.access import PasswordChange, TokenSpec, UserSpec
from modelplane.domain.errors import AlreadyExists, FieldError, InvalidInput, NotFound
from modelplane.domain.scopes import SCOPE_HELP
from modelplane.domain.validation import validate
from modelplane.services import tokens as token_svc
from modelplane.services import users as svc
from modelplane.web.console import AdminConsole, Console
from modelplane.web.csrf import CheckedForm

router = APIRouter(prefix="/admin")


# Users -------------------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users_page(console: AdminConsole) -> Response:
    return _users(console, [], {"role": "viewer"})  # the least a new user may need


@router.post("/users", response_class=HTMLResponse)
def create_user(console: AdminConsole, form: CheckedForm) -> Response:
    values = {k: str(form.get(k) or "") for k in ("username", "role")}
    data = {**values, "password": str(form.get("password") or "")}
    try:
        spec = validate(UserSpec, data)
        hashing = console.runtime.settings.password_hashing
        user = svc.create_user(console.uows, spec, console.author, hashing=hashing)
    except InvalidInput as exc:
        return _users(console, exc.errors, values, status=422)
    except AlreadyExists as exc:
        return _users(console, [FieldError("username", str(exc))], values, status=409)
    return console.redirect("/admin/users", notice=f"Created {user.role} {user.username}.")


@router.post("/users/{username}", response_class=HTMLResponse)
def change_user(console: AdminConsole, form: CheckedForm, username: str) -> Response:
    action = str(form.get("action") or "")
    try:
        if action == "role":
            role = str(form.get("role") or "")
            svc.set_role(console.uows, username, role, console.author)
            notice = f"{username} is now {role}."
        elif action in ("disable", "enable"):
            svc.set_disabled(console.uows, username, action == "disable", console.author)
            notice = f"{username} {action}d."
        elif action == "password":
            change = validate(PasswordChange, {"password": str(form.get("password") or "")})
            hashing = console.runtime.settings.password_hashing
            svc.set_password(console.uows, username, change, console.author, hashing=hashing)
            notice = f"Password of {username} changed; their sessions have ended."
        else:
            notice = "Nothing to do."
    except (InvalidInput, NotFound) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else [FieldError("", str(exc))]
        message = "; ".join(e.message for e in errors)
        return console.redirect("/admin/users", refused=f"Not changed ({username}): {message}")
    return console.redirect("/admin/users", notice=notice)


def _users(
    console: Console, errors: list[FieldError], values: dict[str, str], status: int = 200
) -> Response:
    users = svc.list_users(console.uows)
    return console.page(
        "users.html",
        status=status,
        users=users,
        roles=svc.USER_ROLES,
        errors=errors,
        values=values,
        min_password=svc.MIN_PASSWORD,
    )


# Tokens ------------------------------------------------------------------------------------


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(console: AdminConsole) -> Response:
    return _tokens(console, [], {"role": "viewer"}, None)


@router.post("/tokens", response_class=HTMLResponse)
def create_token(console: AdminConsole, form: CheckedForm) -> Response:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in ("name", "role", "expiresAt")}
    values["scopes"] = [str(s) for s in form.getlist("scopes")]
    try:
        spec = validate(TokenSpec, {k: v for k, v in values.items() if v})
        record, token = token_svc.create_token(console.uows, spec, console.author)
    except InvalidInput as exc:
        return _tokens(console, exc.errors, values, None, status=422)
    except AlreadyExists as exc:
        return _tokens(console, [FieldError("name", str(exc))], values, None, status=409)
    return _tokens(console, [], {}, (record.name, token))


@router.post("/tokens/{name}/revoke")
def revoke_token(console: AdminConsole, _: CheckedForm, name: str) -> Response:
    try:
        token_svc.revoke_token(console.uows, name, console.author)
    except NotFound as exc:
        return console.redirect("/admin/tokens", refused=f"Not revoked: {exc}")
    return console.redirect("/admin/tokens", notice=f"Revoked {name}.")


def _tokens(
    console: Console,
    errors: list[FieldError],
    values: dict[str, Any],
    created: tuple[str, str] | None,
    status: int = 200,
) -> Response:
    tokens = token_svc.list_tokens(console.uows)
    return console.page(
        "tokens.html",
        status=status,
        tokens=tokens,
        states={t.name: token_svc.token_state(t) for t in tokens},
        roles=token_svc.ROLES,
        scopes=SCOPE_HELP,
        errors=errors,
        values=values,
        created=created,
    )
