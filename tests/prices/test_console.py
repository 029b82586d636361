"""The console's model page: its price timeline, and prices scheduled from the form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from tests.web.conftest import Console, make_users
from tests.web.test_forms import model_form

MODEL = "acme:swift-1"


@pytest.fixture
def editor_console(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Console]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    make_users(runtime)
    with TestClient(create_app(runtime)) as client:
        console = Console(client)
        assert console.sign_in("editor-user").status_code == 200
        yield console


def test_the_form_schedules_new_prices_and_the_page_shows_the_timeline(
    editor_console: Console, runtime: Runtime
) -> None:
    created = editor_console.post("/admin/models/new", model_form())
    assert created.status_code in (200, 303), created.text
    version = str(runtime.reader.get(MODEL).version)

    bad = model_form(expectedVersion=version, effectiveFrom="next week")
    refused = editor_console.post(f"/admin/models/{MODEL}/edit", bad)
    assert refused.status_code == 422
    assert "not an ISO 8601 time" in refused.text
    assert 'value="next week"' in refused.text  # what was typed is kept

    form = model_form(
        **{"pricing.input": "0.8", "expectedVersion": version},
        effectiveFrom="2031-01-01T00:00",  # a datetime-local control's value, read as UTC
    )
    saved = editor_console.post(f"/admin/models/{MODEL}/edit", form, follow_redirects=True)
    assert saved.status_code == 200
    assert "scheduled from 2031-01-01T00:00:00+00:00" in saved.text
    model = runtime.reader.get(MODEL)
    assert model.pricing.input == Decimal("0.5")  # not yet
    assert model.pricing_at(datetime(2031, 1, 2, tzinfo=UTC)).input == Decimal("0.8")

    page = editor_console.get(f"/admin/models/{MODEL}/edit").text
    assert 'id="price-timeline"' in page
    assert 'data-state="current"' in page and 'data-state="scheduled"' in page
    assert "2031-01-01T00:00:00Z" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page
    assert " style=" not in page.split('id="price-timeline"')[1]  # the CSP allows no inline style
