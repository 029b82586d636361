"""Price timelines in the bulk export and import (``models[i].priceTimeline``).

An export lists, for each model that has dated prices, every entry of its timeline:
``effectiveFrom``, the price in the same shape as the model's ``pricing`` (tiers
included), and who recorded it and why (``recordedBy``, ``reason``: the names the
timeline's API answer uses). A model with no dated prices has no such field, so exports of
undated models are as before.

An import compares each entry with the target's by its ``effectiveFrom``: an entry the
target lacks, or holds with another price, is recorded through the path a scheduled price
takes (``services/prices.record_price_in``), in the import's transaction; an identical one
is left alone (a price is identical by its moment and price; its reason and author do not
count). A recorded entry keeps the file's ``recordedBy`` and ``reason``; an entry without
them (files from before they were exported) is recorded as the import's author's, with no
reason. An entry the target has and the file does not list is kept (an import never
deletes price history) and named in the report's warnings as kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.history import FieldChange
from modelplane.domain.models import DatedPrice, Model
from modelplane.domain.validation import field_errors, validate_reason
from modelplane.services.prices import record_price_in
from modelplane.store.unit_of_work import UnitOfWork

TIMELINE_FIELD = "priceTimeline"
_ENTRY_KEYS = ("effectiveFrom", "pricing", "recordedBy", "reason")


@dataclass
class TimelinePlan:
    """Per model id, the entries an import records (added or re-priced) and the target's
    entries it keeps although the file leaves them out."""

    added: dict[str, list[DatedPrice]] = field(default_factory=dict)
    kept: dict[str, list[DatedPrice]] = field(default_factory=dict)


def export_timeline(model: Model) -> dict[str, Any]:
    """The model's ``priceTimeline`` field for an export: empty when it has no dated prices."""
    if not model.price_timeline:
        return {}
    return {TIMELINE_FIELD: [entry_json(e) for e in model.price_timeline]}


def entry_json(entry: DatedPrice) -> dict[str, Any]:
    return {
        "effectiveFrom": _moment(entry.effective_from),
        "pricing": entry.pricing.to_json(),
        "recordedBy": entry.recorded_by,
        "reason": entry.reason,
    }


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def take_timelines(value: Any, errors: list[FieldError]) -> tuple[Any, dict[int, list[DatedPrice]]]:
    """The ``models`` rows without their ``priceTimeline``, and each row's checked timeline
    by index. A bad entry is an error naming the model (its id) and the field."""
    if not isinstance(value, list):
        return value, {}
    rows: list[Any] = []
    timelines: dict[int, list[DatedPrice]] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or TIMELINE_FIELD not in item:
            rows.append(item)
            continue
        rows.append({k: v for k, v in item.items() if k != TIMELINE_FIELD})
        model_id = item.get("id")
        timelines[index] = _entries(
            item[TIMELINE_FIELD], f"models[{index}].{TIMELINE_FIELD}", model_id, errors
        )
    return rows, timelines


def _entries(value: Any, path: str, model_id: Any, errors: list[FieldError]) -> list[DatedPrice]:
    who = f"model {model_id!r}: " if isinstance(model_id, str) else ""
    if not isinstance(value, list):
        errors.append(FieldError(path, f"{who}must be a list of {{effectiveFrom, pricing}}"))
        return []
    entries: list[DatedPrice] = []
    seen: dict[datetime, int] = {}
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(where, f"{who}must be an object {{effectiveFrom, pricing}}"))
            continue
        extra = sorted(item.keys() - set(_ENTRY_KEYS))
        if extra:
            known = ", ".join(_ENTRY_KEYS)
            message = f"{who}unknown field(s) {', '.join(extra)}; known: {known}"
            errors.append(FieldError(where, message))
            continue
        try:
            entry = DatedPrice.model_validate({key: item.get(key) for key in _ENTRY_KEYS})
            # The reason's rule is every write's (at most 2,000 characters, stripped).
            entry = entry.model_copy(update={"reason": validate_reason(entry.reason)})
        except ValidationError as exc:
            errors += [FieldError(e.path, f"{who}{e.message}") for e in field_errors(exc, where)]
            continue
        except InvalidInput as exc:
            errors += [FieldError(f"{where}.{e.path}", f"{who}{e.message}") for e in exc.errors]
            continue
        if entry.effective_from in seen:
            first = f"{path}[{seen[entry.effective_from]}]"
            errors.append(FieldError(f"{where}.effectiveFrom", f"{who}same moment as {first}"))
            continue
        seen[entry.effective_from] = i
        entries.append(entry)
    return sorted(entries, key=lambda e: e.effective_from)


def plan_timelines(
    uow: UnitOfWork, timelines: dict[str, list[DatedPrice]], warnings: list[str]
) -> tuple[TimelinePlan, dict[str, FieldChange]]:
    """What the import records per model, and the ``priceTimeline`` change its preview
    shows (``old``: the target's entries it re-prices; ``new``: what it adds)."""
    plan = TimelinePlan()
    changes: dict[str, FieldChange] = {}
    stored = uow.prices.timelines(list(timelines))
    for model_id, entries in timelines.items():
        target = {e.effective_from: e for e in stored.get(model_id, ())}
        added = [
            e
            for e in entries
            if e.effective_from not in target or target[e.effective_from].pricing != e.pricing
        ]
        listed = {e.effective_from for e in entries}
        kept = [e for e in stored.get(model_id, ()) if e.effective_from not in listed]
        if added:
            plan.added[model_id] = added
            replaced = [
                entry_json(target[e.effective_from]) for e in added if e.effective_from in target
            ]
            changes[model_id] = FieldChange(
                field=TIMELINE_FIELD, old=replaced or None, new=[entry_json(e) for e in added]
            )
        if kept:
            plan.kept[model_id] = kept
            moments = ", ".join(_moment(e.effective_from) for e in kept)
            warnings.append(
                f"models {model_id!r}: {TIMELINE_FIELD} kept {len(kept)} entr"
                f"{'ies' if len(kept) != 1 else 'y'} the file does not list ({moments}); "
                "an import never deletes price history"
            )
    return plan, changes


def apply_timelines(
    uow: UnitOfWork, plan: TimelinePlan, model_ids: set[str], author: str, at: datetime
) -> None:
    """Record the planned entries of ``model_ids`` (the models the import still writes),
    after their documents are written, one by one on the model as it then stands."""
    for model_id, entries in plan.added.items():
        if model_id not in model_ids:
            continue
        for entry in entries:
            current = uow.models.get(model_id)
            assert current is not None  # written by the import or already there
            record_price_in(uow, current, entry, author, at)
