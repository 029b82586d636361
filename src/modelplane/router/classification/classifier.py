"""What every classifier shares: its input, the dials it reads, and the facts that are
decided without judgement (attachments decide vision, sizes decide long context)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from modelplane.router.classification.result import Classification

ClassifierName: TypeAlias = Literal["embedded", "llm"]

_IMAGE_TYPES = frozenset(
    {"image", "photo", "screenshot", "png", "jpg", "jpeg", "gif", "webp", "bmp", "heic", "tiff"}
)
CHARS_PER_TOKEN = 4
"""A rough, tokenizer-free estimate: English text averages about four characters a token."""


@dataclass(frozen=True, slots=True)
class Message:
    """What a classifier sees of a request."""

    text: str
    attachment_types: tuple[str, ...] = ()
    context_tokens: int = 0
    has_previous_model: bool = False


@dataclass(frozen=True, slots=True)
class ClassifierContext:
    """The dials and reference data a classifier reads, from the compiled router."""

    categories: tuple[str, ...]
    domains: tuple[str, ...]
    long_context_threshold: int
    context_buffer: float
    router_model: str
    """The model id to send to an LLM endpoint (the router model's ``actualModelId`` if set)."""
    temperature: float
    timeout_seconds: float
    max_retries: int


class ClassifierFailed(Exception):
    """The classifier gave no usable answer; the router uses the conservative one."""


class Classifier(Protocol):
    name: ClassifierName

    def classify(self, message: Message, context: ClassifierContext) -> Classification:
        """Classify ``message`` or raise ``ClassifierFailed``."""
        ...


def needs_vision(attachment_types: tuple[str, ...]) -> bool:
    """``("image/png",) -> True``, ``("application/pdf",) -> False``."""
    return any(
        t.startswith("image") or t.rsplit("/", 1)[-1].lstrip(".") in _IMAGE_TYPES
        for t in attachment_types
    )


def estimated_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def needs_long_context(message: Message, context: ClassifierContext) -> bool:
    """True when the conversation so far plus this message, with the context buffer's
    headroom, reaches the long-context threshold."""
    tokens = message.context_tokens + estimated_tokens(message.text)
    return tokens * context.context_buffer >= context.long_context_threshold
