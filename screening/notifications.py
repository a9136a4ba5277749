"""Urgent alerts to staff: the outbox (``Notification`` rows) and their delivery by email (``smtplib``), by a signed
webhook (``urllib``), or, in development, to a file, retried with back-off until sent. Imports Flask's app config,
the models and the standard library.

An alert carries no patient data: the event, the submission's reference (a label, not patient data), its severity
and the staff link. Rows are written in the submit transaction (``enqueue``, one per configured channel) or by the
worker for an escalation (``escalation``), and sent right after the commit (``send_pending``) and by the worker.

Timeouts: the attempt made at once inside a person's request (``send_after_submit``: the patient's submit, a staff
status change) waits ``INLINE_TIMEOUT_SECONDS`` per channel; the worker and ``flask send-test-alert`` wait the full
``SMTP_TIMEOUT_SECONDS`` / ``WEBHOOK_TIMEOUT_SECONDS``. An inline try that times out is an ordinary failed try:
recorded with back-off and retried by the worker.

Claiming: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers and app servers take disjoint
rows, then a compare-and-set UPDATE on ``attempts`` (which alone is enough on SQLite, where writes are serialised
by its single-writer lock). A claim moves ``next_attempt_at`` forward by a lease, so a worker that dies while
sending leaves the alert to be retried after the lease; a failed try sets it by back-off (30 s, doubling, at
most 15 minutes) and never gives up. ``attempts`` counts every try, the successful one included.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from screening import clock
from screening.extensions import db
from screening.models import Notification
from screening.security import describe_without_data

log = logging.getLogger(__name__)

URGENT_SUBMISSION = "urgent_submission"
URGENT_ESCALATION = "urgent_escalation"
#: Many failed staff sign-ins (``staff.sign_in_alerts``): its reference is the UTC hour, "YYYYMMDDHH", so at most one
#: alert an hour whatever the number of accounts or addresses; the audit log says which.
SIGN_IN_FAILURES = "sign_in_failures"
EMAIL, WEBHOOK, FILE = "email", "webhook", "file"
SUBMISSION_WEBHOOK = "submission_webhook"  # not an alert: events for an integration engine (submission_events)
SUBJECTS = {
    URGENT_SUBMISSION: "Urgent pre-screening submission waiting",
    URGENT_ESCALATION: "ESCALATION: urgent pre-screening submission not picked up",
    SIGN_IN_FAILURES: "Many failed staff sign-ins to pre-screening",
}
SMTP_TIMEOUT_SECONDS = 10
WEBHOOK_TIMEOUT_SECONDS = 10
#: The timeout, per channel, of the attempt made at once in a person's request (``send_after_submit``). Short because
#: a person waits on it: with the full timeouts a hung receiver would hold the patient's submit or the staff
#: member's status change for 10 s per channel. A slow but working receiver loses nothing: the try is recorded as
#: failed (back-off 30 s) and the worker, with the full timeouts, sends it. A receiver that got the request but
#: answered too late gets it again: receivers dedupe on ``alert_id`` / ``event_id`` (an email has no such key).
INLINE_TIMEOUT_SECONDS = 3.0
LEASE = timedelta(minutes=2)  # longer than any one try can take (the timeouts above)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=15)
SIGNATURE_HEADER = "X-Screening-Signature"
_ERROR_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run did: alerts sent, tries that failed, and alerts still waiting afterwards."""

    sent: int = 0
    failed: int = 0
    pending: int = 0


class DeliveryError(Exception):
    """A try that reached the other side and was refused (e.g. a webhook answering 500)."""


