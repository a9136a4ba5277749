"""Exports for admins: submissions as CSV (filtered; readable labels or codes) and the audit log as CSV for a date
range (FHIR R4 later). Reads only; the admin view audits the download. Imports the models, the questionnaire
definition, the answer presenter, the rules and the audit log's words; never Flask.

Both exports are streamed: ``submission_chunks`` and ``audit_chunks`` yield the file a batch at a time
(``BATCH_SIZE`` rows read by keyset, never OFFSET, with one query per batch for the flags, the note counts and
the last changes), so memory stays flat whether the file has 100 rows or 100,000.

Submission columns: reference, time, status, versions, age, scores and bands (the PEG has no validated band, so
no band column), highest severity, the flags' rule ids, ``flags`` (each flag's title, severity and acknowledgement:
"Title (Urgent): Discussed by Dr Cleo Clinician at 2026-11-24T10:02:00Z", flags separated by `` | ``; as codes
"rule_id:severity:acknowledgement" separated by spaces), ``flags_unacknowledged``, ``note_count``,
``last_change_at`` and ``last_change_by`` (the newest review event: status change, note, pick-up or
acknowledgement). With "readable labels" statuses, severities and acknowledgements are words and answers are in the
words every page shows (``clinical.presenter``; "Not answered" for a question asked and left empty); with "codes"
they are the stored codes. A question the patient was not asked is an empty cell. Times are UTC, ISO 8601.

CSV (RFC 4180 through the ``csv`` module: minimal quoting, CRLF line ends), UTF-8 with a byte-order mark so
Excel reads the accents right. Spreadsheet formula injection (ASVS 5.0 1.2.10, OWASP "CSV Injection") is
neutralised: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL gets a
leading ``'``, so a spreadsheet shows the text instead of running it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from screening.clinical import presenter
from screening.clinical.questionnaire import QUESTIONS
from screening.extensions import db
from screening.models import AuditEvent, FlagRecord, ReviewEvent, Submission, SubmissionStatus
from screening.rules import stored_locale
from screening.staff import audit_words, paging
from screening.staff.display import ACKNOWLEDGEMENT_LABELS, SEVERITY_BY_RANK, SEVERITY_LABELS, STATUS_LABELS
from screening.staff.queue import OPEN_STATUSES, SEVERITY_PRIORITY

BOM = "\ufeff"
BATCH_SIZE = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
SCORES = ("peg", "phq9", "gad7", "auditc", "stopbang", "bmi")
#: Scores without a validated band (no ``_band`` column).
UNBANDED = frozenset({"peg"})
FIXED_COLUMNS = (
    "reference",
    "submitted_at",
    "status",
    "questionnaire_version",
    "ruleset_version",
    "article_version",
    "age",
    *(f"{key}{part}" for key in SCORES for part in ("", "_band") if not (part and key in UNBANDED)),
    "highest_severity",
    "flag_rule_ids",
    "flags",
    "flags_unacknowledged",
    "note_count",
    "last_change_at",
    "last_change_by",
)
#: One column per question of the definition, named by its (permanent) question id.
ANSWER_COLUMNS = tuple(QUESTIONS)
AUDIT_COLUMNS = ("id", "at", "staff_id", "staff", "action", "what_happened", "reference", "remote_addr", "details")


@dataclass(frozen=True, slots=True)
class Filters:
    """Which submissions: submitted on or after ``date_from`` / on or before ``date_to`` (the clinic's days),
    ``status`` "all", "open" or a status value, ``severity`` "" or a key of ``queue.SEVERITY_PRIORITY``."""

    date_from: date | None = None
    date_to: date | None = None
    status: str = "all"
    severity: str = ""


@dataclass(frozen=True, slots=True)
class Options:
    """How the file reads: ``labels`` (words) or codes, with or without answers, dates in answers in
    ``date_order``, days of the filters in ``zone``."""

    labels: bool = True
    include_answers: bool = False
    date_order: str = "dmy"
    zone: tzinfo = UTC


@dataclass(frozen=True, slots=True)
class Review:
    """What the review events say about one submission."""

    note_count: int = 0
    last_change_at: datetime | None = None
    last_change_by: int | None = None


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """A stored value as CSV text: empty for None, ``true``/``false``, several codes joined with ``;``."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        text = ";".join(cell(item) for item in value)
    else:
        text = str(value)
    return neutralise(text)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def header(*, include_answers: bool) -> list[str]:
    return [*FIXED_COLUMNS, *(ANSWER_COLUMNS if include_answers else ())]


def _score(submission: Submission, key: str, part: str) -> Any:
    score = submission.scores.get(key)
    return score.get(part) if isinstance(score, dict) else None


def answer_cells(submission: Submission, *, date_order: str = "dmy") -> list[str | None]:
    """The answer columns of one submission, in ``ANSWER_COLUMNS`` order: the presenter's words in the locale the
    patient was asked in, None for a question not asked."""
    rows = presenter.answer_rows(
        submission.answers,
        locale=stored_locale(submission.rule_config),
        date_order=date_order,
        skipped=submission.skipped_steps or (),
    )
    return [rows[question_id].text if question_id in rows else None for question_id in ANSWER_COLUMNS]


def _flag_words(flag: FlagRecord, names: Mapping[int, str]) -> str:
    severity = SEVERITY_LABELS.get(flag.severity, flag.severity)
    if flag.acknowledgement is None:
        return f"{flag.title} ({severity}): not acknowledged"
    kind = ACKNOWLEDGEMENT_LABELS.get(flag.acknowledgement.value, flag.acknowledgement.value)
    who = audit_words.staff_name(flag.acknowledged_by_id, names)
    return f"{flag.title} ({severity}): {kind} by {who} at {iso(flag.acknowledged_at)}"


def _flag_codes(flag: FlagRecord) -> str:
    return f"{flag.rule_id}:{flag.severity}:{flag.acknowledgement.value if flag.acknowledgement else ''}"


def row(
    submission: Submission,
    *,
    include_answers: bool,
    date_order: str = "dmy",
    labels: bool = True,
    review: Review | None = None,
    names: Mapping[int, str] | None = None,
) -> list[str]:
    """One submission as CSV cells, in ``header`` order; dates in answers in ``date_order`` (``presenter``)."""
    review = review or Review()
    names = names or {}
    severity = SEVERITY_BY_RANK.get(submission.priority)
    values: list[Any] = [
        submission.reference,
        iso(submission.submitted_at),
        STATUS_LABELS.get(submission.status.value) if labels else submission.status.value,
        submission.questionnaire_version,
        submission.ruleset_version,
        submission.article_version,
        _score(submission, "age", "value"),
    ]
    for key in SCORES:
        values.append(_score(submission, key, "value"))
        if key not in UNBANDED:
            values.append(_score(submission, key, "band"))
    flags = submission.flags
    values += [
        SEVERITY_LABELS.get(severity or "none") if labels else severity,
        " ".join(flag.rule_id for flag in flags),
        " | ".join(_flag_words(flag, names) for flag in flags) if labels else " ".join(map(_flag_codes, flags)),
        sum(1 for flag in flags if flag.acknowledgement is None),
        review.note_count,
        iso(review.last_change_at),
        (audit_words.staff_name(review.last_change_by, names) if labels else review.last_change_by)
        if review.last_change_by is not None
        else None,
    ]
    if include_answers:
        if labels:
            values += answer_cells(submission, date_order=date_order)
        else:
            values += [submission.answers.get(question_id) for question_id in ANSWER_COLUMNS]
    return [cell(value) for value in values]


# --- which submissions, read in batches ---------------------------------------------------------------------------
def day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def filtered(filters: Filters, zone: tzinfo) -> Select[Any]:
    """The submissions the filters pick (any order)."""
    query = select(Submission)
    if filters.status == "open":
        query = query.where(Submission.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Submission.status == SubmissionStatus(filters.status))
    if filters.severity:
        query = query.where(Submission.priority == SEVERITY_PRIORITY[filters.severity])
    if filters.date_from:
        query = query.where(Submission.submitted_at >= day_start(filters.date_from, zone))
    if filters.date_to:
        query = query.where(Submission.submitted_at < day_start(filters.date_to + timedelta(days=1), zone))
    return query


def count(filters: Filters, zone: tzinfo) -> int:
    return db.session.scalar(select(func.count()).select_from(filtered(filters, zone).subquery())) or 0


SUBMISSION_ORDER = (paging.Key(Submission.submitted_at), paging.Key(Submission.id))


def batches(query: Select[Any], keys: Sequence[paging.Key], *, size: int | None = None) -> Iterator[list[Any]]:
    """The rows of ``query`` in ``keys`` order, ``size`` (default ``BATCH_SIZE``) at a time (keyset: each batch
    starts after the last)."""
    cursor: tuple[Any, ...] | None = None
    while True:
        found = paging.window(query, keys, db.session.scalars, cursor=cursor, size=size or BATCH_SIZE)
        if found.rows:
            yield found.rows
        if not found.has_next or not found.rows:
            return
        last = found.rows[-1]
        cursor = tuple(getattr(last, key.column.key) for key in keys)


def reviews(submission_ids: Sequence[int]) -> dict[int, Review]:
    """Note counts and the newest review event of each submission (two queries for a whole batch)."""
    notes: dict[int, int] = {
        submission_id: int(number)
        for submission_id, number in db.session.execute(
            select(ReviewEvent.submission_id, func.count())
            .where(ReviewEvent.submission_id.in_(submission_ids), ReviewEvent.note.is_not(None), ReviewEvent.note != "")
            .group_by(ReviewEvent.submission_id)
        )
    }
    newest = select(func.max(ReviewEvent.id)).where(ReviewEvent.submission_id.in_(submission_ids))
    latest = {
        submission_id: (at, staff_id)
        for submission_id, at, staff_id in db.session.execute(
            select(ReviewEvent.submission_id, ReviewEvent.at, ReviewEvent.staff_id).where(
                ReviewEvent.id.in_(newest.group_by(ReviewEvent.submission_id))
            )
        )
    }
    return {
        submission_id: Review(notes.get(submission_id, 0), *latest.get(submission_id, (None, None)))
        for submission_id in submission_ids
    }


def _csv_text(rows: Iterable[Sequence[str]], *, start: str = "") -> str:
    buffer = io.StringIO()
    buffer.write(start)
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def submission_chunks(
    filters: Filters, options: Options, names: Mapping[int, str], *, size: int | None = None
) -> Iterator[str]:
    """The submissions CSV, a chunk at a time: the byte-order mark and header, then one chunk per batch."""
    yield _csv_text([header(include_answers=options.include_answers)], start=BOM)
    query = filtered(filters, options.zone).options(selectinload(Submission.flags))
    for batch in batches(query, SUBMISSION_ORDER, size=size):
        found = reviews([submission.id for submission in batch])
        yield _csv_text(
            row(
                submission,
                include_answers=options.include_answers,
                date_order=options.date_order,
                labels=options.labels,
                review=found[submission.id],
                names=names,
            )
            for submission in batch
        )


def to_csv(rows: Iterable[Submission], *, include_answers: bool, date_order: str = "dmy") -> tuple[str, int]:
    """The CSV text of ``rows`` (with its byte-order mark) and how many submissions it holds (small exports)."""
    chosen = list(rows)
    found = reviews([submission.id for submission in chosen]) if chosen else {}
    lines = [
        row(item, include_answers=include_answers, date_order=date_order, review=found.get(item.id)) for item in chosen
    ]
    return _csv_text([header(include_answers=include_answers), *lines], start=BOM), len(chosen)


# --- the audit log ------------------------------------------------------------------------------------------------
AUDIT_ORDER = (paging.Key(AuditEvent.at), paging.Key(AuditEvent.id))


def audit_query(date_from: date, date_to: date, zone: tzinfo) -> Select[Any]:
    return select(AuditEvent).where(
        AuditEvent.at >= day_start(date_from, zone), AuditEvent.at < day_start(date_to + timedelta(days=1), zone)
    )


def audit_row(event: AuditEvent, names: Mapping[int, str]) -> list[str]:
    """One event: its codes (action, ids, the details as JSON) and its words (who, what happened, details)."""
    fields = audit_words.detail_fields(event.details or {}, names)
    values: list[Any] = [
        event.id,
        iso(event.at),
        event.staff_id,
        audit_words.staff_name(event.staff_id, names) if event.staff_id is not None else "",
        event.action,
        audit_words.sentence(event, names),
        event.reference,
        event.remote_addr,
        "; ".join(f"{label}: {value}" for label, value in fields),
    ]
    return [cell(value) for value in values] + [cell(json.dumps(event.details or {}, sort_keys=True))]


def audit_chunks(
    date_from: date, date_to: date, zone: tzinfo, names: Mapping[int, str], *, size: int | None = None
) -> Iterator[str]:
    """The audit log from ``date_from`` to ``date_to`` (the clinic's days), oldest first, a chunk at a time."""
    yield _csv_text([[*AUDIT_COLUMNS, "details_json"]], start=BOM)
    for batch in batches(audit_query(date_from, date_to, zone), AUDIT_ORDER, size=size):
        yield _csv_text(audit_row(event, names) for event in batch)
