"""Repeat submissions: other submissions of the same person, and "superseded by".

Two submissions are of the same person when they have the same date of birth and the same email address, or the
same phone number, or the same name (``search_keys``: any case, accents, punctuation or word order). A submission
with an earlier match is a repeat (the queue marks it). Clinicians and administrators may mark a submission as
superseded by another submission of the same person, and undo that; each change is audited
(``submission.superseded`` / ``submission.supersede_cleared``, ids only) and bumps the submission's version, so a
stale form is refused as a conflict like every other review write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from screening.audit import audit
from screening.extensions import db
from screening.models import Role, StaffUser, Submission
from screening.staff import review

MAY_SUPERSEDE = (Role.CLINICIAN, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Other:
    """Another submission of the same person."""

    id: int
    reference: str
    submitted_at: datetime
    superseded_by_id: int | None


def may_supersede(roles: Role | Iterable[Role]) -> bool:
    """Whether an account holding ``roles`` (any one of them suffices) may mark a submission as superseded."""
    held = frozenset((roles,)) if isinstance(roles, Role) else frozenset(roles)
    return bool(held & frozenset(MAY_SUPERSEDE))


def _same_person(other: Any, *, date_of_birth: Any, email_key: Any, phone_key: Any, name_key: Any) -> Any:
    """The condition that ``other`` (a Submission alias) is the same person as the given keys (columns or values).
    An empty key never matches."""
    return and_(
        other.date_of_birth == date_of_birth,
        or_(
            and_(other.email_key.is_not(None), other.email_key == email_key),
            and_(other.phone_key.is_not(None), other.phone_key == phone_key),
            and_(other.name_key != "", other.name_key == name_key),
        ),
    )


def is_repeat() -> Any:
    """A column expression for a queue query over ``Submission``: whether an earlier submission is of the same
    person (a correlated EXISTS; the date of birth index keeps it cheap)."""
    earlier = aliased(Submission)
    return exists().where(
        _same_person(
            earlier,
            date_of_birth=Submission.date_of_birth,
            email_key=Submission.email_key,
            phone_key=Submission.phone_key,
            name_key=Submission.name_key,
        ),
        or_(
            earlier.submitted_at < Submission.submitted_at,
            and_(earlier.submitted_at == Submission.submitted_at, earlier.id < Submission.id),
        ),
    )


def others(submission: Submission) -> list[Other]:
    """The other submissions of the same person, oldest first."""
    other = aliased(Submission)
    if not (submission.email_key or submission.phone_key or submission.name_key):
        return []
    condition = _same_person(
        other,
        date_of_birth=submission.date_of_birth,
        email_key=submission.email_key,
        phone_key=submission.phone_key,
        name_key=submission.name_key or None,
    )
    rows = db.session.execute(
        select(other.id, other.reference, other.submitted_at, other.superseded_by_id)
        .where(condition, other.id != submission.id)
        .order_by(other.submitted_at, other.id)
    )
    return [Other(*row) for row in rows]


def superseded_by(submission: Submission) -> str | None:
    """The reference of the submission that supersedes this one, or None."""
    if submission.superseded_by_id is None:
        return None
    return db.session.scalar(select(Submission.reference).where(Submission.id == submission.superseded_by_id))


def supersedes(submission: Submission) -> list[str]:
    """The references of the submissions this one supersedes, oldest first."""
    return list(
        db.session.scalars(
            select(Submission.reference)
            .where(Submission.superseded_by_id == submission.id)
            .order_by(Submission.submitted_at, Submission.id)
        )
    )


def choices(submission: Submission) -> list[Other]:
    """The submissions this one may be marked as superseded by: the same person's others, except one that is itself
    superseded by this one (no loops)."""
    return [other for other in others(submission) if other.superseded_by_id != submission.id]


def mark_superseded(
    submission: Submission,
    by_reference: str | None,
    *,
    actor: StaffUser,
    expected_version: int,
    remote_addr: str | None = None,
) -> None:
    """Mark ``submission`` as superseded by the same person's submission ``by_reference``, or (None) undo the mark.
    Raises ``review.NotAllowed`` for a role that may not, ``review.Invalid`` for a reference that is not one of
    the choices or no change, ``review.Conflict`` when the submission changed since ``expected_version``.
    Commits, with a ``submission.superseded`` or ``submission.supersede_cleared`` audit event."""
    if not may_supersede(actor.roles):
        raise review.NotAllowed(f"{'+'.join(actor.role_names)} may not mark a submission as superseded")
    if expected_version != submission.version_id:
        raise review.Conflict(None, None, submission.version_id)
    target: Other | None = None
    if by_reference is not None:
        target = next((other for other in choices(submission) if other.reference == by_reference), None)
        if target is None:
            raise review.Invalid("Select one of this person's other submissions", "by")
    new_id = target.id if target is not None else None
    if new_id == submission.superseded_by_id:
        raise review.Invalid(
            "Select a different submission: this is already marked"
            if new_id is not None
            else "This submission is not marked as superseded",
            "by",
        )
    previous = submission.superseded_by_id
    submission.superseded_by_id = new_id
    try:
        if target is not None:
            audit(
                "submission.superseded",
                reference=submission.reference,
                staff_id=actor.id,
                remote_addr=remote_addr,
                by=target.reference,
                replaced=previous,
            )
        else:
            audit(
                "submission.supersede_cleared",
                reference=submission.reference,
                staff_id=actor.id,
                remote_addr=remote_addr,
                was=previous,
            )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise review.Conflict(None, None, submission.version_id) from None
