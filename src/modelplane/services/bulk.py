"""Bulk export and import of the whole catalogue and the router's data.

An import is checked whole before anything is written, and every problem is reported at
once with its JSON path (``models[3].pricing.input``). It is applied in one transaction.
Import adds and updates; it never deletes what the document leaves out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, unknown
from modelplane.domain.history import FieldChange, diff
from modelplane.domain.models import ModelSpec, Provider
from modelplane.domain.profiles import ProfileSpec, TaskCategory
from modelplane.domain.router_config import RouterConfigDoc
from modelplane.domain.validation import field_errors, validate_reason
from modelplane.services.models import save_in
from modelplane.services.router_data import (
    deprecation_error,
    put_profile_in,
    router_model_errors,
    save_router_config_in,
)
from modelplane.services.versioned import Change
from modelplane.store.locks import RuleFamily
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

SCHEMA_VERSION = 1
DEFAULT_REASON = "bulk import"
KINDS = ("providers", "categories", "models", "profiles", "routerConfig")
_INFORMATIONAL = frozenset({"schemaVersion", "exportedAt", "source"})
_IGNORED_PROFILE_KEYS = ("speedTier", "costTier")
"""Keys of the extended profile tables that are not profile facts. The speed tier is a fact
of the model (edit it there); the cost tier follows from the price and the router's
thresholds. Both are ignored, with a warning, rather than written anywhere."""

S = TypeVar("S", bound=BaseModel)


@dataclass
class ImportDocument:
    providers: list[tuple[int, Provider]]
    categories: list[tuple[int, TaskCategory]]
    models: list[tuple[int, ModelSpec]]
    profiles: list[tuple[int, ProfileSpec]]
    router_config: RouterConfigDoc | None
    warnings: list[str]


@dataclass
class KindDiff:
    created: list[str] = field(default_factory=list)
    updated: list[tuple[str, list[FieldChange]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": [
                {"id": key, "changes": [c.model_dump(mode="json") for c in changes]}
                for key, changes in self.updated
            ],
            "unchanged": self.unchanged,
        }


@dataclass
class ImportReport:
    dry_run: bool
    reason: str
    diff: dict[str, KindDiff] = field(default_factory=lambda: {k: KindDiff() for k in KINDS})
    warnings: list[str] = field(default_factory=list)

    @property
    def change_count(self) -> int:
        return sum(len(d.created) + len(d.updated) for d in self.diff.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "applied": not self.dry_run and self.change_count > 0,
            "reason": self.reason,
            "changeCount": self.change_count,
            "diff": {k: d.to_json() for k, d in self.diff.items()},
            "warnings": self.warnings,
        }


# Export ------------------------------------------------------------------------------------


def export_document(uows: UnitOfWorkFactory) -> dict[str, Any]:
    """Everything an import needs to rebuild the catalogue and the router's data, read in
    one consistent transaction."""
    with uows(read_only=True) as uow:
        return _export(uow)


def _export(uow: UnitOfWork) -> dict[str, Any]:
    config = uow.router_config.get()
    return {
        "schemaVersion": SCHEMA_VERSION,
        "exportedAt": utcnow().isoformat().replace("+00:00", "Z"),
        "providers": [p.to_json() for p in uow.providers.all()],
        "categories": [c.to_json() for c in uow.categories.all()],
        "models": [m.spec().to_json() for m in uow.models.filtered()],
        "profiles": [p.spec().to_json() for p in uow.profiles.all()],
        "routerConfig": config.doc().to_json() if config else None,
    }


# Import ------------------------------------------------------------------------------------


def parse_json(raw: bytes) -> Any:
    """The document in ``raw``; what is not JSON is an ``InvalidInput`` naming where."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise InvalidInput([FieldError("", f"not JSON: {exc.msg} at {where}")]) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput([FieldError("", f"not JSON: {exc}")]) from None


