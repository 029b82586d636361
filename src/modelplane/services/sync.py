"""Sync the catalogue from a public one (LiteLLM, OpenRouter, models.dev).

The report is the diff: what would be created, each field that would change (old, new),
what already agrees, what the source no longer lists, the fields a person edited since the
last sync (conflicts, kept unless ``overwrite``), the prices held for implausible jumps,
entries left out and why, bad values, and every upstream key with no place in a model. A
dry run only reads. An apply writes that diff in one transaction: one history entry of type
``synced`` per model that changes, naming the source and its time, and the provenance of
every field it confirmed (source, value, when).

A field is a person's edit when its value differs from the value the last sync recorded for
it. A field with no record yet takes the source's value.

A sync answers to the ``sync`` approval policy and to the model policy of every model it
writes (``policy_scopes``). Under one that asks for approvers an apply is refused
(``ApprovalRequired``) unless it is an emergency override; ``proposal`` turns the same diff
into a change request's changes (kind ``sync``, one per model), which
``services/change_requests`` applies with ``prepare_change`` and ``confirm_change``.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelplane.domain.catalogue_sources import (
    PRICE_FIELDS,
    SYNCED_FIELDS,
    Catalogue,
    SourceName,
    SyncRun,
    UpstreamEntry,
    decode,
    parse,
)
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import ApprovalRequired, FieldError, InvalidInput
from modelplane.domain.models import CAPABILITIES, Model, ModelSpec, Provider
from modelplane.domain.validation import field_errors, merge_patch, validate_reason
from modelplane.services import versioned
from modelplane.services.models import KIND
from modelplane.services.versioned import Change
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

FETCH_TIMEOUT_S = 60
MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class SyncOptions:
    source: SourceName
    location: str
    dry_run: bool = False
    reason: str | None = None
    providers: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    overwrite: bool = False
    accept_held: bool = False
    """Apply held prices too: the confirmation a held price waits for."""
    hold_below: Decimal = Decimal("0.5")
    hold_above: Decimal = Decimal("3")


@dataclass
class SyncReport:
    source: str
    location: str
    dry_run: bool
    reason: str
    at: datetime
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_upstream: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    providers_created: list[str] = field(default_factory=list)
    applied: bool = False
    approvals_needed: int = 0
    """Approvals its policies ask for (0: it applies directly)."""
    approver_role: str = "editor"

    @property
    def change_count(self) -> int:
        return len(self.created) + len(self.updated)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "notUpstream": len(self.not_upstream),
            "conflicts": len(self.conflicts),
            "held": len(self.held),
            "skipped": len(self.skipped),
            "errors": len(self.errors),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "location": self.location,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "dryRun": self.dry_run,
            "applied": self.applied,
            "reason": self.reason,
            "changeCount": self.change_count,
            "counts": self.counts(),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "notUpstream": self.not_upstream,
            "conflicts": self.conflicts,
            "held": self.held,
            "providersCreated": self.providers_created,
            "skipped": self.skipped,
            "errors": self.errors,
            "unmapped": self.unmapped,
            "warnings": self.warnings,
            "approvalsNeeded": self.approvals_needed,
            "approverRole": self.approver_role,
        }


@dataclass
class _Plan:
    specs: list[tuple[ModelSpec, bool]] = field(default_factory=list)
    """What to write: each model's new spec, and whether it is new."""
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each model's provenance after the sync: what it had, with what the sync confirmed."""
    confirmed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Only what the sync confirmed, per model (what a change request carries)."""
    providers: list[Provider] = field(default_factory=list)


def fetch(location: str) -> bytes:
    """The bytes at a path or an http(s) URL; one ``InvalidInput`` line when unreachable."""
    if location.startswith(("http://", "https://")):
        request = urllib.request.Request(location, headers={"User-Agent": "modelplane-sync"})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
                data: bytes = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise _unreachable(location, f"HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _unreachable(location, str(reason)) from None
    else:
        try:
            with Path(location).open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise _unreachable(location, exc.strerror or str(exc)) from None
    if len(data) > MAX_BYTES:
        raise _unreachable(location, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    return data


def _unreachable(location: str, why: str) -> InvalidInput:
    return InvalidInput([FieldError("location", f"cannot read {location}: {why}")])


def sync(
    uows: UnitOfWorkFactory,
    options: SyncOptions,
    author: str,
    raw: bytes | None = None,
    confirm: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    """Read the source (``raw``, else fetched from ``options.location``), work out the
    diff and, unless a dry run, apply it in one transaction.

    A dry run reports bad values with the rest of the diff; an apply with any refuses
    (``InvalidInput`` naming each) and writes nothing but the failed run in the sync log.
    ``confirm`` sees the report before the commit and may raise to roll back.
    """
    reason = validate_reason(options.reason)
    started = utcnow()
    try:
        data = decode(raw if raw is not None else fetch(options.location))
        catalogue = parse(options.source, data)
    except InvalidInput as exc:
        if not options.dry_run:
            _log_failure(uows, options, author, started, [str(e) for e in exc.errors])
        raise
    why = reason or f"synced from {options.source} ({options.location}) at {_iso(started)}"
    report = SyncReport(options.source, options.location, options.dry_run, why, started)
    with uows(read_only=options.dry_run) as uow:
        plan = _plan(uow, catalogue, options, report)
        _approvals(uow, report, plan)
        if options.dry_run:
            return report
        if report.errors:
            problems = [FieldError(e["field"], e["message"]) for e in report.errors]
            failure = InvalidInput(problems, title="the source has bad values; nothing applied")
        else:
            override = _past_policy(uow, plan)
            if override is not None:
                why = report.reason = f"emergency override: {override}"[:1000]
            _apply(uow, plan, author, why, started)
            report.applied = report.change_count > 0
            uow.sync_runs.add(_run(options, author, started, report, []))
            if confirm is not None:
                confirm(report)
            uow.commit()
            return report
    _log_failure(uows, options, author, started, [str(p) for p in problems])
    raise failure


OPEN_WITH = (
    "the same sync: POST /api/v1/sync with changeRequest=true and a title, "
    "modelplane sync ... --change-request --title TITLE, or the console's sync preview"
)


def policy_scopes(providers: Iterable[str]) -> list[tuple[str, str | None]]:
    """The policies a sync writing models of these providers answers to (each as
    ``versioned.policy_for`` takes it): the ``sync`` policy, and each provider's model
    policy; the strictest of them is what it needs."""
    return [("sync", None), *(("model", p) for p in sorted(set(providers)))]


def _past_policy(uow: UnitOfWork, plan: _Plan) -> str | None:
    """Refuse the apply when a policy it answers to asks for approvers (``ApprovalRequired``
    naming how to open a request instead); the emergency override's reason when that is
    what lets it through. A sync that writes no model confirms provenance only: no policy
    holds it."""
    if not plan.specs:
        return None
    found = None
    try:
        for kind, scope in policy_scopes(spec.provider for spec, _ in plan.specs):
            found = versioned.check_policy(uow, kind, scope) or found
    except ApprovalRequired as exc:
        raise exc.opened_with(OPEN_WITH) from None
    return found


def _approvals(uow: UnitOfWork, report: SyncReport, plan: _Plan) -> None:
    rows = versioned.policies(uow)
    scopes = policy_scopes(spec.provider for spec, _ in plan.specs) if plan.specs else []
    needed, role = versioned.strictest(versioned.policy_for(rows, k, s) for k, s in scopes)
    report.approvals_needed, report.approver_role = needed, role


def proposal(
    uows: UnitOfWorkFactory, options: SyncOptions, author: str, raw: bytes | None = None
) -> tuple[SyncReport, list[dict[str, Any]]]:
    """The sync's diff (read only, as a dry run) and the same as change-request changes of
    kind ``sync``, one per model it creates or changes: the patch onto the model's version
    now (a new model's whole document, on version 0), that version, and what its apply
    records besides (the provider it creates, the fields it confirms, the source). A source
    with bad values, or one that changes nothing, is refused naming why."""
    started = utcnow()
    catalogue = parse(options.source, decode(raw if raw is not None else fetch(options.location)))
    reason = validate_reason(options.reason)
    why = reason or f"synced from {options.source} ({options.location}) at {_iso(started)}"
    report = SyncReport(options.source, options.location, True, why, started)
    with uows(read_only=True) as uow:
        plan = _plan(uow, catalogue, options, report)
        if report.errors:
            problems = [FieldError(e["field"], e["message"]) for e in report.errors]
            raise InvalidInput(problems, title="the source has bad values; nothing requested")
        if not plan.specs:
            message = "the catalogue already agrees with the source: there is nothing to request"
            raise InvalidInput([FieldError("changeRequest", message)])
        _approvals(uow, report, plan)
        created = {p.id: p for p in plan.providers}
        changes = []
        for spec, new in plan.specs:
            current = None if new else uow.models.get(spec.id)
            before = dict(current.spec().to_json()) if current is not None else None
            provider = created.get(spec.provider)
            changes.append(
                {
                    "kind": "sync",
                    "id": spec.id,
                    "patch": merge_patch(before, dict(spec.to_json())),
                    "expectedVersion": current.version if current is not None else 0,
                    "sync": {
                        "source": options.source,
                        "location": options.location,
                        "at": _iso(started),
                        "provider": spec.provider,
                        "newProvider": (
                            {"id": provider.id, "displayName": provider.display_name}
                            if provider is not None
                            else None
                        ),
                        "confirmed": plan.confirmed.get(spec.id, {}),
                    },
                }
            )
    return report, changes


def prepare_change(uow: UnitOfWork, change: dict[str, Any], at: datetime) -> None:
    """Before a ``sync`` change is saved: add the provider its new model needs, if it
    still has none."""
    new = change["sync"].get("newProvider")
    if new is not None and uow.providers.get(new["id"]) is None:
        uow.providers.add(Provider(id=new["id"], display_name=new["displayName"]), at)
        uow.touch("provider", new["id"])


def confirm_change(uow: UnitOfWork, change: dict[str, Any]) -> None:
    """After a ``sync`` change is saved: the provenance of every field it confirmed, over
    what the model's provenance holds now (another sync may have confirmed more since)."""
    key = change["id"]
    now = uow.provenance.of(key)
    uow.provenance.put_many({key: {**now, **change["sync"]["confirmed"]}})


def record_runs(uow: UnitOfWork, changes: list[dict[str, Any]], author: str, at: datetime) -> None:
    """A sync run in the log for each source whose request was applied, counting its
    models created and updated."""
    runs: dict[tuple[str, str], dict[str, int]] = {}
    for change in changes:
        if change["kind"] != "sync":
            continue
        info = change["sync"]
        counts = runs.setdefault((info["source"], info["location"]), {"created": 0, "updated": 0})
        counts["created" if change["expectedVersion"] == 0 else "updated"] += 1
    for (source, location), counts in runs.items():
        uow.sync_runs.add(
            SyncRun(
                source=source,
                location=location,
                started_at=at,
                finished_at=utcnow(),
                author=author,
                applied=True,
                counts=counts,
                errors=[],
            )
        )


def sync_runs(uows: UnitOfWorkFactory, limit: int = 50) -> dict[str, Any]:
    """The last run of each source, and the most recent runs."""
    with uows(read_only=True) as uow:
        return {
            "latest": [r.to_json() for r in uow.sync_runs.latest_per_source()],
            "data": [r.to_json() for r in uow.sync_runs.recent(limit)],
        }


def sync_every(
    run: Callable[[], SyncReport | None], seconds: float, times: int | None = None
) -> None:
    """Call ``run`` now and then every ``seconds`` (``times`` in all, else forever)."""
    done = 0
    while times is None or done < times:
        began = time.monotonic()
        run()
        done += 1
        if times is not None and done >= times:
            return
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))


