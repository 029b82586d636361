"""``modelplane router replay``: one prompt set under several configs, through the engine."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app
from modelplane.services.replay import whole_percentages
from modelplane.store.static import static_tables
from tests.replay_prompts import PROMPTS

runner = CliRunner()


def write_lines(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def quality_config(tmp_path: Path, **quality: Any) -> Path:
    doc: dict[str, Any] = static_tables().router_config.doc().to_json()
    doc["routerSettings"]["selectionStrategy"] = "quality"
    doc["quality"] = {**doc["quality"], **quality}
    path = tmp_path / "quality.json"
    path.write_text(json.dumps(doc))
    return path


def replay(database_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", database_url, "router", "replay", *args])


def test_json_compares_the_stored_config_with_a_file(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    prompts = write_lines(tmp_path / "p.jsonl", PROMPTS * 5)
    config = quality_config(tmp_path, premiumShare=0.3, cheapShare=0.4)
    result = replay(
        database_url, str(prompts), "--config-version", "1", "--config", str(config), "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["prompts"] == 20
    stored, quality = data["configs"]
    assert (stored["label"], stored["strategy"]) == ("v1", "weighted-random")
    assert quality["strategy"] == "quality"
    # "hi there" is estimated (cheap); the others carry 0.8 / 0.1 / 0.25
    assert quality["tierMix"] == {"cheap": 10, "mid": 5, "premium": 5}
    mean = quality["meanDifficulty"]
    assert (mean["mid"], mean["premium"]) == (0.25, 0.8)
    assert mean["cheap"] <= 0.2  # 0.1 given, and the estimate for "hi there"
    for run in data["configs"]:
        assert Decimal(run["costPer1kRequestsUsd"]) > 0
        assert sum(run["tierMix"].values()) == 20
    for change in data["changed"]:
        assert len(change["choices"]) == 2 and change["choices"][0] != change["choices"][1]
        assert change["text"] == PROMPTS[(change["index"] - 1) % 4]["text"]


def test_one_config_is_compared_with_the_live_one_in_a_table(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    prompts = write_lines(tmp_path / "p.jsonl", PROMPTS)
    result = replay(database_url, str(prompts), "--config", str(quality_config(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "live (v1)" in result.stdout and "quality" in result.stdout
    assert "cost / 1K" in result.stdout and "prompts change model" in result.stdout


def test_a_changed_prompt_is_named_by_its_line_in_the_file(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    prompts = write_lines(tmp_path / "p.jsonl", ["", *(json.dumps(p) + "\n" for p in PROMPTS)])
    config = quality_config(tmp_path, premiumShare=0.3, cheapShare=0.4)
    result = replay(database_url, str(prompts), "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changed"]
    assert changes, "the quality strategy moves at least one of the four prompts"
    lines = prompts.read_text().splitlines()
    for change in changes:
        # a blank line before each prompt: the i-th prompt is on line 2i
        assert change["line"] == 2 * change["index"]
        assert json.loads(lines[change["line"] - 1])["text"] == change["text"]
    table = replay(database_url, str(prompts), "--config", str(config))
    first = changes[0]
    row = next(
        line
        for line in table.stdout.splitlines()
        if line.lstrip().startswith(str(first["line"]) + " ")
    )
    assert first["choices"][0] in row


def test_files_saved_with_a_byte_order_mark_replay_like_plain_ones(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    plain = write_lines(tmp_path / "p.jsonl", PROMPTS)
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    config = quality_config(tmp_path)
    marked_config = tmp_path / "marked.json"
    marked_config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    reports = [
        replay(database_url, str(p), "--config", str(c), "--json")
        for p, c in ((plain, config), (marked, marked_config))
    ]
    assert [r.exit_code for r in reports] == [0, 0], reports[1].output
    first, second = (json.loads(r.stdout) for r in reports)
    assert first["prompts"] == second["prompts"] == len(PROMPTS)
    assert [c["tierMix"] for c in first["configs"]] == [c["tierMix"] for c in second["configs"]]


def test_a_bad_record_names_its_line_and_field_and_exits_1(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    cases = [
        (['{"text": "ok"}', '{"text": "x", "costBias": 300}'], "line 2: costBias:"),
        (['{"costBias": 3}'], "line 1: text: required"),
        (['{"text": "ok"}', "", "not json"], "line 3: not JSON"),
        (["[1, 2]"], "line 1: must be a JSON object"),
    ]
    config = str(quality_config(tmp_path))
    for rows, message in cases:
        prompts = write_lines(tmp_path / "bad.jsonl", rows)
        result = replay(database_url, str(prompts), "--config", config)
        assert result.exit_code == 1
        assert message in result.output, result.output
        assert "Traceback" not in result.output


def test_a_bad_config_file_names_the_field(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    prompts = write_lines(tmp_path / "p.jsonl", PROMPTS)
    result = replay(
        database_url, str(prompts), "--config", str(quality_config(tmp_path, premiumShare=2))
    )
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert f"{tmp_path / 'quality.json'}: quality.premiumShare" in said
    assert "configs[0]" not in said


def test_a_fragment_of_a_config_is_said_once_with_where_to_start(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    prompts = write_lines(tmp_path / "p.jsonl", PROMPTS)
    fragment = tmp_path / "fragment.json"
    fragment.write_text(json.dumps({"routerSettings": {"selectionStrategy": "quality"}}))
    result = replay(database_url, str(prompts), "--config", str(fragment))
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert f"{fragment}: not a whole router config:" in said
    assert "modelplane router config --json" in said
    assert said.count("Field required") == 0


def test_shown_tier_percentages_add_up_to_100() -> None:
    assert whole_percentages({"cheap": 49, "mid": 108, "premium": 45}) == {
        "cheap": 24,
        "mid": 54,
        "premium": 22,
    }
    assert sum(whole_percentages({"a": 1, "b": 1, "c": 1}).values()) == 100
    assert whole_percentages({"a": 0, "b": 0}) == {"a": 0, "b": 0}
