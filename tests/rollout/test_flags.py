"""Flag evaluation: Unleash-compatible buckets, monotonic rollout, overrides."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modelplane.domain.flags import FlagSpec, UserContext, bucket, evaluate, parse_override
from modelplane.services.flags import evaluate_flag
from modelplane.settings import Settings


def flag(percentage: int, enabled: bool = True, **kw: str) -> FlagSpec:
    return FlagSpec(name="models_source", enabled=enabled, percentage=percentage, **kw)


def test_buckets_match_unleash_reference_values() -> None:
    # The values Unleash's clients agree on for normalizedValue(id, groupId).
    assert bucket("gr1", "123") == 73
    assert bucket("groupX", "999") == 25


def test_the_same_user_gets_the_same_answer_in_another_process() -> None:
    users = [f"user-{i}" for i in range(50)]
    here = [evaluate(flag(37), UserContext(u)).enabled for u in users]
    code = (
        "import json,sys;from modelplane.domain.flags import *;"
        "f=FlagSpec(name='models_source',enabled=True,percentage=37);"
        f"print(json.dumps([evaluate(f,UserContext(u)).enabled for u in {users!r}]))"
    )
    there = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    assert here == there
    assert any(here)
    assert not all(here)


def test_raising_the_percentage_never_drops_an_enrolled_user() -> None:
    users = [UserContext(f"u{i}") for i in range(5000)]
    previous: set[int] = set()
    for percentage in (0, 1, 10, 25, 50, 75, 100):
        enrolled = {i for i, u in enumerate(users) if evaluate(flag(percentage), u).enabled}
        assert previous <= enrolled
        previous = enrolled
    assert len(previous) == 5000


@pytest.mark.parametrize("percentage", [1, 10, 50])
def test_enrolled_share_over_100k_users_is_within_tolerance(percentage: int) -> None:
    # Tolerance: ±0.5 percentage points (about 5 standard errors at 50%).
    n = 100_000
    enrolled = sum(evaluate(flag(percentage), UserContext(f"user-{i}")).enabled for i in range(n))
    assert abs(enrolled / n * 100 - percentage) <= 0.5


def test_the_kill_switch_and_zero_percent_enrol_nobody_and_100_enrols_everyone() -> None:
    user = UserContext("someone")
    assert evaluate(flag(100, enabled=False), user).reason == "disabled"
    assert not evaluate(flag(100, enabled=False), user).enabled
    assert evaluate(flag(0), user).reason == "zero_percent"
    assert evaluate(flag(100), UserContext()).enabled  # even without a user id


def test_no_stickiness_value_means_not_enrolled_below_100() -> None:
    result = evaluate(flag(99), UserContext())
    assert (result.enabled, result.reason, result.bucket) == (False, "no_stickiness_value", None)


def test_user_id_falls_back_to_session_id_and_named_fields_work() -> None:
    by_session = evaluate(flag(50), UserContext(session_id="s-1"))
    assert by_session.bucket == bucket("models_source", "s-1")
    tenant = flag(50, stickiness="tenantId")
    result = evaluate(tenant, UserContext("u", properties={"tenantId": "acme"}))
    assert result.bucket == bucket("models_source", "acme")


def test_group_id_changes_the_bucket_and_defaults_to_the_name() -> None:
    assert evaluate(flag(50), UserContext("u1")).group_id == "models_source"
    grouped = evaluate(flag(50, group_id="migration"), UserContext("u1"))
    assert grouped.bucket == bucket("migration", "u1")


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


def test_bad_override_value_is_named() -> None:
    with pytest.raises(ValueError, match="flag override must be on or off, got 'maybe'"):
        parse_override("maybe")


def test_a_mistyped_override_stops_the_process_at_start_naming_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("MODELPLANE_FLAG_MODELS_SOURCE", "enabled")
    with pytest.raises(ValidationError, match="MODELPLANE_FLAG_MODELS_SOURCE: a flag override"):
        Settings()
