"""The staff blueprint: the review queue (filters, POSTed search, keyset pages) and a submission's page (flags,
scores, medicines, answers; status, notes, history, flag acknowledgement). Reads build view-models
(``review_queue``, ``staff_display``); every write goes through ``review``. Every view is role-tagged (``access``),
``no-store``, and addresses submissions by reference, never by row id. No patient data in URLs or flash messages.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from screening import clock, notifications
from screening.access import ALL_STAFF, roles
from screening.clinical import dates, scoring
from screening.models import Acknowledgement, Role, StaffUser, Submission, SubmissionStatus
from screening.staff import display as staff_display
from screening.staff import escalation, review
from screening.staff import queue as review_queue
from screening.staff.forms import NoControlCharacters

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.record_once
def _register(state: BlueprintSetupState) -> None:
    """The words for statuses, severities and acknowledgements as template globals (so macros such as
    staff/_tags.html, and the printable summary, use the same words without being passed them)."""
    state.app.jinja_env.globals.update(
        status_labels=staff_display.STATUS_LABELS,
        severity_labels=staff_display.SEVERITY_LABELS,
        acknowledgement_labels=staff_display.ACKNOWLEDGEMENT_LABELS,
        urgent_waiting=urgent_waiting,
        alert_problems=alert_problems,
    )


def waited(since: datetime, now: datetime) -> str:
    """ "35 minutes", "1 hour 20 minutes", "2 days 3 hours": how long something has waited, in words."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] + ([(minutes, "minute")] if not days else [])
    words = [f"{count} {unit}{'s' if count != 1 else ''}" for count, unit in parts if count]
    return " ".join(words) or "less than a minute"


def urgent_waiting() -> dict[str, Any] | None:
    """The staff pages' counter (staff/base.html): urgent submissions nobody has picked up, and how long the oldest
    has waited; None when there are none."""
    now = clock.now()
    waiting = escalation.waiting()
    if not waiting.count or waiting.oldest is None:
        return None
    return {"count": waiting.count, "waited": waited(waiting.oldest, now)}


def alert_problems() -> list[str]:
    """Warnings about the urgent alert route for the staff pages: switched off (admins), or alerts not going out
    (everyone: until they do, the queue is the only way an urgent patient is seen)."""
    problems = []
    if not settings()["URGENT_ALERTS"] and current_user.is_authenticated and current_user.role is Role.ADMIN:
        problems.append(
            "Urgent alerts are switched off (SCREENING_URGENT_ALERTS=off): nobody is emailed or paged "
            "about an urgent submission. Make sure someone watches this queue all day."
        )
    stuck = notifications.overdue(now=clock.now())
    if stuck:
        problems.append(
            f"{stuck} urgent alert{'s are' if stuck != 1 else ' is'} not going out. Watch this queue, "
            "and ask your administrator to check the alert settings and the alert worker."
        )
    return problems


# --- forms (validated here; rendered by hand in the templates, so several can share a page without clashing ids) ---
def _newlines(value: Any) -> Any:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class SearchForm(FlaskForm):
    q = StringField(
        filters=[_newlines],
        validators=[
            DataRequired("Enter a reference, name, date of birth or email address"),
            Length(max=review_queue.SEARCH_MAX_LENGTH, message="Enter 254 characters or fewer"),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    page = HiddenField()


class StatusForm(FlaskForm):
    status = StringField(
        validators=[
            InputRequired("Select a new status"),
            AnyOf([status.value for status in SubmissionStatus], "Select a new status"),
        ]
    )
    note = TextAreaField(
        filters=[_newlines],
        validators=[
            Length(max=review.NOTE_MAX_LENGTH, message=f"Enter a note of {review.NOTE_MAX_LENGTH} characters or fewer"),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])


class NoteForm(FlaskForm):
    note = TextAreaField(
        filters=[_newlines],
        validators=[
            DataRequired("Enter a note"),
            Length(max=review.NOTE_MAX_LENGTH, message=f"Enter a note of {review.NOTE_MAX_LENGTH} characters or fewer"),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])


class PickUpForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])


class AcknowledgeForm(FlaskForm):
    acknowledgement = StringField(
        validators=[
            InputRequired("Select how you acknowledge this flag"),
            AnyOf([kind.value for kind in Acknowledgement], "Select how you acknowledge this flag"),
        ]
    )
    note = StringField(
        filters=[_newlines],
        validators=[
            Length(
                max=review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
                message=f"Enter a note of {review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH} characters or fewer",
            ),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])


# --- helpers ---------------------------------------------------------------------------------------------------------
def settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def clinic_zone() -> tzinfo:
    return ZoneInfo(settings()["TIMEZONE"])


def clinic_today() -> date:
    return clock.today(clinic_zone())


def current_staff() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    g.no_store = True  # access sets it for every staff page too; said again where answers are shown
    return render_template(template, **context), status


def find_or_404(reference: str) -> Submission:
    submission = review.find(reference)
    if submission is None:
        abort(404)
    return submission


