"""``modelplane router replay PROMPTS.jsonl``: route one prompt set under two or more router
configs and compare what each would do, before saving anything. The rules (the file's
format, the routing, the tier mix, the cost per 1K requests, what counts as a change) are
``services/replay.py``'s; this module parses options and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from modelplane.cli.backends import RemoteError
from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import fail, out, print_json, print_table, read_text
from modelplane.cli.reads import router_app
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.router_config import TIERS
from modelplane.router import RouteRequest
from modelplane.services import replay as svc
from modelplane.services.replay import CHARS_PER_TOKEN, REPLAY_OUTPUT_TOKENS

_SHOWN_CHANGES = 20


def read_prompts(path: Path) -> list[RouteRequest]:
    """Every line as a route request; the first bad one fails as ``line N: field: problem``."""
    try:
        requests = [request for _, request in svc.numbered_prompts(read_text(path))]
    except InvalidInput as exc:
        fail(str(exc.errors[0]))
    if not requests:
        fail(f"{path} holds no prompts")
    return requests


def _config_file(path: Path) -> Any:
    """The file's JSON document (the service validates it as a router config)."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{path} is not JSON: {exc}")


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
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Route PROMPTS under two or more configs (the live one first when only one is named):
    tier mix, cost per 1K requests, mean difficulty per tier, and the prompts that change."""
    read_prompts(prompts)  # a bad line fails here, naming it, before anything is sent
    files = list(config_file or [])
    body = {
        "prompts": read_text(prompts),
        "configVersions": list(config_version or []),
        "configs": [_config_file(p) for p in files],
    }
    # The service names a config file by its place in the list: show the file's name.
    labels = {f"configs[{i}]": str(p) for i, p in enumerate(files)}
    with backend(server, token) as b:
        try:
            document = b.replay(body)
        except (InvalidInput, RemoteError) as exc:
            if not exc.errors:
                raise
            raise InvalidInput(_named(exc.errors, labels), exc.title or "invalid input") from None
    for run in document["configs"]:
        run["label"] = labels.get(run["label"], run["label"])
    if as_json:
        print_json(document)
        return
    _print(document)


def _named(errors: list[FieldError], labels: dict[str, str]) -> list[FieldError]:
    """The service's errors with each config file named by its path instead of its place."""
    out: list[FieldError] = []
    for e in errors:
        head, dot, rest = e.path.partition(".")
        name = labels.get(head)
        out.append(e if name is None else FieldError(f"{name}: {rest}" if dot else name, e.message))
    return out


def _print(document: dict[str, Any]) -> None:
    rows = []
    for doc in document["configs"]:
        share, difficulty = doc["tierPercent"], doc["meanDifficulty"]
        rows.append(
            (
                doc["label"],
                doc["strategy"],
                *(f"{share[t]}%" for t in TIERS),
                *("-" if difficulty[t] is None else f"{difficulty[t]:.2f}" for t in TIERS),
                f"${doc['costPer1kRequestsUsd']}",
            )
        )
    changes = document["changed"]
    headers = ["config", "strategy", "cheap", "mid", "premium"]
    headers += ["d cheap", "d mid", "d premium", "cost / 1K"]
    out.print(f"{document['prompts']} prompts", highlight=False)
    print_table(headers, rows)
    out.print(
        f"\n{len(changes)} prompts change model"
        + (":" if changes else ".")
        + ("" if len(changes) <= _SHOWN_CHANGES else f" (first {_SHOWN_CHANGES})"),
        highlight=False,
    )
    if changes:
        print_table(
            ["line", "text", *(doc["label"] for doc in document["configs"])],
            [(c["line"], svc.short(c["text"]), *c["choices"]) for c in changes[:_SHOWN_CHANGES]],
        )
    out.print(
        f"d: mean difficulty sent to the tier; cost: catalogue prices, input = context + "
        f"text/{CHARS_PER_TOKEN} tokens, output = {REPLAY_OUTPUT_TOKENS} tokens.",
        highlight=False,
    )


__all__ = ["replay_command"]


def register(app: typer.Typer) -> None:
    """``modelplane router replay`` (the router group is the read commands')."""
    router_app.command("replay")(replay_command)
