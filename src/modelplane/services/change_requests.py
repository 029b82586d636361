"""Change requests and approval policies.

A kind's policy (``model``, ``router_config``, ``profile``, ``flag``, ``experiment``,
``sync``; a provider's models: ``model:<provider>``) says how many approvals, by which role,
a change of that kind needs; with one or more, a direct write is refused in
``versioned.save`` (a sync's apply in ``services/sync``) and the change goes through a
request here: opened, commented, approved by others than its author, then applied (now or
at a stored time) in one transaction through the same save path, each history reason naming
the request.

A sync's request (``open_sync``) holds one change of kind ``sync`` per model the sync
creates or changes: a model change that may create its model, answers to the sync policy
as well as the model's, and on apply also records what a sync records (its provider, the
provenance of the fields it confirmed, a sync run, history of type ``synced``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from modelplane.domain.access import ROLE_ORDER, allows
from modelplane.domain.changes import RELOAD, Change
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    RequestConflict,
    VersionConflict,
    unknown,
)
from modelplane.domain.history import diff, flatten
from modelplane.domain.validation import deep_merge, require_object, validate, validate_reason
from modelplane.services import experiments, flags, models, router_data, sync, versioned
from modelplane.store.change_requests import (
    ChangeRequestRepository,
    EventRow,
    PolicyRow,
    RequestRow,
)
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from modelplane.store.user_repositories import UserRepository

POLICY_KINDS = ("model", "router_config", "profile", "flag", "experiment", "sync")
KINDS: dict[str, versioned.Versioned[Any, Any]] = {
    "model": models.KIND,
    "router_config": router_data.ROUTER_CONFIG,
    "profile": router_data.PROFILES,
    "flag": flags.KIND,
    "experiment": experiments.KIND,
    "sync": models.KIND,
}
"""The kinds a request can change. A patch merges into the document (an experiment's:
``description``, ``variants`` — a list, so replaced whole — and ``guardrails``); a request
for a flag, profile or experiment that does not exist yet creates it, and so does a sync's
for a model. ``sync`` changes come from a sync (``open_sync``), never from a request's
body."""
_SENT_KINDS = tuple(k for k in KINDS if k != "sync")
STATES = ("open", "pending", "approved", "scheduled", "applied", "rejected", "withdrawn", "failed")
PENDING = ("open", "pending", "approved", "scheduled")
_MAX_CHANGES = 50
SCHEDULER_INTERVAL = 1.0
"""The longest a scheduler sleeps between two reads of the next due time when nothing
wakes it (a server's scheduler hears every scheduling and is given a longer one)."""
SCHEDULER_HEARING = 30.0
"""The same for a scheduler that hears every change (the live catalogue catches a lost
notification within a second and passes it on)."""
SCHEDULER_AHEAD = 0.25
"""Seconds before its time a server's scheduler (PostgreSQL) starts applying a request,
so that the commit, not the start of the work, lands on the time."""
SCHEDULER_GRACE = 0.5
"""Seconds past a request's time that a process which found it held by another waits
before it looks again (the holder commits on the time; one that failed has let go)."""
SCHEDULER_RETRY = 1.0
"""Seconds before a scheduler that failed (the database away) looks again."""
_MARGIN = 0.001
log = logging.getLogger(__name__)


def _repo(uow: UnitOfWork) -> ChangeRequestRepository:
    return ChangeRequestRepository(uow.connection)


# Policies ----------------------------------------------------------------------------------


def _policy_json(row: PolicyRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "approvers": row.approvers,
        "role": row.role,
        "version": row.version,
        "updatedAt": row.updated_at.isoformat(),
        "updatedBy": row.updated_by,
    }


def list_policies(uows: UnitOfWorkFactory) -> list[dict[str, Any]]:
    """Every kind's policy (a kind never set is 0 approvers: apply directly), then each
    provider's own model policy that was set."""
    with uows(read_only=True) as uow:
        stored = {p.kind: p for p in _repo(uow).policies()}
    kinds = [
        _policy_json(stored[k])
        if k in stored
        else {"kind": k, "approvers": 0, "role": "editor", "version": 0}
        for k in POLICY_KINDS
    ]
    return kinds + [_policy_json(p) for k, p in sorted(stored.items()) if k not in POLICY_KINDS]


def _policy_kind_error(uow: UnitOfWork, kind: Any) -> FieldError | None:
    """What is wrong with a policy's kind: one of ``POLICY_KINDS``, or ``model:<provider>``
    naming a provider that exists."""
    if kind in POLICY_KINDS:
        return None
    head, _, provider = str(kind).partition(":")
    if head != "model" or not provider:
        listed = ", ".join(POLICY_KINDS)
        return FieldError("kind", f"must be one of {listed}, or model:<provider>")
    known = [p.id for p in uow.providers.all()]
    if provider not in known:
        return FieldError("kind", unknown("provider", provider, known))
    return None


def set_policy(
    uows: UnitOfWorkFactory, kind: str, approvers: Any, role: Any, author: str
) -> dict[str, Any]:
    """Store ``kind``'s policy as its next version (``model:<provider>``: that provider's
    models, before the model kind's); the answer carries a ``warning`` when fewer active
    users have ``role`` (or stronger) than the approvers it asks for."""
    with uows(read_only=True) as uow:
        problem = _policy_kind_error(uow, kind)
    errors = [problem] if problem is not None else []
    if isinstance(approvers, bool) or not isinstance(approvers, int) or not 0 <= approvers <= 20:
        errors.append(FieldError("approvers", "must be a whole number from 0 to 20"))
    if role not in ROLE_ORDER:
        errors.append(FieldError("role", f"must be one of {', '.join(ROLE_ORDER)}"))
    if errors:
        raise InvalidInput(errors)
    with uows() as uow:
        repo = _repo(uow)
        current = repo.policy(kind)
        row = PolicyRow(
            kind, approvers, role, (current.version if current else 0) + 1, utcnow(), author
        )
        repo.put_policy(row)
        able = sum(
            1
            for u in UserRepository(uow.connection).all()
            if not u.disabled and allows(u.role, role)
        )
        uow.commit()
    answer = _policy_json(row)
    if approvers > able:
        answer["warning"] = (
            f"the policy asks for {approvers} approver(s) but only {able} active user(s) "
            f"have the {role} role; requests of this kind cannot be approved until more do"
        )
    return answer


def _needed(uow: UnitOfWork, changes: list[dict[str, Any]]) -> tuple[int, str]:
    """The approvals the request needs (the strictest of the policies its changes answer
    to: a model's its provider's or the model kind's, a sync's also the sync policy) and by
    whom."""
    rows = versioned.policies(uow)
    governing = []
    for change in changes:
        kind = change["kind"]
        if kind == "sync":
            scopes = sync.policy_scopes([change["sync"]["provider"]])
        elif kind == "model":
            scopes = [("model", _provider(uow, change))]
        else:
            scopes = [(kind, None)]
        governing += [versioned.policy_for(rows, k, scope) for k, scope in scopes]
    return versioned.strictest(governing)


def _provider(uow: UnitOfWork, change: dict[str, Any]) -> str:
    """The provider of the model a change is for (one not found: its id's provider part)."""
    model = models.KIND.get(uow, change["id"])
    return model.provider if model is not None else str(change["id"]).partition(":")[0]


# Reading -----------------------------------------------------------------------------------


def _current(uow: UnitOfWork, kind: str, key: str) -> tuple[dict[str, Any] | None, int]:
    spec_kind = KINDS[kind]
    value = spec_kind.get(uow, key)
    if value is None:
        return None, 0
    return dict(spec_kind.spec_of(value).to_json()), spec_kind.version_of(value)


def _proposed(kind: str, key: str, current: dict[str, Any] | None, patch: dict[str, Any]) -> Any:
    base = dict(current) if current is not None else {}
    if current is None and kind in ("flag", "experiment"):
        base = {"name": key}
    if current is None and kind == "profile":
        base = {"modelId": key}
    if current is None and kind == "model":
        raise NotFound("model", key)
    if current is None and kind == "sync":
        base = {"id": key}  # a sync's new model: its patch is the whole document
    merged = deep_merge(base, patch)
    if kind in ("flag", "experiment"):
        merged["name"] = key
    return validate(KINDS[kind].spec_type, merged)


def _key(kind: str, key: str) -> str:
    return router_data.CONFIG_ID if kind == "router_config" else key


def _diff(uow: UnitOfWork, change: dict[str, Any]) -> dict[str, Any]:
    kind, key = change["kind"], _key(change["kind"], change["id"])
    current, version = _current(uow, kind, key)
    try:
        proposed = dict(_proposed(kind, key, current, change["patch"]).to_json())
        fields = [c.model_dump(mode="json") for c in diff(current, proposed)]
        problem = None
    except (InvalidInput, NotFound) as exc:
        fields, problem = [], str(exc)
    stale = change["expectedVersion"] != version
    out = {**change, "currentVersion": version, "stale": stale, "diff": fields}
    if problem:
        out["problem"] = problem
    return out


def _json(uow: UnitOfWork, row: RequestRow, details: bool) -> dict[str, Any]:
    repo = _repo(uow)
    needed, role = _needed(uow, row.changes)
    events = repo.events(row.id)
    approvers = sorted(_approvers(events))
    body: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "reason": row.reason,
        "author": row.author,
        "state": row.state,
        "applyAt": row.apply_at.isoformat() if row.apply_at else None,
        "createdAt": row.created_at.isoformat(),
        "updatedAt": row.updated_at.isoformat(),
        "approvalsNeeded": needed,
        "approverRole": role,
        "approvedBy": approvers,
    }
    if details:
        body["changes"] = [_diff(uow, c) for c in row.changes]
        body["events"] = [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "text": e.text}
            for e in events
        ]
    else:
        body["changes"] = row.changes
    return body


