"""The whole LiteLLM chat catalogue, end to end, on SQLite and PostgreSQL.

For each backend: a fresh migrated, seeded database (61 models); each read measured at that
size; then ``modelplane sync litellm`` of the real LiteLLM file (from the ``litellm`` wheel on
the package registry, see ``bench/litellm_file.py``) timed as one apply; then the same
reads at the synced size, side by side:

- ``GET /api/v1/models`` (the whole list), ``GET /api/v1/models/search?q=gpt``,
  ``GET /v1/models``, ``GET /admin/models`` (the console's models page, signed in), and
  ``POST /api/v1/route``: the real HTTP app in process, median of ``--runs`` calls;
- snapshot reload: ``load_snapshot`` (every table read and the router compiled), median;
- propagation: a price edit committed, until a second live catalogue on the same database
  (as another process has) serves it, p50/p99 of ``--edits`` edits.

    uv run python -m bench.sync_scale [--runs 20] [--edits 30] [--backends sqlite,postgresql]

Target: the apply of ~3,000 new models <= 10 s on each backend.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from bench.common import Database, summary
from bench.litellm_file import litellm_prices
from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.access import UserSpec
from modelplane.live.catalog import LiveCatalog
from modelplane.live.snapshot import load_snapshot
from modelplane.services import models as model_svc
from modelplane.services import sync as sync_svc
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.services.users import create_user
from modelplane.settings import Settings

PASSWORD = "bench-password-1234"


def median_ms(call: Callable[[], Any], runs: int) -> float:
    call()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def reads(rt: Runtime, client: TestClient, token: str, runs: int) -> dict[str, float]:
    auth = {"Authorization": f"Bearer {token}"}

    def ok(response: Any) -> None:
        assert response.status_code == 200, response.text[:200]

    figures = {
        "GET /api/v1/models": median_ms(lambda: ok(client.get("/api/v1/models")), runs),
        "search q=gpt": median_ms(
            lambda: ok(client.get("/api/v1/models/search?q=gpt&limit=50")), runs
        ),
        "GET /v1/models": median_ms(lambda: ok(client.get("/v1/models")), runs),
        "console /admin/models": median_ms(lambda: ok(client.get("/admin/models")), runs),
        "POST /api/v1/route": median_ms(
            lambda: ok(
                client.post(
                    "/api/v1/route",
                    json={"text": "write a haiku about the sea", "seed": 1},
                    headers=auth,
                )
            ),
            runs,
        ),
        "snapshot reload": median_ms(lambda: load_snapshot(rt.engine), max(3, runs // 4)),
    }
    return figures


def propagation(rt: Runtime, edits: int) -> dict[str, Any]:
    other = LiveCatalog(rt.engine, poll_interval=rt.settings.sqlite_poll_interval_ms / 1000)
    other.start()
    try:
        delays = []
        model = "openai:gpt-5-mini"
        for i in range(edits):
            price = Decimal("0.25") + Decimal(i + 1) / 1000
            start = time.perf_counter()
            model_svc.update_model(
                rt.unit_of_work, model, {"pricing": {"input": float(price)}}, "bench", None
            )
            deadline = start + 10
            while time.perf_counter() < deadline:
                seen = other.current.models.get(model)
                if seen is not None and seen.pricing.input == price:
                    break
                time.sleep(0.001)
            delays.append((time.perf_counter() - start) * 1000)
        return summary(delays)
    finally:
        other.stop()


def run_backend(backend: str, runs: int, edits: int, raw: bytes) -> dict[str, Any]:
    database = Database(backend)
    rt = Runtime(Settings(database_url=database.url, environment="test"), live_reads=True)
    try:
        with rt.unit_of_work() as uow:
            _, token = create_token(uow, TokenSpec(name="bench", role="admin"), "bench")
            uow.commit()
        spec = UserSpec(username="bench-admin", role="admin", password=PASSWORD)
        create_user(rt.unit_of_work, spec, "bench", hashing=rt.settings.password_hashing)
        with TestClient(create_app(rt)) as client:
            sign_in(client)
            before = reads(rt, client, token, runs)
            before_models = len(rt.reader.models())
            before_prop = propagation(rt, edits)
            options = sync_svc.SyncOptions("litellm", "litellm wheel")
            start = time.perf_counter()
            report = sync_svc.sync(rt.unit_of_work, options, "bench", raw=raw)
            apply_s = time.perf_counter() - start
            rt.live.refresh(force=True)
            after_models = len(rt.reader.models())
            after = reads(rt, client, token, runs)
            after_prop = propagation(rt, edits)
        return {
            "apply_s": apply_s,
            "created": len(report.created),
            "updated": len(report.updated),
            "models": (before_models, after_models),
            "reads": (before, after),
            "propagation": (before_prop, after_prop),
        }
    finally:
        rt.close()
        database.close()


def sign_in(client: TestClient) -> None:
    page = client.get("/admin/login")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    csrf = page.text[start : page.text.index('"', start)]
    answer = client.post(
        "/admin/login",
        data={"csrf_token": csrf, "username": "bench-admin", "password": PASSWORD},
    )
    assert answer.status_code in (200, 303), answer.text[:300]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    raw = litellm_prices().read_bytes()
    for backend in args.backends.split(","):
        result = run_backend(backend, args.runs, args.edits, raw)
        small, large = result["models"]
        print(
            f"\n== {backend}: sync apply {result['apply_s']:.2f} s (target <= 10 s), "
            f"created {result['created']}, updated {result['updated']}"
        )
        print(f"{'measure (median ms)':<28}{small:>10} models{large:>10} models{'ratio':>9}")
        before, after = result["reads"]
        for key in before:
            ratio = after[key] / before[key] if before[key] else float("nan")
            print(f"{key:<28}{before[key]:>17.2f}{after[key]:>17.2f}{ratio:>9.1f}")
        p_before, p_after = result["propagation"]
        for label in ("p50", "p99", "max"):
            print(
                f"{'propagation ' + label:<28}{p_before[label]:>17.1f}{p_after[label]:>17.1f}"
                f"{p_after[label] / p_before[label]:>9.1f}"
            )


if __name__ == "__main__":
    main()
