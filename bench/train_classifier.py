"""Learn the embedded classifier's category table from the development split of just-eval
and write it to ``src/modelplane/router/classification/data/category_weights.json``.

The model is multinomial logistic regression over the binary features of
``modelplane.router.classification.features`` for the four categories just-eval teaches (factual,
reasoning, creative, coding), fitted by full-batch AdaGrad with an L2 penalty. It is
deterministic: same prompts, same table. Only ``just_eval.development()`` is read; the
held-out fifth never reaches this script.

    uv run python -m bench.train_classifier            # fit on all of development, write
    uv run python -m bench.train_classifier --cv       # 5-fold CV inside development only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.just_eval import PROMPTS, TRAINED_CATEGORY, Prompt, development
from modelplane.domain.profiles import DEFAULT_CATEGORIES
from modelplane.router import Classification, ClassifierContext, EmbeddedClassifier, Message
from modelplane.router.classification.category_model import HAND_WEIGHTS, CategoryModel, combine
from modelplane.router.classification.features import extract

CLASSES = ("factual", "reasoning", "creative", "coding")
CV_CONTEXT = ClassifierContext(
    categories=DEFAULT_CATEGORIES,
    domains=(),
    long_context_threshold=128_000,
    context_buffer=1.2,
    router_model="",
    temperature=0.0,
    timeout_seconds=1.0,
    max_retries=0,
)
OUTPUT = (
    Path(__file__).resolve().parents[1]
    / "src/modelplane/router/classification/data/category_weights.json"
)


@dataclass(frozen=True, slots=True)
class Hyper:
    l2: float = 0.002
    min_df: int = 2
    first_share: float = 0.7
    """Of the target mass, the share on the first (main) task type; the rest is spread over
    the other task types' categories."""
    epochs: int = 300
    rate: float = 0.5
    prune: float = 0.02
    learn_cues: bool = True
    """Whether learning may adjust features that already carry hand weights."""


def target(p: Prompt, first_share: float) -> list[float]:
    first = TRAINED_CATEGORY[p.task_types[0]]
    others = [TRAINED_CATEGORY[t] for t in p.task_types[1:]]
    others = [c for c in others if c != first]
    q = [0.0] * len(CLASSES)
    q[CLASSES.index(first)] = first_share if others else 1.0
    for c in others:
        q[CLASSES.index(c)] += (1 - first_share) / len(others)
    return q


