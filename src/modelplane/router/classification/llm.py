"""Classification by any OpenAI-compatible chat-completions endpoint.

The router-model dial names the model (its ``actualModelId`` when set); temperature,
timeout and retries are dials too. The answer must be a JSON object that validates as a
``Classification`` naming known categories and configured domains. The difficulty is not
asked for: the shipped estimator fills it in, as for the embedded classifier. Errors and invalid
answers are retried up to ``maxRetries`` times; a timeout is not retried, because the
timeout bounds how long the user waits for a reply.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from pydantic import ValidationError

from modelplane.domain.errors import InvalidInput
from modelplane.router.classification.classifier import (
    ClassifierContext,
    ClassifierFailed,
    ClassifierName,
    Message,
    needs_long_context,
    needs_vision,
)
from modelplane.router.classification.difficulty import default_model
from modelplane.router.classification.result import Classification

_FIELDS = (
    frozenset(name for field in Classification.model_fields.values() if (name := field.alias))
    | frozenset(Classification.model_fields)
) - {"difficulty"}
"""What the answer may set; ``difficulty`` is never asked for nor taken from the model: the
same estimator as the embedded classifier's says it (``difficulty.py``)."""


class LLMClassifier:
    """Classifier over an OpenAI-compatible endpoint, through an injected client."""

    name: ClassifierName = "llm"

    def __init__(self, client: httpx.Client, base_url: str, api_key: str | None = None) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def classify(self, message: Message, context: ClassifierContext) -> Classification:
        deadline = time.monotonic() + context.timeout_seconds
        problems: list[str] = []
        for _ in range(context.max_retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                answer = self._ask(message, context, remaining)
                return _with_facts(parse_answer(answer, context), message, context)
            except httpx.TimeoutException:
                raise ClassifierFailed(
                    f"the classifier timed out after {context.timeout_seconds:g} s"
                ) from None
            except (httpx.HTTPError, ValueError, InvalidInput) as exc:
                problems.append(str(exc) or type(exc).__name__)
        raise ClassifierFailed("the classifier failed: " + "; ".join(problems[-1:] or ["timeout"]))

    def _ask(self, message: Message, context: ClassifierContext, timeout: float) -> str:
        response = self._client.post(
            self._url,
            json=request_body(message, context),
            headers=self._headers,
            timeout=timeout,
        )
        response.raise_for_status()
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError(f"not a chat completion: {exc!r}") from None
        if not isinstance(content, str):
            raise ValueError("the completion has no text content")
        return content


def request_body(message: Message, context: ClassifierContext) -> dict[str, Any]:
    return {
        "model": context.router_model,
        "temperature": context.temperature,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": system_prompt(context)},
            {"role": "user", "content": _user_prompt(message)},
        ],
    }


def system_prompt(context: ClassifierContext) -> str:
    categories = ", ".join(context.categories)
    domains = ", ".join(context.domains) or "(none)"
    return (
        "You classify a chat message for a model router. Answer with one JSON object and "
        "nothing else, with these keys: primaryCategory (one of: "
        f"{categories}), secondaryCategory (one of those, or null), complexity (simple, "
        "moderate or complex), requiresVision, requiresLongContext, requiresReasoning "
        "(booleans), confidence (0 to 1), isHighStakes (boolean), highStakesDomain (one "
        f"of: {domains}; null unless isHighStakes), recommendedAction (keep if the model "
        "that answered the previous message should answer this one too, else change)."
    )


def _user_prompt(message: Message) -> str:
    facts = {
        "attachments": list(message.attachment_types),
        "contextTokens": message.context_tokens,
        "hasPreviousModel": message.has_previous_model,
    }
    return f"{json.dumps(facts)}\n\nMessage:\n{message.text}"


def parse_answer(answer: str, context: ClassifierContext) -> Classification:
    """The model's JSON as a checked ``Classification``; a ``ValueError`` if it is not one.
    Keys the schema does not know are ignored; a fenced code block is unwrapped."""
    text = answer.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    try:
        classification = Classification.model_validate(
            {k: v for k, v in data.items() if k in _FIELDS}
        )
    except ValidationError as exc:
        raise ValueError(
            f"the answer is not a classification: {exc.error_count()} errors"
        ) from None
    classification.check_against(context.categories, context.domains)
    return classification


def _with_facts(
    classification: Classification, message: Message, context: ClassifierContext
) -> Classification:
    """Attachments and sizes are facts: they can only add requirements to the answer. The
    difficulty is the shipped estimator's."""
    vision = classification.requires_vision or needs_vision(message.attachment_types)
    long = classification.requires_long_context or needs_long_context(message, context)
    difficulty = round(default_model().estimate(message.text), 3)
    return classification.model_copy(
        update={"requires_vision": vision, "requires_long_context": long, "difficulty": difficulty}
    )
