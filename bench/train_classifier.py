"""Learn the embedded classifier's category model and write it to
``src/modelplane/router/classification/data/category_weights.json``.

The model is multinomial logistic regression, on top of the fixed hand weights
(``category_model.HAND_WEIGHTS``), over two kinds of features of a message: the binary named
features of ``features.py`` (words, word pairs, cues) and its unit-length WordLlama
embedding (``difficulty.embed``, the same one the difficulty estimator reads). It learns all
eight categories: factual, reasoning, creative and coding from just-eval's development
split (``just_eval.development()``; the held-out fifth never reaches this script);
research, analysis, conversation and multimodal from the development part of the prompts
we wrote ourselves (``bench/data/research_prompts.json`` and
``bench/data/category_prompts.json``; their held-out parts never reach this script either).
The development part of our own general chat prompts (``bench/data/chat_prompts.json``, read
by ``bench/chat_prompts.py``, labelled through just-eval's task types) adds to the first four.
The embedding's weights are penalised more than the named features' (``l2_dense``, chosen
by the 5-fold cross-validation inside development). Fitted by full-batch AdaGrad with an L2
penalty: deterministic, same prompts, same table.

The cross-validation folds just-eval's development split and our research, analysis,
conversation and image prompts; the chat prompts are in every fold's training part and
never scored, so its headline figure (any-label accuracy on just-eval's development folds)
says how the model does on prompts like just-eval's, not on prompts like ours. The written
categories' figures are printed beside it.

    uv run python -m bench.train_classifier            # fit on all of development, write
    uv run python -m bench.train_classifier --cv       # 5-fold CV inside development only
    uv run python -m bench.train_classifier --cv --partitions 5 --chat-weights 1 2

``--partitions K`` repeats the CV over K different assignments of the scored prompts to
folds (the first is the standard one, the others by hash) and prints their mean too: one
partition's figure moves by about a point with the partition alone. ``--chat-weights``
cross-validates those chat weights at the other hyperparameters' defaults instead of the
fixed grid; ``--set-targets A ...`` (with ``--set-chat``, the chat prompts too) the weight of
the set-valued likelihood for just-eval's prompts (``Hyper.set_targets``), and without
``--cv`` writes the table fitted at the first.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.chat_prompts import chat_prompts
from bench.just_eval import PROMPTS, TASK_TYPES, TRAINED_CATEGORY, Prompt, development
from modelplane.domain.profiles import DEFAULT_CATEGORIES
from modelplane.router import ClassifierContext, EmbeddedClassifier, Message
from modelplane.router.classification.category_model import (
    HAND_BIAS,
    HAND_WEIGHTS,
    CategoryModel,
    combine,
)
from modelplane.router.classification.difficulty import EMBEDDING_DIM, embed_many
from modelplane.router.classification.features import extract

Matrix = npt.NDArray[np.float64]

ALL = tuple(DEFAULT_CATEGORIES)
CLASSES = ALL
RESEARCH = Path(__file__).resolve().parent / "data/research_prompts.json"
WRITTEN = Path(__file__).resolve().parent / "data/category_prompts.json"
DENSE_SCALE = float(np.sqrt(EMBEDDING_DIM))
"""Training sees the embedding times this, so its parts are of the order of one, like the
binary features, and one L2 penalty suits both."""
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
class Example:
    text: str
    target: tuple[float, ...]
    """Probability mass over ``CLASSES``."""
    fold: int
    """The cross-validation fold that scores it; ``-1``: never scored, always trained on."""
    accepted: frozenset[str]
    source: str
    """``"just-eval"``, ``"chat"`` or the category of one of our written prompts."""
    weight: float = 1.0
    sets: tuple[tuple[float, frozenset[str]], ...] = ()
    """For a just-eval or chat prompt: each task type's share of the target mass and the
    categories that serve it (``TASK_TYPES``), which ``Hyper.set_targets`` trains on."""


@dataclass(frozen=True, slots=True)
class Hyper:
    l2: float = 0.001
    l2_dense: float = 0.02
    min_df: int = 2
    first_share: float = 0.7
    """Of the target mass, the share on the first (main) task type; the rest is spread over
    the other task types' categories."""
    epochs: int = 400
    rate: float = 0.3
    prune: float = 0.02
    kinds: tuple[str, ...] = ("w", "b", "f", "f2", "len", "cue")
    """The named feature kinds (prefixes, see ``features.py``) the table learns weights for."""
    chat_weight: float = 1.0
    """How much one of our chat prompts counts in the loss next to one just-eval prompt
    (``0``: left out)."""
    written_weight: float = 4.0
    """The same for one of our research, analysis, conversation and image prompts: without
    the weight, the chat prompts' mass pulled the cross-validated conversation and analysis
    figures down."""
    set_targets: float = 0.0
    """How much of a just-eval prompt's loss is the set-valued likelihood (each task type's
    share times the log of the probability of any category that serves it, so an info-seek
    prompt called research is not penalised) instead of the one trained category of each
    task type (``TRAINED_CATEGORY``); ``0``: the trained categories only."""
    set_chat: bool = False
    """Train the chat prompts with the same mix as just-eval's (else always the trained
    category)."""


