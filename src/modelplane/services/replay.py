"""Replaying a prompt set: route every prompt of a JSON-lines file under two or more router
configs and compare what each would do, before saving anything. The CLI
(``modelplane router replay``) and the console playground both call these.

Each line is a JSON object: ``text`` and, optionally, any other field of a route request
(``contextTokens``, ``costBias``, ``classification``, ``seed``, ...). A line without a
``seed`` gets its line number as the seed, so every config rolls the same dice and a changed
choice is the config's doing. The routing is the engine's (``Router`` over data compiled
from the catalogue and profiles the reader holds, with the classifier each config names); no
decision is logged.

The estimated cost per 1,000 requests prices each choice at the catalogue's prices for a
reference request: ``contextTokens`` + one token per 4 characters of the text as input and
``REPLAY_OUTPUT_TOKENS`` as output (Decimal throughout).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.domain.reader import CatalogReader
from modelplane.domain.router_config import TIERS, RouterConfig
from modelplane.domain.validation import validate
from modelplane.router import RouteDecision, Router, RouteRequest, compile_router
from modelplane.router.selection.pick import difficulty_of
from modelplane.services.router_data import router_config_at
from modelplane.services.routing import configured_classifier
from modelplane.settings import Settings
from modelplane.store.unit_of_work import UnitOfWorkFactory

REPLAY_OUTPUT_TOKENS = 500
CHARS_PER_TOKEN = 4
MAX_LINE_ERRORS = 50


@dataclass
class ConfigRun:
    """One config's decisions over the prompt set."""

    label: str
    config: RouterConfig
    decisions: list[RouteDecision] = field(default_factory=list)
    cost: Decimal = Decimal(0)

    def to_json(self) -> dict[str, Any]:
        n = len(self.decisions) or 1
        tiers: Counter[str] = Counter(d.tier or "none" for d in self.decisions)
        return {
            "label": self.label,
            "configVersion": self.config.version,
            "strategy": self.config.router_settings.selection_strategy,
            "tierMix": {t: tiers.get(t, 0) for t in TIERS}
            | ({"none": tiers["none"]} if tiers.get("none") else {}),
            "tierShare": {t: round(tiers.get(t, 0) / n, 4) for t in TIERS},
            "tierPercent": whole_percentages({t: tiers.get(t, 0) for t in TIERS}),
            "costPer1kRequestsUsd": str((self.cost * 1000 / n).quantize(Decimal("0.0001"))),
            "meanDifficulty": mean_difficulty(self.decisions),
        }


def whole_percentages(counts: dict[str, int]) -> dict[str, int]:
    """Each count's share as a whole percentage, the parts adding up to 100 (largest
    remainders get the rounding), so a shown tier mix never reads 24% + 54% + 21%."""
    total = sum(counts.values())
    if total == 0:
        return dict.fromkeys(counts, 0)
    exact = {k: 100 * v / total for k, v in counts.items()}
    shown = {k: int(x) for k, x in exact.items()}
    by_remainder = sorted(counts, key=lambda k: (shown[k] - exact[k], list(counts).index(k)))
    for k in by_remainder[: 100 - sum(shown.values())]:
        shown[k] += 1
    return shown


def mean_difficulty(decisions: list[RouteDecision]) -> dict[str, float | None]:
    """The mean difficulty of the prompts each tier received (``None``: it received none)."""
    sums: dict[str, list[float]] = {t: [] for t in TIERS}
    for d in decisions:
        if d.tier is not None:
            sums[d.tier].append(difficulty_of(d.classification))
    return {t: round(sum(v) / len(v), 3) if v else None for t, v in sums.items()}


def numbered_prompts(text: str) -> list[tuple[int, RouteRequest]]:
    """Every non-blank line as its line number (from 1) and a route request (a byte-order
    mark before the first, as some Windows editors write, is skipped). Bad lines raise
    ``InvalidInput`` with one error per line (the first ``MAX_LINE_ERRORS``), each
    ``line N: field: problem``."""
    requests: list[RouteRequest] = []
    numbers: list[int] = []
    errors: list[FieldError] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        problem = _line_problem(number, line, requests)
        if problem is not None:
            errors.append(FieldError(f"line {number}", problem))
            if len(errors) >= MAX_LINE_ERRORS:
                break
        else:
            numbers.append(number)
    if errors:
        raise InvalidInput(errors, "bad prompt lines")
    return list(zip(numbers, requests, strict=True))


