"""The reports page's reads: the few columns ``reports`` needs of each submission (no names, answers or contact
details), its review events' times and new statuses (status changes, notes and flag acknowledgements: all
are a review), and its flags' rule ids and titles, as ``reports.SubmissionFacts``.
Three queries per set of submissions, whatever its size (no query per row)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission, SubmissionStatus
from screening.staff import display as staff_display
from screening.staff import reports


def _facts(where: Any) -> list[reports.SubmissionFacts]:
    rows = db.session.execute(
        select(
            Submission.id, Submission.submitted_at, Submission.status, Submission.priority, Submission.picked_up_at
        ).where(where)
    ).all()
    ids = select(Submission.id).where(where).scalar_subquery()
    events: dict[int, list[tuple[datetime, str | None]]] = defaultdict(list)
    for submission_id, at, to_status in db.session.execute(
        select(ReviewEvent.submission_id, ReviewEvent.at, ReviewEvent.to_status).where(
            ReviewEvent.submission_id.in_(ids)
        )
    ):
        events[submission_id].append((at, to_status.value if to_status is not None else None))
    flags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for submission_id, rule_id, title in db.session.execute(
        select(FlagRecord.submission_id, FlagRecord.rule_id, FlagRecord.title)
        .where(FlagRecord.submission_id.in_(ids))
        .order_by(FlagRecord.submission_id, FlagRecord.position)
    ):
        flags[submission_id].append((rule_id, title))
    return [
        reports.SubmissionFacts(
            submitted_at=row.submitted_at,
            status=row.status.value,
            severity=staff_display.severity_of_priority(row.priority),
            picked_up_at=row.picked_up_at,
            events=tuple(events[row.id]),
            flags=tuple(flags[row.id]),
        )
        for row in rows
    ]


def submitted_between(start: datetime, end: datetime) -> list[reports.SubmissionFacts]:
    """The submissions sent from ``start`` up to (not including) ``end``."""
    return _facts((Submission.submitted_at >= start) & (Submission.submitted_at < end))


def still_open() -> list[reports.SubmissionFacts]:
    """Every submission still waiting for the clinic (new, in review, awaiting patient), whenever it was sent."""
    return _facts(Submission.status.in_([SubmissionStatus(status) for status in reports.OPEN_STATUSES]))
