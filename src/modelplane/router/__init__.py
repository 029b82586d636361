"""The auto-router: classify a message, filter and score the models with the dials from
the database, pick one, explain it and log it.

Faces call ``route(runtime, RouteRequest(...))``. ``compile_router`` is the per-change
work that every decision reuses; ``decide`` is the per-request stage it feeds.
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
from modelplane.router.request import RouteRequest
from modelplane.router.selection.compiled import CompiledRouter, compile_router
from modelplane.router.selection.decide import AllModelsExhausted, Outcome, decide
from modelplane.router.selection.scoring import Breakdown, Candidate
from modelplane.router.service import RouterCache, route

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
    "RouteDecision",
    "RouteRequest",
    "RouterCache",
    "Timing",
    "compile_router",
    "decide",
    "route",
]
