"""The patient blueprint's last pages: check your answers (every answer as ``presenter`` words it, with a change
link), submit (once, by the draft's one-time token, then the urgent notification and, when the clinic
switched it on, the patient's email receipt: ``receipt``), the confirmation with the
reference (for ``CONFIRMATION_MINUTES`` in this browser) and "Finish and clear this page". The blueprint, the
session keys and the helpers it shares with the question pages are in ``views``, which imports this module to
register these routes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField

from screening import clock, forms, notifications, rules
from screening.access import public
from screening.clinical import journey, presenter, questionnaire
from screening.extensions import db
from screening.models import Submission
from screening.patient import drafts as services
from screening.patient import receipt
from screening.patient.views import (
    CONFIRMATION_MINUTES,
    SESSION_DRAFT,
    SESSION_REFERENCE,
    SESSION_SENT_AT,
    bp,
    crisis,
    current_article,
    current_draft,
    forget_progress,
    forget_sent,
    page,
    sending_early,
    settings,
    skipped_steps,
    today,
)

log = logging.getLogger(__name__)


class SubmitForm(FlaskForm):
    """Check your answers: the POST that submits, carrying the draft's one-time submission token."""

    submission_token = HiddenField()


class FinishForm(FlaskForm):
    """A CSRF-only form for "Finish and clear this page" on the confirmation page."""


@bp.get("/questionnaire/check")
@public
def check() -> ResponseReturnValue:
    """Every answer as the patient saw it, by step, each with a Change link that returns here."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    skipped = skipped_steps(draft)
    pending = None if sending_early() else journey.first_incomplete(draft.completed_steps, draft.answers)
    if pending is not None:
        return redirect(url_for(".step", step_id=pending))
    pending = forms.first_invalid_step(draft.answers, today=today(), min_age=settings()["MIN_AGE"], skip=skipped)
    if pending is not None:  # a question that became required after a change
        return redirect(url_for(".step", step_id=pending, return_to="check"))
    form = SubmitForm(submission_token=draft.submission_token)
    return page(
        "patient/check.html",
        sections=patient_sections(draft.answers, skip=skipped),
        form=form,
        skipped=[questionnaire.STEP_BY_ID[step_id] for step_id in skipped],
    )


def patient_sections(answers: dict[str, Any], *, skip: list[str]) -> list[presenter.AnswerSection]:
    """The pages the patient answered, each with its shown questions in the definition's order and every answer in
    the words the staff page, the summary and the CSV use too (``presenter``), translated for the patient: check your
    answers and the patient's copy of them (``copy_views``)."""
    return presenter.answer_sections(
        answers,
        locale=settings()["LOCALE"],
        date_order=settings()["DATE_ORDER"],
        translate=gettext,
        skipped=skip,
        include_skipped=False,
    )


@bp.post("/questionnaire/submit")
@public
def submit() -> ResponseReturnValue:
    """Submit once: a replay or double click with the same one-time token lands on the same confirmation."""
    form = SubmitForm()
    token = form.submission_token.data or ""
    draft = current_draft()
    if draft is None or (token and token != draft.submission_token):
        existing = services.find_submission_by_token(token) if form.validate_on_submit() else None
        if existing is None:
            return redirect(url_for(".start"))
        return _confirmed(existing)
    if not form.validate_on_submit():
        return redirect(url_for(".check"))
    try:
        submission = services.submit(
            draft,
            article=current_article(),
            today=today(),
            min_age=settings()["MIN_AGE"],
            remote_addr=request.remote_addr,
            early=sending_early(),
        )
    except services.SubmitError as problem:
        return redirect(url_for(".step", step_id=problem.step_id, return_to="check"))
    notifications.send_after_submit(submission.reference)
    receipt.send_after_submit(submission, settings())  # at most once per submission; never raises
    return _confirmed(submission)


def _confirmed(submission: Submission) -> ResponseReturnValue:
    """Remember the reference and when it was sent (a replay keeps the first sending time), then show it."""
    session.pop(SESSION_DRAFT, None)
    forget_progress()
    session[SESSION_REFERENCE] = submission.reference
    session[SESSION_SENT_AT] = submission.submitted_at.timestamp()
    return redirect(url_for(".confirmation"))


def sent_submission() -> Submission | None:
    """The submission this browser sent in the last ``CONFIRMATION_MINUTES``; None (and forgotten) after that. The
    confirmation and the patient's copy of their answers (``copy_views``) are shown only for it."""
    reference, sent_at = session.get(SESSION_REFERENCE), session.get(SESSION_SENT_AT)
    if not isinstance(reference, str) or not isinstance(sent_at, int | float) or isinstance(sent_at, bool):
        forget_sent()
        return None
    if clock.now() - datetime.fromtimestamp(sent_at, UTC) >= timedelta(minutes=CONFIRMATION_MINUTES):
        forget_sent()  # on a shared device, the next person must not see it
        return None
    submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
    if submission is None:  # purged meanwhile
        forget_sent()
    return submission


@bp.get("/questionnaire/confirmation")
@public
def confirmation() -> ResponseReturnValue:
    """The reference, what happens next, and (calm, first) any message the rules have for the patient. When an
    urgent rule fired, the clinic's urgent promise (``URGENT_REPLY_TIME``), never the routine reply time, with
    the numbers to call above it. Viewable for ``CONFIRMATION_MINUTES`` after sending; then the start page."""
    submission = sent_submission()
    if submission is None:
        return redirect(url_for(".start"))
    fired = [rules.RULES_BY_ID[flag.rule_id] for flag in submission.flags if flag.rule_id in rules.RULES_BY_ID]
    messages = list(dict.fromkeys(rule.patient_message for rule in fired if rule.patient_message))
    urgent = any(flag.severity == rules.Severity.URGENT.value for flag in submission.flags)
    return page(
        "patient/confirmation.html",
        reference=submission.reference,
        messages=messages,
        show_support=any(rule.support_contacts for rule in fired),
        crisis=crisis(),
        reply_time=None if urgent else settings()["REPLY_TIME"],
        urgent_reply_time=settings()["URGENT_REPLY_TIME"] if urgent else None,
        can_start_again=False,
        finish_form=FinishForm(),
        confirmation_minutes=CONFIRMATION_MINUTES,
    )


@bp.post("/questionnaire/finish")
@public
def finish() -> ResponseReturnValue:
    """The "Finish and clear this page" button: forget the reference in this browser, show the start page.
    (CSRFProtect checks the token first; a stale one is handled in ``csrf_error``, which forgets it too.)"""
    forget_sent()
    forget_progress()
    return redirect(url_for(".start"))
