"""The admin's records (routes of the ``admin`` blueprint; ``admin_views`` imports this module last): the audit log
page (in English, filtered, keyset-paginated), its CSV export for a date range, and the submissions CSV export.

Reads only; every page and download is itself audited (``audit.viewed``, ``audit.exported``,
``export.downloaded``), before a download starts. The audit log is append-only: nothing here edits or deletes an
event. The log's filters travel in the query string because they hold no patient data (actions, staff ids,
references, dates); the exports are POSTs (CSRF). Downloads are streamed (``exports``) and never cached.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, select
from wtforms.fields.choices import SelectChoice

from screening import clock
from screening.access import roles
from screening.extensions import db
from screening.models import AuditEvent, Role, StaffUser
from screening.staff import audit_words, exports, paging
from screening.staff.admin_views import _page, _record, _settings, bp
from screening.staff.forms import AuditExportForm, AuditFilterForm, ExportForm

PAGE_SIZE = 50
FILTERS = ("action", "staff", "reference", "date_from", "date_to")
#: The audit export form's field prefix (its fields share the page with the submissions export's).
AUDIT_EXPORT_PREFIX = "audit"


def _zone() -> ZoneInfo:
    return ZoneInfo(_settings()["TIMEZONE"])


def _staff_names() -> dict[int, str]:
    return {row.id: row.name for row in db.session.execute(select(StaffUser.id, StaffUser.name))}


def _clock_time(moment: datetime) -> str:
    """A UTC moment as the clinic's wall-clock time, "10:05"."""
    return moment.astimezone(_zone()).strftime("%H:%M")


# --- audit log ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of events, newest first, and the cursors (event ids) of the pages either side."""

    events: list[AuditEvent]
    newer: int | None
    older: int | None


def _filtered(form: AuditFilterForm) -> Select[Any]:
    query = select(AuditEvent)
    action = form.action.data or ""
    if action.endswith(".*"):
        query = query.where(AuditEvent.action.startswith(action.removesuffix("*"), autoescape=True))
    elif action:
        query = query.where(AuditEvent.action == action)
    if form.staff.data:
        query = query.where(AuditEvent.staff_id == int(form.staff.data))
    if form.reference.data:
        query = query.where(AuditEvent.reference == form.reference.data)
    if form.date_from.data:
        query = query.where(AuditEvent.at >= exports.day_start(form.date_from.data, _zone()))
    if form.date_to.data:
        query = query.where(AuditEvent.at < exports.day_start(form.date_to.data, _zone()) + timedelta(days=1))
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


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _stored_actions() -> set[str]:
    """The actions the log holds, each once: a loose index scan (each next action is one seek in the action index,
    ``WITH RECURSIVE``), so it reads as many index entries as there are actions, not one per event."""
    found = select(func.min(AuditEvent.action).label("action")).cte("found", recursive=True)
    following = select(func.min(AuditEvent.action)).where(AuditEvent.action > found.c.action).scalar_subquery()
    found = found.union_all(select(following).where(found.c.action.is_not(None)))
    return set(db.session.scalars(select(found.c.action).where(found.c.action.is_not(None))).all())


def _action_choices() -> list[SelectChoice]:
    stored = _stored_actions()
    known = sorted(set(audit_words.ACTION_WORDS) | stored, key=lambda action: (action.split(".")[0], action))
    choices = [SelectChoice("", "Any action")]
    for family, label in sorted(audit_words.ACTION_FAMILIES.items(), key=lambda item: item[1]):
        choices.append(SelectChoice(f"{family}.*", f"{label}: every action"))
        choices += [
            SelectChoice(action, f"{label}: {_lower_first(audit_words.action_name(action))}")
            for action in known
            if audit_words.family(action) == family
        ]
    choices += [
        SelectChoice(action, action)
        for action in known
        if audit_words.family(action) not in audit_words.ACTION_FAMILIES
    ]
    return choices


@bp.get("/audit")
@roles(Role.ADMIN)
def audit() -> ResponseReturnValue:
    """The audit trail, newest first, in English, filtered by action, staff member, reference and dates."""
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)).all()
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = _action_choices()
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
    names = {user.id: user.name for user in users}
    html = _page(
        "admin/audit.html",
        form=form,
        page=page,
        lines=audit_words.lines(page.events, names),
        line_words=lambda line: audit_words.line_words(line, _clock_time),
        pagination=pagination,
        has_errors=not valid,
    )
    _record("audit.viewed", **form.details())  # after rendering (a commit expires the rows); no page if it fails
    return html


def _download(chunks: Iterator[str], filename: str) -> Response:
    encoded = (chunk.encode("utf-8") for chunk in chunks)
    return Response(
        stream_with_context(encoded),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
        },
    )


def _today() -> str:
    return clock.today(_zone()).isoformat()


@bp.post("/audit.csv")
@roles(Role.ADMIN)
def audit_csv() -> ResponseReturnValue:
    """The audit log for a date range as CSV (audited first, streamed, never cached)."""
    form = AuditExportForm(prefix=AUDIT_EXPORT_PREFIX)
    if not form.validate_on_submit() or form.date_from.data is None or form.date_to.data is None:
        return _export_form_page(ExportForm(formdata=None), status=400, audit_form=form)
    first, last = form.date_from.data, form.date_to.data
    _record("audit.exported", format="csv", date_from=first.isoformat(), date_to=last.isoformat())
    chunks = exports.audit_chunks(first, last, _zone(), _staff_names())
    return _download(chunks, f"screening-audit-{first.isoformat()}-to-{last.isoformat()}.csv")


# --- CSV export -----------------------------------------------------------------------------------------------------
def _export_form_page(
    form: ExportForm, status: int = 200, audit_form: AuditExportForm | None = None
) -> ResponseReturnValue:
    audit_form = audit_form or AuditExportForm(formdata=None, prefix=AUDIT_EXPORT_PREFIX)
    count = exports.count(exports.Filters(), _zone())
    errors = bool(form.errors) or bool(audit_form.errors)
    return _page("admin/export_page.html", form=form, audit_form=audit_form, count=count, has_errors=errors), status


@bp.get("/export")
@roles(Role.ADMIN)
def export_page() -> ResponseReturnValue:
    return _export_form_page(ExportForm())


@bp.post("/export.csv")
@roles(Role.ADMIN)
def export_csv() -> ResponseReturnValue:
    """The chosen submissions as CSV (a download: audited first, streamed, never cached)."""
    form = ExportForm()
    if not form.validate_on_submit():
        return _export_form_page(form, 400)
    filters = exports.Filters(
        form.date_from.data, form.date_to.data, form.status.data or "all", form.severity.data or ""
    )
    options = exports.Options(
        labels=form.labels.data != "codes",
        include_answers=bool(form.include_answers.data),
        date_order=current_app.config["SCREENING"]["DATE_ORDER"],
        zone=_zone(),
    )
    rows = exports.count(filters, _zone())
    _record("export.downloaded", format="csv", rows=rows, answers=options.include_answers, **form.details())
    return _download(exports.submission_chunks(filters, options, _staff_names()), f"screening-export-{_today()}.csv")