def _line_problem(number: int, line: str, requests: list[RouteRequest]) -> str | None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}"
    if not isinstance(data, dict):
        return "must be a JSON object"
    if not isinstance(data.get("text"), str):
        return f"text: {'required' if 'text' not in data else 'must be text'}"
    data.setdefault("seed", number)
    try:
        requests.append(validate(RouteRequest, data))
    except InvalidInput as exc:
        return str(exc.errors[0])
    return None


def stored_run(uows: UnitOfWorkFactory, version: int) -> ConfigRun:
    """A run for a saved router config version (``NotFound`` when there is no such one)."""
    document = router_config_at(uows, version)
    return ConfigRun(f"v{version}", RouterConfig.model_validate({**document, "version": version}))


def live_run(reader: CatalogReader) -> ConfigRun:
    """A run for the config in force."""
    live = reader.router_config()
    return ConfigRun(f"live (v{live.version})", live)


def plan_runs(
    uows: UnitOfWorkFactory,
    reader: CatalogReader,
    versions: list[int],
    configs: list[ConfigRun],
    live: bool | None = None,
) -> list[ConfigRun]:
    """The configs to compare, in order: the live one (when ``live``, or when ``live`` is
    ``None`` and fewer than two others are named), the stored ``versions``, then ``configs``.
    Fewer than two in all is refused, naming ``configs``."""
    runs = [stored_run(uows, v) for v in versions] + list(configs)
    if live or (live is None and len(runs) < 2):
        runs.insert(0, live_run(reader))
    if len(runs) < 2:
        raise InvalidInput([FieldError("configs", "name at least two configs to compare")])
    return runs


_MISSING_SHOWN = 3


def document_run(label: str, document: Any) -> ConfigRun:
    """A run for a router config someone wrote (a file, a form upload). ``InvalidInput``
    names each problem by its field; a fragment of a config (required fields missing) is
    said once, with where a whole one comes from."""
    try:
        return ConfigRun(label, validate(RouterConfig, document))
    except InvalidInput as exc:
        missing = [e.path for e in exc.errors if e.message == "Field required"]
        errors = [e for e in exc.errors if e.message != "Field required"]
        if missing:
            shown = ", ".join(missing[:_MISSING_SHOWN])
            more = ", …" if len(missing) > _MISSING_SHOWN else ""
            message = (
                f"not a whole router config: {len(missing)} required field(s) missing "
                f"({shown}{more}); start from `modelplane router config --json`"
            )
            errors.append(FieldError("", message))
        raise InvalidInput(errors, "not a router config") from None


def replay_request(
    uows: UnitOfWorkFactory, reader: CatalogReader, settings: Settings, body: dict[str, Any]
) -> dict[str, Any]:
    """The API's replay: ``{"prompts": [...] | "JSON lines", "configVersions": [N, ...],
    "configs": [{router config}, ...], "live": bool}`` → ``report``. Every problem is named
    by its field (a prompt as ``prompts[i]``, from 0; JSON lines as ``line N``)."""
    errors: list[FieldError] = []
    known = {"prompts", "configVersions", "configs", "live"}
    errors += [FieldError(k, "unknown field") for k in body if k not in known]
    numbered = _body_prompts(body.get("prompts"), errors)
    requests, lines = [r for _, r in numbered], [n for n, _ in numbered]
    versions: list[int] = []
    raw_versions = body.get("configVersions", [])
    if not isinstance(raw_versions, list):
        errors.append(FieldError("configVersions", "must be a list of config versions"))
        raw_versions = []
    for i, v in enumerate(raw_versions):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            errors.append(FieldError(f"configVersions[{i}]", f"{v!r} is not a config version"))
        elif v not in versions:
            versions.append(v)
    configs: list[ConfigRun] = []
    raw_configs = body.get("configs", [])
    if not isinstance(raw_configs, list):
        errors.append(FieldError("configs", "must be a list of router configs"))
        raw_configs = []
    for i, document in enumerate(raw_configs):
        try:
            configs.append(document_run(f"configs[{i}]", document))
        except InvalidInput as exc:
            errors += [
                FieldError(f"configs[{i}].{e.path}" if e.path else f"configs[{i}]", e.message)
                for e in exc.errors
            ]
    live = body.get("live")
    if live is not None and not isinstance(live, bool):
        errors.append(FieldError("live", "must be true or false"))
        live = None
    if errors:
        raise InvalidInput(errors, "bad replay request")
    try:
        runs = plan_runs(uows, reader, versions, configs, live)
    except NotFound as exc:
        raise InvalidInput([FieldError("configVersions", str(exc))]) from None
    replay(reader, settings, runs, requests)
    return report(runs, requests, lines)


