"""Where CLI writes go: the database directly, or a running server over HTTP.

Both backends answer with the same JSON (the API's), so each command prints the same thing
whichever it talks to.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from modelplane.bootstrap import Runtime
from modelplane.domain.access import PasswordChange, TokenSpec, UserSpec
from modelplane.domain.audit import parse_filter
from modelplane.domain.catalogue_sources import SourceName
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, ModelplaneError
from modelplane.domain.flags import Flag, UserContext
from modelplane.domain.models import ModelSpec, Provider
from modelplane.domain.prices import parse_moment, price_json, timeline_json
from modelplane.domain.profiles import ProfileSpec
from modelplane.domain.scopes import is_duration
from modelplane.domain.validation import deep_merge, validate
from modelplane.domain.webhooks import WebhookSpec
from modelplane.router.classification.embedded import require_models
from modelplane.services import (
    audit,
    bulk,
    change_requests,
    experiments,
    feedback,
    flags,
    guard,
    moments,
    prices,
    replace,
    replay,
    router_data,
    sync,
    tokens,
    users,
    webhooks,
)
from modelplane.services import models as model_svc
from modelplane.services.fleet import fleet_status
from modelplane.services.providers import create_provider
from modelplane.services.rollout_report import rollout_report
from modelplane.services.usage import record_usage
from modelplane.settings import PasswordHashing, Settings
from modelplane.store.unit_of_work import UnitOfWorkFactory

T = TypeVar("T")
JSON = dict[str, Any]


class RemoteError(ModelplaneError):
    """The server refused a request, or could not be reached; ``errors`` are the fields its
    problem answer named, ``title`` its title."""

    def __init__(self, message: str, errors: Sequence[FieldError] = (), title: str = "") -> None:
        super().__init__(message)
        self.errors = list(errors)
        self.title = title


@dataclass(frozen=True)
class SyncRequest:
    """One sync as the CLI asks for it: a source, a file or URL, and the options."""

    source: SourceName
    location: str
    dry_run: bool = False
    reason: str | None = None
    providers: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    overwrite: bool = False
    accept_held: bool = False
    change_request: bool = False
    """Open a change request holding the diff instead of applying it."""
    title: str | None = None
    """The change request's title."""


