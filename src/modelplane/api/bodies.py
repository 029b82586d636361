"""The request bodies of the API's writes, as pydantic schemas (what ``/openapi.json`` shows).

The schemas describe; the domain decides. Every field is taken as sent and checked by the
services (one set of rules, and every problem named by its JSON path in one way), so a body
accepted before is accepted now, and refused with the same problem details. Versioned
writes carry the optional ``expectedVersion`` and ``reason`` that ``WriteMetaDep`` reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from modelplane.domain.scopes import SCOPES
from modelplane.domain.validation import MAX_REASON

_META = frozenset({"expectedVersion", "reason"})

Version = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": 0,
            "description": "The version this write is based on (or send `If-Match`).",
        }
    ),
]
Reason = Annotated[
    Any,
    WithJsonSchema(
        {"type": "string", "maxLength": MAX_REASON, "description": "Why; kept in the history."}
    ),
]
Text = Annotated[Any, WithJsonSchema({"type": "string"})]
Integer = Annotated[Any, WithJsonSchema({"type": "integer"})]
Object = Annotated[Any, WithJsonSchema({"type": "object"})]
Score = Annotated[Any, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100})]
Scores = Annotated[
    Any,
    WithJsonSchema(
        {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100}}
    ),
]


class Document(BaseModel):
    """A JSON object, taken as sent."""

    model_config = ConfigDict(extra="allow")

    def as_sent(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class WriteBody(Document):
    """A versioned write's body: its document plus ``expectedVersion`` and ``reason``."""

    expectedVersion: Version = None  # noqa: N815 (the wire's name)
    reason: Reason = None

    def document(self) -> dict[str, Any]:
        """The body without ``expectedVersion`` and ``reason``."""
        return {k: v for k, v in self.as_sent().items() if k not in _META}


class ModelCreate(WriteBody):
    """A whole model: the fields of `Model` but those the server sets (version, created…,
    updated…)."""

    id: Text = None
    provider: Text = None
    name: Text = None
    contextWindow: Integer = None  # noqa: N815
    pricing: Object = None


class ModelPatch(WriteBody):
    """A partial model: nested objects merge, lists and other values replace, `null`
    clears an optional field."""


class StatusChange(WriteBody):
    """Deprecate or reactivate: no document, only the version and a reason."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})


class Duplicate(WriteBody):
    """Where the copy goes (default `<id>-copy`)."""

    newId: Text = None  # noqa: N815


class Rollback(WriteBody):
    """The version to restore."""

    version: Integer = None


class RouterConfigPatch(WriteBody):
    """A partial router config: objects merge, lists replace; the result is validated whole."""


class ProfilePut(WriteBody):
    """A whole profile. To create one, send `expectedVersion` 0."""

    qualityScore: Score = None  # noqa: N815
    categoryScores: Scores = None  # noqa: N815


class TokenCreate(Document):
    """A token's name and role (admin, editor, viewer or ingest), its optional scopes and
    optional expiry: ``expiresAt`` (a moment) or ``expiresIn`` (``30d``, ``12h``, ``90m``,
    ``2w``), not both."""

    name: Text = None
    role: Annotated[
        Any, WithJsonSchema({"type": "string", "enum": ["admin", "editor", "viewer", "ingest"]})
    ] = None
    scopes: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": "array",
                "items": {"type": "string", "enum": list(SCOPES)},
                "uniqueItems": True,
            }
        ),
    ] = None
    expiresAt: Annotated[Any, WithJsonSchema({"type": "string", "format": "date-time"})] = None  # noqa: N815
    expiresIn: Annotated[  # noqa: N815
        Any, WithJsonSchema({"type": "string", "pattern": r"^\d{1,6}[mhdw]$", "examples": ["30d"]})
    ] = None


class ProviderCreate(Document):
    """A provider's id and display name."""

    id: Text = None
    displayName: Text = None  # noqa: N815


class PriceBody(Document):
    """A dated price: the prices that change, and from when."""

    pricing: Object = None
    effectiveFrom: Text = None  # noqa: N815 (the wire's name)
    reason: Reason = None


class FlagPatch(WriteBody):
    """Some of a flag's fields; they merge into the current flag (a new name creates one:
    send `expectedVersion` 0)."""

    enabled: Annotated[Any, WithJsonSchema({"type": "boolean"})] = None
    percentage: Annotated[
        Any, WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 100})
    ] = None
    stickiness: Text = None
    groupId: Text = None  # noqa: N815
    description: Text = None


class ExperimentCreate(Document):
    """A new experiment: a name, an optional description and its variants (each a name,
    a traffic weight and a whole router config)."""

    name: Text = None
    description: Text = None
    variants: Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "object"}})] = None


class ExperimentPromote(WriteBody):
    """The variant whose config becomes the live config; `expectedVersion` is the live
    config's version the promoter compared against."""

    variant: Text = None


class Reasoned(Document):
    """A change with no document: only why."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})

    reason: Reason = None


class UserCreate(Document):
    """A console user: sign-in name, role (admin, editor or viewer) and password."""

    username: Text = None
    role: Annotated[
        Any, WithJsonSchema({"type": "string", "enum": ["admin", "editor", "viewer"]})
    ] = None
    password: Annotated[Any, WithJsonSchema({"type": "string", "format": "password"})] = None
    reason: Reason = None


class UserRoleChange(Document):
    """A user's new role."""

    role: Annotated[
        Any, WithJsonSchema({"type": "string", "enum": ["admin", "editor", "viewer"]})
    ] = None
    reason: Reason = None


class PasswordReset(Document):
    """A user's new password; their console sessions end."""

    password: Annotated[Any, WithJsonSchema({"type": "string", "format": "password"})] = None
    reason: Reason = None


Role = Annotated[Any, WithJsonSchema({"type": "string", "enum": ["viewer", "editor", "admin"]})]


class ApprovalPolicy(Document):
    """How many approvals a change of the kind needs, and by which role (or stronger)."""

    approvers: Integer = None
    role: Annotated[
        Any, WithJsonSchema({"type": "string", "enum": ["viewer", "editor", "admin"]})
    ] = None


class ChangeRequestCreate(Document):
    """A titled set of changes: each names its `kind`, `id`, a `patch` (merged like the
    kind's PATCH) and the `expectedVersion` it was based on."""

    title: Text = None
    reason: Reason = None
    changes: Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "object"}})] = None


class ChangeRequestComment(Document):
    text: Text = None


class ChangeRequestAction(Document):
    """An optional note (`reason`) kept with the request's event."""

    reason: Reason = None


class ChangeRequestApply(Document):
    """Without `at`: apply now. With `at` (ISO 8601, with a zone): schedule for then."""

    at: Annotated[Any, WithJsonSchema({"type": "string", "format": "date-time"})] = None


class Replay(Document):
    """A prompt set (a list of route requests, or their JSON lines) and the configs to
    compare: stored versions, whole configs, and whether the live one is included."""

    prompts: Annotated[
        Any,
        WithJsonSchema(
            {
                "oneOf": [
                    {"type": "array", "items": {"type": "object"}},
                    {"type": "string", "description": "JSON lines"},
                ]
            }
        ),
    ] = None
    configVersions: Annotated[  # noqa: N815
        Any, WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1}})
    ] = None
    configs: Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "object"}})] = None
    live: Annotated[Any, WithJsonSchema({"type": "boolean"})] = None
