"""Bulk export and import of the whole catalogue and the router's data.

An import is checked whole before anything is written, and every problem is reported at
once with its JSON path (``models[3].pricing.input``). It is applied in one transaction.
Import adds and updates; it never deletes what the document leaves out.

An export records each versioned document's version (``models[i].version``,
``profiles[i].version``, ``routerConfig.version``): the base an import of it starts from. A
document whose base is older than its current version is a conflict (someone changed it
since the export). An import with conflicts is refused whole, unless it skips them or is
forced with a reason. A document without a base version (a hand-written file, an older
export) is imported over whatever is current, and the report says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, ModelplaneError, unknown
from modelplane.domain.history import FieldChange, diff
from modelplane.domain.models import DatedPrice, ModelSpec, Provider
from modelplane.domain.profiles import ProfileSpec, TaskCategory
from modelplane.domain.router_config import RouterConfigDoc
from modelplane.domain.validation import MAX_REASON, field_errors, validate_reason
from modelplane.services.bulk_prices import (
    TIMELINE_FIELD,
    TimelinePlan,
    apply_timelines,
    export_timeline,
    plan_timelines,
    take_timelines,
)
from modelplane.services.models import save_in
from modelplane.services.router_data import (
    CONFIG_ID,
    deprecation_error,
    put_profile_in,
    router_model_errors,
    save_router_config_in,
)
from modelplane.services.versioned import Change, conflict
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

ON_CONFLICT = ("refuse", "skip", "force")
"""What an import does with documents changed since its base version: refuse the whole
import (the default), skip those documents and import the rest, or overwrite them (with a
reason, which their history keeps as forced)."""
VERSIONED = ("models", "profiles", "routerConfig")
ROUTER_KEY = "router"
"""The router config's id in an import's diff and conflicts."""
FORCED = "forced over a version conflict: "

Progress = Callable[[str, int, int], None]
"""Told how an apply is getting on: ``(phase, done, total)``. The phases, in order:
``checking`` (reading the document and planning, 0 of 0), ``models`` (done of total models
written), ``profiles``, ``routerConfig``, ``prices`` (price timelines), ``committing``. It is
called on the applying thread, inside the transaction; it must be quick and must not raise
(a raise rolls everything back, like ``confirm``)."""

S = TypeVar("S", bound=BaseModel)


@dataclass
class Conflict:
    """A document the import would overwrite although it changed since the import's base."""

    kind: str
    id: str
    base_version: int
    current_version: int
    changed_fields: list[str]

    def __str__(self) -> str:
        fields = f": {', '.join(self.changed_fields)}" if self.changed_fields else ""
        where = f"{self.kind} {self.id!r}"
        return f"{where} (base version {self.base_version}, now {self.current_version}{fields})"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "baseVersion": self.base_version,
            "currentVersion": self.current_version,
            "changedFields": self.changed_fields,
        }


