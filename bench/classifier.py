"""The embedded classifier, measured honestly: category accuracy on just-eval's development
and held-out splits (see ``bench/just_eval.py`` for the split and the mapping of task types
to categories), against the constant answer "factual"; complexity against just-eval's
difficulty; whether confidence means something; high-stakes precision and recall on our
own prompts (``bench/data/high_stakes_prompts.json``); research accuracy on the held-out
part of our own research requests (``bench/data/research_prompts.json``, never trained
on); accuracy on the held-out part of our own general chat prompts
(``bench/data/chat_prompts.json``, split by hash in ``bench/chat_prompts.py``); and latency
(a classification includes its difficulty estimate).

"any label" counts a prediction right when its primary category serves any of the prompt's
task types; "first label" only the first (just-eval's main) one. Only the development
split was used to learn or tune anything; read the held-out figures as the real ones.

    uv run python -m bench.classifier [--prompts PATH]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.chat_prompts import chat_prompts
from bench.just_eval import DIFFICULTY_TO_COMPLEXITY, PROMPTS, TASK_TYPES, Prompt, load
from modelplane.domain.profiles import DEFAULT_CATEGORIES
from modelplane.router import Classification, ClassifierContext, EmbeddedClassifier, Message
from modelplane.router.classification.category_model import combine, read_learned
from modelplane.store.static import static_tables

HIGH_STAKES = Path(__file__).resolve().parent / "data/high_stakes_prompts.json"
RESEARCH = Path(__file__).resolve().parent / "data/research_prompts.json"
WRITTEN = Path(__file__).resolve().parent / "data/category_prompts.json"
PREVIOUS = Path(__file__).resolve().parent / "data/category_weights_previous.json"
"""The table shipped before the category model learned every category from the embedding
(no dense weights; read with today's hand weights, which did not change)."""
CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.9, 1.01)
LEARNED = (
    Path(__file__).resolve().parents[1]
    / "src/modelplane/router/classification/data/category_weights.json"
)
REPEATS = 5


def context() -> ClassifierContext:
    config = static_tables().router_config
    s = config.router_settings
    return ClassifierContext(
        categories=DEFAULT_CATEGORIES,
        domains=tuple(config.high_stakes_domains),
        long_context_threshold=s.long_context_threshold,
        context_buffer=s.context_buffer,
        router_model=s.router_model_id,
        temperature=s.classifier_temperature,
        timeout_seconds=s.classifier_timeout_seconds,
        max_retries=s.max_retries,
    )


@dataclass(frozen=True, slots=True)
class Result:
    prompt: Prompt
    classification: Classification

    @property
    def main_type(self) -> str:
        return self.prompt.task_types[0]

    @property
    def any_hit(self) -> bool:
        return self.classification.primary_category in self.prompt.accepted

    @property
    def first_hit(self) -> bool:
        return self.classification.primary_category in TASK_TYPES[self.main_type]


def pct(hits: int, n: int) -> str:
    return f"{hits / n:6.1%}" if n else "     -"


def report_split(name: str, results: Sequence[Result]) -> None:
    n = len(results)
    base_any = sum("factual" in r.prompt.accepted for r in results)
    base_first = sum("factual" in TASK_TYPES[r.main_type] for r in results)
    print(f"\n== {name}: {n} prompts")
    print(
        f"accuracy (any label):   {pct(sum(r.any_hit for r in results), n)}"
        f"   baseline 'factual': {pct(base_any, n)}"
    )
    print(
        f"accuracy (first label): {pct(sum(r.first_hit for r in results), n)}"
        f"   baseline 'factual': {pct(base_first, n)}"
    )
    print("by main task type:       any   first  baseline(any)  n")
    by_type: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_type[r.main_type].append(r)
    for task in sorted(by_type, key=lambda t: -len(by_type[t])):
        rs = by_type[task]
        base = sum("factual" in r.prompt.accepted for r in rs)
        print(
            f"  {task:<10} {pct(sum(r.any_hit for r in rs), len(rs))} "
            f"{pct(sum(r.first_hit for r in rs), len(rs))}  {pct(base, len(rs))}"
            f"      {len(rs)}"
        )
    print("confusion (main task type -> predicted primary):")
    for task in sorted(by_type, key=lambda t: -len(by_type[t])):
        counts = Counter(r.classification.primary_category for r in by_type[task])
        print(f"  {task:<10} " + ", ".join(f"{c} {k}" for c, k in counts.most_common()))
    report_confidence(results)
    report_complexity(results)


