"""The admin page for pausing new forms (``/staff/admin/intake``, admins only): whether new forms are open, a form to
pause them with a message for patients (or change that message), a preview of the page patients then see, and a
"Reopen new forms" button. Routes of the admin blueprint (``admin_views``, which imports this module last); every
change goes through ``screening.intake`` (audited, committed).

Each form carries the revision of the state it was shown on: a change offered on an older state (another
administrator changed it meanwhile) is refused with the page as it is now (409), keeping what was typed. The staff
pages' notice "New forms are paused" (``intake_notice``, a template global) costs one primary-key lookup.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from screening import intake
from screening.access import roles
from screening.extensions import db
from screening.models import Role, StaffUser
from screening.staff.admin_views import _actor, _page, bp
from screening.staff.forms import NoControlCharacters

MESSAGE_REQUIRED = "Enter a message for patients"
MESSAGE_TOO_LONG = f"Message for patients must be {intake.MESSAGE_MAX_LENGTH} characters or fewer"
PREVIEW_BUTTON = "preview"


def _tidy(value: Any) -> Any:
    """New lines as "\\n" whatever the browser sent, and no spaces around the whole message."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


class PauseForm(FlaskForm):
    """Pause new forms with a message (or change the message), or preview it (the ``preview`` button)."""

    message = TextAreaField(
        "Message for patients",
        widget=GovCharacterCount(),
        description="Patients who try to start a new form see this. Say until when, if you know, and what they "
        "can do meanwhile. For example: We are not taking new referrals until 3 March.",
        filters=[_tidy],
        validators=[
            DataRequired(MESSAGE_REQUIRED),
            Length(max=intake.MESSAGE_MAX_LENGTH, message=MESSAGE_TOO_LONG),
            NoControlCharacters(multiline=True),  # new lines make paragraphs
        ],
    )
    revision = IntegerField(validators=[InputRequired()])  # the state's revision shown


class ReopenForm(FlaskForm):
    revision = IntegerField(validators=[InputRequired()])  # the state's revision shown


@bp.record_once
def _register(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals.update(intake_notice=intake_notice)


def intake_notice() -> intake.Pause | None:
    """For staff/base.html: the pause in force, shown to every member of staff (patients may phone about it)."""
    if not current_user.is_authenticated or (request.endpoint or "").startswith("admin.intake"):
        return None
    return intake.paused()


def _name(staff_id: int | None) -> str:
    user = db.session.get(StaffUser, staff_id) if staff_id is not None else None
    return user.name if user is not None else "an account that no longer exists"


def _intake_page(
    pause_form: PauseForm | None = None,
    *,
    preview: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    now = intake.state()
    pause_form = pause_form or PauseForm(formdata=None, message=now.pause.message if now.pause else "")
    pause_form.revision.data = now.revision
    shown = preview if preview is not None else (now.pause.message if now.pause else None)
    return _page(
        "admin/intake.html",
        state=now,
        changed_by=_name(now.changed_by_id) if now.changed_at else None,
        pause_form=pause_form,
        preview=intake.paragraphs(shown) if shown else None,
        previewing=preview is not None,
        problem=problem,
        has_errors=bool(pause_form.errors) or problem is not None,
        max_length=intake.MESSAGE_MAX_LENGTH,
    ), status


def _stale(form: PauseForm | None = None) -> ResponseReturnValue:
    return _intake_page(
        form,
        problem="Someone else changed new forms meanwhile. Check the page as it is now, then try again",
        status=409,
    )


@bp.get("/intake")
@roles(Role.ADMIN)
def intake_page() -> ResponseReturnValue:
    """Whether new forms are open, and the forms to pause (with a message) or reopen them."""
    return _intake_page()


@bp.post("/intake/pause")
@roles(Role.ADMIN)
def intake_pause() -> ResponseReturnValue:
    """Pause new forms with the message (or change the message of the pause in force), or preview the message."""
    form = PauseForm()
    if not form.validate_on_submit():
        return _intake_page(form, status=400)
    message = form.message.data or ""
    if request.form.get(PREVIEW_BUTTON):
        return _intake_page(form, preview=message)
    was_paused = intake.paused() is not None
    try:
        intake.pause(message, _actor(), request.remote_addr, revision=form.revision.data or 0)
    except intake.StaleChange as stale:
        db.session.rollback()
        intake.record_conflict(_actor(), request.remote_addr, stale, attempt="pause", had_revision=form.revision.data)
        return _stale(form)
    flash(
        "The message for patients has changed"
        if was_paused
        else "New forms are paused. Anyone who starts a new form now sees your message; forms already started can "
        "still be sent"
    )
    return redirect(url_for(".intake_page"))


@bp.post("/intake/reopen")
@roles(Role.ADMIN)
def intake_reopen() -> ResponseReturnValue:
    """Open new forms again."""
    form = ReopenForm()
    if not form.validate_on_submit():
        return _intake_page(problem="Reload this page, then select Reopen new forms again", status=400)
    try:
        changed = intake.reopen(_actor(), request.remote_addr, revision=form.revision.data or 0)
    except intake.StaleChange as stale:
        db.session.rollback()
        intake.record_conflict(_actor(), request.remote_addr, stale, attempt="reopen", had_revision=form.revision.data)
        return _stale()
    flash("New forms are open again: patients can start a new form" if changed else "New forms were already open")
    return redirect(url_for(".intake_page"))