def parse_interval(text: str) -> float:
    """``90s``, ``15m``, ``6h``, ``1d`` -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    try:
        seconds = float(value[:-1]) * units[value[-1]] if value[-1:] in units else float(value)
    except (ValueError, KeyError):
        seconds = 0
    if seconds < 1:
        raise InvalidInput([FieldError("every", f"must be like 90s, 15m, 6h or 1d, not {text!r}")])
    return seconds


# planning ----------------------------------------------------------------------------------


def _plan(uow: UnitOfWork, catalogue: Catalogue, options: SyncOptions, report: SyncReport) -> _Plan:
    plan = _Plan()
    wanted = _filter(options)
    report.skipped = [{"entry": k, "reason": r} for k, r in catalogue.skipped]
    report.errors = [
        {"id": e.model_id, "field": e.error.path, "message": e.error.message}
        for e in catalogue.errors
        if wanted(e.model_id, e.provider or None)
    ]
    report.unmapped = dict(sorted(catalogue.unmapped.items()))
    report.warnings = list(catalogue.warnings)
    current = {m.id: m for m in uow.models.filtered()}
    provenance = uow.provenance.all()
    providers = {p.id for p in uow.providers.all()}
    seen: set[str] = uow.retirements.ids()  # a retired model is never written again
    for entry in catalogue.entries:
        if not wanted(entry.id, entry.provider) or entry.id in seen:
            continue
        seen.add(entry.id)
        if entry.provider not in providers:
            providers.add(entry.provider)
            plan.providers.append(Provider(id=entry.provider, display_name=entry.provider_name))
            report.providers_created.append(entry.provider)
        model = current.get(entry.id)
        if model is None:
            _plan_create(entry, options, report, plan)
        else:
            _plan_update(model, entry, provenance.get(entry.id, {}), options, report, plan)
    for model_id, fields in sorted(provenance.items()):
        if model_id in seen or model_id not in current:
            continue
        if any(f.get("source") == options.source for f in fields.values()) and wanted(
            model_id, current[model_id].provider
        ):
            report.not_upstream.append(model_id)
    return plan


def _filter(options: SyncOptions) -> Callable[[str, str | None], bool]:
    providers = set(options.providers)
    only = set(options.only)

    def wanted(model_id: str, provider: str | None) -> bool:
        if only and model_id not in only:
            return False
        return not providers or (provider or model_id.partition(":")[0]) in providers

    return wanted


def _plan_create(
    entry: UpstreamEntry, options: SyncOptions, report: SyncReport, plan: _Plan
) -> None:
    document: dict[str, Any] = {"id": entry.id, "provider": entry.provider, "name": entry.name}
    for path in SYNCED_FIELDS:
        value = entry.fields.get(path)
        if value is not None:
            _set(document, path, value)
    try:
        spec = ModelSpec.model_validate(document)
    except ValidationError as exc:
        report.errors += _entry_errors(entry, exc)
        return
    plan.specs.append((spec, True))
    _confirm(plan, entry.id, {}, entry, options, report.at, _present(entry))
    report.created.append({"id": entry.id, "name": entry.name, "fields": _json_fields(entry)})


def _plan_update(
    model: Model,
    entry: UpstreamEntry,
    provenance: dict[str, Any],
    options: SyncOptions,
    report: SyncReport,
    plan: _Plan,
) -> None:
    document = _python(model)
    changes: list[dict[str, Any]] = []
    confirmed: list[str] = []
    for path in SYNCED_FIELDS:
        if path not in entry.fields:
            continue
        upstream = entry.fields[path]
        ours = _get(document, path)
        record = provenance.get(path)
        if upstream is None and not (
            record and record.get("source") == options.source and ours is not None
        ):
            continue  # the source says nothing, and the value is not its own to clear
        if _same(ours, upstream):
            confirmed.append(path)
            continue
        edited = record is not None and not _same(record.get("value"), ours)
        if edited and not options.overwrite:
            report.conflicts.append(
                {
                    "id": model.id,
                    "field": path,
                    "current": _json(ours),
                    "upstream": _json(upstream),
                    "lastSynced": record.get("value") if record else None,
                }
            )
            continue
        if _held(path, ours, upstream, options):
            report.held.append(
                {"id": model.id, "field": path, "old": _json(ours), "new": _json(upstream)}
            )
            continue
        _set(document, path, upstream)
        changes.append({"field": path, "old": _json(ours), "new": _json(upstream)})
        confirmed.append(path)
    if not changes:
        report.unchanged.append(model.id)
        _confirm(plan, model.id, provenance, entry, options, report.at, confirmed)
        return
    try:
        spec = ModelSpec.model_validate(document, context={"stored": True})
    except ValidationError as exc:
        report.errors += _entry_errors(entry, exc)
        return
    plan.specs.append((spec, False))
    _confirm(plan, model.id, provenance, entry, options, report.at, confirmed)
    report.updated.append({"id": model.id, "changes": changes})


def _held(path: str, old: Any, new: Any, options: SyncOptions) -> bool:
    if options.accept_held or not path.startswith("pricing.") or path == "pricing.tiers":
        return False
    if path.removeprefix("pricing.") not in PRICE_FIELDS:
        return False
    if not isinstance(old, Decimal) or not isinstance(new, Decimal):
        return False
    if old == 0:
        return new > 0
    return new < old * options.hold_below or new > old * options.hold_above


def _present(entry: UpstreamEntry) -> list[str]:
    return [path for path in SYNCED_FIELDS if entry.fields.get(path) is not None]


def _confirm(
    plan: _Plan,
    model_id: str,
    previous: dict[str, Any],
    entry: UpstreamEntry,
    options: SyncOptions,
    at: datetime,
    paths: Iterable[str],
) -> None:
    stamp = _iso(at)
    fields = {
        path: {
            "source": options.source,
            "value": _json(entry.fields.get(path)),
            "confirmedAt": stamp,
        }
        for path in paths
    }
    plan.confirmed[model_id] = fields
    plan.provenance[model_id] = {**previous, **fields}


def _entry_errors(entry: UpstreamEntry, exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"id": entry.id, "field": e.path, "message": e.message} for e in field_errors(exc, entry.id)
    ]


# values ------------------------------------------------------------------------------------


def _python(model: Model) -> dict[str, Any]:
    """The model's spec in Python form (Decimal, datetime) under its JSON names."""
    return model.spec().model_dump(by_alias=True, exclude_none=True)


