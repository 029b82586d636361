"""Model writes: every one versioned, audited, and reversible.

Every function opens and commits its own unit of work from ``uows`` (``Runtime.unit_of_work``).
``expected_version`` is the version the writer read; a write at any other version is a
``VersionConflict``. ``None`` means "whatever is current": only for trusted callers that
read and write in one go (seed, import, the CLI). The API answers 428 and the console a
form error rather than pass ``None`` for a person's edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    FieldError,
    InvalidInput,
    NotFound,
    Retired,
    unknown,
)
from modelplane.domain.history import ChangeType, HistoryEntry
from modelplane.domain.models import Model, ModelSpec, Retirement, Status
from modelplane.domain.validation import deep_merge, require_object, require_reason, validate
from modelplane.services import prices, versioned
from modelplane.services.router_data import deprecation_error, refuse_deprecating
from modelplane.services.versioned import Change
from modelplane.store.locks import RuleFamily
from modelplane.store.repositories import HistoryRepository, ModelRepository
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

_READ_ONLY = {"id", "version", "createdAt", "createdBy", "updatedAt", "updatedBy"}


class _Models(versioned.Versioned[ModelSpec, Model]):
    kind = "model"
    change_kind = "model"
    spec_type = ModelSpec
    value_type = Model

    def rows(self, uow: UnitOfWork) -> ModelRepository:
        return uow.models

    def get(self, uow: UnitOfWork, key: str) -> Model | None:
        return uow.models.get(key)

    def history(self, uow: UnitOfWork) -> HistoryRepository:
        return uow.model_history

    def keys(self, uow: UnitOfWork) -> list[str]:
        return uow.models.ids()

    def audit(
        self, current: Model | None, version: int, author: str, at: datetime
    ) -> dict[str, Any]:
        created = (current.created_at, current.created_by) if current else (at, author)
        return {
            **super().audit(current, version, author, at),
            "created_at": created[0],
            "created_by": created[1],
        }

    def after_write(
        self, uow: UnitOfWork, before: Model | None, value: Model, author: str, at: datetime
    ) -> None:
        # A new price without a date applies from now on: the timeline records it.
        prices.follow(uow, before, value, author, at)

    def add_many(self, uow: UnitOfWork, values: list[Model]) -> None:
        uow.models.add_many(values)

    def check(self, uow: UnitOfWork, key: str, spec: ModelSpec, current: Model | None) -> None:
        refuse_retired(uow, key)
        if spec.id != key:
            raise InvalidInput(
                [FieldError("id", "a model's id cannot change; duplicate it instead")]
            )
        if current is not None and spec == current.spec():
            return
        require_provider(uow, spec.provider)
        if current is not None and spec.status == "deprecated" and current.status != "deprecated":
            refuse_deprecating(uow, spec.id)

    def missing_version(self, key: str, version: int) -> NotFound:
        return NotFound("version", f"{key}@{version}")

    def policy_scope(self, spec: ModelSpec) -> str | None:
        return spec.provider  # a provider's own policy (``model:<provider>``) comes first


KIND = _Models()


# In one transaction (for services composing several writes) ---------------------------------


def get_model_in(uow: UnitOfWork, model_id: str) -> Model:
    return KIND.require(uow, model_id)


def create_in(uow: UnitOfWork, spec: ModelSpec, change: Change) -> Model:
    """Add a model at version 1 and record its creation."""
    refuse_retired(uow, spec.id)
    if uow.models.get(spec.id) is not None:
        raise AlreadyExists("model", spec.id)
    return versioned.save(uow, KIND, spec.id, spec, change=change, expected_version=0)


def save_in(
    uow: UnitOfWork, spec: ModelSpec, change: Change, expected_version: int | None
) -> Model:
    """Store ``spec`` as the model's next version (its first if it is new; no-op when
    nothing differs). ``expected_version=None``: trusted callers only."""
    return versioned.save(
        uow, KIND, spec.id, spec, change=change, expected_version=expected_version
    )


def refuse_retired(uow: UnitOfWork, model_id: str) -> None:
    """``Retired`` (a 409 saying who retired it, when and why) when ``model_id`` is retired:
    a retired model's id is reserved, and nothing writes it again."""
    retirement = uow.retirements.get(model_id)
    if retirement is not None:
        raise Retired(model_id, retirement.sentence())


def require_provider(uow: UnitOfWork, provider: str) -> None:
    """``InvalidInput`` at ``provider`` unless the provider exists."""
    if uow.providers.get(provider) is None:
        known = [p.id for p in uow.providers.all()]
        raise InvalidInput([FieldError("provider", unknown("provider", provider, known))])


