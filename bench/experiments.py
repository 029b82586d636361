"""Do experiments conclude honestly, and how fast does a guarded rollout protect itself?

1. A/A, in memory: ``--aa`` experiments (default 1,000) of two identical arms, the verdict
   rule (``domain/statistics``, the report's own) applied at every ``--peek`` requests
   (default 100) up to ``--horizon`` (default 2,000): the share that ever declares a winner
   on any metric, against the nominal 5%.
2. A/B, in memory: ``--ab`` experiments where arm b costs 10% more: the median number of
   requests until the verdict on cost is a (and how many ever named b).
3. End to end through the real services on SQLite (routing, the decision log, usage
   ingestion, the report's queries): ``--e2e-aa`` A/A and ``--e2e-ab`` A/B experiments,
   peeked every ``--peek`` requests.
4. A guardrail breach: a flag at 10% with an error-rate guardrail, the server's guard loop
   (``services/guard.GuardLoop``, ``--guard-interval`` seconds) running; healthy traffic,
   then from a known moment the enrolled users' generations fail: the seconds until the
   rollback to 0% is committed.

    uv run python -m bench.experiments [--aa 1000] [--ab 200] [--e2e-aa 5] [--e2e-ab 3]

Simulated traffic: cost per request ~ Gamma(shape 4) around $0.01 (CV 0.5), latency
log-normal around 400 ms, 5% errors, feedback on 30% of requests (70% positive).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import Database
from modelplane.bootstrap import Runtime
from modelplane.domain.flags import ROUTER_CONFIG_SOURCE, UserContext, evaluate
from modelplane.domain.statistics import (
    ALPHA,
    METHOD,
    VERDICT_METRICS,
    ArmData,
    better,
    metric_samples,
)
from modelplane.router import RouteRequest
from modelplane.services.experiments import (
    create_experiment,
    end_experiment,
    experiment_report,
)
from modelplane.services.flags import get_flag, set_flag
from modelplane.services.guard import GuardLoop, set_flag_guardrails
from modelplane.services.routing import route
from modelplane.services.usage import record_usage
from modelplane.settings import Settings
from modelplane.store.static import read_json

BASE_COST = 0.01
CODING = {"primaryCategory": "coding", "complexity": "moderate"}


def verdicts(arms: dict[str, ArmData]) -> dict[str, str | None]:
    """The report's verdict per metric (``analyse`` without the figures around it)."""
    per_metric = ALPHA / len(VERDICT_METRICS)
    return {
        m: better(metric_samples(arms, m), m == "feedback", per_metric).winner
        for m in VERDICT_METRICS
    }


def observe(arm: ArmData, rng: random.Random, cost_lift: float) -> None:
    arm.requests += 1
    arm.cost.append(rng.gammavariate(4, BASE_COST * (1 + cost_lift) / 4))
    arm.latency.append(rng.lognormvariate(6, 0.5))
    arm.errors.append(1.0 if rng.random() < 0.05 else 0.0)
    arm.fallback.append(0.0)
    if rng.random() < 0.3:
        arm.feedback.append(1.0 if rng.random() < 0.7 else 0.0)


def in_memory(
    runs: int, horizon: int, peek: int, cost_lift: float, seed: int
) -> list[tuple[int | None, dict[str, str | None]]]:
    """Per run: the requests at the first peek with any verdict (``None``: none by the
    horizon) and the verdicts then."""
    rng = random.Random(seed)
    out: list[tuple[int | None, dict[str, str | None]]] = []
    for _ in range(runs):
        arms = {"a": ArmData(), "b": ArmData()}
        found: tuple[int | None, dict[str, str | None]] = (None, {})
        for i in range(1, horizon + 1):
            name = "a" if rng.random() < 0.5 else "b"
            observe(arms[name], rng, cost_lift if name == "b" else 0.0)
            if i % peek == 0:
                now = verdicts(arms)
                if any(now.values()):
                    found = (i, now)
                    break
        out.append(found)
    return out


