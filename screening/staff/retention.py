"""Retention (ASVS 5.0 14.2.7, GDPR Art. 5(1)(e)): delete submissions past the clinic's retention period,
with their flags and review events (ON DELETE CASCADE) and their outbox notifications, leaving for each a
``submission.purged`` audit tombstone that names only the reference and the day it was submitted.
Imports the models and ``clock``; ``flask --app screening purge`` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from screening import clock
from screening.audit import audit
from screening.extensions import db
from screening.models import Notification, Submission

#: A shorter period needs ``--yes-really``: a typo (3 for 3650) must not delete submissions still being worked on.
MINIMUM_DAYS = 30
BATCH = 500


@dataclass(frozen=True, slots=True)
class Purge:
    """What a purge did (or, for a dry run, would do)."""

    cutoff: datetime
    deleted: int


def cutoff_for(days: int, *, now: datetime | None = None) -> datetime:
    """Submissions submitted before this moment are older than ``days`` days."""
    return (now or clock.now()) - timedelta(days=days)


def count_older_than(days: int) -> int:
    cutoff = cutoff_for(days)
    return int(
        db.session.scalar(select(func.count()).select_from(Submission).where(Submission.submitted_at < cutoff)) or 0
    )


def purge_older_than(days: int) -> Purge:
    """Delete every submission submitted more than ``days`` days ago (by ``clock.now``), in batches of
    ``BATCH``; each batch and its tombstones commit together, so an interruption leaves no submission gone
    without its tombstone. Audits the run (``retention.purged``). Commits. ``days`` must be 1 or more (the
    30-day floor is the command's to enforce)."""
    if days < 1:
        raise ValueError("days must be 1 or more")
    cutoff = cutoff_for(days)
    deleted = 0
    while True:
        batch = db.session.execute(
            select(Submission.id, Submission.reference, Submission.submitted_at)
            .where(Submission.submitted_at < cutoff)
            .order_by(Submission.submitted_at, Submission.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        for _, reference, submitted_at in batch:
            audit(
                "submission.purged", reference=reference, submitted_on=submitted_at.astimezone(UTC).date().isoformat()
            )
        references = [reference for _, reference, _ in batch]
        db.session.execute(delete(Notification).where(Notification.reference.in_(references)))
        db.session.execute(
            delete(Submission)
            .where(Submission.id.in_([row_id for row_id, _, _ in batch]))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        deleted += len(batch)
    audit("retention.purged", older_than_days=days, cutoff=cutoff.isoformat(timespec="seconds"), deleted=deleted)
    db.session.commit()
    return Purge(cutoff=cutoff, deleted=deleted)
