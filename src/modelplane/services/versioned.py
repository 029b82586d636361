"""One flow for every versioned document (models, router config, profiles, flags).

A write names the version it was based on; at any other version it is a ``VersionConflict``
naming the fields changed since. A write that changes nothing is a no-op. Otherwise the
document is replaced (only if still at the version read: a racing writer loses with a
conflict, not a lost update), a history row records the field-level diff and the whole new
document, and the change log hears of it. Rolling back stores an old version's document as
the next version.

Each kind describes itself with a ``Versioned``: its names, its document and stored types,
where its rows and history live, and only what differs from the defaults (the rules the
database must confirm, extra audit fields, how a missing one is named); everything else is
here, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, Self, TypeVar

from modelplane.domain.access import ROLE_ORDER, allows
from modelplane.domain.base import DomainModel
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    ApprovalRequired,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    VersionConflict,
    nearest,
)
from modelplane.domain.history import ChangeType, HistoryEntry, diff
from modelplane.domain.validation import merge_patch, validate, validate_reason
from modelplane.services import webhooks
from modelplane.store.change_requests import ChangeRequestRepository, PolicyRow
from modelplane.store.repositories import HistoryRepository
from modelplane.store.unit_of_work import UnitOfWork


class Stored(Protocol):
    """What the flow needs of a stored value: its version, and the pydantic calls that
    project it onto its document and build it back (``Model``, ``RouterConfig``, ...)."""

    @property
    def version(self) -> int: ...

    def model_dump(self, *, include: set[str]) -> dict[str, Any]: ...

    @classmethod
    def model_validate(cls, obj: Any, /, *, context: Any | None = None) -> Self: ...


S = TypeVar("S", bound=DomainModel)
"""A kind's document (the part a writer edits): ``ModelSpec``, ``RouterConfigDoc``, ..."""
V = TypeVar("V", bound=Stored)
"""A stored, versioned value: ``Model``, ``RouterConfig``, ..."""


V_in = TypeVar("V_in", bound=Stored, contravariant=True)


class Rows(Protocol[V_in]):
    """The writes of a kind's repository (``uow.models``, ``uow.flags``, ...)."""

    def add(self, value: V_in, /) -> None: ...

    def replace(self, value: V_in, expected_version: int, /) -> bool:
        """Store ``value`` if the row is still at ``expected_version``; False if it moved on."""
        ...


_STORED = {"stored": True}
"""Validation context for documents read back from storage (ids stored before a rule
tightened are read as they are)."""


class Versioned(ABC, Generic[S, V]):
    """What the flow needs to know about one kind. A kind states its names, its two types,
    where its rows and history live, and only the rules in which it differs."""

    kind: str
    """Its name in errors: ``"model"``, ``"router config"``."""
    change_kind: str
    """Its name in the change log: ``"model"``, ``"router_config"``."""
    spec_type: type[S]
    value_type: type[V]

    @abstractmethod
    def rows(self, uow: UnitOfWork) -> Rows[V]: ...

    @abstractmethod
    def get(self, uow: UnitOfWork, key: str) -> V | None: ...

    @abstractmethod
    def history(self, uow: UnitOfWork) -> HistoryRepository: ...

    def keys(self, uow: UnitOfWork) -> Iterable[str]:
        """The keys that exist, to suggest the nearest for one that does not."""
        return ()

    def add_many(self, uow: UnitOfWork, values: list[V]) -> None:
        """Add several new values; a kind with a bulk insert overrides this."""
        rows = self.rows(uow)
        for value in values:
            rows.add(value)

    def check(self, uow: UnitOfWork, key: str, spec: S, current: V | None) -> None:
        """Rules that need the database; raise a domain error to refuse the write."""

    def spec_of(self, value: V) -> S:
        """The editable part of a stored value: its fields that the document type has."""
        fields = set(self.spec_type.model_fields)
        return self.spec_type.model_validate(value.model_dump(include=fields), context=_STORED)

    def version_of(self, value: V) -> int:
        return value.version

    def audit(self, current: V | None, version: int, author: str, at: datetime) -> dict[str, Any]:
        """The fields the flow sets on a new version besides the document."""
        return {"version": version, "updated_at": at, "updated_by": author}

    def build(self, spec: S, current: V | None, version: int, author: str, at: datetime) -> V:
        """The stored value for ``spec`` at ``version``."""
        return self.value_type.model_validate(
            {**spec.model_dump(), **self.audit(current, version, author, at)}
        )

    def after_write(
        self, uow: UnitOfWork, before: V | None, value: V, author: str, at: datetime
    ) -> None:
        """Rows of the same transaction that follow a stored version (a model's price
        timeline); none by default."""

    def require(self, uow: UnitOfWork, key: str) -> V:
        """The current value, or ``NotFound`` with the nearest keys."""
        value = self.get(uow, key)
        if value is None:
            raise NotFound(self.kind, key, nearest(key, self.keys(uow)))
        return value

    def missing_version(self, key: str, version: int) -> NotFound:
        return NotFound(f"{self.kind} version", f"{key}@{version}")

    def policy_scope(self, spec: S) -> str | None:
        """What narrows this document's approval policy (a model's provider); none by
        default."""
        return None


