"""The auto-router: classify a message, filter and score the models with the dials from
the database, pick one, explain it and log it.

Faces call ``route(runtime, RouteRequest(...))``. ``compile_router`` is the per-change
work that every decision reuses; ``decide`` is the per-request stage it feeds.
"""

from modelplane.router.classification import CONSERVATIVE, Classification
from modelplane.router.classifier import (
    Classifier,
    ClassifierContext,
    ClassifierFailed,
    Message,
)
from modelplane.router.compiled import CompiledRouter, compile_router
from modelplane.router.decide import AllModelsExhausted, Outcome, decide
from modelplane.router.decision import RouteDecision, Timing
from modelplane.router.embedded_classifier import EmbeddedClassifier
from modelplane.router.llm_classifier import LLMClassifier
from modelplane.router.request import RouteRequest
from modelplane.router.scoring import Breakdown, Candidate
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
