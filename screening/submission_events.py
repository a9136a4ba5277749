"""Submission events for an integration engine: a signed JSON POST to ``SCREENING_SUBMISSION_WEBHOOK_URL`` for each
new submission (``submission.created``) and each status change (``submission.status_changed``). Imports Flask's app
config, the models, the alert outbox (``notifications``) and the standard library.

An event is a ``Notification`` row on the ``submission_webhook`` channel, written in the transaction that makes the
submission or changes its status (so it exists if and only if that change does), and sent by the alert outbox: right
after the commit, then by ``flask worker`` with the same back-off, until the receiver answers 2xx. ``event_key``
tells a submission's events apart; ``payload`` keeps what the event says (its id, time, status and severity) so a
retry sends the same body. An event carries the reference, the status, the severity and the FHIR read URL: never a
name, a date of birth, a contact detail, an answer, a note or a staff member. Signed like the alert webhook
(``notifications.sign``) with ``SCREENING_SUBMISSION_WEBHOOK_SECRET``. Failing events are not urgent alerts: they
never raise the staff pages' "alerts are not going out" warning; administrators get a calmer notice instead.
``send_test`` sends one ``submission.test`` event (reference ``KT-TEST-ALERT``) for ``flask send-test-alert``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_login import current_user

from screening import clock, notifications
from screening.extensions import db
from screening.models import Notification, ReviewEvent, Role, Submission, SubmissionStatus
from screening.rules import Severity
from screening.security import describe_without_data

log = logging.getLogger(__name__)

CREATED = "submission.created"
STATUS_CHANGED = "submission.status_changed"
CHANNEL = notifications.SUBMISSION_WEBHOOK
EVENT_HEADER = "X-Screening-Event"
_SEVERITY_OF_RANK = {severity.rank: severity.value for severity in Severity}


def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def configured() -> bool:
    """Whether submission events are switched on (``SCREENING_SUBMISSION_WEBHOOK_URL`` is set)."""
    return bool(_settings()["SUBMISSION_WEBHOOK_URL"])


def severity(submission: Submission) -> str:
    """The submission's highest flag severity (``urgent``, ``discuss``, ``caution``, ``info``), or ``none``."""
    return _SEVERITY_OF_RANK.get(submission.priority, "none")


def fhir_url(reference: str) -> str:
    """Where an authorised client reads the submission as a FHIR Bundle (``SCREENING_BASE_URL``)."""
    base = (_settings()["BASE_URL"] or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/fhir/Bundle/{reference}"


def _enqueue(kind: str, submission: Submission, event_key: str, now: datetime) -> Notification | None:
    if not configured():
        return None
    row = Notification(
        kind=kind,
        reference=submission.reference,
        channel=CHANNEL,
        event_key=event_key,
        created_at=now,
        next_attempt_at=now,
        payload={
            "event_id": str(uuid.uuid4()),
            "occurred_at": now.isoformat(timespec="seconds"),
            "status": (submission.status or SubmissionStatus.NEW).value,  # None until the submission is flushed
            "severity": severity(submission),
        },
    )
    db.session.add(row)
    return row


def created(submission: Submission, *, now: datetime | None = None) -> Notification | None:
    """Add a ``submission.created`` event to the submit transaction (the caller commits); None when switched off."""
    return _enqueue(CREATED, submission, "created", now or clock.now())


def status_changed(submission: Submission, event: ReviewEvent) -> Notification | None:
    """Add a ``submission.status_changed`` event for the review ``event`` (flushed: it needs its id) to the status
    change's transaction (the caller commits); None when switched off. The submission has its new status."""
    return _enqueue(STATUS_CHANGED, submission, f"review-{event.id}", event.at or clock.now())


def body(notification: Notification) -> bytes:
    """The event's JSON, keys sorted: the same bytes on every try of one event."""
    payload = notification.payload or {}
    return json.dumps(
        {
            "event": notification.kind,
            "event_id": payload.get("event_id"),
            "occurred_at": payload.get("occurred_at"),
            "reference": notification.reference,
            "severity": payload.get("severity"),
            "status": payload.get("status"),
            "fhir_url": fhir_url(notification.reference),
        },
        sort_keys=True,
    ).encode()


def post(notification: Notification, timeout: float | None = None) -> None:
    """Deliver one event (``notifications`` calls this for the ``submission_webhook`` channel), waiting at most
    ``timeout`` seconds per network step (None: ``notifications.WEBHOOK_TIMEOUT_SECONDS``). Raises
    ``notifications.DeliveryError`` for a non-2xx answer, or the network error."""
    settings = _settings()
    url = settings["SUBMISSION_WEBHOOK_URL"]
    if not url:
        raise notifications.DeliveryError("SCREENING_SUBMISSION_WEBHOOK_URL is not set")
    data = body(notification)
    signature = notifications.sign(settings["SUBMISSION_WEBHOOK_SECRET"], int(clock.now().timestamp()), data)
    request = urllib.request.Request(  # noqa: S310 (the URL is the setting, checked at start: http(s) only)
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "screening-events",
            notifications.SIGNATURE_HEADER: signature,
            EVENT_HEADER: notification.kind,
        },
    )
    seconds = notifications.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with urllib.request.urlopen(request, timeout=seconds) as response:  # noqa: S310 (as above) # nosec B310
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        raise notifications.DeliveryError(f"HTTP {error.code}") from None
    if not 200 <= status < 300:
        raise notifications.DeliveryError(f"HTTP {status}")


