"""The console's Jinja environment: where templates and static files are, and the globals
and filters every template may use."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.templating import Jinja2Templates

from modelplane.domain.validation import MAX_REASON
from modelplane.web import forms, price_effect
from modelplane.web.filters import FILTERS
from modelplane.web.urls import model_link, model_url

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def _static_version() -> str:
    """A digest of the static files, so their URLs change (and caches miss) when they do."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


templates.env.globals.update(
    model_url=model_url,
    model_link=model_link,
    shown=forms.shown,
    errors_at=forms.errors_at,
    import_price_effect=price_effect.import_row,
    static_version=_static_version(),
    MAX_REASON=MAX_REASON,
)
templates.env.filters.update(FILTERS)
