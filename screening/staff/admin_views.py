"""The admin blueprint (``/staff/admin``, admins only): the audit log, the CSV export and staff accounts.

Reads here; every write goes through ``accounts`` and ``screening.audit``. The audit log is append-only: no
route edits or deletes an event, and viewing it is itself audited. Filters travel in the query string
because they hold no patient data (actions, staff ids, references, dates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from sqlalchemy import Select, func, select
from wtforms import BooleanField, EmailField, Field, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from screening import clock
from screening.access import roles
from screening.clinical import dates
from screening.extensions import db
from screening.models import AuditEvent, Role, StaffUser, Submission
from screening.staff import accounts, auth, exports, paging
from screening.staff.forms import NO_CONTROL_CHARACTERS, PostForm

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")
PAGE_SIZE = 50
FILTERS = ("action", "staff", "reference", "date_from", "date_to")
ROLE_CHOICES = (
    SelectChoice(Role.RECEPTION.value, "Reception"),
    SelectChoice(Role.CLINICIAN.value, "Clinician"),
    SelectChoice(Role.ADMIN.value, "Administrator"),
)


# --- forms ------------------------------------------------------------------------------------------
class DayField(Field):
    """A date as GOV.UK's day, month and year inputs (all three posted under the field's name); empty is
    None. Errors say what to do ("Date from must be a real date")."""

    widget = GovDateInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [value.strip() if isinstance(value, str) else "" for value in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts if any(parts) else None
        self.data = None
        if not any(parts):
            return
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"{self.label.text} must be a real date")
        day, month, year = (int(part) for part in parts)
        if not 1900 <= year <= 2999:
            raise ValueError(f"{self.label.text} must be a real date, with a 4-digit year")
        try:
            self.data = date(year, month, day)
        except ValueError as error:
            raise ValueError(f"{self.label.text} must be a real date") from error

    def _value(self) -> str:
        return ""  # the widget shows raw_data (what was typed) or formats data itself


def _strip(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: no CSRF token, nothing is changed)."""

    class Meta:
        csrf = False

    action = SelectField("Action", widget=GovSelect(), validate_choice=False, validators=[Length(max=64)])
    staff = SelectField(
        "Staff member",
        widget=GovSelect(),
        validate_choice=False,
        validators=[Optional(), Regexp(r"^[0-9]{1,12}$", message="Select a staff member")],
    )
    reference = StringField(
        "Reference",
        widget=GovTextInput(),
        filters=[_strip, lambda text: text and text.upper()],
        validators=[Optional(), Regexp(r"^[A-Z0-9-]{1,20}$", message="Enter a reference like KT-7Q4M-9XHD")],
    )
    date_from = DayField("Date from")
    date_to = DayField("Date to")

    def validate_date_to(self, field: DayField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Date to must be the same as or after date from")

    def details(self) -> dict[str, Any]:
        """The filters in use, for the ``audit.viewed`` event (``filter_action``, ``filter_staff`` ...)."""
        values = {
            "action": self.action.data,
            "staff": self.staff.data,
            "reference": self.reference.data,
            "date_from": self.date_from.data and self.date_from.data.isoformat(),
            "date_to": self.date_to.data and self.date_to.data.isoformat(),
        }
        return {f"filter_{key}": value for key, value in values.items() if value}


class ExportForm(FlaskForm):
    include_answers = BooleanField(
        "Include every answer (one column per question)",
        widget=GovCheckboxInput(),
        description="Answers include names, dates of birth and contact details. "
        "Leave this unticked unless you need them.",
    )
    submit = SubmitField("Download CSV", widget=GovSubmitInput())


class RoleField(RadioField):
    def pre_validate(self, form: Any) -> None:
        if self.data not in {choice.value for choice in ROLE_CHOICES}:
            raise ValidationError("Select a role")


class StaffCreateForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[
            DataRequired("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
            Regexp(NO_CONTROL_CHARACTERS, message="Enter the full name without hidden control characters"),
        ],
    )
    email = EmailField(
        "Work email address",
        widget=GovTextInput(),
        description="They sign in with it.",
        filters=[_strip],
        validators=[
            DataRequired("Enter their work email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
        ],
    )
    role = RoleField("Role", widget=GovRadioInput(), choices=ROLE_CHOICES, validators=[DataRequired("Select a role")])
    submit = SubmitField("Create account", widget=GovSubmitInput())


# --- helpers ----------------------------------------------------------------------------------------
def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def clinic_time(moment: datetime | None) -> str:
    """A UTC moment in the clinic's time zone, e.g. "24 Nov 2026 14:05:09 GMT"."""
    if moment is None:
        return ""
    return dates.moment_words(moment, ZoneInfo(_settings()["TIMEZONE"]), seconds=True)


def _page(template: str, **context: Any) -> str:
    g.no_store = True
    context.setdefault("reissued", False)
    hours = int(auth.ONE_TIME_PASSWORD_LIFETIME.total_seconds() // 3600)
    return render_template(template, clinic_time=clinic_time, one_time_hours=hours, **context)


def _actor() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _record(action: str, **details: Any) -> None:
    """An audit event for what the signed-in admin just looked at or downloaded (committed by ``accounts``)."""
    accounts.record_access(_actor(), action, remote_addr=request.remote_addr, **details)


# --- audit log ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of events, newest first, and the cursors (event ids) of the pages either side."""

    events: list[AuditEvent]
    newer: int | None
    older: int | None


def _clinic_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(_settings()["TIMEZONE"])).astimezone(UTC)


def _filtered(form: AuditFilterForm) -> Select[Any]:
    query = select(AuditEvent)
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.staff.data:
        query = query.where(AuditEvent.staff_id == int(form.staff.data))
    if form.reference.data:
        query = query.where(AuditEvent.reference == form.reference.data)
    if form.date_from.data:
        query = query.where(AuditEvent.at >= _clinic_midnight(form.date_from.data))
    if form.date_to.data:
        query = query.where(AuditEvent.at < _clinic_midnight(form.date_to.data + timedelta(days=1)))
    return query


def _cursor(name: str) -> AuditEvent | None:
    event_id = request.args.get(name, type=int)
    return db.session.get(AuditEvent, event_id) if event_id is not None and 0 < event_id < 2**31 else None


#: The audit log's order: newest first (``id`` breaks ties between events of the same moment).
AUDIT_ORDER = (paging.Key(AuditEvent.at, descending=True), paging.Key(AuditEvent.id, descending=True))


def audit_page(query: Select[Any]) -> AuditPage:
    """Keyset pagination on (at, id): ``?before=<id>`` gives the page older than that event, ``?after=<id>``
    the page newer than it; no OFFSET, so a page stays fast and stable as events are added."""
    after = _cursor("after")
    edge = after if after is not None else _cursor("before")
    found = paging.window(
        query,
        AUDIT_ORDER,
        db.session.scalars,
        cursor=(edge.at, edge.id) if edge is not None else None,
        backwards=after is not None,
        size=PAGE_SIZE,
    )
    events = found.rows
    return AuditPage(
        events=events,
        newer=events[0].id if found.has_previous and events else None,
        older=events[-1].id if found.has_next and events else None,
    )


def _filter_args() -> dict[str, list[str]]:
    return {name: request.args.getlist(name) for name in FILTERS if name in request.args}


@bp.get("/audit")
@roles(Role.ADMIN)
def audit() -> ResponseReturnValue:
    """The audit trail, newest first, filtered by action, staff member, reference and dates."""
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)).all()
    form = AuditFilterForm(formdata=request.args)
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    form.action.choices = [SelectChoice("", "Any action"), *(SelectChoice(action, action) for action in actions)]
    form.staff.choices = [
        SelectChoice("", "Anyone"),
        *(SelectChoice(str(user.id), f"{user.name} ({user.email})") for user in users),
    ]
    valid = form.validate()
    page = audit_page(_filtered(form)) if valid else AuditPage(events=[], newer=None, older=None)
    kept: dict[str, Any] = _filter_args()
    pagination = {
        key: {"href": url_for(".audit", **{**kept, cursor: event_id}), "text": text}
        for key, cursor, event_id, text in (
            ("previous", "after", page.newer, "Newer events"),
            ("next", "before", page.older, "Older events"),
        )
        if event_id is not None
    }
    html = _page(
        "admin/audit.html",
        form=form,
        page=page,
        names={user.id: user.name for user in users},
        pagination=pagination,
        has_errors=not valid,
    )
    _record("audit.viewed", **form.details())  # after rendering (a commit expires the rows); no page if it fails
    return html


