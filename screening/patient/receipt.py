"""The email receipt after sending (``SCREENING_EMAIL_RECEIPT``, off by default; for a clinic that wants one): one
plain-text email to the address the patient gave, with the reference, what happens next (the clinic's reply time, or
its urgent promise when the submission is urgent, never why), how to contact the clinic, and the sentence "This email
does not contain your answers". Never an answer, the name of a medicine (ketamine included: an email can be read
by others) or a condition, a score or a flag.

``compose`` is pure (it words the email from settings and the reference). ``send_after_submit`` runs after the submit
has committed: it sends at most once per submission, whatever the replays and double clicks (a row in the
``notification`` table, unique per kind, reference and channel, is claimed first, already marked sent so the staff
alert worker never touches it), and never raises: a failure is logged without the address and audited, and the
submission and the confirmation page carry on as if nothing happened.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from screening import clock, rules
from screening.audit import audit
from screening.extensions import db
from screening.models import Notification, Submission
from screening.patient import mail
from screening.security import describe_without_data

log = logging.getLogger(__name__)

#: The ``notification`` row that claims a submission's receipt (``kind``, ``channel``): one per submission.
CLAIM_KIND = "patient_receipt"
CLAIM_CHANNEL = "patient_email"
NO_ANSWERS = "This email does not contain your answers, to keep them private."


@dataclass(frozen=True, slots=True)
class Receipt:
    subject: str
    text: str


def compose(
    *,
    reference: str,
    clinic_name: str,
    reply_time: str,
    urgent_reply_time: str | None,
    clinic_phone: str = "",
    clinic_email: str = "",
    emergency_number: str = "",
) -> Receipt:
    """The receipt's subject and text. ``urgent_reply_time`` is given only for an urgent submission: it replaces the
    routine ``reply_time``, and the email then says the clinic is not an emergency service (never why it is urgent)."""
    lines = [
        "Hello,",
        "",
        f"Thank you. {clinic_name} has received the form you sent.",
        "",
        f"Your reference is {reference}",
        "Please quote it if you contact us.",
        "",
        "What happens next",
        "",
        *_next_steps(reply_time, urgent_reply_time, emergency_number),
        "",
        "A clinician will talk your answers through with you before anything is decided.",
        "",
        "Contact us",
        "",
        clinic_name,
        *([f"Phone: {clinic_phone}"] if clinic_phone else []),
        *([f"Email: {clinic_email}"] if clinic_email else []),
        "",
        NO_ANSWERS,
        "If you did not fill in a form for us, you can ignore this email.",
    ]
    return Receipt(subject=f"We have received your form – {clinic_name}", text="\n".join(lines) + "\n")


def _next_steps(reply_time: str, urgent_reply_time: str | None, emergency_number: str) -> list[str]:
    if urgent_reply_time:
        steps = ["A member of our clinical team will read your answers.", urgent_reply_time]
        if emergency_number:
            steps.append(f"We are not an emergency service. In an emergency, call {emergency_number}.")
        return steps
    return [
        f"A member of our clinical team will read your answers and contact you {reply_time} to talk about them "
        "and, if it could suit you, to arrange a consultation."
    ]


def is_urgent(submission: Submission) -> bool:
    """Whether any stored flag of the submission is urgent (as the confirmation page decides its promise)."""
    return any(flag.severity == rules.Severity.URGENT.value for flag in submission.flags)


def for_submission(submission: Submission, settings: Mapping[str, Any]) -> Receipt:
    urgent = is_urgent(submission)
    return compose(
        reference=submission.reference,
        clinic_name=str(settings["CLINIC_NAME"]),
        reply_time=str(settings["REPLY_TIME"]),
        urgent_reply_time=str(settings["URGENT_REPLY_TIME"]) if urgent else None,
        clinic_phone=str(settings["CLINIC_PHONE"] or ""),
        clinic_email=str(settings["CLINIC_EMAIL"] or ""),
        emergency_number=str(settings.get("EMERGENCY_NUMBER") or ""),
    )


def send_after_submit(submission: Submission, settings: Mapping[str, Any]) -> bool:
    """Send the receipt of a just-committed submission, when the clinic switched receipts on and the patient gave an
    email address, once. True when sent now. Never raises: the patient's response must not depend on it."""
    if not settings["EMAIL_RECEIPT"] or not submission.email:
        return False
    try:
        if not _claim(submission.reference):
            return False  # a replay, a double click, or another request sent (or tried) it already
        receipt = for_submission(submission, settings)
        sent = mail.send(submission.email, receipt.subject, receipt.text)
        audit("submission.receipt_sent" if sent else "submission.receipt_failed", reference=submission.reference)
        db.session.commit()
        return sent
    except Exception as error:  # the submission is safe whatever happens here
        log.error("receipt for %s not sent:\n%s", submission.reference, describe_without_data(error))
        with contextlib.suppress(Exception):
            db.session.rollback()
        return False


def _claim(reference: str) -> bool:
    """Claim the one receipt of ``reference``: True for the first caller only (the table's unique constraint)."""
    now = clock.now()
    db.session.add(
        Notification(
            kind=CLAIM_KIND,
            reference=reference,
            channel=CLAIM_CHANNEL,
            created_at=now,
            next_attempt_at=now,
            sent_at=now,  # never an outbox entry: the staff alert worker sends only rows not yet sent
            attempts=1,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
