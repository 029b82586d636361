"""The schema. Alembic migrations create it; nothing else changes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from modelplane.domain.usage import LATENCY_BUCKETS, bucket_column
from modelplane.store.types import ExactDecimal, JSONDocument, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

providers = Table(
    "providers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("context_window", Integer, nullable=False),
    Column("input_price", ExactDecimal, nullable=False),
    Column("output_price", ExactDecimal, nullable=False),
    Column("cached_price", ExactDecimal),
    Column("reasoning_price", ExactDecimal),
    Column("knowledge_cutoff", String(100)),
    Column("reasoning", JSONDocument),
    Column("actual_model_id", String(200)),
    Column("host_order", JSONDocument),
    Column("gateway", String(64)),
    Column("is_internal_only", Boolean, nullable=False, default=False),
    Column("is_experimental", Boolean, nullable=False, default=False),
    Column("description", Text),
    Column("user_friendly_description", Text),
    Column("best_for", Text),
    Column("benchmarks", JSONDocument),
    Column("speed_tier", String(20)),
    Column("is_pro", Boolean, nullable=False, default=False),
    Column("status", String(20), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("cache_write_price", ExactDecimal),
    Column("price_tiers", JSONDocument),
    Column("max_output_tokens", Integer),
    Column("input_modalities", JSONDocument),
    Column("output_modalities", JSONDocument),
    Column("deprecation_date", UTCDateTime),
    Column("sunset_date", UTCDateTime),
    Column("successor_id", String(200)),
    CheckConstraint("status IN ('active', 'beta', 'deprecated')", name="status"),
    CheckConstraint("context_window > 0", name="context_window"),
    CheckConstraint("version >= 1", name="version"),
)

model_capabilities = Table(
    "model_capabilities",
    metadata,
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("capability", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_model_capabilities_capability_model", "capability", "model_id"),
)


model_provenance = Table(
    "model_provenance",
    metadata,
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("fields", JSONDocument, nullable=False),
)
"""Where each synced field of a model came from: ``{field: {source, value, confirmedAt}}``."""

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(20), nullable=False),
    Column("location", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("author", String(200), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("counts", JSONDocument, nullable=False),
    Column("errors", JSONDocument, nullable=False),
    Index("ix_sync_runs_source_started_at", "source", "started_at"),
)


def _history_table(name: str, entity_column: str) -> Table:
    """One row per version of a versioned document: the change, and the document as it became,
    and the face it came through (api, console, cli; empty before migration 0012)."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(entity_column, String(200), nullable=False),
        Column("version", Integer, nullable=False),
        Column("change_type", String(20), nullable=False),
        Column("changes", JSONDocument, nullable=False),
        Column("document", JSONDocument, nullable=False),
        Column("author", String(200), nullable=False),
        Column("at", UTCDateTime, nullable=False, index=True),
        Column("reason", Text),
        Column("face", String(20)),
        UniqueConstraint(entity_column, "version"),
    )


model_history = _history_table("model_history", "model_id")

