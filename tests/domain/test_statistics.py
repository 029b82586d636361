"""The pure statistics behind experiment reports: fast, no database."""

from __future__ import annotations

import math
import random

import pytest

from modelplane.domain.statistics import (
    MIN_SAMPLE,
    ArmData,
    analyse,
    better,
    chi_square_sf,
    difference,
    quantile,
    quantile_interval,
    radius,
    shifted_difference,
    srm_p_value,
    summarize,
)


@pytest.mark.parametrize(
    ("x", "df", "p"), [(3.841, 1, 0.05), (5.991, 2, 0.05), (7.815, 3, 0.05), (13.277, 4, 0.01)]
)
def test_chi_square_tail_matches_the_tables(x: float, df: int, p: float) -> None:
    assert chi_square_sf(x, df) == pytest.approx(p, abs=2e-4)


def test_the_always_valid_interval_is_wider_than_a_fixed_one_and_shrinks_with_n() -> None:
    widths = [radius(1 / n, 0.25, 0.05) for n in (10, 100, 1000, 10_000)]
    assert widths == sorted(widths, reverse=True)
    assert widths[2] > 1.96 * math.sqrt(1 / 1000)  # the price of peeking at will
    assert radius(0.0, 0.25, 0.05) == 0.0


def test_a_sample_ratio_far_from_the_weights_has_a_tiny_p_value() -> None:
    assert srm_p_value([500, 500], [50, 50]) == pytest.approx(1.0)
    assert (srm_p_value([600, 400], [50, 50]) or 1) < 1e-9
    assert (srm_p_value([900, 100], [90, 10]) or 0) > 0.5
    assert srm_p_value([0, 0], [50, 50]) is None


def test_no_verdict_below_the_minimum_sample_however_clear() -> None:
    few = {"a": [0.0] * (MIN_SAMPLE - 1), "b": [1.0] * (MIN_SAMPLE - 1)}
    assert better(few, False, 0.05).winner is None
    enough = {"a": [0.0, 1.0] * MIN_SAMPLE, "b": [1.0] * (2 * MIN_SAMPLE)}
    verdict = better(enough, False, 0.05)
    assert verdict.winner == "a" and verdict.leads["b"].significant
    assert better(enough, True, 0.05).winner == "b"


def test_differences_and_guardrail_shifts() -> None:
    a, b = summarize([1.0, 2.0, 3.0] * 50), summarize([2.0, 3.0, 4.0] * 50)
    d = difference(a, b, 0.05)
    assert d is not None and d.estimate == pytest.approx(1.0) and d.significant
    shifted = shifted_difference(b, a, 1.0, 1.0, 0.05)
    assert shifted is not None and shifted.estimate == pytest.approx(0.0)
    assert not shifted.significant


def test_a_quantile_interval_holds_the_quantile() -> None:
    rng = random.Random(3)
    values = [rng.expovariate(1) for _ in range(2000)]
    low, high = quantile_interval(values, 0.95) or (0, 0)
    assert low < quantile(values, 0.95) < high
    assert low < -math.log(0.05) < high  # the true p95 of Exp(1)


def test_analysis_sums_up_a_clear_difference_and_an_a_a_run() -> None:
    rng = random.Random(11)

    def arm(n: int, cost: float) -> ArmData:
        return ArmData(
            n,
            cost=[rng.gauss(cost, cost * 0.2) for _ in range(n)],
            latency=[rng.lognormvariate(6, 0.3) for _ in range(n)],
            errors=[0.0] * n,
            fallback=[0.0] * n,
        )

    clear = analyse({"a": arm(1000, 1.0), "b": arm(1000, 1.1)}, {"a": 50, "b": 50})
    assert clear["verdicts"] == {
        "cost_per_request": "a",
        "error_rate": None,
        "latency_p95": None,
        "feedback": None,
    }
    assert str(clear["summary"]).startswith("a is better on cost by ")
    same = analyse({"a": arm(1000, 1.0), "b": arm(1000, 1.0)}, {"a": 50, "b": 50})
    assert set(same["verdicts"].values()) == {None}  # type: ignore[attr-defined]
    assert str(same["summary"]).startswith("keep running: about ")
