"""On PostgreSQL, search uses an index (issue 14, item 2): EXPLAIN of the queue's own search clauses over a table of
realistic size, after VACUUM ANALYZE (what autovacuum does to a live table), with the planner left free
(sequential scans allowed, not ``enable_seqscan = off``): a name search is a bitmap scan of the trigram GIN index
``ix_submission_name_key``, a phone or email search a scan of its btree index. Skipped on SQLite (plain indexes
and LIKE there; nothing to prove). Run in the PostgreSQL pass:
``SCREENING_TEST_DATABASE_URL=postgresql+psycopg://.../test pytest tests/app/test_search_explain.py``."""

from __future__ import annotations

import json
import random

import pytest
from flask import Flask
from sqlalchemy import insert, select, text

from screening.extensions import db
from screening.models import Submission
from screening.staff import queue as review_queue
from tests.app.query_helpers import submission_row
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="EXPLAIN of PostgreSQL's indexes: PostgreSQL pass only")

ROWS = 4000


@pytest.fixture
def many(app: Flask) -> None:
    chance = random.Random(14)
    rows = [submission_row(number, chance, status="new", priority=-1) for number in range(ROWS)]
    rows.append(
        submission_row(
            ROWS,
            chance,
            status="new",
            priority=-1,
            full_name="Devendra 'Dev' Patel-O'Neill",
            phone="07700 900123",
            email="dev.patel@example.org",
        )
    )
    with app.app_context():
        db.session.execute(insert(Submission.__table__), rows)
        db.session.commit()
        # as autovacuum leaves a live table: statistics, and the GIN index's pending list merged
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE submission"))


def _plan(search: review_queue.Search) -> str:
    statement = select(Submission.id).where(review_queue.search_clause(search))
    sql = str(statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    sql = sql.replace("%%", "%")  # the driver's escaping of "%", not wanted in a statement run without parameters
    plan = db.session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar_one()
    return json.dumps(plan)


@pytest.mark.parametrize(
    ("term", "index", "scan"),
    [
        ("Dev Patel", "ix_submission_name_key", "Bitmap Index Scan"),
        ("o'neill", "ix_submission_name_key", "Bitmap Index Scan"),
        ("+44 7700 900123", "ix_submission_phone_key", "Index"),
        ("Dev.Patel@Example.org", "ix_submission_email_key", "Index"),
    ],
)
def test_search_uses_an_index_on_postgresql(app: Flask, many: None, term: str, index: str, scan: str) -> None:
    with app.app_context():
        search = review_queue.parse_search(term)
        assert search is not None
        plan = _plan(search)
        assert f'"Index Name": "{index}"' in plan, plan
        assert scan in plan and "Seq Scan" not in plan, plan
        found = db.session.scalars(select(Submission.full_name).where(review_queue.search_clause(search))).all()
        assert found == ["Devendra 'Dev' Patel-O'Neill"]


def test_the_name_index_is_a_trigram_gin_index(app: Flask) -> None:
    with app.app_context():
        definition = db.session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_submission_name_key'")
        )
        assert definition is not None and "USING gin (name_key gin_trgm_ops)" in definition
