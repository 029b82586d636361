"""Flags (``domain/flags.py``): Unleash-compatible buckets and who is enrolled, in memory."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modelplane.domain.flags import (
    ROLLOUT_STEPS,
    Flag,
    FlagSpec,
    UserContext,
    bucket,
    evaluate,
    next_step,
    override_variable,
    parse_override,
)

from .support import paths


def flag(percentage: int, enabled: bool = True, **kw: str) -> FlagSpec:
    return FlagSpec(name="models_source", enabled=enabled, percentage=percentage, **kw)


def test_buckets_match_unleash_reference_values() -> None:
    # normalizedValue(id, groupId) as every Unleash client computes it.
    assert bucket("gr1", "123") == 73
    assert bucket("groupX", "999") == 25


def test_buckets_are_1_to_100() -> None:
    values = {bucket("g", f"user-{i}") for i in range(2000)}
    assert min(values) == 1
    assert max(values) == 100


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


@pytest.mark.parametrize("percentage", [1, 10, 50])
def test_the_share_of_buckets_at_most_a_percentage_over_100k_users_is_that_percentage(
    percentage: int,
) -> None:
    # Enrolment is "bucket <= percentage" (below); the buckets must be spread evenly for
    # the share enrolled to be the percentage. Tolerance: 0.5 points (about 5 standard
    # errors at 50%).
    n = 100_000
    enrolled = sum(bucket("models_source", f"user-{i}") <= percentage for i in range(n))
    assert abs(enrolled / n * 100 - percentage) <= 0.5


def test_enrolment_is_bucket_at_most_percentage() -> None:
    # models_source buckets: ana 18, dee 36, fay 41, ben 71.
    enrolled = {
        u for u in ("ana", "dee", "fay", "ben") if evaluate(flag(36), UserContext(u)).enabled
    }
    assert enrolled == {"ana", "dee"}
    answer = evaluate(flag(36), UserContext("fay"))
    assert (answer.bucket, answer.reason, answer.enabled) == (41, "bucket", False)


def test_raising_the_percentage_never_drops_an_enrolled_user() -> None:
    users = [UserContext(f"u{i}") for i in range(1000)]
    previous: set[int] = set()
    for percentage in (0, 1, 10, 25, 50, 75, 100):
        enrolled = {i for i, u in enumerate(users) if evaluate(flag(percentage), u).enabled}
        assert previous <= enrolled
        previous = enrolled
    assert len(previous) == 1000


def test_the_kill_switch_wins_over_any_percentage() -> None:
    answer = evaluate(flag(100, enabled=False), UserContext("ana"))
    assert (answer.enabled, answer.reason) == (False, "disabled")


def test_zero_percent_enrols_nobody_and_100_everybody_even_without_a_user() -> None:
    assert evaluate(flag(0), UserContext("ana")).reason == "zero_percent"
    full = evaluate(flag(100), UserContext())
    assert (full.enabled, full.reason, full.bucket) == (True, "full_rollout", None)


def test_no_stickiness_value_is_not_enrolled_below_100() -> None:
    answer = evaluate(flag(99), UserContext())
    assert (answer.enabled, answer.reason, answer.bucket) == (False, "no_stickiness_value", None)


def test_an_override_wins_over_everything() -> None:
    assert evaluate(flag(0, enabled=False), UserContext(), override=True).enabled
    answer = evaluate(flag(100), UserContext("ana"), override=False)
    assert (answer.enabled, answer.reason) == (False, "override")


def test_user_id_falls_back_to_session_id_and_named_fields_work() -> None:
    assert UserContext(session_id="s1").stickiness_value("userId") == "s1"
    assert UserContext("u1", "s1").stickiness_value("userId") == "u1"
    assert UserContext("u1").stickiness_value("sessionId") is None
    by_session = evaluate(flag(50), UserContext(session_id="s-1"))
    assert by_session.bucket == bucket("models_source", "s-1")
    context = UserContext(properties={"tenantId": "t9"})
    assert context.stickiness_value("tenantId") == "t9"
    answer = evaluate(flag(50, stickiness="tenantId"), context)
    assert answer.bucket == bucket("models_source", "t9")


def test_the_group_id_defaults_to_the_name_and_shared_groups_enrol_alike() -> None:
    assert flag(10).group == "models_source"
    assert evaluate(flag(50), UserContext("u1")).group_id == "models_source"
    grouped = evaluate(flag(50, group_id="migration"), UserContext("u1"))
    assert grouped.bucket == bucket("migration", "u1")
    a = FlagSpec(name="a", enabled=True, percentage=30, group_id="shared")
    b = FlagSpec(name="b", enabled=True, percentage=30, group_id="shared")
    users = [UserContext(f"u{i}") for i in range(200)]
    assert [evaluate(a, u).enabled for u in users] == [evaluate(b, u).enabled for u in users]
    assert evaluate(a, UserContext("ana")).to_json()["groupId"] == "shared"


@pytest.mark.parametrize("raw", ["on", "TRUE", " 1 ", "yes", "db"])
def test_on_overrides(raw: str) -> None:
    assert parse_override(raw) is True


@pytest.mark.parametrize("raw", ["off", "False", "0", "no", "static"])
def test_off_overrides(raw: str) -> None:
    assert parse_override(raw) is False


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_unset_overrides(raw: str | None) -> None:
    assert parse_override(raw) is None


def test_a_bad_override_is_refused_quoting_it() -> None:
    with pytest.raises(ValueError, match="flag override must be on or off, got 'maybe'"):
        parse_override("maybe")


def test_the_override_variable_is_named_after_the_flag() -> None:
    assert override_variable("models_source") == "MODELPLANE_FLAG_MODELS_SOURCE"


@pytest.mark.parametrize(("now", "after"), [(0, 1), (1, 10), (30, 50), (50, 100), (100, None)])
def test_next_rollout_step(now: int, after: int | None) -> None:
    assert next_step(now) == after
    assert ROLLOUT_STEPS == (0, 1, 10, 50, 100)


def test_percentage_and_names_are_validated() -> None:
    assert paths(FlagSpec, {"name": "Models-Source", "percentage": 101}) == ["name", "percentage"]
    assert paths(FlagSpec, {"name": "x", "stickiness": "9lives"}) == ["stickiness"]


def test_a_stored_flag_spec_drops_its_version() -> None:
    stored = Flag(name="x", enabled=True, percentage=5, version=3)
    assert stored.spec() == FlagSpec(name="x", enabled=True, percentage=5)
