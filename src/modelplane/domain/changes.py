"""A committed change, as the change log records it and every listener receives it.

One ``Change`` per kind of entity a transaction touched (``model``, ``profile``,
``router_config``, ``flag``, ...), numbered by the global change sequence. ``reload`` is not
a write: it tells a listener to catch up in full (a gap in what it heard, a stalled client,
or a process that started from the static tables).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

RELOAD = "reload"


@dataclass(frozen=True, slots=True)
class Change:
    sequence: int
    kind: str
    ids: tuple[str, ...] = ()
    """The entities of ``kind`` that changed (model ids, profile ids, flag names, ...)."""
    at: datetime | None = None
    """When it was committed; ``None`` for a ``reload``."""

    @classmethod
    def reload(cls, sequence: int) -> Change:
        return cls(sequence, RELOAD)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        """A change in its public shape, as ``to_json`` wrote it."""
        return cls(int(data["sequence"]), str(data["kind"]), tuple(str(i) for i in data["ids"]))

    @property
    def is_reload(self) -> bool:
        return self.kind == RELOAD

    def to_json(self) -> dict[str, object]:
        """The public shape (``/api/v1/events``, ``modelplane watch --json``)."""
        return {"sequence": self.sequence, "kind": self.kind, "ids": list(self.ids)}

    def json_text(self) -> str:
        return json.dumps(self.to_json())


__all__ = ["RELOAD", "Change"]
