"""The staff blueprint, repeat submissions: the "Also submitted" panel of a submission's page (``panel``, built for
``submission_views``) and the form that marks a submission as superseded by another of the same person, or undoes
that (clinicians and administrators; ``repeats`` writes and audits). Its routes join ``views.bp``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length

from screening.access import roles
from screening.models import StaffUser, Submission
from screening.staff import repeats, review
from screening.staff.forms import NoControlCharacters
from screening.staff.views import bp, current_staff, find_or_404

#: The "by" value that undoes the mark.
NOT_SUPERSEDED = "none"


class SupersedeForm(FlaskForm):
    by = StringField(
        validators=[
            InputRequired("Select the submission that replaces this one"),
            Length(max=20),
            NoControlCharacters(),
        ]
    )
    version = IntegerField(validators=[InputRequired()])


def panel(submission: Submission, user: StaffUser) -> dict[str, Any]:
    """What the submission page shows of the same person's other submissions: their references (oldest first),
    the one that supersedes this one, the ones this one supersedes, and whether this user may mark it."""
    others = repeats.others(submission)
    return {
        "others": [other.reference for other in others],
        "superseded_by": repeats.superseded_by(submission),
        "supersedes": repeats.supersedes(submission),
        "choices": [other.reference for other in others if other.superseded_by_id != submission.id],
        "may_mark": repeats.may_supersede(user.roles),
        "not_superseded": NOT_SUPERSEDED,
    }


@bp.post("/submissions/<reference:reference>/superseded-by")
@roles(*repeats.MAY_SUPERSEDE)
def mark_superseded(reference: str) -> ResponseReturnValue:
    """Mark the submission as superseded by another submission of the same person ("none": not superseded)."""
    from screening.staff.submission_views import submission_page  # its module imports this one's panel

    submission = find_or_404(reference)
    form = SupersedeForm()
    if not form.validate():
        return submission_page(submission, status=400, repeat_form=form)
    by = None if form.by.data == NOT_SUPERSEDED else form.by.data
    try:
        repeats.mark_superseded(
            submission,
            by,
            actor=current_staff(),
            expected_version=form.version.data or 0,
            remote_addr=request.remote_addr,
        )
    except review.NotAllowed:  # pragma: no cover - the role check above refuses first
        abort(403)
    except review.Conflict as conflict:
        review.record_conflict(
            submission,
            conflict,
            actor=current_staff(),
            remote_addr=request.remote_addr,
            attempt="superseded",
            had_version=form.version.data,
        )
        form.version.data = conflict.version
        return submission_page(
            submission, status=409, repeat_form=form, conflict=conflict, conflict_target="#repeat-by"
        )
    except review.Invalid as problem:
        form.by.errors = [problem.message]
        return submission_page(submission, status=400, repeat_form=form)
    flash(f"Marked as superseded by {by}" if by else "No longer marked as superseded")
    return redirect(url_for(".submission", reference=reference, _anchor="repeats"))