def _approvers(events: list[EventRow]) -> set[str]:
    """Who approved the request as it now stands: approvals before its last rebase were
    of other changes, so they no longer count."""
    since = max((i for i, e in enumerate(events) if e.action == "rebased"), default=-1)
    return {e.actor for e in events[since + 1 :] if e.action == "approved"}


def _require(repo: ChangeRequestRepository, request_id: int, lock: bool = False) -> RequestRow:
    row = repo.get(request_id, lock=lock)
    if row is None:
        raise NotFound("change request", str(request_id))
    return row


def get_request(uows: UnitOfWorkFactory, request_id: int) -> dict[str, Any]:
    with uows(read_only=True) as uow:
        return _json(uow, _require(_repo(uow), request_id), True)


def list_requests(uows: UnitOfWorkFactory, state: str | None = None) -> dict[str, Any]:
    if state is not None and state not in STATES:
        raise InvalidInput([FieldError("state", f"must be one of {', '.join(STATES)}")])
    with uows(read_only=True) as uow:
        rows = [_json(uow, r, False) for r in _repo(uow).matching(state)]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    return {"data": rows, "count": len(rows), "counts": counts}


def pending_count(uows: UnitOfWorkFactory) -> int:
    """Requests waiting for someone (the console's header badge)."""
    with uows(read_only=True) as uow:
        return _repo(uow).count(("open", "pending", "approved", "scheduled"))


