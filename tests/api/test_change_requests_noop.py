"""Restoring a document to the version it already is, under a policy that asks for
approvers: nothing to change, said plainly (422 naming ``version``), and no request."""

from __future__ import annotations

from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]
FLAG = "/api/v1/flags/parity_shadow"


def test_a_restore_to_the_current_version_under_a_policy_is_nothing_to_change(
    client: TestClient, headers: H
) -> None:
    editor = headers["editor"]
    for version, share in ((0, 5), (1, 40)):
        body = {"percentage": share, "expectedVersion": version, "reason": "step"}
        assert client.patch(FLAG, json=body, headers=editor).status_code == 200
    policy = {"approvers": 1, "role": "editor"}
    client.put("/api/v1/approval-policies/flag", json=policy, headers=headers["admin"])

    same = client.post(
        f"{FLAG}/rollback", json={"version": 2, "expectedVersion": 2}, headers=editor
    )
    assert same.status_code == 422, same.text
    assert "nothing to change" in same.text and "version" in same.text
    assert "change request" in same.text and "needed" in same.text
    assert client.get("/api/v1/change-requests", headers=editor).json()["count"] == 0

    real = client.post(
        f"{FLAG}/rollback", json={"version": 1, "expectedVersion": 2}, headers=editor
    )
    assert real.status_code == 409 and real.json()["changeRequests"] == "/api/v1/change-requests"