def _get(document: dict[str, Any], path: str) -> Any:
    head, _, rest = path.partition(".")
    if head == "capabilities":
        return rest in document.get("capabilities", [])
    if not rest:
        return document.get(head)
    inner = document.get(head) or {}
    return inner.get(rest)


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if head == "capabilities":
        have = set(document.get("capabilities", []))
        have = have | {rest} if value else have - {rest}
        document["capabilities"] = [c for c in CAPABILITIES if c in have]
    elif not rest:
        if value is None:
            document.pop(head, None)
        else:
            document[head] = value
    else:
        inner = dict(document.get(head) or {})
        if value is None:
            inner.pop(rest, None)
        else:
            inner[rest] = value
        document[head] = inner


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(_json(a) == _json(b))


def _json(value: Any) -> Any:
    """A field value as it is reported and recorded: prices as decimal text (exact)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if v is not None}
    return value


def _json_fields(entry: UpstreamEntry) -> dict[str, Any]:
    return {path: _json(entry.fields[path]) for path in _present(entry)}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# applying ----------------------------------------------------------------------------------


def _apply(uow: UnitOfWork, plan: _Plan, author: str, why: str, at: datetime) -> None:
    """The plan's writes; its policies were checked once, before (``_past_policy``)."""
    for provider in plan.providers:
        uow.providers.add(provider, at)
        uow.touch("provider", provider.id)
    change = Change(author, why, "synced", at)
    with versioned.approved():
        versioned.create_many(uow, KIND, [spec for spec, new in plan.specs if new], change=change)
        for spec, new in plan.specs:
            if not new:
                versioned.save(uow, KIND, spec.id, spec, change=change, expected_version=None)
    uow.provenance.put_many(plan.provenance)


def _run(
    options: SyncOptions, author: str, started: datetime, report: SyncReport, errors: list[str]
) -> SyncRun:
    return SyncRun(
        source=options.source,
        location=options.location,
        started_at=started,
        finished_at=utcnow(),
        author=author,
        applied=report.applied,
        counts=report.counts(),
        errors=errors,
    )


def _log_failure(
    uows: UnitOfWorkFactory,
    options: SyncOptions,
    author: str,
    started: datetime,
    errors: list[str],
) -> None:
    report = SyncReport(options.source, options.location, False, "", started)
    with uows() as uow:
        uow.sync_runs.add(_run(options, author, started, report, errors[:100]))
        uow.commit()