TEST = "submission.test"


def send_test() -> str | None:
    """Send one signed ``submission.test`` event now, outside the outbox (``flask send-test-alert``, a go-live
    check): reference ``notifications.TEST_REFERENCE``, no patient data, a fresh ``event_id``. None when the
    receiver answered 2xx, else a secret-free description of the failure (``notifications.describe``)."""
    now = clock.now()
    probe = Notification(
        id=0,
        kind=TEST,
        reference=notifications.TEST_REFERENCE,
        channel=CHANNEL,
        payload={
            "event_id": str(uuid.uuid4()),
            "occurred_at": now.isoformat(timespec="seconds"),
            "status": SubmissionStatus.NEW.value,
            "severity": "none",
        },
    )
    try:
        post(probe)
    except Exception as error:  # reported to whoever runs the check
        return notifications.describe(error)
    return None


def send_after_commit(reference: str) -> None:
    """Try to send a just-committed status change's event at once (with whatever else is due for ``reference``),
    with the short inline timeout (``notifications.INLINE_TIMEOUT_SECONDS``): the staff member waits on it. Never
    raises, so the staff member's change stands whatever the receiver does; the worker retries."""
    if not configured():
        return
    try:
        notifications.send_after_submit(reference)
    except Exception as error:  # send_after_submit does not raise; this guards the staff request all the same
        log.error("submission events for %s not sent:\n%s", reference, describe_without_data(error))
        with contextlib.suppress(Exception):
            db.session.rollback()


STUCK_AFTER = timedelta(minutes=15)


def stuck(*, now: datetime | None = None) -> int:
    """How many events are still unsent 15 minutes after they happened: the receiver refuses them, or no worker runs."""
    now = now or clock.now()
    return notifications.unsent_count(Notification.channel == CHANNEL, Notification.created_at < now - STUCK_AFTER)


def admin_notice() -> str | None:
    """A calm notice for administrators on the staff pages when events are stuck (``stuck``). Not the warning about
    urgent alerts that everyone sees: no patient waits on an event, the FHIR API still serves every submission, and
    the events are kept and retried."""
    if not configured() or not (current_user.is_authenticated and current_user.has_role(Role.ADMIN)):
        return None
    count = stuck()
    if not count:
        return None
    return (
        f"{count} submission event{'s have' if count != 1 else ' has'} not reached the integration engine "
        "(SCREENING_SUBMISSION_WEBHOOK_URL) for over 15 minutes. They are kept and retried: check the receiver, "
        "and that the alert worker runs."
    )
