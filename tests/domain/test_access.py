"""Who may do what (``domain/access.py``): the role order, token hashing, and the shapes of
tokens, users and passwords."""

from __future__ import annotations

import hashlib

import pytest

from modelplane.domain.access import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    PasswordChange,
    TokenSpec,
    UserSpec,
    allows,
    hash_token,
)

from .support import paths


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("admin", "admin", True),
        ("admin", "editor", True),
        ("admin", "viewer", True),
        ("editor", "viewer", True),
        ("editor", "admin", False),
        ("viewer", "editor", False),
        ("ingest", "ingest", True),
        ("ingest", "viewer", False),
        ("admin", "ingest", False),
        ("nobody", "viewer", False),
    ],
)
def test_roles_are_ordered_viewer_editor_admin_and_ingest_stands_outside(
    role: str, needed: str, allowed: bool
) -> None:
    assert allows(role, needed) is allowed


def test_a_token_is_stored_as_its_sha256_and_the_same_token_hashes_alike() -> None:
    assert hash_token("mp_secret") == hashlib.sha256(b"mp_secret").hexdigest()
    assert hash_token("mp_secret") == hash_token("mp_secret")
    assert hash_token("mp_secret") != hash_token("mp_secret2")


def test_token_and_user_names_are_slugs_and_roles_are_known() -> None:
    assert paths(TokenSpec, {"name": "-bad name", "role": "root"}) == ["name", "role"]
    assert TokenSpec(name="ci@build.1", role="ingest").role == "ingest"
    user = {"username": "ana", "role": "ingest", "password": "x" * MIN_PASSWORD}
    assert paths(UserSpec, user) == ["role"]  # ingest is for tokens only


def test_a_password_is_kept_exactly_as_typed_within_its_bounds() -> None:
    spaced = "  spaces kept  "
    assert PasswordChange(password=spaced).password == spaced
    assert paths(PasswordChange, {"password": "x" * (MIN_PASSWORD - 1)}) == ["password"]
    assert paths(PasswordChange, {"password": "x" * (MAX_PASSWORD + 1)}) == ["password"]
    assert PasswordChange(password="x" * MAX_PASSWORD).password == "x" * MAX_PASSWORD
