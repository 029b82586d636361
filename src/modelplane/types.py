"""Type aliases shared across layers."""

from __future__ import annotations

from typing import Any, TypeAlias

JSONDict: TypeAlias = dict[str, Any]
ModelId: TypeAlias = str
"""A model id such as ``openai:gpt-5``: the provider's namespace, a colon, the model's name."""
