"""The queue's status counts come from ``submission_status_count``, kept by triggers (``screening/status_counts.py``):
after new submissions, status changes (through the review and in SQL) and deletions it says what counting every
submission says, on a schema made by ``create_all`` and on one made by the migrations (a later migration that
rebuilt the submission table on SQLite would lose the triggers: this fails then). Both databases."""

from __future__ import annotations

import random
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import delete, func, insert, select, update

from screening import create_app
from screening.extensions import db
from screening.models import Submission, SubmissionStatus
from screening.staff import queue as review_queue
from tests.app import query_helpers
from tests.conftest import TEST_DATABASE_URL, _reset_postgresql


def _counted() -> dict[str, int]:
    counts = {status.value: 0 for status in SubmissionStatus}
    for status, count in db.session.execute(select(Submission.status, func.count()).group_by(Submission.status)):
        counts[SubmissionStatus(status).value] = count
    counts["open"] = sum(counts[status.value] for status in review_queue.OPEN_STATUSES)
    counts["all"] = sum(counts[status.value] for status in SubmissionStatus)
    return counts


def _exercise() -> None:
    """Inserts, status changes (one row, many rows, to the same status) and deletions; the kept counts match."""
    chance = random.Random(5)
    already = review_queue.status_counts()["all"]
    db.session.execute(insert(Submission.__table__), [query_helpers.submission_row(n, chance) for n in range(40)])
    db.session.commit()
    assert review_queue.status_counts() == _counted()
    assert review_queue.status_counts()["all"] == already + 40
    first = db.session.scalars(select(Submission).order_by(Submission.id).limit(1)).one()
    first.status = SubmissionStatus.WITHDRAWN if first.status != SubmissionStatus.WITHDRAWN else SubmissionStatus.NEW
    db.session.commit()
    db.session.execute(update(Submission).where(Submission.id % 3 == 0).values(status=SubmissionStatus.IN_REVIEW))
    db.session.execute(update(Submission).where(Submission.id % 5 == 0).values(priority=2))  # no status change
    db.session.commit()
    assert review_queue.status_counts() == _counted()
    db.session.execute(delete(Submission).where(Submission.id % 4 == 0))
    db.session.commit()
    assert review_queue.status_counts() == _counted()
    assert review_queue.status_counts()["all"] < already + 40


def test_the_kept_counts_follow_every_change(app: Flask) -> None:
    with app.app_context():
        assert review_queue.status_counts()["all"] == 0
        _exercise()


def test_the_migrations_make_the_triggers_and_count_existing_submissions(tmp_path: Path) -> None:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgresql()
        flask_migrate.upgrade(revision="0010")
        chance = random.Random(9)
        rows = [query_helpers.submission_row(100 + n, chance) for n in range(12)]
        db.session.execute(insert(Submission.__table__), [{**row, "superseded_by_id": None} for row in rows])
        db.session.commit()
        before = _counted()
        db.session.commit()  # end the read: the migration's DDL waits for it on PostgreSQL
        flask_migrate.upgrade()
        assert review_queue.status_counts() == before  # counted by the migration
        _exercise()
        db.session.remove()
        flask_migrate.downgrade(revision="0010")
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()
