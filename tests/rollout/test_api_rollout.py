"""Per-request sources and parity mode over the real HTTP app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.flags import UserContext, evaluate
from modelplane.services.flags import set_flag
from modelplane.services.models import update_model
from modelplane.services.rollout_report import rollout_report
from modelplane.services.router_data import update_router_config
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings

MODEL = "openai:gpt-5"


@pytest.fixture
def live(seeded: Engine, database_url: str) -> Iterator[Runtime]:
    rt = Runtime(Settings(database_url=database_url, environment="test"), live_reads=True)
    with rt.unit_of_work() as uow:
        update_model(uow, MODEL, {"pricing": {"input": 3}}, "ops", None, "a price edit")
        uow.commit()
    yield rt
    rt.close()


@pytest.fixture
def client(live: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(live)) as test_client:
        yield test_client


def set_flags(live: Runtime, **percentages: int) -> None:
    with live.unit_of_work() as uow:
        for name, percentage in percentages.items():
            set_flag(uow, name, {"enabled": True, "percentage": percentage}, "ops")
        uow.commit()


def price_for(client: TestClient, user: str) -> float:
    response = client.get(f"/api/v1/models/{MODEL}", headers={"X-Modelplane-User": user})
    return float(response.json()["pricing"]["input"])


def test_each_user_is_served_from_the_source_their_bucket_chooses(
    live: Runtime, client: TestClient
) -> None:
    set_flags(live, models_source=50)
    flag = live.live.current.flags["models_source"]
    for i in range(30):
        user = f"user-{i}"
        expected = 3 if evaluate(flag, UserContext(user)).enabled else 2.5
        assert price_for(client, user) == expected
    # Anonymous callers have no bucket: below 100% they get the static tables.
    assert client.get(f"/api/v1/models/{MODEL}").json()["pricing"]["input"] == 2.5
    by_query = client.get(f"/api/v1/models/{MODEL}", params={"userId": "user-1"}).json()
    assert by_query["pricing"]["input"] == price_for(client, "user-1")


def test_the_kill_switch_sends_everyone_back_to_the_static_tables(
    live: Runtime, client: TestClient
) -> None:
    assert price_for(client, "anyone") == 3
    with live.unit_of_work() as uow:
        set_flag(uow, "models_source", {"enabled": False}, "ops", "roll back now")
        uow.commit()
    assert price_for(client, "anyone") == 2.5


def test_parity_mode_records_price_and_routing_mismatches(
    live: Runtime, client: TestClient
) -> None:
    with live.unit_of_work() as uow:
        premium = {
            c: {"cheap": 0.0, "mid": 0.0, "premium": 1.0} for c in ("simple", "moderate", "complex")
        }
        update_router_config(uow, {"tierWeights": premium}, "ops", None)
        _, token = create_token(uow, TokenSpec(name="app", role="viewer"), "ops")
        uow.commit()
    set_flags(live, parity_shadow=100)
    assert client.get("/v1/models", headers={"X-Modelplane-User": "u1"}).status_code == 200
    body = {
        "text": "hi",
        "classification": {"primaryCategory": "conversation", "complexity": "simple"},
        # Fixed: under some seeds the static dials also land on a premium model, and the
        # same one, since both sources replay the same random numbers.
        "seed": 5,
    }
    routed = client.post("/api/v1/route", json=body, headers={"Authorization": f"Bearer {token}"})
    assert routed.status_code == 200, routed.text
    live.parity.flush()
    with live.unit_of_work() as uow:
        report = rollout_report(uow)
    # the price ops set is a deliberate edit: named apart, not counted as a mismatch
    assert "price" not in report["mismatches"]
    explained = {(e["kind"], e["modelId"]): e for e in report["explained"]}
    edit = explained["price", MODEL]["edit"]
    assert "price changed in the database by ops" in edit and edit.endswith(": a price edit")
    assert report["mismatches"].get("routing", {}).get("count") == 1, report
    example = report["mismatches"]["routing"]["examples"][0]["details"]
    assert example["static"] != example["db"]
    assert report["sources"]["db"]["requests"] == 2
    assert report["sources"]["static"]["errorRate"] == 0
