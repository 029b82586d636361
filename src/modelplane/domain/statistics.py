"""Experiment statistics that stay valid however often the report is read.

Every comparison is an always-valid test: the mixture sequential probability ratio test
(mSPRT) with a normal mixing distribution over the effect (Johari, Pekelis and Walsh,
"Always Valid Inference", 2017). Inverting it gives a confidence sequence: an interval
that holds at every sample size at once, so an admin may look at the report every hour
and stop the first time it concludes without inflating the error rate. The mixing
standard deviation is ``TAU_RATIO`` per-observation standard deviations; the variances
are estimated from the data (the test is asymptotically valid). The five per cent error
budget is split evenly over the verdict metrics and the pairs compared (Bonferroni), so
the share of A/A experiments that ever declare any winner stays under it.

- A mean (cost per request, error rate, fallback rate, feedback score): the difference of
  the arms' means, with ``V = s_a²/n_a + s_b²/n_b``.
- The p95 latency: the share of each arm's requests above the pooled p95, compared like a
  mean; each arm's p95 gets a rank interval from the confidence sequence of that share.
- The sample ratio: a chi-square goodness-of-fit test of the arms' counts against their
  weights; a p-value under ``SRM_ALERT`` warns that the split is broken.

Pure: lists of numbers in, numbers out. Money arrives as floats of dollars here, since
these are estimates with intervals, not amounts anyone is charged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ALPHA = 0.05
TAU_RATIO = 0.5
MIN_SAMPLE = 100
"""Observations per arm, on a metric, before that metric may give a verdict."""
SRM_ALERT = 0.001
METHOD = (
    f"mSPRT with a normal mixture (tau = {TAU_RATIO} standard deviations): always-valid "
    f"confidence sequences at alpha {ALPHA}, split over the verdict metrics (Bonferroni)"
)


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    variance: float
    """The sample variance (n - 1 in the denominator); 0 for fewer than two values."""


def summarize(values: Sequence[float]) -> Summary:
    n = len(values)
    if n == 0:
        return Summary(0, math.nan, math.nan)
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return Summary(n, mean, variance)


def radius(variance_of_estimate: float, tau2: float, alpha: float) -> float:
    """Half-width of the always-valid interval for an estimate whose variance is
    ``variance_of_estimate``, under a mixture of variance ``tau2``: where the mSPRT's
    likelihood ratio reaches ``1/alpha``."""
    v = variance_of_estimate
    if v <= 0:
        return 0.0
    if tau2 <= 0:
        return math.inf
    return math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / alpha) + math.log((v + tau2) / v)))


def mean_interval(s: Summary, alpha: float = ALPHA) -> tuple[float, float] | None:
    """An always-valid interval for one arm's mean."""
    if s.n < 2:
        return None
    r = radius(s.variance / s.n, TAU_RATIO**2 * s.variance, alpha)
    return (s.mean - r, s.mean + r)


@dataclass(frozen=True)
class Difference:
    """``b - a`` with its always-valid half-width; ``significant`` when the interval
    excludes zero."""

    estimate: float
    radius: float

    @property
    def significant(self) -> bool:
        return abs(self.estimate) > self.radius

    @property
    def low(self) -> float:
        return self.estimate - self.radius

    @property
    def high(self) -> float:
        return self.estimate + self.radius


def difference(a: Summary, b: Summary, alpha: float = ALPHA) -> Difference | None:
    """The confidence sequence for ``mean(b) - mean(a)``."""
    if a.n < 2 or b.n < 2:
        return None
    v = a.variance / a.n + b.variance / b.n
    tau2 = TAU_RATIO**2 * (a.variance + b.variance) / 2
    return Difference(b.mean - a.mean, radius(v, tau2, alpha))


def shifted_difference(
    treatment: Summary, control: Summary, factor: float, shift: float, alpha: float
) -> Difference | None:
    """The confidence sequence for ``mean(treatment) - factor * mean(control) - shift``:
    what a guardrail tests (``factor`` 1.2 for "at most 1.2 x control")."""
    if treatment.n < 2 or control.n < 2:
        return None
    v = treatment.variance / treatment.n + factor**2 * control.variance / control.n
    tau2 = TAU_RATIO**2 * (treatment.variance + factor**2 * control.variance) / 2
    estimate = treatment.mean - factor * control.mean - shift
    return Difference(estimate, radius(v, tau2, alpha))