def cost_verdict_at(runs: int, horizon: int, peek: int, seed: int) -> tuple[list[int], int, int]:
    """A/B with b 10% dearer: requests until the cost verdict names a; how many named b;
    how many reached the horizon without a cost verdict."""
    rng = random.Random(seed)
    times: list[int] = []
    wrong = undecided = 0
    for _ in range(runs):
        arms = {"a": ArmData(), "b": ArmData()}
        for i in range(1, horizon + 1):
            name = "a" if rng.random() < 0.5 else "b"
            observe(arms[name], rng, 0.10 if name == "b" else 0.0)
            if i % peek == 0:
                per_metric = ALPHA / len(VERDICT_METRICS)
                winner = better(metric_samples(arms, "cost_per_request"), False, per_metric).winner
                if winner == "a":
                    times.append(i)
                    break
                if winner == "b":
                    wrong += 1
                    break
        else:
            undecided += 1
    return times, wrong, undecided


# End to end ----------------------------------------------------------------------------------


def end_to_end(
    runtime: Runtime, name: str, requests: int, peek: int, cost_lift: float, seed: int
) -> tuple[int | None, dict[str, Any]]:
    """One experiment through routing, the decision log and usage ingestion, the report
    read every ``peek`` requests; the requests at its first verdict, and the verdicts."""
    config = read_json("router-defaults.json")
    create_experiment(
        runtime.unit_of_work,
        {
            "name": name,
            "variants": [
                {"name": "a", "weight": 50, "config": config},
                {"name": "b", "weight": 50, "config": config},
            ],
        },
        "bench",
    )
    runtime.live.refresh()
    rng = random.Random(seed)
    price = 0.15 / 1_000_000  # gpt-5-mini's input price per token
    for start in range(0, requests, peek):
        events = []
        for i in range(start, start + peek):
            decision = route(
                runtime,
                RouteRequest.model_validate({"classification": CODING, "seed": i}),
                context=UserContext(f"{name}-user-{i}"),
            )
            lift = cost_lift if decision.variant == "b" else 0.0
            dollars = rng.gammavariate(4, BASE_COST * (1 + lift) / 4)
            events.append(
                {
                    "modelId": "openai:gpt-5-mini",
                    "feature": "bench",
                    "inputTokens": max(0, round(dollars / price)),
                    "latencyMs": round(rng.lognormvariate(6, 0.5)),
                    "success": rng.random() >= 0.05,
                    "decisionId": decision.decision_id,
                }
            )
        runtime.decisions.flush()
        record_usage(runtime.unit_of_work, runtime.reader, {"events": events})
        report = experiment_report(runtime.unit_of_work, name)
        if any(report["verdicts"].values()):
            found: tuple[int | None, dict[str, Any]] = (start + peek, report["verdicts"])
            break
    else:
        found = (None, {})
    # Users go to the first running experiment that takes them: end this one.
    end_experiment(runtime.unit_of_work, name, "bench", None, "benchmark run over")
    runtime.live.refresh()
    return found


def rollback_delay(runtime: Runtime, interval: float, healthy: int, seed: int) -> float:
    """Seconds from the moment failing usage is committed to the guard's rollback."""
    set_flag(
        runtime.unit_of_work,
        ROUTER_CONFIG_SOURCE,
        {"enabled": True, "percentage": 10},
        "bench",
    )
    rail = {"metric": "error_rate", "comparison": "plus", "threshold": 0.02, "minSample": 30}
    set_flag_guardrails(runtime.unit_of_work, ROUTER_CONFIG_SOURCE, [rail], "bench")
    runtime.live.refresh()
    flag = get_flag(runtime.unit_of_work, ROUTER_CONFIG_SOURCE)
    rng = random.Random(seed)
    loop = GuardLoop(runtime.unit_of_work, interval)
    loop.start()
    try:

        def send(users: range, failing: bool) -> None:
            events = []
            for i in users:
                user = UserContext(f"guard-user-{i}")
                decision = route(
                    runtime,
                    RouteRequest.model_validate({"classification": CODING, "seed": i}),
                    context=user,
                )
                enrolled = evaluate(flag, user).enabled
                fails = rng.random() < (0.3 if failing and enrolled else 0.01)
                events.append(
                    {
                        "modelId": "openai:gpt-5-mini",
                        "feature": "bench",
                        "inputTokens": 1000,
                        "latencyMs": 300,
                        "success": not fails,
                        "decisionId": decision.decision_id,
                    }
                )
            runtime.decisions.flush()
            record_usage(runtime.unit_of_work, runtime.reader, {"events": events})

        send(range(healthy), failing=False)
        time.sleep(interval * 2)  # the guard has looked at healthy traffic and held
        assert get_flag(runtime.unit_of_work, ROUTER_CONFIG_SOURCE).percentage == 10
        batch = 0
        injected: float | None = None
        while True:  # errors keep arriving, as they would, until the rollback lands
            start = healthy + batch * 200
            send(range(start, start + 200), failing=True)
            injected = injected if injected is not None else time.monotonic()
            batch += 1
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                if get_flag(runtime.unit_of_work, ROUTER_CONFIG_SOURCE).percentage == 0:
                    return time.monotonic() - injected
                time.sleep(0.02)
            if time.monotonic() - injected > 120:
                raise AssertionError("no rollback within 120 s")
    finally:
        loop.close()


