"""A hung receiver never holds a person's request: the attempt made at once after the patient's submit or a staff
status change waits ``notifications.INLINE_TIMEOUT_SECONDS`` per channel (patched small here to keep the tests fast),
is recorded as a failed try with back-off, and the worker (with the full timeouts) delivers it once afterwards. Real
peers on 127.0.0.1: the alert helpers' webhook receiver (told to hang), aiosmtpd, and a socket that never greets."""

from __future__ import annotations

import smtplib
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import notifications, submission_events
from screening.extensions import db, utcnow
from screening.models import Submission, SubmissionStatus
from tests.answer_sets import answers
from tests.app.admin_helpers import add_submission, flask_command
from tests.app.alert_helpers import SECRET, URGENT, Hook, Inbox, configure, outbox, references
from tests.app.auth import install_clock, make_staff, sign_in
from tests.app.staff_helpers import url
from tests.app.test_patient_flow import fill_every_step, start, submit
from tests.app.test_staff_status import post_status
from tests.app.test_submission_webhook import event_rows, events_on, move
from tests.conftest import Browser

SHORT = 0.5  # the inline timeout in these tests
HANG = SHORT + 3  # how long the hung receiver holds a request: far longer than the inline timeout
PROMPT = SHORT + 1.5  # the longest the person may wait on one hung channel


