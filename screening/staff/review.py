"""Every write of a submission's review: views, status changes, notes and flag acknowledgements, each with its
audit event (ids and codes only: never an answer or the text of a note). Each function commits.

Who may set what follows DESIGN.md: every role sets ``in_review``, ``awaiting_patient`` and ``withdrawn``; only
clinicians set the clinical outcomes ``consult_offered`` and ``not_suitable``, acknowledge flags, and change a
submission whose status is a clinical outcome. Nobody sets ``new``. A move back (to an earlier or equal stage, such
as reopening a withdrawn submission) needs a note.

Optimistic locking: every write names the ``version_id`` the writer saw (``expected_version``) and bumps it; when
the submission changed in between, nothing is written and ``Conflict`` says who changed it and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from screening import clock, submission_events
from screening.audit import audit
from screening.extensions import db
from screening.models import Acknowledgement, FlagRecord, ReviewEvent, Role, StaffUser, Submission, SubmissionStatus
from screening.rules import Severity

NOTE_MAX_LENGTH = 2000
URGENT_PRIORITY = Severity.URGENT.rank  # Submission.priority of an urgent submission
ACKNOWLEDGEMENT_NOTE_MAX_LENGTH = 500

_ALL_ROLES = (SubmissionStatus.IN_REVIEW, SubmissionStatus.AWAITING_PATIENT, SubmissionStatus.WITHDRAWN)
#: The statuses each role may set, in the order the form offers them.
SETTABLE: Mapping[Role, tuple[SubmissionStatus, ...]] = {
    Role.RECEPTION: _ALL_ROLES,
    Role.ADMIN: _ALL_ROLES,
    Role.CLINICIAN: (
        SubmissionStatus.IN_REVIEW,
        SubmissionStatus.AWAITING_PATIENT,
        SubmissionStatus.CONSULT_OFFERED,
        SubmissionStatus.NOT_SUITABLE,
        SubmissionStatus.WITHDRAWN,
    ),
}
# How far along the review a status is: a change to the same or an earlier stage is a move back (needs a note).
_STAGE = {
    SubmissionStatus.NEW: 0,
    SubmissionStatus.IN_REVIEW: 1,
    SubmissionStatus.AWAITING_PATIENT: 2,
    SubmissionStatus.CONSULT_OFFERED: 3,
    SubmissionStatus.NOT_SUITABLE: 3,
    SubmissionStatus.WITHDRAWN: 4,
}


class ReviewError(Exception):
    """A review write that was not made."""


class NotAllowed(ReviewError):
    """The actor's role may not make this change (the form never offers it: a crafted request)."""


class Invalid(ReviewError):
    """The change cannot be made as asked; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(ReviewError):
    """Someone else changed the submission after the writer loaded it: nothing was written. ``by`` and ``at`` say
    who and when (None when unknown); ``version`` is the submission's current version."""

    def __init__(self, by: str | None, at: datetime | None, version: int) -> None:
        super().__init__("the submission changed meanwhile")
        self.by = by
        self.at = at
        self.version = version


@dataclass(frozen=True, slots=True)
class LastChange:
    by: str | None
    at: datetime | None


# --- rules -----------------------------------------------------------------------------------------------------------
# Each rule takes the roles an account holds (``StaffUser.roles``; a single ``Role`` also works): it may do what any
# of them may.
def _held(roles: Role | Iterable[Role]) -> frozenset[Role]:
    return frozenset((roles,)) if isinstance(roles, Role) else frozenset(roles)


def settable_statuses(roles: Role | Iterable[Role]) -> tuple[SubmissionStatus, ...]:
    held = _held(roles)
    return tuple(status for status in SubmissionStatus if any(status in SETTABLE.get(role, ()) for role in held))


def may_change_from(roles: Role | Iterable[Role], current: SubmissionStatus) -> bool:
    """Whether ``roles`` may move a submission out of ``current`` (only clinicians undo a clinical outcome)."""
    return current is SubmissionStatus.NEW or current in settable_statuses(roles)


def is_move_back(current: SubmissionStatus, to: SubmissionStatus) -> bool:
    return to is not current and _STAGE[to] <= _STAGE[current]


def may_acknowledge(roles: Role | Iterable[Role]) -> bool:
    return Role.CLINICIAN in _held(roles)


# --- reads -----------------------------------------------------------------------------------------------------------
#: What a page showing a submission reads with it, at once: who picked it up, its flags and who acknowledged each,
#: its review events and their staff (their names: not their roles). A fixed number of statements however many
#: there are (no query per row).
WHOLE = (
    joinedload(Submission.picked_up_by).lazyload(StaffUser.role_rows),
    selectinload(Submission.flags).joinedload(FlagRecord.acknowledged_by).lazyload(StaffUser.role_rows),
    selectinload(Submission.events).joinedload(ReviewEvent.staff).lazyload(StaffUser.role_rows),
)


def find(reference: str) -> Submission | None:
    """The submission with this reference (with what ``WHOLE`` names), or None."""
    return db.session.scalar(select(Submission).where(Submission.reference == reference).options(*WHOLE))


