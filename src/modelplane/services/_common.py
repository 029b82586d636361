"""Kept only so that modules not yet moved keep importing: the helpers live in
``modelplane.domain.validation`` (import them from there)."""

from modelplane.domain.validation import deep_merge, require_object, validate

__all__ = ["deep_merge", "require_object", "validate"]
