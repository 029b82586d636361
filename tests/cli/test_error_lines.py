"""A command that fails prints one line, ``error: ...``, exactly as the domain worded it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app


def _import(database_url: str, path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--database-url", database_url, "import", str(path)])
    return result.exit_code, result.stdout, result.stderr


def test_a_pattern_in_an_error_is_printed_with_its_brackets(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad-provider.json"
    path.write_text(json.dumps({"providers": [{"id": "Not Valid!", "displayName": "x"}]}))
    code, out, err = _import(database_url, path)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1
    assert "match pattern '^[a-z0-9][a-z0-9._-]*$'" in err


def test_a_broken_import_file_is_one_line_not_a_traceback(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    for name, text in [
        ("truncated.json", '{"models": ['),
        ("not-an-object.json", "[1, 2]"),
        ("deep.json", '{"models": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ]:
        path = tmp_path / name
        path.write_text(text)
        code, out, err = _import(database_url, path)
        assert code == 1, name
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1, (name, err)
        assert "Traceback" not in err


def test_markup_like_text_in_an_argument_is_not_interpreted(
    runtime: Runtime, database_url: str
) -> None:
    result = CliRunner().invoke(
        app, ["--database-url", database_url, "models", "show", "x:[bold]y[/bold]"]
    )
    assert result.exit_code == 1
    assert "x:[bold]y[/bold]" in result.stderr and result.stderr.count("\n") == 1
