"""Train the difficulty estimate and write
``src/modelplane/router/classification/data/difficulty_weights.json``.

What it learns: the probability that a weak, cheap model fails a prompt where a strong one
succeeds (``modelplane.router.classification.difficulty``). The model is L2-regularised
logistic regression over that module's features (WordLlama embedding + hand features),
fitted by Newton's method, with soft targets and a weight per source:

* MMLU outcomes (``../shared/reference/routing-outcomes/mmlu-strong-weak.jsonl``; RouteLLM's
  evaluation data, Apache-2.0; MMLU, MIT): target 1 when the strong model was right and the
  weak one wrong, else 0.
* just-eval prompts (``../shared/reference/prompts/just-eval-tags.json``, MIT): the
  ``difficulty`` label as a soft target (easy / medium / hard -> ``LABEL_TARGET``). A weak
  label, but the only general-chat one we have.
* 60 prompts written for modelplane by hand (``bench/data/difficulty_prompts.json``), same
  soft targets: multi-step word problems, proofs, code, long constrained requests and
  small talk, which MMLU does not cover.
* 75 math word problems written for modelplane by hand (``bench/data/math_word_problems.json``,
  no source, ours): one-step (easy), two or three steps (medium) and four or more steps with
  fractions, percentages, rates or a condition to track (hard), same soft targets. Read,
  but at a sample weight of 0 (``Hyper.weight``): training on them did not pay in
  cross-validation, so today they only measure.

The same MMLU questions without their options (``stems``) are only measured: the stem
of a question is an open question whose outcome we know, the nearest we have to general
chat with real outcomes.

No other data: in particular nothing from GSM8K, MT-Bench or Chatbot Arena, and no MMLU
beyond the shared outcome file.

Every feature has two weights, one for exam questions (three or more lettered options) and
one for any other text (see the module docstring of ``difficulty``); the embedding weights
of the open side are penalised hardest (``Hyper.chat_l2``), because a few hundred labelled
chat prompts cannot pin 256 directions. So the open side knows little of topics: on the
stems of the unseen subjects it scores about what length does.

``Hyper.topic_prior`` (0, off) can start the open side from the exam side's topic direction:
a first fit's exam-side embedding weights (learned on MMLU outcomes), scaled, become a fixed
offset of every open text's logit in a second fit and are then folded into the open side's
embedding weights, so the file keeps its format. Applied to an open question alone, that
direction ranks the stems at 0.615 in cross-validation; but inside the fitted model, at 0.5
it moved the stems' held-out APGR by +0.011 and cost the chat labels 0.005 and the math
labels 0.014, so it stays off (``--tune`` compares it).

Held out, never trained on (``bench/difficulty.py`` reports them):

* MMLU subjects whose name hashes to 0 mod 5 (``heldout_subject``): measures how the
  estimate carries to topics it never saw;
* of the other subjects, the prompts whose text hashes to 0 mod 5 (``heldout_prompt``);
* just-eval prompts with ``id % 5 == 0`` (the split ``bench/just_eval.py`` uses);
* our math word problems whose text hashes to 0 mod 5.

The reference spread written beside the weights (``quantiles``: the estimate at every
percentile) is of all 800 just-eval prompts, a mix of what people ask a chat assistant:
it is what makes the quality strategy's ``premiumShare`` and ``cheapShare`` shares of
typical traffic. Only the weights are fitted; the spread is measured after.

Beside the weights it writes ``difficulty_curve.json``: the share of the quality gap
recovered at each premium share on both held-out MMLU splits (``bench.difficulty.
curve_document``), which the console's auto-router page draws.

Deterministic: the splits are hashes, Newton's method has no randomness (``SEED`` only
orders the dev split of ``--tune``), so the same data gives the same file byte for byte.

    uv run python -m bench.train_difficulty            # fit, write the weights
    uv run python -m bench.train_difficulty --tune     # compare settings on a dev split
                                                       # carved out of the training data
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from modelplane.router.classification.difficulty import (
    CURVE_PATH,
    EMBEDDING_DIM,
    SIDE_WIDTH,
    WEIGHTS_PATH,
    DifficultyModel,
    feature_matrix,
)

SEED = 13
Source = Literal["mmlu", "stem", "just-eval", "hand", "math"]
LABEL_TARGET: dict[str, float] = {"easy": 0.08, "medium": 0.25, "hard": 0.55}
"""Soft targets for the difficulty labels, on the scale of the MMLU outcome (about 18% of
MMLU prompts are 'strong right, weak wrong')."""
OWN_PROMPTS = Path(__file__).resolve().parent / "data" / "difficulty_prompts.json"
MATH_PROMPTS = Path(__file__).resolve().parent / "data" / "math_word_problems.json"
Matrix = npt.NDArray[np.float64]


def reference_dir() -> Path:
    """``shared/reference`` beside the checkout (or ``$MODELPLANE_REFERENCE``)."""
    override = os.environ.get("MODELPLANE_REFERENCE")
    if override:
        return Path(override)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference"
        if candidate.is_dir():
            return candidate
    raise SystemExit("shared/reference not found: set MODELPLANE_REFERENCE")


def _bucket(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 5


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    source: Source
    target: float
    split: Literal["train", "heldout_prompt", "heldout_subject"]
    subject: str = ""
    strong: bool = False
    """For MMLU only: whether the strong / weak model answered correctly."""
    weak: bool = False


def mmlu(reference: Path | None = None) -> list[Example]:
    path = (reference or reference_dir()) / "routing-outcomes" / "mmlu-strong-weak.jsonl"
    rows: list[Example] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        subject, prompt = str(row["subject"]), str(row["prompt"])
        strong, weak = bool(row["strongCorrect"]), bool(row["weakCorrect"])
        split: Literal["train", "heldout_prompt", "heldout_subject"] = (
            "heldout_subject"
            if _bucket(subject) == 0
            else "heldout_prompt"
            if _bucket(prompt) == 0
            else "train"
        )
        rows.append(
            Example(prompt, "mmlu", float(strong and not weak), split, subject, strong, weak)
        )
    return rows


_FIRST_OPTION = re.compile(r"^\s*\(?A[.)]", re.MULTILINE)


def stems(rows: Sequence[Example]) -> list[Example]:
    """The MMLU questions of ``rows`` as open questions: the text before the first option,
    for questions that still read as a question without their options (at least 25
    characters, no "which of the following", no statement pairs, no blank to fill). Same
    outcome, split and subject as the question."""
    found: list[Example] = []
    for e in rows:
        if e.source != "mmlu":
            continue
        start = _FIRST_OPTION.search(e.text)
        stem = (e.text[: start.start()] if start else e.text).replace("Answer:", "").strip()
        lower = stem.lower()
        if len(stem) < 25 or "following" in lower or "statement 1" in lower or stem.endswith("_"):
            continue
        found.append(replace(e, text=stem, source="stem"))
    return found


def just_eval(reference: Path | None = None) -> list[Example]:
    path = (reference or reference_dir()) / "prompts" / "just-eval-tags.json"
    return [
        Example(
            str(row["instruction"]),
            "just-eval",
            LABEL_TARGET[str(row["difficulty"])],
            "heldout_prompt" if int(row["id"]) % 5 == 0 else "train",
            subject=str(row["difficulty"]),
        )
        for row in json.loads(path.read_text(encoding="utf-8"))
    ]


def own_prompts() -> list[Example]:
    document = json.loads(OWN_PROMPTS.read_text(encoding="utf-8"))
    return [
        Example(text, "hand", LABEL_TARGET[label], "train", subject=label)
        for label in ("easy", "medium", "hard")
        for text in document[label]
    ]


def math_problems() -> list[Example]:
    document = json.loads(MATH_PROMPTS.read_text(encoding="utf-8"))
    return [
        Example(
            text,
            "math",
            LABEL_TARGET[label],
            "heldout_prompt" if _bucket(text) == 0 else "train",
            subject=label,
        )
        for label in ("easy", "medium", "hard")
        for text in document[label]
    ]


def all_examples() -> list[Example]:
    reference = reference_dir()
    questions = mmlu(reference)
    return questions + stems(questions) + just_eval(reference) + own_prompts() + math_problems()


@dataclass(frozen=True, slots=True)
class Hyper:
    l2: float = 300.0
    """Penalty on the (standardised) embedding weights of exam questions, in examples'
    worth of loss."""
    chat_l2: float = 10000.0
    """Penalty on the embedding weights of every other text: a few hundred labelled chat
    prompts cannot carry 256 free directions, so they lean on the hand features."""
    weight: tuple[tuple[str, float], ...] = (
        ("mmlu", 1.0),
        ("just-eval", 0.6),
        ("hand", 0.25),
        ("math", 0.0),
    )
    """Each source's share of the total sample weight. Our math word problems get none: with
    a share of 0.2 or 0.5 the cross-validated APGR fell on MMLU and on the math problems'
    own dev folds (``--tune``), so they only measure (``bench/difficulty.py``)."""
    hand_l2: float = 1 / 3
    """The penalty on the hand features (both sides), as a share of ``l2``: below 1 lets the
    features that carry across domains weigh more than the embedding's topic directions."""
    topic_prior: float = 0.0
    """How much of the exam side's topic direction (its embedding weights, learned on MMLU
    outcomes) the open side starts from: 0 is none (shipped), 1 all of it. In ``--tune``,
    0.5 and 1 lifted the stems' cross-validated APGR by 0.03 and 0.05 and left the mean of
    the four measures where it was (0.607 against 0.601); see the module docstring."""
    iterations: int = 30
    mmlu_target: Literal["gap", "weak_fails", "gain"] = "gap"
    """What an MMLU outcome teaches: 'gap' is strong right and weak wrong (the definition),
    'weak_fails' is weak wrong, 'gain' is (strong - weak + 1) / 2."""


