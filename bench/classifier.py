"""The embedded classifier's accuracy and latency on 800 labelled prompts
(``../shared/reference/prompts/just-eval-tags.json``, from Re-Align/just-eval, MIT).

just-eval labels each prompt with one or more task types; our categories are finer in some
places and coarser in others, so each task type maps to the categories that would serve it:

    info-seek  -> factual, research    (looking something up)
    reasoning  -> reasoning, analysis  (working something out)
    math       -> reasoning
    procedure  -> factual              ("how do I ..." instructions)
    writing    -> creative
    role-play  -> creative, conversation
    coding     -> coding

"any label" counts a prediction right when its primary category serves any of the prompt's
task types; "first label" only the first (just-eval's main) one. Latency is the median (and
p99) wall time of one ``classify`` call, in microseconds.

    uv run python -m bench.classifier [--prompts PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from modelplane.catalog.profiles import DEFAULT_CATEGORIES
from modelplane.router import ClassifierContext, EmbeddedClassifier, Message
from modelplane.store.static import static_tables

DEFAULT_PROMPTS = (
    Path(__file__).resolve().parents[2] / "shared/reference/prompts/just-eval-tags.json"
)
TASK_TYPES: dict[str, frozenset[str]] = {
    "info-seek": frozenset({"factual", "research"}),
    "reasoning": frozenset({"reasoning", "analysis"}),
    "math": frozenset({"reasoning"}),
    "procedure": frozenset({"factual"}),
    "writing": frozenset({"creative"}),
    "role-play": frozenset({"creative", "conversation"}),
    "coding": frozenset({"coding"}),
}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=Path, default=DEFAULT_PROMPTS)
    args = parser.parse_args()
    prompts = json.loads(args.prompts.read_text("utf-8"))
    classifier, ctx = EmbeddedClassifier(), context()
    any_hits = first_hits = baseline = 0
    per_type: Counter[str] = Counter()
    per_type_hits: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    latencies: list[float] = []
    for item in prompts:
        start = time.perf_counter_ns()
        c = classifier.classify(Message(item["instruction"]), ctx)
        latencies.append((time.perf_counter_ns() - start) / 1000)
        types = item["task_types"]
        accepted = frozenset().union(*(TASK_TYPES[t] for t in types))
        any_hits += c.primary_category in accepted
        baseline += "factual" in accepted
        first = c.primary_category in TASK_TYPES[types[0]]
        first_hits += first
        per_type[types[0]] += 1
        per_type_hits[types[0]] += first
        predicted[c.primary_category] += 1
    n = len(prompts)
    latencies.sort()
    print(f"prompts: {n}")
    print(f"accuracy (any label):   {any_hits / n:.1%}")
    print(f"accuracy (first label): {first_hits / n:.1%}")
    print(f"baseline, always 'factual' (any label): {baseline / n:.1%}")
    print(
        f"latency: median {statistics.median(latencies):.0f} µs, "
        f"p99 {latencies[int(n * 0.99) - 1]:.0f} µs"
    )
    print("first-label accuracy by task type:")
    for task, count in per_type.most_common():
        print(f"  {task:<10} {per_type_hits[task] / count:>6.1%}  ({count})")
    print("predicted primary categories:", dict(predicted.most_common()))


if __name__ == "__main__":
    main()
