"""The playground's "Replay a prompt set" over HTTP: an uploaded JSON-lines file routed under
saved config versions, and bad lines named by line and field."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.services import router_data
from tests.replay_prompts import PROMPTS
from tests.web.conftest import Console


def _replay(console: Console, lines: list[str], fields: dict[str, Any]) -> Any:
    raw = ("\n".join(lines) + "\n").encode()
    return console.client.post(
        "/admin/auto-router/playground/replay",
        data={"csrf_token": console.csrf, **fields},
        files={"file": ("prompts.jsonl", io.BytesIO(raw), "application/x-ndjson")},
    )


def _row(html: str, marker: str) -> str:
    match = re.search(rf"<tr {marker}>(.*?)</tr>", html, re.S)
    assert match, f"no row {marker}"
    return match.group(1)


def test_two_saved_versions_show_tier_mix_and_the_changed_prompts(
    as_role: Any, runtime: Runtime
) -> None:
    quality = {
        "routerSettings": {"selectionStrategy": "quality"},
        "quality": {"premiumShare": 0.3, "cheapShare": 0.4},
    }
    router_data.update_router_config(runtime.unit_of_work, quality, "test", None, "try quality")
    console = as_role("viewer")
    page = console.get("/admin/auto-router/playground")
    assert 'id="replay-form"' in page.text and 'id="replay-v2"' in page.text
    response = _replay(console, [json.dumps(p) for p in PROMPTS * 5], {"version": ["1", "2"]})
    assert response.status_code == 200, response.text
    html = response.text
    assert "20 prompts from prompts.jsonl" in html
    v2 = _row(html, 'data-config="v2"')
    assert "quality" in v2
    tiers = dict(re.findall(r'data-tier="(\w+)">(\d+) ', v2))
    assert tiers == {"cheap": "10", "mid": "5", "premium": "5"}
    v1 = _row(html, 'data-config="v1"')
    assert "weighted-random" in v1
    assert sum(int(n) for n in re.findall(r'data-tier="\w+">(\d+) ', v1)) == 20
    assert re.search(r"data-cost>\$\d+\.\d{4}<", v1)
    changed = re.findall(r'<tr data-changed="(\d+)">(.*?)</tr>', html, re.S)
    assert changed, "the quality strategy changes no choice"
    texts = {p["text"] for p in PROMPTS}
    for index, row in changed:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        assert cells[0] == index
        assert PROMPTS[(int(index) - 1) % 4]["text"][:40] in cells[1]
        assert any(t.startswith(cells[1].rstrip("…")) for t in texts)
        assert cells[2] != cells[3]  # the choice under v1, then under v2


def test_a_bad_line_is_named_with_its_field_and_nothing_is_replayed(as_role: Any) -> None:
    console = as_role("viewer")
    lines = [json.dumps(PROMPTS[0]), json.dumps({"text": "x", "costBias": 300}), "not json"]
    response = _replay(console, lines, {"live": "1", "version": "1"})
    assert response.status_code == 422
    html = response.text
    assert 'id="replay-line-errors"' in html
    assert "<code>line 2</code>: costBias:" in html
    assert "<code>line 3</code>: not JSON" in html
    assert "replay-results" not in html


def test_one_config_alone_is_refused(as_role: Any) -> None:
    console = as_role("viewer")
    response = _replay(console, [json.dumps(PROMPTS[0])], {"live": "1"})
    assert response.status_code == 422
    assert "choose at least two configs to compare" in response.text


def _replay_with_config(console: Console, config: bytes, fields: dict[str, Any]) -> Any:
    raw = ("\n".join(json.dumps(p) for p in PROMPTS * 5) + "\n").encode()
    return console.client.post(
        "/admin/auto-router/playground/replay",
        data={"csrf_token": console.csrf, **fields},
        files={
            "file": ("prompts.jsonl", io.BytesIO(raw), "application/x-ndjson"),
            "config": ("quality.json", io.BytesIO(config), "application/json"),
        },
    )


def test_an_uploaded_config_is_compared_without_being_saved(as_role: Any, runtime: Runtime) -> None:
    document: dict[str, Any] = runtime.reader.router_config().doc().to_json()
    document["routerSettings"]["selectionStrategy"] = "quality"
    document["quality"] = {**document["quality"], "premiumShare": 0.3, "cheapShare": 0.4}
    console = as_role("viewer")
    response = _replay_with_config(console, json.dumps(document).encode(), {"live": "1"})
    assert response.status_code == 200, response.text
    row = _row(response.text, 'data-config="quality.json"')
    assert "quality" in row
    tiers = dict(re.findall(r'data-tier="(\w+)">(\d+) ', row))
    assert tiers == {"cheap": "10", "mid": "5", "premium": "5"}
    assert runtime.reader.router_config().version == 1  # nothing saved


def test_a_bad_uploaded_config_is_named_and_nothing_is_replayed(as_role: Any) -> None:
    console = as_role("viewer")
    fragment = json.dumps({"routerSettings": {"selectionStrategy": "quality"}}).encode()
    for config, said in ((fragment, "not a whole router config"), (b"{nope", "is not JSON")):
        response = _replay_with_config(console, config, {"live": "1"})
        assert response.status_code == 422
        assert said in response.text
        assert "replay-results" not in response.text
