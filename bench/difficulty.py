"""How well the shipped difficulty estimate routes, on data it never trained on.

APGR (average performance gap recovered): sort prompts by the estimate, hardest first; send
the top x to the strong model and the rest to the weak one; quality(x) is the mean
correctness of that mix and PGR(x) = (quality(x) - quality_weak) / (quality_strong -
quality_weak); APGR is the area under PGR for x in [0, 1]. 0.5 is a coin, 1.0 an oracle.
Ties are broken at random in expectation (the curve is linear across a tie), so a constant
estimate scores exactly 0.5.

Reported side by side with a coin (0.5 for every prompt) and a length-only baseline
(longer is harder):

* MMLU, held-out subjects (never seen in training: the honest test of generalisation);
* the same questions' stems without their options (``train_difficulty.stems``): open
  questions with real outcomes, the nearest to general chat we can measure;
* MMLU, held-out prompts of the trained subjects;
* just-eval, held-out fifth, where only a difficulty label exists: a pseudo-outcome with the
  strong model always right and the weak one right on easy, half right on medium and wrong
  on hard prompts;
* the math word problems we wrote (``bench/data/math_word_problems.json``; all of them while
  training gives them no weight, else their held-out fifth), the same pseudo-outcome from
  our own labels: a sanity check, weaker than the others.

Also the latency of one ``estimate`` call (median, p99) and the premium-share vs quality
curve of both MMLU splits as ``artifacts/difficulty-curve.svg``.

    uv run python -m bench.difficulty
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.train_difficulty import Example, Hyper, all_examples
from modelplane.router.classification.difficulty import DifficultyModel, default_model

Array = npt.NDArray[np.float64]
ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "difficulty-curve.svg"
WEAK_ON_LABEL: dict[str, float] = {"easy": 1.0, "medium": 0.5, "hard": 0.0}


def gain_curve(scores: Sequence[float] | Array, strong: Array, weak: Array) -> tuple[Array, Array]:
    """Points (x, quality) of the mix, from all-weak (x = 0) to all-strong (x = 1).

    Only the ends of each run of tied scores are points: inside a tie the expected curve
    under a random order is the straight line between them.
    """
    score = np.asarray(scores, dtype=np.float64)
    n = len(score)
    order = np.lexsort((np.arange(n), -score))
    gain = (strong - weak)[order]
    ends = np.flatnonzero(np.r_[score[order][1:] != score[order][:-1], True]) + 1
    cumulative = np.r_[0.0, np.cumsum(gain)[ends - 1]]
    x = np.r_[0.0, ends / n]
    return x, (weak.sum() + cumulative) / n


def apgr(scores: Sequence[float] | Array, strong: Array, weak: Array) -> float:
    """Area under the performance-gap-recovered curve; see the module docstring."""
    strong = np.asarray(strong, dtype=np.float64)
    weak = np.asarray(weak, dtype=np.float64)
    gap = strong.mean() - weak.mean()
    if len(strong) == 0 or gap == 0:
        raise ValueError("APGR needs prompts on which the strong model does better overall")
    x, quality = gain_curve(scores, strong, weak)
    pgr = (quality - weak.mean()) / gap
    return float(np.sum((x[1:] - x[:-1]) * (pgr[1:] + pgr[:-1]) / 2))


def pseudo_outcomes(labels: Sequence[str]) -> tuple[Array, Array]:
    """Strong and weak 'correctness' from difficulty labels (see the module docstring)."""
    weak = np.array([WEAK_ON_LABEL[label] for label in labels])
    return np.ones(len(labels)), weak


def outcomes(rows: Sequence[Example]) -> tuple[Array, Array]:
    """Strong and weak correctness of ``rows`` (all of one source): the real outcomes of
    MMLU questions and their stems, else the pseudo-outcomes of their difficulty labels."""
    if rows and rows[0].source in ("mmlu", "stem"):
        strong = np.array([e.strong for e in rows], dtype=np.float64)
        return strong, np.array([e.weak for e in rows], dtype=np.float64)
    return pseudo_outcomes([e.subject for e in rows])


CURVE_SHARES = tuple(round(i / 20, 2) for i in range(21))
"""The premium shares the shipped curve (``difficulty_curve.json``) has a point at."""


def recovered_at(
    shares: Sequence[float], scores: Sequence[float] | Array, strong: Array, weak: Array
) -> list[float]:
    """The share of the quality gap recovered (PGR) when the hardest ``share`` of the
    prompts by ``scores`` go to the strong model, for each share."""
    x, quality = gain_curve(scores, strong, weak)
    gap = float(strong.mean() - weak.mean())
    return [round((float(np.interp(s, x, quality)) - float(weak.mean())) / gap, 4) for s in shares]


def curve_document(model: DifficultyModel, examples: Sequence[Example]) -> dict[str, object]:
    """The premium-share vs quality curve of ``model`` on both held-out MMLU splits, as
    the console shows it (``router/classification/data/difficulty_curve.json``)."""
    sets = []
    for name, split in (
        ("held-out exam questions", "heldout_prompt"),
        ("exam questions of unseen subjects", "heldout_subject"),
    ):
        rows = [e for e in examples if e.source == "mmlu" and e.split == split]
        strong, weak = outcomes(rows)
        scores = model.estimate_many([e.text for e in rows])
        sets.append(
            {
                "name": name,
                "prompts": len(rows),
                "apgr": round(apgr(scores, strong, weak), 4),
                "recovered": recovered_at(CURVE_SHARES, scores, strong, weak),
            }
        )
    return {
        "about": (
            "Share of the quality gap between a strong and a weak model (GPT-4 and Mixtral "
            "8x7B on MMLU, RouteLLM's published outcomes) recovered when the hardest share of "
            "the prompts by the shipped difficulty estimate go to the strong one; prompts "
            "never trained on (bench/train_difficulty.py). A coin recovers its share."
        ),
        "shares": list(CURVE_SHARES),
        "sets": sets,
    }


def length_scores(texts: Sequence[str]) -> Array:
    return np.array([float(len(text)) for text in texts])


def _svg(panels: Sequence[tuple[str, dict[str, tuple[Array, Array]]]]) -> str:
    width, height, pad = 420, 320, 48
    colours = {"estimate": "#1f6feb", "length": "#d29922", "coin": "#8b949e"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * len(panels)}" '
        f'height="{height}" font-family="sans-serif" font-size="12">'
    ]
    for i, (title, curves) in enumerate(panels):
        left = i * width + pad
        low = min(float(q.min()) for _, q in curves.values())
        high = max(float(q.max()) for _, q in curves.values())
        span = max(high - low, 1e-9)

        def point(
            x: float, q: float, left: int = left, low: float = low, span: float = span
        ) -> str:
            px = left + x * (width - 2 * pad)
            py = height - pad - (q - low) / span * (height - 2 * pad)
            return f"{px:.1f},{py:.1f}"

        parts.append(f'<text x="{left}" y="20" font-weight="bold">{title}</text>')
        parts.append(
            f'<rect x="{left}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}" '
            'fill="none" stroke="#ccc"/>'
        )
        parts.append(
            f'<text x="{left}" y="{height - 14}">premium (strong-model) share 0 → 1</text>'
        )
        parts.append(f'<text x="{left - 40}" y="{pad - 6}">quality {high:.3f}</text>')
        parts.append(f'<text x="{left - 40}" y="{height - pad + 14}">{low:.3f}</text>')
        for j, (name, (x, q)) in enumerate(curves.items()):
            step = max(1, len(x) // 400)
            keep = [*range(0, len(x), step), len(x) - 1]
            path = " ".join(point(float(x[k]), float(q[k])) for k in keep)
            colour = colours.get(name, "#000")
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
            )
            parts.append(
                f'<text x="{left + 8}" y="{pad + 16 + 14 * j}" fill="{colour}">{name}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _latency(texts: Sequence[str]) -> tuple[float, float]:
    model = default_model()
    timings: list[float] = []
    for text in texts:
        start = time.perf_counter()
        model.estimate(text)
        timings.append(time.perf_counter() - start)
    timings.sort()
    return statistics.median(timings), timings[int(0.99 * (len(timings) - 1))]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="APGR of the difficulty estimate")
    parser.add_argument("--svg", type=Path, default=ARTIFACT)
    args = parser.parse_args(argv)
    model = default_model()
    examples = all_examples()
    # At a sample weight of 0 none of the math problems was trained on: report them all.
    untrained = dict(Hyper().weight).get("math", 0.0) == 0.0
    sets: list[tuple[str, list[Example]]] = [
        (
            "MMLU held-out subjects",
            [e for e in examples if e.source == "mmlu" and e.split == "heldout_subject"],
        ),
        (
            "  their stems, open form",
            [e for e in examples if e.source == "stem" and e.split == "heldout_subject"],
        ),
        (
            "MMLU held-out prompts",
            [e for e in examples if e.source == "mmlu" and e.split == "heldout_prompt"],
        ),
        (
            "just-eval held-out (pseudo)",
            [e for e in examples if e.source == "just-eval" and e.split == "heldout_prompt"],
        ),
        (
            "own math problems (pseudo)",
            [e for e in examples if e.source == "math" and (e.split != "train" or untrained)],
        ),
    ]
    print(f"{'held-out set':<30}{'n':>6}{'estimate':>10}{'length':>9}{'coin':>7}")
    panels: list[tuple[str, dict[str, tuple[Array, Array]]]] = []
    for name, rows in sets:
        texts = [e.text for e in rows]
        strong, weak = outcomes(rows)
        scores = {
            "estimate": model.estimate_many(texts),
            "length": length_scores(texts),
            "coin": np.full(len(texts), 0.5),
        }
        figures = {key: apgr(value, strong, weak) for key, value in scores.items()}
        print(
            f"{name:<30}{len(rows):>6}{figures['estimate']:>10.3f}"
            f"{figures['length']:>9.3f}{figures['coin']:>7.3f}"
        )
        if rows[0].source == "mmlu":
            panels.append(
                (name, {key: gain_curve(value, strong, weak) for key, value in scores.items()})
            )
    probe = [e.text for e in examples if e.split != "train"][:3000]
    median, p99 = _latency(probe)
    print(f"latency per estimate: median {median * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs")
    args.svg.parent.mkdir(parents=True, exist_ok=True)
    args.svg.write_text(_svg(panels), encoding="utf-8")
    print(f"wrote {args.svg}")


if __name__ == "__main__":
    main()