model_retirements = Table(
    "model_retirements",
    metadata,
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("retired_at", UTCDateTime, nullable=False),
    Column("retired_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
)
"""Models retired for good: hidden from every list, the id reserved (no write deletes a row)."""

task_categories = Table(
    "task_categories",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("label", String(100), nullable=False),
    Column("position", Integer, nullable=False),
)

model_profiles = Table(
    "model_profiles",
    metadata,
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("quality_score", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    CheckConstraint("quality_score BETWEEN 0 AND 100", name="quality_score"),
)

profile_scores = Table(
    "profile_scores",
    metadata,
    Column("model_id", ForeignKey("model_profiles.model_id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("task_categories.id"), primary_key=True),
    Column("score", Integer, nullable=False),
    CheckConstraint("score BETWEEN 0 AND 100", name="score"),
)

profile_history = _history_table("profile_history", "model_id")

router_config = Table(
    "router_config",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document", JSONDocument, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    CheckConstraint("id = 1", name="singleton"),
)

router_config_history = _history_table("router_config_history", "config_id")

change_log = Table(
    "change_log",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("ids", JSONDocument, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""The global change sequence: every write appends one row in its own transaction."""

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("scopes", String(1000)),
    Column("expires_at", UTCDateTime),
    CheckConstraint("role IN ('admin', 'editor', 'viewer', 'ingest')", name="role"),
)
"""API tokens: only a hash of each token is kept; the token itself is shown once. ``scopes``
is space-separated (NULL: limited by role alone); ``expires_at`` NULL never expires."""

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="role"),
)
"""Console users, with argon2 password hashes."""

revoked_sessions = Table(
    "revoked_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("username", String(100), nullable=False),
    Column("revoked_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)
"""Console sessions ended by signing out, by a SHA-256 of the cookie's session id (never
the id itself), kept until the cookie would have expired anyway. Every process checks it
on every request, so a copied cookie dies with its sign-out everywhere."""

sign_in_strikes = Table(
    "sign_in_strikes",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", Float, nullable=False),
    Column("lockouts", Integer, nullable=False),
    Column("locked_until", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
"""The sign-in limiter's failure counts per client address and per username (wall-clock
seconds), shared by every process; a row goes once it expires."""

routing_decisions = Table(
    "routing_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("text_hash", String(64), nullable=False),
    Column("text", Text),
    Column("classification", JSONDocument, nullable=False),
    Column("primary_category", String(64), nullable=False),
    Column("complexity", String(20), nullable=False),
    Column("selected_model_id", String(200), nullable=False),
    Column("tier", String(20)),
    Column("candidate_count", Integer, nullable=False),
    Column("is_sticky", Boolean, nullable=False),
    Column("exploration", Boolean, nullable=False),
    Column("is_fallback", Boolean, nullable=False, default=False),
    Column("config_version", Integer, nullable=False),
    Column("profiles_version", Integer, nullable=False),
    Column("variant", String(100)),
    Column("experiment", String(64)),
    Column("cost_per_1k", ExactDecimal),
    Column("latency_us", Integer, nullable=False),
    Column("error", Text),
    Column("decision_id", String(64), index=True),
    Column("enrolled_flags", String(1000)),
)
"""One row per routing decision, for analytics. The text is kept only as a hash by default."""

flags = Table(
    "flags",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("percentage", Integer, nullable=False),
    Column("stickiness", String(64), nullable=False),
    Column("group_id", String(100)),
    Column("description", Text),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("guardrails", JSONDocument),
    Column("schedule", JSONDocument),
    CheckConstraint("percentage BETWEEN 0 AND 100", name="percentage"),
)
"""Rollout flags; the built-in ones choose the static tables or the database per request."""

flag_history = _history_table("flag_history", "flag_name")

experiments = Table(
    "experiments",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("description", Text),
    Column("variants", JSONDocument, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("ended_at", UTCDateTime),
    Column("ended_by", String(200)),
    Column("outcome", Text),
    Column("guardrails", JSONDocument),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("status IN ('running', 'ended')", name="status"),
)
"""Router-config experiments: named variants (whole config documents) with traffic weights."""

parity_samples = Table(
    "parity_samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("request_kind", String(40), nullable=False),
    Column("source", String(20), nullable=False),
    Column("latency_us", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
)
"""Shadow-mode samples: one row per source per sampled request (latency, error)."""

parity_mismatches = Table(
    "parity_mismatches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("request_kind", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("model_id", String(200)),
    Column("details", JSONDocument, nullable=False),
)
"""Where the static tables and the database disagreed on a sampled request."""

_Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements an INTEGER key

usage_events = Table(
    "usage_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("model_id", String(200), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("user_id", String(200)),
    Column("feature", String(64), nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("cached_tokens", BigInteger, nullable=False),
    Column("reasoning_tokens", BigInteger, nullable=False),
    Column("cost", ExactDecimal, nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("error", Text),
    Column("routing_decision_id", BigInteger),
    Column("event_id", String(100), index=True, unique=True),
    Column("decision_id", String(64), index=True),
)
"""One row per generation. The cost (USD, rounded to 1e-9) is priced when the event
arrives and never recomputed. Raw rows may be pruned; the daily rollups stay.
``event_id`` is the client's id, unique where given, so a resent event is stored once
(a unique index lets NULL repeat, on SQLite and PostgreSQL alike)."""


usage_daily = Table(
    "usage_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("model_id", String(200), primary_key=True),
    Column("provider_id", String(64), primary_key=True),
    Column("feature", String(64), primary_key=True),
    Column("requests", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("cached_tokens", BigInteger, nullable=False),
    Column("reasoning_tokens", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("latency_ms_sum", BigInteger, nullable=False),
    *(Column(bucket_column(b), BigInteger, nullable=False) for b in range(LATENCY_BUCKETS)),
)
"""Usage per UTC day, model and feature, kept up to date by every ingestion. Cost in
whole nano-dollars, so sums are exact on SQLite too. ``lat_00`` … are a fixed latency
histogram (``catalog.usage.LATENCY_BOUNDS_MS``): one row holds a key's whole day, so a
90-day percentile query sums a few thousand rows."""


def _routing_counts() -> list[Column[Any]]:
    return [
        Column("decisions", BigInteger, nullable=False),
        Column("exploration", BigInteger, nullable=False),
        Column("sticky", BigInteger, nullable=False),
        Column("fallback", BigInteger, nullable=False),
        Column("errors", BigInteger, nullable=False),
    ]


routing_daily = Table(
    "routing_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("primary_category", String(64), primary_key=True),
    Column("complexity", String(20), primary_key=True),
    Column("tier", String(20), primary_key=True),
    *_routing_counts(),
)
"""Routing decisions per closed UTC day, built by a job from ``routing_decisions``. A
decision without a tier is counted under tier ``''``."""

routing_model_daily = Table(
    "routing_model_daily",
    metadata,
    Column("selected_model_id", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("primary_category", String(64), primary_key=True),
    Column("complexity", String(20), primary_key=True),
    Column("tier", String(20), primary_key=True),
    *_routing_counts(),
)
"""``routing_daily`` per chosen model too, for questions about one model or provider
(hence the model first in the key)."""

rollup_days = Table(
    "rollup_days",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("rolled_at", UTCDateTime, nullable=False),
)
"""Which closed days a job has rolled up; days not listed are read from the raw rows."""

# Prices with dates -------------------------------------------------------------------------

model_prices = Table(
    "model_prices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("effective_from", UTCDateTime, nullable=False),
    Column("input_price", ExactDecimal, nullable=False),
    Column("output_price", ExactDecimal, nullable=False),
    Column("cached_price", ExactDecimal),
    Column("reasoning_price", ExactDecimal),
    Column("cache_write_price", ExactDecimal),
    Column("price_tiers", JSONDocument),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("reason", Text),
    UniqueConstraint("model_id", "effective_from"),
)

announced_moments = Table(
    "announced_moments",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("model_id", String(200), primary_key=True),
    Column("at", UTCDateTime, primary_key=True),
    Column("announced_at", UTCDateTime, nullable=False),
)
"""A moment that came and was announced once: a scheduled price taking effect (``price``),
a sunset passing (``sunset``). Inserting the row is the claim: one process wins."""

# Webhooks: subscriptions, the outbox of events, one delivery per subscriber, its attempts ----

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("secret", String(500), nullable=False),
    Column("events", JSONDocument, nullable=False),
    Column("description", String(200)),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("payload", JSONDocument, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("event_id", ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False),
    Column("webhook_id", ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("claim", String(40)),
    Column("last_status_code", Integer),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_webhook_id", "webhook_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("error", Text),
)
feedback_events = Table(
    "feedback_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("event_id", String(100), index=True, unique=True),
    Column("decision_id", String(64), nullable=False, index=True),
    Column("signal", String(20), nullable=False),
    Column("value", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("comment", Text),
)
"""A verdict on a routing decision (``POST /api/v1/feedback``): the signal's value as sent
and its score on 0..1 (higher is better). A row whose decision is not in the log is
orphaned: kept, and counted."""

guard_leases = Table(
    "guard_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
"""One row per leader-elected job: its holder leads until ``expires_at``."""

guard_events = Table(
    "guard_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("evidence", JSONDocument, nullable=False),
)
"""What the guard did to a flag or an experiment (rolled back, advanced) and why."""

fleet_processes = Table(
    "fleet_processes",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("version", String(40), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("applied_at", UTCDateTime),
    Column("last_seen", UTCDateTime, nullable=False, index=True),
    Column("degraded", Boolean, nullable=False),
    Column("behind", Boolean, nullable=False),
)
"""One row per serving process, rewritten by its heartbeat every few seconds (and at once
after it applies a change): which change sequence it serves and since when."""

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("face", String(20)),
    Column("reason", Text),
    Column("changes", JSONDocument, nullable=False),
)
"""Changes that have no history table of their own (tokens, users, experiments): who, when,
what, why and through which face. The audit feed reads it with the history tables."""

approval_policies = Table(
    "approval_policies",
    metadata,
    Column("kind", String(80), primary_key=True),  # model, ..., sync; model:<provider>
    Column("approvers", Integer, nullable=False),
    Column("role", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)
"""How many approvals a direct write of each kind needs (none stored: 0, apply directly); a
model provider's own (``model:<provider>``) comes before the model kind's."""

change_requests = Table(
    "change_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("reason", Text),
    Column("author", String(200), nullable=False),
    Column("state", String(20), nullable=False, index=True),
    Column("changes", JSONDocument, nullable=False),
    Column("apply_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""Proposed changes to versioned documents, applied together once approved."""

change_request_events = Table(
    "change_request_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("change_requests.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("text", Text),
)
"""Every state change of a change request (and its comments): who, when, why."""
