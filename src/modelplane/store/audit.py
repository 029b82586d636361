"""The audit log: ``audit_events`` for changes with no history table of their own (tokens,
users, experiments, providers), and one feed over it, every ``*_history`` table, the sync
runs that wrote (kind ``sync``) and the state changes of change requests (kind
``change_request``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select

from modelplane.store import tables as t
from modelplane.store.types import JSONDocument


class AuditRepository:
    def __init__(self, conn: Connection, face: str | None = None) -> None:
        self._conn = conn
        self._face = face

    def record(
        self,
        kind: str,
        entity_id: str,
        action: str,
        actor: str,
        at: datetime,
        reason: str | None = None,
        changes: Sequence[dict[str, Any]] = (),
    ) -> None:
        self._conn.execute(
            t.audit_events.insert().values(
                at=at,
                kind=kind,
                entity_id=entity_id,
                action=action,
                actor=actor,
                face=self._face,
                reason=reason,
                changes=list(changes),
            )
        )


@dataclass(frozen=True)
class AuditQuery:
    """Which entries: any of ``kinds``, by ``actor``, in ``[since, until)``, for ``entity_id``."""

    kinds: tuple[str, ...] = ()
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entity_id: str | None = None


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    kind: str
    entity_id: str
    version: int | None
    action: str
    actor: str
    face: str | None
    reason: str | None
    changes: list[dict[str, Any]]


_HISTORIES = (
    ("model", t.model_history, "model_id"),
    ("profile", t.profile_history, "model_id"),
    ("router_config", t.router_config_history, "config_id"),
    ("flag", t.flag_history, "flag_name"),
)


def _history_select(kind: str, table: Any, entity: str) -> Select[Any]:
    c = table.c
    return select(
        c.at.label("at"),
        literal(kind, String(40)).label("kind"),
        cast(c[entity], String(200)).label("entity_id"),
        c.version.label("version"),
        c.change_type.label("action"),
        c.author.label("actor"),
        c.face.label("face"),
        c.reason.label("reason"),
        c.changes.label("changes"),
    )


def _events_select() -> Select[Any]:
    c = t.audit_events.c
    return select(
        c.at.label("at"),
        c.kind.label("kind"),
        c.entity_id.label("entity_id"),
        cast(null(), Integer).label("version"),
        c.action.label("action"),
        c.actor.label("actor"),
        c.face.label("face"),
        c.reason.label("reason"),
        c.changes.label("changes"),
    )


def _sync_select() -> Select[Any]:
    """A sync run that wrote (not a dry run): its source, whether it applied, from where."""
    c = t.sync_runs.c
    return select(
        c.finished_at.label("at"),
        literal("sync", String(40)).label("kind"),
        c.source.label("entity_id"),
        cast(null(), Integer).label("version"),
        case((c.applied, "applied"), else_="failed").label("action"),
        c.author.label("actor"),
        cast(null(), String(20)).label("face"),
        (literal("from ", String) + c.location).label("reason"),
        cast(null(), JSONDocument).label("changes"),
    ).where(c.dry_run.is_(False))


def _request_events_select() -> Select[Any]:
    """A change request's state changes and comments, under the request's number."""
    c = t.change_request_events.c
    return select(
        c.at.label("at"),
        literal("change_request", String(40)).label("kind"),
        cast(c.request_id, String(200)).label("entity_id"),
        cast(null(), Integer).label("version"),
        c.action.label("action"),
        c.actor.label("actor"),
        cast(null(), String(20)).label("face"),
        c.text.label("reason"),
        cast(null(), JSONDocument).label("changes"),
    )


@dataclass(frozen=True)
class _Source:
    """One table the feed reads: its select, and the columns its filters apply to."""

    kind: str | None  # None: audit_events, whose rows name their own kind
    select: Select[Any]
    at: Any
    actor: Any
    entity: Any


def _sources() -> list[_Source]:
    events, syncs, requests = t.audit_events.c, t.sync_runs.c, t.change_request_events.c
    return [
        *(
            _Source(
                kind,
                _history_select(kind, table, entity),
                table.c.at,
                table.c.author,
                table.c[entity],
            )
            for kind, table, entity in _HISTORIES
        ),
        _Source(None, _events_select(), events.at, events.actor, events.entity_id),
        _Source("sync", _sync_select(), syncs.finished_at, syncs.author, syncs.source),
        _Source(
            "change_request",
            _request_events_select(),
            requests.at,
            requests.actor,
            cast(requests.request_id, String(200)),
        ),
    ]


def _branches(query: AuditQuery) -> list[Select[Any]]:
    """One select per source the filter can match, each filtered on its own table's
    columns (so its indexes on ``at`` and the document id serve)."""
    events = t.audit_events.c
    branches = []
    for source in _sources():
        if source.kind is not None and query.kinds and source.kind not in query.kinds:
            continue
        conditions: list[ColumnElement[bool]] = []
        if source.kind is None and query.kinds:
            conditions.append(events.kind.in_(query.kinds))
        if query.actor is not None:
            conditions.append(source.actor == query.actor)
        if query.since is not None:
            conditions.append(source.at >= query.since)
        if query.until is not None:
            conditions.append(source.at < query.until)
        if query.entity_id is not None:
            conditions.append(source.entity == query.entity_id)
        branches.append(source.select.where(*conditions))
    return branches


def audit_page(
    conn: Connection, query: AuditQuery, offset: int, limit: int | None
) -> tuple[list[AuditRow], int]:
    """One page of the feed, newest first, and how many entries match in all. Each source
    gives at most ``offset + limit`` of its newest rows (an index scan), then they merge."""
    branches = _branches(query)
    total = sum(
        int(conn.scalar(select(func.count()).select_from(b.subquery())) or 0) for b in branches
    )
    if limit is not None:
        newest = offset + limit
        branches = [
            select(sub).select_from(sub)
            for sub in (
                b.order_by(b.selected_columns["at"].desc()).limit(newest).subquery()
                for b in branches
            )
        ]
    feed = union_all(*branches).subquery("feed")
    rows = conn.execute(
        select(feed)
        .order_by(
            feed.c.at.desc(), feed.c.kind, feed.c.entity_id, feed.c.version.desc().nulls_last()
        )
        .offset(offset)
        .limit(limit)
    )
    return [
        AuditRow(
            at=_utc(r.at),
            kind=r.kind,
            entity_id=r.entity_id,
            version=r.version,
            action=r.action,
            actor=r.actor,
            face=r.face,
            reason=r.reason,
            changes=_changes(r.changes),
        )
        for r in rows
    ], total


def _utc(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _changes(value: Any) -> list[dict[str, Any]]:
    data = json.loads(value) if isinstance(value, str) else value
    return [dict(c) for c in data or []]
