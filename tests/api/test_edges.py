"""Edges found in review: huge version numbers and search filters over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/openai:gpt-5/history/99999999999999999999",
        "/api/v1/router/config/history/99999999999999999999",
        "/api/v1/router/profiles/openai:gpt-5/history/99999999999999999999",
    ],
)
def test_a_huge_version_number_is_a_named_422_not_a_500(
    client: TestClient, headers: H, path: str
) -> None:
    response = client.get(path, headers=headers["viewer"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"].endswith("version")


def test_search_over_http_takes_the_list_filters(client: TestClient) -> None:
    everything = client.get("/api/v1/models/search", params={"q": "gpt"}).json()["data"]
    thinking = client.get(
        "/api/v1/models/search", params={"q": "gpt", "capability": "thinking"}
    ).json()["data"]
    assert 0 < len(thinking) < len(everything)
    assert all("thinking" in m["capabilities"] for m in thinking)
