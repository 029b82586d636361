"""Where parity mode hooks into requests: compare both sources off-thread.

Whether a request is shadowed is part of its assignment (``rollout/assignment.py``: the
``parity_shadow`` flag's percentage; ``MODELPLANE_FLAG_PARITY_SHADOW=off`` stops it at once).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from modelplane.live.snapshot import static_snapshot
from modelplane.rollout.parity import Sample, compare_catalogues
from modelplane.router.classification.embedded import EmbeddedClassifier
from modelplane.router.decision import RouteDecision
from modelplane.router.engine import Router
from modelplane.router.request import RouteRequest

if TYPE_CHECKING:
    from modelplane.bootstrap import Runtime

_replay = EmbeddedClassifier()
"""Never consulted: a shadowed decision replays the request's classification."""


def shadow_catalogue(runtime: Runtime) -> None:
    """Compare the two sources' catalogues in the background."""
    static, database = runtime.source_readers()
    runtime.parity.record(lambda: compare_catalogues(static, database))


def shadow_route(runtime: Runtime, request: RouteRequest, decision: RouteDecision) -> None:
    """Route the same request (same classification and seed) on both sources' data as the
    request saw them, in the background, and record a mismatch if they choose differently."""
    static = static_snapshot()
    database = runtime.database_snapshot()
    same = RouteRequest.model_validate(
        {
            **request.model_dump(),
            "classification": decision.classification.model_dump(),
            "seed": decision.seed if decision.seed is not None else random.getrandbits(62),
        }
    )

    def compare() -> Sample:
        sample = Sample("route")
        ours = sample.timed("static", lambda: Router(static.compiled(), _replay).route(same))
        theirs = sample.timed("db", lambda: Router(database.compiled(), _replay).route(same))
        if (
            ours is not None
            and theirs is not None
            and ours.selected_model_id != theirs.selected_model_id
        ):
            sample.mismatch(
                "routing",
                theirs.selected_model_id,
                static=ours.selected_model_id,
                db=theirs.selected_model_id,
                classification=decision.classification.to_json(),
                seed=same.seed,
            )
        return sample

    runtime.parity.record(compare)
