"""The alert worker: several workers on one database send each alert exactly once; an urgent submission nobody has
picked up is escalated once, after its deadline, waiting for opening hours; a picked-up one never is."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from screening import notifications
from screening.extensions import db
from screening.models import Role, Submission, SubmissionStatus
from screening.staff import escalation, worker
from tests.app.admin_helpers import add_submission, flask_command
from tests.app.alert_helpers import CANARY_TEXTS, ESCALATION, URGENT, Hook, Inbox, configure, free_port, outbox, webhook
from tests.app.auth import install_clock, staff_and_secret
from tests.app.staff_helpers import audit_events

LONDON = ZoneInfo("Europe/London")
CANARY_NAME = URGENT["full_name"]
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON).astimezone(UTC)
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=LONDON).astimezone(UTC)


def escalations(app: Flask) -> list[tuple[str, str]]:
    return [(row.reference, row.channel) for row in outbox(app) if row.kind == notifications.URGENT_ESCALATION]


def pass_at(app: Flask, moment: datetime) -> list[str]:
    with app.app_context():
        return escalation.escalate_due(now=moment)


# --- several workers -----------------------------------------------------------------------------------------------
def test_two_workers_send_each_of_20_pending_alerts_exactly_once(app: Flask) -> None:
    """Run on SQLite and, in CI's PostgreSQL pass, on PostgreSQL (claims use FOR UPDATE SKIP LOCKED there)."""
    handler, port = Inbox(delay=0.02), free_port()  # a slow mail server makes the two workers overlap
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config["SCREENING"]["URGENT_ALERTS"] = False  # made without alerts, so the rows below are the only ones
        made = [add_submission(app, **URGENT) for _ in range(20)]
        configure(app, port)
        app.config["SCREENING"]["URGENT_ALERTS"] = True
        with app.app_context():
            for reference in made:
                notifications.enqueue(notifications.URGENT_SUBMISSION, reference)
            db.session.commit()
        start, errors = threading.Barrier(2), []

        def run() -> None:
            try:
                with app.app_context():
                    start.wait()
                    while notifications.send_pending(limit=3).pending:
                        pass
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
    assert errors == []
    sent = [reference for body in handler.bodies() for reference in made if reference in body]
    assert sorted(sent) == sorted(made)  # each exactly once
    rows = outbox(app)
    assert len(rows) == 20 and all(row.sent_at is not None and row.attempts == 1 for row in rows)


def test_the_worker_loop_sends_and_stops_when_told(app: Flask, tmp_path: Path) -> None:
    configure(app, ALERT_FILE=str(tmp_path / "alerts.log"))
    reference = add_submission(app, **URGENT)
    stop, lines = threading.Event(), []

    def run() -> None:
        with app.app_context():
            worker.run_forever(stop, interval=0.05, report=lines.append)

    thread = threading.Thread(target=run)
    thread.start()
    for _ in range(100):
        if (tmp_path / "alerts.log").exists():
            break
        stop.wait(0.05)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert reference in (tmp_path / "alerts.log").read_text()
    assert lines and lines[0].startswith("escalated 0, sent 1, failed 0")


