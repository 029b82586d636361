"""The console's model table at 2,500 models: server time to answer each view, median of
``--repeat`` requests through the whole app (session check, snapshot read, filter, sort,
page, template).

    uv run python -m bench.console_table [--models 2500] [--repeat 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from fastapi.testclient import TestClient

from bench.common import Database
from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.validation import validate
from modelplane.services import bulk, users
from modelplane.settings import Settings

VIEWS = {
    "first page (100, by name)": "/admin/models",
    "sorted by input price, desc": "/admin/models?sort=input&dir=desc",
    "search 'flash'": "/admin/models?q=flash",
    "filter capability=vision": "/admin/models?capability=vision",
    "last page": "/admin/models?page=25",
    "all 2,500 rows on one page": "/admin/models?per=2500",
}


def grow(runtime: Runtime, count: int) -> None:
    """Add synthetic models (copies of the seeded ones under new ids) in one import."""
    with runtime.unit_of_work() as uow:
        seeded = bulk.export_document(uow)["models"]
        extra = []
        for i in range(count - len(seeded)):
            base = seeded[i % len(seeded)]
            extra.append({**base, "id": f"{base['id']}-v{i}", "name": f"{base['name']} v{i}"})
        bulk.import_document(uow, {"models": extra}, "bench", dry_run=False)
        uow.commit()
    with runtime.unit_of_work() as uow:
        spec = {"username": "bench", "role": "viewer", "password": "bench password 1"}
        users.create_user(
            uow, validate(users.UserSpec, spec), "bench", hashing=runtime.settings.password_hashing
        )
        uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    db = Database("sqlite")
    runtime = Runtime(Settings(database_url=db.url, environment="test"), live_reads=True)
    grow(runtime, args.models)
    with TestClient(create_app(runtime)) as client:
        login = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token is not None
        client.post(
            "/admin/login",
            data={
                "csrf_token": token.group(1),
                "username": "bench",
                "password": "bench password 1",
            },
        )
        size = len(runtime.reader.models())
        print(f"model table, {size} models in the catalogue, median of {args.repeat} requests")
        for label, path in VIEWS.items():
            samples, length = [], 0
            client.get(path)  # warm up: first sort of a key, template caches
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - start) * 1000)
                length = len(response.content)
                assert response.status_code == 200, response.status_code
            rows = response.text.count("<tr data-model-id=")
            median = statistics.median(samples)
            print(f"  {label:32} {median:7.1f} ms  {rows:5} rows  {length / 1024:7.0f} KiB")
    runtime.close()
    db.close()


if __name__ == "__main__":
    main()