# One transaction each -----------------------------------------------------------------------


def get_model(uows: UnitOfWorkFactory, model_id: str) -> Model:
    with uows(read_only=True) as uow:
        return get_model_in(uow, model_id)


def create_model(
    uows: UnitOfWorkFactory, spec: ModelSpec, author: str, reason: str | None = None
) -> Model:
    with uows() as uow:
        model = create_in(uow, spec, Change(author, reason))
        uow.commit()
    return model


def update_model(
    uows: UnitOfWorkFactory,
    model_id: str,
    patch: dict[str, Any],
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> Model:
    """Merge a partial JSON document into the model. Nested objects merge; ``null`` clears.

    ``expected_version`` guards against lost updates; ``None`` means "whatever is current"
    and is for trusted callers only (seed, import, the CLI).
    """
    with uows() as uow:
        current = get_model_in(uow, model_id)
        patch = require_object(patch, "a model update")
        _refuse_read_only(patch, current)
        spec = validate(ModelSpec, deep_merge(current.spec().to_json(), patch))
        model = save_in(uow, spec, Change(author, reason), expected_version)
        uow.commit()
    return model


def replace_model(
    uows: UnitOfWorkFactory,
    spec: ModelSpec,
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> Model:
    """Store ``spec`` whole as the model's next version (it must exist)."""
    with uows() as uow:
        get_model_in(uow, spec.id)
        model = save_in(uow, spec, Change(author, reason), expected_version)
        uow.commit()
    return model


def set_status(
    uows: UnitOfWorkFactory,
    model_id: str,
    deprecated: bool,
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> Model:
    """Deprecate a model, or reactivate a deprecated one to the status it had before
    (``beta`` stays ``beta``; ``active`` when history does not say). The router's fallback
    and router models cannot be deprecated. ``expected_version=None``: trusted callers only."""
    with uows() as uow:
        current = get_model_in(uow, model_id)
        versioned.check_version(uow, KIND, model_id, expected_version, current.version)
        if deprecated and current.status == "deprecated":
            raise InvalidInput([FieldError("status", f"model {model_id!r} is already deprecated")])
        if not deprecated and current.status != "deprecated":
            raise InvalidInput([FieldError("status", f"model {model_id!r} is not deprecated")])
        status = "deprecated" if deprecated else _status_before_deprecation(uow, model_id)
        spec = current.spec().model_copy(update={"status": status})
        change: ChangeType = "deprecated" if deprecated else "reactivated"
        model = save_in(uow, spec, Change(author, reason, change), expected_version)
        uow.commit()
    return model


BULK_STATUSES: tuple[Status, ...] = ("active", "deprecated")
BULK_MAX = 5000


@dataclass(frozen=True)
class BulkStatus:
    """What a bulk status change did: the models it changed (as they are now) and the ids
    already at that status (left alone)."""

    status: Status
    changed: list[Model]
    unchanged: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "changed": [{"id": m.id, "version": m.version} for m in self.changed],
            "unchanged": self.unchanged,
        }


def bulk_set_status(
    uows: UnitOfWorkFactory, ids: list[str], status: str, author: str, reason: str | None
) -> BulkStatus:
    """Set many models to ``active`` or ``deprecated`` with one reason, in one transaction.

    Every problem is found before anything is written, and any problem writes nothing: an
    unknown or retired id, or (deprecating) a model the router config names, each error
    naming its model. Models already at ``status`` are left alone and listed."""
    why = require_reason(reason)
    if status not in BULK_STATUSES:
        choices = " or ".join(BULK_STATUSES)
        raise InvalidInput([FieldError("status", f"must be {choices}, not {status!r}")])
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise InvalidInput([FieldError("ids", "choose at least one model")])
    if len(wanted) > BULK_MAX:
        raise InvalidInput([FieldError("ids", f"at most {BULK_MAX} models at once")])
    target: Status = "deprecated" if status == "deprecated" else "active"
    with uows() as uow:
        uow.lock(RuleFamily.ROUTER_MODELS)
        current = _bulk_current(uow, wanted, target)
        change = Change(author, why, "deprecated" if target == "deprecated" else "reactivated")
        changed = [
            save_in(uow, m.spec().model_copy(update={"status": target}), change, m.version)
            for m in current
            if m.status != target
        ]
        uow.commit()
    return BulkStatus(target, changed, [m.id for m in current if m.status == target])


def _bulk_current(uow: UnitOfWork, ids: list[str], status: str) -> list[Model]:
    """The models ``ids`` name, or ``InvalidInput`` listing every id that cannot move."""
    errors: list[FieldError] = []
    found: list[Model] = []
    retired = uow.retirements.ids()
    config = uow.router_config.get()
    doc = config.doc() if config is not None else None
    for model_id in ids:
        model = uow.models.get(model_id)
        if model is None or model_id in retired:
            retirement = uow.retirements.get(model_id)
            message = retirement.sentence() if retirement else f"no model {model_id!r}"
            errors.append(FieldError("ids", message))
            continue
        if status == "deprecated" and model.status != "deprecated":
            error = deprecation_error(doc, model_id, "ids")
            if error is not None:
                errors.append(error)
                continue
        found.append(model)
    if errors:
        raise InvalidInput(errors)
    return found


def retire_model(
    uows: UnitOfWorkFactory,
    model_id: str,
    author: str,
    reason: str | None,
    expected_version: int | None = None,
) -> Retirement:
    """Retire a model for good (admins only, at the faces): it is deprecated in a last
    version whose change type is ``retired``, and disappears from every list; its id stays
    reserved and its history stays readable. The reason is required. The router's fallback
    and router models cannot be retired (the deprecation rule)."""
    why = require_reason(reason)
    with uows() as uow:
        current = get_model_in(uow, model_id)
        refuse_retired(uow, model_id)
        versioned.check_version(uow, KIND, model_id, expected_version, current.version)
        refuse_deprecating(uow, model_id)
        change = Change(author, why, "retired")
        spec = current.spec().model_copy(update={"status": "deprecated"})
        saved = versioned.save(
            uow, KIND, model_id, spec, change=change, expected_version=None, force=True
        )
        at = saved.updated_at or utcnow()
        retirement = Retirement(model_id=model_id, retired_at=at, retired_by=author, reason=why)
        uow.retirements.add(retirement)
        uow.commit()
    return retirement


def retirement_of(uows: UnitOfWorkFactory, model_id: str) -> tuple[Model, Retirement] | None:
    """A retired model as stored and its retirement; ``None`` when it is not retired.
    ``NotFound`` when there is no such model at all."""
    with uows(read_only=True) as uow:
        model = get_model_in(uow, model_id)
        retirement = uow.retirements.get(model_id)
        return (model, retirement) if retirement is not None else None


def _status_before_deprecation(uow: UnitOfWork, model_id: str) -> Status:
    for entry in uow.model_history.page(model_id, 0, None):
        status_change = next((c for c in entry.changes if c.field == "status"), None)
        if status_change is not None and status_change.new == "deprecated":
            return "beta" if status_change.old == "beta" else "active"
    return "active"


def duplicate_model(
    uows: UnitOfWorkFactory,
    model_id: str,
    author: str,
    new_id: str | None = None,
    reason: str | None = None,
) -> Model:
    """Copy a model to ``new_id`` (default: the source id with a ``-copy`` suffix). The
    copy starts as ``beta`` and internal-only, so it is neither public nor routable until
    an editor makes it active and public: a duplicate never publishes a model by itself."""
    with uows() as uow:
        source = get_model_in(uow, model_id)
        target = new_id or f"{model_id}-copy"
        data = {**source.spec().to_json(), "id": target, "status": "beta", "isInternalOnly": True}
        if new_id is None:
            data["name"] = f"{source.name} (copy)"[:200]
        spec = validate(ModelSpec, data)
        why = reason or f"duplicated from {model_id} at version {source.version}"
        model = create_in(uow, spec, Change(author, why))
        uow.commit()
    return model


def rollback_model(
    uows: UnitOfWorkFactory,
    model_id: str,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Model:
    """Restore the model as it was at ``version``, recorded as a new version.
    ``expected_version=None``: trusted callers only."""
    with uows() as uow:
        model = versioned.rollback(
            uow,
            KIND,
            model_id,
            version,
            author=author,
            reason=reason,
            expected_version=expected_version,
        )
        uow.commit()
    return model


def model_at(uows: UnitOfWorkFactory, model_id: str, version: int) -> dict[str, Any]:
    with uows(read_only=True) as uow:
        get_model_in(uow, model_id)
        return versioned.document_at(uow, KIND, model_id, version)


def history(
    uows: UnitOfWorkFactory, model_id: str, offset: int = 0, limit: int | None = 50
) -> tuple[list[HistoryEntry], int]:
    with uows(read_only=True) as uow:
        get_model_in(uow, model_id)
        return versioned.history_page(uow, KIND, model_id, offset, limit)


def _refuse_read_only(patch: dict[str, Any], current: Model) -> None:
    errors = [
        FieldError(key, "is set by the server and cannot be changed")
        for key in sorted(patch.keys() & _READ_ONLY)
        if not (key == "id" and patch[key] == current.id)
    ]
    if errors:
        raise InvalidInput(errors)