def reload(submission: Submission) -> Submission:
    """The submission read again with what ``WHOLE`` names, after a commit expired it (else each flag's and event's
    staff member would be read again one by one). Objects still loaded (the signed-in account, once its roles were
    read) are left as they are."""
    return db.session.scalars(select(Submission).where(Submission.id == submission.id).options(*WHOLE)).one()


def last_change(submission: Submission) -> LastChange:
    """Who last changed the review (a status change, note or flag acknowledgement: each is a review event), and
    when."""
    if not submission.events:
        return LastChange(None, None)
    latest = max(submission.events, key=lambda event: event.at)
    return LastChange(latest.staff.name if latest.staff is not None else None, latest.at)


# --- writes ----------------------------------------------------------------------------------------------------------
def record_view(submission: Submission, *, actor: StaffUser, remote_addr: str | None) -> None:
    """A staff member is shown the submission's answers: ``submission.viewed``. Commits."""
    audit("submission.viewed", reference=submission.reference, staff_id=actor.id, remote_addr=remote_addr)
    db.session.commit()


def record_summary(submission: Submission, *, actor: StaffUser, remote_addr: str | None, pdf: bool, paper: str) -> None:
    """A staff member opens the printable summary (``summary.printed``) or downloads its PDF
    (``summary.downloaded``). Commits."""
    audit(
        "summary.downloaded" if pdf else "summary.printed",
        reference=submission.reference,
        staff_id=actor.id,
        remote_addr=remote_addr,
        paper=paper,
    )
    db.session.commit()


def record_denied(
    submission: Submission, *, actor: StaffUser, remote_addr: str | None, endpoint: str, **ids: Any
) -> None:
    """A change the actor's role may not make was asked for: ``access.denied``. Commits."""
    audit(
        "access.denied",
        reference=submission.reference,
        staff_id=actor.id,
        remote_addr=remote_addr,
        endpoint=endpoint,
        **ids,
    )
    db.session.commit()


def record_conflict(
    submission: Submission,
    conflict: Conflict,
    *,
    actor: StaffUser,
    remote_addr: str | None,
    attempt: str,
    had_version: int | None,
    **ids: Any,
) -> None:
    """A write that lost to someone else's change (the 409 the view answers): ``submission.conflict`` with what
    was tried (``attempt``: status, note, acknowledgement, pick_up, superseded), the version the writer had and
    the current one. Nothing of the change itself (never the note). Commits, though the request fails."""
    audit(
        "submission.conflict",
        reference=submission.reference,
        staff_id=actor.id,
        remote_addr=remote_addr,
        attempt=attempt,
        had_version=had_version,
        current_version=conflict.version,
        **ids,
    )
    db.session.commit()


def _conflict(submission: Submission) -> Conflict:
    change = last_change(submission)
    return Conflict(change.by, change.at, submission.version_id)


def _check_version(submission: Submission, expected_version: int) -> None:
    if expected_version != submission.version_id:
        raise _conflict(submission)


@contextmanager
def _versioned_write(submission: Submission) -> Iterator[None]:
    """Write what the block adds and commit, with the submission's version bumped. The UPDATE names the version
    read, so a writer that committed after our read makes it match no row (StaleDataError, at the first flush or
    at commit): roll back everything and report the conflict."""
    flag_modified(submission, "status")  # a note or acknowledgement changes no column of the submission
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise _conflict(submission) from None


def _clean_note(note: str | None, *, field: str = "note", maximum: int = NOTE_MAX_LENGTH) -> str | None:
    text = (note or "").strip() or None
    if text is not None and len(text) > maximum:
        raise Invalid(f"Enter a note of {maximum} characters or fewer", field)
    return text


def change_status(
    submission: Submission,
    to: SubmissionStatus,
    *,
    actor: StaffUser,
    expected_version: int,
    note: str | None = None,
    remote_addr: str | None = None,
) -> ReviewEvent:
    """Move the submission to ``to``, with an optional note (required for a move back), as one review event and a
    ``submission.status_changed`` audit event (and webhook event, sent after the commit: ``submission_events``).
    Raises ``NotAllowed`` when the actor's role may not set ``to`` or leave the current status, ``Invalid`` for no
    change or a move back without a note, ``Conflict`` when the submission is no longer at ``expected_version``.
    Commits."""
    current = submission.status
    if to not in settable_statuses(actor.roles) or not may_change_from(actor.roles, current):
        raise NotAllowed(f"{'+'.join(actor.role_names)} may not move {current.value} to {to.value}")
    _check_version(submission, expected_version)
    note = _clean_note(note)
    if to is current:
        raise Invalid("Select a different status: the submission already has this one", "status")
    if is_move_back(current, to) and note is None:
        raise Invalid("Enter a note to say why the status is moving back", "note")
    with _versioned_write(submission):
        event = ReviewEvent(
            submission=submission, staff_id=actor.id, at=clock.now(), from_status=current, to_status=to, note=note
        )
        db.session.add(event)
        submission.status = to
        db.session.flush()  # the event's id, for the audit event
        audit(
            "submission.status_changed",
            reference=submission.reference,
            staff_id=actor.id,
            remote_addr=remote_addr,
            event=event.id,
            from_status=current.value,
            to_status=to.value,
            with_note=note is not None,
        )
        submission_events.status_changed(submission, event)  # commits with the change, when configured
    submission_events.send_after_commit(submission.reference)  # never raises: the change stands
    return event


