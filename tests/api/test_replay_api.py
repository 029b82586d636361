"""``POST /api/v1/router/replay``: the CLI's and the playground's replay over HTTP."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from modelplane.store.static import static_tables

PROMPTS = [
    {"text": "hi there"},
    {
        "text": "Prove that the merge step is linear",
        "classification": {"primaryCategory": "reasoning", "complexity": "complex"},
    },
    {"text": "What is the capital of France?"},
]


def quality() -> dict[str, Any]:
    doc: dict[str, Any] = static_tables().router_config.doc().to_json()
    doc["routerSettings"]["selectionStrategy"] = "quality"
    return doc


def test_a_replay_compares_the_live_config_with_a_document_and_writes_nothing(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    before = client.get("/api/v1/router/config/history", headers=headers["viewer"]).json()
    answer = client.post(
        "/api/v1/router/replay",
        json={"prompts": PROMPTS, "configs": [quality()]},
        headers=headers["viewer"],
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["prompts"] == 3
    live, other = report["configs"]
    assert live["label"] == "live (v1)" and live["strategy"] == "weighted-random"
    assert other["label"] == "configs[0]" and other["strategy"] == "quality"
    assert sum(other["tierMix"].values()) == 3
    assert float(other["costPer1kRequestsUsd"]) > 0
    for change in report["changed"]:
        assert 1 <= change["index"] <= 3 and len(change["choices"]) == 2
    after = client.get("/api/v1/router/config/history", headers=headers["viewer"]).json()
    assert after == before


def test_json_lines_and_stored_versions_give_the_same_report_as_a_list(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    lines = "\n".join(json.dumps(p) for p in PROMPTS)
    as_lines = client.post(
        "/api/v1/router/replay",
        json={"prompts": lines, "configVersions": [1], "live": True},
        headers=headers["viewer"],
    )
    as_list = client.post(
        "/api/v1/router/replay",
        json={"prompts": PROMPTS, "configVersions": [1, 1], "live": True},
        headers=headers["viewer"],
    )
    assert as_lines.status_code == as_list.status_code == 200, as_lines.text
    assert as_lines.json() == as_list.json()
    assert [c["label"] for c in as_list.json()["configs"]] == ["live (v1)", "v1"]
    assert as_list.json()["changed"] == []  # the same config twice changes nothing


def test_bad_input_names_each_field_and_line(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    broken = quality()
    broken["costTiers"]["cheapThreshold"] = "cheap"
    answer = client.post(
        "/api/v1/router/replay",
        json={
            "prompts": [{"text": "ok"}, {"txt": "typo"}, "hello"],
            "configVersions": [0],
            "configs": [broken],
            "live": "yes",
            "extra": 1,
        },
        headers=headers["viewer"],
    )
    assert answer.status_code == 422, answer.text
    paths = {e["path"] for e in answer.json()["errors"]}
    assert {"prompts[1]", "prompts[2]", "configVersions[0]", "live", "extra"} <= paths
    assert any(p.startswith("configs[0].costTiers") for p in paths), paths
    lines = client.post(
        "/api/v1/router/replay",
        json={"prompts": '{"text": "a"}\nnot json', "configVersions": [1]},
        headers=headers["viewer"],
    )
    assert lines.status_code == 422
    assert lines.json()["errors"][0]["path"] == "prompts (line 2)"
    unknown = client.post(
        "/api/v1/router/replay",
        json={"prompts": PROMPTS, "configVersions": [99]},
        headers=headers["viewer"],
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["path"] == "configVersions"
    alone = client.post(
        "/api/v1/router/replay",
        json={"prompts": PROMPTS, "live": False, "configVersions": [1]},
        headers=headers["viewer"],
    )
    assert alone.status_code == 422
    assert alone.json()["errors"][0]["path"] == "configs"
