"""Urgent alerts against real peers on 127.0.0.1 (aiosmtpd for email, http.server for the webhook): one alert per
urgent submission per route, with no patient data; written in the submit transaction and sent right after it; a
failed send never loses the submission and is retried with back-off; nothing for the rest."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import clock, notifications
from screening.extensions import db, utcnow
from screening.models import Notification, Submission
from tests.answer_sets import answers
from tests.app.admin_helpers import add_submission, flask_command
from tests.app.alert_helpers import (
    CANARY,
    CANARY_TEXTS,
    ESCALATION,
    ONCALL,
    SECRET,
    URGENT,
    Hook,
    Inbox,
    configure,
    free_port,
    outbox,
    references,
    webhook,
)
from tests.app.auth import install_clock
from tests.app.test_patient_flow import fill_every_step, start, submit
from tests.app.webhook_recipe import RECIPE
from tests.conftest import Browser


def submit_as_patient(browser: Browser, **changes: Any) -> None:
    start(browser)
    fill_every_step(browser, answers(**changes))
    submit(browser)
    browser.get("/questionnaire/confirmation")
    assert browser.status == 200


def only_reference(app: Flask) -> str:
    [reference] = references(app)
    return reference


# --- email ---------------------------------------------------------------------------------------------------------
def test_urgent_submission_sends_one_email_without_patient_data(
    app: Flask, browser: Browser, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    configure(app, port)
    submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    assert len(handler.envelopes) == 1
    envelope, message = handler.envelopes[0], handler.messages[0]
    assert envelope.rcpt_tos == [ONCALL]
    assert message["Subject"] == "Urgent pre-screening submission waiting"
    assert handler.bodies()[0].strip() == (
        f"An urgent submission is waiting for review: https://screening.clinic.example/staff/submissions/{reference}"
    )
    raw = envelope.content.decode("utf-8", "replace")
    for value in CANARY_TEXTS:
        assert value not in raw
    [notification] = outbox(app)
    assert (notification.kind, notification.reference, notification.channel, notification.attempts) == (
        "urgent_submission",
        reference,
        "email",
        1,
    )
    assert notification.sent_at is not None and notification.last_error is None


def test_smtp_down_at_submit_then_up_the_worker_sends_exactly_one_within_its_back_off(
    app: Flask,
    browser: Browser,
    inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, port = inbox
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    configure(app, free_port())  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="screening.notifications"):
        submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    assert reference in browser.page  # the patient got their confirmation
    [pending] = outbox(app)
    assert (pending.reference, pending.attempts, pending.sent_at) == (reference, 1, None)
    assert pending.last_error == "ConnectionRefusedError"
    assert pending.next_attempt_at == now.current + timedelta(seconds=30)  # first back-off
    assert f"urgent_submission for {reference} by email" in caplog.text
    assert handler.envelopes == []

    configure(app, port)  # the mail server is back
    now.advance(seconds=20)  # within the back-off: the worker leaves it
    result = flask_command(app, "worker", "--once")
    assert "sent 0, failed 0; 1 still waiting" in result.output
    now.advance(seconds=11)  # past it: sent, once
    result = flask_command(app, "worker", "--once")
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0; 0 still waiting" in result.output
    assert len(handler.envelopes) == 1
    [sent] = outbox(app)
    assert sent.attempts == 2 and sent.sent_at is not None and sent.last_error is None
    now.advance(minutes=30)  # past every back-off, before the 60-minute escalation (it fires in opening hours)
    assert "sent 0" in flask_command(app, "worker", "--once").output
    assert len(handler.envelopes) == 1  # never sent twice


def test_back_off_doubles_from_30_seconds_to_at_most_15_minutes() -> None:
    assert [notifications.backoff(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 900, 900, 900]
    assert notifications.backoff(10_000) == timedelta(minutes=15)  # never overflows, never gives up


def test_non_urgent_submission_records_and_sends_nothing(
    app: Flask, browser: Browser, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    configure(app, port)
    submit_as_patient(browser, pregnancy_status="breastfeeding")  # a "discuss" flag, not urgent
    with app.app_context():
        assert db.session.scalars(select(Submission.priority)).one() == 2
    assert outbox(app) == []
    assert handler.envelopes == []


def test_without_a_route_no_alert_is_recorded_and_the_staff_counter_still_shows_it(app: Flask) -> None:
    reference = add_submission(app, **URGENT)
    assert outbox(app) == []  # development without a route: nothing to send (production refuses to start)
    with app.app_context():
        assert db.session.scalar(select(Submission.priority).where(Submission.reference == reference)) == 3
        assert notifications.send_pending() == notifications.Outcome(sent=0, failed=0, pending=0)


def test_alerts_switched_off_record_nothing_even_with_routes(app: Flask, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port, URGENT_ALERTS=False)
    add_submission(app, **URGENT)
    assert outbox(app) == [] and handler.envelopes == []


def test_a_failing_send_after_submit_never_affects_the_patient(
    app: Flask,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: tuple[Inbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure(app, inbox[1])

    def broken(**_: Any) -> None:
        raise RuntimeError(CANARY["full_name"])  # even a message with patient data must not reach the log

    monkeypatch.setattr(notifications, "send_pending", broken)
    submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    assert reference in browser.page
    assert [row.reference for row in outbox(app)] == [reference]  # the outbox keeps it for the worker
    assert f"notifications for {reference} not sent after submit" in caplog.text
    assert "Canary" not in caplog.text


def test_failed_sign_in_to_the_mail_server_records_no_secret(
    app: Flask, inbox: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = inbox  # this server offers no AUTH, so login fails
    configure(app, port, SMTP_USERNAME="mailer", SMTP_PASSWORD="s3cret-smtp-password")
    add_submission(app, **URGENT)
    with app.app_context():
        outcome = notifications.send_pending()
    assert (outcome.sent, outcome.failed, outcome.pending) == (0, 1, 1)
    [pending] = outbox(app)
    assert pending.last_error == "SMTPNotSupportedError"
    assert "s3cret" not in caplog.text and "mailer" not in caplog.text
    handler.envelopes.clear()


def test_a_failed_channel_leaves_its_other_alerts_for_the_next_pass(app: Flask) -> None:
    configure(app, free_port())
    for _ in range(3):
        add_submission(app, **URGENT)
    with app.app_context():
        outcome = notifications.send_pending()
    assert (outcome.sent, outcome.failed, outcome.pending) == (0, 3, 3)  # one connection tried, not three
    rows = outbox(app)
    assert [row.attempts for row in rows] == [1, 1, 1]
    assert {row.last_error for row in rows} == {"ConnectionRefusedError"}


def test_send_pending_sends_the_backlog_oldest_first_up_to_the_limit(app: Flask, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port)
    app.config["SCREENING"]["URGENT_ALERTS"] = False
    made = [add_submission(app, **URGENT) for _ in range(3)]
    app.config["SCREENING"]["URGENT_ALERTS"] = True
    with app.app_context():
        for reference in made:
            notifications.enqueue(notifications.URGENT_SUBMISSION, reference)
        db.session.commit()
        assert notifications.send_pending(limit=2) == notifications.Outcome(sent=2, failed=0, pending=1)
        assert notifications.send_pending(reference=made[2]).sent == 1
    bodies = handler.bodies()
    assert [reference for reference in made if any(reference in body for body in bodies)] == made
    assert all(row.sent_at is not None for row in outbox(app))


def test_an_alert_another_worker_has_claimed_is_not_taken_again(app: Flask, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port)
    app.config["SCREENING"]["URGENT_ALERTS"] = False
    reference = add_submission(app, **URGENT)
    app.config["SCREENING"]["URGENT_ALERTS"] = True
    with app.app_context():
        notifications.enqueue(notifications.URGENT_SUBMISSION, reference)
        db.session.commit()
        [taken] = notifications.claim()
        assert taken.attempts == 1 and taken.next_attempt_at > clock.now()
        assert notifications.claim() == []  # leased to the first worker
        assert notifications.send_pending().sent == 0
    assert handler.envelopes == []


def test_an_alert_exists_once_per_kind_reference_and_channel(app: Flask, inbox: tuple[Inbox, int]) -> None:
    configure(app, inbox[1])
    reference = add_submission(app, **URGENT)
    with app.app_context():
        notifications.enqueue(notifications.URGENT_SUBMISSION, reference)
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            db.session.commit()
        db.session.rollback()
    assert len(outbox(app)) == 1


def test_escalation_email_goes_to_the_escalation_address(app: Flask, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port, ESCALATION_EMAIL=ESCALATION)
    reference = add_submission(app, **URGENT)
    with app.app_context():
        notifications.enqueue(notifications.URGENT_ESCALATION, reference)
        db.session.commit()
        notifications.send_pending()
    assert [envelope.rcpt_tos for envelope in handler.envelopes] == [[ONCALL], [ESCALATION]]
    assert handler.messages[1]["Subject"] == "ESCALATION: urgent pre-screening submission not picked up"
    assert reference in handler.bodies()[1]


# --- webhook -------------------------------------------------------------------------------------------------------
def test_webhook_is_signed_and_carries_no_patient_data(app: Flask, browser: Browser, hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    webhook(app, url)
    submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    [(headers, body)] = receiver.requests
    assert headers["Content-Type"] == "application/json"
    timestamp, _, signature = headers[notifications.SIGNATURE_HEADER].partition(",")
    assert timestamp.startswith("t=") and signature.startswith("v1=")
    expected = hmac.new(SECRET.encode(), timestamp[2:].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature[3:], expected)
    assert abs(int(timestamp[2:]) - utcnow().timestamp()) < 60
    payload = receiver.bodies[0]
    assert {key: payload[key] for key in ("event", "reference", "severity", "link")} == {
        "event": "urgent_submission",
        "reference": reference,
        "severity": "urgent",
        "link": f"https://screening.clinic.example/staff/submissions/{reference}",
    }
    text = body.decode()
    for value in CANARY_TEXTS:
        assert value not in text


def test_a_webhook_answering_500_is_retried_until_it_accepts(
    app: Flask, hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, url = hook
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    webhook(app, url)
    receiver.status = 500
    add_submission(app, **URGENT)
    with app.app_context():
        assert notifications.send_pending().failed == 1
    [row] = outbox(app)
    assert (row.attempts, row.last_error, row.sent_at) == (1, "DeliveryError (HTTP 500)", None)
    now.advance(seconds=31)
    with app.app_context():
        assert notifications.send_pending().failed == 1  # still refusing: the next wait doubles
    assert outbox(app)[0].next_attempt_at == now.current + timedelta(seconds=60)
    receiver.status = 204
    now.advance(seconds=61)
    with app.app_context():
        assert notifications.send_pending().sent == 1
    assert len(receiver.requests) == 3
    assert outbox(app)[0].attempts == 3 and outbox(app)[0].sent_at is not None


def test_email_and_webhook_are_independent_routes(app: Flask, inbox: tuple[Inbox, int], hook: tuple[Hook, str]) -> None:
    handler, port = inbox
    receiver, url = hook
    configure(app, port, ALERT_WEBHOOK_URL=url, ALERT_WEBHOOK_SECRET=SECRET)
    receiver.status = 503
    add_submission(app, **URGENT)
    with app.app_context():
        outcome = notifications.send_pending()
    assert (outcome.sent, outcome.failed) == (1, 1)  # the email went, though the webhook failed
    assert len(handler.envelopes) == 1
    assert {row.channel: row.sent_at is not None for row in outbox(app)} == {"email": True, "webhook": False}


# --- the development file, and the go-live check --------------------------------------------------------------------
def test_development_alerts_go_to_the_alert_file_and_the_console(
    app: Flask, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "alerts.log"
    configure(app, ALERT_FILE=str(path))
    reference = add_submission(app, **URGENT)
    with app.app_context():
        assert notifications.send_pending().sent == 1
    line = path.read_text()
    assert reference in line and "Urgent pre-screening submission waiting" in line
    assert reference in capsys.readouterr().out
    for value in CANARY_TEXTS:
        assert value not in line


def test_send_test_alert_checks_every_route(app: Flask, inbox: tuple[Inbox, int], hook: tuple[Hook, str]) -> None:
    handler, port = inbox
    receiver, url = hook
    configure(app, port, ALERT_WEBHOOK_URL=url, ALERT_WEBHOOK_SECRET=SECRET)
    result = flask_command(app, "send-test-alert")
    assert result.exit_code == 0, result.output
    assert "email: delivered" in result.output and "webhook: delivered" in result.output
    assert "submission_webhook" not in result.output  # not set: no event
    assert notifications.TEST_REFERENCE in handler.bodies()[0]
    assert receiver.bodies[0]["reference"] == notifications.TEST_REFERENCE
    receiver.status = 500
    result = flask_command(app, "send-test-alert")
    assert result.exit_code == 1 and "webhook: FAILED: DeliveryError (HTTP 500)" in result.output
    assert outbox(app) == []  # a test never touches the outbox
    app.config["SCREENING"]["URGENT_ALERTS"] = False
    assert flask_command(app, "send-test-alert").exit_code == 1


def test_send_test_alert_sends_a_signed_test_event_to_the_submission_webhook(
    app: Flask, inbox: tuple[Inbox, int], hook: tuple[Hook, str]
) -> None:
    _handler, port = inbox
    receiver, url = hook
    event_secret = "e" * 40
    configure(app, port, SUBMISSION_WEBHOOK_URL=url, SUBMISSION_WEBHOOK_SECRET=event_secret)
    result = flask_command(app, "send-test-alert")
    assert result.exit_code == 0, result.output
    assert "email: delivered" in result.output and "submission_webhook: delivered" in result.output
    [(headers, body)] = receiver.requests
    namespace: dict[str, Any] = {}
    exec(RECIPE, namespace)  # noqa: S102 (our own constant: the receiver's check docs/fhir.md gives)
    assert namespace["verify"](event_secret, headers[notifications.SIGNATURE_HEADER], body)
    assert not namespace["verify"](SECRET, headers[notifications.SIGNATURE_HEADER], body)
    event = receiver.bodies[0]
    assert (event["event"], event["reference"], headers["X-Screening-Event"]) == (
        "submission.test",
        notifications.TEST_REFERENCE,
        "submission.test",
    )
    assert set(event) == {"event", "event_id", "occurred_at", "reference", "severity", "status", "fhir_url"}
    assert flask_command(app, "send-test-alert").exit_code == 0
    assert receiver.bodies[1]["event_id"] != event["event_id"]  # a fresh event each time
    receiver.status = 503
    result = flask_command(app, "send-test-alert")
    assert result.exit_code == 1 and "submission_webhook: FAILED: DeliveryError (HTTP 503)" in result.output
    assert "email: delivered" in result.output
    assert event_secret not in result.output and url not in result.output
    assert outbox(app) == []  # a test never touches the outbox


def test_submit_adds_the_outbox_rows_in_the_submit_transaction(app: Flask, hook: tuple[Hook, str]) -> None:
    webhook(app, hook[1], ONCALL_EMAIL=ONCALL, MAIL_FROM="screening@clinic.example")
    reference = add_submission(app, **URGENT)
    other = add_submission(app)
    rows = outbox(app)
    assert [(row.kind, row.reference, row.channel) for row in rows] == [
        ("urgent_submission", reference, "email"),
        ("urgent_submission", reference, "webhook"),
    ]
    assert other != reference
    with app.app_context():  # the row and the submission commit together
        assert db.session.scalar(select(Notification.created_at).limit(1)) is not None
