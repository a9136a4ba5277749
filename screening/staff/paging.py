"""Keyset pagination, once: the review queue and the audit log page through rows with it.

A page is ordered by a tuple of key columns (each ascending or descending) whose last column makes every row's
position unique. A cursor is the key values of the row at the edge of a page, and a direction: forwards (the page
after that row) or backwards (the page before it). No OFFSET, so a page stays stable while rows are added; and
``seek`` lets the database start an index range scan at the cursor, so a page costs about the same wherever it
is. How a cursor travels in a URL is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, tuple_

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Key:
    """One column of the page order; ``descending`` for highest first."""

    column: Any  # a mapped attribute or a column expression
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page of rows in display order, and whether there are rows after its last and before its first."""

    rows: list[T]
    has_next: bool
    has_previous: bool


def beyond(keys: Sequence[Key], values: Sequence[Any], *, backwards: bool = False) -> ColumnElement[bool]:
    """Rows after the row whose key values are ``values`` in the order of ``keys`` (before it when ``backwards``):
    ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...``, with ``<`` for a descending key (the other way round backwards)."""
    if len(keys) != len(values) or not keys:
        raise ValueError("give one value for each key")
    clauses: list[ColumnElement[bool]] = []
    same: list[ColumnElement[bool]] = []
    for key, value in zip(keys, values, strict=True):
        later = key.column < value if key.descending != backwards else key.column > value
        clauses.append(and_(*same, later) if same else later)
        same.append(key.column == value)
    return or_(*clauses)


def seek(keys: Sequence[Key], values: Sequence[Any], *, backwards: bool = False) -> ColumnElement[bool]:
    """What ``beyond`` implies, in a form an index range scan starts from, for the database to seek to the cursor
    instead of reading the index from its start: the row value ``(k1, k2, ...) > (v1, v2, ...)`` when every key has
    the same direction (exactly ``beyond``), else the first key's bound ``k1 >= v1`` (``<=`` when descending)."""
    if len(keys) != len(values) or not keys:
        raise ValueError("give one value for each key")
    downwards = keys[0].descending != backwards
    if all(key.descending == keys[0].descending for key in keys):
        columns, given = tuple_(*(key.column for key in keys)), tuple_(*values)
        return columns < given if downwards else columns > given
    first: ColumnElement[bool] = keys[0].column <= values[0] if downwards else keys[0].column >= values[0]
    return first


def ordering(keys: Sequence[Key], *, backwards: bool = False) -> list[Any]:
    """The ORDER BY of ``keys`` (reversed when reading backwards from a cursor)."""
    return [key.column.desc() if key.descending != backwards else key.column.asc() for key in keys]


def window(
    query: Select[Any],
    keys: Sequence[Key],
    load: Callable[[Select[Any]], Iterable[T]],
    *,
    cursor: Sequence[Any] | None = None,
    backwards: bool = False,
    size: int,
) -> Window[T]:
    """The ``size`` rows of ``query`` after the row whose key values are ``cursor`` (before it when ``backwards``;
    the first page without a cursor), in the keys' order. ``load`` runs the statement (``db.session.execute``,
    ``db.session.scalars``...). Reads one row more than ``size`` to know whether another page follows."""
    backwards = backwards and cursor is not None
    if cursor is not None:
        query = query.where(seek(keys, cursor, backwards=backwards), beyond(keys, cursor, backwards=backwards))
    rows = list(load(query.order_by(*ordering(keys, backwards=backwards)).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        return Window(rows, has_next=True, has_previous=more)
    return Window(rows, has_next=more, has_previous=cursor is not None)
