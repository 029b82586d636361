"""Pydantic conventions shared by every domain type, and the input limits they all obey.

Hostile input is refused here, once, so the API, the CLI, the console and imports all refuse
it alike:

- no text anywhere in a domain document (fields, list entries, map keys, nested values) may
  hold a control character (U+0000-U+001F, U+007F-U+009F) or a lone surrogate; tab, line
  feed and carriage return are allowed except in fields marked ``SINGLE_LINE``;
- every string and every list or map has a length bound (the constants below).
"""

from __future__ import annotations

import operator
import re
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Self, Union

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, ValidationError

NAME_MAX = 200
"""Names, labels, references and other one-line text."""
TEXT_MAX = 10_000
"""Free text: descriptions, notes, outcomes."""
KEY_MAX = 64
"""Keys of open maps (benchmark names) and short identifiers."""
LIST_MAX = 100
"""Entries of any list or map in a domain document unless its type says otherwise."""


class _SingleLine:
    """Marker in ``Annotated[str, ...]``: this text may not hold a tab or a line break."""

    def __repr__(self) -> str:
        return "SINGLE_LINE"


SINGLE_LINE = _SingleLine()

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str, *, single_line: bool = False) -> str | None:
    """Why ``value`` may not be stored, or ``None``:
    ``text_problem("a\\x00b") -> "must not contain control characters (U+0000)"``."""
    found = (_CONTROL_OR_BREAK if single_line else _CONTROL).search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"must not contain a lone surrogate (U+{ord(char):04X})"
    if single_line and char in "\t\n\r":
        return f"must be a single line: no tab or line break (U+{ord(char):04X})"
    return f"must not contain control characters (U+{ord(char):04X})"


Line = Annotated[str, Field(min_length=1, max_length=NAME_MAX), SINGLE_LINE]
"""A name, label or reference: one line, 1 to ``NAME_MAX`` characters."""
Text = Annotated[str, Field(max_length=TEXT_MAX)]
"""Free text that may span lines, at most ``TEXT_MAX`` characters."""

_Path = tuple[int | str, ...]
_TextField = tuple[str, str, bool]  # attribute name, name on the wire, single line


class DomainModel(BaseModel):
    """Base for domain types: camelCase on the wire, snake_case in Python, strict fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,  # NaN and infinity are not JSON: they must never reach a row.
    )

    @model_validator(mode="after")
    def _clean_text(self) -> Self:
        # One call per document, looking only at the fields that can hold text (worked out
        # once per class) and searching their strings joined, in C: a validator per string
        # would cost a Python call per string. Nested domain models check their own fields.
        plan = _PLANS.get(type(self)) or _plan(type(self))
        if plan.fields:
            values = self.__dict__
            for scalars, lists, maps, single_line in plan.groups:
                text = "".join(filter(None, scalars(values))) if scalars else ""
                for name in lists:
                    if values[name]:
                        text += "".join(values[name])
                for name in maps:
                    if values[name]:
                        text += "".join(values[name].values())
                # str.isprintable is the fast test; text with a line break or any other
                # non-printable character is then searched properly.
                if not text.isprintable() and text_problem(text, single_line=single_line):
                    plan.refuse(self)
            for name, _, single_line in plan.nested:
                value = values[name]
                if value is not None and _find_bad_text(value, single_line, ()) is not None:
                    plan.refuse(self)
        return self

    def to_json(self) -> dict[str, object]:
        """The JSON form used by the API, the CLI's ``--json`` and exports."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


_Group = tuple[
    Callable[[dict[str, Any]], tuple[Any, ...]] | None, tuple[str, ...], tuple[str, ...], bool
]


