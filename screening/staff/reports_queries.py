"""The reports page's reads, at any number of submissions: the database counts what can be counted (submissions by
status, each flag's submissions and its newest title, the open queue by priority and age band) and streams one
narrow row per submission in the range for the rest (``reports.Moments``: when it was sent, first reviewed and
first decided; the earliest review event and decision are found by the database). No names, answers or contact
details are read. Five statements whatever the number of rows; the rows are streamed in batches
(``STREAM_BATCH``), never all held. Times are compared, never computed, in SQL: the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, or_, select

from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission, SubmissionStatus, is_open
from screening.staff import display as staff_display
from screening.staff import reports

STREAM_BATCH = 2000
_DECISIONS = [SubmissionStatus(status) for status in sorted(reports.DECISIONS)]


def _sent_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    return (Submission.submitted_at >= start) & (Submission.submitted_at < end)


def moments(start: datetime, end: datetime) -> Iterator[reports.Moments]:
    """One ``reports.Moments`` per submission sent from ``start`` up to (not including) ``end``, streamed: its first
    review is the earlier of its first review event (a status change, a note, a flag acknowledgement) and its
    pick-up; its decision its first status change to a decision."""
    first_event = select(func.min(ReviewEvent.at)).where(ReviewEvent.submission_id == Submission.id).scalar_subquery()
    first_decision = (
        select(func.min(ReviewEvent.at))
        .where(ReviewEvent.submission_id == Submission.id, ReviewEvent.to_status.in_(_DECISIONS))
        .scalar_subquery()
    )
    picked_up = Submission.picked_up_at
    first_review = case(  # the earlier of the two, written out: SQLite's min(a, b) is PostgreSQL's LEAST(a, b)
        (picked_up.is_(None), first_event),
        (first_event.is_(None) | (picked_up < first_event), picked_up),
        else_=first_event,
    )
    query = select(Submission.submitted_at, first_review, first_decision).where(_sent_between(start, end))
    rows = db.session.execute(query, execution_options={"yield_per": STREAM_BATCH})
    try:
        for submitted_at, first_review_at, decided_at in rows:
            yield reports.Moments(submitted_at, first_review_at, decided_at)
    finally:
        rows.close()


def counted(start: datetime, end: datetime, now: datetime) -> reports.Counted:
    """The counts of the submissions sent from ``start`` up to ``end``: by status and by flag (each flag's
    submissions once each, and its title on the newest of them); and the open queue as it is ``now``."""
    in_range = _sent_between(start, end)
    outcomes = db.session.execute(
        select(Submission.status, func.count()).where(in_range).group_by(Submission.status)
    ).all()
    flagged = (
        select(FlagRecord.rule_id, FlagRecord.submission_id, FlagRecord.title, Submission.submitted_at)
        .join(Submission, Submission.id == FlagRecord.submission_id)
        .where(in_range)
        .subquery()
    )
    flag_counts = db.session.execute(
        select(
            flagged.c.rule_id, func.count(distinct(flagged.c.submission_id)), func.max(flagged.c.submitted_at)
        ).group_by(flagged.c.rule_id)
    ).all()
    titles = _newest_titles([(rule_id, newest) for rule_id, _, newest in flag_counts])
    return reports.Counted(
        outcomes={status.value: count for status, count in outcomes},
        flags=[(rule_id, titles[rule_id], count) for rule_id, count, _ in flag_counts],
        queue=_open_queue(now),
    )


def _newest_titles(newest: list[tuple[str, datetime]]) -> dict[str, str]:
    """Each rule's title on the most recently sent submission it flagged (``reports.newest_titles``), given when
    that was: the flags of the submissions sent at those moments only (an index search per rule, not a scan)."""
    if not newest:
        return {}
    rows = db.session.execute(
        select(FlagRecord.rule_id, FlagRecord.title, Submission.submitted_at)
        .join(Submission, Submission.id == FlagRecord.submission_id)
        .where(or_(*((Submission.submitted_at == at) & (FlagRecord.rule_id == rule_id) for rule_id, at in newest)))
    )
    return reports.newest_titles((rule_id, title, at) for rule_id, title, at in rows)


def _open_queue(now: datetime) -> list[tuple[str, str, int]]:
    """(severity, age band, count) of every open submission, whenever sent (``reports.band_starts``)."""
    starts = reports.band_starts(now)
    band: Any = case(
        *((Submission.submitted_at > after, label) for label, after in starts if after is not None),
        else_=starts[-1][0],
    )
    # grouped outside: PostgreSQL does not match a GROUP BY expression whose parameters are bound apart
    open_rows = select(Submission.priority, band.label("band")).where(is_open()).subquery()
    rows = db.session.execute(
        select(open_rows.c.priority, open_rows.c.band, func.count()).group_by(open_rows.c.priority, open_rows.c.band)
    ).all()
    return [(staff_display.severity_of_priority(priority), label, count) for priority, label, count in rows]
