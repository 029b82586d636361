"""``modelplane router replay PROMPTS.jsonl``: route one prompt set under two or more router
configs and compare what each would do, before saving anything.

Each line of the file is a JSON object: ``text`` and, optionally, any other field of a route
request (``contextTokens``, ``costBias``, ``classification``, ``seed``, ...). A line without a
``seed`` gets its line number as the seed, so every config rolls the same dice and a changed
choice is the config's doing. The routing is the engine's (``Router`` over data compiled
from the catalogue and profiles the CLI reads, with the classifier each config names); no
decision is logged.

The estimated cost per 1,000 requests prices each choice at the catalogue's prices for a
reference request: ``contextTokens`` + one token per 4 characters of the text as input and
``REPLAY_OUTPUT_TOKENS`` as output (Decimal throughout).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from modelplane.cli.app import runtime
from modelplane.cli.output import fail, friendly_errors, out, print_json, print_table
from modelplane.cli.reads import router_app
from modelplane.domain.errors import InvalidInput, ModelplaneError
from modelplane.domain.reader import CatalogReader
from modelplane.domain.router_config import TIERS, RouterConfig
from modelplane.domain.validation import validate
from modelplane.router import RouteDecision, Router, RouteRequest, compile_router
from modelplane.router.selection.pick import difficulty_of
from modelplane.services.router_data import router_config_at
from modelplane.services.routing import configured_classifier
from modelplane.settings import Settings

REPLAY_OUTPUT_TOKENS = 500
CHARS_PER_TOKEN = 4
_SHOWN_CHANGES = 20


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
            "costPer1kRequestsUsd": str((self.cost * 1000 / n).quantize(Decimal("0.0001"))),
            "meanDifficulty": _mean_difficulty(self.decisions),
        }


def _mean_difficulty(decisions: list[RouteDecision]) -> dict[str, float | None]:
    sums: dict[str, list[float]] = {t: [] for t in TIERS}
    for d in decisions:
        if d.tier is not None:
            sums[d.tier].append(difficulty_of(d.classification))
    return {t: round(sum(v) / len(v), 3) if v else None for t, v in sums.items()}


def read_prompts(path: Path) -> list[RouteRequest]:
    """Every line as a route request; the first bad one fails as ``line N: field: problem``."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    requests = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"line {number}: not JSON: {exc.msg}")
        if not isinstance(data, dict):
            fail(f"line {number}: must be a JSON object")
        if not isinstance(data.get("text"), str):
            fail(f"line {number}: text: {'required' if 'text' not in data else 'must be text'}")
        data.setdefault("seed", number)
        try:
            requests.append(validate(RouteRequest, data))
        except InvalidInput as exc:
            fail(f"line {number}: {exc.errors[0]}")
    if not requests:
        fail(f"{path} holds no prompts")
    return requests


def _config_file(path: Path) -> RouterConfig:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(f"{path} is not JSON: {exc}")
    try:
        return validate(RouterConfig, data)
    except InvalidInput as exc:
        fail(f"{path}: {'; '.join(str(e) for e in exc.errors)}")


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


def changed(runs: list[ConfigRun], requests: list[RouteRequest]) -> list[dict[str, Any]]:
    """The prompts whose chosen model differs between any two configs."""
    found = []
    for i, request in enumerate(requests):
        choices = [run.decisions[i].selected_model_id for run in runs]
        if len(set(choices)) > 1:
            found.append({"index": i + 1, "text": request.text, "choices": choices})
    return found


def replay_command(
    prompts: Annotated[Path, typer.Argument(help="JSON lines: text plus optional route fields.")],
    config_version: Annotated[
        list[int] | None,
        typer.Option("--config-version", min=1, help="A stored config version (repeatable)."),
    ] = None,
    config_file: Annotated[
        list[Path] | None,
        typer.Option("--config", help="A router config JSON file (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Route PROMPTS under two or more configs (the live one first when only one is named):
    tier mix, cost per 1K requests, mean difficulty per tier, and the prompts that change."""
    requests = read_prompts(prompts)
    rt = runtime()
    with friendly_errors():
        runs = [
            ConfigRun(f"v{v}", RouterConfig.model_validate({**_stored(rt, v), "version": v}))
            for v in config_version or []
        ]
        runs += [ConfigRun(str(p), _config_file(p)) for p in config_file or []]
        if len(runs) < 2:
            live = rt.reader.router_config()
            runs.insert(0, ConfigRun(f"live (v{live.version})", live))
        try:
            replay(rt.reader, rt.settings, runs, requests)
        except ModelplaneError:
            raise
    changes = changed(runs, requests)
    if as_json:
        print_json(
            {
                "prompts": len(requests),
                "outputTokensPerRequest": REPLAY_OUTPUT_TOKENS,
                "configs": [run.to_json() for run in runs],
                "changed": changes,
            }
        )
        return
    _print(runs, requests, changes)


def _stored(rt: Any, version: int) -> dict[str, Any]:
    return router_config_at(rt.unit_of_work, version)


def _print(runs: list[ConfigRun], requests: list[RouteRequest], changes: list[Any]) -> None:
    rows = []
    for run in runs:
        doc = run.to_json()
        share, difficulty = doc["tierShare"], doc["meanDifficulty"]
        rows.append(
            (
                run.label,
                doc["strategy"],
                *(f"{share[t]:.0%}" for t in TIERS),
                *("-" if difficulty[t] is None else f"{difficulty[t]:.2f}" for t in TIERS),
                f"${doc['costPer1kRequestsUsd']}",
            )
        )
    headers = ["config", "strategy", "cheap", "mid", "premium"]
    headers += ["d cheap", "d mid", "d premium", "cost / 1K"]
    out.print(f"{len(requests)} prompts", highlight=False)
    print_table(headers, rows)
    out.print(
        f"\n{len(changes)} prompts change model"
        + (":" if changes else ".")
        + ("" if len(changes) <= _SHOWN_CHANGES else f" (first {_SHOWN_CHANGES})"),
        highlight=False,
    )
    if changes:
        print_table(
            ["line", "text", *(run.label for run in runs)],
            [(c["index"], _short(c["text"]), *c["choices"]) for c in changes[:_SHOWN_CHANGES]],
        )
    out.print(
        f"d: mean difficulty sent to the tier; cost: catalogue prices, input = context + "
        f"text/{CHARS_PER_TOKEN} tokens, output = {REPLAY_OUTPUT_TOKENS} tokens.",
        highlight=False,
    )


def _short(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


__all__ = ["replay_command"]


def register(app: typer.Typer) -> None:
    """``modelplane router replay`` (the router group is the read commands')."""
    router_app.command("replay")(replay_command)