class _TextPlan:
    """Which fields of a domain type can hold text, grouped by how their strings are found:
    ``scalar`` (text or nothing), ``list`` (a list of text; a map keyed by text whose values
    hold none), ``map`` (a map whose values are text and keys are not), else ``nested``
    (searched value by value)."""

    def __init__(self, cls: type[BaseModel]) -> None:
        self.fields: list[_TextField] = []
        self.nested: list[_TextField] = []
        shapes: dict[tuple[str, bool], list[str]] = {}
        for name, info in cls.model_fields.items():
            annotation = info.annotation
            if not _may_hold_text(annotation):
                continue
            single = any(m is SINGLE_LINE for m in info.metadata) or _marked(annotation)
            field = (name, info.alias or name, single)
            self.fields.append(field)
            shape = _shape(annotation)
            if shape == "nested":
                self.nested.append(field)
            else:
                shapes.setdefault((shape, single), []).append(name)
        groups: list[_Group] = []
        for single in (True, False):
            scalars = tuple(shapes.get(("scalar", single), ()))
            lists = tuple(shapes.get(("list", single), ()))
            maps = tuple(shapes.get(("map", single), ()))
            if scalars or lists or maps:
                groups.append((_getter(scalars), lists, maps, single))
        self.groups = tuple(groups)

    def refuse(self, document: BaseModel) -> None:
        """Raise the error naming the first bad string's location (the slow path)."""
        for name, wire, single_line in self.fields:
            value = document.__dict__[name]
            found = None if value is None else _find_bad_text(value, single_line, (wire,))
            if found is not None:
                loc, message, bad = found
                error = PydanticCustomError("text_control_character", message)
                raise ValidationError.from_exception_data(
                    type(document).__name__, [{"type": error, "loc": loc, "input": bad}]
                )


_PLANS: dict[type[BaseModel], _TextPlan] = {}


def _plan(cls: type[BaseModel]) -> _TextPlan:
    plan = _PLANS[cls] = _TextPlan(cls)
    return plan


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]] | None:
    if not names:
        return None
    if len(names) == 1:
        (only,) = names
        return lambda values: (values[only],)
    getter: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(*names)
    return getter


def _shape(annotation: Any) -> str:
    options = [a for a in _union_members(annotation) if a is not type(None)]
    if all(_bare(a) is str for a in options):
        return "scalar"
    if len(options) == 1:
        bare = _bare(options[0])
        origin = typing.get_origin(bare)
        args = typing.get_args(bare)
        if origin is list and len(args) == 1 and _bare(args[0]) is str:
            return "list"
        if origin is dict and len(args) == 2:
            key, value = _bare(args[0]), _bare(args[1])
            if key is str and not _may_hold_text(value):
                return "list"
            if value is str and not _may_hold_text(key):
                return "map"
    return "nested"


def _union_members(annotation: Any) -> tuple[Any, ...]:
    bare = _bare(annotation)
    if typing.get_origin(bare) in (Union, types.UnionType):
        return typing.get_args(bare)
    return (bare,)


def _bare(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _may_hold_text(annotation: Any) -> bool:
    """Whether a value of this type can contain a string that no nested model checks."""
    if annotation is str or annotation is Any or annotation is object:
        return True
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return False
        return issubclass(annotation, (str, Mapping, list, tuple, set, frozenset))
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is None:
        return False
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _may_hold_text(args[0])
    if origin is Union or origin is types.UnionType:
        return any(_may_hold_text(a) for a in args)
    return not args or any(_may_hold_text(a) for a in args)


def _marked(annotation: Any) -> bool:
    """Whether ``SINGLE_LINE`` appears anywhere in the type (``list[Line]``, ``Line | None``)."""
    if typing.get_origin(annotation) is Annotated and any(
        m is SINGLE_LINE for m in annotation.__metadata__
    ):
        return True
    return any(_marked(a) for a in typing.get_args(annotation))


def _find_bad_text(value: Any, single_line: bool, loc: _Path) -> tuple[_Path, str, Any] | None:
    """The location, the problem and the value of the first bad string within ``value``."""
    if isinstance(value, str):
        problem = text_problem(value, single_line=single_line)
        return None if problem is None else (loc, problem, value)
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find_bad_text(item, single_line, (*loc, index))
            if found is not None:
                return found
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                problem = text_problem(key, single_line=single_line)
                if problem is not None:
                    # The key itself is not put in the location: it is the bad text.
                    return loc, f"a key {problem}", key
            found = _find_bad_text(item, single_line, (*loc, key))
            if found is not None:
                return found
    return None


def decimal_to_json(value: Decimal) -> int | float:
    """Render a decimal as a JSON number: ``Decimal("10") -> 10``, ``Decimal("0.015") -> 0.015``.

    Prices carry at most 15 significant digits, so the float's shortest repr is the
    decimal's own digits: nothing is rounded on the way out.
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=15, decimal_places=10),
    PlainSerializer(decimal_to_json, when_used="json"),
]
"""USD per one million tokens, exact."""