def import_document(
    uows: UnitOfWorkFactory,
    data: Any,
    author: str,
    dry_run: bool,
    reason: str | None = None,
    confirm: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Check ``data`` whole, work out the diff, and (unless ``dry_run``) write it in one
    transaction; a dry run only reads.

    Raises ``InvalidInput`` listing every problem, before any write. ``confirm`` sees the
    report before the commit and may raise to roll everything back (the console refuses an
    import whose diff is not the one it previewed).
    """
    reason = validate_reason(reason)
    with uows(read_only=dry_run) as uow:
        if not dry_run:  # its checks read what the router-model rule reads: hold it first
            uow.lock(RuleFamily.ROUTER_MODELS)
        doc = parse_document(uow, data)
        why = reason or DEFAULT_REASON
        report = ImportReport(dry_run=dry_run, reason=why, warnings=doc.warnings)
        _plan(uow, doc, report)
        if not dry_run:
            _apply(uow, doc, report, author)
            if confirm is not None:
                confirm(report)
            uow.commit()
    return report


def parse_document(uow: UnitOfWork, data: Any) -> ImportDocument:
    """The document's rows, checked against each other and against the database."""
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("", "an import must be a JSON object")])
    for key in sorted(data.keys() - _INFORMATIONAL - set(KINDS)):
        errors.append(FieldError(key, f"unknown section; known: {', '.join(KINDS)}"))
    version = data.get("schemaVersion", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        message = f"unsupported; this server reads version {SCHEMA_VERSION}"
        errors.append(FieldError("schemaVersion", message))
    warnings: list[str] = []
    profiles_data = _strip_profile_extras(data.get("profiles"), warnings)
    doc = ImportDocument(
        providers=_section(data.get("providers"), "providers", Provider, errors),
        categories=_section(data.get("categories"), "categories", TaskCategory, errors),
        models=_section(data.get("models"), "models", ModelSpec, errors),
        profiles=_section(profiles_data, "profiles", ProfileSpec, errors),
        router_config=_router_config(data.get("routerConfig"), errors),
        warnings=warnings,
    )
    errors += _references(uow, doc)
    if errors:
        raise InvalidInput(errors, title="invalid import")
    return doc


def _section(value: Any, name: str, kind: type[S], errors: list[FieldError]) -> list[tuple[int, S]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(FieldError(name, "must be a list"))
        return []
    rows: list[tuple[int, S]] = []
    for index, item in enumerate(value):
        try:
            rows.append((index, kind.model_validate(item)))
        except ValidationError as exc:
            errors += field_errors(exc, f"{name}[{index}]")
    return rows


def _router_config(value: Any, errors: list[FieldError]) -> RouterConfigDoc | None:
    if value is None:
        return None
    try:
        return RouterConfigDoc.model_validate(value)
    except ValidationError as exc:
        errors += field_errors(exc, "routerConfig")
        return None


def _strip_profile_extras(value: Any, warnings: list[str]) -> Any:
    if not isinstance(value, list):
        return value
    stripped: list[Any] = []
    seen: set[str] = set()
    for item in value:
        if isinstance(item, dict):
            seen.update(k for k in _IGNORED_PROFILE_KEYS if k in item)
            item = {k: v for k, v in item.items() if k not in _IGNORED_PROFILE_KEYS}
        stripped.append(item)
    warnings += [
        f"profiles[*].{key} ignored: not a profile fact (set a model's speedTier on the model; "
        "cost tiers follow from prices)"
        for key in sorted(seen)
    ]
    return stripped


def _references(uow: UnitOfWork, doc: ImportDocument) -> list[FieldError]:
    """Duplicates within the document, and ids that exist neither here nor in the database."""
    errors = _duplicates("providers", "id", [(i, p.id) for i, p in doc.providers])
    errors += _duplicates("categories", "id", [(i, c.id) for i, c in doc.categories])
    errors += _duplicates("models", "id", [(i, m.id) for i, m in doc.models])
    errors += _duplicates("profiles", "modelId", [(i, p.model_id) for i, p in doc.profiles])
    providers = {p.id for p in uow.providers.all()} | {p.id for _, p in doc.providers}
    for i, model in doc.models:
        if model.provider not in providers:
            errors.append(_unknown(f"models[{i}].provider", "provider", model.provider, providers))
    models = set(uow.models.ids()) | {m.id for _, m in doc.models}
    categories = {c.id for c in uow.categories.all()} | {c.id for _, c in doc.categories}
    for i, profile in doc.profiles:
        if profile.model_id not in models:
            errors.append(_unknown(f"profiles[{i}].modelId", "model", profile.model_id, models))
        errors += [
            _unknown(f"profiles[{i}].categoryScores.{cat}", "category", cat, categories)
            for cat in profile.category_scores
            if cat not in categories
        ]
    return errors + _router_models(uow, doc, models)


def _router_models(uow: UnitOfWork, doc: ImportDocument, models: set[str]) -> list[FieldError]:
    """The router's rules on its models, against the database as the import leaves it: an
    imported config must name existing, undeprecated models (the import's statuses, else the
    stored ones); an import must not deprecate a model the live config names."""
    imported = {m.id: (i, m.status) for i, m in doc.models}
    if doc.router_config is not None:
        settings = doc.router_config.router_settings
        statuses = {
            model_id: imported[model_id][1]
            if model_id in imported
            else _stored_status(uow, model_id)
            for model_id in (settings.router_model_id, settings.fallback_model_id)
        }
        return router_model_errors(
            doc.router_config, statuses, lambda: sorted(models), prefix="routerConfig."
        )
    live = _live_config(uow)
    errors = []
    for model_id, (index, status) in imported.items():
        if status == "deprecated" and _stored_status(uow, model_id) != "deprecated":
            error = deprecation_error(live, model_id, f"models[{index}].status")
            if error is not None:
                errors.append(error)
    return errors


def _live_config(uow: UnitOfWork) -> RouterConfigDoc | None:
    config = uow.router_config.get()
    return config.doc() if config is not None else None


def _stored_status(uow: UnitOfWork, model_id: str) -> str | None:
    model = uow.models.get(model_id)
    return model.status if model is not None else None


def _duplicates(section: str, key: str, ids: list[tuple[int, str]]) -> list[FieldError]:
    first: dict[str, int] = {}
    errors = []
    for index, value in ids:
        if value in first:
            where = f"{section}[{first[value]}]"
            errors.append(FieldError(f"{section}[{index}].{key}", f"{value!r} also at {where}"))
        else:
            first[value] = index
    return errors


def _unknown(path: str, kind: str, key: str, known: set[str]) -> FieldError:
    return FieldError(path, unknown(kind, key, sorted(known)))


def _plan(uow: UnitOfWork, doc: ImportDocument, report: ImportReport) -> None:
    providers = {p.id: p.to_json() for p in uow.providers.all()}
    _compare(report.diff["providers"], providers, [(p.id, p.to_json()) for _, p in doc.providers])
    categories = {c.id: c.to_json() for c in uow.categories.all()}
    _compare(
        report.diff["categories"], categories, [(c.id, c.to_json()) for _, c in doc.categories]
    )
    models = {m.id: m.spec().to_json() for m in uow.models.filtered()}
    _compare(report.diff["models"], models, [(m.id, m.to_json()) for _, m in doc.models])
    profiles = {p.model_id: p.spec().to_json() for p in uow.profiles.all()}
    new_profiles = [(p.model_id, p.to_json()) for _, p in doc.profiles]
    _compare(report.diff["profiles"], profiles, new_profiles)
    if doc.router_config is not None:
        config = uow.router_config.get()
        current = {"router": config.doc().to_json()} if config else {}
        _compare(report.diff["routerConfig"], current, [("router", doc.router_config.to_json())])


def _compare(
    into: KindDiff, current: dict[str, dict[str, Any]], rows: list[tuple[str, dict[str, Any]]]
) -> None:
    for key, new in rows:
        if key not in current:
            into.created.append(key)
        elif changes := diff(current[key], new):
            into.updated.append((key, changes))
        else:
            into.unchanged.append(key)


def _apply(uow: UnitOfWork, doc: ImportDocument, report: ImportReport, author: str) -> None:
    at = utcnow()
    plan = report.diff
    for _, provider in _changed(doc.providers, plan["providers"], lambda p: p.id):
        if provider.id in plan["providers"].created:
            uow.providers.add(provider, at)
        else:
            uow.providers.rename(provider)
        uow.touch("provider", provider.id)
    for _, category in _changed(doc.categories, plan["categories"], lambda c: c.id):
        if category.id in plan["categories"].created:
            uow.categories.add(category)
        else:
            uow.categories.replace(category)
        uow.touch("category", category.id)
    why = report.reason
    # Deprecations go after the router config, which may stop naming those models; the rest
    # before it, since it may name models the import creates.
    models = _changed(doc.models, plan["models"], lambda m: m.id)
    deprecations = [m for m in models if _deprecates(uow, m[1])]
    for _, spec in [m for m in models if m not in deprecations]:
        _apply_model(uow, spec, author, why, at)
    change = Change(author, why, "imported", at)
    for _, profile in _changed(doc.profiles, plan["profiles"], lambda p: p.model_id):
        put_profile_in(uow, profile, change, None)
    if doc.router_config is not None and _changed_any(plan["routerConfig"]):
        save_router_config_in(uow, doc.router_config, change, None)
    for _, spec in deprecations:
        _apply_model(uow, spec, author, why, at)


def _deprecates(uow: UnitOfWork, spec: ModelSpec) -> bool:
    current = uow.models.get(spec.id)
    return spec.status == "deprecated" and current is not None and current.status != "deprecated"


def _apply_model(uow: UnitOfWork, spec: ModelSpec, author: str, why: str, at: datetime) -> None:
    save_in(uow, spec, Change(author, why, "imported", at), None)


def _changed(rows: list[tuple[int, S]], plan: KindDiff, key: Any) -> list[tuple[int, S]]:
    wanted = set(plan.created) | {k for k, _ in plan.updated}
    return [(i, row) for i, row in rows if key(row) in wanted]


def _changed_any(plan: KindDiff) -> bool:
    return bool(plan.created or plan.updated)
