"""Urgent notifications against a real SMTP server (aiosmtpd on 127.0.0.1): one email per urgent submission,
with no patient data; a failed send never loses the submission and is retried; nothing for the rest."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select, update

from screening import config, notifications
from screening.extensions import db
from screening.models import Notification, Submission
from tests.answer_sets import answers
from tests.app.admin_helpers import add_submission, flask_command
from tests.app.test_patient_flow import fill_every_step, start, submit
from tests.conftest import Browser

ONCALL = "oncall@clinic.example"
CANARY = {"full_name": "Canary Patientname", "email": "canary.patient@example.org", "date_of_birth": "1979-06-23",
          "phone": "01632 960 123"}
URGENT = {**CANARY, "phq9_9": 1, "self_harm_intent": "yes", "self_harm_recent_attempt": "no",
          "pain_description": "Canary pain words"}


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def messages(self) -> list[Message]:
        return [message_from_bytes(envelope.content) for envelope in self.envelopes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def configure(app: Flask, port: int, **extra: Any) -> None:
    app.config["SCREENING"].update(ONCALL_EMAIL=ONCALL, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                                   MAIL_FROM="screening@clinic.example", BASE_URL="https://screening.clinic.example/",
                                   **extra)


def submit_as_patient(browser: Browser, **changes: Any) -> None:
    start(browser)
    fill_every_step(browser, answers(**changes))
    submit(browser)
    browser.get("/questionnaire/confirmation")
    assert browser.status == 200


def outbox(app: Flask) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def only_reference(app: Flask) -> str:
    with app.app_context():
        return db.session.scalars(select(Submission.reference)).one()


def test_urgent_submission_sends_one_email_without_patient_data(app: Flask, browser: Browser,
                                                                 inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port)
    submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    assert len(handler.envelopes) == 1
    envelope, message = handler.envelopes[0], handler.messages[0]
    assert envelope.rcpt_tos == [ONCALL]
    assert message["Subject"] == "Urgent pre-screening submission waiting"
    body = message.get_payload(decode=True).decode()
    assert body.strip() == ("An urgent submission is waiting for review: "
                            f"https://screening.clinic.example/staff/submissions/{reference}")
    raw = envelope.content.decode("utf-8", "replace")
    for value in (*CANARY.values(), "Canary", "1979", "Canary pain words", "self_harm", "phq9"):
        assert value not in raw
    [notification] = outbox(app)
    assert (notification.kind, notification.reference, notification.attempts) == ("urgent_submission", reference, 1)
    assert notification.sent_at is not None and notification.last_error is None


def test_urgent_submission_with_smtp_down_is_kept_and_sent_by_a_later_retry(app: Flask, browser: Browser,
                                                                           inbox: tuple[Inbox, int],
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    handler, port = inbox
    configure(app, free_port())  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="screening.notifications"):
        submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    assert reference in browser.page  # the patient got their confirmation
    [pending] = outbox(app)
    assert (pending.reference, pending.attempts, pending.sent_at) == (reference, 1, None)
    assert pending.last_error == "ConnectionRefusedError"
    assert f"urgent_submission for {reference}" in caplog.text
    assert handler.envelopes == []

    configure(app, port)  # the mail server is back: cron's retry sends it
    result = flask_command(app, "send-notifications")
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0; 0 still waiting." in result.output
    assert len(handler.envelopes) == 1
    [sent] = outbox(app)
    assert sent.attempts == 2 and sent.sent_at is not None and sent.last_error is None
    assert flask_command(app, "send-notifications").output.startswith("Sent 0")
    assert len(handler.envelopes) == 1  # never sent twice


def test_non_urgent_submission_records_and_sends_nothing(app: Flask, browser: Browser,
                                                         inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port)
    submit_as_patient(browser, pregnancy_status="breastfeeding")  # a "discuss" flag, not urgent
    with app.app_context():
        assert db.session.scalars(select(Submission.priority)).one() == 2
    assert outbox(app) == []
    assert handler.envelopes == []


def test_without_an_oncall_address_the_notification_is_kept_unsent_with_one_log_line(
        app: Flask, inbox: tuple[Inbox, int], caplog: pytest.LogCaptureFixture) -> None:
    handler, _port = inbox
    reference = add_submission(app, **URGENT)
    with caplog.at_level(logging.INFO, logger="screening.notifications"), app.app_context():
        outcome = notifications.send_pending()
    assert outcome == notifications.Outcome(sent=0, failed=0, pending=1)
    assert [record.getMessage() for record in caplog.records] == [
        "SCREENING_ONCALL_EMAIL is not set: 1 notification(s) recorded but not sent"]
    [kept] = outbox(app)
    assert (kept.reference, kept.attempts, kept.sent_at) == (reference, 0, None)
    result = flask_command(app, "send-notifications")
    assert "SCREENING_ONCALL_EMAIL is not set: 1 notification(s) waiting, none sent." in result.output
    assert handler.envelopes == []


def test_a_failing_notification_step_never_affects_the_patient(app: Flask, browser: Browser,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError(CANARY["full_name"])  # even a message with patient data must not reach the log

    monkeypatch.setattr(notifications, "send_pending", broken)
    submit_as_patient(browser, **URGENT)
    reference = only_reference(app)
    assert reference in browser.page
    assert [row.reference for row in outbox(app)] == [reference]  # the outbox keeps it for cron
    assert f"notifications for {reference} not sent after submit" in caplog.text
    assert "Canary" not in caplog.text


def test_failed_sign_in_to_the_mail_server_records_no_secret(app: Flask, inbox: tuple[Inbox, int],
                                                             caplog: pytest.LogCaptureFixture) -> None:
    handler, port = inbox  # this server offers no AUTH, so login fails
    configure(app, port, SMTP_USERNAME="mailer", SMTP_PASSWORD="s3cret-smtp-password")
    add_submission(app, **URGENT)
    with app.app_context():
        outcome = notifications.send_pending()
    assert (outcome.sent, outcome.failed, outcome.pending) == (0, 1, 1)
    [pending] = outbox(app)
    assert pending.last_error == "SMTPNotSupportedError"
    assert "s3cret" not in caplog.text and "mailer" not in caplog.text
    result = flask_command(app, "send-notifications")
    assert result.exit_code == 1 and "failed 1" in result.output
    assert handler.envelopes == []


def test_a_failed_run_stops_at_the_first_failure_and_leaves_the_rest(app: Flask) -> None:
    configure(app, free_port())
    for _ in range(3):
        add_submission(app, **URGENT)
    with app.app_context():
        outcome = notifications.send_pending()
    assert (outcome.sent, outcome.failed, outcome.pending) == (0, 1, 3)
    assert [row.attempts for row in outbox(app)] == [1, 0, 0]


def test_send_pending_sends_the_backlog_oldest_first_up_to_the_limit(app: Flask, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    references = [add_submission(app, **URGENT) for _ in range(3)]
    configure(app, port)
    with app.app_context():
        assert notifications.send_pending(limit=2) == notifications.Outcome(sent=2, failed=0, pending=1)
        assert notifications.send_pending(reference=references[2]).sent == 1
    bodies = [message.get_payload(decode=True).decode() for message in handler.messages]
    assert [reference for reference in references if any(reference in body for body in bodies)] == references
    assert all(row.sent_at is not None for row in outbox(app))


def test_a_try_another_worker_has_claimed_is_skipped(app: Flask, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    configure(app, port)
    add_submission(app, **URGENT)
    with app.app_context():
        notification = db.session.scalars(select(Notification)).one()
        assert notification.attempts == 0
        # another worker claims this try after we read the row
        db.session.execute(update(Notification).values(attempts=1).execution_options(synchronize_session=False))
        assert notifications._claim(notification) is False
    assert handler.envelopes == []


def test_submit_adds_the_outbox_row_in_the_submit_transaction(app: Flask) -> None:
    reference = add_submission(app, **URGENT)
    other = add_submission(app)
    assert [(row.kind, row.reference) for row in outbox(app)] == [("urgent_submission", reference)]
    assert other != reference


# --- settings ---------------------------------------------------------------------------------------
PRODUCTION = {"SCREENING_ENV": "production", "SCREENING_SECRET_KEY": "k" * 40, "SCREENING_CLINIC_NAME": "Clinic",
              "SCREENING_CLINIC_PHONE": "01632 960 000", "SCREENING_CLINIC_EMAIL": "clinic@example.org",
              "SCREENING_REPLY_TIME": "within 2 days"}
MAIL = {"SCREENING_ONCALL_EMAIL": ONCALL, "SCREENING_MAIL_FROM": "screening@clinic.example",
        "SCREENING_BASE_URL": "https://screening.clinic.example"}


def test_mail_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = config.build(tmp_path, {**MAIL, "SCREENING_SMTP_PORT": "587", "SCREENING_SMTP_STARTTLS": "true",
                                       "SCREENING_RETENTION_DAYS": "2920"}, None)
    assert (settings["SMTP_PORT"], settings["SMTP_STARTTLS"], settings["RETENTION_DAYS"]) == (587, True, 2920)
    assert (settings["SMTP_HOST"], settings["ONCALL_EMAIL"]) == ("127.0.0.1", ONCALL)
    defaults = config.build(tmp_path, {}, None)
    assert (defaults["SMTP_PORT"], defaults["SMTP_STARTTLS"], defaults["RETENTION_DAYS"]) == (25, False, None)


@pytest.mark.parametrize("environ", [
    {"SCREENING_SMTP_PORT": "70000"}, {"SCREENING_SMTP_STARTTLS": "maybe"}, {"SCREENING_RETENTION_DAYS": "0"},
    {**PRODUCTION, "SCREENING_ONCALL_EMAIL": ONCALL},
    {**PRODUCTION, **MAIL, "SCREENING_BASE_URL": "http://screening.clinic.example"},
    {**PRODUCTION, **MAIL, "SCREENING_SMTP_HOST": "mail.example.org", "SCREENING_SMTP_USERNAME": "u",
     "SCREENING_SMTP_PASSWORD": "p"},
    {**PRODUCTION, **MAIL, "SCREENING_SMTP_USERNAME": "u"},
])
def test_unusable_mail_settings_are_refused(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(config.ConfigError):
        config.build(tmp_path, environ, None)


@pytest.mark.parametrize("environ", [
    PRODUCTION,
    {**PRODUCTION, **MAIL},
    {**PRODUCTION, **MAIL, "SCREENING_SMTP_HOST": "mail.example.org", "SCREENING_SMTP_USERNAME": "u",
     "SCREENING_SMTP_PASSWORD": "p", "SCREENING_SMTP_STARTTLS": "1"},
])
def test_usable_production_mail_settings_are_accepted(tmp_path: Path, environ: dict[str, str]) -> None:
    assert config.build(tmp_path, environ, None)["ENV"] == "production"
