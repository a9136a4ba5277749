"""SQLAlchemy 2 models: submissions and their flags, patients' drafts, staff accounts, review events and
the audit trail, with the status and role enums.

Rows are written only by ``services`` and ``auth``. Datetimes are timezone-aware UTC (``UTCDateTime``).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    JSON,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening import search_keys, status_counts
from screening.extensions import UTCDateTime, db, utcnow

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O or U to misread
REFERENCE_PATTERN = f"KT-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}"  # what new_reference() makes


def new_reference() -> str:
    """A submission's reference for people to quote, like ``KT-7Q4M-9XHD`` (a label, not a secret)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"KT-{chars[:4]}-{chars[4:]}"


class SubmissionStatus(StrEnum):
    """Where a submission is in the clinic's review (DESIGN.md, "Statuses")."""

    NEW = "new"
    IN_REVIEW = "in_review"
    AWAITING_PATIENT = "awaiting_patient"
    CONSULT_OFFERED = "consult_offered"
    NOT_SUITABLE = "not_suitable"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    """Staff roles; an account holds one or more and may do what any of them may (DESIGN.md, "role x action"
    table). The order here is the order they are shown in."""

    RECEPTION = "reception"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class Acknowledgement(StrEnum):
    """How a clinician acknowledged a flag."""

    DISCUSSED = "discussed"
    NOT_RELEVANT = "not_relevant"
    NEEDS_FOLLOW_UP = "needs_follow_up"


def _enum(enum: type[StrEnum], name: str | None = None) -> Enum:
    """A string column limited by a CHECK constraint to the enum's values (``name`` names the constraint)."""
    return Enum(
        enum,
        native_enum=False,
        length=20,
        create_constraint=True,
        name=name or enum.__name__.lower(),
        values_callable=lambda members: [member.value for member in members],
    )


#: Queue priority: the rank of the highest flag (urgent 3, discuss 2, caution 1, info 0), -1 for none.
NO_FLAGS_PRIORITY = -1
#: The statuses still waiting for the clinic (new, in review, awaiting the patient) as SQL: the condition of the
#: partial index of the open queue, written the same way by the queries that should use it.
OPEN_STATUSES_SQL = "status IN ('new', 'in_review', 'awaiting_patient')"


class Submission(db.Model):  # type: ignore[name-defined,misc]
    """One submitted questionnaire: the answers as given, what was derived from them, and the versions
    of the questionnaire, rule set and article used, so it can always be read as it was submitted."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus), default=SubmissionStatus.NEW)
    priority: Mapped[int]
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    ruleset_version: Mapped[str] = mapped_column(String(20))
    article_version: Mapped[str] = mapped_column(String(40))
    consent_version: Mapped[str] = mapped_column(String(20))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    medicines: Mapped[list[Any]] = mapped_column(JSON)
    rule_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    full_name: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date] = mapped_column(index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    version_id: Mapped[int] = mapped_column(default=1)
    #: Steps the patient did not reach because they chose to send early (from the support step), in order.
    skipped_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: An urgent submission is "picked up" when a clinician says they are calling the patient; until then the
    #: staff pages count it and the worker escalates it (``alerts``).
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    picked_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    picked_up_by: Mapped[StaffUser | None] = relationship(foreign_keys=[picked_up_by_id])
    #: Search keys (``search_keys``), set when the submission is stored (the insert hook below).
    name_key: Mapped[str] = mapped_column(String(search_keys.NAME_KEY_MAX_LENGTH), default="")
    phone_key: Mapped[str | None] = mapped_column(String(search_keys.PHONE_KEY_MAX_LENGTH), index=True)
    email_key: Mapped[str | None] = mapped_column(String(search_keys.EMAIL_KEY_MAX_LENGTH), index=True)
    #: A later submission of the same person that staff marked as replacing this one (``staff/repeats.py``).
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id", ondelete="SET NULL"))

    flags: Mapped[list[FlagRecord]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="FlagRecord.position", passive_deletes=True
    )
    events: Mapped[list[ReviewEvent]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="ReviewEvent.at", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version_id}
    #: Names are searched with ``LIKE '% token%'``: a trigram (GIN) index on PostgreSQL, a plain one elsewhere.
    __table_args__ = (
        Index(
            "ix_submission_name_key",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
    )


# The queue's order (``staff/queue.py``: priority highest first, then oldest, then reference) is the order of each
# of these three indexes, so a page is read in index order and stops after its rows: every status, one status, and
# the open statuses (a partial index; the queue writes that IN list as literals, ``OPEN_STATUSES_SQL``: neither
# database chooses a partial index for a bound parameter's value).
Index("ix_submission_queue", Submission.priority.desc(), Submission.submitted_at, Submission.reference)
Index(
    "ix_submission_status_queue",
    Submission.status,
    Submission.priority.desc(),
    Submission.submitted_at,
    Submission.reference,
)
Index(
    "ix_submission_open_queue",
    Submission.priority.desc(),
    Submission.submitted_at,
    Submission.reference,
    sqlite_where=text(OPEN_STATUSES_SQL),
    postgresql_where=text(OPEN_STATUSES_SQL),
)


# The urgent counter on every staff page (``escalation.waiting``): urgent, not picked up, by status, with the time.
Index(
    "ix_submission_urgent_waiting",
    Submission.priority,
    Submission.picked_up_at,
    Submission.status,
    Submission.submitted_at,
)
# "Supersedes" on a submission's page; partial, as almost every row has none (a planner then trusts the index).
Index(
    "ix_submission_superseded_by_id",
    Submission.superseded_by_id,
    sqlite_where=text("superseded_by_id IS NOT NULL"),
    postgresql_where=text("superseded_by_id IS NOT NULL"),
)


def is_open() -> ColumnElement[bool]:
    """``Submission.status IN ('new', 'in_review', 'awaiting_patient')`` with the values written into the SQL (not
    bound), as ``OPEN_STATUSES_SQL``: the condition the open queue's partial index is chosen for."""
    values = ["new", "in_review", "awaiting_patient"]
    return Submission.status.in_(bindparam("open_statuses", values, expanding=True, literal_execute=True))


