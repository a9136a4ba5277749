"""Urgent submissions that nobody has picked up: how many are waiting (the staff pages' counter), and the escalation
alert the worker raises when one has waited past its deadline (``opening_hours.escalate_at``). Imports Flask's app
config, the models, ``notifications`` and the standard library.

An urgent submission waits until a clinician picks it up ("I'm calling the patient", ``review.pick_up``). A
submission whose status has moved past "in review" (awaiting the patient, an outcome, withdrawn) has been acted on
and no longer waits. Each submission is escalated at most once: the outbox's unique (kind, reference, channel)
stops two workers raising it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError

from screening import clock, notifications
from screening.audit import audit
from screening.extensions import db
from screening.models import Notification, Submission, SubmissionStatus
from screening.rules import Severity
from screening.staff import opening_hours

log = logging.getLogger(__name__)

URGENT_PRIORITY = Severity.URGENT.rank  # Submission.priority of an urgent submission
WAITING_STATUSES = (SubmissionStatus.NEW, SubmissionStatus.IN_REVIEW)


@dataclass(frozen=True, slots=True)
class Waiting:
    """Urgent submissions not yet picked up: how many, and when the oldest was sent (None when there are none)."""

    count: int
    oldest: datetime | None


def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def _not_picked_up() -> Any:
    """Urgent, not picked up, still waiting: read from the index ``ix_submission_urgent_waiting`` alone."""
    return and_(
        Submission.priority == URGENT_PRIORITY,
        Submission.picked_up_at.is_(None),
        Submission.status.in_(WAITING_STATUSES),
    )


def waiting() -> Waiting:
    """The urgent submissions nobody has picked up (one query, on the indexed priority)."""
    count, oldest = db.session.execute(
        select(func.count(Submission.id), func.min(Submission.submitted_at)).where(_not_picked_up())
    ).one()
    return Waiting(int(count or 0), oldest)


def deadline(submission: Submission, hours: opening_hours.OpeningHours | None = None) -> datetime:
    """When ``submission`` is escalated if nobody picks it up (UTC); ``hours``: the clinic's, already parsed."""
    settings = _settings()
    return opening_hours.escalate_at(
        submission.submitted_at,
        minutes=settings["URGENT_ESCALATE_MINUTES"],
        hours=hours or opening_hours.parse(settings["OPENING_HOURS"]),
        zone=settings["TIMEZONE"],
    )


def escalate_due(*, now: datetime | None = None) -> list[str]:
    """Raise an escalation alert for each urgent submission past its deadline that nobody has picked up and that
    has not been escalated yet, with a ``submission.escalated`` audit event. Commits each one. Returns their
    references. Nothing when no alert channel is configured (the staff pages still show the counter)."""
    if not notifications.channels(_settings()):
        return []
    now = now or clock.now()
    escalated = exists().where(
        Notification.reference == Submission.reference, Notification.kind == notifications.URGENT_ESCALATION
    )
    candidates = list(
        db.session.scalars(select(Submission).where(_not_picked_up(), ~escalated).order_by(Submission.submitted_at))
    )
    raised = []
    hours = opening_hours.parse(_settings()["OPENING_HOURS"])  # once per pass, not per submission
    for submission in candidates:
        if deadline(submission, hours) > now:
            continue
        reference = submission.reference
        rows = notifications.enqueue(notifications.URGENT_ESCALATION, reference, now=now)
        if not rows:
            continue
        audit(
            "submission.escalated",
            reference=reference,
            minutes=_settings()["URGENT_ESCALATE_MINUTES"],
            channels=[row.channel for row in rows],
        )
        try:
            db.session.commit()
        except IntegrityError:  # another worker escalated it first
            db.session.rollback()
            continue
        log.warning("urgent submission %s not picked up in time: escalated", reference)
        raised.append(reference)
    return raised
