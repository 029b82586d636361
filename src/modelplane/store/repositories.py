"""Repositories: the only code that turns rows into domain objects and back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, case, exists, func, or_, select, update
from sqlalchemy.sql import ColumnElement

from modelplane.domain.changes import Change
from modelplane.domain.clock import utcnow
from modelplane.domain.history import ChangeType, FieldChange, HistoryEntry
from modelplane.domain.models import DatedPrice, Model, Provider, Retirement
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.reader import ModelFilter
from modelplane.domain.router_config import RouterConfig
from modelplane.store import tables as t
from modelplane.store.price_repository import PriceRepository, price_values, pricing_from

_MODEL_COLUMNS = {
    "provider": "provider_id",
    "name": "name",
    "context_window": "context_window",
    "knowledge_cutoff": "knowledge_cutoff",
    "reasoning": "reasoning",
    "actual_model_id": "actual_model_id",
    "host_order": "host_order",
    "gateway": "gateway",
    "is_internal_only": "is_internal_only",
    "is_experimental": "is_experimental",
    "description": "description",
    "user_friendly_description": "user_friendly_description",
    "best_for": "best_for",
    "benchmarks": "benchmarks",
    "speed_tier": "speed_tier",
    "is_pro": "is_pro",
    "status": "status",
    "version": "version",
    "created_at": "created_at",
    "created_by": "created_by",
    "updated_at": "updated_at",
    "updated_by": "updated_by",
    "max_output_tokens": "max_output_tokens",
    "input_modalities": "input_modalities",
    "output_modalities": "output_modalities",
    "deprecation_date": "deprecation_date",
    "sunset_date": "sunset_date",
    "successor_id": "successor_id",
}


def _model_values(model: Model) -> dict[str, Any]:
    data = model.model_dump(mode="python")
    values: dict[str, Any] = {col: data[attr] for attr, col in _MODEL_COLUMNS.items()}
    if values["reasoning"] is not None:
        values["reasoning"] = model.model_dump(mode="json", by_alias=True)["reasoning"]
    values.update(price_values(model.pricing))
    values["id"] = model.id
    return values


def _model_from_row(row: Any, capabilities: list[str]) -> Model:
    m = row._mapping
    data: dict[str, Any] = {attr: m[col] for attr, col in _MODEL_COLUMNS.items()}
    data["id"] = m["id"]
    data["pricing"] = pricing_from(m)
    data["capabilities"] = capabilities
    return Model.model_validate(data)


def _dated(model: Model, timeline: tuple[DatedPrice, ...]) -> Model:
    """The model with its price timeline, priced as in force now."""
    if not timeline:
        return model
    return model.model_copy(update={"price_timeline": timeline}).priced_at(utcnow())


class ModelRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, model_id: str) -> Model | None:
        row = self._conn.execute(select(t.models).where(t.models.c.id == model_id)).first()
        if row is None:
            return None
        model = _model_from_row(row, self._capabilities([model_id])[model_id])
        return _dated(model, PriceRepository(self._conn).timeline(model_id))

    def filtered(self, filters: ModelFilter = ModelFilter()) -> list[Model]:
        query = select(t.models).where(*self._conditions(filters)).order_by(t.models.c.id)
        return self._load(self._conn.execute(query).all())

    def search(
        self, text: str, limit: int | None = None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        """Models whose id, name, description or provider contains ``text``: exact id or
        name matches first, then prefixes, then other matches, each by id."""
        needle = text.strip().lower()
        if not needle:
            return []
        pattern = f"%{_escape_like(needle)}%"
        c = t.models.c
        fields = [c.id, c.name, c.description, c.provider_id]
        matches = or_(*(func.lower(f).like(pattern, escape="\\") for f in fields))
        rank = case(
            (or_(func.lower(c.id) == needle, func.lower(c.name) == needle), 0),
            (func.lower(c.id).like(f"%:{_escape_like(needle)}%", escape="\\"), 1),
            (func.lower(c.name).like(f"{_escape_like(needle)}%", escape="\\"), 1),
            else_=2,
        )
        conditions = [matches, *self._conditions(filters)]
        query = select(t.models).where(*conditions).order_by(rank, c.id).limit(limit)
        return self._load(self._conn.execute(query).all())

    def ids(self) -> list[str]:
        return list(self._conn.scalars(select(t.models.c.id).order_by(t.models.c.id)))

    def add(self, model: Model) -> None:
        self._conn.execute(t.models.insert().values(_model_values(model)))
        self._write_capabilities(model)

    def add_many(self, models: Sequence[Model]) -> None:
        """New models in two executemany statements, whatever their number (a bulk sync)."""
        if not models:
            return
        self._conn.execute(t.models.insert(), [_model_values(m) for m in models])
        capabilities = [
            {"model_id": m.id, "capability": cap, "position": i}
            for m in models
            for i, cap in enumerate(m.capabilities)
        ]
        if capabilities:
            self._conn.execute(t.model_capabilities.insert(), capabilities)

    def replace(self, model: Model, expected_version: int) -> bool:
        """Store ``model`` if the row is still at ``expected_version``; False if it moved on."""
        values = _model_values(model)
        del values["created_at"], values["created_by"]
        result = self._conn.execute(
            update(t.models)
            .where(t.models.c.id == model.id, t.models.c.version == expected_version)
            .values(values)
        )
        if result.rowcount != 1:
            return False
        self._conn.execute(
            t.model_capabilities.delete().where(t.model_capabilities.c.model_id == model.id)
        )
        self._write_capabilities(model)
        return True

    def _write_capabilities(self, model: Model) -> None:
        if model.capabilities:
            self._conn.execute(
                t.model_capabilities.insert(),
                [
                    {"model_id": model.id, "capability": cap, "position": i}
                    for i, cap in enumerate(model.capabilities)
                ],
            )

    def _conditions(self, f: ModelFilter) -> list[ColumnElement[bool]]:
        c = t.models.c
        conditions: list[ColumnElement[bool]] = []
        if f.provider is not None:
            conditions.append(c.provider_id == f.provider)
        if f.status is not None:
            conditions.append(c.status == f.status)
        if f.internal_only is not None:
            conditions.append(c.is_internal_only == f.internal_only)
        if f.experimental is not None:
            conditions.append(c.is_experimental == f.experimental)
        if f.capability is not None:
            cap = t.model_capabilities.c
            conditions.append(
                exists().where(and_(cap.model_id == c.id, cap.capability == f.capability))
            )
        return conditions

    def _load(self, rows: Sequence[Any]) -> list[Model]:
        caps = self._capabilities([r.id for r in rows]) if rows else {}
        timelines = PriceRepository(self._conn).timelines([r.id for r in rows]) if rows else {}
        return [_dated(_model_from_row(r, caps[r.id]), timelines.get(r.id, ())) for r in rows]

    def _capabilities(self, ids: Iterable[str]) -> dict[str, list[str]]:
        wanted = list(ids)
        found: dict[str, list[str]] = defaultdict(list)
        cap = t.model_capabilities.c
        query = select(cap.model_id, cap.capability).order_by(cap.model_id, cap.position)
        if len(wanted) <= 500:
            query = query.where(cap.model_id.in_(wanted))
        for model_id, capability in self._conn.execute(query):
            found[model_id].append(capability)
        return {i: found.get(i, []) for i in wanted}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RetirementRepository:
    """Retired models (``domain.models.Retirement``): rows are added, never removed."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, model_id: str) -> Retirement | None:
        table = t.model_retirements
        row = self._conn.execute(select(table).where(table.c.model_id == model_id)).first()
        return _retirement(row) if row is not None else None

    def ids(self) -> set[str]:
        return set(self._conn.scalars(select(t.model_retirements.c.model_id)))

    def add(self, retirement: Retirement) -> None:
        self._conn.execute(
            t.model_retirements.insert().values(
                model_id=retirement.model_id,
                retired_at=retirement.retired_at,
                retired_by=retirement.retired_by,
                reason=retirement.reason,
            )
        )