# --- the queue -------------------------------------------------------------------------------------------------------
def _queue_page(
    *,
    filters: review_queue.Filters,
    filter_errors: dict[str, str],
    search_form: SearchForm,
    search: review_queue.Search | None,
    cursor: review_queue.Cursor | None,
    status: int = 200,
) -> ResponseReturnValue:
    zone, today = clinic_zone(), clinic_today()
    page = review_queue.page(filters, search, cursor, zone=zone)
    rows = [
        {
            "reference": row.reference,
            "age": scoring.age_on(row.date_of_birth, today),
            "submitted": dates.moment_words(row.submitted_at, zone),
            "severity": staff_display.severity_of_priority(row.priority),
            "flag_count": row.flag_count,
            "status": row.status.value,
        }
        for row in page.rows
    ]
    errors = [{"text": message, "href": f"#filter-{key}"} for key, message in filter_errors.items()]
    errors += [{"text": message, "href": "#search-q"} for message in search_form.q.errors]
    return _page(
        "staff/queue.html",
        status,
        filters=filters,
        filter_errors=filter_errors,
        errors=errors,
        search_form=search_form,
        searching=search is not None,
        rows=rows,
        counts=review_queue.status_counts(),
        next_page=review_queue.encode_cursor(page.next_cursor) if page.next_cursor else None,
        previous_page=review_queue.encode_cursor(page.previous_cursor) if page.previous_cursor else None,
        has_errors=bool(errors),
    )


@bp.get("/")
@roles(*ALL_STAFF)
def queue() -> ResponseReturnValue:
    """The queue: urgent first, then highest severity, then oldest. Filters are GET parameters (no patient data)."""
    filters, filter_errors = review_queue.parse_filters(request.args)
    cursor = review_queue.decode_cursor(request.args.get("page"))
    return _queue_page(
        filters=filters, filter_errors=filter_errors, search_form=SearchForm(formdata=None), search=None, cursor=cursor
    )


@bp.post("/search")
@roles(*ALL_STAFF)
def search() -> ResponseReturnValue:
    """Search by reference, name, date of birth or email. POSTed and answered directly, so no search term ever
    lands in a URL, a redirect or the browser's history; the next page is another POST."""
    form = SearchForm()
    filters, filter_errors = review_queue.parse_filters(request.form)
    if not form.validate():  # CSRFProtect has already checked the token
        return _queue_page(
            filters=filters, filter_errors=filter_errors, search_form=form, search=None, cursor=None, status=400
        )
    found = review_queue.parse_search(form.q.data or "", date_order=settings()["DATE_ORDER"])
    return _queue_page(
        filters=filters,
        filter_errors=filter_errors,
        search_form=form,
        search=found,
        cursor=review_queue.decode_cursor(form.page.data),
    )


# --- the submission page ---------------------------------------------------------------------------------------------
_FIRST_FIELD = {"status": "status", "note": "note", "ack": "acknowledgement"}


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


def _conflict_message(conflict: review.Conflict) -> str:
    """ "Changed by Dr Cleo Clinician at 14:05 — reload to see the latest" (with the date when not today)."""
    if conflict.at is None:
        return "Someone else changed this submission meanwhile — reload to see the latest"
    local = conflict.at.astimezone(clinic_zone())
    when = f"{local:%H:%M}" if local.date() == clinic_today() else f"{local:%H:%M} on {dates.short_date(local)}"
    return f"Changed by {conflict.by or 'someone else'} at {when} — reload to see the latest"


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
) -> ResponseReturnValue:
    """The page; every rendering (also with a form's errors) is a view of the answers and is audited."""
    user = current_staff()
    review.record_view(submission, actor=user, remote_addr=request.remote_addr)
    view = staff_display.submission_view(
        submission, zone=clinic_zone(), today=clinic_today(), date_order=settings()["DATE_ORDER"]
    )
    errors = _error(status_form, "status") + _error(note_form, "note") + _error(ack_form, f"ack-{ack_rule}")
    if conflict is not None:
        target = conflict_target or (
            "#status-note" if status_form else "#note-note" if note_form else f"#ack-{ack_rule}-acknowledgement"
        )
        errors.insert(0, {"text": _conflict_message(conflict), "href": target})
    current = submission.status
    choices = [
        (value.value, staff_display.STATUS_LABELS[value.value], review.is_move_back(current, value))
        for value in review.settable_statuses(user.role)
        if value is not current
    ]
    return _page(
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
        may_change=review.may_change_from(user.role, current),
        can_acknowledge=review.may_acknowledge(user.role),
        has_errors=bool(errors),
        note_max=review.NOTE_MAX_LENGTH,
        ack_note_max=review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
        pick_up=_pick_up_view(submission, user),
    )


def _pick_up_view(submission: Submission, user: StaffUser) -> dict[str, Any] | None:
    """The urgent panel at the top of an urgent submission: who picked it up and when, or how long it has waited,
    when it escalates, the numbers to call, and whether this user may pick it up."""
    if submission.priority != review.URGENT_PRIORITY:
        return None
    zone, now = clinic_zone(), clock.now()
    phones = [
        value
        for key in ("contact_phone_today", "phone")
        if isinstance(value := submission.answers.get(key), str) and value
    ]
    view: dict[str, Any] = {"phones": list(dict.fromkeys(phones)), "may_pick_up": review.may_pick_up(user.role)}
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
        form.version.data = conflict.version  # their note stays in the form; the page now shows the latest
        return _submission_page(submission, status=409, status_form=form, conflict=conflict)
    except review.Invalid as problem:
        getattr(form, problem.field).errors = [problem.message]
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
        abort(404)
    form = AcknowledgeForm()
    if not form.validate():
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
        form.version.data = conflict.version
        return _submission_page(submission, status=409, ack_form=form, ack_rule=rule_id, conflict=conflict)
    except review.Invalid as problem:
        form.note.errors = [problem.message]
        return _submission_page(submission, status=400, ack_form=form, ack_rule=rule_id)
    flash("Flag acknowledged")
    return _back(reference, f"flag-{rule_id}")
