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


def test_a_password_hash_cost_out_of_range_stops_the_process_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPLANE_PASSWORD_HASH_TIME_COST", "0")
    with pytest.raises(ValidationError, match="password_hash_time_cost"):
        Settings()


def test_less_password_hash_memory_than_its_lanes_need_stops_the_process_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPLANE_PASSWORD_HASH_MEMORY_COST", "16")
    monkeypatch.setenv("MODELPLANE_PASSWORD_HASH_PARALLELISM", "4")
    with pytest.raises(
        ValidationError,
        match=r"MODELPLANE_PASSWORD_HASH_MEMORY_COST must be at least 8 KiB per lane "
        r"\(8 \* MODELPLANE_PASSWORD_HASH_PARALLELISM = 32\)",
    ):
        Settings()