# --- CSV export ---------------------------------------------------------------------------------------
def _export_form_page(form: ExportForm, status: int = 200) -> ResponseReturnValue:
    count = db.session.scalar(select(func.count()).select_from(Submission)) or 0
    return _page("admin/export_page.html", form=form, count=count, has_errors=bool(form.errors)), status


@bp.get("/export")
@roles(Role.ADMIN)
def export_page() -> ResponseReturnValue:
    return _export_form_page(ExportForm())


@bp.post("/export.csv")
@roles(Role.ADMIN)
def export_csv() -> ResponseReturnValue:
    """Every submission as CSV (a download: audited first, never cached)."""
    form = ExportForm()
    if not form.validate_on_submit():
        return _export_form_page(form, 400)
    include_answers = bool(form.include_answers.data)
    text, count = exports.to_csv(
        exports.submissions(), include_answers=include_answers, date_order=current_app.config["SCREENING"]["DATE_ORDER"]
    )
    _record("export.downloaded", format="csv", rows=count, answers=include_answers)
    today = clock.today(ZoneInfo(_settings()["TIMEZONE"])).isoformat()
    return Response(
        text.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="screening-export-{today}.csv"',
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
        },
    )


# --- staff accounts -------------------------------------------------------------------------------------
def _staff_list(problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id)).all()
    return _page(
        "admin/staff.html", users=users, post_form=PostForm(), problem=problem, has_errors=problem is not None
    ), status


