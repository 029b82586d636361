"""The console's one map from a field's JSON path to the label a person sees, and the
wording that turns the domain's field errors into sentences about those labels.

The domain's messages stay the single source of what is wrong; this module only says
*which field* in the form's words (``contextWindow`` -> "Context window"), replaces a
validator's phrasing that means nothing to a person (a regex, "Input should be a valid
integer") with what the field expects, and names an import's rows by their ids instead of
array indexes (``models[3]`` -> ``openai:gpt-5``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.domain.errors import FieldError

LABELS: dict[str, str] = {
    "expiresAt": "Expires",
    "scopes": "Scopes",
    "id": "Id",
    "provider": "Provider",
    "name": "Display name",
    "status": "Status",
    "knowledgeCutoff": "Knowledge cutoff",
    "contextWindow": "Context window",
    "speedTier": "Speed tier",
    "pricing": "Pricing",
    "pricing.input": "Input price",
    "pricing.output": "Output price",
    "pricing.cached": "Cached input price",
    "pricing.reasoning": "Reasoning price",
    "capabilities": "Capabilities",
    "reasoning": "Reasoning settings",
    "actualModelId": "Actual model id",
    "gateway": "Gateway",
    "hostOrder": "Host order",
    "description": "Description",
    "userFriendlyDescription": "User-friendly description",
    "bestFor": "Best for",
    "benchmarks": "Benchmarks",
    "isInternalOnly": "Internal only",
    "isExperimental": "Experimental",
    "isPro": "Pro plan only",
    "reason": "Reason",
    "expectedVersion": "Version",
    "file": "File",
    "modelId": "Model",
    "scores": "Scores",
    "percentage": "Percentage",
    "groupId": "Group id",
    "stickiness": "Stickiness",
}
"""Every field the console names, by JSON path (list indexes left out)."""

EXPECTS: dict[str, str] = {
    "id": "must be provider:name, such as acme:fast-1",
    "provider": "must be one of the providers in the list",
    "name": "is required",
    "contextWindow": "must be a whole number of tokens",
    "pricing.input": "must be a price in USD per million tokens, such as 2.5",
    "pricing.output": "must be a price in USD per million tokens, such as 10",
    "pricing.cached": "must be a price in USD per million tokens, or empty",
    "pricing.reasoning": "must be a price in USD per million tokens, or empty",
    "percentage": "must be a whole number from 0 to 100",
}
"""What a field expects, said when the value is missing or not of its kind."""

_KIND_PROBLEMS = (
    "Field required",
    "Input should be a valid integer",
    "Input should be a valid decimal",
    "Input should be a valid number",
    "Decimal input should be",
    "String should match pattern",
    "Input should be a finite number",
)
_CHOICES = re.compile(r"^Input should be (.+)$")
_ROW = re.compile(r"^(models|profiles|providers|taskCategories)\[(\d+)\]\.?(.*)$")
_ROW_KEYS = {"models": "id", "profiles": "modelId", "providers": "id", "taskCategories": "id"}


def label_of(path: str) -> str:
    """The label of the field at ``path``; an unmapped path reads as its last part."""
    bare = re.sub(r"\[\d+\]", "", path)
    if bare in LABELS:
        return LABELS[bare]
    last = bare.rsplit(".", 1)[-1]
    return re.sub(r"(?<!^)(?=[A-Z])", " ", last).capitalize() if last else ""


def sentence(error: FieldError) -> str:
    """``FieldError("contextWindow", "Input should be a valid integer, ...")`` ->
    ``"Context window must be a whole number of tokens"``."""
    message = _plain(error.path, error.message)
    label = label_of(error.path)
    if not label:
        return message[:1].upper() + message[1:]
    if message.startswith(("must ", "is ", "has ", "cannot ")):
        return f"{label} {message}"
    return f"{label}: {message}"


def _plain(path: str, message: str) -> str:
    bare = re.sub(r"\[\d+\]", "", path)
    if message.startswith(_KIND_PROBLEMS):
        if bare in EXPECTS:
            return EXPECTS[bare]
        if message.startswith("Field required"):
            return "is required"
        if message.startswith("String should match pattern"):
            return "has characters that are not allowed here"
        return "must be a number"
    if message.startswith("String should have at most"):
        return "is too long: " + message.removeprefix("String should have ")
    if message.startswith("Input should be greater than or equal to"):
        return "must be at least " + message.removeprefix(
            "Input should be greater than or equal to "
        )
    if message.startswith("Input should be greater than"):
        return "must be more than " + message.removeprefix("Input should be greater than ")
    if message.startswith("Input should be less than or equal to"):
        return "must be at most " + message.removeprefix("Input should be less than or equal to ")
    choices = _CHOICES.match(message)
    if choices and "'" in message:
        return "must be one of " + choices.group(1).replace("'", "")
    return message


def humane(errors: Iterable[FieldError]) -> list[FieldError]:
    """The same errors, each message a sentence naming its field by label (the path is
    kept, so each still shows beside its control)."""
    return [FieldError(e.path, sentence(e)) for e in errors]


def humane_import(errors: Iterable[FieldError], document: Any) -> list[FieldError]:
    """An import's errors with each row named by its id: ``models[3].pricing.input`` ->
    path ``openai:gpt-5``, message "Input price must be ..."; other paths stay as the
    file spells them."""
    out = []
    for error in errors:
        row = _ROW.match(error.path)
        if row is None:  # a path in the file's own terms (routerConfig...): kept as it is
            out.append(error)
            continue
        section, index, rest = row.group(1), int(row.group(2)), row.group(3)
        ident = _row_id(document, section, index)
        where = ident if ident else f"{section} row {index + 1}"
        out.append(FieldError(where, sentence(FieldError(rest, error.message))))
    return out


def _row_id(document: Any, section: str, index: int) -> str | None:
    rows = document.get(section) if isinstance(document, Mapping) else None
    if not isinstance(rows, list) or index >= len(rows) or not isinstance(rows[index], Mapping):
        return None
    value = rows[index].get(_ROW_KEYS[section])
    return value if isinstance(value, str) and value else None
