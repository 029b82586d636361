"""``POST /api/v1/route`` against ``GET /api/v1/models/{id}`` over HTTP on loopback, in the
same run on the same server process, with wrk (Debian package ``wrk``), as ``bench/reads.py``.

The route request is a fixed message with a seed, answered with the default (top five)
candidates, then with ``candidates=all`` for comparison. A repeated message's
classification comes from the server's memo (``MODELPLANE_CLASSIFY_CACHE_SIZE``), so a
fourth run sends ``DISTINCT`` different messages in turn, more than the memo holds: every
one of those is classified afresh, the figure for traffic that never repeats. Prints
median and p99 latency, requests per second and the answer's size for each, and the
route's requests per second as a share of the model read's (the figure that means
something on a shared machine). With ``--runs N`` all are measured N times, interleaved,
and the medians printed.

    uv run python -m bench.route_http [--backend sqlite|postgresql] [--seconds 5]
        [--connections 16] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

import httpx

from bench.common import Database, Server
from bench.just_eval import load
from bench.reads import wrk_args
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import factory_for

BODY = {"text": "Write a Python function that parses ISO 8601 dates.", "seed": 7}
DISTINCT = 6000
"""Messages in the distinct run: more than the default memo (4,096) holds, sent in turn."""


def _token(url: str) -> str:
    engine = create_db_engine(url)
    try:
        with factory_for(engine)() as uow:
            _, token = create_token(uow, TokenSpec(name="bench-route", role="viewer"), "bench")
            uow.commit()
    finally:
        engine.dispose()
    return token


def _post_script(folder: Path, token: str) -> Path:
    """A wrk Lua script that POSTs ``BODY`` with the bearer token."""
    script = folder / "route.lua"
    body = json.dumps(BODY).replace("\\", "\\\\").replace('"', '\\"')
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n',
        "utf-8",
    )
    return script


def _distinct_script(folder: Path, token: str) -> Path:
    """A wrk Lua script that POSTs ``DISTINCT`` different messages in turn: the just-eval
    prompts, each numbered as many times as it takes."""
    prompts = [p.text for p in load()]
    bodies = [
        json.dumps({"text": f"{prompts[i % len(prompts)]} ({i // len(prompts)})", "seed": i})
        for i in range(DISTINCT)
    ]
    table = ",\n".join("[==[" + body + "]==]" for body in bodies)
    script = folder / "distinct.lua"
    script.write_text(
        f"local bodies = {{\n{table}\n}}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n",
        "utf-8",
    )
    return script


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    db = Database(args.backend)
    folder = Path(tempfile.mkdtemp())
    try:
        token = _token(db.url)
        script = _post_script(folder, token)
        distinct = _distinct_script(folder, token)
        server = Server(db.url)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            sizes = {
                "route (top 5)": len(
                    httpx.post(f"{server.url}/api/v1/route", json=BODY, headers=headers).content
                ),
                "route (all)": len(
                    httpx.post(
                        f"{server.url}/api/v1/route?candidates=all", json=BODY, headers=headers
                    ).content
                ),
                "get model": len(httpx.get(f"{server.url}/api/v1/models/openai:gpt-5").content),
                "route (distinct)": len(
                    httpx.post(
                        f"{server.url}/api/v1/route",
                        json={"text": load()[0].text, "seed": 1},
                        headers=headers,
                    ).content
                ),
            }
            runs = {
                "get model": (f"{server.url}/api/v1/models/openai:gpt-5", None),
                "route (top 5)": (f"{server.url}/api/v1/route", script),
                "route (all)": (f"{server.url}/api/v1/route?candidates=all", script),
                "route (distinct)": (f"{server.url}/api/v1/route", distinct),
            }
            measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
            for _ in range(args.runs):
                for name, (url, lua) in runs.items():
                    extra = ["-s", str(lua)] if lua else []
                    wrk_args(url, args.connections, 1, extra)  # warm up
                    measured[name].append(wrk_args(url, args.connections, args.seconds, extra))
        finally:
            server.stop()
    finally:
        db.close()
    print(
        f"HTTP on loopback ({args.backend}, 1 server process, "
        f"wrk -t1 -c{args.connections}, {args.seconds}s each, one after the other, "
        f"median of {args.runs} run(s))"
    )
    print(f"{'request':<18}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'bytes':>8}")
    for name, rows in measured.items():
        p50, p99, rps = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"{name:<18}{p50:>9.2f}{p99:>9.2f}{rps:>9.0f}{sizes[name]:>8}")
    ratios = [
        route[2] / read[2]
        for route, read in zip(measured["route (top 5)"], measured["get model"], strict=True)
    ]
    listed = ", ".join(f"{r:.2f}" for r in ratios)
    print(
        f"route (top 5) req/s / get model req/s: {statistics.median(ratios):.2f} "
        f"(median; each run: {listed})"
    )


if __name__ == "__main__":
    main()