def test_a_failing_pass_never_stops_the_worker(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        message = CANARY_NAME  # a message that could hold data never reaches the log
        raise RuntimeError(message)

    monkeypatch.setattr(worker, "run_once", broken)
    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            worker.run_forever(stop, interval=0.01)

    thread = threading.Thread(target=run)
    thread.start()
    while len(calls) < 3:
        stop.wait(0.01)
    stop.set()
    thread.join(timeout=10)
    assert "alert worker pass failed" in caplog.text and CANARY_NAME not in caplog.text


# --- escalation ----------------------------------------------------------------------------------------------------
def test_escalation_after_the_deadline_once_with_no_patient_data(
    app: Flask, hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, url = hook
    webhook(app, url)  # opening hours Mon-Fri 09:00-17:00 Europe/London, 60 minutes: the defaults
    reference = add_submission(app, submitted_at=TUESDAY_10, **URGENT)
    assert pass_at(app, TUESDAY_10 + timedelta(minutes=59)) == []
    assert escalations(app) == []
    assert pass_at(app, TUESDAY_10 + timedelta(minutes=60)) == [reference]
    assert escalations(app) == [(reference, "webhook")]
    assert pass_at(app, TUESDAY_10 + timedelta(minutes=90)) == []  # once
    install_clock(monkeypatch, TUESDAY_10 + timedelta(minutes=61))
    assert flask_command(app, "worker", "--once").exit_code == 0
    bodies = receiver.bodies
    assert [body["event"] for body in bodies] == ["urgent_submission", "urgent_escalation"]
    assert bodies[1]["reference"] == reference
    for value in CANARY_TEXTS:
        assert value not in receiver.requests[1][1].decode()
    [event] = audit_events(app, "submission.escalated")
    assert event["reference"] == reference and event["staff_id"] is None
    assert event["details"] == {"minutes": 60, "channels": ["webhook"]}


def test_a_pick_up_before_the_deadline_prevents_the_escalation(app: Flask, hook: tuple[Hook, str]) -> None:
    webhook(app, hook[1])
    reference = add_submission(app, submitted_at=TUESDAY_10, **URGENT)
    staff, _ = staff_and_secret(app, Role.CLINICIAN)
    with app.app_context():
        from screening.models import StaffUser
        from screening.staff import review

        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        review.pick_up(submission, actor=db.session.get(StaffUser, staff.id), expected_version=submission.version_id)
    assert pass_at(app, TUESDAY_10 + timedelta(hours=3)) == []
    assert escalations(app) == []


def test_outside_opening_hours_the_escalation_waits_for_the_next_opening(app: Flask, hook: tuple[Hook, str]) -> None:
    webhook(app, hook[1])
    reference = add_submission(app, submitted_at=FRIDAY_1630, **URGENT)
    for moment in ("2026-12-04 17:31", "2026-12-05 12:00", "2026-12-07 08:59"):
        assert pass_at(app, datetime.fromisoformat(moment).replace(tzinfo=LONDON)) == [], moment
    assert pass_at(app, datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)) == [reference]


def test_escalation_minutes_and_hours_are_the_clinics_settings(app: Flask, hook: tuple[Hook, str]) -> None:
    webhook(app, hook[1], URGENT_ESCALATE_MINUTES=15, OPENING_HOURS="always")
    reference = add_submission(app, submitted_at=FRIDAY_1630, **URGENT)
    assert pass_at(app, FRIDAY_1630 + timedelta(minutes=14)) == []
    assert pass_at(app, FRIDAY_1630 + timedelta(minutes=15)) == [reference]


def test_escalation_by_email_goes_to_the_escalation_address(
    app: Flask, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = inbox
    configure(app, port, ESCALATION_EMAIL=ESCALATION)
    add_submission(app, submitted_at=TUESDAY_10, **URGENT)
    install_clock(monkeypatch, TUESDAY_10 + timedelta(hours=2))
    assert "Escalated 1; sent 2" in flask_command(app, "worker", "--once").output
    assert [envelope.rcpt_tos for envelope in handler.envelopes][-1] == [ESCALATION]


def test_a_submission_already_acted_on_or_not_urgent_is_never_escalated(app: Flask, hook: tuple[Hook, str]) -> None:
    webhook(app, hook[1])
    acted = add_submission(app, submitted_at=TUESDAY_10, **URGENT)
    add_submission(app, submitted_at=TUESDAY_10, pregnancy_status="breastfeeding")  # discuss, not urgent
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == acted)).one()
        submission.status = SubmissionStatus.AWAITING_PATIENT
        db.session.commit()
    assert pass_at(app, TUESDAY_10 + timedelta(days=1)) == []


def test_two_workers_escalate_a_submission_once(app: Flask, hook: tuple[Hook, str]) -> None:
    webhook(app, hook[1])
    reference = add_submission(app, submitted_at=TUESDAY_10, **URGENT)
    results: list[list[str]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            barrier.wait()
            results.append(escalation.escalate_due(now=TUESDAY_10 + timedelta(hours=2)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [[], [reference]]
    assert escalations(app) == [(reference, "webhook")]
    assert len(audit_events(app, "submission.escalated")) == 1
