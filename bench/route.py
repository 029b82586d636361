"""Median microseconds per routing decision (the deterministic stage: from a given
classification to the chosen model) at 55, 2,500 and 10,000 models, for the compiled router
(``modelplane.router.selection.decide``) and the straightforward per-request baseline
(``bench/naive_router.py``), side by side with the ratio.

The large catalogues are the 55 bundled models copied with new ids, prices scaled by a
per-copy factor (0.2x to 5x, so models move between cost tiers) and context windows varied;
each copy keeps its original's profile. The requests cycle through 48 variants: every
complexity, several categories, cost and speed biases, context sizes, vision, exclusions
and previous models. Before timing, the bench checks that both implementations see the same
eligible models with the same scores and tiers (it exits 1 if not).

``+candidates`` adds what the API and CLI do after the choice: every eligible candidate
scored with its breakdown, as pydantic objects (linear in the catalogue by nature).

``+top-5 µs`` is a decision with the API's default listing built afresh: every eligible model
scored (a float), a partial sort, and breakdowns for the best five. ``+kept top-5 µs`` is the
same with the listing the compiled router remembers per kind of request
(``router/engine.py``), as a server answers once the 48 kinds have been seen.

    uv run python -m bench.route [--repeats 31]
        [--strategy weighted-random|best-in-tier|best|quality]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

from bench.naive_router import naive_eligible, naive_route, naive_score
from modelplane.domain.models import Model
from modelplane.domain.profiles import Profile
from modelplane.domain.router_config import SELECTION_STRATEGIES, RouterConfig
from modelplane.router import Classification, RouteRequest, compile_router, decide
from modelplane.router.engine import _list as build_listing
from modelplane.router.engine import _listed as listed
from modelplane.router.selection.scoring import Scorer
from modelplane.store.static import static_tables

SIZES = (55, 2_500, 10_000)
TARGETS_US = {55: 20.0, 2_500: 100.0}
TARGETS_BY_STRATEGY_US = {"quality": {55: 50.0}}
"""The quality strategy scores every model of the chosen tier (softmax), so its own target."""


def synthesize(n: int) -> tuple[list[Model], list[Profile]]:
    tables = static_tables()
    base, profiles = tables.models, {p.model_id: p for p in tables.profiles}
    if n <= len(base):
        return list(base[:n]), [profiles[m.id] for m in base[:n] if m.id in profiles]
    rng = random.Random(n)
    models: list[Model] = []
    out_profiles: list[Profile] = []
    for i in range(n):
        original = base[i % len(base)]
        copy = i // len(base)
        factor = Decimal(str(round(rng.uniform(0.2, 5.0), 2))) if copy else Decimal(1)
        model_id = original.id if not copy else f"{original.id}-x{copy}"
        models.append(
            original.model_copy(
                update={
                    "id": model_id,
                    "pricing": original.pricing.model_copy(
                        update={
                            "input": original.pricing.input * factor,
                            "output": original.pricing.output * factor,
                        }
                    ),
                    "context_window": max(
                        8_000, int(original.context_window * rng.uniform(0.5, 2))
                    ),
                }
            )
        )
        if original.id in profiles:
            out_profiles.append(profiles[original.id].model_copy(update={"model_id": model_id}))
    return models, out_profiles


def variants(models: list[Model]) -> list[tuple[Classification, RouteRequest]]:
    rng = random.Random(7)
    categories = ["coding", "reasoning", "creative", "factual", "research", "multimodal"]
    out = []
    for i in range(48):
        c = Classification(
            primary_category=categories[i % len(categories)],
            secondary_category=categories[(i + 1) % len(categories)] if i % 3 == 0 else None,
            complexity=("simple", "moderate", "complex")[i % 3],
            requires_vision=i % 7 == 0,
            requires_reasoning=i % 4 == 0,
            is_high_stakes=i % 11 == 0,
            high_stakes_domain="medical" if i % 11 == 0 else None,
            recommended_action="keep" if i % 5 == 0 else "change",
        )
        r = RouteRequest(
            cost_bias=rng.choice([0, 25, 50, 100]),
            speed_bias=rng.choice([0, 30, 80]),
            context_tokens=rng.choice([0, 2_000, 30_000, 150_000]),
            previous_model_id=rng.choice(models).id if i % 2 == 0 else None,
            exclude=[rng.choice(models).id for _ in range(i % 3)],
        )
        out.append((c, r))
    return out


def check_parity(
    models: list[Model],
    profiles: list[Profile],
    config: RouterConfig,
    cases: list[tuple[Classification, RouteRequest]],
) -> None:
    router = compile_router(models, profiles, config)
    by_profile = {p.model_id: p for p in profiles}
    for c, r in cases:
        outcome = decide(router, c, r, random.Random(0))
        scorer = Scorer.for_request(router, c, r.cost_bias, r.speed_bias, r.previous_model_id)
        fast = {m.id: (round(scorer.score(m), 9), m.tier) for m in outcome.eligible.all()}
        naive = {
            m.id: (
                round(naive_score(m, by_profile.get(m.id), config, c, r), 9),
                router.by_id[m.id].tier,
            )
            for m in models
            if naive_eligible(m, c, r, config)
        }
        if fast != naive:
            diff = set(fast.items()) ^ set(naive.items())
            sys.exit(f"parity check failed at {len(models)} models: {sorted(diff)[:4]}")


def median_us(run: Callable[[], None], per_batch: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(per_batch):
            run()
        samples.append((time.perf_counter_ns() - start) / per_batch / 1000)
    return statistics.median(samples)


def bench_size(
    n: int, repeats: int, config: RouterConfig
) -> tuple[float, float, float, float, float, float]:
    models, profiles = synthesize(n)
    cases = variants(models)
    check_parity(models, profiles, config, cases)
    router = compile_router(models, profiles, config)
    by_profile = {p.model_id: p for p in profiles}
    rng = random.Random(1)
    fast_i = naive_i = seeded_i = 0

    def fast() -> None:
        nonlocal fast_i
        c, r = cases[fast_i % len(cases)]
        fast_i += 1
        decide(router, c, r, rng)

    def fast_seeded() -> None:
        nonlocal seeded_i
        c, r = cases[seeded_i % len(cases)]
        seeded_i += 1
        decide(router, c, r, random.Random(seeded_i))

    def naive() -> None:
        nonlocal naive_i
        c, r = cases[naive_i % len(cases)]
        naive_i += 1
        naive_route(models, by_profile, config, c, r, rng)

    def with_candidates() -> None:
        nonlocal fast_i
        c, r = cases[fast_i % len(cases)]
        fast_i += 1
        outcome = decide(router, c, r, rng)
        [outcome.scorer.candidate(m) for m in outcome.eligible.all()]

    def with_top() -> None:
        nonlocal fast_i
        c, r = cases[fast_i % len(cases)]
        fast_i += 1
        build_listing(decide(router, c, r, rng), False)

    def with_kept_top() -> None:
        nonlocal fast_i
        c, r = cases[fast_i % len(cases)]
        fast_i += 1
        listed(decide(router, c, r, rng), False)

    for c, r in cases:  # the router remembers each kind's best five from its first request
        listed(decide(router, c, r, rng), False)
    naive_batch = max(1, 4_800 // n)
    return (
        median_us(fast, 480, repeats),
        median_us(fast_seeded, 480, repeats),
        median_us(with_candidates, naive_batch * 4, max(5, repeats // 3)),
        median_us(naive, naive_batch * 4, max(5, repeats // 3)),
        median_us(with_top, naive_batch * 4, max(5, repeats // 3)),
        median_us(with_kept_top, naive_batch * 4, max(5, repeats // 3)),
    )


def compile_ms(n: int) -> float:
    models, profiles = synthesize(n)
    config = static_tables().router_config
    start = time.perf_counter_ns()
    compile_router(models, profiles, config)
    return (time.perf_counter_ns() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=31)
    parser.add_argument("--strategy", choices=list(SELECTION_STRATEGIES), default="weighted-random")
    args = parser.parse_args()
    defaults = static_tables().router_config
    settings = defaults.router_settings.model_copy(update={"selection_strategy": args.strategy})
    config = defaults.model_copy(update={"router_settings": settings})
    print(f"strategy: {args.strategy}")
    print(
        f"{'models':>7}  {'compiled µs':>11}  {'+seeded rng':>11}  {'naive µs':>9}  "
        f"{'ratio':>6}  {'target':>7}  {'+candidates µs':>14}  {'+top-5 µs':>9}  "
        f"{'+kept top-5 µs':>14}  {'compile ms':>10}"
    )
    targets = TARGETS_BY_STRATEGY_US.get(args.strategy, TARGETS_US)
    for n in SIZES:
        fast, seeded, full, naive, top, kept = bench_size(n, args.repeats, config)
        target = f"≤{targets[n]:g}" if n in targets else "-"
        print(
            f"{n:>7,}  {fast:>11.2f}  {seeded:>11.2f}  {naive:>9.1f}  {naive / fast:>5.0f}x  "
            f"{target:>7}  {full:>14.1f}  {top:>9.1f}  {kept:>14.1f}  {compile_ms(n):>10.1f}"
        )
    print(
        "compiled: decide() with a shared random generator (the unseeded path); "
        "+seeded rng: a new random.Random(seed) per decision, as a request with a seed."
    )


if __name__ == "__main__":
    main()