@dataclass(frozen=True)
class Change:
    """Who changes a document, why, and how the history should call it."""

    author: str
    reason: str | None = None
    change_type: ChangeType | None = None
    """``None``: ``created`` for a new document, else ``updated``."""
    at: datetime | None = None

    def __post_init__(self) -> None:
        # Every face's reason meets the one rule (at most MAX_REASON characters).
        object.__setattr__(self, "reason", validate_reason(self.reason))


def conflict(
    history: HistoryRepository, kind: str, key: str, expected: int, current: int
) -> VersionConflict:
    """A 409's content: the current version, and the fields changed since ``expected``."""
    changed: set[str] = set()
    newer = max(current - expected, 0)
    if newer:
        for entry in history.page(key, 0, newer):
            if entry.version > expected:
                changed.update(c.field for c in entry.changes)
    return VersionConflict(kind, key, expected, current, sorted(changed))


def check_version(
    uow: UnitOfWork, kind: Versioned[Any, Any], key: str, expected: int | None, current: int
) -> None:
    """``VersionConflict`` unless ``expected`` is ``None`` (trusted callers: "whatever is
    current") or the current version; 0 means "there must be none yet"."""
    if expected is not None and expected != current:
        raise conflict(kind.history(uow), kind.kind, key, expected, current)


_APPROVED: ContextVar[bool] = ContextVar("approved_write", default=False)


@contextmanager
def approved() -> Iterator[None]:
    """Writes inside are past the approval policy: an approved change request's apply, or
    an admin's emergency override (whose reason says so)."""
    token = _APPROVED.set(True)
    try:
        yield
    finally:
        _APPROVED.reset(token)


_EMERGENCY: ContextVar[str | None] = ContextVar("emergency_override", default=None)


def override_reason(who: str, role: str, reason: Any, field: str) -> str:
    """The reason of an emergency override that ``who`` asks for: the one rule, for every
    face, that it needs the admin role and says why (``field`` names where the reason was)."""
    if not allows(role, "admin"):
        raise Forbidden(f"an emergency override needs the admin role; {who!r} is {role}")
    why = validate_reason(reason.strip() if isinstance(reason, str) else reason)
    if not why:
        raise InvalidInput([FieldError(field, "must say why the policy is overridden")])
    return str(why)


def emergency_override(reason: str) -> None:
    """Let this request's writes past the approval policy (the API sets it for an admin
    who sent ``X-Emergency-Override: <reason>``); their history reason says so."""
    _EMERGENCY.set(reason)


@contextmanager
def overriding(reason: str) -> Iterator[None]:
    """``emergency_override`` for the writes inside only (the CLI's direct mode)."""
    token = _EMERGENCY.set(reason)
    try:
        yield
    finally:
        _EMERGENCY.reset(token)