def report_confidence(results: Sequence[Result]) -> None:
    print("confidence vs any-label accuracy:")
    for low, high in itertools.pairwise(CONFIDENCE_BINS):
        rs = [r for r in results if low <= r.classification.confidence < high]
        hits = sum(r.any_hit for r in rs)
        print(f"  [{low:.1f}, {min(high, 1):.1f}) {pct(hits, len(rs))}  ({len(rs)})")


def report_complexity(results: Sequence[Result]) -> None:
    n = len(results)
    agree = sum(
        r.classification.complexity == DIFFICULTY_TO_COMPLEXITY[r.prompt.difficulty]
        for r in results
    )
    commonest = Counter(DIFFICULTY_TO_COMPLEXITY[r.prompt.difficulty] for r in results)
    label, count = commonest.most_common(1)[0]
    print(
        f"complexity = difficulty (easy/medium/hard): {pct(agree, n)}"
        f"   constant {label!r}: {pct(count, n)}"
    )
    for difficulty in ("easy", "medium", "hard"):
        counts = Counter(
            r.classification.complexity for r in results if r.prompt.difficulty == difficulty
        )
        print(f"  {difficulty:<6} -> " + ", ".join(f"{c} {k}" for c, k in counts.most_common()))


def report_high_stakes(classifier: EmbeddedClassifier, ctx: ClassifierContext) -> None:
    data = json.loads(HIGH_STAKES.read_text("utf-8"))
    for split in ("development", "held-out"):
        found: Counter[str] = Counter()
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for domain, texts in data[split].items():
            for text in texts:
                said = classifier.classify(Message(text), ctx).high_stakes_domain
                total[domain] += 1
                if said is not None:
                    found[said] += 1
                    right[said] += said == domain
        positives = sum(v for k, v in total.items() if k != "none")
        flagged = sum(found.values())
        print(f"\n== high stakes, {split}: {positives} positives, {total['none']} negatives")
        print(
            f"  overall  precision {pct(sum(right.values()), flagged)}"
            f"  recall {pct(sum(right.values()), positives)}"
        )
        for domain in sorted(d for d in total if d != "none"):
            print(
                f"  {domain:<15} precision {pct(right[domain], found[domain])}"
                f"  recall {pct(right[domain], total[domain])}"
            )


def written(split: str) -> list[tuple[str, str]]:
    """``(category, text)``: our own research requests and the other written categories."""
    out = [("research", t) for t in json.loads(RESEARCH.read_text("utf-8"))[split]]
    data = json.loads(WRITTEN.read_text("utf-8"))["categories"]
    return out + [(c, t) for c, splits in data.items() for t in splits[split]]


def previous_classifier() -> EmbeddedClassifier:
    raw = json.loads(PREVIOUS.read_text("utf-8"))
    return EmbeddedClassifier(combine(*read_learned(raw, str(PREVIOUS))))


def report_side_by_side(
    classifiers: Sequence[tuple[str, EmbeddedClassifier]],
    ctx: ClassifierContext,
    prompts: Sequence[Prompt],
) -> None:
    """Held-out figures only (never trained on), one column per classifier."""
    rows: list[tuple[str, list[str]]] = []
    held = [p for p in prompts if p.split == "held-out"]
    ours = written("held-out")
    names = [name for name, _ in classifiers]
    cells: dict[str, list[str]] = defaultdict(list)
    for _, classifier in classifiers:
        said = [classifier.classify(Message(p.text), ctx).primary_category for p in held]
        n = len(held)
        cells["just-eval held-out, any label"].append(
            pct(sum(c in p.accepted for c, p in zip(said, held, strict=True)), n)
        )
        cells["just-eval held-out, first label"].append(
            pct(sum(c in TASK_TYPES[p.task_types[0]] for c, p in zip(said, held, strict=True)), n)
        )
        by_category: dict[str, list[bool]] = defaultdict(list)
        for category, text in ours:
            got = classifier.classify(Message(text), ctx).primary_category
            by_category[category].append(got == category)
        for category, hits in by_category.items():
            cells[f"our {category} held-out ({len(hits)})"].append(pct(sum(hits), len(hits)))
        chat = chat_prompts("held-out")
        answers = [classifier.classify(Message(text), ctx).primary_category for _, text in chat]
        cells[f"our chat held-out ({len(chat)}), any label"].append(
            pct(sum(c in TASK_TYPES[t] for c, (t, _) in zip(answers, chat, strict=True)), len(chat))
        )
    rows = list(cells.items())
    width = max(len(label) for label, _ in rows)
    print("== held-out primary-category accuracy, side by side")
    print(f"  {'':<{width}}  " + "  ".join(f"{n:>10}" for n in names))
    for label, values in rows:
        print(f"  {label:<{width}}  " + "  ".join(f"{v:>10}" for v in values))