def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def channels(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The delivery channels configured for urgent alerts (none when the clinic has switched them off)."""
    if not settings["URGENT_ALERTS"]:
        return ()
    configured = (
        (EMAIL, settings["ONCALL_EMAIL"] or settings["ESCALATION_EMAIL"]),
        (WEBHOOK, settings["ALERT_WEBHOOK_URL"]),
        (FILE, settings["ALERT_FILE"]),
    )
    return tuple(channel for channel, setting in configured if setting)


def enqueue(kind: str, reference: str, *, now: datetime | None = None) -> list[Notification]:
    """Add an alert to the current transaction, one row per configured channel (the caller commits). An escalation
    by email goes to ``SCREENING_ESCALATION_EMAIL`` when set; an urgent submission by email only to the on-call
    address (so with only an escalation address, the email channel carries escalations only)."""
    settings = _settings()
    now = now or clock.now()
    rows = []
    for channel in channels(settings):
        if channel == EMAIL and kind != URGENT_ESCALATION and not settings["ONCALL_EMAIL"]:
            continue
        rows.append(Notification(kind=kind, reference=reference, channel=channel, created_at=now, next_attempt_at=now))
    db.session.add_all(rows)
    return rows


def staff_link(reference: str) -> str:
    """The submission's staff page, absolute (``SCREENING_BASE_URL``); the reference is not patient data."""
    base = (_settings()["BASE_URL"] or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/staff/submissions/{reference}"


def link(notification: Notification) -> str:
    """Where the alert leads: the submission's staff page, or the audit log for sign-in failures."""
    if notification.kind == SIGN_IN_FAILURES:
        return (_settings()["BASE_URL"] or "http://127.0.0.1:5000").rstrip("/") + "/staff/admin/audit?action=staff.*"
    return staff_link(notification.reference)


def _text(notification: Notification) -> str:
    if notification.kind == SIGN_IN_FAILURES:
        hour = notification.reference
        return (
            f"Staff sign-ins failed many times, for one account or from one address, in the hour from "
            f"{hour[:4]}-{hour[4:6]}-{hour[6:8]} {hour[8:10]}:00 UTC. Someone may be guessing passwords. "
            f"Check the audit log: {link(notification)}"
        )
    if notification.kind == URGENT_ESCALATION:
        return (
            f"An urgent submission has not been picked up in time. Please call the patient today: "
            f"{staff_link(notification.reference)}"
        )
    return f"An urgent submission is waiting for review: {staff_link(notification.reference)}"


# --- email -------------------------------------------------------------------------------------------------------
def compose(notification: Notification) -> EmailMessage:
    """The email for ``notification``: a fixed subject and the staff link, nothing else."""
    settings = _settings()
    sender = settings["MAIL_FROM"] or "screening@localhost"
    to = settings["ONCALL_EMAIL"]
    if notification.kind == URGENT_ESCALATION and settings["ESCALATION_EMAIL"]:
        to = settings["ESCALATION_EMAIL"]
    message = EmailMessage()
    message["Subject"] = SUBJECTS.get(notification.kind, SUBJECTS[URGENT_SUBMISSION])
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(_text(notification) + "\n")
    return message


def connect_smtp(timeout: float | None = None) -> smtplib.SMTP:
    """A connection to the clinic's mail server, signed in; ``timeout`` (seconds, each network step) defaults to
    ``SMTP_TIMEOUT_SECONDS``."""
    settings = _settings()
    smtp = smtplib.SMTP(
        settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=SMTP_TIMEOUT_SECONDS if timeout is None else timeout
    )
    try:
        if settings["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["SMTP_USERNAME"]:
            smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def quit_smtp(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


# --- webhook -----------------------------------------------------------------------------------------------------
def webhook_body(notification: Notification) -> bytes:
    """The webhook's JSON: the event, the reference, the severity and the staff link, plus a ``text`` line that
    Slack and Teams incoming hooks display. Never an answer, a name or a contact detail."""
    return json.dumps(
        {
            "event": notification.kind,
            "alert_id": notification.id,
            "reference": notification.reference,
            "severity": "warning" if notification.kind == SIGN_IN_FAILURES else "urgent",
            "link": link(notification),
            "text": f"{SUBJECTS[notification.kind]} ({notification.reference}): {link(notification)}",
        },
        sort_keys=True,
    ).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``: the receiver recomputes it with the shared secret
    and refuses a stale timestamp (docs/deploy.md shows how)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _post_webhook(notification: Notification, timeout: float | None = None) -> None:
    settings = _settings()
    body = webhook_body(notification)
    request = urllib.request.Request(  # noqa: S310 (the URL is the setting, checked at start: http(s) only)
        settings["ALERT_WEBHOOK_URL"],
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "screening-alerts",
            SIGNATURE_HEADER: sign(settings["ALERT_WEBHOOK_SECRET"], int(clock.now().timestamp()), body),
        },
    )
    seconds = WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with urllib.request.urlopen(request, timeout=seconds) as response:  # noqa: S310 (as above) # nosec B310
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        raise DeliveryError(f"HTTP {error.code}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


# --- file (development) --------------------------------------------------------------------------------------------
def _write_file(notification: Notification) -> None:
    path = Path(_settings()["ALERT_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    line = f"{clock.now().isoformat(timespec='seconds')} {SUBJECTS[notification.kind]}: {_text(notification)}\n"
    with path.open("a", encoding="utf-8") as file:
        file.write(line)
    print(f"[alert] {line}", end="", flush=True)  # noqa: T201 (development: the console shows the alert too)


# --- claiming and sending ------------------------------------------------------------------------------------------
def describe(error: BaseException) -> str:
    """A short, secret-free description of a failed send: the exception's type and any SMTP reply code or HTTP
    status, never its message (a server may echo the user name, the address or the URL back)."""
    if isinstance(error, DeliveryError):
        return f"DeliveryError ({error.args[0]})"[:_ERROR_LENGTH]
    code = getattr(error, "smtp_code", None)
    text = type(error).__name__ + (f" (SMTP {code})" if isinstance(code, int) else "")
    return text[:_ERROR_LENGTH]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 30 s, 1, 2, 4, 8 minutes, then every 15 minutes."""
    delay: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 10)
    return min(delay, LONGEST_RETRY)


def _due(now: datetime, limit: int, reference: str | None) -> Any:
    query = select(Notification.id, Notification.attempts).where(
        Notification.sent_at.is_(None), Notification.next_attempt_at <= now
    )
    if reference is not None:
        query = query.where(Notification.reference == reference)
    return query.order_by(Notification.next_attempt_at, Notification.id).limit(limit).with_for_update(skip_locked=True)


def claim(*, limit: int = 20, reference: str | None = None, now: datetime | None = None) -> list[Notification]:
    """Take up to ``limit`` alerts that are due, oldest first, for this worker alone. Commits."""
    now = now or clock.now()
    taken = []
    for row_id, attempts in db.session.execute(_due(now, limit, reference)).all():
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.sent_at.is_(None), Notification.attempts == attempts)
            .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            taken.append(row_id)
    db.session.commit()
    if not taken:
        return []
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.id.in_(taken))
            .order_by(Notification.next_attempt_at, Notification.id)
            .execution_options(populate_existing=True)
        )
    )


def unsent_count(*conditions: Any) -> int:
    """How many outbox rows are not sent yet and meet ``conditions`` (SQL expressions on ``Notification``)."""
    query = select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None), *conditions)
    return int(db.session.scalar(query) or 0)


def pending_count() -> int:
    return unsent_count()


def _deliver(
    notification: Notification, smtp: smtplib.SMTP | None, timeout: float | None = None
) -> smtplib.SMTP | None:
    """Send one alert on its channel, waiting at most ``timeout`` seconds per network step (None: the channel's full
    timeout); returns the SMTP connection to reuse for the next email (or None)."""
    if notification.channel == EMAIL:
        smtp = smtp or connect_smtp(timeout)
        smtp.send_message(compose(notification))
    elif notification.channel == WEBHOOK:
        _post_webhook(notification, timeout)
    elif notification.channel == FILE:
        _write_file(notification)
    elif notification.channel == SUBMISSION_WEBHOOK:  # submission events share the outbox (imported late: a cycle)
        from screening import submission_events

        submission_events.post(notification, timeout)
    else:
        raise DeliveryError(f"unknown channel {notification.channel!r}")
    return smtp


TEST_REFERENCE = "KT-TEST-ALERT"


def send_test() -> dict[str, str | None]:
    """Send a test alert on every configured channel (and the submission webhook's test event) now, outside the
    outbox: channel -> None when delivered, else a secret-free failure (``flask send-test-alert``, a go-live check)."""
    results: dict[str, str | None] = {}
    for channel in channels(_settings()):
        probe = Notification(id=0, kind=URGENT_SUBMISSION, reference=TEST_REFERENCE, channel=channel)
        try:
            smtp = _deliver(probe, None)
            if smtp is not None:
                quit_smtp(smtp)
            results[channel] = None
        except Exception as error:  # reported to whoever runs the check
            results[channel] = describe(error)
    from screening import submission_events  # imported late: a cycle; the integration engine's webhook, when set

    if submission_events.configured():
        results[SUBMISSION_WEBHOOK] = submission_events.send_test()
    return results


def send_pending(*, limit: int = 20, reference: str | None = None, timeout: float | None = None) -> Outcome:
    """Send up to ``limit`` alerts that are due (only ``reference``'s when given: the submit view sends just the
    ones it made). A sent alert gets ``sent_at``; a failed try keeps it with ``last_error`` (secret-free, also
    logged as a warning) and a later ``next_attempt_at``. After a channel fails once in a run, its other alerts
    wait for the next run (the same server would fail them too), so a run waits for at most one timeout per
    channel: ``timeout`` seconds when given (``send_after_submit``), else the channel's full timeout. Commits."""
    sent = failed = 0
    broken: dict[str, BaseException] = {}
    smtp: smtplib.SMTP | None = None
    try:
        for notification in claim(limit=limit, reference=reference):
            error = broken.get(notification.channel)
            if error is None:
                try:
                    smtp = _deliver(notification, smtp, timeout)
                except Exception as problem:  # any failure is recorded and retried, never raised
                    error = broken[notification.channel] = problem
            if error is None:
                notification.sent_at = clock.now()
                notification.last_error = None
                db.session.commit()
                sent += 1
            else:
                failed += 1
                _failed(notification, error)
    finally:
        if smtp is not None:
            quit_smtp(smtp)
    return Outcome(sent=sent, failed=failed, pending=pending_count())


def _failed(notification: Notification, error: BaseException) -> None:
    notification.last_error = describe(error)
    notification.next_attempt_at = clock.now() + backoff(notification.attempts)
    db.session.commit()
    log.warning(
        "alert %d (%s for %s by %s) not sent, try %d, next in %ds: %s",
        notification.id,
        notification.kind,
        notification.reference,
        notification.channel,
        notification.attempts,
        backoff(notification.attempts).total_seconds(),
        notification.last_error,
    )


OVERDUE_AFTER = timedelta(minutes=5)


def overdue(*, now: datetime | None = None) -> int:
    """How many unsent alerts are not going out: failed at least once, or due for over 5 minutes (no worker is
    running). The staff pages warn about them. Submission events are not alerts (no person waits on them)."""
    now = now or clock.now()
    return unsent_count(
        Notification.channel != SUBMISSION_WEBHOOK,
        (Notification.last_error.is_not(None)) | (Notification.next_attempt_at < now - OVERDUE_AFTER),
    )


def send_after_submit(reference: str) -> None:
    """Try to send a just-committed submission's alerts at once, waiting at most ``INLINE_TIMEOUT_SECONDS`` per
    channel (a person waits on this request). Never raises, so nothing here can touch the person's response: a
    failure is logged (without data), the session is rolled back and the worker retries."""
    try:
        send_pending(reference=reference, timeout=INLINE_TIMEOUT_SECONDS)
    except Exception as error:  # the submission is safe; the outbox keeps the notification
        log.error("notifications for %s not sent after submit:\n%s", reference, describe_without_data(error))
        with contextlib.suppress(Exception):
            db.session.rollback()
