"""Rows of the rollout tables: flags, experiments, parity samples and mismatches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select, update

from modelplane.domain.experiments import Experiment
from modelplane.domain.flags import Flag
from modelplane.store import tables as t


class FlagRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> list[Flag]:
        rows = self._conn.execute(select(t.flags).order_by(t.flags.c.name))
        return [Flag.model_validate(dict(r._mapping)) for r in rows]

    def get(self, name: str) -> Flag | None:
        row = self._conn.execute(select(t.flags).where(t.flags.c.name == name)).first()
        return Flag.model_validate(dict(row._mapping)) if row else None

    def add(self, flag: Flag) -> None:
        self._conn.execute(t.flags.insert().values(flag.model_dump()))

    def replace(self, flag: Flag, expected_version: int) -> bool:
        c = t.flags.c
        values = flag.model_dump()
        result = self._conn.execute(
            update(t.flags).where(c.name == flag.name, c.version == expected_version).values(values)
        )
        return result.rowcount == 1


class ExperimentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> list[Experiment]:
        rows = self._conn.execute(select(t.experiments).order_by(t.experiments.c.created_at))
        return [_experiment(r) for r in rows]

    def get(self, name: str) -> Experiment | None:
        row = self._conn.execute(select(t.experiments).where(t.experiments.c.name == name)).first()
        return _experiment(row) if row else None

    def add(self, experiment: Experiment) -> None:
        self._conn.execute(t.experiments.insert().values(_values(experiment)))

    def replace_variants(self, experiment: Experiment) -> None:
        """Store the experiment's variants as they now are (a model replaced in them), as
        its next version."""
        self._conn.execute(
            update(t.experiments)
            .where(t.experiments.c.name == experiment.name)
            .values(variants=experiment.to_json()["variants"], version=t.experiments.c.version + 1)
        )

    def replace(self, experiment: Experiment, expected_version: int) -> bool:
        """Store the experiment's document (description, variants, guardrails) and version
        if its row is still at ``expected_version``; False if it moved on."""
        doc = experiment.to_json()
        result = self._conn.execute(
            update(t.experiments)
            .where(
                t.experiments.c.name == experiment.name,
                t.experiments.c.version == expected_version,
            )
            .values(
                description=experiment.description,
                variants=doc["variants"],
                guardrails=doc.get("guardrails"),
                version=experiment.version,
            )
        )
        return result.rowcount == 1

    def end(self, name: str, at: datetime, by: str, outcome: str) -> None:
        self._conn.execute(
            update(t.experiments)
            .where(t.experiments.c.name == name)
            .values(status="ended", ended_at=at, ended_by=by, outcome=outcome)
        )


def _values(experiment: Experiment) -> dict[str, Any]:
    doc = experiment.to_json()
    return {
        "name": experiment.name,
        "status": experiment.status,
        "description": experiment.description,
        "variants": doc["variants"],
        "created_at": experiment.created_at,
        "created_by": experiment.created_by,
        "ended_at": experiment.ended_at,
        "ended_by": experiment.ended_by,
        "outcome": experiment.outcome,
        "guardrails": doc.get("guardrails"),
        "version": experiment.version,
    }


def _experiment(row: Any) -> Experiment:
    return Experiment.model_validate(dict(row._mapping))


class ParityRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, samples: list[dict[str, Any]], mismatches: list[dict[str, Any]]) -> None:
        if samples:
            self._conn.execute(t.parity_samples.insert(), samples)
        if mismatches:
            self._conn.execute(t.parity_mismatches.insert(), mismatches)

    def source_stats(self, since: datetime | None) -> list[dict[str, Any]]:
        s = t.parity_samples.c
        query = select(
            s.source,
            s.request_kind,
            func.count().label("requests"),
            func.sum(case((s.ok.is_(False), 1), else_=0)).label("errors"),
        ).group_by(s.source, s.request_kind)
        if since is not None:
            query = query.where(s.at >= since)
        return [dict(r._mapping) for r in self._conn.execute(query)]

    def latencies(self, source: str, since: datetime | None) -> list[int]:
        s = t.parity_samples.c
        query = select(s.latency_us).where(s.source == source, s.ok.is_(True))
        if since is not None:
            query = query.where(s.at >= since)
        return [int(v) for v in self._conn.scalars(query)]

    def mismatch_counts(self, since: datetime | None) -> dict[str, int]:
        m = t.parity_mismatches.c
        query = select(m.kind, func.count()).group_by(m.kind)
        if since is not None:
            query = query.where(m.at >= since)
        return {kind: int(n) for kind, n in self._conn.execute(query)}

    def mismatched(self, since: datetime | None) -> list[tuple[datetime, str, str, str | None]]:
        """Each distinct (request, kind, model) that differed: a request is its sample's
        moment and kind, which all of one sample's mismatches share."""
        m = t.parity_mismatches.c
        query = select(m.at, m.request_kind, m.kind, m.model_id).distinct()
        if since is not None:
            query = query.where(m.at >= since)
        return [(r.at, r.request_kind, r.kind, r.model_id) for r in self._conn.execute(query)]

    def mismatch_examples(
        self, kind: str, limit: int, since: datetime | None
    ) -> list[dict[str, Any]]:
        m = t.parity_mismatches.c
        query = select(t.parity_mismatches).where(m.kind == kind).order_by(m.id.desc()).limit(limit)
        if since is not None:
            query = query.where(m.at >= since)
        return [
            {
                "at": r.at.isoformat(),
                "requestKind": r.request_kind,
                "modelId": r.model_id,
                "details": r.details,
            }
            for r in self._conn.execute(query)
        ]
