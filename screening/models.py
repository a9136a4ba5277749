"""SQLAlchemy 2 models: submissions and their flags, patients' drafts, the audit trail.

Rows are written only by ``services``. Datetimes are timezone-aware UTC (``extensions.UTCDateTime``).
Staff accounts and review events arrive with the staff workspace.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.extensions import UTCDateTime, db, utcnow


class SubmissionStatus(StrEnum):
    """Where a submission is in the clinic's review (DESIGN.md, "Statuses")."""

    NEW = "new"
    IN_REVIEW = "in_review"
    AWAITING_PATIENT = "awaiting_patient"
    CONSULT_OFFERED = "consult_offered"
    NOT_SUITABLE = "not_suitable"
    WITHDRAWN = "withdrawn"


#: Queue priority: the rank of the highest flag (urgent 3, discuss 2, caution 1, info 0), -1 for none.
NO_FLAGS_PRIORITY = -1


class Submission(db.Model):  # type: ignore[name-defined,misc]
    """One submitted questionnaire: the answers as given, what was derived from them, and the versions
    of the questionnaire, rule set and article used, so it can always be read as it was submitted."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[SubmissionStatus] = mapped_column(
        Enum(SubmissionStatus, native_enum=False, length=20, create_constraint=True,
             values_callable=lambda statuses: [s.value for s in statuses]),
        default=SubmissionStatus.NEW)
    priority: Mapped[int] = mapped_column(index=True)
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

    flags: Mapped[list[Flag]] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                             order_by="Flag.position", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version_id}


class Flag(db.Model):  # type: ignore[name-defined,misc]
    """A rule that fired for a submission: a snapshot of the rule's words at submission, never edited."""

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

    submission: Mapped[Submission] = relationship(back_populates="flags")


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


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who did what to which submission, when and from where. Ids only, never answers.
    The submission is named by its reference as text (no foreign key), so a purge keeps the trail."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str | None] = mapped_column(String(20), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_event_staff_id_at", "staff_id", "at"),)