# Writing -----------------------------------------------------------------------------------


def _changes(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not 1 <= len(data) <= _MAX_CHANGES:
        raise InvalidInput([FieldError("changes", f"must list 1 to {_MAX_CHANGES} changes")])
    out, errors = [], []
    for i, item in enumerate(data):
        path = f"changes[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(path, "must be an object"))
            continue
        kind, key, version = item.get("kind"), item.get("id"), item.get("expectedVersion")
        if kind == "sync":
            message = "sync changes come from a sync (POST /api/v1/sync with changeRequest=true)"
            errors.append(FieldError(f"{path}.kind", message))
        elif kind not in KINDS:
            errors.append(FieldError(f"{path}.kind", f"must be one of {', '.join(_SENT_KINDS)}"))
        if kind == "router_config" and key is None:
            key = router_data.CONFIG_ID
        if not isinstance(key, str) or not 1 <= len(key) <= 200:
            errors.append(FieldError(f"{path}.id", "must be the document's id"))
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            errors.append(FieldError(f"{path}.expectedVersion", "must be a version number"))
        if not isinstance(item.get("patch"), dict) or not item["patch"]:
            errors.append(FieldError(f"{path}.patch", "must be a non-empty object"))
        out.append(
            {"kind": kind, "id": key, "patch": item.get("patch"), "expectedVersion": version}
        )
    if errors:
        raise InvalidInput(errors)
    return out


def create_request(
    uows: UnitOfWorkFactory, title: Any, reason: Any, changes: Any, author: str
) -> dict[str, Any]:
    """Open a request: ``pending`` when its kinds need approvals, else ``open``."""
    title, why = _titled(title, reason)
    return _open(uows, title, why, _changes(changes), author)


def open_sync(
    uows: UnitOfWorkFactory,
    options: sync.SyncOptions,
    title: Any,
    author: str,
    raw: bytes | None = None,
    confirm: Callable[[sync.SyncReport], None] | None = None,
) -> dict[str, Any]:
    """Open a request holding a sync's diff (``sync.proposal``: one ``sync`` change per
    model it creates or changes); its reason is the sync's. ``confirm`` sees the report
    first and may raise to open nothing. The answer is the request, with the sync's report
    under ``sync``."""
    title, why = _titled(title, options.reason)
    report, changes = sync.proposal(uows, options, author, raw)
    if confirm is not None:
        confirm(report)
    opened = _open(uows, title, why or report.reason, changes, author)
    return {**opened, "sync": report.to_json()}


def sync_or_open(
    uows: UnitOfWorkFactory,
    options: sync.SyncOptions,
    author: str,
    raw: bytes | None = None,
    *,
    change_request: bool = False,
    title: Any = None,
) -> dict[str, Any]:
    """What every face's sync does: the sync (its report), or with ``change_request`` a
    request holding its diff (``open_sync``). A title without a request, or a request that
    is a dry run, is refused naming the field."""
    if change_request and options.dry_run:
        message = "a change request writes nothing until it is applied; leave dryRun out"
        raise InvalidInput([FieldError("dryRun", message)])
    if not change_request:
        if title is not None:
            raise InvalidInput([FieldError("title", "names a change request: ask for one")])
        return sync.sync(uows, options, author, raw=raw).to_json()
    return open_sync(uows, options, title, author, raw)


def _titled(title: Any, reason: Any) -> tuple[str, str | None]:
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= 200:
        raise InvalidInput([FieldError("title", "must be 1 to 200 characters")])
    return title.strip(), validate_reason(reason)


def _open(
    uows: UnitOfWorkFactory,
    title: str,
    why: str | None,
    parsed: list[dict[str, Any]],
    author: str,
) -> dict[str, Any]:
    with uows() as uow:
        repo = _repo(uow)
        errors = []
        for i, change in enumerate(parsed):
            key = _key(change["kind"], change["id"])
            current, _ = _current(uow, change["kind"], key)
            try:
                patch = require_object(change["patch"], "a patch")
                spec = _proposed(change["kind"], key, current, patch)
                kind = KINDS[change["kind"]]
                if change["kind"] != "sync":  # a sync's new provider is added on apply
                    kind.check(uow, key, spec, kind.get(uow, key))  # the database's rules
            except InvalidInput as exc:
                errors += [
                    FieldError(f"changes[{i}].patch.{e.path}", e.message) for e in exc.errors
                ]
            except NotFound as exc:
                errors.append(FieldError(f"changes[{i}].id", str(exc)))
        if errors:
            raise InvalidInput(errors)
        needed, _ = _needed(uow, parsed)
        request_id = repo.add(title, why, author, "pending" if needed else "open", parsed)
        repo.event(request_id, author, "opened", why)
        uow.commit()
    return get_request(uows, request_id)


def emergency_apply(
    uows: UnitOfWorkFactory, change: Any, author: str, role: str, reason: Any
) -> dict[str, Any]:
    """Apply one change now past its kind's approval policy: an admin's emergency override,
    with a reason the history keeps as ``emergency override: <reason>``. The change is a
    request's (``kind``, ``id``, ``patch``, ``expectedVersion``: what a refused write
    carried) and is refused when its document moved since that version. The answer names
    the document and the version it is now at."""
    why = versioned.override_reason(author, role, reason, "reason")
    (parsed,) = _changes([change])
    kind, key = KINDS[parsed["kind"]], _key(parsed["kind"], parsed["id"])
    with uows() as uow, versioned.overriding(why):
        current, _ = _current(uow, parsed["kind"], key)
        try:
            spec = _proposed(parsed["kind"], key, current, parsed["patch"])
        except InvalidInput as exc:
            raise InvalidInput(
                [FieldError(f"patch.{e.path}", e.message) for e in exc.errors]
            ) from exc
        value = versioned.save(
            uow,
            kind,
            key,
            spec,
            change=versioned.Change(author, why),
            expected_version=parsed["expectedVersion"],
        )
        uow.commit()
    return {"kind": parsed["kind"], "id": key, "version": kind.version_of(value)}


def comment(uows: UnitOfWorkFactory, request_id: int, text: Any, author: str) -> dict[str, Any]:
    if not isinstance(text, str) or not 1 <= len(text.strip()) <= 4000:
        raise InvalidInput([FieldError("text", "must be 1 to 4000 characters")])
    with uows() as uow:
        repo = _repo(uow)
        _require(repo, request_id)
        repo.event(request_id, author, "commented", text.strip())
        uow.commit()
    return get_request(uows, request_id)


def _refuse_closed(row: RequestRow, action: str) -> None:
    if row.state in ("applied", "rejected", "withdrawn", "failed"):
        raise RequestConflict(f"change request #{row.id} is {row.state}; it cannot be {action}")


def approve(
    uows: UnitOfWorkFactory, request_id: int, actor: str, role: str, text: Any = None
) -> dict[str, Any]:
    """Record ``actor``'s approval: not the author's own, and only with the policy's role."""
    with uows() as uow:
        repo = _repo(uow)
        row = _require(repo, request_id, lock=True)
        _refuse_closed(row, "approved")
        if actor == row.author:
            raise Forbidden(
                f"{actor!r} opened change request #{row.id}; its author cannot approve it"
            )
        needed, needed_role = _needed(uow, row.changes)
        if not allows(role, needed_role):
            raise Forbidden(f"approving needs the {needed_role} role; {actor!r} is {role}")
        repo.event(request_id, actor, "approved", validate_reason(text))
        approvers = _approvers(repo.events(request_id))
        if row.state in ("open", "pending") and len(approvers) >= needed:
            repo.set(request_id, state="approved")
            repo.event(request_id, actor, "state:approved", None)
        uow.commit()
    return get_request(uows, request_id)


def reject(
    uows: UnitOfWorkFactory, request_id: int, actor: str, text: Any = None
) -> dict[str, Any]:
    return _close(uows, request_id, actor, "rejected", validate_reason(text))


def withdraw(
    uows: UnitOfWorkFactory, request_id: int, actor: str, text: Any = None
) -> dict[str, Any]:
    with uows(read_only=True) as uow:
        row = _require(_repo(uow), request_id)
    if actor != row.author:
        raise Forbidden(f"only its author ({row.author!r}) can withdraw change request #{row.id}")
    return _close(uows, request_id, actor, "withdrawn", validate_reason(text))


def _close(
    uows: UnitOfWorkFactory, request_id: int, actor: str, state: str, text: str | None
) -> dict[str, Any]:
    with uows() as uow:
        repo = _repo(uow)
        row = _require(repo, request_id, lock=True)
        _refuse_closed(row, state)
        repo.set(request_id, state=state, apply_at=None)
        repo.event(request_id, actor, state, text)
        uow.commit()
    return get_request(uows, request_id)


def rebase(
    uows: UnitOfWorkFactory, request_id: int, actor: str, text: Any = None
) -> dict[str, Any]:
    """Move every change onto its document's current version, keeping the changes where no
    field changed since overlaps a field the change sets; an overlap is a 409 naming them."""
    with uows() as uow:
        repo = _repo(uow)
        row = _require(repo, request_id, lock=True)
        _refuse_closed(row, "rebased")
        moved, overlaps = [], []
        for change in row.changes:
            kind = KINDS[change["kind"]]
            key = _key(change["kind"], change["id"])
            _, version = _current(uow, change["kind"], key)
            if version != change["expectedVersion"]:
                since = versioned.conflict(
                    kind.history(uow), kind.kind, key, change["expectedVersion"], version
                ).changed_fields
                mine = set(flatten(change["patch"]))
                overlaps += [
                    f"{change['kind']}:{key}:{f}"
                    for f in since
                    if any(f == m or f.startswith(m + ".") or m.startswith(f + ".") for m in mine)
                ]
            moved.append({**change, "expectedVersion": version})
        if overlaps:
            raise RequestConflict(
                f"change request #{row.id} overlaps changes made since: {', '.join(overlaps)}",
                overlaps,
            )
        repo.set(request_id, changes=moved)
        repo.event(request_id, actor, "rebased", validate_reason(text))
        needed, _ = _needed(uow, moved)
        if needed and row.state in ("approved", "scheduled"):
            # What was approved is not what now stands: it needs approving again.
            repo.set(request_id, state="pending", apply_at=None)
            repo.event(request_id, actor, "state:pending", "approvals reset by the rebase")
        uow.commit()
    return get_request(uows, request_id)


def _parse_at(at: Any) -> datetime | None:
    if at is None:
        return None
    try:
        when = datetime.fromisoformat(str(at))
    except ValueError:
        raise InvalidInput([FieldError("at", "must be an ISO 8601 time")]) from None
    if when.tzinfo is None:
        raise InvalidInput([FieldError("at", "must name its time zone (e.g. Z or +02:00)")])
    return when


def apply(uows: UnitOfWorkFactory, request_id: int, actor: str, at: Any = None) -> dict[str, Any]:
    """Apply now, or (with ``at``) schedule for that time; a time in the past is refused."""
    when = _parse_at(at)
    with uows() as uow:
        repo = _repo(uow)
        row = _require(repo, request_id, lock=True)
        _refuse_unready(uow, repo, row)
        if when is not None:
            if when <= repo.database_now():
                raise InvalidInput([FieldError("at", "is in the past; name a time to come")])
            repo.set(request_id, state="scheduled", apply_at=when)
            repo.event(request_id, actor, "scheduled", when.isoformat())
            uow.touch("change_request", str(request_id))  # wakes every process's scheduler
        else:
            _apply_in(uow, repo, row, actor)
        uow.commit()
    return get_request(uows, request_id)


def _refuse_unready(uow: UnitOfWork, repo: ChangeRequestRepository, row: RequestRow) -> None:
    if row.state in ("withdrawn", "rejected", "applied", "failed"):
        raise RequestConflict(f"change request #{row.id} is {row.state}; it cannot be applied")
    needed, _ = _needed(uow, row.changes)
    approvers = _approvers(repo.events(row.id))
    if len(approvers) < needed:
        raise RequestConflict(
            f"change request #{row.id} is not approved: {len(approvers)} of {needed} approval(s)"
        )


def _apply_in(
    uow: UnitOfWork,
    repo: ChangeRequestRepository,
    row: RequestRow,
    actor: str,
    at: datetime | None = None,
) -> None:
    """Every change through the versioned save path, in the caller's transaction (its
    history dated ``at``, the moment it is to land, when that is given)."""
    why = f"change request #{row.id}: {row.title}"
    with versioned.approved():
        for change in row.changes:
            kind = KINDS[change["kind"]]
            key = _key(change["kind"], change["id"])
            synced = change["kind"] == "sync"
            if synced:
                sync.prepare_change(uow, change, at or utcnow())
            current, _ = _current(uow, change["kind"], key)
            spec = _proposed(change["kind"], key, current, change["patch"])
            try:
                versioned.save(
                    uow,
                    kind,
                    key,
                    spec,
                    change=versioned.Change(
                        row.author, why[:1000], "synced" if synced else None, at=at
                    ),
                    expected_version=change["expectedVersion"],
                )
            except VersionConflict as exc:
                raise RequestConflict(
                    f"change request #{row.id} is stale: {exc}; rebase it",
                    exc.changed_fields,
                ) from exc
            if synced:
                sync.confirm_change(uow, change)
    sync.record_runs(uow, row.changes, row.author, at or utcnow())
    repo.set(row.id, state="applied")
    repo.event(row.id, actor, "applied", None, at=at)


def run_due(
    uows: UnitOfWorkFactory,
    actor: str = "scheduler",
    ahead: float = 0.0,
    held: list[int] | None = None,
) -> list[int]:
    """Apply every scheduled request whose time has come by the database's clock. Each is
    claimed in its own transaction (``UPDATE … WHERE state='scheduled'``), so however many
    processes run this, one applies it; one that fails is marked ``failed`` with why.

    With ``ahead`` (seconds; PostgreSQL), a request due within that time is claimed and
    applied at once, and its transaction commits when its time comes on the database's
    clock: the work is done before the moment, the commit lands on it. Its claim holds the
    request's row until then. A racing process given ``held`` does not wait for that row:
    it skips the request and notes it there, so that it is idle, not contending, at the
    moment; without ``held`` it waits and then finds the request applied."""
    with uows(read_only=True) as uow:
        due = _repo(uow).due(ahead)
    applied = []
    for request_id in due:
        try:
            with uows() as uow:
                repo = _repo(uow)
                if not repo.claim(request_id, ahead, skip_held=held is not None):
                    if held is not None and request_id in repo.due(ahead):
                        held.append(request_id)  # another process holds it until its time
                    continue
                row = _require(repo, request_id)
                _refuse_unready(uow, repo, row)
                _apply_in(uow, repo, row, actor, row.apply_at if ahead else None)
                if row.apply_at is not None and ahead:
                    _hold_until(repo, row.apply_at)
                uow.commit()
            applied.append(request_id)
        except (RequestConflict, InvalidInput, NotFound) as exc:
            with uows() as uow:
                repo = _repo(uow)
                row = _require(repo, request_id, lock=True)
                if row.state == "scheduled":
                    repo.set(request_id, state="failed")
                    repo.event(request_id, actor, "failed", str(exc)[:1000])
                uow.commit()
    return applied


def _hold_until(repo: ChangeRequestRepository, at: datetime) -> None:
    """Sleep until just past ``at`` on the database's clock (the margin covers the half
    round trip by which the reading may be off), so the commit never lands early."""
    sent = time.monotonic()
    now = repo.database_clock()
    left = (at - now).total_seconds() - (time.monotonic() - sent) / 2 + _MARGIN
    if left > 0:
        time.sleep(left)


def next_due(uows: UnitOfWorkFactory) -> tuple[float | None, datetime]:
    """Seconds from now, by the database's clock, until the earliest scheduled request is
    due (``None``: none is scheduled; 0 or less: one is due), and that clock's reading."""
    with uows(read_only=True) as uow:
        at, now = _repo(uow).next_due()
    return (None if at is None else (at - now).total_seconds()), now


class SchedulerLoop:
    """Applies scheduled requests at their time, on a thread of its own (the server's
    lifespan starts one per process; ``modelplane changes run-due`` is the cron form).

    It sleeps until the earliest ``apply_at`` on the database's clock: it reads that time
    and the database's ``clock_timestamp()`` in one round trip and sleeps the difference on
    its own monotonic clock from the middle of that round trip, so an offset between this
    host's clock and the database's does not move the moment. With ``ahead`` (PostgreSQL)
    it wakes that much sooner and prepares the apply, whose commit waits for the moment
    (``run_due``). Scheduling a request is a
    change (``change_request``) that every process's live catalogue hears, and ``subscribe``
    hands those to the loop, which wakes and reads the time again. Without ``subscribe``
    (or a change lost) it reads again at least every ``interval`` seconds. Every process
    wakes at the same moment and races; the claim lets one apply. With ``ahead``, the
    others do not wait on the row the winner holds until the moment: they skip it and
    sleep until ``SCHEDULER_GRACE`` past it, so at the moment only the winner's commit and
    every process's watcher are at work (on a shared host, the losers' round trips at the
    moment cost the watchers tens of milliseconds)."""

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        interval: float = SCHEDULER_INTERVAL,
        subscribe: Callable[[Callable[[Change], None]], Callable[[], None]] | None = None,
        ahead: float = 0.0,
    ) -> None:
        self._uows = uows
        self._interval = interval
        self._ahead = ahead
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._unsubscribe = subscribe(self._heard) if subscribe is not None else None
        self._thread = threading.Thread(target=self._run, name="change-requests", daemon=True)

    def _heard(self, change: Change) -> None:
        if change.kind in ("change_request", RELOAD):
            self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a change heard from here on wakes the wait below
            try:
                held: list[int] = []
                run_due(self._uows, ahead=self._ahead, held=held if self._ahead else None)
                wait = self._until_next(after=bool(held))
            except Exception as exc:  # the database may be away: look again soon
                log.warning("scheduled change requests failed: %s", exc)
                wait = SCHEDULER_RETRY
            self._wake.wait(wait)

    def _until_next(self, after: bool = False) -> float:
        """Seconds to sleep: until ``ahead`` before the next due time on the database's
        clock (plus a millisecond, so that the database agrees it has come), at most
        ``interval``. With ``after`` (another process holds the next due request until
        its time), until ``SCHEDULER_GRACE`` past that time instead: by then it is applied,
        or, if its holder failed, this process takes it."""
        sent = time.monotonic()
        left, _ = next_due(self._uows)
        if left is None:
            return self._interval
        elapsed = time.monotonic() - sent
        if after:
            return min(max(left - elapsed / 2, 0.0) + SCHEDULER_GRACE, self._interval)
        return min(max(left - self._ahead - elapsed / 2 + _MARGIN, 0.0), self._interval)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread.is_alive():
            self._thread.join(10)
