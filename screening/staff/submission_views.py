"""The staff blueprint, part two: a submission's page (flags, scores, medicines, answers; status, notes, history,
pick-up, flag acknowledgement). Reads build view-models (``staff_display``); every write goes through ``review``;
every view is role-tagged and ``no-store``. Its routes join ``views.bp``, which imports this module last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from screening import clock, rules
from screening.access import ALL_STAFF, roles
from screening.clinical import dates
from screening.models import Acknowledgement, Role, StaffUser, Submission, SubmissionStatus
from screening.staff import contact as staff_contact
from screening.staff import display as staff_display
from screening.staff import escalation, repeat_views, review
from screening.staff.forms import AcknowledgeForm, NoteForm, PickUpForm, StatusForm
from screening.staff.views import (
    bp,
    clinic_today,
    clinic_zone,
    current_staff,
    find_or_404,
    record_not_found,
    render_no_store,
    settings,
    waited,
)

# --- the submission page ---------------------------------------------------------------------------------------------
_FIRST_FIELD = {"status": "status", "note": "note", "ack": "acknowledgement", "repeat": "by"}


def _error(form: FlaskForm | None, prefix: str) -> list[dict[str, str]]:
    """Error summary links for a posted form (field ids are ``<prefix>-<field>``). A missing or broken version
    (a form from an old page, or a crafted one) is told to reload."""
    if form is None:
        return []
    errors = [
        {"text": message, "href": f"#{prefix}-{name}"}
        for name, messages in form.errors.items()
        if name not in ("csrf_token", "version")
        for message in messages
    ]
    if "version" in form.errors:
        first = _FIRST_FIELD[prefix.split("-")[0]]
        errors.append({"text": "This form is out of date: reload the page and try again", "href": f"#{prefix}-{first}"})
    return errors


def _conflict_message(conflict: review.Conflict, latest: SubmissionStatus) -> str:
    """ "Dr Cleo Clinician changed this at 14:05 (status: In review). Your change was not saved: check and save again"
    (with the date when not today). The page shows the latest values and keeps the person's unsaved input."""
    changed = "Someone else changed this"
    if conflict.at is not None:
        local = conflict.at.astimezone(clinic_zone())
        when = f"{local:%H:%M}" if local.date() == clinic_today() else f"{local:%H:%M} on {dates.short_date(local)}"
        changed = f"{conflict.by or 'Someone else'} changed this at {when}"
    status = staff_display.STATUS_LABELS[latest.value]
    return f"{changed} (status: {status}). Your change was not saved: check and save again"


def _move_back_message(current: SubmissionStatus, to: SubmissionStatus) -> str:
    """The note a move back needs, naming both statuses."""
    labels = staff_display.STATUS_LABELS
    return (
        f"Enter a note to say why you are moving this back from {labels[current.value]} to {labels[to.value]}, "
        "so the next person knows what happened"
    )


def _submission_page(
    submission: Submission,
    *,
    status: int = 200,
    status_form: StatusForm | None = None,
    note_form: NoteForm | None = None,
    ack_form: AcknowledgeForm | None = None,
    ack_rule: str | None = None,
    conflict: review.Conflict | None = None,
    conflict_target: str | None = None,
    repeat_form: FlaskForm | None = None,
) -> ResponseReturnValue:
    """The page; every rendering (also with a form's errors) is a view of the answers and is audited."""
    user = current_staff()
    review.record_view(submission, actor=user, remote_addr=request.remote_addr)
    held = user.roles  # read again after the commit, before the reload below (which leaves loaded accounts alone)
    submission = review.reload(submission)  # the commit expired it: its flags, events and their staff at once
    view = staff_display.submission_view(
        submission, zone=clinic_zone(), today=clinic_today(), date_order=settings()["DATE_ORDER"]
    )
    errors = _error(status_form, "status") + _error(note_form, "note") + _error(ack_form, f"ack-{ack_rule}")
    errors += _error(repeat_form, "repeat")
    if conflict is not None:
        target = conflict_target or (
            "#status-note" if status_form else "#note-note" if note_form else f"#ack-{ack_rule}-acknowledgement"
        )
        errors.insert(0, {"text": _conflict_message(conflict, submission.status), "href": target})
    current = submission.status
    choices = [
        (value.value, staff_display.STATUS_LABELS[value.value], review.is_move_back(current, value))
        for value in review.settable_statuses(held)
        if value is not current
    ]
    return render_no_store(
        "staff/submission.html",
        status,
        view=view,
        version=submission.version_id,
        errors=errors,
        status_form=status_form,
        note_form=note_form,
        ack_form=ack_form,
        ack_rule=ack_rule,
        status_choices=choices,
        may_change=review.may_change_from(held, current),
        can_acknowledge=review.may_acknowledge(held),
        has_errors=bool(errors),
        note_max=review.NOTE_MAX_LENGTH,
        ack_note_max=review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
        pick_up=_pick_up_view(submission, user),
        contact=staff_contact.contact_view(
            submission.full_name,
            submission.answers,
            locale=rules.stored_locale(getattr(submission, "rule_config", None)),
        ),
        repeats=repeat_views.panel(submission, user),
        repeat_form=repeat_form,
    )


