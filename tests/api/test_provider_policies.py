"""A model provider's own approval policy (kind ``model:<provider>``): it governs that
provider's models in place of the model kind's, for direct writes, change requests and
syncs alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]
POLICIES = "/api/v1/approval-policies"
OPENAI, ANTHROPIC = "openai:gpt-5", "anthropic:claude-sonnet-4"
SOURCE = (Path(__file__).parents[1] / "sync" / "fixtures" / "litellm.json").read_bytes()


def _put(client: TestClient, headers: H, kind: str, n: int) -> Any:
    return client.put(
        f"{POLICIES}/{kind}", json={"approvers": n, "role": "editor"}, headers=headers["admin"]
    )


def _patch(client: TestClient, headers: H, model_id: str) -> Any:
    version = client.get(f"/api/v1/models/{model_id}").json()["version"]
    body = {"description": "reviewed", "expectedVersion": version}
    return client.patch(f"/api/v1/models/{model_id}", json=body, headers=headers["editor"])


def test_a_providers_policy_comes_before_the_model_kinds(client: TestClient, headers: H) -> None:
    set_ = _put(client, headers, "model:openai", 1)
    assert set_.status_code == 200, set_.text
    assert (set_.json()["kind"], set_.json()["version"]) == ("model:openai", 1)
    listed = client.get(POLICIES, headers=headers["viewer"]).json()["data"]
    assert listed[-1]["kind"] == "model:openai" and listed[-1]["approvers"] == 1

    refused = _patch(client, headers, OPENAI)
    assert refused.status_code == 409, refused.text
    assert "model:openai changes need 1 approval" in refused.json()["detail"]
    assert _patch(client, headers, ANTHROPIC).status_code == 200  # the model kind's: 0

    # The model kind asks for two; anthropic's own policy says none, and wins for it.
    assert _put(client, headers, "model", 2).status_code == 200
    assert _put(client, headers, "model:anthropic", 0).status_code == 200
    assert _patch(client, headers, ANTHROPIC).status_code == 200
    mistral = _patch(client, headers, "mistral:mistral-large-3")  # no policy of its own
    assert mistral.status_code == 409 and "model changes need 2" in mistral.json()["detail"]
    opened = client.post(
        "/api/v1/change-requests",
        json={
            "title": "describe",
            "changes": [
                {
                    "kind": "model",
                    "id": OPENAI,
                    "patch": {"description": "reviewed"},
                    "expectedVersion": client.get(f"/api/v1/models/{OPENAI}").json()["version"],
                }
            ],
        },
        headers=headers["editor"],
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["approvalsNeeded"] == 1 and opened.json()["state"] == "pending"


def test_a_sync_answers_to_the_policy_of_each_provider_it_writes(
    client: TestClient, headers: H
) -> None:
    assert _put(client, headers, "model:gemini", 3).status_code == 422  # no such provider yet
    assert _put(client, headers, "model:anthropic", 2).status_code == 200
    sent = {**headers["admin"], "Content-Type": "application/json"}
    preview = client.post("/api/v1/sync?source=litellm&dryRun=true", content=SOURCE, headers=sent)
    assert preview.json()["approvalsNeeded"] == 2, preview.text
    direct = client.post("/api/v1/sync?source=litellm", content=SOURCE, headers=sent)
    assert direct.status_code == 409 and "model:anthropic" in direct.json()["detail"]
    opened = client.post(
        "/api/v1/sync?source=litellm&changeRequest=true&title=weekly", content=SOURCE, headers=sent
    )
    assert opened.status_code == 201 and opened.json()["approvalsNeeded"] == 2


def test_bad_policy_kinds_are_named(client: TestClient, headers: H) -> None:
    typo = _put(client, headers, "model:opnai", 1)
    assert typo.status_code == 422
    (error,) = typo.json()["errors"]
    assert error["path"] == "kind" and "did you mean" in error["message"]
    assert "openai" in error["message"]
    other = _put(client, headers, "router_config:x", 1)
    assert other.status_code == 422 and other.json()["errors"][0]["path"] == "kind"
    assert "model:<provider>" in other.json()["errors"][0]["message"]