def research_prompts(split: str) -> list[str]:
    texts: list[str] = json.loads(RESEARCH.read_text("utf-8"))[split]
    return texts


def written_prompts(split: str) -> list[tuple[str, str]]:
    """``(category, text)`` for our own prompts of ``split``: the research requests of
    ``research_prompts.json`` and every category of ``category_prompts.json``."""
    out = [("research", t) for t in research_prompts(split)]
    data = json.loads(WRITTEN.read_text("utf-8"))["categories"]
    out += [(c, t) for c, splits in data.items() for t in splits[split]]
    return out


def target(p: Prompt, first_share: float) -> tuple[float, ...]:
    first = TRAINED_CATEGORY[p.task_types[0]]
    others = [TRAINED_CATEGORY[t] for t in p.task_types[1:]]
    others = [c for c in others if c != first]
    q = [0.0] * len(CLASSES)
    q[CLASSES.index(first)] = first_share if others else 1.0
    for c in others:
        q[CLASSES.index(c)] += (1 - first_share) / len(others)
    return tuple(q)


def target_sets(p: Prompt, first_share: float) -> tuple[tuple[float, frozenset[str]], ...]:
    """``target``'s shares, but over the sets of categories that serve each task type."""
    first = TASK_TYPES[p.task_types[0]]
    others = list(dict.fromkeys(TASK_TYPES[t] for t in p.task_types[1:]))
    others = [s for s in others if s != first]
    if not others:
        return ((1.0, first),)
    return ((first_share, first), *(((1 - first_share) / len(others), s) for s in others))