def add_note(
    submission: Submission, note: str, *, actor: StaffUser, expected_version: int, remote_addr: str | None = None
) -> ReviewEvent:
    """Append a note (notes are never edited or deleted) and a ``submission.note_added`` audit event. Raises
    ``Invalid`` for an empty note and ``Conflict`` when the submission is no longer at ``expected_version``.
    Commits."""
    _check_version(submission, expected_version)
    text = _clean_note(note)
    if text is None:
        raise Invalid("Enter a note", "note")
    with _versioned_write(submission):
        event = ReviewEvent(submission=submission, staff_id=actor.id, at=clock.now(), note=text)
        db.session.add(event)
        db.session.flush()  # the event's id, for the audit event
        audit(
            "submission.note_added",
            reference=submission.reference,
            staff_id=actor.id,
            remote_addr=remote_addr,
            event=event.id,
        )
    return event


def acknowledge_flag(
    flag: FlagRecord,
    acknowledgement: Acknowledgement,
    *,
    actor: StaffUser,
    expected_version: int,
    note: str | None = None,
    remote_addr: str | None = None,
) -> None:
    """Record how a clinician acknowledged a flag: the flag shows the latest acknowledgement, and each one (with
    its note) is appended to the review history as an event, so a later one never hides an earlier one; and a
    ``flag.acknowledged`` audit event. Raises ``NotAllowed`` for a role other than
    clinician, ``Conflict`` when the submission is no longer at ``expected_version``. Commits."""
    if not may_acknowledge(actor.roles):
        raise NotAllowed(f"{'+'.join(actor.role_names)} may not acknowledge flags")
    submission = flag.submission
    _check_version(submission, expected_version)
    text = _clean_note(note, maximum=ACKNOWLEDGEMENT_NOTE_MAX_LENGTH)
    previous = flag.acknowledgement
    with _versioned_write(submission):
        flag.acknowledgement = acknowledgement
        flag.acknowledgement_note = text
        flag.acknowledged_by_id = actor.id
        flag.acknowledged_at = clock.now()
        event = ReviewEvent(
            submission=submission,
            staff_id=actor.id,
            at=flag.acknowledged_at,
            note=text,
            flag_id=flag.id,
            acknowledgement=acknowledgement,
        )
        db.session.add(event)
        db.session.flush()  # the event's id, for the audit event
        audit(
            "flag.acknowledged",
            reference=submission.reference,
            staff_id=actor.id,
            remote_addr=remote_addr,
            event=event.id,
            flag=flag.id,
            rule_id=flag.rule_id,
            acknowledgement=acknowledgement.value,
            previous=previous.value if previous is not None else None,
            with_note=text is not None,
        )


def may_pick_up(roles: Role | Iterable[Role]) -> bool:
    return Role.CLINICIAN in _held(roles)


PICK_UP_NOTE = "Picked up: calling the patient"


def pick_up(
    submission: Submission, *, actor: StaffUser, expected_version: int, remote_addr: str | None = None
) -> ReviewEvent:
    """A clinician says "I'm calling the patient" about an urgent submission: it stops waiting (the staff pages'
    counter) and is not escalated. A new submission moves to ``in_review``. One review event and a
    ``submission.picked_up`` audit event. Raises ``NotAllowed`` for a role other than clinician, ``Invalid`` for
    a submission that is not urgent, and ``Conflict`` when someone picked it up first or it changed meanwhile.
    Commits."""
    if not may_pick_up(actor.roles):
        raise NotAllowed(f"{'+'.join(actor.role_names)} may not pick up urgent submissions")
    if submission.picked_up_at is not None:
        by = submission.picked_up_by
        raise Conflict(by.name if by is not None else None, submission.picked_up_at, submission.version_id)
    if submission.priority != URGENT_PRIORITY:
        raise Invalid("Only urgent submissions are picked up", "pick_up")
    _check_version(submission, expected_version)
    current = submission.status
    with _versioned_write(submission):
        submission.picked_up_at = clock.now()
        submission.picked_up_by_id = actor.id
        moved = current is SubmissionStatus.NEW
        event = ReviewEvent(
            submission=submission,
            staff_id=actor.id,
            at=submission.picked_up_at,
            from_status=current if moved else None,
            to_status=SubmissionStatus.IN_REVIEW if moved else None,
            note=PICK_UP_NOTE,
        )
        if moved:
            submission.status = SubmissionStatus.IN_REVIEW
        db.session.add(event)
        db.session.flush()  # the event's id, for the audit event
        audit(
            "submission.picked_up",
            reference=submission.reference,
            staff_id=actor.id,
            remote_addr=remote_addr,
            event=event.id,
            from_status=current.value,
        )
    return event