class ImportConflicts(ModelplaneError):
    """An import refused whole: documents in it changed since its base versions."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        listed = "; ".join(str(c) for c in conflicts)
        super().__init__(
            f"{len(conflicts)} document{'s' if len(conflicts) != 1 else ''} changed since the "
            f"export this import is based on, so nothing was imported: {listed}. Export again, "
            "skip the conflicts, or force the import with a reason"
        )


@dataclass
class ImportDocument:
    providers: list[tuple[int, Provider]]
    categories: list[tuple[int, TaskCategory]]
    models: list[tuple[int, ModelSpec]]
    profiles: list[tuple[int, ProfileSpec]]
    router_config: RouterConfigDoc | None
    warnings: list[str]
    base_versions: dict[str, dict[str, int | None]] = field(
        default_factory=lambda: {k: {} for k in VERSIONED}
    )
    """Per versioned kind and id, the version the document says it is based on (``None``:
    it records none)."""
    timelines: dict[str, list[DatedPrice]] = field(default_factory=dict)
    """Per model id, the price timeline the document gives it (``services/bulk_prices``)."""


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
    on_conflict: str = "refuse"
    diff: dict[str, KindDiff] = field(default_factory=lambda: {k: KindDiff() for k in KINDS})
    warnings: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    """Documents changed since the import's base: refused, skipped or forced."""
    no_base_version: dict[str, list[str]] = field(
        default_factory=lambda: {k: [] for k in VERSIONED}
    )
    """Documents the import updates that record no base version: imported over whatever
    is current."""
    current_versions: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {} for k in VERSIONED}, repr=False
    )
    """The versions the plan was made against; the apply writes only over these."""
    timelines: TimelinePlan = field(default_factory=TimelinePlan, repr=False)
    """The dated prices the apply records (``services/bulk_prices``)."""

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
            "onConflict": self.on_conflict,
            "conflicts": [c.to_json() for c in self.conflicts],
            "skipped": [c.to_json() for c in self.conflicts] if self.on_conflict == "skip" else [],
            "forced": [c.to_json() for c in self.conflicts] if self.on_conflict == "force" else [],
            "noBaseVersion": self.no_base_version,
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
        "models": [
            {**m.spec().to_json(), "version": m.version, **export_timeline(m)}
            for m in uow.models.filtered()
        ],
        "profiles": [{**p.spec().to_json(), "version": p.version} for p in uow.profiles.all()],
        "routerConfig": {**config.doc().to_json(), "version": config.version} if config else None,
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
    on_conflict: str = "refuse",
    progress: Progress | None = None,
) -> ImportReport:
    """Check ``data`` whole, work out the diff, and (unless ``dry_run``) write it in one
    transaction; a dry run only reads.

    Raises ``InvalidInput`` listing every problem, before any write. ``confirm`` sees the
    report before the commit and may raise to roll everything back (the console refuses an
    import whose diff is not the one it previewed). Documents changed since their base
    version are conflicts (see ``ON_CONFLICT``); with ``refuse`` an apply that has any
    raises ``ImportConflicts`` before writing anything (a dry run lists them). ``progress``
    hears how far the apply has got (see ``Progress``); it changes nothing of what is written.
    """
    reason = check_options(reason, on_conflict, dry_run)
    tell = progress or _silent
    with uows(read_only=dry_run) as uow:
        tell("checking", 0, 0)
        if not dry_run:  # its checks read what the router-model rule reads: hold it first
            uow.lock(RuleFamily.ROUTER_MODELS)
        doc = parse_document(uow, data)
        why = reason or DEFAULT_REASON
        report = ImportReport(
            dry_run=dry_run, reason=why, on_conflict=on_conflict, warnings=doc.warnings
        )
        _plan(uow, doc, report)
        _refuse_retired(uow, doc, report)
        _conflicts(uow, doc, report)
        if report.conflicts and on_conflict == "skip":
            _skip_conflicts(uow, doc, report)
        if not dry_run:
            if report.conflicts and on_conflict == "refuse":
                raise ImportConflicts(report.conflicts)
            _apply(uow, doc, report, author, tell)
            if confirm is not None:
                confirm(report)
            tell("committing", 0, 0)
            uow.commit()
    return report


def check_options(reason: str | None, on_conflict: str, dry_run: bool) -> str | None:
    """The reason (checked) for an import with these options; ``InvalidInput`` naming the
    field when the mode is unknown or a forced apply lacks a fitting reason. It needs no
    database, so a face may ask before it starts an apply."""
    reason = validate_reason(reason)
    if on_conflict not in ON_CONFLICT:
        message = f"unknown mode {on_conflict!r}; known: {', '.join(ON_CONFLICT)}"
        raise InvalidInput([FieldError("onConflict", message)])
    if on_conflict == "force" and not dry_run:
        _check_forced_reason(reason)
    return reason


def _silent(phase: str, done: int, total: int) -> None:
    """No one is watching this apply."""


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
    models_data, model_bases = _take_versions(data.get("models"), "models", errors)
    models_data, model_timelines = take_timelines(models_data, errors)
    profiles_data, profile_bases = _take_versions(data.get("profiles"), "profiles", errors)
    profiles_data = _strip_profile_extras(profiles_data, warnings)
    config_data, config_base = _take_version(data.get("routerConfig"), "routerConfig", errors)
    doc = ImportDocument(
        providers=_section(data.get("providers"), "providers", Provider, errors),
        categories=_section(data.get("categories"), "categories", TaskCategory, errors),
        models=_section(models_data, "models", ModelSpec, errors),
        profiles=_section(profiles_data, "profiles", ProfileSpec, errors),
        router_config=_router_config(config_data, errors),
        warnings=warnings,
    )
    doc.base_versions["models"] = {m.id: model_bases.get(i) for i, m in doc.models}
    doc.timelines = {m.id: model_timelines[i] for i, m in doc.models if i in model_timelines}
    doc.base_versions["profiles"] = {p.model_id: profile_bases.get(i) for i, p in doc.profiles}
    doc.base_versions["routerConfig"] = {ROUTER_KEY: config_base}
    errors += _references(uow, doc)
    if errors:
        raise InvalidInput(errors, title="invalid import")
    return doc