def quantile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q < 1) of ``values``, sorted or not."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def quantile_interval(
    values: Sequence[float], q: float, alpha: float = ALPHA
) -> tuple[float, float] | None:
    """An interval for the ``q`` quantile: the order statistics at ``q`` plus and minus
    the confidence sequence's half-width for a share of ``q``."""
    n = len(values)
    if n < 2:
        return None
    variance = q * (1 - q)
    r = radius(variance / n, TAU_RATIO**2 * variance, alpha)
    ordered = sorted(values)
    low = max(1, math.floor((q - r) * n))
    high = min(n, math.ceil((q + r) * n))
    return (ordered[low - 1], ordered[high - 1])


def above(values: Sequence[float], threshold: float) -> list[float]:
    """1.0 for each value above ``threshold``, else 0.0: a quantile turned into a share."""
    return [1.0 if v > threshold else 0.0 for v in values]


def needed_per_arm(a: Summary, b: Summary, effect: float, alpha: float) -> int | None:
    """About how many observations per arm the interval needs to exclude zero if the
    true difference is ``effect`` and the variances stay as they are; ``None`` if it
    cannot be said (no variance yet, or no effect to find)."""
    if a.n < 2 or b.n < 2 or effect == 0 or not math.isfinite(effect):
        return None
    per_obs = a.variance + b.variance
    if per_obs <= 0:
        return max(a.n, b.n)
    tau2 = TAU_RATIO**2 * per_obs / 2
    n = 2
    while n < 100_000_000:
        if radius(per_obs / n, tau2, alpha) < abs(effect):
            return n
        n = math.ceil(n * 1.1)
    return None


# Sample ratio -------------------------------------------------------------------------------


def srm_p_value(counts: Sequence[int], weights: Sequence[float]) -> float | None:
    """The chi-square goodness-of-fit p-value of ``counts`` against the ``weights``
    (arms with weight 0 are left out); ``None`` without traffic or with one arm."""
    pairs = [(c, w) for c, w in zip(counts, weights, strict=True) if w > 0]
    total = sum(c for c, _ in pairs)
    weight = sum(w for _, w in pairs)
    if total == 0 or len(pairs) < 2:
        return None
    statistic = 0.0
    for count, w in pairs:
        expected = total * w / weight
        statistic += (count - expected) ** 2 / expected
    return chi_square_sf(statistic, len(pairs) - 1)


