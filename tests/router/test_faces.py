"""The route's two faces end to end: ``POST /api/v1/route`` and ``modelplane route``."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.router.classification.difficulty import estimate
from modelplane.services.tokens import TokenSpec, create_token

CODING = {"primaryCategory": "coding", "complexity": "complex"}


def viewer_headers(runtime: Runtime, name: str = "router-viewer") -> dict[str, str]:
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name=name, role="viewer"), "test")
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_routes_a_message_for_any_valid_token(client: TestClient, runtime: Runtime) -> None:
    body = {"text": "write a parser", "classification": CODING, "seed": 3, "costBias": 40}
    response = client.post("/api/v1/route", json=body, headers=viewer_headers(runtime))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["selectedModelId"] in {c["modelId"] for c in data["candidates"]}
    assert data["classification"]["primaryCategory"] == "coding"
    assert {"isSticky", "explorationPick", "reasoning", "configVersion", "profilesVersion"} <= set(
        data
    )
    terms = data["candidates"][0]["breakdown"]
    assert {"base", "secondary", "complexityMultiplier", "costPenalty", "speedBonus"} <= set(terms)
    other_token = viewer_headers(runtime, "router-viewer-2")
    again = client.post("/api/v1/route", json=body, headers=other_token)
    assert again.json()["selectedModelId"] == data["selectedModelId"], "same seed, same pick"


def test_a_given_classification_without_a_difficulty_gets_the_texts_estimate(
    client: TestClient, runtime: Runtime
) -> None:
    headers = viewer_headers(runtime)
    said = {}
    for text in ("hi", "Prove that every bounded monotone sequence of reals converges."):
        body = {"text": text, "classification": CODING, "seed": 1}
        response = client.post("/api/v1/route", json=body, headers=headers)
        assert response.status_code == 200, response.text
        said[text] = response.json()["classification"]["difficulty"]
        assert said[text] == round(estimate(text), 3)
    assert len(set(said.values())) == 2
    given = {"text": "hi", "classification": {**CODING, "difficulty": 0.9}, "seed": 1}
    answer = client.post("/api/v1/route", json=given, headers=headers).json()
    assert answer["classification"]["difficulty"] == 0.9  # a caller's own figure stands


def test_api_route_needs_a_token(client: TestClient) -> None:
    assert client.post("/api/v1/route", json={"text": "hi"}).status_code == 401


def test_api_refuses_an_unknown_category_by_name(client: TestClient, runtime: Runtime) -> None:
    body = {"text": "x", "classification": {**CODING, "primaryCategory": "astrology"}}
    response = client.post("/api/v1/route", json=body, headers=viewer_headers(runtime))
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "primaryCategory"


def test_api_all_models_exhausted_is_503(client: TestClient, runtime: Runtime) -> None:
    body = {
        "text": "x",
        "classification": {**CODING, "requiresVision": True},
        "contextTokens": 5_000_000,
        "exclude": ["openai:gpt-5-mini"],
    }
    response = client.post("/api/v1/route", json=body, headers=viewer_headers(runtime))
    assert response.status_code == 503
    assert "all models exhausted" in response.text


def test_cli_json_has_the_api_shape(runtime: Runtime, database_url: str) -> None:
    args = [
        "--database-url", database_url, "route", "Fix this Python bug", "--json",
        "--classification-json", json.dumps({**CODING, "recommendedAction": "keep"}),
        "--previous-model", "openai:gpt-5", "--context-tokens", "1000",
        "--cost-bias", "20", "--speed-bias", "30", "--exclude", "openai:gpt-5-mini",
        "--exclude", "openai:gpt-5-nano", "--attachment-type", "text/plain", "--seed", "9",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["isSticky"] and data["selectedModelId"] == "openai:gpt-5"
    ids = {c["modelId"] for c in data["candidates"]}
    assert "openai:gpt-5-mini" not in ids and "openai:gpt-5-nano" not in ids


def test_cli_prints_a_table_the_choice_and_the_reasoning(
    runtime: Runtime, database_url: str
) -> None:
    args = ["--database-url", database_url, "route", "hello there", "--seed", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "chosen: " in result.stdout and "Classified as" in result.stdout
    assert "model" in result.stdout.splitlines()[0] and "score" in result.stdout.splitlines()[0]


def test_cli_bad_classification_json_exits_1(runtime: Runtime, database_url: str) -> None:
    args = ["--database-url", database_url, "route", "x", "--classification-json", "{nope"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "not JSON" in result.output


def test_api_lists_the_top_five_by_default_and_everything_on_request(
    client: TestClient, runtime: Runtime
) -> None:
    headers = viewer_headers(runtime)
    body = {"text": "write a parser", "classification": CODING, "seed": 3}
    top = client.post("/api/v1/route", json=body, headers=headers).json()
    everything = client.post("/api/v1/route?candidates=all", json=body, headers=headers).json()
    in_body = client.post(
        "/api/v1/route", json={**body, "candidates": "all"}, headers=headers
    ).json()
    assert everything["candidates"] == in_body["candidates"]
    full = everything["candidates"]
    assert len(full) == everything["candidateCount"] == top["candidateCount"] > 30
    chosen = top["selectedModelId"]
    assert [c["modelId"] for c in full].index(chosen) + 1 == top["selectedRank"]
    listed = [c["modelId"] for c in top["candidates"]]
    assert listed[:5] == [c["modelId"] for c in full[:5]]
    assert top["candidates"][:5] == full[:5], "the same breakdowns"
    assert chosen in listed and len(listed) == (5 if top["selectedRank"] <= 5 else 6)
    refused = client.post("/api/v1/route?candidates=some", json=body, headers=headers)
    assert refused.status_code == 422


def test_api_route_refuses_bad_bodies_naming_the_field(
    client: TestClient, runtime: Runtime
) -> None:
    """The route reads its body itself (``routes/route.py``); each refusal is the same
    problem as any other route's, with the offending part named."""
    headers = viewer_headers(runtime)
    broken = client.post(
        "/api/v1/route",
        content=b'{"text": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["message"].startswith("not JSON: ")
    empty = client.post("/api/v1/route", headers=headers)
    assert empty.status_code == 422
    assert empty.json()["errors"] == [{"path": "", "message": "Field required"}]
    unknown = client.post("/api/v1/route", json={"text": "hi", "colour": "red"}, headers=headers)
    assert unknown.status_code == 422
    assert [e["path"] for e in unknown.json()["errors"]] == ["colour"]
    typed = client.post("/api/v1/route", json={"text": "hi", "seed": "seven"}, headers=headers)
    assert [e["path"] for e in typed.json()["errors"]] == ["seed"]
    both = client.post("/api/v1/route?candidates=some", json={"seed": "x"}, headers=headers)
    assert both.status_code == 422
    assert {e["path"] for e in both.json()["errors"]} == {"query.candidates", "seed"}
    as_text = client.post(
        "/api/v1/route", content=b"hello", headers={**headers, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 422
    unauthenticated = client.post("/api/v1/route", content=b"{nope")
    assert unauthenticated.status_code == 401, "the token is checked before the body"


def test_the_openapi_document_still_describes_the_route(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/route"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RouteRequest"}
    assert [p["name"] for p in operation["parameters"]] == ["candidates"]
    assert operation["security"] == [{"HTTPBearer": []}]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].startswith("#/components/schemas/RouteDecision")