def _retirement(row: Any) -> Retirement:
    return Retirement(
        model_id=row.model_id,
        retired_at=row.retired_at,
        retired_by=row.retired_by,
        reason=row.reason,
    )


class ProviderRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> list[Provider]:
        rows = self._conn.execute(select(t.providers).order_by(t.providers.c.id))
        return [Provider(id=r.id, display_name=r.display_name) for r in rows]

    def get(self, provider_id: str) -> Provider | None:
        row = self._conn.execute(select(t.providers).where(t.providers.c.id == provider_id)).first()
        return Provider(id=row.id, display_name=row.display_name) if row else None

    def add(self, provider: Provider, at: datetime) -> None:
        self._conn.execute(
            t.providers.insert().values(
                id=provider.id, display_name=provider.display_name, created_at=at
            )
        )

    def rename(self, provider: Provider) -> None:
        self._conn.execute(
            update(t.providers)
            .where(t.providers.c.id == provider.id)
            .values(display_name=provider.display_name)
        )


class CategoryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> list[TaskCategory]:
        c = t.task_categories.c
        rows = self._conn.execute(select(t.task_categories).order_by(c.position, c.id))
        return [TaskCategory(id=r.id, label=r.label, position=r.position) for r in rows]

    def add(self, category: TaskCategory) -> None:
        self._conn.execute(t.task_categories.insert().values(**category.model_dump()))

    def replace(self, category: TaskCategory) -> None:
        self._conn.execute(
            update(t.task_categories)
            .where(t.task_categories.c.id == category.id)
            .values(label=category.label, position=category.position)
        )


class ProfileRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, model_id: str) -> Profile | None:
        found = self._load(t.model_profiles.c.model_id == model_id)
        return found[0] if found else None

    def all(self) -> list[Profile]:
        return self._load(None)

    def add(self, profile: Profile) -> None:
        self._conn.execute(t.model_profiles.insert().values(self._values(profile)))
        self._write_scores(profile)

    def replace(self, profile: Profile, expected_version: int) -> bool:
        p = t.model_profiles.c
        result = self._conn.execute(
            update(t.model_profiles)
            .where(p.model_id == profile.model_id, p.version == expected_version)
            .values(self._values(profile))
        )
        if result.rowcount != 1:
            return False
        self._conn.execute(
            t.profile_scores.delete().where(t.profile_scores.c.model_id == profile.model_id)
        )
        self._write_scores(profile)
        return True

    @staticmethod
    def _values(profile: Profile) -> dict[str, Any]:
        return {
            "model_id": profile.model_id,
            "quality_score": profile.quality_score,
            "version": profile.version,
            "updated_at": profile.updated_at,
            "updated_by": profile.updated_by,
        }

    def _write_scores(self, profile: Profile) -> None:
        self._conn.execute(
            t.profile_scores.insert(),
            [
                {"model_id": profile.model_id, "category_id": cat, "score": score}
                for cat, score in profile.category_scores.items()
            ],
        )

    def _load(self, where: ColumnElement[bool] | None) -> list[Profile]:
        p, s, cat = t.model_profiles.c, t.profile_scores.c, t.task_categories.c
        query = select(t.model_profiles).order_by(p.model_id)
        scores_query = (
            select(s.model_id, s.category_id, s.score)
            .join(t.task_categories, cat.id == s.category_id)
            .order_by(s.model_id, cat.position)
        )
        if where is not None:
            query = query.where(where)
            scores_query = scores_query.where(s.model_id.in_(select(p.model_id).where(where)))
        scores: dict[str, dict[str, int]] = defaultdict(dict)
        for model_id, category_id, score in self._conn.execute(scores_query):
            scores[model_id][category_id] = score
        return [
            Profile(
                model_id=r.model_id,
                quality_score=r.quality_score,
                category_scores=scores[r.model_id],
                version=r.version,
                updated_at=r.updated_at,
                updated_by=r.updated_by,
            )
            for r in self._conn.execute(query)
        ]


