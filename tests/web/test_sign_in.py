"""Signing in to the console: the slow password check holds no write lock; roles."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx2
import pytest
from argon2 import PasswordHasher, extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services import tokens, users
from modelplane.settings import PasswordHashing, Settings
from modelplane.store.user_repositories import UserRepository
from modelplane.web import console as web_console
from modelplane.web.session import Session
from tests.conftest import TEST_PASSWORD_HASHING
from tests.web.conftest import PASSWORD, Console

ARGON2_RECOMMENDED = PasswordHashing(time_cost=3, memory_cost=65536, parallelism=4)
"""argon2-cffi's default, RFC 9106's low-memory profile: what production hashes with."""


def _outdated(hashing: PasswordHashing) -> PasswordHasher:
    """A hasher with other parameters than ``hashing``'s, like one from before a change."""
    return PasswordHasher(
        time_cost=hashing.time_cost + 1,
        memory_cost=hashing.memory_cost,
        parallelism=hashing.parallelism,
    )


def _parameters(password_hash: str) -> PasswordHashing:
    found = extract_parameters(password_hash)
    return PasswordHashing(found.time_cost, found.memory_cost, found.parallelism)


def _stored_hash(runtime: Runtime, username: str) -> str:
    with runtime.unit_of_work(read_only=True) as uow:
        stored = UserRepository(uow.connection).get(username)
    assert stored is not None
    return stored.password_hash


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


def test_by_default_passwords_hash_at_argon2s_recommended_cost_and_older_hashes_are_upgraded(
    seeded: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in TEST_PASSWORD_HASHING:  # the suite's cheap cost off: the operator's default
        monkeypatch.delenv(f"MODELPLANE_PASSWORD_HASH_{name}")
    runtime = Runtime(Settings(database_url=database_url, environment="test"))
    try:
        assert runtime.settings.password_hashing == ARGON2_RECOMMENDED
        spec = users.UserSpec(username="editor-user", role="editor", password=PASSWORD)
        users.create_user(
            runtime.unit_of_work, spec, "test", hashing=runtime.settings.password_hashing
        )
        assert _parameters(_stored_hash(runtime, "editor-user")) == ARGON2_RECOMMENDED
        weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
        with runtime.unit_of_work() as uow:
            UserRepository(uow.connection).set("editor-user", password_hash=weak)
            uow.commit()
        with TestClient(create_app(runtime)) as client:
            assert Console(client).sign_in("editor-user").status_code == 200
        stored = _stored_hash(runtime, "editor-user")
        assert _parameters(stored) == ARGON2_RECOMMENDED
        assert not PasswordHasher().check_needs_rehash(stored)
        assert PasswordHasher().verify(stored, PASSWORD)
    finally:
        runtime.close()


def test_hashes_carry_the_configured_cost_and_a_hash_of_another_is_upgraded_on_sign_in(
    app_client: TestClient, runtime: Runtime
) -> None:
    hashing = runtime.settings.password_hashing
    assert _parameters(_stored_hash(runtime, "viewer-user")) == hashing
    with runtime.unit_of_work() as uow:
        old = _outdated(hashing).hash(PASSWORD)
        UserRepository(uow.connection).set("editor-user", password_hash=old)
        uow.commit()
    assert Console(app_client).sign_in("editor-user").status_code == 200
    stored = _stored_hash(runtime, "editor-user")
    assert stored != old
    assert _parameters(stored) == hashing
    assert PasswordHasher().verify(stored, PASSWORD)


def test_an_upgrade_never_overwrites_a_password_changed_since_the_check(
    app_client: TestClient, runtime: Runtime
) -> None:
    hashing = runtime.settings.password_hashing
    with runtime.unit_of_work() as uow:
        old = _outdated(hashing).hash(PASSWORD)
        UserRepository(uow.connection).set("editor-user", password_hash=old)
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        sign_in = users.check_password(uow, "editor-user", PASSWORD, hashing=hashing)
    assert sign_in is not None and sign_in.rehash is not None
    with runtime.unit_of_work() as uow:
        change = users.PasswordChange(password="a brand new one!")
        users.set_password(uow, "editor-user", change, hashing=hashing)
        uow.commit()
    with runtime.unit_of_work() as uow:
        users.store_rehash(uow, sign_in)
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        new = users.check_password(uow, "editor-user", "a brand new one!", hashing=hashing)
        assert new is not None
        assert users.check_password(uow, "editor-user", PASSWORD, hashing=hashing) is None


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
