"""Helpers for the query tests (``test_query_plans``, ``test_statement_counts``) and ``bench/bench_queries.py``:
many submissions inserted fast (one core INSERT per table, not the submit path), with flags, review events and audit
events, a recorder of the SQL statements a request runs, and each database's query plan of a statement."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Engine

from screening import search_keys
from screening.extensions import db
from screening.models import AuditEvent, FlagRecord, Notification, ReviewEvent, Submission

_SYLLABLES = ("an", "bel", "cor", "da", "el", "fin", "gar", "hol", "is", "jo", "ka", "lem", "mor", "ni", "os", "pra")
#: Most submissions have been dealt with; about one in ten is still open (new, in review, awaiting the patient).
_STATUSES = ("consult_offered",) * 5 + ("not_suitable",) * 3 + ("withdrawn", "new", "in_review", "awaiting_patient")
_SEVERITIES = {3: "urgent", 2: "discuss", 1: "caution", 0: "info"}
START = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 5000


def _name(chance: random.Random) -> str:
    def word() -> str:
        return "".join(chance.choice(_SYLLABLES) for _ in range(chance.randint(2, 4))).title()

    return f"{word()} {word()}"


def submission_row(number: int, chance: random.Random, **given: Any) -> dict[str, Any]:
    """A submission row as the submit path stores it (search keys included); ``given`` overrides any column (and
    ``phone`` the phone answer)."""
    name = given.pop("full_name", None) or _name(chance)
    phone = given.pop("phone", None) or f"020 7946 {number % 10000:04d}"
    email = given.pop("email", None) or f"person{number}@example.org"
    moment = START + timedelta(minutes=number)
    row: dict[str, Any] = {
        "reference": f"KT-{number // 10000:04d}-{number % 10000:04d}",
        "submitted_at": moment,
        "status": chance.choice(_STATUSES),
        "priority": chance.choice((-1, -1, -1, 0, 1, 2, 3)),
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
        "date_of_birth": date(1940, 1, 1) + timedelta(days=chance.randint(0, 25000)),
        "email": email,
        "submission_token": f"token-{number}",
        "version_id": 1,
        "skipped_steps": [],
        "name_key": search_keys.name_key(name),
        "phone_key": search_keys.phone_key(phone, "GB"),
        "email_key": search_keys.email_key(email),
    }
    return {**row, **given}


def flag_row(submission_id: int, position: int, severity: int, **given: Any) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "position": position,
        "rule_id": f"rule_{position}",
        "severity": _SEVERITIES.get(severity, "info"),
        "title": f"Flag {position}",
        "evidence": "Answered yes",
        "rationale": "Why it matters",
        "source": None,
        "ruleset_version": "1",
        **given,
    }


def seed(count: int, *, staff_id: int, first: int = 0, seed_value: int = 17) -> None:
    """``count`` submissions (numbers ``first``...), each with flags up to its priority and, for one in three,
    a review event by ``staff_id``; plus one audit event per submission, and a sent alert per urgent one. Commits;
    then refreshes the planner's statistics (ANALYZE), as autovacuum would on a live database."""
    chance = random.Random(seed_value + first)
    for start in range(first, first + count, BATCH):
        numbers = range(start, min(start + BATCH, first + count))
        rows = [submission_row(number, chance) for number in numbers]
        db.session.execute(insert(Submission.__table__), rows)
        ids = dict(
            db.session.execute(
                select(Submission.reference, Submission.id).where(
                    Submission.reference.in_([row["reference"] for row in rows])
                )
            ).all()
        )
        flags = [
            flag_row(ids[row["reference"]], position, row["priority"])
            for row in rows
            for position in range(max(row["priority"], -1) + 1)
        ]
        if flags:
            db.session.execute(insert(FlagRecord.__table__), flags)
        events = [
            {
                "submission_id": ids[row["reference"]],
                "staff_id": staff_id,
                "at": row["submitted_at"] + timedelta(hours=1),
                "from_status": "new",
                "to_status": row["status"],
                "note": "Reviewed",
            }
            for index, row in enumerate(rows)
            if index % 3 == 0 and row["status"] != "new"
        ]
        if events:
            db.session.execute(insert(ReviewEvent.__table__), events)
        sent = [  # each urgent submission's alert, long sent (the outbox keeps them)
            {
                "kind": "urgent",
                "reference": row["reference"],
                "channel": "email",
                "created_at": row["submitted_at"],
                "next_attempt_at": row["submitted_at"],
                "sent_at": row["submitted_at"],
                "attempts": 1,
            }
            for row in rows
            if row["priority"] == 3
        ]
        if sent:
            db.session.execute(insert(Notification.__table__), sent)
        db.session.execute(
            insert(AuditEvent.__table__),
            [
                {
                    "at": row["submitted_at"],
                    "staff_id": None,
                    "action": "submission.created",
                    "reference": row["reference"],
                    "remote_addr": None,
                    "details": {},
                }
                for row in rows
            ],
        )
    db.session.commit()
    analyze()


def analyze() -> None:
    """Fresh planner statistics (``ANALYZE``; on PostgreSQL also VACUUM, which merges a GIN index's pending list)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


# --- statements ------------------------------------------------------------------------------------------------------
@dataclass
class Recorded:
    """The statements run, with their parameters, in order."""

    statements: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def selects(self) -> list[tuple[str, Any]]:
        return [(sql, params) for sql, params in self.statements if sql.lstrip().upper().startswith("SELECT")]

    def listing(self) -> str:
        return "\n".join(f"{number}. {sql}" for number, (sql, _params) in enumerate(self.statements, 1))


@contextmanager
def recording(engine: Engine) -> Iterator[Recorded]:
    """Every statement ``engine`` runs inside the block (SQLAlchemy's ``before_cursor_execute``)."""
    recorded = Recorded()

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        recorded.statements.append((" ".join(statement.split()), parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield recorded
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def plan(sql: str, parameters: Any) -> str:
    """The plan of one recorded statement, as text: SQLite's EXPLAIN QUERY PLAN lines, or PostgreSQL's
    ``EXPLAIN (FORMAT JSON)``."""
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", parameters)
        return json.dumps(cursor.fetchone()[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"EXPLAIN QUERY PLAN {sql}", parameters)
    return "\n".join(str(row[-1]) for row in cursor.fetchall())
