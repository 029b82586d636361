"""Tokens for each role, made through the token service on the test's database."""

from __future__ import annotations

import pytest

from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token

ROLES = ("viewer", "editor", "admin", "ingest")


@pytest.fixture
def headers(runtime: Runtime) -> dict[str, dict[str, str]]:
    """``headers["editor"]`` authenticates as a token named ``editor-token`` of that role;
    ``headers["anonymous"]`` sends none."""
    found: dict[str, dict[str, str]] = {"anonymous": {}}
    with runtime.unit_of_work() as uow:
        for role in ROLES:
            _, token = create_token(uow, TokenSpec(name=f"{role}-token", role=role), "test")
            found[role] = {"Authorization": f"Bearer {token}"}
        uow.commit()
    return found
