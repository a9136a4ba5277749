"""Retention: ``flask purge --older-than DAYS`` deletes old submissions with their flags, review events and
notifications, leaving a tombstone per submission without patient data; the clock is ``screening.clock``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from screening import clock
from screening.extensions import db
from screening.models import AuditEvent, FlagRecord, Notification, ReviewEvent, Submission, SubmissionStatus
from screening.staff import retention
from tests.app.admin_helpers import add_submission, flask_command
from tests.app.auth import create_account

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
URGENT = {
    "phq9_9": 1,
    "self_harm_intent": "yes",
    "self_harm_recent_attempt": "no",
    "phone": "01632 960 001",
    "full_name": "Canary Oldpatient",
    "email": "canary.old@example.org",
}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def references(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Submission.reference).order_by(Submission.submitted_at)))


def test_purge_deletes_old_submissions_with_their_rows_and_leaves_tombstones(
    app: Flask, frozen: datetime, tmp_path: Path
) -> None:
    app.config["SCREENING"]["ALERT_FILE"] = str(tmp_path / "alerts.log")  # a route, so urgent ones have an alert
    old = add_submission(app, submitted_at=frozen - timedelta(days=400, hours=1), **URGENT)
    recent = add_submission(app, submitted_at=frozen - timedelta(days=100), **URGENT)
    staff_id, _ = create_account(app)
    with app.app_context():
        for submission in db.session.scalars(select(Submission)):
            submission.status = SubmissionStatus.IN_REVIEW
            db.session.add(
                ReviewEvent(
                    submission=submission,
                    staff_id=staff_id,
                    at=frozen,
                    from_status=SubmissionStatus.NEW,
                    to_status=SubmissionStatus.IN_REVIEW,
                    note="Called Canary Oldpatient",
                )
            )
        db.session.commit()
    flags_before = count(app, FlagRecord)
    assert flags_before >= 2 and count(app, Notification) == 2

    result = flask_command(app, "purge", "--older-than", "365")
    assert result.exit_code == 0, result.output
    assert result.output == "Deleted 1 submission(s) submitted before 2029-06-15T12:00:00+00:00 (365 days).\n"
    assert references(app) == [recent]
    assert count(app, FlagRecord) == flags_before // 2 and count(app, ReviewEvent) == 1
    with app.app_context():
        assert db.session.scalars(select(Notification.reference)).all() == [recent]
        tombstone = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.purged")).one()
        assert (tombstone.reference, tombstone.staff_id) == (old, None)
        assert tombstone.details == {"submitted_on": (frozen - timedelta(days=400, hours=1)).date().isoformat()}
        run = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purged")).one()
        assert run.details == {"older_than_days": 365, "cutoff": "2029-06-15T12:00:00+00:00", "deleted": 1}
        # the trail of the purged submission stays, and none of it holds patient data
        trail = db.session.scalars(select(AuditEvent).where(AuditEvent.reference == old)).all()
        assert [event.action for event in trail] == ["submission.created", "submission.purged"]
        everything = " ".join(f"{event.reference} {event.details}" for event in db.session.scalars(select(AuditEvent)))
        assert "Canary" not in everything and "canary" not in everything


def test_the_clock_decides_what_is_old(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    reference = add_submission(app, submitted_at=moment)
    monkeypatch.setattr(clock, "now", lambda: moment + timedelta(days=30))
    assert flask_command(app, "purge", "--older-than", "30").output.startswith("Deleted 0 ")
    monkeypatch.setattr(clock, "now", lambda: moment + timedelta(days=30, seconds=1))
    assert flask_command(app, "purge", "--older-than", "30").output.startswith("Deleted 1 ")
    assert reference not in references(app)


def test_purge_refuses_a_short_period_unless_told_it_is_meant(app: Flask, frozen: datetime) -> None:
    add_submission(app, submitted_at=frozen - timedelta(days=10))
    refused = flask_command(app, "purge", "--older-than", "7")
    assert refused.exit_code == 1
    assert "Refusing to delete submissions younger than 30 days" in refused.output and "--yes-really" in refused.output
    assert count(app, Submission) == 1
    assert flask_command(app, "purge", "--older-than", "0").exit_code == 2  # not a number of days at all
    allowed = flask_command(app, "purge", "--older-than", "7", "--yes-really")
    assert allowed.exit_code == 0 and allowed.output.startswith("Deleted 1 ")


def test_purge_needs_a_period_or_the_retention_setting(app: Flask, frozen: datetime) -> None:
    add_submission(app, submitted_at=frozen - timedelta(days=3000))
    missing = flask_command(app, "purge")
    assert missing.exit_code == 2 and "Give --older-than DAYS, or set SCREENING_RETENTION_DAYS" in missing.output
    app.config["SCREENING"]["RETENTION_DAYS"] = 2920  # 8 years
    result = flask_command(app, "purge")
    assert result.exit_code == 0 and "(2920 days)" in result.output
    assert count(app, Submission) == 0


def test_dry_run_only_counts(app: Flask, frozen: datetime) -> None:
    add_submission(app, submitted_at=frozen - timedelta(days=40))
    add_submission(app, submitted_at=frozen - timedelta(days=20))
    result = flask_command(app, "purge", "--older-than", "30", "--dry-run")
    assert result.output == "Would delete 1 submission(s) older than 30 days.\n"
    assert count(app, Submission) == 2
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%purged"))).all() == []


def test_purge_works_in_batches(app: Flask, frozen: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)
    old = [add_submission(app, submitted_at=frozen - timedelta(days=60 + number)) for number in range(5)]
    kept = add_submission(app, submitted_at=frozen - timedelta(days=1))
    with app.app_context():
        assert retention.purge_older_than(31).deleted == 5
        purged = db.session.scalars(select(AuditEvent.reference).where(AuditEvent.action == "submission.purged"))
        assert sorted(purged) == sorted(old)
    assert references(app) == [kept]


def test_purge_rejects_a_period_below_one_day(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError):
        retention.purge_older_than(0)