def softmax(z: Sequence[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    s = sum(e)
    return [v / s for v in e]


@dataclass
class Table:
    features: list[str]
    bias: list[float]
    weights: list[list[float]]

    def logits(self, ids: Sequence[int], offset: Sequence[float]) -> list[float]:
        z = [b + o for b, o in zip(self.bias, offset, strict=True)]
        for i in ids:
            w = self.weights[i]
            for k in range(len(CLASSES)):
                z[k] += w[k]
        return z


def hand_offset(features: frozenset[str]) -> list[float]:
    """What the hand weights already give each learned class; learning adds to it."""
    z = [0.0] * len(CLASSES)
    for f in features:
        for c, w in HAND_WEIGHTS.get(f, {}).items():
            if c in CLASSES:
                z[CLASSES.index(c)] += w
    return z


def fit(prompts: Sequence[Prompt], hyper: Hyper) -> Table:
    docs = [extract(p.text) for p in prompts]
    df = Counter(f for d in docs for f in d)
    names = sorted(
        f
        for f, n in df.items()
        if (n >= hyper.min_df or f.startswith("cue:"))
        and (hyper.learn_cues or f not in HAND_WEIGHTS)
    )
    index = {f: i for i, f in enumerate(names)}
    rows = [[index[f] for f in d if f in index] for d in docs]
    offsets = [hand_offset(d) for d in docs]
    targets = [target(p, hyper.first_share) for p in prompts]
    k, n = len(CLASSES), len(prompts)
    table = Table(names, [0.0] * k, [[0.0] * k for _ in names])
    g2w = [[1e-8] * k for _ in names]
    g2b = [1e-8] * k
    for _ in range(hyper.epochs):
        gw = [[hyper.l2 * v for v in w] for w in table.weights]
        gb = [0.0] * k
        for ids, o, q in zip(rows, offsets, targets, strict=True):
            p = softmax(table.logits(ids, o))
            d = [(p[c] - q[c]) / n for c in range(k)]
            for c in range(k):
                gb[c] += d[c]
            for i in ids:
                g = gw[i]
                for c in range(k):
                    g[c] += d[c]
        for c in range(k):
            g2b[c] += gb[c] ** 2
            table.bias[c] -= hyper.rate * gb[c] / math.sqrt(g2b[c])
        for i, g in enumerate(gw):
            w, acc = table.weights[i], g2w[i]
            for c in range(k):
                acc[c] += g[c] ** 2
                w[c] -= hyper.rate * g[c] / math.sqrt(acc[c])
    return table


def as_model(table: Table, hyper: Hyper) -> CategoryModel:
    """The learned table with the hand weights, as the classifier will load it."""
    exported = export(table, hyper, [])
    bias = dict(zip(CLASSES, exported["bias"], strict=True))  # type: ignore[call-overload]
    weights = {
        f: dict(zip(CLASSES, row, strict=True))
        for f, row in exported["weights"].items()  # type: ignore[attr-defined]
    }
    return combine(bias, weights)


def cross_validate(
    prompts: Sequence[Prompt], hyper: Hyper, folds: int = 5
) -> list[tuple[Prompt, Classification]]:
    """Every development prompt classified by a model fitted without its fold."""
    out: list[tuple[Prompt, Classification]] = []
    for fold in range(folds):
        train = [p for p in prompts if (p.id // 5) % folds != fold]
        classifier = EmbeddedClassifier(as_model(fit(train, hyper), hyper))
        out += [
            (p, classifier.classify(Message(p.text), CV_CONTEXT))
            for p in prompts
            if (p.id // 5) % folds == fold
        ]
    return out


def cv_accuracy(prompts: Sequence[Prompt], hyper: Hyper) -> float:
    results = cross_validate(prompts, hyper)
    return sum(c.primary_category in p.accepted for p, c in results) / len(results)


def export(table: Table, hyper: Hyper, prompts: Sequence[Prompt]) -> dict[str, object]:
    weights = {
        f: [round(v, 3) for v in w]
        for f, w in zip(table.features, table.weights, strict=True)
        if max(abs(v) for v in w) >= hyper.prune
    }
    ids = ",".join(str(p.id) for p in prompts)
    return {
        "about": "Learned by bench/train_classifier.py; do not edit by hand.",
        "trainedOn": {
            "file": PROMPTS.name,
            "split": "development (id % 5 != 0)",
            "prompts": len(prompts),
            "idsSha256": hashlib.sha256(ids.encode()).hexdigest(),
        },
        "hyper": {
            "l2": hyper.l2,
            "minDf": hyper.min_df,
            "firstShare": hyper.first_share,
            "epochs": hyper.epochs,
            "prune": hyper.prune,
        },
        "classes": list(CLASSES),
        "bias": [round(v, 3) for v in table.bias],
        "weights": dict(sorted(weights.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate a small grid")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    prompts = development()
    if args.cv:
        for l2 in (0.0005, 0.002, 0.005):
            for share in (0.6, 0.8, 1.0):
                hyper = Hyper(l2=l2, first_share=share, epochs=150)
                print(f"l2={l2} firstShare={share}: {cv_accuracy(prompts, hyper):.1%}")
        return
    hyper = Hyper()
    table = export(fit(prompts, hyper), hyper, prompts)
    cv = round(cv_accuracy(prompts, hyper), 4)
    table["trainedOn"]["crossValidatedAnyLabel"] = cv  # type: ignore[index]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(table, indent=0, sort_keys=False) + "\n", "utf-8")
    print(f"wrote {args.output} ({len(table['weights'])} features)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
