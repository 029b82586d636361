"""Where parity mode hooks into requests: sample, then compare both sources off-thread.

The share of requests shadowed is the ``parity_shadow`` flag's percentage (off unless an
operator turns it on; ``MODELPLANE_FLAG_PARITY_SHADOW=off`` stops it at once).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from modelplane.domain.flags import FlagSpec, UserContext, evaluate
from modelplane.rollout.parity import SAMPLE_FLAG, Sample, compare_catalogues, sampled

if TYPE_CHECKING:
    from modelplane.bootstrap import Runtime
    from modelplane.router import RouteDecision, RouteRequest


def shadow_share(runtime: Runtime) -> int:
    """The percentage of requests to shadow now (0 outside the live server)."""
    if not runtime.live_reads:
        return 0
    from modelplane.services.flags import override_for

    flag = runtime.live.current.flags.get(SAMPLE_FLAG) or FlagSpec(name=SAMPLE_FLAG)
    result = evaluate(flag, UserContext(), override_for(runtime.settings, SAMPLE_FLAG))
    if result.reason == "override":
        return 100 if result.enabled else 0
    return flag.percentage if flag.enabled else 0


def shadow_catalogue(runtime: Runtime, context: UserContext) -> None:
    """For a sampled catalogue read, compare the two sources' catalogues in the background."""
    if not sampled(shadow_share(runtime)):
        return
    static, database = runtime.source_readers()
    runtime.parity.record(lambda: compare_catalogues(static, database))


def shadow_route(runtime: Runtime, request: RouteRequest, decision: RouteDecision) -> None:
    """Route the same request (same classification and seed) on both sources, in the
    background, and record a mismatch if they choose differently."""
    from modelplane.router import RouteRequest, route

    static, database = runtime.source_readers()
    same = RouteRequest.model_validate(
        {
            **request.model_dump(),
            "classification": decision.classification.model_dump(),
            "seed": decision.seed if decision.seed is not None else random.getrandbits(62),
        }
    )

    def compare() -> Sample:
        sample = Sample("route")
        ours = sample.timed("static", lambda: route(static, same))
        theirs = sample.timed("db", lambda: route(database, same))
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
