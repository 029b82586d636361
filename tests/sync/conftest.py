"""The real LiteLLM price file, read out of the ``litellm`` wheel from the package registry.

Downloaded once per machine into the temp directory (``pip download litellm --no-deps``) and
never committed. The benchmark (``bench/sync_scale.py``) reads it the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.litellm_file import litellm_prices


@pytest.fixture(scope="session")
def real_litellm_file() -> Path:
    return litellm_prices()
