"""Staff notifications: the outbox (``Notification`` rows, written by ``services.submit`` in the submit
transaction) and sending them by email with ``smtplib``, retried until sent. Imports Flask's app config,
the models and the standard library.

A message carries no patient data: a fixed subject and one line with the staff link, which names the
submission by its reference (a label, not patient data). Each try is claimed first with a conditional
UPDATE on ``attempts``, so two workers never send the same try twice; ``attempts`` therefore counts every
try, the successful one included. A failed try ends the run (the rest would fail the same way and wait for the
next run), so a request or a cron run waits at most one SMTP timeout (10 s), not one per message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from screening import clock
from screening.extensions import db
from screening.models import Notification

log = logging.getLogger(__name__)

URGENT_SUBMISSION = "urgent_submission"
SUBJECT = "Urgent pre-screening submission waiting"
SMTP_TIMEOUT_SECONDS = 10
_ERROR_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run did: messages sent, tries that failed, and messages still waiting afterwards."""

    sent: int = 0
    failed: int = 0
    pending: int = 0


def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def staff_link(reference: str) -> str:
    """The submission's staff page, absolute (``SCREENING_BASE_URL``); the reference is not patient data."""
    base = (_settings()["BASE_URL"] or "http://localhost:5000").rstrip("/")
    return f"{base}/staff/submissions/{reference}"


def compose(notification: Notification) -> EmailMessage:
    """The email for ``notification``: a fixed subject and the staff link, nothing else."""
    settings = _settings()
    sender = settings["MAIL_FROM"] or "screening@localhost"
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = sender
    message["To"] = settings["ONCALL_EMAIL"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(f"An urgent submission is waiting for review: {staff_link(notification.reference)}\n")
    return message


def _connect() -> smtplib.SMTP:
    settings = _settings()
    smtp = smtplib.SMTP(settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if settings["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["SMTP_USERNAME"]:
            smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def describe(error: BaseException) -> str:
    """A short, secret-free description of a failed send: the exception's type and any SMTP reply code,
    never its message (a server may echo the user name or the address back)."""
    code = getattr(error, "smtp_code", None)
    text = type(error).__name__ + (f" (SMTP {code})" if isinstance(code, int) else "")
    return text[:_ERROR_LENGTH]


def _claim(notification: Notification) -> bool:
    """Take this try: True when no other worker took it first (commits)."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification.id, Notification.sent_at.is_(None),
               Notification.attempts == notification.attempts)
        .values(attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def _pending(limit: int, reference: str | None) -> list[Notification]:
    query = select(Notification).where(Notification.sent_at.is_(None))
    if reference is not None:
        query = query.where(Notification.reference == reference)
    return list(db.session.scalars(query.order_by(Notification.created_at, Notification.id).limit(limit)))


def _count_pending() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.sent_at.is_(None))) or 0)


def send_pending(*, limit: int = 20, reference: str | None = None) -> Outcome:
    """Send up to ``limit`` unsent notifications, oldest first (only ``reference``'s when given: the submit
    view sends just the one it made), to ``SCREENING_ONCALL_EMAIL``. A sent one gets ``sent_at``; a failed
    try keeps it unsent with ``attempts`` raised and a short ``last_error``, logged as a warning, for the
    next call (``flask send-notifications`` from cron). Without an on-call address nothing is sent: the
    outbox keeps the rows and one log line says so. Commits."""
    if not _settings()["ONCALL_EMAIL"]:
        waiting = _count_pending()
        if waiting:
            log.info("SCREENING_ONCALL_EMAIL is not set: %d notification(s) recorded but not sent", waiting)
        return Outcome(pending=waiting)
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        for notification in _pending(limit, reference):
            if not _claim(notification):
                continue  # another worker took this try
            try:
                smtp = smtp or _connect()
                smtp.send_message(compose(notification))
            except Exception as error:  # any failure is recorded and retried, never raised
                failed += 1
                _failed(notification, error)
                break  # the same server and address would fail the rest too: they wait for the next run
            notification.sent_at = clock.now()
            notification.last_error = None
            db.session.commit()
            sent += 1
    finally:
        if smtp is not None:
            _quit(smtp)
    return Outcome(sent=sent, failed=failed, pending=_count_pending())


def _failed(notification: Notification, error: BaseException) -> None:
    db.session.refresh(notification)
    notification.last_error = describe(error)
    db.session.commit()
    log.warning("notification %d (%s for %s) not sent, try %d: %s", notification.id, notification.kind,
                notification.reference, notification.attempts, notification.last_error)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
