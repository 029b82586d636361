"""Console URLs built in one place, for templates and redirects alike."""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup, escape


def model_url(model_id: str, suffix: str = "") -> str:
    return f"/admin/models/{quote(model_id, safe=':/')}{suffix}"


def model_link(model_id: str) -> Markup:
    """A model id as a link to its read-only page: the one way templates show a model id."""
    href = escape(model_url(model_id))
    return Markup(f'<a class="model-link" href="{href}"><code>{escape(model_id)}</code></a>')