submission_page = _submission_page  # for the other modules of the page's forms (repeat_views)


def _pick_up_view(submission: Submission, user: StaffUser) -> dict[str, Any] | None:
    """The pick-up part of an urgent submission's contact panel: who picked it up and when, or how long it has
    waited and when it escalates, and whether this user may pick it up (the numbers are in ``contact``)."""
    if submission.priority != review.URGENT_PRIORITY:
        return None
    zone, now = clinic_zone(), clock.now()
    view: dict[str, Any] = {"may_pick_up": review.may_pick_up(user.roles)}
    if submission.picked_up_at is not None:
        by = submission.picked_up_by
        view["picked_up"] = {
            "by": by.name if by is not None else "a former member of staff",
            "when": dates.moment_words(submission.picked_up_at, zone),
            "iso": _iso(submission.picked_up_at),
        }
    elif submission.status in escalation.WAITING_STATUSES:
        due = escalation.deadline(submission)
        view["waiting"] = {
            "waited": waited(submission.submitted_at, now),
            "escalates": dates.moment_words(due, zone),
            "escalated": due <= now,
            "iso": _iso(due),
        }
    return view


def _iso(moment: datetime) -> str:
    return moment.astimezone(clinic_zone()).isoformat(timespec="minutes")


@bp.get("/submissions/<reference:reference>")
@roles(*ALL_STAFF)
def submission(reference: str) -> ResponseReturnValue:
    return _submission_page(find_or_404(reference))


def _back(reference: str, anchor: str) -> ResponseReturnValue:
    return redirect(url_for(".submission", reference=reference, _anchor=anchor))


def _lost(submission: Submission, conflict: review.Conflict, attempt: str, had: int | None, **ids: Any) -> None:
    """The losing writer of a concurrent change is audited too (``submission.conflict``), before the 409 page."""
    review.record_conflict(
        submission,
        conflict,
        actor=current_staff(),
        remote_addr=request.remote_addr,
        attempt=attempt,
        had_version=had,
        **ids,
    )


def _refused(submission: Submission, **ids: Any) -> NoReturn:
    review.record_denied(
        submission, actor=current_staff(), remote_addr=request.remote_addr, endpoint=request.endpoint or "", **ids
    )
    abort(403)


@bp.post("/submissions/<reference:reference>/status")
@roles(*ALL_STAFF)
def change_status(reference: str) -> ResponseReturnValue:
    """Set a new status (only those the role may set; a move back needs a note). Only the declared fields are
    read, so extra POST fields are ignored."""
    submission = find_or_404(reference)
    form = StatusForm()
    if not form.validate():
        return _submission_page(submission, status=400, status_form=form)
    to = SubmissionStatus(form.status.data)
    try:
        review.change_status(
            submission,
            to,
            actor=current_staff(),
            expected_version=form.version.data or 0,
            note=form.note.data,
            remote_addr=request.remote_addr,
        )
    except review.NotAllowed:
        _refused(submission, to_status=to.value)
    except review.Conflict as conflict:
        _lost(submission, conflict, "status", form.version.data, to_status=to.value)
        form.version.data = conflict.version  # their note stays in the form; the page now shows the latest
        return _submission_page(submission, status=409, status_form=form, conflict=conflict)
    except review.Invalid as problem:
        no_note = problem.field == "note" and not (form.note.data or "").strip()
        moving_back = no_note and review.is_move_back(submission.status, to)
        message = _move_back_message(submission.status, to) if moving_back else problem.message
        getattr(form, problem.field).errors = [message]
        return _submission_page(submission, status=400, status_form=form)
    flash(f"Status changed to {staff_display.STATUS_LABELS[to.value].lower()}")
    return _back(reference, "review")


