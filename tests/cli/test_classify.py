"""``modelplane classify``: JSON lines in, one classification a line out, no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from modelplane.cli import app

runner = CliRunner()
LINES = (
    '{"text": "Write a haiku about autumn"}\n'
    "\n"
    '{"text": "What is in this picture?", "attachmentTypes": ["image/png"]}\n'
)


def python(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """This interpreter in a child process, as a user's shell runs it."""
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_json_lines_carry_the_api_fields_and_a_difficulty() -> None:
    result = runner.invoke(app, ["classify", "-", "--json"], input=LINES)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert {"primaryCategory", "complexity", "difficulty", "confidence"} <= set(row)
        assert 0 <= row["difficulty"] <= 1
    assert rows[1]["requiresVision"] is True


def test_every_json_line_has_the_same_keys_with_null_for_what_is_absent() -> None:
    lines = '{"text": "hello there"}\n{"text": "Prove that there are infinitely many primes."}\n'
    result = runner.invoke(app, ["classify", "--json"], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert set(rows[0]) == set(rows[1])
    assert {"secondaryCategory", "highStakesDomain", "isHighStakes"} <= set(rows[0])
    assert rows[0]["highStakesDomain"] is None


def test_the_table_has_one_row_per_record(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(LINES, "utf-8")
    result = runner.invoke(app, ["classify", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:5] == ["line", "primary", "secondary", "complexity", "difficulty"]
    assert len(lines) == 3
    assert [row.split()[0] for row in lines[1:]] == ["1", "3"]  # line 2 is blank
    assert "vision" in lines[2]


def test_a_file_saved_with_a_byte_order_mark_reads_like_one_without(tmp_path: Path) -> None:
    plain, marked = tmp_path / "plain.jsonl", tmp_path / "marked.jsonl"
    plain.write_text(LINES, "utf-8")
    marked.write_bytes("\ufeff".encode() + LINES.replace("\n", "\r\n").encode())
    answers = [runner.invoke(app, ["classify", str(p), "--json"]) for p in (plain, marked)]
    assert [a.exit_code for a in answers] == [0, 0], answers[1].output
    assert answers[1].stdout == answers[0].stdout
    assert len(answers[0].stdout.splitlines()) == 2
    piped = runner.invoke(app, ["classify", "--json"], input="\ufeff" + LINES)
    assert piped.exit_code == 0, piped.output
    assert piped.stdout == answers[0].stdout


def test_a_file_that_is_not_utf8_is_named_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"text": "caf\u00e9"}\n'.encode("latin-1"))
    result = runner.invoke(app, ["classify", str(path), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{path}: not UTF-8 text" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_empty_input_prints_nothing_and_succeeds() -> None:
    result = runner.invoke(app, ["classify", "--json"], input="")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_a_bad_record_names_its_line_and_field() -> None:
    bad = '{"text": "hi"}\n{"text": "x", "attachmentTypes": "image/png"}\n'
    result = runner.invoke(app, ["classify", "--json"], input=bad)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "line 2: attachmentTypes" in result.stderr
    assert "Traceback" not in result.stderr
    for text, expected in (
        ("not json\n", "line 1: not JSON"),
        ('{"txt": "hi"}\n', "line 1: txt: unknown field"),
        ("[1]\n", "line 1: must be a JSON object"),
        ("{}\n", "line 1: text: required"),
    ):
        result = runner.invoke(app, ["classify"], input=text)
        assert result.exit_code == 1
        assert expected in result.stderr


def test_an_unreachable_database_is_never_touched() -> None:
    env = dict(
        os.environ,
        MODELPLANE_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none",
    )
    done = python(
        ["-m", "modelplane", "classify", "--json"],
        '{"text": "Research and compare the leading vector databases"}\n',
        env,
    )
    assert done.returncode == 0, done.stderr
    (row,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert 0 <= row["difficulty"] <= 1
    assert "Traceback" not in done.stderr


def test_damaged_weights_stop_classify_and_route_with_one_line(tmp_path: Path) -> None:
    """The CLI's classifying commands refuse as the server does: one line, no traceback, and
    never a silent fallback to the conservative classification."""
    bad = tmp_path / "weights.json"
    bad.write_text("{not json", "utf-8")
    setup = (
        "import sys\n"
        "from pathlib import Path\n"
        "from modelplane.router.classification import difficulty\n"
        f"difficulty.WEIGHTS_PATH = Path({str(bad)!r})\n"
        "difficulty.DifficultyModel.load.__func__.__defaults__ = (difficulty.WEIGHTS_PATH,)\n"
        "from modelplane.cli import app\n"
    )
    env = dict(os.environ, MODELPLANE_DATABASE_URL=f"sqlite:///{tmp_path / 'never.db'}")
    for argv in (["classify", "--json"], ["route", "hello there"]):
        done = python(
            ["-c", f"{setup}app({argv!r}, prog_name='modelplane')"], '{"text": "hi"}\n', env
        )
        assert done.returncode == 1, (argv, done.stdout, done.stderr)
        assert done.stdout == ""
        (line,) = done.stderr.strip().splitlines()
        assert "cannot start" in line and "weights.json" in line
    assert not (tmp_path / "never.db").exists()