def _body_prompts(prompts: Any, errors: list[FieldError]) -> list[tuple[int, RouteRequest]]:
    """The body's prompts, each with its line (JSON lines) or its place from 1 (a list)."""
    if isinstance(prompts, str):
        try:
            return _none_means_empty(numbered_prompts(prompts), errors)
        except InvalidInput as exc:
            errors += [FieldError(f"prompts ({e.path})", e.message) for e in exc.errors]
            return []
    elif isinstance(prompts, list):
        found: list[RouteRequest] = []
        for i, item in enumerate(prompts):
            problem = _line_problem(i + 1, json.dumps(item), found)
            if problem is not None:
                errors.append(FieldError(f"prompts[{i}]", problem))
        return _none_means_empty(list(enumerate(found, start=1)), errors)
    else:
        errors.append(
            FieldError("prompts", "required: a list of {text, ...} objects or JSON lines")
        )
        return []


def _none_means_empty(
    found: list[tuple[int, RouteRequest]], errors: list[FieldError]
) -> list[tuple[int, RouteRequest]]:
    if not found and not errors:
        errors.append(FieldError("prompts", "holds no prompts"))
    return found


def replay(
    reader: CatalogReader,
    settings: Settings,
    runs: list[ConfigRun],
    requests: list[RouteRequest],
) -> None:
    """Route every request under every config, through the engine."""
    models, profiles = reader.models(), reader.profiles()
    categories = [c.id for c in reader.categories()]
    by_id = {m.id: m for m in models}
    for run in runs:
        data = compile_router(models, profiles, run.config, categories)
        engine = Router(data, configured_classifier(data, settings))
        for request in requests:
            decision = engine.route(request)
            run.decisions.append(decision)
            model = by_id.get(decision.selected_model_id)
            if model is not None:
                input_tokens = request.context_tokens + -(-len(request.text) // CHARS_PER_TOKEN)
                run.cost += reader.cost(model.id, input_tokens, REPLAY_OUTPUT_TOKENS)


def changed(
    runs: list[ConfigRun], requests: list[RouteRequest], lines: Sequence[int]
) -> list[dict[str, Any]]:
    """The prompts whose chosen model differs between any two configs: each with its place
    in the set (``index``, from 1) and its line in the file (``line``, from ``lines``; its
    place when the prompts came as a list)."""
    found = []
    for i, request in enumerate(requests):
        choices = [run.decisions[i].selected_model_id for run in runs]
        if len(set(choices)) > 1:
            found.append(
                {"index": i + 1, "line": lines[i], "text": request.text, "choices": choices}
            )
    return found


def report(
    runs: list[ConfigRun], requests: list[RouteRequest], lines: Sequence[int]
) -> dict[str, Any]:
    """The comparison as one JSON document (the CLI's ``--json``); ``lines`` as ``changed``."""
    return {
        "prompts": len(requests),
        "outputTokensPerRequest": REPLAY_OUTPUT_TOKENS,
        "configs": [run.to_json() for run in runs],
        "changed": changed(runs, requests, lines),
    }


def short(text: str, width: int = 48) -> str:
    """The text on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
