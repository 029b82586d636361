"""Reading the public model catalogues: LiteLLM's price file, OpenRouter's model list and
models.dev's ``api.json``, each into the same upstream entries.

Pure functions over the decoded JSON. The text must be decoded with
``json.loads(text, parse_float=Decimal, parse_int=Decimal)`` (``decode``) so that a
per-token price such as ``2.5e-06`` becomes exactly 2.5 per million tokens. An upstream
field is a dotted path of the model's JSON form (``pricing.input``, ``contextWindow``,
``capabilities.vision``); every key of an entry that has no such place is counted in
``unmapped``, never dropped without a word.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeAlias

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.models import Capability, _id_problem

SourceName: TypeAlias = Literal["litellm", "openrouter", "modelsdev"]
SOURCES: tuple[SourceName, ...] = ("litellm", "openrouter", "modelsdev")
PRICE_FIELDS = ("input", "output", "cached", "cacheWrite", "reasoning")
"""The prices a sync guards against implausible jumps (``pricing.<name>``)."""
SYNCED_FIELDS = (
    "contextWindow",
    "maxOutputTokens",
    *(f"pricing.{name}" for name in PRICE_FIELDS),
    "pricing.tiers",
    "capabilities.vision",
    "capabilities.function-calling",
    "capabilities.thinking",
    "inputModalities",
    "outputModalities",
    "knowledgeCutoff",
    "deprecationDate",
    "successorId",
)
"""Every field a sync may write on an existing model, in report order. The name is set
when a sync creates a model and left to people after that."""
_PER_MILLION = Decimal(1_000_000)
_PRECISION = Decimal("1e-10")
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass
class UpstreamEntry:
    """One model as a source describes it."""

    id: str
    provider: str
    provider_name: str
    name: str
    fields: dict[str, Any]
    """Dotted path -> value in the model's Python form (Decimal prices, datetimes, lists);
    ``None`` where the source has the field but no value."""


@dataclass(frozen=True)
class EntryError:
    """A bad value: the model id it would have had, its provider, and where and what."""

    model_id: str
    provider: str
    error: FieldError


@dataclass
class Catalogue:
    """A source's entries, what was left out and why, and what could not be read."""

    entries: list[UpstreamEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(entry key, reason)`` for entries that are not chat models or have no usable id."""
    errors: list[EntryError] = field(default_factory=list)
    """Bad values, by entry and field: nothing may be applied while there are any."""
    unmapped: Counter[str] = field(default_factory=Counter)
    """Upstream keys with no place in a model, and how many entries have each."""
    warnings: list[str] = field(default_factory=list)
    """Values taken in changed (a price rounded to the catalogue's precision) or left out
    (a successor that is not a model id), by entry and field."""


def decode(raw: bytes | str) -> Any:
    """The JSON document, numbers as exact decimals; ``InvalidInput`` naming where it is
    not JSON."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise InvalidInput([FieldError("", f"not JSON: {exc.msg} at {where}")]) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput([FieldError("", f"not JSON: {exc}")]) from None


def parse(source: SourceName, data: Any, chat_only: bool = True) -> Catalogue:
    """The entries of ``data`` in ``source``'s format. A document of the wrong shape is an
    ``InvalidInput``; bad values of single entries are in ``Catalogue.errors``."""
    parsers: dict[SourceName, Callable[[Any, bool], Catalogue]] = {
        "litellm": _litellm,
        "openrouter": _openrouter,
        "modelsdev": _modelsdev,
    }
    return parsers[source](data, chat_only)


# helpers -----------------------------------------------------------------------------------


class _Entry:
    """Reads one entry's values, noting errors under ``<key>.<field>``."""

    def __init__(
        self, key: str, provider: str, name: str, data: dict[str, Any], catalogue: Catalogue
    ) -> None:
        self.key = key
        self.provider = provider.strip().lower()
        self.model_id = f"{self.provider}:{name}"
        self.data = data
        self.catalogue = catalogue
        self.used: set[str] = set()
        self.failed = False

    def error(self, name: str, message: str) -> None:
        where = FieldError(f"{self.key}.{name}", message)
        self.catalogue.errors.append(EntryError(self.model_id, self.provider, where))
        self.failed = True

    def raw(self, name: str, container: dict[str, Any] | None = None) -> Any:
        if container is None:
            self.used.add(name)
            container = self.data
        return container.get(name)

    def price(
        self, name: str, per_token: bool, container: dict[str, Any] | None = None
    ) -> Decimal | None:
        value = self.raw(name, container)
        if value is None:
            return None
        number = _number(value, allow_text=container is not None and per_token)
        if number is None:
            self.error(name, f"must be a number, got {_show(value)}")
            return None
        if number < 0:
            self.error(name, f"must not be negative, got {_show(value)}")
            return None
        exact = _canonical(number * _PER_MILLION if per_token else number)
        exponent = exact.as_tuple().exponent
        too_fine = isinstance(exponent, int) and exponent < -10
        kept = _canonical(exact.quantize(_PRECISION)) if too_fine else exact
        if kept != exact:
            self.catalogue.warnings.append(
                f"{self.key}.{name}: {exact} per 1M tokens rounded to {kept} "
                "(prices keep 10 decimal places)"
            )
        return kept

    def count(self, name: str, container: dict[str, Any] | None = None) -> int | None:
        value = self.raw(name, container)
        if value is None:
            return None
        number = _number(value, allow_text=False)
        if number is None or number != number.to_integral_value() or number < 0:
            self.error(name, f"must be a whole number of tokens, got {_show(value)}")
            return None
        return int(number) or None

    def flag(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(name, f"must be true or false, got {_show(value)}")
            return None
        return value

    def strings(self, name: str, container: dict[str, Any] | None = None) -> list[str] | None:
        value = self.raw(name, container)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(name, f"must be a list of strings, got {_show(value)}")
            return None
        return sorted({v.strip().lower() for v in value if v.strip()}) or None

    def text(self, name: str, container: dict[str, Any] | None = None) -> str | None:
        value = self.raw(name, container)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(name, f"must be text, got {_show(value)}")
            return None
        return value.strip() or None

    def moment(self, name: str, container: dict[str, Any] | None = None) -> datetime | None:
        text = self.text(name, container)
        if text is None:
            return None
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return datetime(day.year, day.month, day.day, tzinfo=UTC)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.error(name, f"must be a date (YYYY-MM-DD), got {_show(text)}")
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def leftover(self, prefix: str = "") -> None:
        for key in self.data.keys() - self.used:
            self.catalogue.unmapped[prefix + key] += 1


def _number(value: Any, allow_text: bool) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if allow_text and isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _canonical(value: Decimal) -> Decimal:
    return value.normalize() + 0 if value else Decimal(0)


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _entry(
    catalogue: Catalogue,
    key: str,
    provider: str,
    provider_name: str,
    name: str,
    display: str,
    fields: dict[str, Any],
) -> None:
    provider = provider.strip().lower()
    incomplete = _incomplete(fields)
    if incomplete:
        catalogue.skipped.append((key, incomplete))
        return
    successor = fields.get("successorId")
    if successor is not None and (len(successor) > 200 or _id_problem(successor, stored=True)):
        catalogue.warnings.append(f"{key}: successor {successor!r} is not a model id; left out")
        fields["successorId"] = None
    if not _SLUG.fullmatch(provider):
        catalogue.skipped.append((key, f"provider {provider!r} is not a usable provider id"))
        return
    model_id = f"{provider}:{name}"
    problem = _id_problem(model_id, stored=False) if len(model_id) <= 200 else "too long"
    if problem:
        catalogue.skipped.append((key, f"id {model_id!r} {problem}"))
        return
    catalogue.entries.append(
        UpstreamEntry(model_id, provider, provider_name, display[:200], fields)
    )


def _capabilities(found: Iterable[tuple[Capability, bool | None]]) -> dict[str, Any]:
    return {f"capabilities.{cap}": value for cap, value in found if value is not None}


def _tiers(tiers: dict[int, dict[str, Decimal]]) -> list[dict[str, Any]] | None:
    rows = []
    for threshold in sorted(tiers):
        prices = tiers[threshold]
        if "input" in prices and "output" in prices:
            rows.append({"aboveInputTokens": threshold, **prices})
    return rows or None


def _require_object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("", f"{what} must be a JSON object")])
    return data


# LiteLLM -----------------------------------------------------------------------------------

_LITELLM_TIER = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
    r"cache_creation_input_token_cost|output_cost_per_reasoning_token)_above_(\d+)k_tokens$"
)
_LITELLM_TIER_FIELD = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached",
    "cache_creation_input_token_cost": "cacheWrite",
    "output_cost_per_reasoning_token": "reasoning",
}