class Backend(Protocol):
    def create_model(self, document: JSON, reason: str | None) -> JSON: ...
    def update_model(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON: ...
    def set_status(
        self, model_id: str, deprecated: bool, expected: int | None, reason: str | None
    ) -> JSON: ...
    def duplicate(self, model_id: str, new_id: str | None, reason: str | None) -> JSON: ...
    def retire(self, model_id: str, reason: str | None) -> JSON: ...
    def bulk_status(self, ids: list[str], status: str, reason: str | None) -> JSON: ...
    def history(self, model_id: str, offset: int, limit: int) -> JSON: ...
    def model_at(self, model_id: str, version: int) -> JSON: ...
    def rollback(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON: ...
    def schedule_price(
        self, model_id: str, pricing: JSON, effective_from: str, reason: str | None
    ) -> JSON: ...
    def export(self) -> JSON: ...
    def import_document(
        self, raw: bytes, dry_run: bool, reason: str | None, on_conflict: str = "refuse"
    ) -> JSON: ...
    def create_token(
        self, name: str, role: str, scopes: list[str] | None = None, expires: str | None = None
    ) -> JSON: ...
    def list_tokens(self) -> JSON: ...
    def revoke_token(self, name: str) -> JSON: ...
    def create_provider(self, document: JSON) -> JSON: ...
    def record_usage(self, body: Any) -> JSON: ...
    def fleet(self) -> JSON: ...
    def replay(self, body: JSON) -> JSON: ...
    # change requests and approval policies
    def list_policies(self) -> JSON: ...
    def set_policy(self, kind: str, approvers: int, role: str) -> JSON: ...
    def list_changes(self, state: str | None) -> JSON: ...
    def get_change(self, request_id: int) -> JSON: ...
    def create_change(self, document: JSON) -> JSON: ...
    def change_action(self, request_id: int, action: str, body: JSON) -> JSON: ...
    def run_due(self) -> JSON: ...
    def audit_page(self, filters: dict[str, str | None], offset: int, limit: int) -> JSON: ...
    def audit_export(self, filters: dict[str, str | None], fmt: str) -> str: ...
    # flags and the rollout report
    def list_flags(self) -> JSON: ...
    def set_flag(
        self, name: str, changes: JSON, expected: int | None, reason: str | None
    ) -> JSON: ...
    def flag_history(self, name: str, offset: int, limit: int) -> JSON: ...
    def rollback_flag(
        self, name: str, version: int, expected: int | None, reason: str | None
    ) -> JSON: ...
    def evaluate_flag(self, name: str, user: str | None, session: str | None) -> JSON: ...
    def rollout_report(self, hours: float | None) -> JSON: ...
    # experiments
    def create_experiment(self, document: JSON) -> JSON: ...
    def list_experiments(self) -> JSON: ...
    def get_experiment(self, name: str) -> JSON: ...
    def experiment_report(self, name: str) -> JSON: ...
    def end_experiment(
        self, name: str, promote: str | None, expected: int | None, reason: str | None
    ) -> JSON: ...
    # users
    def list_users(self) -> JSON: ...
    def create_user(self, document: JSON, reason: str | None) -> JSON: ...
    def set_role(self, username: str, role: str, reason: str | None) -> JSON: ...
    def set_disabled(self, username: str, disabled: bool, reason: str | None) -> JSON: ...
    def set_password(self, username: str, password: str, reason: str | None) -> JSON: ...
    # the router's data
    def update_router_config(
        self, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON: ...
    def update_profile(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON: ...
    def rollback_router_config(
        self, version: int, expected: int | None, reason: str | None
    ) -> JSON: ...
    def rollback_profile(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON: ...

    # feedback, guardrails, schedules and the guard
    def record_feedback(self, events: list[Any]) -> JSON: ...
    def set_flag_guardrails(
        self, name: str, guardrails: list[Any] | None, reason: str | None
    ) -> JSON: ...
    def set_flag_schedule(
        self, name: str, steps: list[int] | None, dwell: int, reason: str | None
    ) -> JSON: ...
    def pause_schedule(self, name: str, paused: bool, reason: str | None) -> JSON: ...
    def flag_guard(self, name: str) -> JSON: ...
    def set_experiment_guardrails(self, name: str, guardrails: list[Any]) -> JSON: ...
    def run_guard(self) -> JSON: ...
    def guard_events(self) -> JSON: ...
    # dated prices and replacement
    def price_at(self, model_id: str, at: str | None) -> JSON: ...
    def price_timeline(self, model_id: str) -> list[JSON]: ...
    def replace_model(self, old: str, new: str, dry_run: bool, reason: str | None) -> JSON: ...
    # webhooks
    def list_webhooks(self) -> list[JSON]: ...
    def create_webhook(self, document: JSON) -> JSON: ...
    def update_webhook(self, webhook_id: int, patch: JSON) -> JSON: ...
    def delete_webhook(self, webhook_id: int) -> JSON: ...
    def webhook_deliveries(self, webhook_id: int | None, limit: int) -> JSON: ...
    def replay_delivery(self, delivery_id: int) -> JSON: ...
    # catalogue sync
    def sync(self, request: SyncRequest) -> JSON: ...
    def sync_runs(self) -> JSON: ...


def cli_author() -> str:
    """Who a direct write is recorded as: ``MODELPLANE_AUTHOR``, else ``cli:<login>``."""
    return Settings().author or f"cli:{getpass.getuser()}"


class DirectBackend:
    """Calls the services on the database, as the CLI's user."""

    def __init__(self, runtime: Runtime, author: str) -> None:
        self._runtime = runtime
        self._author = author

    @property
    def _uows(self) -> UnitOfWorkFactory:
        return self._runtime.unit_of_work

    @property
    def _hashing(self) -> PasswordHashing:
        return self._runtime.settings.password_hashing

    def create_model(self, document: JSON, reason: str | None) -> JSON:
        spec = validate(ModelSpec, document)
        return model_svc.create_model(self._uows, spec, self._author, reason).to_json()

    def update_model(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON:
        return model_svc.update_model(
            self._uows, model_id, patch, self._author, expected, reason
        ).to_json()

    def set_status(
        self, model_id: str, deprecated: bool, expected: int | None, reason: str | None
    ) -> JSON:
        return model_svc.set_status(
            self._uows, model_id, deprecated, self._author, expected, reason
        ).to_json()

    def retire(self, model_id: str, reason: str | None) -> JSON:
        return model_svc.retire_model(self._uows, model_id, self._author, reason).to_json()

    def bulk_status(self, ids: list[str], status: str, reason: str | None) -> JSON:
        answer = model_svc.bulk_set_status(self._uows, ids, status, self._author, reason)
        return answer.to_json()

    def duplicate(self, model_id: str, new_id: str | None, reason: str | None) -> JSON:
        return model_svc.duplicate_model(
            self._uows, model_id, self._author, new_id, reason
        ).to_json()

    def history(self, model_id: str, offset: int, limit: int) -> JSON:
        entries, total = model_svc.history(self._uows, model_id, offset, limit)
        data = [e.to_json() for e in entries]
        return {"data": data, "count": len(data), "total": total, "offset": offset, "limit": limit}

    def model_at(self, model_id: str, version: int) -> JSON:
        return model_svc.model_at(self._uows, model_id, version)

    def rollback(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        return model_svc.rollback_model(
            self._uows, model_id, version, self._author, reason, expected
        ).to_json()

    def schedule_price(
        self, model_id: str, pricing: JSON, effective_from: str, reason: str | None
    ) -> JSON:
        try:
            when = parse_moment(effective_from, "effectiveFrom")
        except ValueError as exc:
            raise InvalidInput([FieldError("effectiveFrom", str(exc))]) from None
        model = prices.schedule_price(self._uows, model_id, pricing, when, self._author, reason)
        return {
            "id": model.id,
            "effectiveFrom": when.isoformat().replace("+00:00", "Z"),
            "pricing": model.pricing_at(when).to_json(),
            "timeline": timeline_json(model, utcnow()),
        }

    def export(self) -> JSON:
        return bulk.export_document(self._uows)

    def import_document(
        self, raw: bytes, dry_run: bool, reason: str | None, on_conflict: str = "refuse"
    ) -> JSON:
        data = bulk.parse_json(raw)
        return bulk.import_document(
            self._uows, data, self._author, dry_run, reason, on_conflict=on_conflict
        ).to_json()

    def create_token(
        self, name: str, role: str, scopes: list[str] | None = None, expires: str | None = None
    ) -> JSON:
        spec = validate(TokenSpec, token_body(name, role, scopes, expires))
        record, token = tokens.create_token(self._uows, spec, self._author)
        return {**tokens.token_json(record), "token": token}

    def list_tokens(self) -> JSON:
        records = tokens.list_tokens(self._uows)
        return {"data": [tokens.token_json(r) for r in records], "count": len(records)}

    def revoke_token(self, name: str) -> JSON:
        return tokens.token_json(tokens.revoke_token(self._uows, name, self._author))

    def create_provider(self, document: JSON) -> JSON:
        provider = validate(Provider, document)
        return create_provider(self._uows, provider, self._author).to_json()

    def record_usage(self, body: Any) -> JSON:
        return record_usage(self._uows, self._runtime.reader, body).to_json()

    def fleet(self) -> JSON:
        return fleet_status(self._uows, self._runtime.settings)

    def replay(self, body: JSON) -> JSON:
        require_models()  # damaged classifier weights: one line, not a fallback per prompt
        rt = self._runtime
        return replay.replay_request(rt.unit_of_work, rt.reader, rt.settings, body)

    def list_policies(self) -> JSON:
        rows = change_requests.list_policies(self._uows)
        return {"data": rows, "count": len(rows)}

    def set_policy(self, kind: str, approvers: int, role: str) -> JSON:
        return change_requests.set_policy(self._uows, kind, approvers, role, self._author)

    def list_changes(self, state: str | None) -> JSON:
        return change_requests.list_requests(self._uows, state)

    def get_change(self, request_id: int) -> JSON:
        return change_requests.get_request(self._uows, request_id)

    def create_change(self, document: JSON) -> JSON:
        return change_requests.create_request(
            self._uows,
            document.get("title"),
            document.get("reason"),
            document.get("changes"),
            self._author,
        )

    def change_action(self, request_id: int, action: str, body: JSON) -> JSON:
        """On the database itself the CLI acts as its owner (the admin role)."""
        uows, who, note = self._uows, self._author, body.get("reason")
        if action == "approve":
            return change_requests.approve(uows, request_id, who, "admin", note)
        if action == "reject":
            return change_requests.reject(uows, request_id, who, note)
        if action == "withdraw":
            return change_requests.withdraw(uows, request_id, who, note)
        if action == "rebase":
            return change_requests.rebase(uows, request_id, who, note)
        if action == "comments":
            return change_requests.comment(uows, request_id, body.get("text"), who)
        return change_requests.apply(uows, request_id, who, body.get("at"))

    def run_due(self) -> JSON:
        applied = change_requests.run_due(self._uows, self._author)
        priced, retired = moments.run_due(self._uows)
        return {
            "applied": applied,
            "count": len(applied),
            "pricesTookEffect": priced,
            "sunsetsPassed": retired,
        }

    def audit_page(self, filters: dict[str, str | None], offset: int, limit: int) -> JSON:
        return audit.audit_log(self._uows, parse_filter(**filters), offset, limit)

    def audit_export(self, filters: dict[str, str | None], fmt: str) -> str:
        return audit.export(self._uows, parse_filter(**filters), fmt)

    def _flag_json(self, flag: Flag) -> JSON:
        return {**flag.to_json(), "override": flags.override_for(self._runtime.settings, flag.name)}

    def list_flags(self) -> JSON:
        rows = [self._flag_json(f) for f in flags.list_flags_with_defaults(self._uows)]
        return {"data": rows, "count": len(rows)}

    def set_flag(self, name: str, changes: JSON, expected: int | None, reason: str | None) -> JSON:
        flag = flags.set_flag(self._uows, name, changes, self._author, reason, expected)
        return self._flag_json(flag)

    def flag_history(self, name: str, offset: int, limit: int) -> JSON:
        entries, total = flags.flag_history(self._uows, name, offset, limit)
        return _page([e.to_json() for e in entries], total, offset, limit)

    def rollback_flag(
        self, name: str, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        flag = flags.rollback_flag(self._uows, name, version, self._author, reason, expected)
        return self._flag_json(flag)

    def evaluate_flag(self, name: str, user: str | None, session: str | None) -> JSON:
        settings = self._runtime.settings
        context = UserContext(user, session)
        return flags.evaluate_stored(self._uows, settings, name, context).to_json()

    def rollout_report(self, hours: float | None) -> JSON:
        return rollout_report(self._uows, _since(hours))

    def create_experiment(self, document: JSON) -> JSON:
        return experiments.create_experiment(self._uows, document, self._author).to_json()

    def list_experiments(self) -> JSON:
        found = experiments.list_experiments(self._uows)
        return {"data": [e.to_json() for e in found], "count": len(found)}

    def get_experiment(self, name: str) -> JSON:
        return experiments.get_experiment(self._uows, name).to_json()

    def experiment_report(self, name: str) -> JSON:
        return experiments.experiment_report(self._uows, name)

    def end_experiment(
        self, name: str, promote: str | None, expected: int | None, reason: str | None
    ) -> JSON:
        config = experiments.end_experiment(
            self._uows, name, self._author, promote, reason, expected
        )
        ended = experiments.get_experiment(self._uows, name).to_json()
        return {**ended, "routerConfig": config.to_json() if config else None}

    def list_users(self) -> JSON:
        found = users.list_users(self._uows)
        return {"data": [users.user_json(u) for u in found], "count": len(found)}

    def create_user(self, document: JSON, reason: str | None) -> JSON:
        spec = validate(UserSpec, document)
        user = users.create_user(self._uows, spec, self._author, reason, hashing=self._hashing)
        return users.user_json(user)

    def set_role(self, username: str, role: str, reason: str | None) -> JSON:
        user = users.set_role(self._uows, username, role, self._author, reason)
        return users.user_json(user)

    def set_disabled(self, username: str, disabled: bool, reason: str | None) -> JSON:
        user = users.set_disabled(self._uows, username, disabled, self._author, reason)
        return users.user_json(user)

    def set_password(self, username: str, password: str, reason: str | None) -> JSON:
        change = validate(PasswordChange, {"password": password})
        user = users.set_password(
            self._uows, username, change, self._author, reason, hashing=self._hashing
        )
        return users.user_json(user)

    def update_router_config(self, patch: JSON, expected: int | None, reason: str | None) -> JSON:
        version = router_data.get_router_config(self._uows).version
        config = router_data.update_router_config(
            self._uows, patch, self._author, version if expected is None else expected, reason
        )
        return config.to_json()

    def update_profile(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON:
        current = router_data.get_profile(self._uows, model_id)
        document = deep_merge(current.spec().to_json(), patch)
        spec = validate(ProfileSpec, {**document, "modelId": model_id})
        version = current.version if expected is None else expected
        profile = router_data.put_profile(self._uows, spec, self._author, version, reason)
        return profile.to_json()

    def rollback_router_config(
        self, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        config = router_data.rollback_router_config(
            self._uows, version, self._author, reason, expected
        )
        return config.to_json()

    def rollback_profile(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        profile = router_data.rollback_profile(
            self._uows, model_id, version, self._author, reason, expected
        )
        return profile.to_json()

    def record_feedback(self, events: list[Any]) -> JSON:
        return feedback.record_feedback(self._uows, events).to_json()

    def set_flag_guardrails(
        self, name: str, guardrails: list[Any] | None, reason: str | None
    ) -> JSON:
        return guard.set_flag_guardrails(
            self._uows, name, guardrails, self._author, reason
        ).to_json()

    def set_flag_schedule(
        self, name: str, steps: list[int] | None, dwell: int, reason: str | None
    ) -> JSON:
        schedule = {"steps": steps, "dwellSeconds": dwell} if steps else None
        return guard.set_flag_schedule(self._uows, name, schedule, self._author, reason).to_json()

    def pause_schedule(self, name: str, paused: bool, reason: str | None) -> JSON:
        return guard.pause_schedule(self._uows, name, paused, self._author, reason).to_json()

    def flag_guard(self, name: str) -> JSON:
        return guard.flag_status(self._uows, name)

    def set_experiment_guardrails(self, name: str, guardrails: list[Any]) -> JSON:
        return guard.set_experiment_guardrails(self._uows, name, guardrails, self._author).to_json()

    def run_guard(self) -> JSON:
        actions = guard.run_guard(self._uows)
        return {"actions": [a.to_json() for a in actions], "count": len(actions)}

    def guard_events(self) -> JSON:
        events = guard.guard_events(self._uows)
        return {"data": events, "count": len(events)}

    def price_at(self, model_id: str, at: str | None) -> JSON:
        try:
            moment = parse_moment(at, "at") if at else utcnow()
        except ValueError as exc:
            raise InvalidInput([FieldError("at", str(exc))]) from None
        return price_json(self._runtime.reader.get(model_id), moment)

    def price_timeline(self, model_id: str) -> list[JSON]:
        return timeline_json(self._runtime.reader.get(model_id), utcnow())

    def replace_model(self, old: str, new: str, dry_run: bool, reason: str | None) -> JSON:
        return replace.replace_model(self._uows, old, new, self._author, dry_run, reason)

    @property
    def _allow_private(self) -> bool:
        return self._runtime.settings.webhooks_allow_private

    def list_webhooks(self) -> list[JSON]:
        return [w.public_json() for w in webhooks.list_webhooks(self._uows)]

    def create_webhook(self, document: JSON) -> JSON:
        spec = validate(WebhookSpec, document)
        hook = webhooks.create_webhook(self._uows, spec, self._author, self._allow_private)
        return hook.public_json()

    def update_webhook(self, webhook_id: int, patch: JSON) -> JSON:
        hook = webhooks.update_webhook(self._uows, webhook_id, patch, self._allow_private)
        return hook.public_json()

    def delete_webhook(self, webhook_id: int) -> JSON:
        return webhooks.delete_webhook(self._uows, webhook_id).public_json()

    def webhook_deliveries(self, webhook_id: int | None, limit: int) -> JSON:
        found, total = webhooks.deliveries(self._uows, webhook_id, limit)
        return {"data": [d.to_json() for d in found], "total": total}

    def replay_delivery(self, delivery_id: int) -> JSON:
        return webhooks.replay_delivery(self._uows, delivery_id).to_json()

    def sync(self, request: SyncRequest) -> JSON:
        settings = self._runtime.settings
        options = sync.SyncOptions(
            source=request.source,
            location=request.location,
            dry_run=request.dry_run,
            reason=request.reason,
            providers=request.providers,
            only=request.only,
            overwrite=request.overwrite,
            accept_held=request.accept_held,
            hold_below=settings.sync_hold_below,
            hold_above=settings.sync_hold_above,
        )
        return change_requests.sync_or_open(
            self._uows,
            options,
            self._author,
            change_request=request.change_request,
            title=request.title,
        )

    def sync_runs(self) -> JSON:
        return sync.sync_runs(self._uows)


class HttpBackend:
    """Sends the same requests to a running server, with a bearer token."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    @classmethod
    def connect(
        cls, server: str, token: str | None, emergency_override: str | None = None
    ) -> HttpBackend:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if emergency_override is not None:  # the server checks the admin role and reason
            headers["X-Emergency-Override"] = emergency_override
        return cls(httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120))

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> JSON:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self._client.base_url}: {exc}") from None
        if response.is_error:
            raise RemoteError(_problem_text(response), *_problem_fields(response))
        body: JSON = response.json()
        return body

    def _version(self, model_id: str) -> int:
        return int(self._call("GET", f"/api/v1/models/{model_id}")["version"])

    def create_model(self, document: JSON, reason: str | None) -> JSON:
        return self._call("POST", "/api/v1/models", json={**document, "reason": reason})

    def update_model(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON:
        version = self._version(model_id) if expected is None else expected
        body = {**patch, "expectedVersion": version, "reason": reason}
        return self._call("PATCH", f"/api/v1/models/{model_id}", json=body)

    def set_status(
        self, model_id: str, deprecated: bool, expected: int | None, reason: str | None
    ) -> JSON:
        version = self._version(model_id) if expected is None else expected
        action = "deprecate" if deprecated else "reactivate"
        body = {"expectedVersion": version, "reason": reason}
        return self._call("POST", f"/api/v1/models/{model_id}/{action}", json=body)

    def retire(self, model_id: str, reason: str | None) -> JSON:
        return self._call("POST", f"/api/v1/models/{model_id}/retire", json={"reason": reason})

    def bulk_status(self, ids: list[str], status: str, reason: str | None) -> JSON:
        body = {"ids": ids, "status": status, "reason": reason}
        return self._call("POST", "/api/v1/models/bulk-status", json=body)

    def duplicate(self, model_id: str, new_id: str | None, reason: str | None) -> JSON:
        body = {"newId": new_id, "reason": reason}
        return self._call("POST", f"/api/v1/models/{model_id}/duplicate", json=body)

    def history(self, model_id: str, offset: int, limit: int) -> JSON:
        params = {"offset": offset, "limit": limit}
        return self._call("GET", f"/api/v1/models/{model_id}/history", params=params)

    def model_at(self, model_id: str, version: int) -> JSON:
        return self._call("GET", f"/api/v1/models/{model_id}/history/{version}")

    def rollback(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        current = self._version(model_id) if expected is None else expected
        body = {"version": version, "expectedVersion": current, "reason": reason}
        return self._call("POST", f"/api/v1/models/{model_id}/rollback", json=body)

    def schedule_price(
        self, model_id: str, pricing: JSON, effective_from: str, reason: str | None
    ) -> JSON:
        body = {"pricing": pricing, "effectiveFrom": effective_from, "reason": reason}
        return self._call("POST", f"/api/v1/models/{model_id}/prices", json=body)

    def export(self) -> JSON:
        return self._call("GET", "/api/v1/export")

    def import_document(
        self, raw: bytes, dry_run: bool, reason: str | None, on_conflict: str = "refuse"
    ) -> JSON:
        params: dict[str, Any] = {"dryRun": "true" if dry_run else "false"}
        if reason:
            params["reason"] = reason
        if on_conflict == "force":
            params["force"] = "true"
        elif on_conflict == "skip":
            params["skipConflicts"] = "true"
        headers = {"Content-Type": "application/json"}
        return self._call("POST", "/api/v1/import", params=params, content=raw, headers=headers)

    def create_token(
        self, name: str, role: str, scopes: list[str] | None = None, expires: str | None = None
    ) -> JSON:
        return self._call("POST", "/api/v1/tokens", json=token_body(name, role, scopes, expires))

    def list_tokens(self) -> JSON:
        return self._call("GET", "/api/v1/tokens")

    def revoke_token(self, name: str) -> JSON:
        return self._call("DELETE", f"/api/v1/tokens/{name}")

    def create_provider(self, document: JSON) -> JSON:
        return self._call("POST", "/api/v1/providers", json=document)

    def record_usage(self, body: Any) -> JSON:
        return self._call("POST", "/api/v1/usage", json=body)

    def fleet(self) -> JSON:
        return self._call("GET", "/api/v1/fleet")

    def replay(self, body: JSON) -> JSON:
        return self._call("POST", "/api/v1/router/replay", json=body)

    def list_policies(self) -> JSON:
        return self._call("GET", "/api/v1/approval-policies")

    def set_policy(self, kind: str, approvers: int, role: str) -> JSON:
        body = {"approvers": approvers, "role": role}
        return self._call("PUT", f"/api/v1/approval-policies/{kind}", json=body)

    def list_changes(self, state: str | None) -> JSON:
        params = {"state": state} if state else {}
        return self._call("GET", "/api/v1/change-requests", params=params)

    def get_change(self, request_id: int) -> JSON:
        return self._call("GET", f"/api/v1/change-requests/{request_id}")

    def create_change(self, document: JSON) -> JSON:
        return self._call("POST", "/api/v1/change-requests", json=document)

    def change_action(self, request_id: int, action: str, body: JSON) -> JSON:
        return self._call("POST", f"/api/v1/change-requests/{request_id}/{action}", json=body)

    def run_due(self) -> JSON:
        return self._call("POST", "/api/v1/change-requests/run-due", json={})

    @staticmethod
    def _audit_params(filters: dict[str, str | None]) -> dict[str, Any]:
        names = {"entity_id": "id"}
        return {names.get(k, k): v for k, v in filters.items() if v is not None}

    def audit_page(self, filters: dict[str, str | None], offset: int, limit: int) -> JSON:
        params = {**self._audit_params(filters), "offset": offset, "limit": limit}
        return self._call("GET", "/api/v1/audit", params=params)

    def audit_export(self, filters: dict[str, str | None], fmt: str) -> str:
        params = {**self._audit_params(filters), "format": fmt}
        try:
            response = self._client.get("/api/v1/audit", params=params)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self._client.base_url}: {exc}") from None
        if response.is_error:
            raise RemoteError(_problem_text(response))
        return response.text

    def list_flags(self) -> JSON:
        return self._call("GET", "/api/v1/flags")

    def _flag_version(self, name: str) -> int:
        try:
            return int(self._call("GET", f"/api/v1/flags/{name}")["version"])
        except RemoteError as exc:
            if str(exc).startswith("404"):
                return 0  # a new flag
            raise

    def set_flag(self, name: str, changes: JSON, expected: int | None, reason: str | None) -> JSON:
        version = self._flag_version(name) if expected is None else expected
        body = {**changes, "expectedVersion": version, "reason": reason}
        return self._call("PATCH", f"/api/v1/flags/{name}", json=body)

    def flag_history(self, name: str, offset: int, limit: int) -> JSON:
        params = {"offset": offset, "limit": limit}
        return self._call("GET", f"/api/v1/flags/{name}/history", params=params)

    def rollback_flag(
        self, name: str, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        current = self._flag_version(name) if expected is None else expected
        body = {"version": version, "expectedVersion": current, "reason": reason}
        return self._call("POST", f"/api/v1/flags/{name}/rollback", json=body)

    def evaluate_flag(self, name: str, user: str | None, session: str | None) -> JSON:
        params = {k: v for k, v in (("userId", user), ("sessionId", session)) if v is not None}
        return self._call("GET", f"/api/v1/flags/{name}/evaluate", params=params)

    def rollout_report(self, hours: float | None) -> JSON:
        params = {"hours": hours} if hours else {}
        return self._call("GET", "/api/v1/rollout/report", params=params)

    def create_experiment(self, document: JSON) -> JSON:
        return self._call("POST", "/api/v1/experiments", json=document)

    def list_experiments(self) -> JSON:
        return self._call("GET", "/api/v1/experiments")

    def get_experiment(self, name: str) -> JSON:
        return self._call("GET", f"/api/v1/experiments/{name}")

    def experiment_report(self, name: str) -> JSON:
        return self._call("GET", f"/api/v1/experiments/{name}/report")

    def end_experiment(
        self, name: str, promote: str | None, expected: int | None, reason: str | None
    ) -> JSON:
        if promote is None:
            return self._call(
                "POST", f"/api/v1/experiments/{name}/discard", json={"reason": reason}
            )
        version = self._config_version() if expected is None else expected
        body = {"variant": promote, "expectedVersion": version, "reason": reason}
        return self._call("POST", f"/api/v1/experiments/{name}/promote", json=body)

    def list_users(self) -> JSON:
        return self._call("GET", "/api/v1/users")

    def create_user(self, document: JSON, reason: str | None) -> JSON:
        return self._call("POST", "/api/v1/users", json={**document, "reason": reason})

    def set_role(self, username: str, role: str, reason: str | None) -> JSON:
        body = {"role": role, "reason": reason}
        return self._call("PUT", f"/api/v1/users/{username}/role", json=body)

    def set_disabled(self, username: str, disabled: bool, reason: str | None) -> JSON:
        action = "disable" if disabled else "enable"
        return self._call("POST", f"/api/v1/users/{username}/{action}", json={"reason": reason})

    def set_password(self, username: str, password: str, reason: str | None) -> JSON:
        body = {"password": password, "reason": reason}
        return self._call("POST", f"/api/v1/users/{username}/password", json=body)

    def _config_version(self) -> int:
        return int(self._call("GET", "/api/v1/router/config")["version"])

    def update_router_config(self, patch: JSON, expected: int | None, reason: str | None) -> JSON:
        version = self._config_version() if expected is None else expected
        body = {**patch, "expectedVersion": version, "reason": reason}
        return self._call("PATCH", "/api/v1/router/config", json=body)

    def update_profile(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON:
        current = self._call("GET", f"/api/v1/router/profiles/{model_id}")
        spec: JSON = {k: current[k] for k in ("qualityScore", "categoryScores") if k in current}
        version = int(current["version"]) if expected is None else expected
        body = {**deep_merge(spec, patch), "expectedVersion": version, "reason": reason}
        return self._call("PUT", f"/api/v1/router/profiles/{model_id}", json=body)

    def rollback_router_config(
        self, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        current = self._config_version() if expected is None else expected
        body = {"version": version, "expectedVersion": current, "reason": reason}
        return self._call("POST", "/api/v1/router/config/rollback", json=body)

    def rollback_profile(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON:
        path = f"/api/v1/router/profiles/{model_id}"
        current = int(self._call("GET", path)["version"]) if expected is None else expected
        body = {"version": version, "expectedVersion": current, "reason": reason}
        return self._call("POST", f"{path}/rollback", json=body)

    def record_feedback(self, events: list[Any]) -> JSON:
        return self._call("POST", "/api/v1/feedback", json=events)

    def set_flag_guardrails(
        self, name: str, guardrails: list[Any] | None, reason: str | None
    ) -> JSON:
        body = {"guardrails": guardrails, "reason": reason}
        return self._call("PUT", f"/api/v1/flags/{name}/guardrails", json=body)

    def set_flag_schedule(
        self, name: str, steps: list[int] | None, dwell: int, reason: str | None
    ) -> JSON:
        body = {"steps": steps, "dwellSeconds": dwell, "reason": reason}
        return self._call("PUT", f"/api/v1/flags/{name}/schedule", json=body)

    def pause_schedule(self, name: str, paused: bool, reason: str | None) -> JSON:
        action = "pause" if paused else "resume"
        path = f"/api/v1/flags/{name}/schedule/{action}"
        return self._call("POST", path, json={"reason": reason})

    def flag_guard(self, name: str) -> JSON:
        return self._call("GET", f"/api/v1/flags/{name}/guard")

    def set_experiment_guardrails(self, name: str, guardrails: list[Any]) -> JSON:
        path = f"/api/v1/experiments/{name}/guardrails"
        return self._call("PUT", path, json={"guardrails": guardrails})

    def run_guard(self) -> JSON:
        return self._call("POST", "/api/v1/guard/run")

    def guard_events(self) -> JSON:
        return self._call("GET", "/api/v1/guard/events")

    def price_at(self, model_id: str, at: str | None) -> JSON:
        params = {"at": at} if at else {}
        return self._call("GET", f"/api/v1/models/{model_id}/price", params=params)

    def price_timeline(self, model_id: str) -> list[JSON]:
        data: list[JSON] = self._call("GET", f"/api/v1/models/{model_id}/prices")["data"]
        return data

    def replace_model(self, old: str, new: str, dry_run: bool, reason: str | None) -> JSON:
        body = {"newId": new, "dryRun": dry_run, "reason": reason}
        return self._call("POST", f"/api/v1/models/{old}/replace", json=body)

    def list_webhooks(self) -> list[JSON]:
        data: list[JSON] = self._call("GET", "/api/v1/webhooks")["data"]
        return data

    def create_webhook(self, document: JSON) -> JSON:
        return self._call("POST", "/api/v1/webhooks", json=document)

    def update_webhook(self, webhook_id: int, patch: JSON) -> JSON:
        return self._call("PATCH", f"/api/v1/webhooks/{webhook_id}", json=patch)

    def delete_webhook(self, webhook_id: int) -> JSON:
        return self._call("DELETE", f"/api/v1/webhooks/{webhook_id}")

    def webhook_deliveries(self, webhook_id: int | None, limit: int) -> JSON:
        path = "/api/v1/webhooks" + (f"/{webhook_id}" if webhook_id is not None else "")
        page = self._call("GET", f"{path}/deliveries", params={"limit": limit})
        return {"data": page["data"], "total": page["total"]}

    def replay_delivery(self, delivery_id: int) -> JSON:
        return self._call("POST", f"/api/v1/webhooks/deliveries/{delivery_id}/replay")

    def sync(self, request: SyncRequest) -> JSON:
        params: dict[str, Any] = {
            "source": request.source,
            "dryRun": _flag(request.dry_run),
            "overwrite": _flag(request.overwrite),
            "acceptHeld": _flag(request.accept_held),
            "provider": list(request.providers),
            "only": list(request.only),
        }
        if request.reason:
            params["reason"] = request.reason
        if request.change_request:
            params["changeRequest"] = "true"
        if request.title is not None:
            params["title"] = request.title
        if request.location.startswith(("http://", "https://")):
            params["url"] = request.location  # the server fetches it
            return self._call("POST", "/api/v1/sync", params=params)
        try:
            raw = Path(request.location).read_bytes()
        except OSError as exc:
            why = exc.strerror or str(exc)
            problem = FieldError("location", f"cannot read {request.location}: {why}")
            raise InvalidInput([problem]) from None
        headers = {"Content-Type": "application/json"}
        return self._call("POST", "/api/v1/sync", params=params, content=raw, headers=headers)

    def sync_runs(self) -> JSON:
        return self._call("GET", "/api/v1/sync/runs")


def token_body(
    name: str, role: str, scopes: list[str] | None, expires: str | None
) -> dict[str, Any]:
    """The token to create as the API takes it: ``--expires 30d`` is a lifetime
    (``expiresIn``), anything else a moment (``expiresAt``)."""
    body: dict[str, Any] = {"name": name, "role": role}
    if scopes:
        body["scopes"] = scopes
    if expires:
        body["expiresIn" if is_duration(expires) else "expiresAt"] = expires
    return body


def _page(data: list[Any], total: int, offset: int, limit: int) -> JSON:
    return {"data": data, "count": len(data), "total": total, "offset": offset, "limit": limit}


def _since(hours: float | None) -> datetime | None:
    return datetime.now(UTC) - timedelta(hours=hours) if hours else None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _problem_fields(response: httpx.Response) -> tuple[list[FieldError], str]:
    """The fields a problem-details answer names, and its title."""
    try:
        body = response.json()
    except ValueError:
        return [], ""
    if not isinstance(body, dict):
        return [], ""
    errors = body.get("errors")
    found = (
        [
            FieldError(str(e.get("path") or ""), str(e.get("message")))
            for e in errors or []
            if isinstance(e, dict)
        ]
        if isinstance(errors, list)
        else []
    )
    return found, str(body.get("title") or "")


def _problem_text(response: httpx.Response) -> str:
    """One line from a problem-details answer: status, detail, and each field's problem."""
    try:
        body = response.json()
    except ValueError:
        return f"server answered {response.status_code}: {response.text[:200]}"
    if not isinstance(body, dict):
        return f"server answered {response.status_code}"
    text = f"{response.status_code} {body.get('title', '')}".strip()
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = [f"{e.get('path') or '(document)'}: {e.get('message')}" for e in errors]
        return f"{text}: " + "; ".join(parts)
    return f"{text}: {body['detail']}" if body.get("detail") else text