def report_written(classifier: EmbeddedClassifier, ctx: ClassifierContext) -> None:
    for split in ("development", "held-out"):
        said: dict[str, Counter[str]] = defaultdict(Counter)
        for category, text in written(split):
            said[category][classifier.classify(Message(text), ctx).primary_category] += 1
        for category, counts in said.items():
            n = counts.total()
            print(f"\n== our {category} prompts, {split}: {n}: right {pct(counts[category], n)}")
            print("  predicted: " + ", ".join(f"{c} {k}" for c, k in counts.most_common()))


def report_chat(classifier: EmbeddedClassifier, ctx: ClassifierContext) -> None:
    for split in ("development", "held-out"):
        by_type: dict[str, Counter[str]] = defaultdict(Counter)
        for task, text in chat_prompts(split):
            by_type[task][classifier.classify(Message(text), ctx).primary_category] += 1
        n = sum(c.total() for c in by_type.values())
        hits = sum(c[k] for t, c in by_type.items() for k in TASK_TYPES[t])
        print(f"\n== our chat prompts, {split}: {n}: right (any label) {pct(hits, n)}")
        for task, counts in by_type.items():
            print(f"  {task:<10} " + ", ".join(f"{c} {k}" for c, k in counts.most_common()))


def report_research(classifier: EmbeddedClassifier, ctx: ClassifierContext) -> None:
    data = json.loads(RESEARCH.read_text("utf-8"))
    for split in ("development", "held-out"):
        said = Counter(classifier.classify(Message(t), ctx).primary_category for t in data[split])
        n = sum(said.values())
        print(
            f"\n== research requests, {split}: {n} prompts: research {pct(said['research'], n)}"
            f"   baseline 'factual': {pct(0, n)}"
        )
        print("  predicted: " + ", ".join(f"{c} {k}" for c, k in said.most_common()))


def report_latency(
    classifier: EmbeddedClassifier, ctx: ClassifierContext, prompts: Sequence[Prompt]
) -> None:
    """Per prompt, the best of ``REPEATS`` calls (other processes share this machine, so a
    single call's time says as much about the scheduler as about the classifier); the
    first call's figures are printed too."""
    best: list[float] = []
    single: list[float] = []
    for p in prompts:
        message = Message(p.text)
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter_ns()
            classifier.classify(message, ctx)
            times.append((time.perf_counter_ns() - start) / 1000)
        best.append(min(times))
        single.append(times[0])
    print()
    for label, xs in ((f"best of {REPEATS}", best), ("single call", single)):
        xs.sort()
        print(
            f"latency per classify ({label}): median {statistics.median(xs):.0f} µs, "
            f"p99 {xs[int(len(xs) * 0.99) - 1]:.0f} µs, max {xs[-1]:.0f} µs"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=Path, default=PROMPTS)
    args = parser.parse_args()
    prompts = load(args.prompts)
    classifier, ctx = EmbeddedClassifier(), context()
    for p in prompts[:50]:  # warm the regex and table caches
        classifier.classify(Message(p.text), ctx)
    report_side_by_side(
        [("previous", previous_classifier()), ("shipped", classifier)], ctx, prompts
    )
    results = [Result(p, classifier.classify(Message(p.text), ctx)) for p in prompts]
    cv = json.loads(LEARNED.read_text("utf-8"))["trainedOn"].get("crossValidatedAnyLabel")
    for split in ("development", "held-out"):
        report_split(split, [r for r in results if r.prompt.split == split])
        if split == "development" and cv is not None:
            print(
                "(the table was fitted on development; 5-fold cross-validated any-label "
                f"accuracy on its folds: {cv:.1%})"
            )
    report_written(classifier, ctx)
    report_chat(classifier, ctx)
    report_high_stakes(classifier, ctx)
    report_latency(classifier, ctx, prompts)
    predicted = Counter(r.classification.primary_category for r in results)
    print("predicted primary categories:", dict(predicted.most_common()))


if __name__ == "__main__":
    main()