def fit(
    features: Matrix,
    targets: Matrix,
    sample: Matrix,
    hyper: Hyper,
    offset: Matrix | None = None,
) -> DifficultyModel:
    """Weighted logistic regression with soft targets, standardised features, Newton steps;
    ``offset`` is a fixed term added to each row's logit."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    x = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], hyper.l2 * hyper.hand_l2 / len(features))
    penalty[:EMBEDDING_DIM] = hyper.l2 / len(features)
    penalty[SIDE_WIDTH : SIDE_WIDTH + EMBEDDING_DIM] = hyper.chat_l2 / len(features)
    penalty[-1] = 0.0
    s = sample / sample.sum()
    fixed = np.zeros(len(features)) if offset is None else offset
    for _ in range(hyper.iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w + fixed, -50, 50)))
        gradient = x.T @ (s * (p - targets)) + penalty * w
        hessian = (x * (s * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    # The ceiling: each hand feature's largest training value (the embedding and the gate
    # are bounded already).
    ceiling = features.max(axis=0)
    for side in (0, SIDE_WIDTH):
        ceiling[side : side + EMBEDDING_DIM] = np.inf
    ceiling[-1] = np.inf
    return DifficultyModel(
        mean=mean, scale=scale, weights=w[:-1], bias=float(w[-1]), ceiling=ceiling
    )


def sample_weights(examples: Sequence[Example], hyper: Hyper) -> Matrix:
    shares = dict(hyper.weight)
    counts = {source: sum(e.source == source for e in examples) for source in shares}
    return np.array([shares.get(e.source, 0.0) / max(counts.get(e.source, 0), 1) for e in examples])


def targets(examples: Sequence[Example], hyper: Hyper) -> Matrix:
    def target(e: Example) -> float:
        if e.source != "mmlu" or hyper.mmlu_target == "gap":
            return e.target
        if hyper.mmlu_target == "weak_fails":
            return float(not e.weak)
        return (float(e.strong) - float(e.weak) + 1) / 2

    return np.array([target(e) for e in examples])


def train(
    examples: Sequence[Example], hyper: Hyper = Hyper(), features: Matrix | None = None
) -> DifficultyModel:
    if features is None:
        features = feature_matrix([e.text for e in examples])
    shares = dict(hyper.weight)
    used = [i for i, e in enumerate(examples) if shares.get(e.source, 0.0) > 0]
    kept = [examples[i] for i in used]
    x, y, s = features[used], targets(kept, hyper), sample_weights(kept, hyper)
    first = fit(x, y, s, hyper)
    if hyper.topic_prior == 0:
        return first
    # The exam side's embedding weights on raw features, scaled: the open side's prior.
    prior = hyper.topic_prior * first.weights[:EMBEDDING_DIM] / first.scale[:EMBEDDING_DIM]
    open_side = slice(SIDE_WIDTH, SIDE_WIDTH + EMBEDDING_DIM)
    second = fit(x, y, s, hyper, offset=x[:, open_side] @ prior)  # zeros on exam rows
    # Fold the offset into the weights: on standardised features it is prior * scale, and
    # the bias gives back what standardising subtracts (prior @ mean).
    weights = second.weights.copy()
    weights[open_side] += prior * second.scale[open_side]
    bias = second.bias + float(prior @ second.mean[open_side])
    return replace(second, weights=weights, bias=bias)


def _tune(examples: Sequence[Example]) -> None:
    """Compare settings by 5-fold cross-validation inside the training rows, the MMLU
    questions and their stems folded by subject (held-out rows are never read)."""
    from bench.difficulty import apgr, length_scores, outcomes

    features = feature_matrix([e.text for e in examples])
    subjects = sorted({e.subject for e in examples if e.source == "mmlu"})
    order = np.random.default_rng(SEED).permutation(len(subjects))
    fold_of = {subjects[i]: rank % 5 for rank, i in enumerate(order)}

    def fold(e: Example) -> int:
        if e.source in ("mmlu", "stem"):
            return fold_of[e.subject]
        return _bucket("fold:" + e.text) if e.source in ("just-eval", "math") else -1

    folds = np.array([fold(e) for e in examples])
    base = Hyper()
    grid = [
        base,
        replace(base, topic_prior=0.5),
        replace(base, topic_prior=1.0),
        replace(base, chat_l2=3000.0),
        replace(base, l2=1000.0),
        replace(base, weight=(*base.weight, ("stem", 0.2))),
    ]
    measured: tuple[Source, ...] = ("mmlu", "stem", "just-eval", "math")
    rows: dict[str, list[list[float]]] = {}
    for k in range(5):
        train_at = np.flatnonzero(folds != k).tolist()
        dev_at = np.flatnonzero(folds == k).tolist()
        fit_on = [examples[i] for i in train_at]
        dev = {s: [i for i in dev_at if examples[i].source == s] for s in measured}
        truth = {s: outcomes([examples[i] for i in at]) for s, at in dev.items()}
        rows.setdefault("length baseline", []).append(
            [apgr(length_scores([examples[i].text for i in dev[s]]), *truth[s]) for s in measured]
        )
        for hyper in grid:
            model = train(fit_on, hyper, features[train_at])
            name = (
                f"l2={hyper.l2:g} chat_l2={hyper.chat_l2:g} hand_l2={hyper.hand_l2:g} "
                f"topic_prior={hyper.topic_prior:g} {hyper.mmlu_target} {dict(hyper.weight)}"
            )
            rows.setdefault(name, []).append(
                [apgr(model.estimate_features(features[dev[s]]), *truth[s]) for s in measured]
            )
    print("mean (worst) over 5 folds: MMLU and stems APGR (subject folds), just-eval and math")
    print("pseudo-APGR, and the mean of the four")
    for name, values in rows.items():
        table = np.array(values)
        cells = "  ".join(f"{table[:, j].mean():.3f} ({table[:, j].min():.3f})" for j in range(4))
        print(f"{cells}  {table.mean():.3f}  {name}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--tune", action="store_true", help="compare settings, write nothing")
    parser.add_argument("--output", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    everything = all_examples()
    examples = [e for e in everything if e.split == "train"]
    if args.tune:
        _tune(examples)
        return
    hyper = Hyper()
    reference = [e.text for e in everything if e.source == "just-eval"]
    model = train(examples, hyper).with_reference(reference)
    shares = dict(hyper.weight)
    counts = {s: sum(e.source == s for e in examples) for s in shares if shares[s] > 0}
    document = model.to_document(
        trained_by="bench/train_difficulty.py",
        target="P(weak model fails where strong succeeds)",
        examples=counts,
        l2=hyper.l2,
        chat_l2=hyper.chat_l2,
        hand_l2=hyper.hand_l2,
        source_weights=dict(hyper.weight),
        label_targets=LABEL_TARGET,
        embedding="wordllama 0.4 l2_supercat 256-dim, unit length",
        quantiles=f"the estimate at percentiles 0-100 of all {len(reference)} just-eval prompts",
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output} from {counts}")
    from bench.difficulty import curve_document  # bench.difficulty imports this module

    curve = args.output.with_name(CURVE_PATH.name)
    curve.write_text(json.dumps(curve_document(model, everything), indent=1) + "\n", "utf-8")
    print(f"wrote {curve}")


if __name__ == "__main__":
    main()
