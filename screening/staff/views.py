"""The staff blueprint, part one: the review queue (filters, POSTed search, keyset pages), the staff counter and
alert banners every staff page shows, and the helpers the blueprint's pages share. A submission's page is in
``submission_views`` (same blueprint). Reads build view-models (``review_queue``, ``staff_display``); every write goes
through ``review``. Every view is role-tagged (``access``), ``no-store``, and addresses submissions by reference, never
by row id. No patient data in URLs or flash messages.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user

from screening import clock, notifications, search_keys, submission_events
from screening.access import ALL_STAFF, roles
from screening.audit import audit
from screening.clinical import dates, scoring
from screening.extensions import db
from screening.models import Role, StaffUser, Submission
from screening.staff import display as staff_display
from screening.staff import escalation, review
from screening.staff import queue as review_queue
from screening.staff.forms import SearchForm

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
        submission_event_notice=submission_events.admin_notice,
    )


def waited(since: datetime, now: datetime) -> str:
    """ "35 minutes", "1 hour 20 minutes", "2 days 3 hours": how long something has waited, in words."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] + ([(minutes, "minute")] if not days else [])
    words = [f"{count} {unit}{'s' if count != 1 else ''}" for count, unit in parts if count]
    return " ".join(words) or "less than a minute"


def waiting_for(since: datetime, now: datetime) -> str:
    """The queue's "Waiting" column, in its largest unit: "12 minutes", "5 hours", "3 days"."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


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
    if not settings()["URGENT_ALERTS"] and current_user.is_authenticated and current_user.has_role(Role.ADMIN):
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


# --- helpers ---------------------------------------------------------------------------------------------------------
def settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def clinic_zone() -> tzinfo:
    return ZoneInfo(settings()["TIMEZONE"])


def clinic_today() -> date:
    return clock.today(clinic_zone())


def current_staff() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def render_no_store(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    g.no_store = True  # access sets it for every staff page too; said again where answers are shown
    return render_template(template, **context), status


def find_or_404(reference: str) -> Submission:
    """The submission with this reference; else a 404, audited as ``access.not_found`` (the reference as typed:
    the URL converter lets only the reference pattern through; the staff id; the address), committed before the
    404 so that the failed request keeps its record."""
    submission = review.find(reference)
    if submission is None:
        record_not_found(reference=reference)
        abort(404)
    return submission


def record_not_found(*, reference: str | None = None, **ids: Any) -> None:
    """A signed-in member of staff asked for something that does not exist: ``access.not_found``. Commits."""
    audit(
        "access.not_found",
        reference=reference,
        staff_id=current_staff().id,
        remote_addr=request.remote_addr,
        endpoint=request.endpoint or "",
        **ids,
    )
    db.session.commit()


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
    zone, today, now = clinic_zone(), clinic_today(), clock.now()
    page = review_queue.page(filters, search, cursor, zone=zone)
    rows = [
        {
            "reference": row.reference,
            "name": row.full_name,
            "date_of_birth": dates.short_date(row.date_of_birth),
            "phone": row.phone if isinstance(row.phone, str) else "",
            "age": scoring.age_on(row.date_of_birth, today),
            "submitted": dates.moment_words(row.submitted_at, zone),
            "waiting": waiting_for(row.submitted_at, now),
            "severity": staff_display.severity_of_priority(row.priority),
            "flag_count": row.flag_count,
            "status": row.status.value,
            "repeat": bool(row.repeat),
            "superseded": bool(row.superseded),
        }
        for row in page.rows
    ]
    _record_list_view(rows, search)
    errors = [{"text": message, "href": f"#filter-{key}"} for key, message in filter_errors.items()]
    errors += [{"text": message, "href": "#search-q"} for message in search_form.q.errors]
    return render_no_store(
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


def _record_list_view(rows: list[dict[str, Any]], search: review_queue.Search | None) -> None:
    """Names, dates of birth and phone numbers were shown: ``queue.viewed`` with the references on the page and,
    for a search, what kind of term it was (never the term). Commits."""
    audit(
        "queue.viewed",
        staff_id=current_staff().id,
        remote_addr=request.remote_addr,
        references=[row["reference"] for row in rows],
        **({"search": search.kind} if search is not None else {}),
    )
    db.session.commit()


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
    """Search by reference, name, date of birth, phone number or email. POSTed and answered directly, so no search
    term ever lands in a URL, a redirect or the browser's history; the next page is another POST."""
    form = SearchForm()
    filters, filter_errors = review_queue.parse_filters(request.form)
    if not form.validate():  # CSRFProtect has already checked the token
        return _queue_page(
            filters=filters, filter_errors=filter_errors, search_form=form, search=None, cursor=None, status=400
        )
    found = review_queue.parse_search(
        form.q.data or "", date_order=settings()["DATE_ORDER"], region=search_keys.region_of(settings()["LOCALE"])
    )
    return _queue_page(
        filters=filters,
        filter_errors=filter_errors,
        search_form=form,
        search=found,
        cursor=review_queue.decode_cursor(form.page.data),
    )


from screening.staff import repeat_views, reports_views, submission_views  # noqa: E402, F401 (their routes join bp)