@bp.get("/staff")
@roles(Role.ADMIN)
def staff() -> ResponseReturnValue:
    return _staff_list()


@bp.route("/staff/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def staff_new() -> ResponseReturnValue:
    """Create an account. Its one-time password is shown once, on the result page (never in a URL,
    a flash message or a log)."""
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user, one_time = accounts.create_staff(
                email=form.email.data or "",
                name=form.name.data or "",
                role=Role(form.role.data),
                actor=_actor(),
                remote_addr=request.remote_addr,
            )
        except accounts.AccountError as error:
            form.email.errors = [str(error)]
        else:
            return _page("admin/staff_created.html", user=user, one_time=one_time)
    return _page("admin/staff_new.html", form=form, has_errors=bool(form.errors))


def _account_change(staff_id: int, change: Literal["deactivate", "reactivate", "reset_mfa"]) -> ResponseReturnValue:
    if not PostForm().validate_on_submit():
        abort(400)
    user = db.session.get(StaffUser, staff_id) or abort(404)
    actor = _actor()
    try:
        if change == "reset_mfa":
            if user.id == actor.id:  # an MFA change needs the person's own re-authentication (ASVS 7.5.1)
                raise accounts.AccountError("You cannot reset your own authenticator: ask another administrator")
            accounts.reset_mfa(user, actor=actor, remote_addr=request.remote_addr)
            flash(f"{user.name} will set up their authenticator app again at their next sign-in")
        else:
            accounts.set_active(user, change == "reactivate", actor=actor, remote_addr=request.remote_addr)
            flash(
                f"{user.name}'s account is {'reactivated' if user.active else 'deactivated'}"
                " and every session they had has ended"
            )
    except accounts.AccountError as error:
        return _staff_list(str(error), 400)
    return redirect(url_for(".staff"))


@bp.post("/staff/<int:staff_id>/one-time-password")
@roles(Role.ADMIN)
def staff_one_time_password(staff_id: int) -> ResponseReturnValue:
    """Give an account a new one-time password (forgotten, or expired before first sign-in), shown once on the
    result page; its sessions end."""
    if not PostForm().validate_on_submit():
        abort(400)
    user = db.session.get(StaffUser, staff_id) or abort(404)
    try:
        one_time = accounts.issue_one_time_password(user, actor=_actor(), remote_addr=request.remote_addr)
    except accounts.AccountError as error:
        return _staff_list(str(error), 400)
    return _page("admin/staff_created.html", user=user, one_time=one_time, reissued=True)


@bp.post("/staff/<int:staff_id>/deactivate")
@roles(Role.ADMIN)
def staff_deactivate(staff_id: int) -> ResponseReturnValue:
    """Deactivate an account; its sessions end at once (the session epoch moves on)."""
    return _account_change(staff_id, "deactivate")


@bp.post("/staff/<int:staff_id>/reactivate")
@roles(Role.ADMIN)
def staff_reactivate(staff_id: int) -> ResponseReturnValue:
    return _account_change(staff_id, "reactivate")


@bp.post("/staff/<int:staff_id>/reset-mfa")
@roles(Role.ADMIN)
def staff_reset_mfa(staff_id: int) -> ResponseReturnValue:
    """Forget the account's authenticator: it enrols again at its next sign-in."""
    return _account_change(staff_id, "reset_mfa")


# Pausing new forms (``intake_views``): routes of ``bp`` in their own module, which imports the helpers above, so it is
# imported last (Flask's pattern for views split over modules).
from screening.staff import intake_views  # noqa: E402, F401