class SubmissionStatusCount(db.Model):  # type: ignore[name-defined,misc]
    """How many submissions have ``status`` (no row: none), kept by triggers on ``submission`` (``status_counts``):
    never written by the app."""

    __tablename__ = "submission_status_count"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)


for _dialect, _statements in status_counts.TRIGGERS.items():
    for _statement in _statements:
        event.listen(
            db.metadata,
            "after_create",
            DDL(_statement).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
        )


# The trigram operator class comes from the pg_trgm extension (trusted: a database owner may create it).
event.listen(
    Submission.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)


@event.listens_for(Submission, "before_insert")
def _set_search_keys(_mapper: Any, _connection: Any, submission: Submission) -> None:
    """Every stored submission has its search keys, whichever code path stores it."""
    locale = current_app.config.get("SCREENING", {}).get("LOCALE", "") if has_app_context() else ""
    phone = submission.answers.get("phone") if isinstance(submission.answers, dict) else None
    region = search_keys.region_of(locale)
    submission.name_key = search_keys.name_key(submission.full_name or "")
    submission.phone_key = search_keys.phone_key(phone if isinstance(phone, str) else None, region)
    submission.email_key = search_keys.email_key(submission.email)


class FlagRecord(db.Model):  # type: ignore[name-defined,misc]
    """A rule that fired for a submission (a ``rules.Flag`` as stored): a snapshot of its words, never edited."""

    __tablename__ = "flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    rule_id: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    ruleset_version: Mapped[str] = mapped_column(String(20))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledgement: Mapped[Acknowledgement | None] = mapped_column(_enum(Acknowledgement))
    acknowledgement_note: Mapped[str | None] = mapped_column(String(500))

    submission: Mapped[Submission] = relationship(back_populates="flags")
    acknowledged_by: Mapped[StaffUser | None] = relationship()


class StaffRole(db.Model):  # type: ignore[name-defined,misc]
    """One role an account holds (an account holds one or more; the pair is unique)."""

    __tablename__ = "staff_role"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role), primary_key=True)