@pytest.fixture
def short_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notifications, "INLINE_TIMEOUT_SECONDS", SHORT)


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A port that takes connections (the kernel's backlog) and never sends the SMTP greeting: a hung mail server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def timed(action: Any, *args: Any) -> float:
    began = time.monotonic()
    action(*args)
    return time.monotonic() - began


def test_the_inline_attempt_is_short_and_the_worker_keeps_the_full_timeouts() -> None:
    assert 2 <= notifications.INLINE_TIMEOUT_SECONDS <= 3
    assert notifications.INLINE_TIMEOUT_SECONDS < min(
        notifications.SMTP_TIMEOUT_SECONDS, notifications.WEBHOOK_TIMEOUT_SECONDS
    )
    assert notifications.LEASE.total_seconds() > notifications.SMTP_TIMEOUT_SECONDS  # a try ends before its lease


def test_the_inline_paths_and_the_worker_pass_different_timeouts(
    app: Flask, hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _receiver, address = hook
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    seen: list[tuple[str, float]] = []

    def urlopen(request: Any, timeout: float) -> Any:
        seen.append((request.get_header("User-agent"), timeout))
        raise urllib.error.URLError("refused")

    def smtp(host: str, port: int, timeout: float) -> Any:
        seen.append(("smtp", timeout))
        raise ConnectionRefusedError

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)  # the names both senders look up at call time
    monkeypatch.setattr(smtplib, "SMTP", smtp)
    configure(app, 25, ALERT_WEBHOOK_URL=address, ALERT_WEBHOOK_SECRET=SECRET)
    events_on(app, address)
    reference = add_submission(app, **URGENT)
    with app.app_context():  # what the patient's submit does after its commit
        notifications.send_after_submit(reference)
    inline = notifications.INLINE_TIMEOUT_SECONDS
    assert sorted(seen) == [("screening-alerts", inline), ("screening-events", inline), ("smtp", inline)]

    seen.clear()
    move(app, reference, SubmissionStatus.IN_REVIEW, make_staff(app, "clinician").id)  # a staff status change
    assert seen == [("screening-events", inline)]  # the only thing due: the others wait out their back-off

    seen.clear()
    now.advance(minutes=5)
    result = flask_command(app, "worker", "--once")
    assert "failed 4" in result.output
    full = float(notifications.WEBHOOK_TIMEOUT_SECONDS)
    assert sorted(seen) == [
        ("screening-alerts", full),
        ("screening-events", full),
        ("smtp", notifications.SMTP_TIMEOUT_SECONDS),
    ]


def test_a_hung_event_receiver_holds_a_status_change_only_for_the_inline_timeout(
    app: Flask, browser: Browser, hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch, short_inline: None
) -> None:
    receiver, address = hook
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    events_on(app, address)
    reference = add_submission(app)
    with app.app_context():
        assert notifications.send_pending().sent == 1  # submission.created, while the receiver was well
    sign_in(browser, app, "clinician")
    browser.get(url(reference))
    receiver.hang = HANG
    elapsed = timed(post_status, browser, reference, "in_review")
    assert browser.status == 302
    assert elapsed < PROMPT, elapsed
    assert receiver.hung == 1  # it was tried, and the receiver held it
    with app.app_context():
        assert db.session.scalar(select(Submission.status).where(Submission.reference == reference)) == "in_review"
    pending = event_rows(app)[-1]
    assert (pending.kind, pending.attempts, pending.sent_at) == (submission_events.STATUS_CHANGED, 1, None)
    assert pending.last_error == "TimeoutError"
    assert pending.next_attempt_at == now.current + notifications.backoff(1)

    receiver.hang = 0  # well again
    now.advance(seconds=31)
    assert "sent 1, failed 0; 0 still waiting" in flask_command(app, "worker", "--once").output
    now.advance(minutes=5)
    assert "sent 0" in flask_command(app, "worker", "--once").output
    changed = [body for body in receiver.bodies if body["event"] == submission_events.STATUS_CHANGED]
    assert pending.payload is not None
    assert [(body["status"], body["event_id"]) for body in changed] == [("in_review", pending.payload["event_id"])]
    delivered = event_rows(app)[-1]
    assert delivered.attempts == 2 and delivered.sent_at is not None and delivered.last_error is None


def test_a_hung_alert_webhook_holds_an_urgent_submit_only_for_the_inline_timeout(
    app: Flask,
    browser: Browser,
    hook: tuple[Hook, str],
    inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    short_inline: None,
) -> None:
    receiver, address = hook
    handler, port = inbox
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    configure(app, port, ALERT_WEBHOOK_URL=address, ALERT_WEBHOOK_SECRET=SECRET)
    receiver.hang = HANG
    start(browser)
    fill_every_step(browser, answers(**URGENT))
    elapsed = timed(submit, browser)  # the check page and the submit, which lands on the confirmation
    assert elapsed < PROMPT, elapsed
    [reference] = references(app)
    assert reference in browser.get("/questionnaire/confirmation")
    assert receiver.hung == 1
    assert len(handler.envelopes) == 1  # the healthy channel went at once all the same
    email, hooked = outbox(app)
    assert (email.channel, email.sent_at is not None) == ("email", True)
    assert (hooked.channel, hooked.attempts, hooked.sent_at, hooked.last_error) == ("webhook", 1, None, "TimeoutError")

    receiver.hang = 0
    now.advance(seconds=31)
    assert "sent 1, failed 0; 0 still waiting" in flask_command(app, "worker", "--once").output
    now.advance(minutes=5)
    assert "sent 0" in flask_command(app, "worker", "--once").output
    assert [(body["alert_id"], body["reference"]) for body in receiver.bodies] == [(hooked.id, reference)]
    assert len(handler.envelopes) == 1
    assert all(row.sent_at is not None for row in outbox(app))


def test_a_hung_mail_server_holds_an_urgent_submit_only_for_the_inline_timeout(
    app: Flask,
    browser: Browser,
    inbox: tuple[Inbox, int],
    silent_smtp: int,
    monkeypatch: pytest.MonkeyPatch,
    short_inline: None,
) -> None:
    handler, port = inbox
    now = install_clock(monkeypatch, utcnow() + timedelta(seconds=1))
    configure(app, silent_smtp)
    start(browser)
    fill_every_step(browser, answers(**URGENT))
    elapsed = timed(submit, browser)
    assert elapsed < PROMPT, elapsed
    [reference] = references(app)
    assert reference in browser.get("/questionnaire/confirmation")
    [pending] = outbox(app)
    assert (pending.attempts, pending.sent_at) == (1, None)
    assert pending.last_error == "SMTPServerDisconnected"  # smtplib's word for a greeting that timed out

    configure(app, port)  # the mail server answers again
    now.advance(seconds=31)
    assert "sent 1, failed 0; 0 still waiting" in flask_command(app, "worker", "--once").output
    assert len(handler.envelopes) == 1
    assert reference in handler.bodies()[0]
