"""Every write: start, save and delete drafts, submit, purge expired drafts, audit events.

Views never write rows; they call these functions. Each function that commits says so. Patient answers
never reach a log line or an audit event (ids only).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from screening import notifications, rules, submission_events
from screening.audit import audit
from screening.clinical import dates, journey, questionnaire, validation
from screening.extensions import db, utcnow
from screening.models import NO_FLAGS_PRIORITY, Draft, FlagRecord, Submission, new_reference
from screening.patient import resume
from screening.patient.article import Article
from screening.patient.fields import email_valid
from screening.patient.phones import phone_kind

log = logging.getLogger(__name__)

#: What ``secrets.token_urlsafe`` can issue: anything else (a NUL byte, which PostgreSQL refuses in text) is no token.
_ISSUABLE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SubmitError(RuntimeError):
    """The answers cannot be submitted yet: ``step_id`` is the first step that needs attention."""

    def __init__(self, step_id: str) -> None:
        super().__init__(f"step {step_id} needs attention")
        self.step_id = step_id


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- drafts ---------------------------------------------------------------------------------------
def start_draft(*, draft_days: int, now: datetime | None = None) -> tuple[Draft, str]:
    """A new draft, made when the patient consents to storing their answers. Commits. Returns the draft
    and the token for the browser's session cookie (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    draft = Draft(
        token_hash=_hash(token),
        answers={"consent_store": True},
        completed_steps=["start"],
        consent_version=questionnaire.CONSENT_VERSION,
        consented_at=now,
        submission_token=secrets.token_urlsafe(32),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=draft_days),
    )
    db.session.add(draft)
    db.session.commit()
    return draft, token


def find_draft(token: str | None, *, now: datetime | None = None) -> Draft | None:
    """The live draft for a browser's token, or None (no token, unknown, or expired)."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    draft: Draft | None = db.session.scalar(select(Draft).where(Draft.token_hash == _hash(token)))
    if draft is None or draft.expires_at <= (now or utcnow()):
        return None
    return draft


def save_step(
    draft: Draft, step_id: str, values: Mapping[str, Any], *, draft_days: int, now: datetime | None = None
) -> None:
    """Store one step's answers in the draft and mark it completed. Answers whose questions are no
    longer shown (a parent answer changed) are dropped. Extends the draft's life. Commits."""
    now = now or utcnow()
    step = questionnaire.STEP_BY_ID[step_id]
    answers = {qid: value for qid, value in draft.answers.items() if questionnaire.STEP_OF[qid] is not step}
    answers.update(values)
    draft.answers = dict(questionnaire.clean_answers(answers).values)
    draft.completed_steps = [s.id for s in questionnaire.STEPS if s.id in {*draft.completed_steps, step_id}]
    draft.updated_at = now
    draft.expires_at = now + timedelta(days=draft_days)
    db.session.commit()


def delete_draft(draft: Draft) -> None:
    """Forget a draft ("Start again"). Commits."""
    db.session.delete(draft)
    db.session.commit()


def purge_expired_drafts(*, now: datetime | None = None) -> int:
    """Delete every expired draft, and the wrong tries to resume one that no longer count (``resume``). Commits.
    Returns how many drafts were deleted."""
    now = now or utcnow()
    result = db.session.execute(delete(Draft).where(Draft.expires_at <= now))
    resume.purge_old_failures(now=now)
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


# --- submit ---------------------------------------------------------------------------------------
def find_submission_by_token(submission_token: str) -> Submission | None:
    """The submission made with this one-time token, or None (also for a value we could never have issued)."""
    if not isinstance(submission_token, str) or not _ISSUABLE_TOKEN.fullmatch(submission_token):
        return None
    return db.session.scalar(select(Submission).where(Submission.submission_token == submission_token))


def unanswered_steps(draft: Draft) -> list[str]:
    """The ids of the pages shown to this patient that they have not answered yet, in order: what sending early
    skips."""
    done = set(draft.completed_steps or ())
    return [step.id for step in journey.shown_steps(draft.answers) if step.id not in done]


def _submission(
    draft: Draft, assessment: rules.Assessment, article: Article, now: datetime, skipped_steps: list[str]
) -> Submission:
    answers = dict(assessment.answers.values)
    flags = assessment.flags
    date_of_birth = dates.parse_date(answers.get("date_of_birth"))
    if date_of_birth is None:  # validation has already checked it; keep the type checker honest
        raise SubmitError("about_you")
    submission = Submission(
        reference=new_reference(),
        submitted_at=now,
        priority=max((flag.severity.rank for flag in flags), default=NO_FLAGS_PRIORITY),
        questionnaire_version=questionnaire.QUESTIONNAIRE_VERSION,
        ruleset_version=rules.RULESET_VERSION,
        article_version=article.version,
        consent_version=draft.consent_version,
        consented_at=draft.consented_at,
        answers=answers,
        scores={key: asdict(score) for key, score in assessment.scores.items()},
        medicines=[[line, [_match_json(m) for m in matches]] for line, matches in assessment.medicines],
        rule_config=asdict(assessment.config),
        full_name=answers["full_name"],
        date_of_birth=date_of_birth,
        email=answers.get("email"),
        submission_token=draft.submission_token,
        skipped_steps=skipped_steps,
    )
    submission.flags = [
        FlagRecord(
            position=index,
            rule_id=flag.rule_id,
            severity=flag.severity.value,
            title=flag.title,
            evidence=flag.evidence,
            rationale=flag.rationale,
            source=flag.source,
            ruleset_version=rules.RULESET_VERSION,
        )
        for index, flag in enumerate(flags)
    ]
    return submission


