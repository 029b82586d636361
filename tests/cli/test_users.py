from __future__ import annotations

from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app
from modelplane.services import users
from modelplane.settings import Settings
from modelplane.store.unit_of_work import UnitOfWork

runner = CliRunner()


def test_users_create_makes_the_first_admin_from_stdin(engine: Engine, database_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "--database-url",
            database_url,
            "users",
            "create",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a long admin password\n",
    )
    assert result.exit_code == 0, result.output
    hashing = Settings().password_hashing
    with UnitOfWork(engine) as uow:
        right = users.authenticate(uow, "root", "a long admin password", hashing=hashing)
        wrong = users.authenticate(uow, "root", "a wrong password!!", hashing=hashing)
        assert right is not None
        assert wrong is None
        assert users.get_user(uow, "root").role == "admin"


def test_users_create_refuses_a_short_password_and_an_unknown_role(
    engine: Engine, database_url: str
) -> None:
    base = ["--database-url", database_url, "users", "create", "--username", "x"]
    short = runner.invoke(app, [*base, "--role", "admin", "--password-stdin"], input="short\n")
    assert short.exit_code == 1
    assert "password" in short.output
    role = runner.invoke(
        app, [*base, "--role", "owner", "--password-stdin"], input="long enough pw\n"
    )
    assert role.exit_code == 1
    assert "role" in role.output
