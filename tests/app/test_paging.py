"""Keyset pagination (``screening.staff.paging``), the one implementation behind the review queue and the audit log:
paging forwards and then backwards visits every row exactly once in order, on keys with ties and mixed directions,
and says correctly whether a page has neighbours."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, create_engine, select

from screening.staff import paging
from screening.staff.paging import Key

metadata = MetaData()
rows_table = Table(
    "item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("at", Integer, nullable=False),
    Column("reference", String(10), nullable=False),
)
QUEUE_LIKE = (Key(rows_table.c.priority, descending=True), Key(rows_table.c.at), Key(rows_table.c.reference))
AUDIT_LIKE = (Key(rows_table.c.at, descending=True), Key(rows_table.c.id, descending=True))


@pytest.fixture
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.connect() as connection:
        # 23 rows with many ties on the leading keys, inserted out of order
        connection.execute(
            rows_table.insert(),
            [
                {"id": n, "priority": (n * 7) % 4 - 1, "at": (n * 5) % 6, "reference": f"R{(n * 11) % 23:02d}"}
                for n in range(1, 24)
            ],
        )
        yield connection
    engine.dispose()


def expected(connection: Connection, keys: Sequence[Key]) -> list[int]:
    return list(connection.scalars(select(rows_table.c.id).order_by(*paging.ordering(keys))))


def walk(connection: Connection, keys: Sequence[Key], size: int) -> tuple[list[list[int]], list[list[int]]]:
    """Every page forwards from the first, then every page backwards from the last, as lists of ids."""

    def load(statement: Any) -> list[Any]:
        return list(connection.execute(statement))

    def values(row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, key.column.name) for key in keys)

    query = select(rows_table)
    forwards: list[list[int]] = []
    window = paging.window(query, keys, load, size=size)
    assert not window.has_previous
    while True:
        forwards.append([row.id for row in window.rows])
        if not window.has_next:
            break
        window = paging.window(query, keys, load, cursor=values(window.rows[-1]), size=size)
        assert window.has_previous
    backwards: list[list[int]] = []
    while window.has_previous:
        window = paging.window(query, keys, load, cursor=values(window.rows[0]), backwards=True, size=size)
        assert window.has_next
        backwards.insert(0, [row.id for row in window.rows])
    return forwards, backwards


@pytest.mark.parametrize("keys", [QUEUE_LIKE, AUDIT_LIKE], ids=["queue order", "audit order"])
@pytest.mark.parametrize("size", [1, 4, 5, 23, 50])
def test_paging_visits_every_row_once_in_order_both_ways(
    connection: Connection, keys: Sequence[Key], size: int
) -> None:
    order = expected(connection, keys)
    forwards, backwards = walk(connection, keys, size)
    assert [row for page in forwards for row in page] == order
    assert all(0 < len(page) <= size for page in forwards)
    assert backwards == forwards[:-1], "back from the last page: the same pages as on the way there"


def test_paging_the_sql_matches_the_keys_directions(connection: Connection) -> None:
    after = str(paging.beyond(QUEUE_LIKE, (1, 2, "R05")).compile(compile_kwargs={"literal_binds": True}))
    assert after == (
        "item.priority < 1 OR item.priority = 1 AND item.at > 2 "
        "OR item.priority = 1 AND item.at = 2 AND item.reference > 'R05'"
    )
    before = str(paging.beyond(AUDIT_LIKE, (3, 9), backwards=True).compile(compile_kwargs={"literal_binds": True}))
    assert before == "item.at > 3 OR item.at = 3 AND item.id > 9"


def test_paging_an_empty_result_has_no_neighbours(connection: Connection) -> None:
    query = select(rows_table).where(rows_table.c.priority > 99)
    window = paging.window(query, QUEUE_LIKE, lambda statement: list(connection.execute(statement)), size=5)
    assert (window.rows, window.has_next, window.has_previous) == ([], False, False)


def test_paging_a_cursor_needs_one_value_per_key() -> None:
    with pytest.raises(ValueError, match="one value for each key"):
        paging.beyond(QUEUE_LIKE, (1, 2))
