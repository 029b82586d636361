"""The auto-router: classify a message, filter and score the models with the dials, pick
one and explain it.

``compile_router`` is the per-change work (done when a snapshot is built) that every
decision reuses; ``Router(data, classifier).route(request)`` is the per-request engine and
``decide`` its deterministic stage. Which data and classifier, the decision log and
experiments are wiring: faces call ``services.routing.route``.
"""

from modelplane.router.classification.classifier import (
    Classifier,
    ClassifierContext,
    ClassifierFailed,
    Message,
)
from modelplane.router.classification.embedded import EmbeddedClassifier
from modelplane.router.classification.llm import LLMClassifier
from modelplane.router.classification.result import CONSERVATIVE, Classification
from modelplane.router.decision import RouteDecision, Timing
from modelplane.router.engine import RouteContext, Router
from modelplane.router.request import RouteRequest
from modelplane.router.selection.compiled import CompiledRouter, compile_router
from modelplane.router.selection.decide import AllModelsExhausted, Outcome, decide
from modelplane.router.selection.scoring import Breakdown, Candidate

__all__ = [
    "CONSERVATIVE",
    "AllModelsExhausted",
    "Breakdown",
    "Candidate",
    "Classification",
    "Classifier",
    "ClassifierContext",
    "ClassifierFailed",
    "CompiledRouter",
    "EmbeddedClassifier",
    "LLMClassifier",
    "Message",
    "Outcome",
    "RouteContext",
    "RouteDecision",
    "RouteRequest",
    "Router",
    "Timing",
    "compile_router",
    "decide",
]
