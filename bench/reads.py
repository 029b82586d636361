"""Reads over HTTP on loopback under concurrent load, with wrk (Debian package ``wrk``).

Serves one seeded database twice: from the live snapshot (the product) and with
``MODELPLANE_SNAPSHOT_READS=false`` (a snapshot loaded once at start, with no change watcher:
since the redesign no read queries the database, so this column is the cost of live
propagation, not a per-request database baseline), and prints median and p99 latency and
requests per second for each endpoint and concurrency.

    uv run python -m bench.reads [--backend sqlite|postgresql] [--seconds 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess

from bench.common import Database, Server

ENDPOINTS = [("get by id", "/api/v1/models/openai:gpt-5"), ("/v1/models", "/v1/models")]
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, connections: int, seconds: int) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, requests/s) from one wrk run with one thread."""
    return wrk_args(url, connections, seconds, [])


def wrk_args(
    url: str, connections: int, seconds: int, extra: list[str]
) -> tuple[float, float, float]:
    """``wrk`` with ``extra`` arguments (e.g. ``-s script.lua``)."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(pct: str) -> float:
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        assert match, output
        return float(match.group(1)) * _UNITS[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert rps, output
    return latency("50"), latency("99"), float(rps.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", default="1,4,16")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    db = Database(args.backend)
    results = {}
    try:
        for mode, env in (("snapshot", "true"), ("once", "false")):
            server = Server(db.url, MODELPLANE_SNAPSHOT_READS=env)
            try:
                for name, path in ENDPOINTS:
                    for c in (int(x) for x in args.connections.split(",")):
                        wrk(server.url + path, c, 1)  # warm up
                        results[(mode, name, c)] = wrk(server.url + path, c, args.seconds)
            finally:
                server.stop()
    finally:
        db.close()
    print(f"HTTP reads on loopback ({args.backend}, 1 server process, wrk -t1, {args.seconds}s)")
    print(
        f"{'endpoint':<12}{'conns':>6} | {'snapshot p50/p99 ms':>20}{'req/s':>8} | "
        f"{'loaded-once p50/p99 ms':>23}{'req/s':>8} | {'req/s ratio':>11}"
    )
    for name, _ in ENDPOINTS:
        for c in (int(x) for x in args.connections.split(",")):
            s50, s99, srps = results[("snapshot", name, c)]
            d50, d99, drps = results[("once", name, c)]
            print(
                f"{name:<12}{c:>6} | {s50:>9.2f} /{s99:>8.2f}{srps:>8.0f} | "
                f"{d50:>9.2f} /{d99:>8.2f}{drps:>8.0f} | {srps / drps:>10.1f}x"
            )


if __name__ == "__main__":
    main()
