"""No N+1 (issue 17): each staff page runs the same number of SQL statements whatever the number of rows, flags, notes,
acknowledgements, staff members or repeat submissions there are. Each page is requested by a signed-in member of
staff with few rows and with many; the statements are counted with SQLAlchemy's ``before_cursor_execute``. A
failure lists both sets of statements. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from screening.extensions import db
from screening.models import AuditEvent, FlagRecord, ReviewEvent, Role, StaffUser, Submission
from tests.app import query_helpers
from tests.app.auth import csrf_token, make_staff, sign_in

FEW, MANY = 3, 60


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def _add_submissions(app: Flask, first: int, count: int) -> None:
    """Submissions numbered ``first``...: the first one urgent, the others with no flags, each with an audit event."""
    chance = random.Random(first)
    with app.app_context():
        rows = [
            query_helpers.submission_row(number, chance, priority=3 if number == 0 else -1)
            for number in range(first, first + count)
        ]
        db.session.execute(insert(Submission.__table__), rows)
        db.session.execute(
            insert(AuditEvent.__table__),
            [
                {
                    "at": row["submitted_at"],
                    "staff_id": None,
                    "action": "submission.viewed",
                    "reference": row["reference"],
                    "details": {},
                }
                for row in rows
            ],
        )
        db.session.commit()


def _busy(app: Flask, reference: str, *, flags: int, notes: int, reviewers: int, repeats: int) -> None:
    """The submission gets ``flags`` flags, each acknowledged, and ``notes`` notes, by ``reviewers`` different staff
    members in turn; it is picked up; and the same person sent ``repeats`` more submissions."""
    chance = random.Random(reviewers)
    with app.app_context():
        staff = [make_staff(app, Role.CLINICIAN).id for _ in range(reviewers)]
        subject = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        moment = subject.submitted_at
        db.session.execute(
            insert(FlagRecord.__table__),
            [
                query_helpers.flag_row(
                    subject.id,
                    position,
                    3,
                    rule_id=f"busy_{position}",
                    acknowledged_by_id=staff[position % reviewers],
                    acknowledged_at=moment,
                    acknowledgement="discussed",
                )
                for position in range(1, flags + 1)
            ],
        )
        flag_ids = db.session.scalars(select(FlagRecord.id).where(FlagRecord.submission_id == subject.id)).all()
        events: list[dict[str, Any]] = [
            {
                "submission_id": subject.id,
                "staff_id": staff[number % reviewers],
                "at": moment,
                "note": f"Note {number}",
                "flag_id": None,
                "acknowledgement": None,
            }
            for number in range(notes)
        ]
        events += [
            {
                "submission_id": subject.id,
                "staff_id": staff[number % reviewers],
                "at": moment + timedelta(minutes=number),
                "note": None,
                "flag_id": flag_id,
                "acknowledgement": "discussed",
            }
            for number, flag_id in enumerate(flag_ids)
        ]
        db.session.execute(insert(ReviewEvent.__table__), events)
        same = {key: getattr(subject, key) for key in ("full_name", "date_of_birth", "email", "email_key", "name_key")}
        db.session.execute(
            insert(Submission.__table__),
            [
                {
                    **query_helpers.submission_row(90_000 + number, chance, **same),
                    "submitted_at": moment - timedelta(days=number),
                }
                for number in range(1, repeats + 1)
            ],
        )
        subject.picked_up_at, subject.picked_up_by_id = moment, staff[-1]
        db.session.commit()


def _with_flag(app: Flask, reference: str) -> None:
    """The submission's one flag, acknowledged by the signed-in... any staff member (the first account)."""
    with app.app_context():
        subject = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        first = db.session.scalar(select(StaffUser.id).order_by(StaffUser.id).limit(1))
        db.session.execute(
            insert(FlagRecord.__table__),
            [query_helpers.flag_row(subject.id, 0, 3, acknowledged_by_id=first, acknowledgement="discussed")],
        )
        db.session.commit()


def _count(app: Flask, request: Callable[[], Any]) -> query_helpers.Recorded:
    with app.app_context():
        engine = db.engine
    request()  # warm up: what a page reads once per process (settings, templates) is not the page's
    with query_helpers.recording(engine) as recorded:
        response = request()
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:2000])
    return recorded


def _pages(client: FlaskClient, reference: str, token: str) -> dict[str, Callable[[], Any]]:
    def search(term: str) -> Callable[[], Any]:
        return lambda: client.post("/staff/search", data={"q": term, "csrf_token": token})

    return {
        "queue": lambda: client.get("/staff/"),
        "queue, every status": lambda: client.get("/staff/?status=all"),
        "queue, one status": lambda: client.get("/staff/?status=new"),
        "queue, severity": lambda: client.get("/staff/?status=all&severity=none"),
        "queue, dates": lambda: client.get("/staff/?status=all&from=2025-01-01&to=2027-01-01"),
        "search by name": search("an"),
        "search by reference": search(reference),
        "search by email": search("person0@example.org"),
        "submission page": lambda: client.get(f"/staff/submissions/{reference}"),
        "printable summary": lambda: client.get(f"/staff/submissions/{reference}/summary"),
        "reports": lambda: client.get("/staff/reports"),
        "audit log": lambda: client.get("/staff/admin/audit"),
        "audit log, by action": lambda: client.get("/staff/admin/audit?action=submission.viewed"),
        "staff accounts": lambda: client.get("/staff/admin/staff"),
    }


def _statements(app: Flask, client: FlaskClient, reference: str) -> dict[str, query_helpers.Recorded]:
    token = csrf_token(client.get("/staff/").get_data(as_text=True))
    return {name: _count(app, page) for name, page in _pages(client, reference, token).items()}


def _assert_same(few: dict[str, query_helpers.Recorded], many: dict[str, query_helpers.Recorded]) -> None:
    different = [name for name in few if len(few[name].statements) != len(many[name].statements)]
    assert not different, "\n\n".join(
        f"{name}: {len(few[name].statements)} statements with few rows, {len(many[name].statements)} with many\n"
        f"-- few:\n{few[name].listing()}\n-- many:\n{many[name].listing()}"
        for name in different
    )


def test_each_page_runs_as_many_statements_with_many_rows_as_with_few(app: Flask, client: FlaskClient) -> None:
    """``FEW`` submissions, the counted one with one acknowledged flag; then ``MANY`` more submissions and audit
    events, and the counted one with a dozen acknowledged flags, notes by eight staff members, a pick-up and six
    repeat submissions of the same person: every page runs the same statements, as many of them."""
    sign_in(client, app, Role.ADMIN, also=(Role.CLINICIAN,))
    _add_submissions(app, 0, FEW)
    reference = query_helpers.submission_row(0, random.Random(0))["reference"]
    _with_flag(app, reference)
    few = _statements(app, client, reference)
    _add_submissions(app, FEW, MANY)
    _busy(app, reference, flags=12, notes=15, reviewers=8, repeats=6)
    many = _statements(app, client, reference)
    _assert_same(few, many)
    assert all(len(recorded.statements) > 0 for recorded in many.values())