def _match_json(match: Any) -> dict[str, Any]:
    return {
        "text": match.text,
        "name": match.name,
        "generics": list(match.generics),
        "classes": sorted(match.classes),
        "confident": match.confident,
        "ambiguous": match.ambiguous,
    }


def _test_pause_before_commit() -> None:
    """Tests only (``SCREENING_TEST_PAUSE_BEFORE_COMMIT``, refused in production): write the submission's rows, then
    wait before the commit, so a test can kill the worker between its INSERTs and its COMMIT."""
    from flask import current_app

    seconds = current_app.config["SCREENING"]["TEST_PAUSE_BEFORE_COMMIT"]
    if seconds:
        db.session.flush()
        log.warning("test pause before commit: %.1f s", seconds)
        time.sleep(seconds)


def submit(
    draft: Draft,
    *,
    article: Article,
    today: date,
    min_age: int,
    remote_addr: str | None,
    now: datetime | None = None,
    early: bool = False,
) -> Submission:
    """Turn a complete draft into a submission, in ONE transaction: the submission with its answers,
    scores, medicine matches, rule config and versions, its flags, a ``submission.created`` audit event,
    an outbox ``Notification`` when it is urgent (sent after the commit: ``notifications``), a ``submission.created``
    webhook event when configured (``submission_events``), and the draft
    deleted. Every step is validated again first, by the pure core (``validation.first_invalid_step``, with the
    forms' email rule), on the stored answers as they are; a problem raises ``SubmitError``. The draft's
    one-time submission token is unique in the database, so a double click or a replay yields the one
    submission that exists (returned as it is). On any failure nothing is written and the draft stays.

    ``early``: the patient chose "Send my answers now" (the support page) before answering every page. The pages
    they have not answered (``unanswered_steps``) are stored in ``skipped_steps`` and not validated; the rules see
    only what was given. The page with the name and date of birth can never be skipped."""
    # Read now: after a rollback the draft is expired, and a concurrent submit may already have deleted its row.
    submission_token = draft.submission_token
    existing = find_submission_by_token(submission_token)
    if existing is not None:
        return existing
    skipped = unanswered_steps(draft) if early else []
    identity = questionnaire.STEP_OF["full_name"].id
    if identity in skipped:  # a submission needs a name and a date of birth
        raise SubmitError(identity)
    step_id = validation.first_invalid_step(
        draft.answers, today=today, min_age=min_age, skip=skipped, email_valid=email_valid, phone_kind=phone_kind
    )
    if step_id is not None:
        raise SubmitError(step_id)
    now = now or utcnow()
    from flask import current_app

    # The clinic's locale worded the questionnaire and picks the AUDIT-C version that scores it; the assessment's
    # config (stored as rule_config) records it, and the score records the version ("AUDIT-C (UK)").
    assessment = rules.assess(draft.answers, today=today, locale=current_app.config["SCREENING"]["LOCALE"])
    submission = _submission(draft, assessment, article, now, skipped)
    try:
        for _ in range(5):  # a reference collision (1 in 10^12) is retried with a new one
            if db.session.scalar(select(Submission.id).where(Submission.reference == submission.reference)) is None:
                break
            submission.reference = new_reference()
        db.session.add(submission)
        audit(
            "submission.created",
            reference=submission.reference,
            remote_addr=remote_addr,
            flags=len(assessment.flags),
            priority=submission.priority,
            skipped_steps=len(skipped),
        )
        if submission.priority == rules.Severity.URGENT.rank:  # the outbox row commits with the submission
            notifications.enqueue(notifications.URGENT_SUBMISSION, submission.reference, now=now)
        submission_events.created(submission, now=now)  # the integration engine's event, when configured
        db.session.delete(draft)
        _test_pause_before_commit()
        db.session.commit()
    except (IntegrityError, StaleDataError):  # a concurrent request submitted the same draft first
        db.session.rollback()
        existing = find_submission_by_token(submission_token)
        if existing is None:
            raise
        return existing
    except Exception:
        db.session.rollback()
        raise
    log.info("submission created: %s with %d flags", submission.reference, len(assessment.flags))
    return submission
