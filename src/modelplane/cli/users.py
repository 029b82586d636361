"""``modelplane users``: console users. The first admin is created here; after that,
admins can manage users in the console too."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from modelplane.cli.app import runtime
from modelplane.cli.backends import cli_author
from modelplane.cli.output import fail, friendly_errors, out, print_json, print_table
from modelplane.domain.access import PasswordChange, UserSpec
from modelplane.domain.validation import validate
from modelplane.services import users as svc

users_app = typer.Typer(no_args_is_help=True, help="Console users (passwords hashed with argon2).")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _user_json(user: svc.User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "createdAt": user.created_at.isoformat().replace("+00:00", "Z"),
        "createdBy": user.created_by,
        "disabled": user.disabled,
    }


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        fail("the passwords differ")
    return first


@users_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="The sign-in name.")],
    role: Annotated[str, typer.Option("--role", help="admin, editor or viewer.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user. Without --password-stdin the password is prompted for, unechoed."""
    password = _read_password(password_stdin)
    with friendly_errors():
        spec = validate(UserSpec, {"username": username, "role": role, "password": password})
        user = svc.create_user(runtime().unit_of_work, spec, cli_author())
    if as_json:
        print_json(_user_json(user))
    else:
        out.print(f"created {user.role} {user.username!r}")


@users_app.command("list")
def list_users(as_json: JsonOpt = False) -> None:
    """List users (never their password hashes)."""
    with friendly_errors():
        users = svc.list_users(runtime().unit_of_work)
    if as_json:
        print_json([_user_json(u) for u in users])
        return
    rows = [
        (u.username, u.role, "disabled" if u.disabled else "active", u.created_by) for u in users
    ]
    print_table(["username", "role", "state", "created by"], rows)


@users_app.command("set-role")
def set_role(username: str, role: str) -> None:
    """Change a user's role (the last active admin cannot be demoted)."""
    with friendly_errors():
        user = svc.set_role(runtime().unit_of_work, username, role)
    out.print(f"{user.username!r} is now {user.role}")


@users_app.command("set-password")
def set_password(
    username: str,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Set a user's password; their open console sessions end."""
    password = _read_password(password_stdin)
    with friendly_errors():
        change = validate(PasswordChange, {"password": password})
        svc.set_password(runtime().unit_of_work, username, change)
    out.print(f"password of {username!r} changed")


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable a user: they can no longer sign in, and their sessions end."""
    with friendly_errors():
        svc.set_disabled(runtime().unit_of_work, username, True)
    out.print(f"{username!r} disabled")


@users_app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled user again."""
    with friendly_errors():
        svc.set_disabled(runtime().unit_of_work, username, False)
    out.print(f"{username!r} enabled")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
