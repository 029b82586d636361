"""A cheap test before a regular expression: the literal text any match must contain.

Most of the classifier's patterns are alternations of words (``\\b(python|java|...)\\b``),
and most messages contain none of them; ``re`` still tries every branch at every position.
``Screened`` works out, once, from the parsed pattern, a few strings of which every match
must contain at least one (``python``, ``java``, ...), and runs the pattern only when the
text contains one of them (``str.__contains__``, far faster). The screen only ever skips a
search that could not have matched, so results are exactly the pattern's own.

How the strings are found (every rule keeps "each match contains one of them" true):
consecutive literal characters must appear together; a group needs what its content
needs; an alternation needs one of what each branch needs (and nothing if any branch
needs nothing); a repeat at least once needs what its item needs; a small set of literal
characters needs one of them. Of several needs in a sequence the most selective is kept.
Anything else (``\\d``, ``.``, optional parts, lookarounds, flags) needs nothing.
"""

from __future__ import annotations

import re
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

__all__ = ["Screened", "needles"]

_MAX_CHARSET = 16
"""A character class with more members than this is not worth screening for."""
_MAX_NEEDLES = 32
"""More strings than this cost about what the search does: the pattern is searched as is."""


class Screened:
    """A compiled pattern with its screen: ``Screened(p).search(text)`` is
    ``p.search(text) is not None``, faster when the text lacks the pattern's literals."""

    __slots__ = ("_needles", "_search", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._search = pattern.search
        self._needles = needles(pattern)

    def search(self, text: str) -> bool:
        found = self._needles
        if found is not None and not any(map(text.__contains__, found)):  # all in C
            return False
        return self._search(text) is not None


def needles(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings of which every match of ``pattern`` contains one, or ``None`` when the
    pattern needs no literal text (or is case-insensitive)."""
    if pattern.flags & re.IGNORECASE:
        return None
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    if parsed.state.flags & re.IGNORECASE:  # an inline (?i)
        return None
    if parsed and parsed[0][0] is sre.AT and parsed[0][1] in _ANCHORS:
        return None  # anchored to a line's start: the search is already cheap
    found = _sequence(parsed)
    if found is None:
        return None
    # One string containing another is implied by it: the shorter is enough.
    kept = {s for s in found if not any(o != s and o in s for o in found)}
    if len(kept) > _MAX_NEEDLES:
        return None
    return tuple(sorted(kept, key=lambda s: (-len(s), s)))


_ANCHORS = (sre.AT_BEGINNING, sre.AT_BEGINNING_LINE, sre.AT_BEGINNING_STRING)


def _sequence(items: Any) -> frozenset[str] | None:
    options: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        if op is sre.LITERAL:
            run += chr(av)
            continue
        if run:
            options.append(frozenset((run,)))
            run = ""
        need = _item(op, av)
        if need:
            options.append(need)
    if run:
        options.append(frozenset((run,)))
    if not options:
        return None
    return max(options, key=lambda s: (min(map(len, s)), -len(s)))


def _item(op: Any, av: Any) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        _, add_flags, del_flags, content = av
        return None if add_flags or del_flags else _sequence(content)
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            need = _sequence(branch)
            if need is None:
                return None
            union |= need
        return frozenset(union)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, _, content = av
        return _sequence(content) if least >= 1 else None
    if op is sre.IN:
        return _charset(av)
    return None


def _charset(members: Any) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in members:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < _MAX_CHARSET:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # a negation, a category (\d, \w, ...) or a wide range
            return None
    return frozenset(chars) if 0 < len(chars) <= _MAX_CHARSET else None