def policy_for(
    policies: Mapping[str, PolicyRow], change_kind: str, scope: str | None = None
) -> PolicyRow | None:
    """The policy that governs a change of ``change_kind``: the one set for ``scope`` (a
    model's provider: kind ``model:<provider>``) when there is one, else the kind's (the
    one rule of which policy applies, for direct writes, syncs and change requests)."""
    if scope is not None and f"{change_kind}:{scope}" in policies:
        return policies[f"{change_kind}:{scope}"]
    return policies.get(change_kind)


def strictest(rows: Iterable[PolicyRow | None]) -> tuple[int, str]:
    """What a change answering to several policies needs: the most approvals any asks for,
    by the strongest role any names (none asks: 0, by editors)."""
    needed, role = 0, "editor"
    for policy in rows:
        if policy is not None and policy.approvers > 0:
            needed = max(needed, policy.approvers)
            if ROLE_ORDER[policy.role] >= ROLE_ORDER[role]:
                role = policy.role
    return needed, role


def policies(uow: UnitOfWork) -> dict[str, PolicyRow]:
    """Every stored policy by its kind (``model``, ``model:openai``, ...)."""
    return {p.kind: p for p in ChangeRequestRepository(uow.connection).policies()}


def check_policy(uow: UnitOfWork, change_kind: str, scope: str | None = None) -> str | None:
    """``ApprovalRequired`` when the policy governing ``change_kind`` (in ``scope``: see
    ``policy_for``) asks for approvers and this write is not an approved one (the one place
    the approval rule is enforced). The answer is the emergency override's reason when that
    is what let the write through."""
    if _APPROVED.get():
        return None
    policy = policy_for(policies(uow), change_kind, scope)
    if policy is not None and policy.approvers > 0:
        override = _EMERGENCY.get()
        if override is None:
            raise ApprovalRequired(policy.kind, policy.approvers, policy.role)
        return override
    return None


def save(
    uow: UnitOfWork,
    kind: Versioned[S, V],
    key: str,
    spec: S,
    *,
    change: Change,
    expected_version: int | None,
    force: bool = False,
) -> V:
    """Store ``spec`` as the next version of ``key`` (its first when there is none).

    ``expected_version=None`` means "whatever is current", for trusted callers only (seed,
    import, the CLI). ``force`` records a version even when nothing differs (a rollback).
    """
    current = kind.get(uow, key)
    version = kind.version_of(current) if current is not None else 0
    check_version(uow, kind, key, expected_version, version)
    kind.check(uow, key, spec, current)
    if current is not None and kind.spec_of(current) == spec and not force:
        return current
    try:
        override = check_policy(uow, kind.change_kind, kind.policy_scope(spec))
    except ApprovalRequired as exc:
        before = dict(kind.spec_of(current).to_json()) if current is not None else None
        patch = merge_patch(before, dict(spec.to_json()))
        if not patch:  # a forced no-op (restoring the current document): nothing to approve
            raise InvalidInput(
                [
                    FieldError(
                        "version",
                        f"{kind.kind} {key} is already this document (version {version}): "
                        "there is nothing to change, so no change request is needed",
                    )
                ]
            ) from None
        exc.change = {
            "kind": kind.change_kind,
            "id": key,
            "patch": patch,
            "expectedVersion": version,
        }
        exc.reason = change.reason
        raise
    if override is not None:
        why = f"emergency override: {override}"
        change = Change(change.author, why[:1000], change.change_type, change.at)
    at = change.at or utcnow()
    value = kind.build(spec, current, version + 1, change.author, at)
    if current is None:
        kind.rows(uow).add(value)
    elif not kind.rows(uow).replace(value, version):
        fresh = kind.get(uow, key)
        now = kind.version_of(fresh) if fresh is not None else 0
        raise conflict(kind.history(uow), kind.kind, key, version, now)
    kind.after_write(uow, current, value, change.author, at)
    change_type = change.change_type or ("created" if current is None else "updated")
    record(
        uow,
        kind,
        key,
        version=version + 1,
        change_type=change_type,
        before=_json(kind, current),
        after=dict(kind.spec_of(value).to_json()),
        author=change.author,
        reason=change.reason,
        at=at,
    )
    return value