def _timed(label: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    print(f"  ({label}: {time.perf_counter() - started:.1f} s)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aa", type=int, default=1000)
    parser.add_argument("--ab", type=int, default=200)
    parser.add_argument("--horizon", type=int, default=2000)
    parser.add_argument("--ab-horizon", type=int, default=20_000)
    parser.add_argument("--peek", type=int, default=100)
    parser.add_argument("--e2e-aa", type=int, default=5)
    parser.add_argument("--e2e-ab", type=int, default=3)
    parser.add_argument("--e2e-requests", type=int, default=1000)
    parser.add_argument("--e2e-ab-requests", type=int, default=6000)
    parser.add_argument("--guard-interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"method: {METHOD}")

    print(
        f"\n1. A/A in memory: {args.aa} experiments, peeked every {args.peek} requests "
        f"up to {args.horizon}"
    )
    aa = _timed("A/A", lambda: in_memory(args.aa, args.horizon, args.peek, 0.0, args.seed))
    false = [r for r in aa if r[0] is not None]
    by_metric = {m: sum(1 for _, v in false if v.get(m)) for m in VERDICT_METRICS}
    print(
        f"   declared a winner: {len(false)} of {args.aa} = {len(false) / args.aa:.1%} "
        f"(nominal 5.0%); by metric {by_metric}"
    )

    print(f"\n2. A/B in memory: {args.ab} experiments, b costs 10% more (cost CV 0.5)")
    times, wrong, undecided = _timed(
        "A/B", lambda: cost_verdict_at(args.ab, args.ab_horizon, args.peek, args.seed + 1)
    )
    if times:
        q = statistics.quantiles(times, n=4)
        print(
            f"   requests to a correct cost verdict: median {statistics.median(times):,.0f} "
            f"(quartiles {q[0]:,.0f} / {q[2]:,.0f}); named b: {wrong}; "
            f"undecided by {args.ab_horizon:,}: {undecided}"
        )

    database = Database("sqlite")
    settings = Settings(database_url=database.url, environment="test")
    runtime = Runtime(settings, live_reads=True)
    try:
        print(
            f"\n3. End to end on SQLite (route, decision log, usage, report), "
            f"peeked every {args.peek}"
        )
        started = time.perf_counter()
        e2e_false = 0
        for n in range(args.e2e_aa):
            at, found = end_to_end(
                runtime, f"aa-{n}", args.e2e_requests, args.peek, 0.0, args.seed + 10 + n
            )
            e2e_false += at is not None
        print(
            f"   A/A: {e2e_false} of {args.e2e_aa} declared a winner "
            f"within {args.e2e_requests:,} requests"
        )
        reached: list[int] = []
        for n in range(args.e2e_ab):
            at, found = end_to_end(
                runtime, f"ab-{n}", args.e2e_ab_requests, args.peek, 0.10, args.seed + 50 + n
            )
            label = f"at {at:,} requests: {found}" if at is not None else "no verdict"
            print(f"   A/B {n}: {label}")
            if at is not None and found.get("cost_per_request") == "a":
                reached.append(at)
        if reached:
            print(
                f"   A/B median requests to a correct cost verdict: "
                f"{statistics.median(reached):,.0f}"
            )
        elapsed = time.perf_counter() - started
        print(f"  (end to end: {elapsed:.1f} s)")

        print(
            f"\n4. Guardrail breach: flag at 10%, error_rate <= control + 2 points, "
            f"guard loop every {args.guard_interval:g} s"
        )
        delay = rollback_delay(runtime, args.guard_interval, 600, args.seed + 99)
        print(
            f"   rollback landed {delay:.2f} s after the failing usage was committed "
            f"(bound: the loop interval plus one round)"
        )
    finally:
        runtime.close()
        database.close()


if __name__ == "__main__":
    main()