def _litellm(data: Any, chat_only: bool) -> Catalogue:
    catalogue = Catalogue()
    for key, item in _require_object(data, "a LiteLLM price file").items():
        if key == "sample_spec":
            continue
        if not isinstance(item, dict):
            catalogue.errors.append(EntryError(key, "", FieldError(key, "must be an object")))
            continue
        if chat_only and item.get("mode") != "chat":
            catalogue.skipped.append((key, f"mode {item.get('mode')!r}, not chat"))
            continue
        provider_value = item.get("litellm_provider")
        provider = provider_value if isinstance(provider_value, str) else ""
        name = key.removeprefix(f"{provider}/")
        e = _Entry(key, provider, name, item, catalogue)
        e.used.add("mode")
        if not e.text("litellm_provider"):
            e.error("litellm_provider", "is missing")
            continue
        fields: dict[str, Any] = {
            "contextWindow": e.count("max_input_tokens") or e.count("max_tokens"),
            "maxOutputTokens": e.count("max_output_tokens"),
            "pricing.input": e.price("input_cost_per_token", True),
            "pricing.output": e.price("output_cost_per_token", True),
            "pricing.cached": e.price("cache_read_input_token_cost", True),
            "pricing.cacheWrite": e.price("cache_creation_input_token_cost", True),
            "pricing.reasoning": e.price("output_cost_per_reasoning_token", True),
            "inputModalities": e.strings("supported_modalities"),
            "outputModalities": e.strings("supported_output_modalities"),
            "deprecationDate": e.moment("deprecation_date"),
            "knowledgeCutoff": e.text("knowledge_cutoff"),
            "successorId": _successor(e, provider),
            **_capabilities(
                [
                    ("vision", e.flag("supports_vision")),
                    ("function-calling", e.flag("supports_function_calling")),
                    ("thinking", e.flag("supports_reasoning")),
                ]
            ),
        }
        tiers: dict[int, dict[str, Decimal]] = {}
        for field_name in list(item):
            match = _LITELLM_TIER.match(field_name)
            if match:
                price = e.price(field_name, True)
                if price is not None:
                    threshold = int(match.group(2)) * 1000
                    tiers.setdefault(threshold, {})[_LITELLM_TIER_FIELD[match.group(1)]] = price
        fields["pricing.tiers"] = _tiers(tiers)
        e.leftover()
        if not e.failed:
            _entry(catalogue, key, provider, provider, name, name, fields)

    return catalogue


