"""Exports of submissions for admins: CSV now (FHIR R4 later). Reads only; the admin view audits the
download. Imports the models, the questionnaire definition, the answer presenter and the rules; never Flask.

The answer columns (one per question, headed by its permanent id) hold each answer in the words every page shows
(``clinical.presenter``: labels, never codes; "Not answered" for a question asked and left empty); a question the
patient was not asked is an empty cell.

CSV (RFC 4180 through the ``csv`` module: minimal quoting, CRLF line ends), UTF-8 with a byte-order mark so
Excel reads the accents right. Spreadsheet formula injection (ASVS 5.0 1.2.10, OWASP "CSV Injection") is
neutralised: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL gets a
leading ``'``, so a spreadsheet shows the text instead of running it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from screening.clinical import presenter
from screening.clinical.questionnaire import QUESTIONS
from screening.extensions import db
from screening.models import Submission
from screening.rules import stored_locale
from screening.staff.display import SEVERITY_BY_RANK

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
SCORES = ("peg", "phq9", "gad7", "auditc", "stopbang", "bmi")
FIXED_COLUMNS = (
    "reference",
    "submitted_at",
    "status",
    "questionnaire_version",
    "ruleset_version",
    "article_version",
    "age",
    *(f"{key}{part}" for key in SCORES for part in ("", "_band")),
    "highest_severity",
    "flag_rule_ids",
)
#: One column per question of the definition, named by its (permanent) question id.
ANSWER_COLUMNS = tuple(QUESTIONS)


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


def row(submission: Submission, *, include_answers: bool, date_order: str = "dmy") -> list[str]:
    """One submission as CSV cells, in ``header`` order; dates in answers in ``date_order`` (``presenter``)."""
    values: list[Any] = [
        submission.reference,
        submission.submitted_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        submission.status.value,
        submission.questionnaire_version,
        submission.ruleset_version,
        submission.article_version,
        _score(submission, "age", "value"),
    ]
    for key in SCORES:
        values += [_score(submission, key, "value"), _score(submission, key, "band")]
    values += [SEVERITY_BY_RANK.get(submission.priority), " ".join(flag.rule_id for flag in submission.flags)]
    if include_answers:
        values += answer_cells(submission, date_order=date_order)
    return [cell(value) for value in values]


def submissions() -> Sequence[Submission]:
    """Every submission, oldest first, with its flags (one query for the flags, not one per row)."""
    query = select(Submission).options(selectinload(Submission.flags)).order_by(Submission.submitted_at, Submission.id)
    return db.session.scalars(query).all()


def to_csv(rows: Iterable[Submission], *, include_answers: bool, date_order: str = "dmy") -> tuple[str, int]:
    """The CSV text (with its byte-order mark) and how many submissions it holds."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header(include_answers=include_answers))
    count = 0
    for submission in rows:
        writer.writerow(row(submission, include_answers=include_answers, date_order=date_order))
        count += 1
    return buffer.getvalue(), count
