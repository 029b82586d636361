"""The real LiteLLM price file, from the ``litellm`` wheel on the package registry.

``pip download litellm --no-deps`` into a temp directory (once per machine), then the JSON
is read out of the wheel (a zip). Never committed. Shared by ``tests/sync`` and
``bench/sync_scale.py``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MEMBER = "litellm/model_prices_and_context_window_backup.json"
CACHE = Path(tempfile.gettempdir()) / "modelplane-litellm"


def litellm_prices(cache: Path = CACHE) -> Path:
    """The path of the extracted file, downloading the wheel first if need be."""
    target = cache / "model_prices_and_context_window.json"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("litellm-*.whl"))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "litellm", "--no-deps", "-q"]
        try:
            subprocess.run([*command, "-d", str(cache)], check=True, timeout=600)
        except (subprocess.CalledProcessError, FileNotFoundError):
            # A uv-made virtualenv has no pip: ask the one on PATH.
            subprocess.run(
                ["pip", "download", "litellm", "--no-deps", "-q", "-d", str(cache)],
                check=True,
                timeout=600,
            )
        wheels = sorted(cache.glob("litellm-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        partial = target.with_suffix(".part")
        partial.write_bytes(wheel.read(MEMBER))
        partial.replace(target)
    return target