class RouterConfigRepository:
    ROW_ID = 1

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self) -> RouterConfig | None:
        row = self._conn.execute(select(t.router_config)).first()
        if row is None:
            return None
        return RouterConfig.model_validate(
            {
                **row.document,
                "version": row.version,
                "updatedAt": row.updated_at,
                "updatedBy": row.updated_by,
            }
        )

    def add(self, config: RouterConfig) -> None:
        self._conn.execute(t.router_config.insert().values(id=self.ROW_ID, **self._values(config)))

    def replace(self, config: RouterConfig, expected_version: int) -> bool:
        c = t.router_config.c
        result = self._conn.execute(
            update(t.router_config)
            .where(c.id == self.ROW_ID, c.version == expected_version)
            .values(self._values(config))
        )
        return result.rowcount == 1

    @staticmethod
    def _values(config: RouterConfig) -> dict[str, Any]:
        return {
            "document": config.doc().to_json(),
            "version": config.version,
            "updated_at": config.updated_at,
            "updated_by": config.updated_by,
        }


_ENTITY_COLUMNS = ("model_id", "config_id", "flag_name", "experiment_name")


class HistoryRepository:
    """Versions of one kind of document, in one of the ``*_history`` tables."""

    def __init__(self, conn: Connection, table: Table, face: str | None = None) -> None:
        self._conn = conn
        self._table = table
        self._face = face
        self._entity = next(col for col in table.c if col.name in _ENTITY_COLUMNS)

    def append(self, entry: HistoryEntry, document: dict[str, Any]) -> None:
        self._conn.execute(self._table.insert().values(self._row(entry, document)))

    def append_many(self, entries: Sequence[tuple[HistoryEntry, dict[str, Any]]]) -> None:
        """Many rows in one executemany (a bulk sync)."""
        if entries:
            self._conn.execute(self._table.insert(), [self._row(e, d) for e, d in entries])

    def _row(self, entry: HistoryEntry, document: dict[str, Any]) -> dict[str, Any]:
        return {
            self._entity.name: entry.entity_id,
            "version": entry.version,
            "change_type": entry.change_type,
            "changes": [c.model_dump(mode="json") for c in entry.changes],
            "document": document,
            "author": entry.author,
            "at": entry.at,
            "reason": entry.reason,
            "face": self._face,
        }

    def page(self, entity_id: str, offset: int = 0, limit: int | None = None) -> list[HistoryEntry]:
        query = (
            select(self._table)
            .where(self._entity == entity_id)
            .order_by(self._table.c.version.desc())
            .offset(offset)
            .limit(limit)
        )
        return [self._entry(r) for r in self._conn.execute(query)]

    def count(self, entity_id: str) -> int:
        query = select(func.count()).select_from(self._table).where(self._entity == entity_id)
        return int(self._conn.scalar(query) or 0)

    def document(self, entity_id: str, version: int) -> dict[str, Any] | None:
        query = select(self._table.c.document).where(
            self._entity == entity_id, self._table.c.version == version
        )
        doc = self._conn.scalar(query)
        return dict(doc) if doc is not None else None

    def _entry(self, row: Any) -> HistoryEntry:
        return HistoryEntry(
            entity_id=getattr(row, self._entity.name),
            version=row.version,
            change_type=row.change_type,
            changes=[FieldChange.model_validate(c) for c in row.changes],
            author=row.author,
            at=row.at,
            reason=row.reason,
        )


class ChangeLogRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, kind: str, ids: list[str], at: datetime) -> int:
        result = self._conn.execute(t.change_log.insert().values(kind=kind, ids=ids, at=at))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def since(self, sequence: int, until: int | None = None) -> list[Change]:
        """Changes after ``sequence`` (up to ``until``), oldest first."""
        c = t.change_log.c
        query = select(t.change_log).where(c.sequence > sequence).order_by(c.sequence)
        if until is not None:
            query = query.where(c.sequence <= until)
        return [Change(r.sequence, r.kind, tuple(r.ids), r.at) for r in self._conn.execute(query)]

    def current(self) -> int:
        return int(
            self._conn.scalar(select(func.coalesce(func.max(t.change_log.c.sequence), 0))) or 0
        )


__all__ = [
    "CategoryRepository",
    "ChangeLogRepository",
    "ChangeType",
    "HistoryRepository",
    "ModelRepository",
    "ProfileRepository",
    "ProviderRepository",
    "RouterConfigRepository",
]
