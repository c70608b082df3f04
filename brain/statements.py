"""Lists of values in statements that run on every page, with parameters named one by one.

``column.in_(bindparam(..., expanding=True))`` writes its list into the SQL text again at every
run, naming each value anew: on a member's topic page (twenty posts) that was ~10 µs of the
~120 µs its statement costs, on every page a member reads, and half of the search list's
statement before it was built this way (brain.search.views). Here the list
is a fixed number of named parameters, so the statement is compiled once: its length is the
next power of two (at least MIN_SIZE), so a few statements serve every length, and the places
left over repeat the first value, which changes nothing an ``IN`` answers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam

MIN_SIZE = 8


def size_for(count: int) -> int:
    """The length of the named list that holds *count* values."""
    size = MIN_SIZE
    while size < count:
        size *= 2
    return size


@functools.cache
def names(name: str, size: int) -> tuple[str, ...]:
    return tuple(f"{name}_{n}" for n in range(size))


def in_named(column: ColumnElement, name: str, size: int) -> ColumnElement[bool]:
    """``column IN (:name_0, …, :name_{size-1})``; fill it with ``values``."""
    return column.in_([bindparam(each) for each in names(name, size)])


def values(name: str, listed: Sequence[Any], size: int) -> dict[str, Any]:
    """The parameters of ``in_named(…, name, size)`` for *listed* (not empty, at most *size*
    values)."""
    if not listed or len(listed) > size:
        raise ValueError(f"{len(listed)} values for a list of {size}")
    padded = list(listed) + [listed[0]] * (size - len(listed))
    return dict(zip(names(name, size), padded, strict=True))