def chi_square_sf(x: float, df: int) -> float:
    """P(X > x) for a chi-square variable with ``df`` (a positive integer) degrees of
    freedom, from the closed forms for whole degrees of freedom."""
    if x <= 0:
        return 1.0
    half = x / 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= half / i
            total += term
        return min(1.0, math.exp(-half) * total)
    total = math.erfc(math.sqrt(half))
    term = math.sqrt(half) * math.exp(-half) * 2 / math.sqrt(math.pi)
    for i in range(1, (df - 1) // 2 + 1):
        total += term
        term *= half / (i + 0.5)
    return min(1.0, total)


# Verdicts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The better arm on one metric (``None`` while the rule has not concluded), and its
    lead over each other arm (``b - a`` style differences, winner minus other)."""

    winner: str | None
    leads: Mapping[str, Difference]


def better(
    samples: Mapping[str, Sequence[float]],
    higher_is_better: bool,
    alpha: float,
    min_sample: int = MIN_SAMPLE,
) -> Verdict:
    """The arm whose mean beats every other arm's, each pair's interval excluding zero
    (``alpha`` is split over the pairs); ``None`` until then or below ``min_sample``."""
    names = list(samples)
    if len(names) < 2 or any(len(samples[n]) < min_sample for n in names):
        return Verdict(None, {})
    summaries = {n: summarize(samples[n]) for n in names}
    pairs = len(names) * (len(names) - 1) // 2
    sign = 1 if higher_is_better else -1
    best = max(names, key=lambda n: sign * summaries[n].mean)
    leads: dict[str, Difference] = {}
    for other in names:
        if other == best:
            continue
        d = difference(summaries[other], summaries[best], alpha / pairs)
        if d is None or not d.significant or sign * d.estimate <= 0:
            return Verdict(None, {})
        leads[other] = d
    return Verdict(best, leads)


# An experiment's analysis -------------------------------------------------------------------

REPORTED_METRICS: tuple[str, ...] = (
    "cost_per_request",
    "latency_p50",
    "latency_p95",
    "error_rate",
    "fallback_rate",
    "feedback",
)
VERDICT_METRICS: tuple[str, ...] = ("cost_per_request", "error_rate", "latency_p95", "feedback")
_LABELS = {
    "cost_per_request": "cost",
    "error_rate": "error rate",
    "latency_p95": "p95 latency",
    "feedback": "feedback",
}
_POINTS = frozenset({"error_rate", "fallback_rate", "feedback"})
"""Metrics whose differences read as percentage points rather than per cent."""


@dataclass
class ArmData:
    """One arm's observations, one value per decision that has one."""

    requests: int = 0
    cost: list[float] = field(default_factory=list)
    """Dollars per request, for requests with usage."""
    latency: list[float] = field(default_factory=list)
    """Milliseconds of generation per request, for requests with usage."""
    errors: list[float] = field(default_factory=list)
    """1.0 for a failed request (a failed generation or a router error), else 0.0."""
    fallback: list[float] = field(default_factory=list)
    feedback: list[float] = field(default_factory=list)
    """The mean feedback score (0..1) of each request with feedback."""

    def metric(self, name: str) -> list[float]:
        values = {
            "cost_per_request": self.cost,
            "latency_p50": self.latency,
            "latency_p95": self.latency,
            "error_rate": self.errors,
            "fallback_rate": self.fallback,
            "feedback": self.feedback,
        }[name]
        return values


def metric_figure(values: Sequence[float], metric: str, alpha: float = ALPHA) -> dict[str, object]:
    """``{"value", "interval", "n"}`` of one arm's metric (``None``s without data)."""
    n = len(values)
    if metric in ("latency_p50", "latency_p95"):
        q = 0.5 if metric == "latency_p50" else 0.95
        value = quantile(values, q) if n else None
        interval = quantile_interval(values, q, alpha)
    else:
        s = summarize(values)
        value = s.mean if n else None
        interval = mean_interval(s, alpha)
    return {
        "value": value,
        "interval": list(interval) if interval is not None else None,
        "n": n,
    }


def metric_samples(arms: Mapping[str, ArmData], metric: str) -> dict[str, list[float]]:
    """Per arm, the values the verdict on ``metric`` compares: the p95 latency as the
    share of requests above the pooled p95."""
    if metric != "latency_p95":
        return {name: arm.metric(metric) for name, arm in arms.items()}
    pooled = [v for arm in arms.values() for v in arm.metric(metric)]
    if not pooled:
        return {name: [] for name in arms}
    threshold = quantile(pooled, 0.95)
    return {name: above(arm.metric(metric), threshold) for name, arm in arms.items()}


def analyse(
    arms: Mapping[str, ArmData],
    weights: Mapping[str, float],
    min_sample: int = MIN_SAMPLE,
    alpha: float = ALPHA,
) -> dict[str, object]:
    """The statistics of an experiment's report: per-arm figures with intervals, a verdict
    per metric, the sample-ratio check and the sentence that sums it up. The first arm is
    control in the comparisons."""
    names = list(arms)
    per_metric = alpha / len(VERDICT_METRICS)
    figures = {
        name: {
            "requests": arm.requests,
            **{m: metric_figure(arm.metric(m), m, alpha) for m in REPORTED_METRICS},
        }
        for name, arm in arms.items()
    }
    verdicts: dict[str, Verdict] = {}
    for metric in VERDICT_METRICS:
        samples = metric_samples(arms, metric)
        verdicts[metric] = better(samples, metric == "feedback", per_metric, min_sample)
    p_value = srm_p_value([arms[n].requests for n in names], [weights.get(n, 0) for n in names])
    srm: dict[str, object] = {"pValue": p_value, "warning": None}
    if p_value is not None and p_value < SRM_ALERT:
        srm["warning"] = (
            f"sample ratio mismatch: the split differs from the weights beyond chance "
            f"(p = {p_value:.2g}); the assignment may be broken, so trust no verdict"
        )
    comparisons = _comparisons(arms, per_metric)
    return {
        "method": METHOD,
        "alpha": alpha,
        "minimumSample": min_sample,
        "arms": figures,
        "comparisons": comparisons,
        "verdicts": {m: v.winner for m, v in verdicts.items()},
        "srm": srm,
        "summary": _sentence(arms, verdicts, min_sample, per_metric),
    }


def _comparisons(arms: Mapping[str, ArmData], alpha: float) -> dict[str, object]:
    """Each other arm against control (the first), per verdict metric: the difference,
    its interval, and the difference relative to control's value."""
    names = list(arms)
    if len(names) < 2:
        return {}
    control = names[0]
    out: dict[str, object] = {}
    for metric in VERDICT_METRICS:
        samples = metric_samples(arms, metric)
        base = summarize(samples[control])
        rows: dict[str, dict[str, object] | None] = {}
        for other in names[1:]:
            d = difference(base, summarize(samples[other]), alpha)
            if d is None:
                rows[other] = None
                continue
            relative = d.estimate / base.mean if base.mean else None
            rows[other] = {
                "difference": d.estimate,
                "interval": [d.low, d.high],
                "relative": relative,
                "significant": d.significant,
            }
        out[metric] = {"control": control, "against": rows}
    return out


def _lead_text(
    metric: str, winner: str, other: str, arms: Mapping[str, ArmData], d: Difference
) -> str:
    label = _LABELS[metric]
    if metric in _POINTS:
        return f"on {label} by {abs(d.estimate) * 100:.1f} points ± {d.radius * 100:.1f}"
    if metric == "latency_p95":
        fewer, give = abs(d.estimate) * 100, d.radius * 100
        return f"on {label} ({fewer:.1f} ± {give:.1f} points fewer requests above the pooled p95)"
    other_mean = summarize(arms[other].metric(metric)).mean
    if not other_mean:
        return f"on {label} by {abs(d.estimate):.4g} ± {d.radius:.2g}"
    return (
        f"on {label} by {abs(d.estimate) / abs(other_mean):.0%} ± {d.radius / abs(other_mean):.0%}"
    )


def _sentence(
    arms: Mapping[str, ArmData], verdicts: Mapping[str, Verdict], min_sample: int, alpha: float
) -> str:
    won = {m: v for m, v in verdicts.items() if v.winner is not None}
    if not won:
        return f"keep running: about {more_needed(arms, min_sample, alpha)} more requests needed"
    first = next(iter(won.values())).winner
    assert first is not None
    parts = []
    for metric, verdict in won.items():
        if verdict.winner == first:
            other = next(iter(verdict.leads))
            parts.append(_lead_text(metric, first, other, arms, verdict.leads[other]))
    worse = [_LABELS[m] for m, v in won.items() if v.winner != first]
    tail = "with no guardrail worse" if not worse else f"but worse on {', '.join(worse)}"
    return f"{first} is better {' and '.join(parts)}, {tail}"


def more_needed(arms: Mapping[str, ArmData], min_sample: int, alpha: float) -> int:
    """About how many more requests (all arms together) before a verdict could come: the
    minimum sample first, then what the primary metric (cost, else errors) needs at the
    difference seen so far (at least 5% of control's value, so an A/A answer is finite)."""
    names = list(arms)
    if len(names) < 2:
        return 0
    shortfall = max(
        max(0, min_sample - len(arms[n].metric(m))) for n in names for m in ("cost_per_request",)
    )
    for metric in ("cost_per_request", "error_rate"):
        samples = metric_samples(arms, metric)
        a, b = summarize(samples[names[0]]), summarize(samples[names[1]])
        if a.n < 2 or b.n < 2:
            continue
        effect = max(abs(b.mean - a.mean), 0.05 * abs(a.mean))
        per_arm = needed_per_arm(a, b, effect, alpha)
        if per_arm is not None:
            have = min(len(samples[n]) for n in names)
            return max(shortfall * len(names), (per_arm - have) * len(names), len(names))
    return max(shortfall, min_sample) * len(names)
