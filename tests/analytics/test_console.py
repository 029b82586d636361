"""The console's analytics page: charts, numbers and CSV downloads, for any signed-in user."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.services.users import UserSpec, create_user

PASSWORD = "a long enough password"
WINDOW = "since=2026-03-01&until=2026-03-03"


def _sign_in(client: TestClient, runtime: Runtime, role: str = "viewer") -> None:
    with runtime.unit_of_work() as uow:
        spec = UserSpec(username=f"{role}-u", role=role, password=PASSWORD)
        create_user(uow, spec, "test", hashing=runtime.settings.password_hashing)
        uow.commit()
    page = client.get("/admin/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    response = client.post(
        "/admin/login",
        data={"csrf_token": match.group(1), "username": f"{role}-u", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_the_page_needs_a_signed_in_user(client: TestClient) -> None:
    response = client.get("/admin/analytics", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


def test_a_viewer_sees_svg_charts_with_their_numbers_beside_them(
    client: TestClient, dataset: Runtime
) -> None:
    _sign_in(client, dataset)
    response = client.get(f"/admin/analytics?{WINDOW}")
    assert response.status_code == 200
    html = response.text
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 7
    assert "<title>2026-03-01: $0.02295</title>" in html  # a point of the daily cost line
    assert '<td class="num">$0.02295</td>' in html  # the daily table
    assert "6 decisions" in html and "exploration 33.3%" in html
    assert 'href="/admin/analytics?since=2026-03-01&amp;until=2026-03-03&amp;table=daily' in html


def test_latency_is_drawn_as_percentile_lines_per_day(client: TestClient, dataset: Runtime) -> None:
    _sign_in(client, dataset)
    html = client.get(f"/admin/analytics?{WINDOW}").text
    assert "p95 latency by model" not in html  # the old one-bar-per-model chart
    assert "Latency percentiles per day" in html
    for p in ("p50", "p95", "p99"):
        assert f'data-series="{p}"' in html or f"<title>{p}, 2026-03-0" in html
    assert ">Latency (ms)</text>" in html and ">Day (UTC)</text>" in html


def test_each_table_downloads_as_csv(client: TestClient, dataset: Runtime) -> None:
    _sign_in(client, dataset)
    response = client.get(f"/admin/analytics?{WINDOW}&table=top-models&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["model", "provider", "requests", "errors", "tokens", "cost_usd"],
        ["openai:gpt-5", "openai", "3", "0", "5520", "0.022875"],
        ["anthropic:claude-haiku-4.5", "anthropic", "2", "1", "720", "0.0016"],
        ["google:gemini-2.5-flash", "google", "1", "0", "2100", "0.00371"],
    ]
    tiers = client.get(f"/admin/analytics?{WINDOW}&table=tier-mix&format=csv").text
    assert "simple,cheap,2,0.6666666666666666,0.6" in tiers
    assert client.get(f"/admin/analytics?{WINDOW}&table=nope&format=csv").status_code == 404


def test_a_bad_window_is_shown_on_the_page(client: TestClient, runtime: Runtime) -> None:
    _sign_in(client, runtime)
    response = client.get("/admin/analytics?since=2026-03-05&until=2026-03-01")
    assert response.status_code == 422
    assert "must not be after until" in response.text