def _incomplete(fields: dict[str, Any]) -> str | None:
    """Why an entry cannot be a model: it lacks a context window or a price."""
    missing = [
        label
        for path, label in (
            ("contextWindow", "context window"),
            ("pricing.input", "input price"),
            ("pricing.output", "output price"),
        )
        if fields.get(path) is None
    ]
    return f"no {' or '.join(missing)}" if missing else None


def _successor(e: _Entry, provider: str) -> str | None:
    for name in ("successor_model", "successor"):
        value = e.text(name)
        if value is not None:
            return value if ":" in value else f"{provider}:{value.removeprefix(provider + '/')}"
    return None


# OpenRouter --------------------------------------------------------------------------------

_OPENROUTER_PRICES = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cached",
    "input_cache_write": "cacheWrite",
    "internal_reasoning": "reasoning",
}


def _openrouter(data: Any, chat_only: bool) -> Catalogue:
    catalogue = Catalogue()
    items = _require_object(data, "an OpenRouter model list").get("data")
    if not isinstance(items, list):
        raise InvalidInput([FieldError("data", "must be the list of models")])
    for index, item in enumerate(items):
        key = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(key, str):
            where = FieldError(f"data[{index}].id", "must be a model id")
            catalogue.errors.append(EntryError(f"data[{index}]", "", where))
            continue
        provider, _, name = key.partition("/")
        e = _Entry(key, provider, name, item, catalogue)
        e.used.add("id")
        architecture = e.raw("architecture") or {}
        outputs = e.strings("output_modalities", architecture) or ["text"]
        if chat_only and "text" not in outputs:
            catalogue.skipped.append((key, "no text output, not a chat model"))
            continue
        pricing = e.raw("pricing") or {}
        top = e.raw("top_provider") or {}
        parameters = e.strings("supported_parameters") or []
        fields: dict[str, Any] = {
            "contextWindow": e.count("context_length") or e.count("context_length", top),
            "maxOutputTokens": e.count("max_completion_tokens", top),
            "inputModalities": e.strings("input_modalities", architecture),
            "outputModalities": outputs,
            "knowledgeCutoff": e.text("knowledge_cutoff"),
            "deprecationDate": e.moment("expiration_date"),
            **_capabilities(
                [
                    ("vision", "image" in (e.strings("input_modalities", architecture) or [])),
                    ("function-calling", "tools" in parameters),
                    ("thinking", "reasoning" in parameters),
                ]
            ),
        }
        for upstream, ours in _OPENROUTER_PRICES.items():
            price = e.price(upstream, True, pricing)
            fields[f"pricing.{ours}"] = price if ours in ("input", "output") or price else None
        fields["pricing.tiers"] = _openrouter_tiers(e, pricing)
        for section, known in (
            ("pricing", {*_OPENROUTER_PRICES, "tiers"}),
            ("top_provider", {"context_length", "max_completion_tokens"}),
            ("architecture", {"input_modalities", "output_modalities"}),
        ):
            value = item.get(section)
            if isinstance(value, dict):
                for extra in value.keys() - known:
                    catalogue.unmapped[f"{section}.{extra}"] += 1
        e.used.update({"name", "architecture", "pricing", "top_provider"})
        e.leftover()
        display = e.text("name") or name
        if not e.failed:
            _entry(catalogue, key, provider, provider, name, display, fields)
    return catalogue