@bp.post("/submissions/<reference:reference>/notes")
@roles(*ALL_STAFF)
def add_note(reference: str) -> ResponseReturnValue:
    """Append a note to the submission's history (notes are never edited or deleted)."""
    submission = find_or_404(reference)
    form = NoteForm()
    if not form.validate():
        return _submission_page(submission, status=400, note_form=form)
    try:
        review.add_note(
            submission,
            form.note.data or "",
            actor=current_staff(),
            expected_version=form.version.data or 0,
            remote_addr=request.remote_addr,
        )
    except review.Conflict as conflict:
        _lost(submission, conflict, "note", form.version.data)
        form.version.data = conflict.version
        return _submission_page(submission, status=409, note_form=form, conflict=conflict)
    except review.Invalid as problem:
        form.note.errors = [problem.message]
        return _submission_page(submission, status=400, note_form=form)
    flash("Note added")
    return _back(reference, "history")


@bp.post("/submissions/<reference:reference>/pick-up")
@roles(Role.CLINICIAN)
def pick_up(reference: str) -> ResponseReturnValue:
    """A clinician picks up an urgent submission: "I'm calling the patient" (stops the counter and the escalation)."""
    submission = find_or_404(reference)
    form = PickUpForm()
    if not form.validate():
        return _submission_page(submission, status=400)
    try:
        review.pick_up(
            submission, actor=current_staff(), expected_version=form.version.data or 0, remote_addr=request.remote_addr
        )
    except review.NotAllowed:
        _refused(submission, action="pick_up")
    except review.Invalid:
        abort(400)
    except review.Conflict as conflict:
        _lost(submission, conflict, "pick_up", form.version.data)
        return _submission_page(submission, status=409, conflict=conflict, conflict_target="#pick-up")
    flash("You have picked this up: the patient is waiting for your call")
    return _back(reference, "pick-up")


@bp.post("/submissions/<reference:reference>/flags/<rule_id:rule_id>")
@roles(Role.CLINICIAN)
def acknowledge_flag(reference: str, rule_id: str) -> ResponseReturnValue:
    """A clinician acknowledges one flag: discussed, not relevant or needs follow-up, with an optional short note."""
    submission = find_or_404(reference)
    flag = next((flag for flag in submission.flags if flag.rule_id == rule_id), None)
    if flag is None:
        record_not_found(reference=reference, rule_id=rule_id)
        abort(404)
    form = AcknowledgeForm()
    if not form.validate():
        form.name_the_flag(flag.title)
        return _submission_page(submission, status=400, ack_form=form, ack_rule=rule_id)
    try:
        review.acknowledge_flag(
            flag,
            Acknowledgement(form.acknowledgement.data),
            actor=current_staff(),
            expected_version=form.version.data or 0,
            note=form.note.data,
            remote_addr=request.remote_addr,
        )
    except review.NotAllowed:
        _refused(submission, rule_id=rule_id)
    except review.Conflict as conflict:
        _lost(submission, conflict, "acknowledgement", form.version.data, rule_id=rule_id)
        form.version.data = conflict.version
        return _submission_page(submission, status=409, ack_form=form, ack_rule=rule_id, conflict=conflict)
    except review.Invalid as problem:
        form.note.errors = [problem.message]
        form.name_the_flag(flag.title)
        return _submission_page(submission, status=400, ack_form=form, ack_rule=rule_id)
    flash("Flag acknowledged")
    return _back(reference, f"flag-{rule_id}")