def _take_versions(
    value: Any, section: str, errors: list[FieldError]
) -> tuple[Any, dict[int, int]]:
    """The section's rows without their ``version`` keys, and those versions by index."""
    if not isinstance(value, list):
        return value, {}
    rows: list[Any] = []
    bases: dict[int, int] = {}
    for index, item in enumerate(value):
        row, base = _take_version(item, f"{section}[{index}]", errors)
        rows.append(row)
        if base is not None:
            bases[index] = base
    return rows, bases


def _take_version(value: Any, path: str, errors: list[FieldError]) -> tuple[Any, int | None]:
    """A document without its ``version`` key (the version its export was taken at)."""
    if not isinstance(value, dict) or "version" not in value:
        return value, None
    base = value["version"]
    rest = {k: v for k, v in value.items() if k != "version"}
    if isinstance(base, bool) or not isinstance(base, int) or base < 0:
        message = "must be a whole number >= 0: the version the export was taken at"
        errors.append(FieldError(f"{path}.version", message))
        return rest, None
    return rest, base


def _check_forced_reason(reason: str | None) -> None:
    """A forced import needs a reason, short enough to keep with its forced mark."""
    if not reason:
        message = "a forced import needs a reason (kept in the history of what it overwrites)"
        raise InvalidInput([FieldError("reason", message)])
    if len(FORCED) + len(reason) > MAX_REASON:
        limit = MAX_REASON - len(FORCED)
        raise InvalidInput([FieldError("reason", f"a forced import's reason: at most {limit}")])


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
    versions = report.current_versions
    stored_models = uow.models.filtered()
    versions["models"] = {m.id: m.version for m in stored_models}
    models = {m.id: m.spec().to_json() for m in stored_models}
    _compare(report.diff["models"], models, [(m.id, m.to_json()) for _, m in doc.models])
    _plan_timelines(uow, doc, report)
    stored_profiles = uow.profiles.all()
    versions["profiles"] = {p.model_id: p.version for p in stored_profiles}
    profiles = {p.model_id: p.spec().to_json() for p in stored_profiles}
    new_profiles = [(p.model_id, p.to_json()) for _, p in doc.profiles]
    _compare(report.diff["profiles"], profiles, new_profiles)
    config = uow.router_config.get()
    versions["routerConfig"] = {ROUTER_KEY: config.version} if config is not None else {}
    if doc.router_config is not None:
        current = {ROUTER_KEY: config.doc().to_json()} if config else {}
        new_config = [(ROUTER_KEY, doc.router_config.to_json())]
        _compare(report.diff["routerConfig"], current, new_config)


def _plan_timelines(uow: UnitOfWork, doc: ImportDocument, report: ImportReport) -> None:
    """A model whose only difference is its price timeline is updated by that alone."""
    plan, changes = plan_timelines(uow, doc.timelines, report.warnings)
    report.timelines = plan
    models = report.diff["models"]
    updated = dict(models.updated)
    for model_id, change in changes.items():
        if model_id in models.created:
            continue
        if model_id in updated:
            updated[model_id] = [*updated[model_id], change]
        else:
            models.unchanged.remove(model_id)
            updated[model_id] = [change]
    order = [k for k, _ in models.updated] + [k for k in updated if k not in dict(models.updated)]
    models.updated = [(k, updated[k]) for k in order]


def _conflicts(uow: UnitOfWork, doc: ImportDocument, report: ImportReport) -> None:
    """The documents the import updates whose base version is older than the current one
    (each with the fields changed since), and those that record no base."""
    current = report.current_versions
    histories = {
        "models": (uow.model_history, "model"),
        "profiles": (uow.profile_history, "profile"),
        "routerConfig": (uow.router_config_history, "router config"),
    }
    for kind in VERSIONED:
        history, name = histories[kind]
        for key, _ in report.diff[kind].updated:
            base = doc.base_versions[kind].get(key)
            now = current[kind][key]
            if base is None:
                report.no_base_version[kind].append(key)
            elif base < now:
                entity = CONFIG_ID if kind == "routerConfig" else key
                changed = conflict(history, name, entity, base, now).changed_fields
                report.conflicts.append(Conflict(kind, key, base, now, changed))


