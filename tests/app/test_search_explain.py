"""On PostgreSQL, search uses an index (issue 14, item 2): EXPLAIN of the queue's own search clauses over a table of
realistic size, after VACUUM ANALYZE (what autovacuum does to a live table), with the planner left free
(sequential scans allowed, not ``enable_seqscan = off``): a name search is a bitmap scan of the trigram GIN index
``ix_submission_name_key``, a phone or email search a scan of its btree index. Skipped on SQLite (plain indexes
and LIKE there; nothing to prove). Run in the PostgreSQL pass:
``SCREENING_TEST_DATABASE_URL=postgresql+psycopg://.../test pytest tests/app/test_search_explain.py``."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select, text

from screening import search_keys
from screening.extensions import db
from screening.models import Submission, new_reference
from screening.staff import queue as review_queue
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="EXPLAIN of PostgreSQL's indexes: PostgreSQL pass only")

ROWS = 4000
_SYLLABLES = ("an", "bel", "cor", "da", "el", "fin", "gar", "hol", "is", "jo", "ka", "lem", "mor", "ni", "os", "pra")


def _name(chance: random.Random) -> str:
    def word() -> str:
        return "".join(chance.choice(_SYLLABLES) for _ in range(chance.randint(2, 4))).title()

    return f"{word()} {word()}-{word()}"


def _row(number: int, chance: random.Random, **person: Any) -> dict[str, Any]:
    name = person.get("full_name") or _name(chance)
    phone = person.get("phone") or f"020 7946 {number:04d}" if number < 10000 else None
    email = person.get("email") or f"person{number}@example.org"
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
    return {
        "reference": new_reference(),
        "submitted_at": moment,
        "status": "new",
        "priority": -1,
        "questionnaire_version": "1",
        "ruleset_version": "1",
        "article_version": "1",
        "consent_version": "1",
        "consented_at": moment,
        "answers": {"phone": phone},
        "scores": {},
        "medicines": [],
        "rule_config": {},
        "full_name": name,
        "date_of_birth": date(1950, 1, 1) + timedelta(days=chance.randint(0, 20000)),
        "email": email,
        "submission_token": f"token-{number}",
        "version_id": 1,
        "skipped_steps": [],
        "name_key": search_keys.name_key(name),
        "phone_key": search_keys.phone_key(phone, "GB"),
        "email_key": search_keys.email_key(email),
    }


@pytest.fixture
def many(app: Flask) -> None:
    chance = random.Random(14)
    rows = [_row(number, chance) for number in range(ROWS)]
    rows.append(
        _row(
            ROWS,
            chance,
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
