"""Console URLs built in one place, for templates and redirects alike."""

from __future__ import annotations

from urllib.parse import quote


def model_url(model_id: str, suffix: str = "") -> str:
    return f"/admin/models/{quote(model_id, safe=':/')}{suffix}"