def create_many(
    uow: UnitOfWork, kind: Versioned[S, V], specs: list[S], *, change: Change
) -> list[V]:
    """Store each spec as a new document at version 1, in bulk: the rows ``save`` writes
    for a creation (the value, its history entry, the change-log note) in a few statements.
    The caller has checked that none exists yet and that ``kind.check`` holds."""
    for scope in sorted({kind.policy_scope(spec) for spec in specs}, key=str):
        check_policy(uow, kind.change_kind, scope)
    at = change.at or utcnow()
    values = [kind.build(spec, None, 1, change.author, at) for spec in specs]
    kind.add_many(uow, values)
    entries = []
    for spec in specs:
        after = dict(spec.to_json())
        key = str(after["id"])
        entry = HistoryEntry(
            entity_id=key,
            version=1,
            change_type=change.change_type or "created",
            changes=diff(None, after),
            author=change.author,
            at=at,
            reason=change.reason,
        )
        entries.append((entry, after))
        uow.touch(kind.change_kind, key)
        webhooks.emit_change(
            uow,
            kind.change_kind,
            key,
            version=1,
            change_type=entry.change_type,
            before=None,
            after=after,
            author=change.author,
            reason=change.reason,
        )
    kind.history(uow).append_many(entries)
    return values


def _json(kind: Versioned[Any, V], value: V | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return dict(kind.spec_of(value).to_json())


def record(
    uow: UnitOfWork,
    kind: Versioned[Any, Any],
    key: str,
    *,
    version: int,
    change_type: ChangeType,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    author: str,
    reason: str | None,
    at: datetime,
    effective_from: datetime | None = None,
) -> None:
    """A history row holding the field-level diff and the whole new document, a note for
    the change log, and the webhook events the change means (``effective_from``: when a
    new price applies, if not at once)."""
    entry = HistoryEntry(
        entity_id=key,
        version=version,
        change_type=change_type,
        changes=diff(before, after),
        author=author,
        at=at,
        reason=reason,
    )
    kind.history(uow).append(entry, after)
    uow.touch(kind.change_kind, key)
    # The same transaction queues the webhook events this change means (the outbox).
    webhooks.emit_change(
        uow,
        kind.change_kind,
        key,
        version=version,
        change_type=change_type,
        before=before,
        after=after,
        author=author,
        reason=reason,
        effective_from=effective_from,
    )


def document_of(
    uow: UnitOfWork, kind: Versioned[Any, Any], key: str, version: int
) -> dict[str, Any]:
    """The whole document as history holds it at ``version``, or ``kind.missing_version``."""
    document = kind.history(uow).document(key, version)
    if document is None:
        raise kind.missing_version(key, version)
    return document


def document_at(
    uow: UnitOfWork, kind: Versioned[Any, Any], key: str, version: int
) -> dict[str, Any]:
    """The whole document as it was at ``version``, with that version."""
    return {**document_of(uow, kind, key, version), "version": version}


def rollback(
    uow: UnitOfWork,
    kind: Versioned[S, V],
    key: str,
    version: int,
    *,
    author: str,
    reason: str | None,
    expected_version: int | None,
) -> V:
    """Store the document as it was at ``version`` as the next version."""
    kind.require(uow, key)
    spec = validate(kind.spec_type, document_of(uow, kind, key, version))
    why = reason or f"rolled back to version {version}"
    change = Change(author, why, "rolled_back")
    return save(uow, kind, key, spec, change=change, expected_version=expected_version, force=True)


def history_page(
    uow: UnitOfWork, kind: Versioned[Any, Any], key: str, offset: int, limit: int | None
) -> tuple[list[HistoryEntry], int]:
    history = kind.history(uow)
    return history.page(key, offset, limit), history.count(key)
