"""``modelplane classify [FILE|-] [--json]``: classify a batch of messages, one JSON object a
line, with the embedded classifier.

Each line is a route request's message fields (``{"text": ..., "attachmentTypes": [...],
"contextTokens": ..., "previousModelId": ...}``; only ``text`` is usual). The answer is one
classification a line in the API's camelCase (``--json``) or an aligned table. No database
is read: the categories, high-stakes domains and size dials are the bundled static tables',
so the command works on a machine with nothing configured or reachable. A bad record is
named ``line N: field: problem`` on stderr with exit status 1; nothing is printed for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from modelplane.cli.output import BOM, fail, print_table
from modelplane.domain.errors import InvalidInput
from modelplane.domain.validation import validate
from modelplane.router.classification.classifier import ClassifierContext, Message
from modelplane.router.classification.embedded import EmbeddedClassifier, require_models
from modelplane.router.classification.result import Classification
from modelplane.router.request import RouteRequest

_FIELDS = frozenset({"text", "attachmentTypes", "contextTokens", "previousModelId"})


def static_context() -> ClassifierContext:
    """The classifier's dials from the bundled static tables (no database)."""
    from modelplane.store.static import static_tables

    tables = static_tables()
    config = tables.router_config
    s = config.router_settings
    return ClassifierContext(
        categories=tuple(c.id for c in tables.categories),
        domains=tuple(config.high_stakes_domains),
        long_context_threshold=s.long_context_threshold,
        context_buffer=s.context_buffer,
        router_model=s.router_model_id,
        temperature=s.classifier_temperature,
        timeout_seconds=s.classifier_timeout_seconds,
        max_retries=s.max_retries,
    )


def parse_line(number: int, line: str) -> Message:
    """One record as a classifier's message, or ``ValueError("line N: field: problem")``."""
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {number}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError(f"line {number}: must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"line {number}: {unknown[0]}: unknown field")
    if "text" not in data:
        raise ValueError(f"line {number}: text: required")
    try:
        request = validate(RouteRequest, data)
    except InvalidInput as exc:
        raise ValueError(f"line {number}: {exc.errors[0]}") from None
    return Message(
        text=request.text,
        attachment_types=tuple(request.attachment_types),
        context_tokens=request.context_tokens,
        has_previous_model=request.previous_model_id is not None,
    )


def records(lines: Iterable[str]) -> Iterator[tuple[int, Message]]:
    """Every non-blank line as its number and a message; a byte-order mark before the first
    is skipped."""
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(BOM)
        if line.strip():
            yield number, parse_line(number, line)


def classify_command(
    source: Annotated[
        str,
        typer.Argument(
            help="A JSON-lines file, or - for standard input.",
            show_default=False,
            metavar="FILE|-",
        ),
    ] = "-",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON lines (the API's camelCase).")
    ] = False,
) -> None:
    """Classify one message per JSON line: category, complexity, difficulty, needs."""
    stream: TextIO
    if source == "-":
        stream = sys.stdin
    else:
        try:
            stream = Path(source).open(encoding="utf-8")  # noqa: SIM115 (closed below)
        except OSError as exc:
            fail(f"{source}: {exc.strerror or exc}")
    try:
        messages = list(records(stream))
    except UnicodeDecodeError:  # before ValueError, which it is a kind of
        fail(f"{'standard input' if source == '-' else source}: not UTF-8 text")
    except ValueError as exc:
        fail(str(exc))
    finally:
        if stream is not sys.stdin:
            stream.close()
    if not messages:
        return
    require_models()  # damaged classifier weights: one line, as the server says it
    classifier, context = EmbeddedClassifier(), static_context()
    results = [(n, classifier.classify(m, context)) for n, m in messages]
    if as_json:
        sys.stdout.write(
            "".join(json.dumps(c.to_record(), ensure_ascii=False) + "\n" for _, c in results)
        )
    else:
        _print(results)


def _print(results: list[tuple[int, Classification]]) -> None:
    rows = [
        (
            n,
            c.primary_category,
            c.secondary_category or "",
            c.complexity,
            f"{c.difficulty:.3f}",
            f"{c.confidence:.2f}",
            ",".join(
                need
                for need, on in (
                    ("vision", c.requires_vision),
                    ("long-context", c.requires_long_context),
                    ("reasoning", c.requires_reasoning),
                )
                if on
            ),
            c.high_stakes_domain or "",
        )
        for n, c in results
    ]
    headers = ["line", "primary", "secondary", "complexity", "difficulty", "confidence", "needs"]
    print_table([*headers, "high stakes"], rows)


__all__ = ["classify_command", "parse_line", "static_context"]
