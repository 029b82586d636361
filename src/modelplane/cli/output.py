"""How every ``modelplane`` command prints: JSON, tables, and one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from modelplane.domain.errors import ModelplaneError, NotFound

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")]


def fail(message: str) -> NoReturn:
    """``error: MESSAGE`` on stderr, exit status 1. The message is printed as it is: rich
    markup would swallow bracketed text such as a pattern's ``[a-z0-9]``."""
    err.print(Text.assemble(("error:", "red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(1)


BOM = "\ufeff"
"""The byte-order mark some Windows editors put before a UTF-8 file's first line."""


def read_text(path: Path | str) -> str:
    """A file the user named, as text: UTF-8, with or without the byte-order mark that some
    Windows editors write first. A file that cannot be read, or is not UTF-8, fails with one
    line naming it."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Domain errors become one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except NotFound as exc:
        fail(str(exc))
    except ModelplaneError as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for i, header in enumerate(headers):
        # Every column keeps its full values; only the last may wrap when the line is long.
        last = i == len(headers) - 1
        table.add_column(header, no_wrap=not last, overflow="fold" if last else "ignore")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


def show_value(value: Any) -> str:
    """A table cell for a document value: JSON for lists, objects, booleans and null."""
    return (
        json.dumps(value) if isinstance(value, list | dict | bool) or value is None else str(value)
    )