def _openrouter_tiers(e: _Entry, pricing: dict[str, Any]) -> list[dict[str, Any]] | None:
    """OpenRouter's tiered prices: ``pricing.tiers`` as a list of
    ``{"min_prompt_tokens": N, "prompt": ..., "completion": ..., ...}``; prices apply above N."""
    raw = pricing.get("tiers")
    if raw is None:
        return None
    if not isinstance(raw, list):
        e.error("pricing.tiers", "must be a list")
        return None
    tiers: dict[int, dict[str, Decimal]] = {}
    for i, tier in enumerate(raw):
        if not isinstance(tier, dict):
            e.error(f"pricing.tiers[{i}]", "must be an object")
            continue
        threshold = e.count("min_prompt_tokens", tier)
        if threshold is None:
            e.error(f"pricing.tiers[{i}].min_prompt_tokens", "is missing")
            continue
        for upstream, ours in _OPENROUTER_PRICES.items():
            price = e.price(upstream, True, tier)
            if price is not None:
                tiers.setdefault(threshold, {})[ours] = price
    return _tiers(tiers)


# models.dev --------------------------------------------------------------------------------

_MODELSDEV_PRICES = {
    "input": "input",
    "output": "output",
    "cache_read": "cached",
    "cache_write": "cacheWrite",
    "reasoning": "reasoning",
}


def _modelsdev(data: Any, chat_only: bool) -> Catalogue:
    catalogue = Catalogue()
    for provider_key, provider in _require_object(data, "a models.dev api.json").items():
        if not isinstance(provider, dict) or not isinstance(provider.get("models"), dict):
            where = FieldError(f"{provider_key}.models", "must be an object")
            catalogue.errors.append(EntryError(provider_key, provider_key, where))
            continue
        provider_name = provider.get("name") if isinstance(provider.get("name"), str) else None
        for model_key, item in provider["models"].items():
            key = f"{provider_key}/{model_key}"
            if not isinstance(item, dict):
                where = FieldError(key, "must be an object")
                catalogue.errors.append(EntryError(key, provider_key, where))
                continue
            e = _Entry(key, provider_key, model_key, item, catalogue)
            e.used.add("id")
            modalities = e.raw("modalities") or {}
            outputs = e.strings("output", modalities)
            if chat_only and outputs is not None and "text" not in outputs:
                catalogue.skipped.append((key, "no text output, not a chat model"))
                continue
            cost = e.raw("cost") or {}
            limit = e.raw("limit") or {}
            fields: dict[str, Any] = {
                "contextWindow": e.count("context", limit),
                "maxOutputTokens": e.count("output", limit),
                "inputModalities": e.strings("input", modalities),
                "outputModalities": outputs,
                "knowledgeCutoff": e.text("knowledge"),
                **_capabilities(
                    [
                        ("vision", e.flag("attachment")),
                        ("function-calling", e.flag("tool_call")),
                        ("thinking", e.flag("reasoning")),
                    ]
                ),
            }
            for upstream, ours in _MODELSDEV_PRICES.items():
                fields[f"pricing.{ours}"] = e.price(upstream, False, cost)
            over = cost.get("context_over_200k")
            tier: dict[str, Decimal] = {}
            if isinstance(over, dict):
                for upstream, ours in _MODELSDEV_PRICES.items():
                    price = e.price(upstream, False, over)
                    if price is not None:
                        tier[ours] = price
            fields["pricing.tiers"] = _tiers({200_000: tier}) if tier else None
            for section, value, known in (
                ("cost", cost, {*_MODELSDEV_PRICES, "context_over_200k"}),
                ("limit", limit, {"context", "output"}),
                ("modalities", modalities, {"input", "output"}),
            ):
                if isinstance(value, dict):
                    for extra in value.keys() - known:
                        catalogue.unmapped[f"{section}.{extra}"] += 1
            e.used.update({"name", "modalities", "cost", "limit"})
            e.leftover()
            display = e.text("name") or model_key
            if not e.failed:
                _entry(
                    catalogue,
                    key,
                    provider_key,
                    provider_name or provider_key,
                    model_key,
                    display,
                    fields,
                )
    return catalogue


# The log of syncs --------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncRun:
    """One sync that was applied, or that failed: when, by whom, what it counted."""

    source: str
    location: str
    started_at: datetime
    finished_at: datetime
    author: str
    applied: bool
    counts: dict[str, int]
    errors: list[str]
    dry_run: bool = False
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "location": self.location,
            "startedAt": _iso(self.started_at),
            "finishedAt": _iso(self.finished_at),
            "author": self.author,
            "dryRun": self.dry_run,
            "applied": self.applied,
            "counts": self.counts,
            "errors": self.errors,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
