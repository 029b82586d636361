"""An editor's token for the price tests."""

from __future__ import annotations

import pytest

from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token


@pytest.fixture
def editor(runtime: Runtime) -> dict[str, str]:
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="editor-token", role="editor"), "test")
        uow.commit()
    return {"Authorization": f"Bearer {token}"}
