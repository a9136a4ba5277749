"""The submission webhook against a real receiver on 127.0.0.1: a signed event for each new submission and each
status change (verified with the recipe docs/fhir.md gives), never patient data, written in the transaction of the
change and sent through the alert outbox (after the commit, then retried with back-off); nothing when it is not set;
urgent alerts unchanged; the 0010 migration up and down."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from screening import config, create_app, notifications, submission_events
from screening.config import ConfigError
from screening.extensions import db, utcnow
from screening.models import Notification, StaffUser, Submission, SubmissionStatus
from screening.staff import review
from tests.app.admin_helpers import add_submission
from tests.app.alert_helpers import CANARY_TEXTS, ONCALL, SECRET, URGENT, Hook, configure, outbox, references, webhook
from tests.app.auth import install_clock, make_staff, sign_in
from tests.app.test_alert_settings import PRODUCTION
from tests.app.test_notifications import submit_as_patient
from tests.app.test_staff_status import post_status
from tests.app.webhook_recipe import RECIPE
from tests.conftest import Browser

EVENT_SECRET = "e" * 40
BASE = "https://screening.clinic.example"
NOTE = "Canary note words about the patient"
STAFF_NAME = "Canary Staffname"
FIELDS = {"event", "event_id", "occurred_at", "reference", "severity", "status", "fhir_url"}


def recipe() -> Callable[..., bool]:
    """``verify`` as docs/fhir.md gives it: the text run as it stands."""
    namespace: dict[str, Any] = {}
    exec(RECIPE, namespace)  # noqa: S102 (our own constant: the documented snippet, run as a receiver would)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def events_on(app: Flask, url: str, **extra: Any) -> None:
    configure(app, SUBMISSION_WEBHOOK_URL=url, SUBMISSION_WEBHOOK_SECRET=EVENT_SECRET, **extra)


def event_rows(app: Flask) -> list[Notification]:
    return [row for row in outbox(app) if row.channel == submission_events.CHANNEL]


def move(app: Flask, reference: str, to: SubmissionStatus, staff_id: int, note: str | None = None) -> None:
    """A status change through the service, as the staff page makes it."""
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        actor = db.session.get(StaffUser, staff_id)
        assert actor is not None
        review.change_status(submission, to, actor=actor, expected_version=submission.version_id, note=note)


# --- what arrives ----------------------------------------------------------------------------------------------------
def test_created_and_status_changed_events_arrive_signed_with_their_fields(
    app: Flask, browser: Browser, hook: tuple[Hook, str]
) -> None:
    receiver, url = hook
    events_on(app, url)
    submit_as_patient(browser, **URGENT)  # sent right after the submit commit: no worker ran
    [reference] = references(app)
    sign_in(browser, app, "clinician")
    post_status(browser, reference, "in_review")
    assert browser.status == 302
    assert len(receiver.requests) == 2  # sent right after the status change's commit too
    created, changed = receiver.bodies
    assert set(created) == set(changed) == FIELDS
    assert {key: created[key] for key in FIELDS - {"event_id", "occurred_at"}} == {
        "event": "submission.created",
        "reference": reference,
        "severity": "urgent",
        "status": "new",
        "fhir_url": f"{BASE}/fhir/Bundle/{reference}",
    }
    assert (changed["event"], changed["status"], changed["severity"]) == (
        "submission.status_changed",
        "in_review",
        "urgent",
    )
    assert created["event_id"] != changed["event_id"]
    assert created["occurred_at"] <= changed["occurred_at"] <= utcnow().isoformat()
    verify = recipe()
    for (headers, body), event in zip(
        receiver.requests, ("submission.created", "submission.status_changed"), strict=True
    ):
        assert headers["X-Screening-Event"] == event
        assert headers["Content-Type"] == "application/json"
        assert body == json.dumps(json.loads(body), sort_keys=True).encode()  # keys sorted
        signature = headers[notifications.SIGNATURE_HEADER]
        assert verify(EVENT_SECRET, signature, body)
        assert not verify(SECRET, signature, body)  # the alert webhook's secret does not sign events
        assert not verify(EVENT_SECRET, signature, body.replace(b"urgent", b"info"))
        assert not verify(EVENT_SECRET, signature, body, now=utcnow().timestamp() + 301)  # stale
        assert not verify(EVENT_SECRET, "v1=" + signature.partition("v1=")[2], body)  # no time


def test_no_event_carries_patient_or_staff_data(app: Flask, browser: Browser, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    events_on(app, url)
    submit_as_patient(browser, **URGENT)
    [reference] = references(app)
    staff = sign_in(browser, app, "clinician", name=STAFF_NAME, email="canary.staff@clinic.example")
    post_status(browser, reference, "in_review", note=NOTE)
    post_status(browser, reference, "awaiting_patient", note=NOTE)
    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        everything = body.decode() + json.dumps(headers)
        for value in (*CANARY_TEXTS, NOTE, "Canary", STAFF_NAME, staff.email, "canary"):
            assert value not in everything
    for row in event_rows(app):  # nor does what the outbox keeps
        assert "Canary" not in json.dumps(row.payload)


def test_an_event_refused_with_500_is_retried_with_back_off_and_keeps_its_id(
    app: Flask, hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, url = hook
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    events_on(app, url)
    receiver.status = 500
    add_submission(app)
    with app.app_context():
        assert notifications.send_pending().failed == 1
    [row] = event_rows(app)
    assert (row.attempts, row.last_error, row.sent_at) == (1, "DeliveryError (HTTP 500)", None)
    assert row.next_attempt_at == now.current + notifications.backoff(1)
    with app.app_context():
        assert notifications.send_pending() == notifications.Outcome(pending=1)  # not due yet
    now.advance(seconds=31)
    with app.app_context():
        assert notifications.send_pending().failed == 1
    assert event_rows(app)[0].next_attempt_at == now.current + timedelta(seconds=60)
    receiver.status = 200
    now.advance(seconds=61)
    with app.app_context():
        assert notifications.send_pending().sent == 1
        assert notifications.send_pending().sent == 0  # delivered once
    assert len(receiver.requests) == 3
    assert len({body["event_id"] for body in receiver.bodies}) == 1  # the receiver dedupes on it
    assert len({body for _headers, body in receiver.requests}) == 1  # the same bytes every try
    verify = recipe()
    headers, body = receiver.requests[-1]
    assert verify(EVENT_SECRET, headers[notifications.SIGNATURE_HEADER], body, now=now.current.timestamp())


def test_several_status_changes_send_several_events_in_order(app: Flask, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    events_on(app, url)
    reference = add_submission(app)
    staff = make_staff(app, "clinician")
    with app.app_context():
        notifications.send_pending()
    for to in (SubmissionStatus.IN_REVIEW, SubmissionStatus.AWAITING_PATIENT, SubmissionStatus.CONSULT_OFFERED):
        move(app, reference, to, staff.id)
    assert [(body["event"], body["status"], body["severity"]) for body in receiver.bodies] == [
        ("submission.created", "new", "none"),
        ("submission.status_changed", "in_review", "none"),
        ("submission.status_changed", "awaiting_patient", "none"),
        ("submission.status_changed", "consult_offered", "none"),
    ]
    assert len({body["event_id"] for body in receiver.bodies}) == 4
    assert [row.event_key for row in event_rows(app)][0] == "created"
    assert all(row.sent_at is not None for row in event_rows(app))


def test_a_receiver_that_is_down_never_fails_the_staff_request(
    app: Flask, browser: Browser, hook: tuple[Hook, str]
) -> None:
    receiver, url = hook
    events_on(app, url)
    receiver.status = 503
    reference = add_submission(app)
    sign_in(browser, app, "clinician")
    post_status(browser, reference, "in_review")
    assert browser.status == 302
    with app.app_context():
        assert db.session.scalar(select(Submission.status).where(Submission.reference == reference)) == "in_review"
    rows = event_rows(app)
    assert [(row.kind, row.last_error) for row in rows] == [
        ("submission.created", "DeliveryError (HTTP 503)"),
        ("submission.status_changed", "DeliveryError (HTTP 503)"),
    ]
    with app.app_context():  # not an urgent alert: the staff pages' "alerts are not going out" stays quiet
        assert notifications.overdue(now=utcnow() + timedelta(hours=1)) == 0
    assert "alerts are not going out" not in browser.get("/staff/")


def test_stuck_events_give_administrators_a_calm_notice(app: Flask, browser: Browser, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    events_on(app, url)
    receiver.status = 500
    add_submission(app)
    with app.app_context():
        notifications.send_pending()
    sign_in(browser, app, "admin")
    assert 'id="submission-events"' not in browser.get("/staff/")  # a failed try, minutes ago, is no news
    add_submission(app, submitted_at=utcnow() - timedelta(minutes=16))  # its event has waited 16 minutes
    page = browser.get("/staff/")
    assert "1 submission event has not reached the integration engine" in page
    assert "alerts are not going out" not in page and "app-alert-problem" not in page
    clinician = Browser(app.test_client())
    sign_in(clinician, app, "clinician")
    assert 'id="submission-events"' not in clinician.get("/staff/")  # administrators only
    receiver.status = 200
    with app.app_context():
        assert notifications.send_pending().sent == 1
    assert 'id="submission-events"' not in browser.get("/staff/")


def test_a_conflicting_status_change_writes_no_event(app: Flask, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    events_on(app, url)
    reference = add_submission(app)
    staff = make_staff(app, "clinician")
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        actor = db.session.get(StaffUser, staff.id)
        assert actor is not None
        with pytest.raises(review.Conflict):
            review.change_status(
                submission, SubmissionStatus.IN_REVIEW, actor=actor, expected_version=submission.version_id + 1
            )
    assert [row.kind for row in event_rows(app)] == ["submission.created"]


# --- when it is not set, and urgent alerts beside it -----------------------------------------------------------------
def test_without_the_setting_no_event_is_written(app: Flask, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    configure(app)
    reference = add_submission(app, **URGENT)
    staff = make_staff(app, "clinician")
    move(app, reference, SubmissionStatus.IN_REVIEW, staff.id)
    assert event_rows(app) == []
    assert receiver.requests == []


def test_an_urgent_submission_still_gets_one_alert_per_channel(app: Flask, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    webhook(app, url, ONCALL_EMAIL=ONCALL, MAIL_FROM="screening@clinic.example")
    events_on(app, url)
    reference = add_submission(app, **URGENT)
    staff = make_staff(app, "clinician")
    move(app, reference, SubmissionStatus.IN_REVIEW, staff.id)
    move(app, reference, SubmissionStatus.AWAITING_PATIENT, staff.id)
    assert sorted((row.kind, row.channel) for row in outbox(app)) == [
        ("submission.created", "submission_webhook"),
        ("submission.status_changed", "submission_webhook"),
        ("submission.status_changed", "submission_webhook"),
        ("urgent_submission", "email"),
        ("urgent_submission", "webhook"),
    ]
    with app.app_context():  # the widened constraint still holds an alert to once per channel
        notifications.enqueue(notifications.URGENT_SUBMISSION, reference)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


# --- settings --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"SCREENING_SUBMISSION_WEBHOOK_URL": "ftp://engine.example.org/x"}, "must start with https://"),
        ({"SCREENING_SUBMISSION_WEBHOOK_URL": "https://engine.example.org/x"}, "SUBMISSION_WEBHOOK_SECRET"),
        (
            {
                "SCREENING_SUBMISSION_WEBHOOK_URL": "https://engine.example.org/x",
                "SCREENING_SUBMISSION_WEBHOOK_SECRET": "s",
            },
            "at least 32",
        ),
    ],
)
def test_unusable_submission_webhook_settings_are_refused(tmp_path: Path, environ: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        config.build(tmp_path, environ, None)


def test_production_needs_an_https_base_url_for_the_fhir_link(tmp_path: Path) -> None:
    environ = {
        **PRODUCTION,
        "SCREENING_URGENT_ALERTS": "off",
        "SCREENING_SUBMISSION_WEBHOOK_URL": "https://engine.example.org/x",
        "SCREENING_SUBMISSION_WEBHOOK_SECRET": "s" * 32,
    }
    assert config.build(tmp_path, environ, None)["SUBMISSION_WEBHOOK_URL"]
    with pytest.raises(ConfigError, match="FHIR link"):
        config.build(tmp_path, {**environ, "SCREENING_BASE_URL": "http://screening.clinic.example"}, None)
    with pytest.raises(ConfigError, match="must start with https://$"):
        config.build(tmp_path, {**environ, "SCREENING_SUBMISSION_WEBHOOK_URL": "http://engine.example.org/x"}, None)


def test_a_usable_submission_webhook_setting_starts(tmp_path: Path) -> None:
    environ = {
        "SCREENING_SUBMISSION_WEBHOOK_URL": "http://127.0.0.1:9/x",
        "SCREENING_SUBMISSION_WEBHOOK_SECRET": "s" * 32,
    }
    assert config.build(tmp_path, environ, None)["SUBMISSION_WEBHOOK_URL"] == "http://127.0.0.1:9/x"


# --- the migration ------------------------------------------------------------------------------------------------
def test_0010_keeps_alerts_and_drops_events_on_the_way_down(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}", "SECRET_KEY": "x"})
    row = (
        "INSERT INTO notification (kind, reference, channel, created_at, next_attempt_at, attempts{extra}) VALUES"
        " (:kind, 'R-1', :channel, '2026-12-01 09:00:00+00', '2026-12-01 09:00:00+00', 0{values})"
    )
    with app.app_context():
        flask_migrate.upgrade(revision="0009")
        with db.engine.begin() as connection:
            connection.execute(text(row.format(extra="", values="")), {"kind": "urgent_submission", "channel": "email"})
        flask_migrate.upgrade(revision="0010")
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT event_key, payload FROM notification")).all() == [("", None)]
            for key in ("created", "review-1"):
                connection.execute(
                    text(row.format(extra=", event_key, payload", values=", :key, '{}'")),
                    {"kind": "submission.x", "channel": "submission_webhook", "key": key},
                )
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(text(row.format(extra="", values="")), {"kind": "urgent_submission", "channel": "email"})
        flask_migrate.downgrade(revision="0009")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT kind, channel FROM notification")).all() == [
                ("urgent_submission", "email")
            ]
        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()


def test_docs_fhir_shows_the_tested_webhook_recipe() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"
    assert RECIPE in docs.read_text(encoding="utf-8")
