"""Settings (``settings.py``): a bad value stops the process at start, naming the variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelplane.settings import Settings


def test_a_mistyped_override_stops_the_process_at_start_naming_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPLANE_FLAG_MODELS_SOURCE", "enabled")
    with pytest.raises(ValidationError, match="MODELPLANE_FLAG_MODELS_SOURCE: a flag override"):
        Settings()
