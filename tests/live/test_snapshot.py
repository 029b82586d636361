"""The live snapshot in one process: fresh after every write, never torn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services.models import update_model
from modelplane.settings import Settings
from modelplane.store.unit_of_work import UnitOfWork
from tests.support import ServerProcess, wait_until

MODEL = "openai:gpt-5"


@pytest.fixture
def live_runtime(seeded: Engine, database_url: str) -> Iterator[Runtime]:
    settings = Settings(database_url=database_url, sqlite_poll_interval_ms=20, environment="test")
    rt = Runtime(settings, live_reads=True)
    yield rt
    rt.close()


@pytest.fixture
def live_client(live_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(live_runtime)) as client:
        yield client


def set_price(engine: Engine, value: float, reason: str = "test") -> int:
    with UnitOfWork(engine) as uow:
        update_model(uow, MODEL, {"pricing": {"input": value}}, "tester", None, reason)
        uow.commit()
    assert uow.last_sequence is not None
    return uow.last_sequence


def test_a_write_in_this_process_is_read_back_at_once(live_runtime: Runtime) -> None:
    before = live_runtime.reader.get(MODEL).pricing.input
    with live_runtime.unit_of_work() as uow:
        update_model(uow, MODEL, {"pricing": {"input": 7}}, "tester", None)
        uow.commit()
    assert before == 2.5
    assert live_runtime.reader.get(MODEL).pricing.input == 7


def test_a_write_from_elsewhere_reaches_the_snapshot(live_runtime: Runtime, seeded: Engine) -> None:
    assert live_runtime.reader.get(MODEL).pricing.input == 2.5
    sequence = set_price(seeded, 4)  # another engine: as if another process wrote
    assert live_runtime.live.wait_for(sequence, timeout=10)
    assert live_runtime.reader.get(MODEL).pricing.input == 4


def test_responses_carry_the_sequence_and_collections_answer_304(
    live_client: TestClient, seeded: Engine, live_runtime: Runtime
) -> None:
    first = live_client.get("/api/v1/models")
    sequence = int(first.headers["X-Modelplane-Sequence"])
    assert first.headers["ETag"] == f'"s{sequence}"'
    again = live_client.get("/api/v1/models", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""

    new_sequence = set_price(seeded, 9)
    assert live_runtime.live.wait_for(new_sequence, timeout=10)
    changed = live_client.get("/api/v1/models", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert int(changed.headers["X-Modelplane-Sequence"]) == new_sequence


def test_no_reader_sees_a_price_from_one_version_with_capabilities_from_another(
    live_client: TestClient, live_runtime: Runtime
) -> None:
    # Each version pairs an input price with a capability list: odd prices have vision.
    def version_doc(i: int) -> dict[str, object]:
        caps = ["vision", "thinking"] if i % 2 else ["function-calling"]
        return {"pricing": {"input": i, "output": i * 2}, "capabilities": caps}

    with live_runtime.unit_of_work() as uow:
        update_model(uow, MODEL, version_doc(0), "writer", None)
        uow.commit()
    stop = threading.Event()
    torn: list[str] = []

    def read() -> None:
        while not stop.is_set():
            for model in live_client.get("/api/v1/models", params={"provider": "openai"}).json()[
                "data"
            ]:
                if model["id"] != MODEL:
                    continue
                price, caps = model["pricing"], model["capabilities"]
                if price["output"] != price["input"] * 2 or (price["input"] % 2 == 1) != (
                    "vision" in caps
                ):
                    torn.append(f"{price} {caps}")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(1, 41):
            with live_runtime.unit_of_work() as uow:
                update_model(uow, MODEL, version_doc(i), "writer", None)
                uow.commit()
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert torn == []
    assert live_runtime.reader.get(MODEL).pricing.input == 40


def test_change_stream_and_watch_report_each_change(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(database_url, tmp_path, MODELPLANE_SQLITE_POLL_INTERVAL_MS="20")
    try:
        events: list[str] = []
        ready = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", f"{server.url}/api/v1/events", timeout=20) as response:
                for line in response.iter_lines():
                    if line.startswith("event: hello"):
                        ready.set()
                    if line.startswith("data: ") and '"kind"' in line:
                        events.append(line)
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert ready.wait(10)
        sequence = set_price(seeded, 11)
        listener.join(15)
        assert events == [f'data: {{"sequence": {sequence}, "kind": "model", "ids": ["{MODEL}"]}}']
        wait_until(lambda: server.get(f"/api/v1/models/{MODEL}").json()["pricing"]["input"] == 11)
    finally:
        server.stop()


def test_a_model_edit_elsewhere_is_applied_incrementally_and_equals_a_full_reload(
    live_runtime: Runtime, seeded: Engine
) -> None:
    from modelplane.live.snapshot import load_snapshot
    from modelplane.services.router_data import get_profile, put_profile

    before = live_runtime.live.current
    sequence = set_price(seeded, 6)
    assert live_runtime.live.wait_for(sequence, timeout=10)
    after = live_runtime.live.current
    assert after.router_config is before.router_config  # shared: only the model was re-read
    assert after.models["openai:gpt-5"].pricing.input == 6
    full = load_snapshot(seeded)
    assert after.sequence == full.sequence
    assert dict(after.models) == dict(full.models)
    assert dict(after.model_json) == dict(full.model_json)
    assert after.ordered_ids == full.ordered_ids

    with UnitOfWork(seeded) as uow:  # a profile edit: incremental too (tests/live/test_incremental)
        profile = get_profile(uow, MODEL)
        scores = {**profile.category_scores, "coding": 1}
        spec = profile.spec().model_copy(update={"category_scores": scores})
        put_profile(uow, spec, "tester", profile.version)
        uow.commit()
    assert live_runtime.live.wait_for(uow.last_sequence or 0, timeout=10)
    current = live_runtime.live.current
    assert current.router_config is before.router_config
    assert current.profiles[MODEL].category_scores["coding"] == 1
    assert dict(current.profiles) == dict(load_snapshot(seeded).profiles)
