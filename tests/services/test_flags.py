"""Flag evaluation as the services see it (``services/flags.py``): the environment's word
wins over the stored flags."""

from __future__ import annotations

import pytest

from modelplane.domain.flags import FlagSpec, UserContext
from modelplane.services.flags import evaluate_flag
from modelplane.settings import Settings


def flag(percentage: int, enabled: bool = True) -> FlagSpec:
    return FlagSpec(name="models_source", enabled=enabled, percentage=percentage)


def test_environment_override_beats_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPLANE_FLAG_MODELS_SOURCE", "off")
    flags = {"models_source": flag(100)}
    result = evaluate_flag(Settings(), flags, "models_source", UserContext("u"))
    assert (result.enabled, result.reason) == (False, "override")
    monkeypatch.setenv("MODELPLANE_FLAG_MODELS_SOURCE", "on")
    off_in_db = {"models_source": flag(0, enabled=False)}
    assert evaluate_flag(Settings(), off_in_db, "models_source", UserContext()).enabled


def test_static_source_setting_acts_as_an_off_override() -> None:
    settings = Settings(models_source="static")
    flags = {"models_source": flag(100)}
    assert not evaluate_flag(settings, flags, "models_source", UserContext("u")).enabled
