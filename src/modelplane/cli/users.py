"""``modelplane users``: console users. The first admin is created here; after that,
admins can manage users in the console, the API, or here against a server (``--server``)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Any

import typer

from modelplane.cli.manage import ReasonOpt, ServerOpt, TokenOpt, backend
from modelplane.cli.output import fail, out, print_json, print_table

users_app = typer.Typer(no_args_is_help=True, help="Console users (passwords hashed with argon2).")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        fail("the passwords differ")
    return first


def _done(user: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        print_json(user)
    else:
        out.print(text)


@users_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="The sign-in name.")],
    role: Annotated[str, typer.Option("--role", help="admin, editor or viewer.")],
    password_stdin: PasswordStdin = False,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user. Without --password-stdin the password is prompted for, unechoed."""
    password = _read_password(password_stdin)
    with backend(server, token) as b:
        document = {"username": username, "role": role, "password": password}
        user = b.create_user(document, reason)
    _done(user, as_json, f"created {user['role']} {user['username']!r}")


@users_app.command("list")
def list_users(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List users (never their password hashes)."""
    with backend(server, token) as b:
        listed = b.list_users()
    if as_json:
        print_json(listed)
        return
    rows = [
        (u["username"], u["role"], "disabled" if u["disabled"] else "active", u["createdBy"])
        for u in listed["data"]
    ]
    print_table(["username", "role", "state", "created by"], rows)


@users_app.command("set-role")
def set_role(
    username: str,
    role: str,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's role (the last active admin cannot be demoted)."""
    with backend(server, token) as b:
        user = b.set_role(username, role, reason)
    _done(user, as_json, f"{user['username']!r} is now {user['role']}")


@users_app.command("set-password")
def set_password(
    username: str,
    password_stdin: PasswordStdin = False,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a user's password; their open console sessions end."""
    password = _read_password(password_stdin)
    with backend(server, token) as b:
        user = b.set_password(username, password, reason)
    _done(user, as_json, f"password of {username!r} changed")


@users_app.command("disable")
def disable(
    username: str,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Disable a user: they can no longer sign in, and their sessions end."""
    with backend(server, token) as b:
        user = b.set_disabled(username, True, reason)
    _done(user, as_json, f"{username!r} disabled")


@users_app.command("enable")
def enable(
    username: str,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enable a disabled user again."""
    with backend(server, token) as b:
        user = b.set_disabled(username, False, reason)
    _done(user, as_json, f"{username!r} enabled")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
