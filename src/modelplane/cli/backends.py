"""Where CLI writes go: the database directly, or a running server over HTTP.

Both backends answer with the same JSON (the API's), so each command prints the same thing
whichever it talks to.
"""

from __future__ import annotations

import getpass
from typing import Any, Protocol, TypeVar

import httpx

from modelplane.bootstrap import Runtime
from modelplane.domain.access import TokenSpec
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, ModelplaneError
from modelplane.domain.models import ModelSpec
from modelplane.domain.prices import parse_moment, timeline_json
from modelplane.domain.validation import validate
from modelplane.services import bulk, prices, tokens
from modelplane.services import models as model_svc
from modelplane.settings import Settings
from modelplane.store.unit_of_work import UnitOfWorkFactory

T = TypeVar("T")
JSON = dict[str, Any]


class RemoteError(ModelplaneError):
    """The server refused a request, or could not be reached."""


class Backend(Protocol):
    def create_model(self, document: JSON, reason: str | None) -> JSON: ...
    def update_model(
        self, model_id: str, patch: JSON, expected: int | None, reason: str | None
    ) -> JSON: ...
    def set_status(
        self, model_id: str, deprecated: bool, expected: int | None, reason: str | None
    ) -> JSON: ...
    def duplicate(self, model_id: str, new_id: str | None, reason: str | None) -> JSON: ...
    def history(self, model_id: str, offset: int, limit: int) -> JSON: ...
    def model_at(self, model_id: str, version: int) -> JSON: ...
    def rollback(
        self, model_id: str, version: int, expected: int | None, reason: str | None
    ) -> JSON: ...
    def schedule_price(
        self, model_id: str, pricing: JSON, effective_from: str, reason: str | None
    ) -> JSON: ...
    def export(self) -> JSON: ...
    def import_document(self, raw: bytes, dry_run: bool, reason: str | None) -> JSON: ...
    def create_token(self, name: str, role: str) -> JSON: ...
    def list_tokens(self) -> JSON: ...
    def revoke_token(self, name: str) -> JSON: ...


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

    def import_document(self, raw: bytes, dry_run: bool, reason: str | None) -> JSON:
        data = bulk.parse_json(raw)
        return bulk.import_document(self._uows, data, self._author, dry_run, reason).to_json()

    def create_token(self, name: str, role: str) -> JSON:
        spec = validate(TokenSpec, {"name": name, "role": role})
        record, token = tokens.create_token(self._uows, spec, self._author)
        return {**tokens.token_json(record), "token": token}

    def list_tokens(self) -> JSON:
        records = tokens.list_tokens(self._uows)
        return {"data": [tokens.token_json(r) for r in records], "count": len(records)}

    def revoke_token(self, name: str) -> JSON:
        return tokens.token_json(tokens.revoke_token(self._uows, name))


class HttpBackend:
    """Sends the same requests to a running server, with a bearer token."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    @classmethod
    def connect(cls, server: str, token: str | None) -> HttpBackend:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return cls(httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120))

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> JSON:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self._client.base_url}: {exc}") from None
        if response.is_error:
            raise RemoteError(_problem_text(response))
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

    def import_document(self, raw: bytes, dry_run: bool, reason: str | None) -> JSON:
        params: dict[str, Any] = {"dryRun": "true" if dry_run else "false"}
        if reason:
            params["reason"] = reason
        headers = {"Content-Type": "application/json"}
        return self._call("POST", "/api/v1/import", params=params, content=raw, headers=headers)

    def create_token(self, name: str, role: str) -> JSON:
        return self._call("POST", "/api/v1/tokens", json={"name": name, "role": role})

    def list_tokens(self) -> JSON:
        return self._call("GET", "/api/v1/tokens")

    def revoke_token(self, name: str) -> JSON:
        return self._call("DELETE", f"/api/v1/tokens/{name}")


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
