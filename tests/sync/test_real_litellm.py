"""The issue's "done when", on the real LiteLLM file (see conftest.py for where it comes from)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from modelplane.bootstrap import Runtime
from modelplane.domain.catalogue_sources import decode
from modelplane.services import models as model_svc
from modelplane.services import sync as sync_svc
from modelplane.services.sync import SyncOptions


def test_the_real_litellm_file_syncs_exactly_and_idempotently(
    runtime: Runtime, real_litellm_file: Path
) -> None:
    body = real_litellm_file.read_bytes()
    chat = sum(1 for v in decode(body).values() if isinstance(v, dict) and v.get("mode") == "chat")
    options = SyncOptions("litellm", str(real_litellm_file))
    first = sync_svc.sync(runtime.unit_of_work, options, "tester", raw=body)
    assert first.errors == []
    taken = len(first.created) + len(first.updated) + len(first.unchanged) + len(first.conflicts)
    skipped_chat = [s for s in first.skipped if "not chat" not in s["reason"]]
    assert taken + len(skipped_chat) + len(first.warnings) >= chat > 2000
    gpt4o = model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")
    assert (gpt4o.pricing.input, gpt4o.pricing.output, gpt4o.pricing.cached) == (
        Decimal("2.5"),
        Decimal("10"),
        Decimal("1.25"),
    )
    dry = SyncOptions("litellm", str(real_litellm_file), dry_run=True)
    again = sync_svc.sync(runtime.unit_of_work, dry, "tester", raw=body)
    assert again.change_count == 0

    data = json.loads(body)
    data["gpt-4o"]["output_cost_per_token"] = 1.1e-05
    edited = sync_svc.sync(runtime.unit_of_work, dry, "tester", raw=json.dumps(data).encode())
    assert edited.created == []
    assert edited.updated == [
        {"id": "openai:gpt-4o", "changes": [{"field": "pricing.output", "old": "10", "new": "11"}]}
    ]
