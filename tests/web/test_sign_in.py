"""Signing in to the console: the slow password check holds no write lock; roles."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx2
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.services import tokens, users
from modelplane.store.user_repositories import UserRepository
from modelplane.web import console as web_console
from modelplane.web.session import Session
from tests.web.conftest import PASSWORD, Console

_WEAK = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_sign_in_goes_through_while_another_writer_holds_the_write_lock(
    app_client: TestClient, runtime: Runtime
) -> None:
    answers: list[httpx2.Response] = []
    with runtime.unit_of_work() as writer:  # on SQLite: BEGIN IMMEDIATE, the write lock
        writer.connection.exec_driver_sql("SELECT 1")
        signing_in = threading.Thread(
            target=lambda: answers.append(Console(app_client).sign_in("viewer-user"))
        )
        signing_in.start()
        signing_in.join(timeout=10)
        finished_under_lock = not signing_in.is_alive()
    signing_in.join()
    assert finished_under_lock, "sign-in waited for another transaction's write lock"
    assert answers[0].status_code == 200


def test_an_outdated_hash_is_upgraded_on_sign_in(app_client: TestClient, runtime: Runtime) -> None:
    with runtime.unit_of_work() as uow:
        UserRepository(uow.connection).set("editor-user", password_hash=_WEAK.hash(PASSWORD))
        uow.commit()
    assert Console(app_client).sign_in("editor-user").status_code == 200
    with runtime.unit_of_work(read_only=True) as uow:
        stored = UserRepository(uow.connection).get("editor-user")
    assert stored is not None
    assert not PasswordHasher().check_needs_rehash(stored.password_hash)
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)


def test_an_upgrade_never_overwrites_a_password_changed_since_the_check(
    app_client: TestClient, runtime: Runtime
) -> None:
    with runtime.unit_of_work() as uow:
        UserRepository(uow.connection).set("editor-user", password_hash=_WEAK.hash(PASSWORD))
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        sign_in = users.check_password(uow, "editor-user", PASSWORD)
    assert sign_in is not None and sign_in.rehash is not None
    with runtime.unit_of_work() as uow:
        users.set_password(uow, "editor-user", users.PasswordChange(password="a brand new one!"))
        uow.commit()
    with runtime.unit_of_work() as uow:
        users.store_rehash(uow, sign_in)
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        assert users.check_password(uow, "editor-user", "a brand new one!") is not None
        assert users.check_password(uow, "editor-user", PASSWORD) is None


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "editor", False),
        ("editor", "editor", True),
        ("editor", "admin", False),
        ("admin", "viewer", True),
        ("admin", "admin", True),
    ],
)
def test_console_roles_follow_the_one_role_order(role: str, needed: str, allowed: bool) -> None:
    user = users.User(f"{role}-user", role, datetime.now(UTC), "test", False)
    console = web_console.Console(None, None, None, Session.fresh(), user)  # type: ignore[arg-type]
    assert console.can(needed) is allowed is tokens.allows(role, needed)