def _skip_conflicts(uow: UnitOfWork, doc: ImportDocument, report: ImportReport) -> None:
    """Leave the conflicting documents out, and check the rest again on its own: what the
    import no longer changes may be what another of its rows relied on."""
    skipped = {(c.kind, c.id) for c in report.conflicts}
    doc.models = [(i, m) for i, m in doc.models if ("models", m.id) not in skipped]
    doc.profiles = [(i, p) for i, p in doc.profiles if ("profiles", p.model_id) not in skipped]
    if ("routerConfig", ROUTER_KEY) in skipped:
        doc.router_config = None
    for kind in VERSIONED:
        plan = report.diff[kind]
        plan.updated = [(k, c) for k, c in plan.updated if (kind, k) not in skipped]
    errors = _references(uow, doc)
    if errors:
        raise InvalidInput(errors, title="invalid import once its conflicts are skipped")


def _refuse_retired(uow: UnitOfWork, doc: ImportDocument, report: ImportReport) -> None:
    """A retired model's id is reserved: an import that would write one is refused, naming
    it (an unchanged row, as in a re-imported export, writes nothing and passes)."""
    retired = uow.retirements.ids()
    written = {k for k, _ in report.diff["models"].updated} | set(report.diff["models"].created)
    errors = []
    for index, spec in doc.models:
        if spec.id in retired and spec.id in written:
            retirement = uow.retirements.get(spec.id)
            assert retirement is not None
            errors.append(FieldError(f"models[{index}].id", retirement.sentence()))
    if errors:
        raise InvalidInput(errors, title="invalid import")


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


def _apply(
    uow: UnitOfWork, doc: ImportDocument, report: ImportReport, author: str, tell: Progress
) -> None:
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
    forced = {(c.kind, c.id) for c in report.conflicts} if report.on_conflict == "force" else set()
    why = report.reason

    def change(kind: str, key: str) -> Change:
        reason = f"{FORCED}{why}" if (kind, key) in forced else why
        return Change(author, reason, "imported", at)

    def expected(kind: str, key: str) -> int:
        # Write only over the version the plan was made against (0: there is none): an
        # edit that commits meanwhile is a conflict, not silently overwritten.
        return report.current_versions[kind].get(key, 0)

    # Deprecations go after the router config, which may stop naming those models; the rest
    # before it, since it may name models the import creates.
    timeline_only = {
        k
        for k, changes in plan["models"].updated
        if all(c.field == TIMELINE_FIELD for c in changes)
    }
    models = [
        m
        for m in _changed(doc.models, plan["models"], lambda m: m.id)
        if m[1].id not in timeline_only
    ]
    deprecations = [m for m in models if _deprecates(uow, m[1])]
    saved = 0

    def save_model(spec: ModelSpec) -> None:
        nonlocal saved
        save_in(uow, spec, change("models", spec.id), expected("models", spec.id))
        saved += 1
        tell("models", saved, len(models))

    tell("models", 0, len(models))
    for _, spec in [m for m in models if m not in deprecations]:
        save_model(spec)
    profiles = _changed(doc.profiles, plan["profiles"], lambda p: p.model_id)
    for done, (_, profile) in enumerate(profiles, 1):
        key = profile.model_id
        put_profile_in(uow, profile, change("profiles", key), expected("profiles", key))
        tell("profiles", done, len(profiles))
    if doc.router_config is not None and _changed_any(plan["routerConfig"]):
        tell("routerConfig", 0, 1)
        config_change = change("routerConfig", ROUTER_KEY)
        config_expected = expected("routerConfig", ROUTER_KEY)
        save_router_config_in(uow, doc.router_config, config_change, config_expected)
    for _, spec in deprecations:
        save_model(spec)
    tell("prices", 0, 0)
    written = set(plan["models"].created) | {k for k, _ in plan["models"].updated}
    apply_timelines(uow, report.timelines, written, author, at)


def _deprecates(uow: UnitOfWork, spec: ModelSpec) -> bool:
    current = uow.models.get(spec.id)
    return spec.status == "deprecated" and current is not None and current.status != "deprecated"


def _changed(rows: list[tuple[int, S]], plan: KindDiff, key: Any) -> list[tuple[int, S]]:
    wanted = set(plan.created) | {k for k, _ in plan.updated}
    return [(i, row) for i, row in rows if key(row) in wanted]


def _changed_any(plan: KindDiff) -> bool:
    return bool(plan.created or plan.updated)
