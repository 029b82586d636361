"""HTML forms to JSON documents and back, so the console hands the domain the same
documents the API does and shows the domain's own errors beside the right fields.

A control's ``name`` is the JSON path of its value, with an optional suffix saying how to
read it:

- ``pricing.input`` -> ``{"pricing": {"input": "2.5"}}`` (pydantic converts the text);
- ``speedBonuses[2].bonus`` -> the third rule's bonus;
- ``capabilities[]`` -> a list of every value sent under that name (checkboxes);
- ``hostOrder[list]`` -> text split on commas and new lines;
- ``reasoning[json]`` -> the text parsed as JSON.

Empty text means "not set": the key is left out, and the domain's defaults and "field
required" messages apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelplane.domain.errors import FieldError, InvalidInput

OUT_OF_DATE = "this form is out of date: reload the page and make the change again"
_SUFFIX = re.compile(r"\[(|list|json)\]$")
_PART = re.compile(r"[^.\[\]]+|\[\d+\]")
_SPLIT = re.compile(r"[,\n]")


@dataclass
class ParsedForm:
    document: dict[str, Any]
    errors: list[FieldError]
    values: dict[str, Any]
    """What was typed, by JSON path (no suffix): shown again when the form is refused."""
    meta: dict[str, str] = field(default_factory=dict)


def parse_form(
    items: Iterable[tuple[str, Any]],
    meta: Iterable[str] = ("csrf_token", "reason", "expectedVersion"),
    lists: Iterable[str] = (),
) -> ParsedForm:
    """The document behind a form. ``meta`` names fields that are not part of it;
    ``lists`` names list paths that exist (maybe empty) even when no control sent one."""
    meta_names = set(meta)
    parsed = ParsedForm({}, [], {}, {})
    tree: dict[str, Any] = {}
    for name, raw in items:
        if not isinstance(raw, str):
            continue
        if name in meta_names:
            parsed.meta[name] = raw
            continue
        match = _SUFFIX.search(name)
        kind = match.group(1) if match else None
        path = name[: match.start()] if match else name
        value = _read(path, kind, raw, parsed)
        if kind == "":
            parsed.values.setdefault(path, []).append(raw)
            _put(tree, _parts(path), value, append=True)
        else:
            parsed.values[path] = raw
            if value is not None:
                _put(tree, _parts(path), value)
    parsed.document = _listify(tree)
    for path in lists:
        _ensure_list(parsed.document, _parts(path))
    return parsed


def form_version(value: object) -> int:
    """The version a form was drawn at, from its hidden ``expectedVersion`` field.

    The console never writes unconditionally (the API answers 428 without a version): a
    missing or garbled field raises ``InvalidInput`` at ``expectedVersion`` rather than
    becoming ``None``, which the services read as "whatever is current".
    ``form_version("3") -> 3``; ``form_version("")`` and ``form_version(None)`` raise.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput([FieldError("expectedVersion", OUT_OF_DATE)])
    return int(text)


def _ensure_list(document: dict[str, Any], parts: list[str | int]) -> None:
    node: Any = document
    for part in parts[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else None
    if isinstance(node, dict) and not node.get(parts[-1]):
        node[parts[-1]] = []


def _read(path: str, kind: str | None, raw: str, parsed: ParsedForm) -> Any:
    text = raw.strip()
    if kind == "":
        return text
    if not text:
        return None
    if kind == "list":
        return [item.strip() for item in _SPLIT.split(text) if item.strip()]
    if kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            message = f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            parsed.errors.append(FieldError(path, message))
            return None
    return text


def _parts(path: str) -> list[str | int]:
    return [int(p[1:-1]) if p.startswith("[") else p for p in _PART.findall(path)]


def _put(tree: dict[Any, Any], parts: list[str | int], value: Any, append: bool = False) -> None:
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    last = parts[-1]
    if append:
        bucket = node.setdefault(last, {})
        bucket[len(bucket)] = value
    else:
        node[last] = value


def _listify(node: Any) -> Any:
    """Dicts keyed by list positions become lists, in position order."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_listify(node[k]) for k in sorted(node)]
    return {k: _listify(v) for k, v in node.items()}


def document_values(document: Mapping[str, Any], whole: Iterable[str] = ()) -> dict[str, Any]:
    """A document's values by JSON path, the shape ``ParsedForm.values`` has: objects are
    walked into (except the paths in ``whole``, shown as JSON), lists of objects by index."""
    keep = set(whole)
    out: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and path not in keep and (node or not path):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif (
            isinstance(node, list)
            and node
            and path not in keep
            and all(isinstance(v, dict) for v in node)
        ):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")
        else:
            out[path] = node

    walk(dict(document), "")
    return out


def shown(value: Any) -> str:
    """A value as a text control shows it: lists joined, objects as JSON, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return json.dumps(value, indent=2, ensure_ascii=False)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, indent=2, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def errors_at(errors: Iterable[FieldError], path: str) -> list[str]:
    """Messages for the control at ``path``: its own, and those of anything inside it."""
    return [
        e.message for e in errors if e.path == path or e.path.startswith((f"{path}.", f"{path}["))
    ]
