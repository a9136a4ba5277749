"""Emails to patients: the "come back later" link and the receipt after sending. Each holds a link, a reference and
what happens next, never an answer. Sent at once over the clinic's mail server (``notifications.connect_smtp``), or
in development appended to ``SCREENING_PATIENT_MAIL_FILE``; a failure is logged without the address and reported to
the caller, which tells the patient kindly (the code on screen still works). Imports Flask's app config and the
standard library.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app

from screening import clock, notifications

log = logging.getLogger(__name__)


def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def compose(to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text email from the clinic's sender address."""
    sender = _settings()["MAIL_FROM"] or "screening@localhost"
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(text.rstrip("\n") + "\n")
    return message


def send(to: str, subject: str, text: str) -> bool:
    """Send one email now. True when the mail server (or the development file) took it; False after logging a
    secret-free description of the failure (never the address or the text)."""
    message = compose(to, subject, text)
    path = _settings()["PATIENT_MAIL_FILE"]
    try:
        if path:
            _write_file(Path(path), message)
        else:
            smtp = notifications.connect_smtp()
            try:
                smtp.send_message(message)
            finally:
                notifications.quit_smtp(smtp)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("patient email not sent: %s", notifications.describe(error))
        return False
    return True


def _write_file(path: Path, message: EmailMessage) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(f"--- {clock.now().isoformat(timespec='seconds')}\n{message.as_string()}\n")
