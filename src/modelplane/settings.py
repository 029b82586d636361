"""The one place that reads the environment."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from argon2.profiles import RFC_9106_LOW_MEMORY
from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from modelplane.domain.flags import MODELS_SOURCE, ROUTER_CONFIG_SOURCE, parse_override

Source = Literal["db", "static"]


def default_database_url() -> str:
    path = Path(user_data_dir("modelplane", appauthor=False)) / "modelplane.db"
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id's cost for console passwords: passes over memory, KiB of memory, lanes.
    A stored hash carries the parameters it was made with; one that differs from these is
    re-hashed at its next sign-in."""

    time_cost: int
    memory_cost: int
    parallelism: int


class Settings(BaseSettings):
    """Settings from ``MODELPLANE_*`` environment variables."""

    @property
    def guard_interval(self) -> float:
        """The guard loop's period in seconds; 0 means no loop in this process."""
        if self.guard_interval_seconds is not None:
            return self.guard_interval_seconds
        return 0.0 if self.environment == "test" else 15.0

    model_config = SettingsConfigDict(env_prefix="MODELPLANE_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    models_source: Source = "db"
    router_config_source: Source = "db"
    environment: Literal["development", "production", "test"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_reads_require_token: bool = False
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    body_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    """The largest request body of every endpoint but the imports (413 above)."""
    sqlite_poll_interval_ms: int = Field(default=200, ge=10, le=250)
    db_connect_timeout: int = Field(default=2, ge=2, le=60)
    """Seconds to open a PostgreSQL connection before giving up (then 503)."""
    db_statement_timeout: float = Field(default=4.0, gt=0, le=3600)
    """Seconds one statement may run (PostgreSQL ``statement_timeout``); the client gives up
    on any answer half a second after it, so a silent database costs at most that."""
    db_lock_timeout: float = Field(default=3.0, gt=0, le=3600)
    """Seconds a statement may wait for a lock (PostgreSQL ``lock_timeout``)."""
    db_pool_timeout: float = Field(default=3.0, gt=0, le=600)
    """Seconds a request waits for a free pooled connection before answering 503."""
    db_write_threads: int = Field(default=10, ge=1, le=200)
    """Threads for the API's database-writing handlers, apart from those that serve reads
    and routing: writes stuck on the database never hold the others'. Fewer than the pool's
    15 connections, which the background writers and the watcher share."""
    heartbeat_interval_ms: int = Field(default=2000, ge=50, le=60_000)
    """How often each serving process writes its heartbeat (``GET /api/v1/fleet``); a
    process silent for more than three intervals is shown as silent."""
    fleet_behind_after_ms: int = Field(default=5000, ge=100, le=600_000)
    """A process whose snapshot stays behind the database's sequence this long is flagged
    (in the fleet and on its own ``/healthz``)."""
    flag_overrides: Annotated[dict[str, bool], NoDecode] = Field(
        default_factory=dict, validate_default=True
    )
    """Per-flag on/off overrides that win over the database: ``MODELPLANE_FLAG_OVERRIDES``
    as JSON or ``name=on,other=off``, plus ``MODELPLANE_FLAG_<NAME>`` for any flag."""
    webhooks_allow_private: bool = False
    """Webhook targets may resolve to private, loopback or link-local addresses (tests, a
    receiver on the same network). Off: such URLs are refused with the reason."""
    webhooks_deliver: bool = True
    """The server delivers queued webhook events (off: another process does)."""
    sync_hold_below: Decimal = Field(default=Decimal("0.5"), gt=0, lt=1)
    """A sync holds a price that would fall below this fraction of the current one."""
    sync_hold_above: Decimal = Field(default=Decimal("3"), gt=1)
    """A sync holds a price that would rise above this multiple of the current one."""
    snapshot_reads: bool = True
    """The server reads from its live snapshot; false makes every read query the database
    (a baseline for benchmarks, not a production mode)."""
    llm_base_url: str | None = None
    """An OpenAI-compatible endpoint (``https://host/v1``) for the LLM classifier."""
    llm_api_key: SecretStr | None = None
    access_log: bool = False
    """uvicorn's line per HTTP request on ``modelplane serve``. Off by default: every
    decision is in the decision log and every change in the audit log, and the line cost
    about a tenth of a route answer (``bench/route_http.py``)."""
    classify_cache_size: int = Field(default=4096, ge=0, le=1_000_000)
    """How many distinct messages' embedded classifications each process remembers (the
    same message routed again skips classification); 0 turns the memo off."""
    log_decision_text: bool = False
    """Keep each routed message's text in the decision log (by default only its hash)."""
    guard_interval_seconds: float | None = Field(default=None, ge=0, le=3600)
    """How often the server's guard checks guardrails and schedules (the one process that
    holds the database lease does); 0 turns it off. Unset: 15 seconds, off under test."""
    usage_retention_days: int = Field(default=90, ge=1, le=3650)
    """Raw usage events older than this many days go at ``modelplane usage prune``; the
    daily rollups, and so every analytics answer, stay."""
    secret_key: SecretStr | None = None
    """Signs the console's session cookies. Required outside development and test; in
    development one is generated once and kept in the user data directory."""
    trusted_proxies: Annotated[frozenset[str], NoDecode] = frozenset()
    """Reverse proxies' IP addresses (comma-separated). Only when the immediate peer is one
    does the console take a client's address from ``X-Forwarded-For`` (its right-most
    untrusted entry) for sign-in rate limits; otherwise the header is ignored."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies(cls, value: Any) -> Any:
        """``"10.0.0.1, 10.0.0.2"`` or a list; each must be an IP address."""
        items = value.split(",") if isinstance(value, str) else value
        return frozenset(str(ipaddress.ip_address(str(i).strip())) for i in items if str(i).strip())

    @field_validator("flag_overrides", mode="before")
    @classmethod
    def _flag_overrides(cls, value: Any) -> Any:
        """``{"a": "on"}``, ``'{"a": "on"}'`` or ``"a=on,b=off"``, plus every
        ``MODELPLANE_FLAG_<NAME>`` variable (lower-cased name)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                value = json.loads(text)
            else:
                pairs = (p.split("=", 1) for p in text.split(",") if "=" in p)
                value = {k.strip(): v.strip() for k, v in pairs}
        merged: dict[str, Any] = dict(value or {})
        for key, raw in os.environ.items():
            if key.startswith(_FLAG_PREFIX) and key != _FLAG_PREFIX + "OVERRIDES" and raw.strip():
                merged.setdefault(key.removeprefix(_FLAG_PREFIX).lower(), raw)
        # Parsed here, once: a mistyped emergency switch stops the process at start with
        # the flag named, instead of failing every request.
        parsed: dict[str, bool] = {}
        for name, raw in merged.items():
            if isinstance(raw, bool):
                parsed[name] = raw
                continue
            try:
                override = parse_override(str(raw))
            except ValueError as exc:
                raise ValueError(f"MODELPLANE_FLAG_{name.upper()}: {exc}") from None
            if override is None:
                continue
            parsed[name] = override
        return parsed

    password_hash_time_cost: int = Field(default=RFC_9106_LOW_MEMORY.time_cost, ge=1, le=64)
    """The console passwords' argon2id cost, with the two below: by default argon2-cffi's,
    RFC 9106's low-memory profile (3 passes over 64 MiB in 4 lanes)."""
    password_hash_memory_cost: int = Field(
        default=RFC_9106_LOW_MEMORY.memory_cost, ge=8, le=4 * 1024 * 1024
    )
    """KiB of memory per hash, at least 8 per lane."""
    password_hash_parallelism: int = Field(default=RFC_9106_LOW_MEMORY.parallelism, ge=1, le=64)

    @model_validator(mode="after")
    def _password_memory_fits_lanes(self) -> Settings:
        if self.password_hash_memory_cost < 8 * self.password_hash_parallelism:
            raise ValueError(
                "MODELPLANE_PASSWORD_HASH_MEMORY_COST must be at least 8 KiB per lane "
                f"(8 * MODELPLANE_PASSWORD_HASH_PARALLELISM = {8 * self.password_hash_parallelism})"
            )
        return self

    @property
    def password_hashing(self) -> PasswordHashing:
        return PasswordHashing(
            self.password_hash_time_cost,
            self.password_hash_memory_cost,
            self.password_hash_parallelism,
        )

    author: str | None = None
    """Who direct CLI writes are recorded as (``MODELPLANE_AUTHOR``); default ``cli:<login>``."""

    def overrides(self) -> dict[str, bool]:
        """The environment's word on each flag it names, which wins over the database:
        ``flag_overrides``, and ``MODELPLANE_MODELS_SOURCE=static`` /
        ``MODELPLANE_ROUTER_CONFIG_SOURCE=static`` as the source flags off (an explicit
        ``MODELPLANE_FLAG_<NAME>`` wins over those)."""
        sources = {
            MODELS_SOURCE: self.models_source,
            ROUTER_CONFIG_SOURCE: self.router_config_source,
        }
        forced = {name: False for name, source in sources.items() if source == "static"}
        return {**forced, **self.flag_overrides}


_FLAG_PREFIX = "MODELPLANE_FLAG_"