class StaffUser(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A clinic staff account: one person, one or more roles (``roles``: it may do what any of them may).
    Passwords are argon2id hashes; TOTP MFA is required (``mfa_secret`` is set at enrolment, from the
    ``pending_mfa_secret`` shown on the set-up page; ``mfa_last_step`` stops a code being used twice). A one-time
    password (``must_change_password``) stops working at ``password_expires_at``. Raising ``session_epoch`` ends
    every session of the account (logout, password change, deactivation)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role_rows: Mapped[list[StaffRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a one-time password's end
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    # the seed shown at enrolment, kept here (never in the session cookie) until the first code proves it
    pending_mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_last_step: Mapped[int] = mapped_column(default=0)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_epoch: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    @roles.setter
    def roles(self, wanted: frozenset[Role]) -> None:
        """Hold exactly ``wanted`` (rows for roles kept stay, so a pair is never deleted and inserted at once)."""
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            StaffRole(role=role) for role in Role if role in wanted and role not in self.roles
        ]

    def has_role(self, role: Role | str) -> bool:
        return role in self.roles

    @property
    def role_names(self) -> list[str]:
        """The roles in display order, e.g. ``["clinician", "admin"]``."""
        return [role.value for role in Role if role in self.roles]

    def get_id(self) -> str:
        """The session's user id carries the epoch: raising it signs out every session (Flask-Login)."""
        return f"{self.id}.{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return self.active


class ReviewEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only history of a submission's review: a status change (from, to) and/or a note, or a flag
    acknowledgement (``flag_id`` and ``acknowledgement``, with its note). The flag itself holds only the latest
    acknowledgement; every earlier one stays here."""

    __tablename__ = "review_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[SubmissionStatus | None] = mapped_column(_enum(SubmissionStatus, "from_status"))
    to_status: Mapped[SubmissionStatus | None] = mapped_column(_enum(SubmissionStatus, "to_status"))
    note: Mapped[str | None] = mapped_column(Text)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"), index=True)
    acknowledgement: Mapped[Acknowledgement | None] = mapped_column(_enum(Acknowledgement, "event_acknowledgement"))

    submission: Mapped[Submission] = relationship(back_populates="events")
    staff: Mapped[StaffUser] = relationship()
    flag: Mapped[FlagRecord | None] = relationship()


class LoginFailure(db.Model):  # type: ignore[name-defined,misc]
    """A failed staff login, kept briefly to throttle per address (the per-account count is on StaffUser)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    remote_addr: Mapped[str] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ResumeFailure(db.Model):  # type: ignore[name-defined,misc]
    """A wrong resume code or date of birth, kept briefly to limit tries per address (the per-code count is on
    Draft)."""

    __tablename__ = "resume_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    remote_addr: Mapped[str] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ClinicSetting(db.Model):  # type: ignore[name-defined,misc]
    """A setting an administrator changes in the app, not in the environment (e.g. ``intake_paused``: new forms are
    paused, with the clinic's message). One row per key; no row means the default."""

    __tablename__ = "clinic_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class Draft(db.Model):  # type: ignore[name-defined,misc]
    """A questionnaire in progress. The browser holds only a random token (in its session cookie); the
    database keeps a SHA-256 of it, so a leaked database cannot be used to resume someone's draft."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    completed_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_version: Mapped[str] = mapped_column(String(20))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submission_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # "Save and come back later" (patient/resume.py): the resume code and the emailed link's token, each stored only
    # as a hash; wrong tries against this draft's code, and until when it is locked after too many
    resume_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    resume_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    resume_failures: Mapped[int] = mapped_column(default=0)
    resume_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who did what to which submission, when and from where. Ids only, never answers.
    The submission is named by its reference as text (no foreign key), so a purge keeps the trail."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(20), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    #: The audit log is read newest first, (at, id): filtered by staff member or by action, each index gives the
    #: page in that order.
    __table_args__ = (
        Index("ix_audit_event_staff_id_at", "staff_id", "at"),
        Index("ix_audit_event_action_at", "action", "at", "id"),
    )


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """Outbox of staff alerts: one row per alert (``kind``: an urgent submission, or its escalation) and per
    delivery channel (``email``, ``webhook``, or ``file`` in development). Written in the submit transaction
    (or by the worker, for an escalation), sent after it commits, retried with back-off until sent: a failed
    send never loses the submission or the alert. ``next_attempt_at`` is when it may next be tried: a claim
    moves it forward by a lease, so a worker that dies mid-send leaves the alert to be retried. The unique
    (kind, reference, channel, event_key) means an alert exists once, however many workers decide to raise it
    (alerts keep ``event_key`` empty), while a submission's webhook events (``submission_events``) are one row
    each: ``event_key`` tells them apart and ``payload`` keeps the status and severity at the event."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="email")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    event_key: Mapped[str] = mapped_column(String(40), default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("kind", "reference", "channel", "event_key"),)


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token an administrator issues to an integration engine for the read-only FHIR API.

    The secret (``scr_`` + 256 random bits) is shown once, when it is created; only its SHA-256 (hex) is kept. A
    fast hash is right here, not a password hash: the secret is 256 random bits, so there is nothing to guess, and
    the lookup by hash is itself the constant-time comparison. ``prefix`` (the first characters of the secret) lets
    an administrator tell tokens apart; it is not enough to use one. A revoked token stays, for the audit trail."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scope: Mapped[str] = mapped_column(String(40), default="fhir.read")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[StaffUser] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[StaffUser | None] = relationship(foreign_keys=[revoked_by_id])
