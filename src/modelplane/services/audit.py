"""One audit log: every change of every kind (models, router config, profiles, flags from
their history tables; experiments, tokens, users, providers from ``audit_events``), with
who, when, what (the field diff), why and through which face; filtered, paginated, and
exported as CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from modelplane.domain.audit import MAX_EXPORT, AuditFilter
from modelplane.domain.clock import utcnow
from modelplane.domain.history import FieldChange
from modelplane.store.audit import AuditQuery, AuditRow, audit_page
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

CSV_COLUMNS = ("at", "kind", "id", "version", "action", "actor", "face", "reason", "changes")


def record(
    uow: UnitOfWork,
    kind: str,
    entity_id: str,
    action: str,
    actor: str | None,
    reason: str | None = None,
    changes: Sequence[FieldChange] = (),
) -> None:
    """Note a change that has no history table of its own, in the caller's transaction."""
    uow.audit.record(
        kind,
        entity_id,
        action,
        actor or "unknown",
        utcnow(),
        reason,
        [c.model_dump(mode="json") for c in changes],
    )


def _json(row: AuditRow) -> dict[str, Any]:
    return {
        "at": row.at.isoformat().replace("+00:00", "Z"),
        "kind": row.kind,
        "id": row.entity_id,
        "version": row.version,
        "action": row.action,
        "actor": row.actor,
        "face": row.face,
        "reason": row.reason,
        "changes": row.changes,
    }


def audit_log(
    uows: UnitOfWorkFactory, where: AuditFilter, offset: int = 0, limit: int | None = 50
) -> dict[str, Any]:
    """``{"data": [...], "count", "total", "offset", "limit"}``, newest first."""
    query = AuditQuery(where.kinds, where.actor, where.since, where.until, where.entity_id)
    with uows(read_only=True) as uow:
        rows, total = audit_page(uow.connection, query, offset, limit)
    data = [_json(r) for r in rows]
    return {"data": data, "count": len(data), "total": total, "offset": offset, "limit": limit}


def export(uows: UnitOfWorkFactory, where: AuditFilter, fmt: str) -> str:
    """Every matching entry (at most ``MAX_EXPORT``), as CSV or JSON Lines."""
    entries = audit_log(uows, where, 0, MAX_EXPORT)["data"]
    return to_csv(entries) if fmt == "csv" else to_jsonl(entries)


def to_jsonl(entries: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)


def to_csv(entries: Sequence[dict[str, Any]]) -> str:
    """One row per entry; ``changes`` as JSON. A text cell that a spreadsheet would run as
    a formula (``=``, ``+``, ``-``, ``@`` first) is prefixed with ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        cells = [
            e["at"],
            e["kind"],
            e["id"],
            "" if e["version"] is None else e["version"],
            e["action"],
            e["actor"],
            e["face"] or "",
            e["reason"] or "",
            json.dumps(e["changes"], ensure_ascii=False),
        ]
        writer.writerow([_safe(c) for c in cells])
    return buffer.getvalue()


def _safe(cell: object) -> object:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return cell
