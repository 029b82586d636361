"""A committed change as listeners receive it (``domain/changes.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from modelplane.domain.changes import RELOAD, Change


def test_the_public_shape_round_trips_without_the_commit_time() -> None:
    change = Change(7, "model", ("openai:gpt-5", "acme:fast"), datetime(2026, 3, 1, tzinfo=UTC))
    shape = change.to_json()
    assert shape == {"sequence": 7, "kind": "model", "ids": ["openai:gpt-5", "acme:fast"]}
    assert json.loads(change.json_text()) == shape
    back = Change.from_json(shape)
    assert (back.sequence, back.kind, back.ids, back.at) == (7, "model", change.ids, None)


def test_a_reload_is_no_write_and_says_so() -> None:
    reload = Change.reload(12)
    assert (reload.sequence, reload.kind, reload.ids, reload.is_reload) == (12, RELOAD, (), True)
    assert not Change(12, "flag", ("x",)).is_reload
    assert Change.from_json(reload.to_json()).is_reload