def examples(hyper: Hyper) -> list[Example]:
    out = [
        Example(
            p.text,
            target(p, hyper.first_share),
            (p.id // 5) % 5,
            p.accepted,
            "just-eval",
            sets=target_sets(p, hyper.first_share) if hyper.set_targets > 0 else (),
        )
        for p in development()
    ]
    out += [
        Example(
            text,
            tuple(float(c == category) for c in CLASSES),
            i % 5,
            frozenset({category}),
            category,
            hyper.written_weight,
        )
        for i, (category, text) in enumerate(written_prompts("development"))
    ]
    if hyper.chat_weight > 0:
        out += [
            Example(
                text,
                tuple(float(c == TRAINED_CATEGORY[task]) for c in CLASSES),
                -1,
                TASK_TYPES[task],
                "chat",
                hyper.chat_weight,
                ((1.0, TASK_TYPES[task]),) if hyper.set_targets > 0 and hyper.set_chat else (),
            )
            for task, text in chat_prompts("development")
        ]
    return out


def hand_offsets(docs: Sequence[frozenset[str]]) -> Matrix:
    """What the hand weights already give each category; learning adds to it."""
    z = np.tile(np.array([HAND_BIAS.get(c, 0.0) for c in ALL]), (len(docs), 1))
    for row, features in enumerate(docs):
        for f in features:
            for c, w in HAND_WEIGHTS.get(f, {}).items():
                if c in ALL:
                    z[row, ALL.index(c)] += w
    return z


@dataclass
class Fitted:
    features: list[str]
    bias: Matrix
    weights: Matrix
    dense: Matrix
    """Per unit-length embedding (the training scale already folded in)."""


def fit(items: Sequence[Example], hyper: Hyper) -> Fitted:
    docs = [extract(e.text) for e in items]
    df = Counter(f for d in docs for f in d)
    names = sorted(
        f
        for f, n in df.items()
        if f.split(":", 1)[0] in hyper.kinds and (n >= hyper.min_df or f.startswith("cue:"))
    )
    index = {f: i for i, f in enumerate(names)}
    xs = np.zeros((len(items), len(names)))
    for row, d in enumerate(docs):
        xs[row, [index[f] for f in d if f in index]] = 1.0
    xe = embed_many([e.text for e in items]) * DENSE_SCALE
    offsets = hand_offsets(docs)
    learned = [ALL.index(c) for c in CLASSES]
    q = np.zeros((len(items), len(ALL)))
    q[:, learned] = np.array([e.target for e in items])
    k = len(CLASSES)
    weight = np.array([e.weight for e in items])[:, None]
    shares, masks, mixed = set_arrays(items)
    n = float(weight.sum())
    b, ws, we = np.zeros(k), np.zeros((len(names), k)), np.zeros((EMBEDDING_DIM, k))
    acc = [np.full_like(a, 1e-8) for a in (b, ws, we)]
    for _ in range(hyper.epochs):
        z = offsets.copy()
        z[:, learned] += b + xs @ ws + xe @ we
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        target_q = q
        if hyper.set_targets > 0 and mixed.any():
            # The gradient of -share * log(mass of the set) is share * (p - p on the set,
            # renormalised): the target puts each set's share where the model already
            # puts that set's mass, so it moves only mass outside every accepted set.
            inside = p[:, None, :] * masks
            mass = np.maximum(inside.sum(axis=2, keepdims=True), 1e-300)
            q_set = (shares[:, :, None] * inside / mass).sum(axis=1)
            alpha = hyper.set_targets
            target_q = np.where(mixed[:, None], alpha * q_set + (1 - alpha) * q, q)
        g = (weight * (p - target_q) / n)[:, learned]
        grads = (g.sum(axis=0), xs.T @ g + hyper.l2 * ws, xe.T @ g + hyper.l2_dense * we)
        for param, grad, a in zip((b, ws, we), grads, acc, strict=True):
            a += grad**2
            param -= hyper.rate * grad / np.sqrt(a)
    return Fitted(names, b, ws, we.T * DENSE_SCALE)


def set_arrays(items: Sequence[Example]) -> tuple[Matrix, Matrix, npt.NDArray[np.bool_]]:
    """Each example's set shares ``(n, t)``, the sets as 0/1 masks over ``ALL``
    ``(n, t, len(ALL))`` and whether it has sets at all ``(n,)``."""
    t = max((len(e.sets) for e in items), default=0)
    shares = np.zeros((len(items), t))
    masks = np.zeros((len(items), t, len(ALL)))
    for row, e in enumerate(items):
        for j, (share, categories) in enumerate(e.sets):
            shares[row, j] = share
            masks[row, j, [ALL.index(c) for c in categories]] = 1.0
    return shares, masks, np.array([bool(e.sets) for e in items])


def as_model(fitted: Fitted, hyper: Hyper) -> CategoryModel:
    """The learned model with the hand weights, as the classifier will load it."""
    doc = export(fitted, hyper, [])
    bias = dict(zip(CLASSES, doc["bias"], strict=True))  # type: ignore[call-overload]
    weights = {
        f: dict(zip(CLASSES, row, strict=True))
        for f, row in doc["weights"].items()  # type: ignore[attr-defined]
    }
    return combine(bias, weights, CLASSES, np.array(doc["dense"]))


def cross_validate(items: Sequence[Example], hyper: Hyper, folds: int = 5) -> dict[str, float]:
    """Per source (``"just-eval"`` and each written category), the any-label accuracy of its
    scored examples, each classified by a model fitted without its fold."""
    hits: dict[str, list[bool]] = {}
    for fold in range(folds):
        train = [e for e in items if e.fold != fold]
        classifier = EmbeddedClassifier(as_model(fit(train, hyper), hyper))
        for e in items:
            if e.fold == fold:
                said = classifier.classify(Message(e.text), CV_CONTEXT).primary_category
                hits.setdefault(e.source, []).append(said in e.accepted)
    return {source: sum(h) / len(h) for source, h in hits.items()}


def repartition(items: Sequence[Example], partition: int, folds: int = 5) -> list[Example]:
    """The same examples with the scored ones dealt into folds by the hash of the partition
    number and their text (partition ``0``: the standard folds, unchanged)."""
    if partition == 0:
        return list(items)
    return [
        e
        if e.fold < 0
        else dataclasses.replace(
            e, fold=hashlib.sha256(f"{partition}:{e.source}:{e.text}".encode()).digest()[0] % folds
        )
        for e in items
    ]


def cross_validate_partitions(
    items: Sequence[Example], hyper: Hyper, partitions: int
) -> list[dict[str, float]]:
    """``cross_validate`` on each of the first ``partitions`` partitions."""
    return [cross_validate(repartition(items, k), hyper) for k in range(partitions)]


def mean(cvs: Sequence[dict[str, float]]) -> dict[str, float]:
    return {source: sum(cv[source] for cv in cvs) / len(cvs) for source in cvs[0]}


def show(cv: dict[str, float]) -> str:
    return "  ".join(f"{source} {value:.1%}" for source, value in cv.items())


def export(fitted: Fitted, hyper: Hyper, prompts: Sequence[Prompt]) -> dict[str, object]:
    weights = {
        f: [round(float(v), 3) for v in w]
        for f, w in zip(fitted.features, fitted.weights, strict=True)
        if np.max(np.abs(w)) >= hyper.prune
    }
    ids = ",".join(str(p.id) for p in prompts)
    return {
        "about": "Learned by bench/train_classifier.py; do not edit by hand.",
        "trainedOn": {
            "file": PROMPTS.name,
            "split": "development (id % 5 != 0)",
            "prompts": len(prompts),
            "idsSha256": hashlib.sha256(ids.encode()).hexdigest(),
            "researchPrompts": len(research_prompts("development")),
            "writtenPrompts": dict(Counter(c for c, _ in written_prompts("development"))),
            "chatPrompts": dict(Counter(t for t, _ in chat_prompts("development")))
            if hyper.chat_weight > 0
            else {},
        },
        "hyper": {
            "l2": hyper.l2,
            "l2Dense": hyper.l2_dense,
            "minDf": hyper.min_df,
            "firstShare": hyper.first_share,
            "epochs": hyper.epochs,
            "prune": hyper.prune,
            "chatWeight": hyper.chat_weight,
            "writtenWeight": hyper.written_weight,
            "setTargets": hyper.set_targets,
            "setChat": hyper.set_chat,
        },
        "classes": list(CLASSES),
        "bias": [round(float(v), 3) for v in fitted.bias],
        "weights": dict(sorted(weights.items())),
        "dense": [[round(float(v), 4) for v in row] for row in fitted.dense],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate a small grid")
    parser.add_argument(
        "--partitions", type=int, default=1, help="with --cv: fold partitions to average over"
    )
    parser.add_argument(
        "--chat-weights",
        type=float,
        nargs="+",
        help="with --cv: cross-validate these chat weights (other hyperparameters default)",
    )
    parser.add_argument(
        "--set-targets",
        type=float,
        nargs="+",
        help="with --cv: cross-validate these set-target weights (other hyperparameters "
        "default, or the --chat-weights); without: write the table fitted at the first",
    )
    parser.add_argument(
        "--set-chat", action="store_true", help="train the chat prompts with set targets too"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if args.cv:
        if args.chat_weights or args.set_targets:
            grid = [
                Hyper(chat_weight=w, set_targets=a, set_chat=args.set_chat)
                for w in args.chat_weights or [Hyper().chat_weight]
                for a in args.set_targets or [Hyper().set_targets]
            ]
        else:
            grid = [
                Hyper(l2_dense=l2_dense, chat_weight=chat_weight, written_weight=written_weight)
                for chat_weight, written_weight in ((0.0, 1.0), (1.0, 1.0), (1.0, 4.0))
                for l2_dense in (0.02, 0.04)
            ]
        for hyper in grid:
            name = (
                f"chat={hyper.chat_weight} written={hyper.written_weight} l2Dense={hyper.l2_dense}"
                f" sets={hyper.set_targets}{'+chat' if hyper.set_chat else ''}"
            )
            cvs = cross_validate_partitions(examples(hyper), hyper, args.partitions)
            for k, cv in enumerate(cvs):
                print(f"{name} partition {k}: {show(cv)}", flush=True)
            if len(cvs) > 1:
                print(f"{name} mean of {len(cvs)}: {show(mean(cvs))}", flush=True)
        return
    hyper = Hyper()
    if args.set_targets:
        hyper = Hyper(set_targets=args.set_targets[0], set_chat=args.set_chat)
    elif args.set_chat:
        hyper = Hyper(set_chat=True)
    items = examples(hyper)
    table = export(fit(items, hyper), hyper, development())
    cv = cross_validate(items, hyper)
    trained: dict[str, object] = table["trainedOn"]  # type: ignore[assignment]
    trained["crossValidatedAnyLabel"] = round(cv.pop("just-eval"), 4)
    trained["crossValidatedWritten"] = {c: round(v, 4) for c, v in cv.items()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(table, indent=0) + "\n", "utf-8")
    print(f"wrote {args.output} ({len(table['weights'])} features)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
