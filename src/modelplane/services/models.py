"""Model writes: every one versioned, audited, and reversible.

``expected_version`` is the version the writer read; a write at any other version is a
``VersionConflict``. ``None`` means "whatever is current": only for trusted callers that
read and write in one go (seed, import, the CLI). The API answers 428 and the console a
form error rather than pass ``None`` for a person's edit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    FieldError,
    InvalidInput,
    NotFound,
    nearest,
)
from modelplane.domain.history import ChangeType, HistoryEntry
from modelplane.domain.models import Model, ModelSpec, Status
from modelplane.services._common import (
    conflict,
    deep_merge,
    record_version,
    require_object,
    validate,
)
from modelplane.services.routing_data import refuse_deprecating
from modelplane.store.unit_of_work import UnitOfWork

_READ_ONLY = {"id", "version", "createdAt", "createdBy", "updatedAt", "updatedBy"}


def get_model(uow: UnitOfWork, model_id: str) -> Model:
    model = uow.models.get(model_id)
    if model is None:
        raise NotFound("model", model_id, nearest(model_id, uow.models.ids()))
    return model


def create_model(
    uow: UnitOfWork,
    spec: ModelSpec,
    author: str,
    reason: str | None = None,
    change_type: ChangeType = "created",
    at: datetime | None = None,
) -> Model:
    """Add a model at version 1 and record its creation."""
    at = at or utcnow()
    if uow.models.get(spec.id) is not None:
        raise AlreadyExists("model", spec.id)
    _require_provider(uow, spec.provider)
    model = Model.model_validate(
        {
            **spec.model_dump(),
            "version": 1,
            "created_at": at,
            "created_by": author,
            "updated_at": at,
            "updated_by": author,
        }
    )
    uow.models.add(model)
    _record(uow, None, model, change_type, author, reason, at)
    return model


def update_model(
    uow: UnitOfWork,
    model_id: str,
    patch: dict[str, Any],
    author: str,
    expected_version: int | None,
    reason: str | None = None,
    change_type: ChangeType = "updated",
) -> Model:
    """Merge a partial JSON document into the model. Nested objects merge; ``null`` clears.

    ``expected_version`` guards against lost updates; ``None`` means "whatever is current"
    and is for trusted callers only (seed, import, the CLI).
    """
    current = get_model(uow, model_id)
    patch = require_object(patch, "a model update")
    _refuse_read_only(patch, current)
    base = current.spec().to_json()
    spec = validate(ModelSpec, deep_merge(base, patch))
    return _store(uow, current, spec, author, expected_version, reason, change_type)


def replace_model(
    uow: UnitOfWork,
    current: Model,
    spec: ModelSpec,
    author: str,
    expected_version: int | None,
    reason: str | None,
    change_type: ChangeType,
) -> Model:
    """Store ``spec`` as the model's next version (no-op when nothing differs).
    ``expected_version=None``: trusted callers only (see the module's docstring)."""
    return _store(uow, current, spec, author, expected_version, reason, change_type)


def set_status(
    uow: UnitOfWork,
    model_id: str,
    deprecated: bool,
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> Model:
    """Deprecate a model, or reactivate a deprecated one to the status it had before
    (``beta`` stays ``beta``; ``active`` when history does not say). The router's fallback
    and router models cannot be deprecated. ``expected_version=None``: trusted callers only."""
    current = get_model(uow, model_id)
    _check_version(uow, current, expected_version)
    if deprecated and current.status == "deprecated":
        raise InvalidInput([FieldError("status", f"model {model_id!r} is already deprecated")])
    if not deprecated and current.status != "deprecated":
        raise InvalidInput([FieldError("status", f"model {model_id!r} is not deprecated")])
    status = "deprecated" if deprecated else _status_before_deprecation(uow, model_id)
    spec = current.spec().model_copy(update={"status": status})
    change: ChangeType = "deprecated" if deprecated else "reactivated"
    return _store(uow, current, spec, author, expected_version, reason, change)


def _status_before_deprecation(uow: UnitOfWork, model_id: str) -> Status:
    for entry in uow.model_history.page(model_id, 0, None):
        status_change = next((c for c in entry.changes if c.field == "status"), None)
        if status_change is not None and status_change.new == "deprecated":
            return "beta" if status_change.old == "beta" else "active"
    return "active"


def duplicate_model(
    uow: UnitOfWork,
    model_id: str,
    author: str,
    new_id: str | None = None,
    reason: str | None = None,
) -> Model:
    """Copy a model to ``new_id`` (default: the source id with a ``-copy`` suffix)."""
    source = get_model(uow, model_id)
    target = new_id or f"{model_id}-copy"
    data = {**source.spec().to_json(), "id": target}
    if new_id is None:
        data["name"] = f"{source.name} (copy)"[:200]
    spec = validate(ModelSpec, data)
    why = reason or f"duplicated from {model_id} at version {source.version}"
    return create_model(uow, spec, author, why)


def rollback_model(
    uow: UnitOfWork,
    model_id: str,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Model:
    """Restore the model as it was at ``version``, recorded as a new version.
    ``expected_version=None``: trusted callers only."""
    current = get_model(uow, model_id)
    document = uow.model_history.document(model_id, version)
    if document is None:
        raise NotFound("version", f"{model_id}@{version}")
    spec = validate(ModelSpec, document)
    why = reason or f"rolled back to version {version}"
    return _store(uow, current, spec, author, expected_version, why, "rolled_back", force=True)


def model_at(uow: UnitOfWork, model_id: str, version: int) -> dict[str, Any]:
    get_model(uow, model_id)
    document = uow.model_history.document(model_id, version)
    if document is None:
        raise NotFound("version", f"{model_id}@{version}")
    return {**document, "version": version}


def history(
    uow: UnitOfWork, model_id: str, offset: int = 0, limit: int = 50
) -> tuple[list[HistoryEntry], int]:
    get_model(uow, model_id)
    return uow.model_history.page(model_id, offset, limit), uow.model_history.count(model_id)


def _store(
    uow: UnitOfWork,
    current: Model,
    spec: ModelSpec,
    author: str,
    expected_version: int | None,
    reason: str | None,
    change_type: ChangeType,
    force: bool = False,
) -> Model:
    _check_version(uow, current, expected_version)
    if spec.id != current.id:
        raise InvalidInput([FieldError("id", "a model's id cannot change; duplicate it instead")])
    if spec == current.spec() and not force:
        return current
    _require_provider(uow, spec.provider)
    if spec.status == "deprecated" and current.status != "deprecated":
        refuse_deprecating(uow, spec.id)
    at = utcnow()
    updated = Model.model_validate(
        {
            **spec.model_dump(),
            "version": current.version + 1,
            "created_at": current.created_at,
            "created_by": current.created_by,
            "updated_at": at,
            "updated_by": author,
        }
    )
    if not uow.models.replace(updated, current.version):
        fresh = get_model(uow, current.id)
        raise conflict(uow.model_history, "model", current.id, current.version, fresh.version)
    _record(uow, current, updated, change_type, author, reason, at)
    return updated


def _check_version(uow: UnitOfWork, current: Model, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != current.version:
        raise conflict(uow.model_history, "model", current.id, expected_version, current.version)


def _record(
    uow: UnitOfWork,
    before: Model | None,
    after: Model,
    change_type: ChangeType,
    author: str,
    reason: str | None,
    at: datetime,
) -> None:
    record_version(
        uow,
        uow.model_history,
        "model",
        after.id,
        after.version,
        change_type,
        before.spec().to_json() if before else None,
        after.spec().to_json(),
        author,
        reason,
        at,
    )


def _require_provider(uow: UnitOfWork, provider: str) -> None:
    if uow.providers.get(provider) is None:
        known = [p.id for p in uow.providers.all()]
        hint = nearest(provider, known)
        suffix = f" (did you mean: {', '.join(hint)}?)" if hint else ""
        raise InvalidInput([FieldError("provider", f"unknown provider {provider!r}{suffix}")])


def _refuse_read_only(patch: dict[str, Any], current: Model) -> None:
    errors = [
        FieldError(key, "is set by the server and cannot be changed")
        for key in sorted(patch.keys() & _READ_ONLY)
        if not (key == "id" and patch[key] == current.id)
    ]
    if errors:
        raise InvalidInput(errors)
