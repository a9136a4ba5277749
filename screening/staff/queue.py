"""The review queue (reads only): filters, search and keyset pagination over submissions, and counts per status.

Search (``parse_search``) understands a reference (any case, with or without hyphens), an email address, a date of
birth, a phone number (any format: ``search_keys.phone_key``) or a name (every word, in any order, starting a word of
the name; accents and punctuation ignored), and matches the keys stored on each submission (``search_keys``).

Order: highest priority first (urgent, then discuss, caution, info, no flags), then oldest first, then by reference,
so every row has one place. Pages are keyset pages of ``PAGE_SIZE`` rows: a cursor names the last (or first) row's
(priority, submitted_at, reference), never an OFFSET and never a row id. Search terms are patient data, so they
never come from or go into a URL: the view takes them from a POSTed form.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import Select, and_, false, func, select

from screening import search_keys
from screening.clinical import dates
from screening.extensions import db
from screening.models import (
    NO_FLAGS_PRIORITY,
    REFERENCE_PATTERN,
    FlagRecord,
    Submission,
    SubmissionStatus,
    SubmissionStatusCount,
    is_open,
)
from screening.rules import Severity
from screening.staff import paging, repeats

PAGE_SIZE = 25
OPEN_STATUSES = (SubmissionStatus.NEW, SubmissionStatus.IN_REVIEW, SubmissionStatus.AWAITING_PATIENT)
#: ``severity`` filter value -> ``Submission.priority``.
SEVERITY_PRIORITY: Mapping[str, int] = {
    **{severity.value: severity.rank for severity in Severity},
    "none": NO_FLAGS_PRIORITY,
}
_REFERENCE = re.compile(REFERENCE_PATTERN)
SEARCH_MAX_LENGTH = 254


@dataclass(frozen=True, slots=True)
class Filters:
    """``status``: "open" (new, in review, awaiting patient), "all" or a status value; ``severity``: "" or a key of
    ``SEVERITY_PRIORITY``; ``date_from`` / ``date_to``: submitted on or after / on or before (clinic's dates)."""

    status: str = "open"
    severity: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def statuses(self) -> tuple[SubmissionStatus, ...] | None:
        if self.status == "all":
            return None
        if self.status == "open":
            return OPEN_STATUSES
        return (SubmissionStatus(self.status),)

    def as_params(self) -> dict[str, str]:
        """The filters as GET parameters (none of them is patient data), leaving out the defaults."""
        params = {
            "status": self.status if self.status != "open" else "",
            "severity": self.severity,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in params.items() if value}


def _date_param(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(params: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from request parameters (allow-listed; anything unknown is ignored) and messages for the fields
    that could not be read (keyed by parameter name; that filter is then not applied)."""
    errors: dict[str, str] = {}
    status = params.get("status", "") or "open"
    if status not in ("open", "all", *(member.value for member in SubmissionStatus)):
        errors["status"], status = "Select a status from the list", "open"
    severity = params.get("severity", "")
    if severity and severity not in SEVERITY_PRIORITY:
        errors["severity"], severity = "Select a severity from the list", ""
    dates: dict[str, date | None] = {}
    for key in ("from", "to"):
        raw = (params.get(key) or "").strip()
        dates[key] = _date_param(raw)
        if raw and dates[key] is None:
            errors[key] = "Enter a real date, for example 2026-11-24"
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = "The end date must be the same as or after the start date"
        dates["to"] = None
    return Filters(status, severity, dates["from"], dates["to"]), errors


# --- search ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Search:
    """What a search box held, once understood: a reference, an email address, a date of birth, a phone number's
    key or a name's words (``value``: a tuple of them)."""

    kind: Literal["reference", "email", "date_of_birth", "phone", "name"]
    value: Any


def parse_search(text: str, *, date_order: str = "dmy", region: str = search_keys.DEFAULT_REGION) -> Search | None:
    """Understand a search term: a reference (any case, spaces and hyphens ignored), an email address (has "@"), a
    date of birth (``14/03/1985`` in the locale's order, or ``1985-03-14``), a phone number (digits, spaces, "+",
    "-", brackets; read in ``region``), otherwise words of a name. None when empty."""
    text = " ".join(text.split())
    if not text:
        return None
    if (reference := search_keys.reference_key(text)) is not None:
        return Search("reference", reference)
    if "@" in text:
        return Search("email", search_keys.email_key(text))
    if (day := dates.typed_date(text, date_order)) is not None:
        return Search("date_of_birth", day)
    if search_keys.looks_like_phone(text) and (phone := search_keys.phone_key(text, region)) is not None:
        return Search("phone", phone)
    return Search("name", tuple(dict.fromkeys(search_keys.name_tokens(text))))


def search_clause(search: Search) -> Any:
    """The WHERE clause of a search: equality on an indexed key, or for a name each word starting a word of the
    name key (``LIKE '% word%'``: the trigram index on PostgreSQL)."""
    if search.kind == "reference":
        return Submission.reference == search.value
    if search.kind == "email":
        return Submission.email_key == search.value
    if search.kind == "date_of_birth":
        return Submission.date_of_birth == search.value
    if search.kind == "phone":
        return Submission.phone_key == search.value
    if not search.value:  # only punctuation: nothing to match
        return false()
    return and_(*(Submission.name_key.like(f"% {word}%") for word in search.value))  # words: letters and digits


# --- cursors ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cursor:
    """A position between rows: after (``backwards`` False) or before the row with these keys."""

    priority: int
    submitted_at: datetime
    reference: str
    backwards: bool = False


def encode_cursor(cursor: Cursor) -> str:
    text = "|".join(
        ("b" if cursor.backwards else "a", str(cursor.priority), cursor.submitted_at.isoformat(), cursor.reference)
    )
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> Cursor | None:
    """The cursor in ``token``, or None for a missing or malformed one (then the first page is shown)."""
    if not token or len(token) > 200:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        direction, priority, submitted_at, reference = text.split("|")
        moment = datetime.fromisoformat(submitted_at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if (
        direction not in ("a", "b")
        or priority not in {str(rank) for rank in SEVERITY_PRIORITY.values()}
        or moment.tzinfo is None
        or not _REFERENCE.fullmatch(reference)
    ):
        return None
    return Cursor(int(priority), moment, reference, direction == "b")


# --- the page --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QueueRow:
    reference: str
    priority: int
    submitted_at: datetime
    status: SubmissionStatus
    date_of_birth: date
    flag_count: int
    full_name: str
    phone: Any  # the phone answer as given (None when there is none)
    repeat: bool
    superseded: bool


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[QueueRow]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def _local_day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _filtered(query: Select[Any], filters: Filters, search: Search | None, zone: tzinfo) -> Select[Any]:
    statuses = filters.statuses()
    if statuses is OPEN_STATUSES:
        query = query.where(is_open())  # the open statuses as literals: the partial index ix_submission_open_queue
    elif statuses is not None:
        query = query.where(Submission.status.in_(statuses))
    if filters.severity:
        query = query.where(Submission.priority == SEVERITY_PRIORITY[filters.severity])
    if filters.date_from:
        query = query.where(Submission.submitted_at >= _local_day_start(filters.date_from, zone))
    if filters.date_to:
        query = query.where(Submission.submitted_at < _local_day_start(filters.date_to + timedelta(days=1), zone))
    if search is not None:
        clause = search_clause(search)
        if search.kind == "name" and db.engine.dialect.name == "sqlite":
            # No index finds a word inside the key on SQLite: read the narrow name index once for the ids that match
            # rather than every row the page's order walks (20 ms, not 100-200, at 100,000 submissions)
            clause = Submission.id.in_(select(Submission.id).where(clause).correlate(None))
        query = query.where(clause)
    return query


#: The queue order: highest priority first, then oldest first, then by reference (unique).
ORDER = (
    paging.Key(Submission.priority, descending=True),
    paging.Key(Submission.submitted_at),
    paging.Key(Submission.reference),
)


def _row_cursor(row: QueueRow, *, backwards: bool) -> Cursor:
    return Cursor(row.priority, row.submitted_at, row.reference, backwards)


def page(filters: Filters, search: Search | None, cursor: Cursor | None, *, zone: tzinfo) -> Page:
    """One page of the queue, with the cursors of the pages after and before it (None at either end)."""
    flag_count = select(func.count(FlagRecord.id)).where(FlagRecord.submission_id == Submission.id).scalar_subquery()
    query = _filtered(
        select(
            Submission.reference,
            Submission.priority,
            Submission.submitted_at,
            Submission.status,
            Submission.date_of_birth,
            flag_count.label("flag_count"),
            Submission.full_name,
            Submission.answers["phone"].label("phone"),
            repeats.is_repeat().label("repeat"),
            Submission.superseded_by_id.is_not(None).label("superseded"),
        ),
        filters,
        search,
        zone,
    )
    found = paging.window(
        query,
        ORDER,
        lambda statement: (QueueRow(*row) for row in db.session.execute(statement)),
        cursor=(cursor.priority, cursor.submitted_at, cursor.reference) if cursor is not None else None,
        backwards=cursor is not None and cursor.backwards,
        size=PAGE_SIZE,
    )
    if not found.rows:
        return Page(found.rows, None, None)
    return Page(
        found.rows,
        _row_cursor(found.rows[-1], backwards=False) if found.has_next else None,
        _row_cursor(found.rows[0], backwards=True) if found.has_previous else None,
    )


def status_counts() -> dict[str, int]:
    """How many submissions have each status (every status, zero included), plus "open" and "all"."""
    counts = {status.value: 0 for status in SubmissionStatus}
    kept = select(SubmissionStatusCount.status, SubmissionStatusCount.total)  # by triggers: six rows, not every one
    for status, count in db.session.execute(kept):
        if status in counts:
            counts[status] = int(count)
    counts["open"] = sum(counts[status.value] for status in OPEN_STATUSES)
    counts["all"] = sum(counts[status.value] for status in SubmissionStatus)
    return counts
