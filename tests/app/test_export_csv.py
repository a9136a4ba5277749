"""The admin CSV export: one row per submission, RFC 4180, UTF-8 with a BOM, formula injection neutralised,
answers only when asked for, downloaded by POST (CSRF), never cached, and audited; filtered by clinic dates, status
and severity; readable labels or codes; each flag's acknowledgement, the note count and the last change; streamed
in bounded batches with flat memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from screening.clinical.questionnaire import QUESTIONNAIRE_VERSION, QUESTIONS
from screening.extensions import db
from screening.models import Acknowledgement, AuditEvent, ReviewEvent, Submission, SubmissionStatus
from screening.staff import exports
from tests.app.admin_helpers import add_submission
from tests.app.auth import sign_in_admin
from tests.conftest import Browser

ATTACKS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "\0=1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_neutralise_prefixes_a_quote_to_anything_a_spreadsheet_would_run(text: str) -> None:
    assert exports.neutralise(text) == "'" + text
    assert exports.cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (5.3, "5.3"),
        (["crps", "arthritis"], "crps;arthritis"),
        (["=1", "b"], "'=1;b"),
        ("Plain text, with a comma", "Plain text, with a comma"),
        ("a=b", "a=b"),
    ],
)
def test_cell_writes_stored_values_as_text(value: object, expected: str) -> None:
    assert exports.cell(value) == expected


def test_answer_columns_are_the_question_ids_and_never_clash_with_fixed_columns() -> None:
    assert exports.ANSWER_COLUMNS == tuple(QUESTIONS)
    assert not set(exports.FIXED_COLUMNS) & set(exports.ANSWER_COLUMNS)


def download(client: FlaskClient, *, include_answers: bool, **fields: str) -> tuple[object, list[list[str]]]:
    browser = Browser(client)
    browser.get("/staff/admin/export")
    assert browser.status == 200
    data = {"csrf_token": browser.csrf_token(), **({"include_answers": "y"} if include_answers else {}), **fields}
    response = client.post("/staff/admin/export.csv", data=data)
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return response, list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_export_has_one_row_per_submission_with_scores_severity_and_flags(app: Flask, client: FlaskClient) -> None:
    first = add_submission(app, submitted_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    urgent = add_submission(
        app,
        phq9_9=1,
        self_harm_intent="yes",
        self_harm_recent_attempt="no",
        phone="01632 960 001",
        height_cm=170,
        weight_kg=80,
        submitted_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    sign_in_admin(client, app)
    response, rows = download(client, include_answers=False)
    header, *records = rows
    assert header == list(exports.FIXED_COLUMNS)
    assert [record[0] for record in records] == [first, urgent]
    by_column = [dict(zip(header, record, strict=True)) for record in records]
    assert by_column[0]["submitted_at"] == "2026-03-01T09:30:00Z"
    assert by_column[0]["status"] == "New"  # readable labels by default
    assert by_column[0]["questionnaire_version"] == QUESTIONNAIRE_VERSION
    assert by_column[0]["age"].isdigit()
    assert (by_column[0]["phq9"], by_column[0]["phq9_band"]) == ("0", "minimal")
    assert (by_column[0]["bmi"], by_column[0]["bmi_band"]) == ("", "")
    assert (by_column[0]["highest_severity"], by_column[0]["flag_rule_ids"]) == ("No flags", "")  # none in the baseline
    assert by_column[0]["flags"] == "" and by_column[0]["note_count"] == "0" and by_column[0]["last_change_at"] == ""
    assert by_column[1]["highest_severity"] == "Urgent"
    assert "(Urgent): not acknowledged" in by_column[1]["flags"]
    assert by_column[1]["flags_unacknowledged"] == str(len(by_column[1]["flag_rule_ids"].split(" ")))
    assert "peg_band" not in header and "peg" in header  # the PEG has no validated band
    assert "psych_suicide_risk_urgent" in by_column[1]["flag_rule_ids"].split(" ")
    assert by_column[1]["bmi"] == "27.7"
    assert "Alex Example" not in response.get_data(as_text=True)  # no answers unless asked for


def test_export_headers_make_a_private_download(app: Flask, client: FlaskClient) -> None:
    add_submission(app)
    sign_in_admin(client, app)
    response, _rows = download(client, include_answers=False)
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    today = datetime.now(UTC).date()
    disposition = headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="screening-export-') and disposition.endswith('.csv"')
    assert abs((datetime.strptime(disposition[39:49], "%Y-%m-%d").date() - today).days) <= 1


def test_export_with_answers_quotes_per_rfc_4180_and_neutralises_formulas(app: Flask, client: FlaskClient) -> None:
    reference = add_submission(
        app,
        full_name='=HYPERLINK("http://evil.example")',
        pain_conditions=["crps", "arthritis"],
        pain_description='-1 "ouch", then\nit <script>alert(1)</script>',
        other_allergies="@SUM(1+1)",
    )
    sign_in_admin(client, app)
    response, rows = download(client, include_answers=True)
    header, record = rows
    assert header == [*exports.FIXED_COLUMNS, *QUESTIONS]
    values = dict(zip(header, record, strict=True))
    assert values["reference"] == reference
    assert values["full_name"] == '\'=HYPERLINK("http://evil.example")'
    assert values["pain_description"] == '\'-1 "ouch", then\nit <script>alert(1)</script>'
    assert values["other_allergies"] == "'@SUM(1+1)"
    # the answers in the presenter's words, as every page shows them (labels, never codes)
    assert values["pain_conditions"] == "Complex regional pain syndrome (CRPS); Arthritis"
    assert values["consent_store"] == "Yes"
    assert values["date_of_birth"] == "14 March 1985"
    assert values["phq9_1"] == "Not at all"
    assert values["no_medications"] == "I don't take any medicines"  # the baseline ticks it (presenter.STATEMENTS)
    assert values["current_medications"] == ""  # so the list is not asked
    assert values["referrer_name"] == ""  # not asked (found us themselves): an empty cell, never "Not answered"
    raw = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert raw.count("\r\n") >= 2 and "\n-1" not in raw
    assert '"\'-1 ""ouch"", then\nit <script>alert(1)</script>"' in raw  # quoted, quotes doubled
    for row in rows:
        for value in row:
            assert not value.startswith(exports.FORMULA_STARTS)


@pytest.mark.parametrize("include_answers", [False, True])
def test_export_is_audited_with_row_count_and_answers_choice(
    app: Flask, client: FlaskClient, include_answers: bool
) -> None:
    add_submission(app)
    add_submission(app)
    admin_id = sign_in_admin(client, app)
    download(client, include_answers=include_answers)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).one()
        assert event.staff_id == admin_id
        assert event.details == {"format": "csv", "rows": 2, "answers": include_answers, "labels": "labels"}


def test_export_without_a_csrf_token_is_refused_and_not_audited(app: Flask, client: FlaskClient) -> None:
    add_submission(app)
    sign_in_admin(client, app)
    response = client.post("/staff/admin/export.csv", data={"include_answers": "y"})
    assert response.status_code == 400
    assert "Alex Example" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all() == []


def test_export_of_no_submissions_is_just_the_header(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    page = Browser(client).get("/staff/admin/export")
    assert "0 in all" in page
    _response, rows = download(client, include_answers=False)
    assert rows == [list(exports.FIXED_COLUMNS)]


def test_export_by_get_is_not_allowed(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    assert client.get("/staff/admin/export.csv").status_code == 405


# --- filters, labels or codes, review columns, streaming ---------------------------------------------------------
def _by_reference(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header, *records = rows
    return {record[0]: dict(zip(header, record, strict=True)) for record in records}


def test_export_filters_by_clinic_dates_status_and_severity(app: Flask, client: FlaskClient) -> None:
    june_30 = add_submission(app, submitted_at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC))  # 30 June 23:30 BST
    july_1 = add_submission(app, submitted_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 1 July 00:30 BST
    urgent = add_submission(
        app,
        phq9_9=1,
        self_harm_intent="yes",
        self_harm_recent_attempt="no",
        phone="01632 960 001",
        submitted_at=datetime(2026, 7, 2, 9, 0, tzinfo=UTC),
    )
    with app.app_context():
        db.session.execute(
            update(Submission).where(Submission.reference == july_1).values(status=SubmissionStatus.WITHDRAWN)
        )
        db.session.commit()
    sign_in_admin(client, app)

    def references(**fields: str) -> list[str]:
        return list(_by_reference(download(client, include_answers=False, **fields)[1]))

    assert references() == [june_30, july_1, urgent]
    assert references(date_from="2026-07-01") == [july_1, urgent]
    assert references(date_to="2026-06-30") == [june_30]
    assert references(status="withdrawn") == [july_1]
    assert references(status="open") == [june_30, urgent]
    assert references(severity="urgent") == [urgent]
    assert references(severity="none", status="open") == [june_30]
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.downloaded").order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None
        assert event.details == {
            "format": "csv",
            "rows": 1,
            "answers": False,
            "status": "open",
            "severity": "none",
            "labels": "labels",
        }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date_from": "2026-02-31"}, "Enter a real date, for example 2026-11-24"),
        ({"date_from": "2026-07-02", "date_to": "2026-07-01"}, "The end date must be the same as or after the start"),
        ({"status": "deleted"}, "Not a valid choice"),
        ({"severity": "' OR 1=1"}, "Not a valid choice"),
    ],
)
def test_export_filter_mistakes_show_the_form_again_and_download_nothing(
    app: Flask, client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    add_submission(app)
    sign_in_admin(client, app)
    browser = Browser(client)
    browser.get("/staff/admin/export")
    response = client.post("/staff/admin/export.csv", data={"csrf_token": browser.csrf_token(), **fields})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "There is a problem" in page
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all() == []


def _reviewed(app: Flask, reference: str, staff_id: int) -> None:
    """Two notes and an acknowledged flag, the last change at 10:00 on 5 March 2026."""
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        flag = submission.flags[0]
        flag.acknowledgement = Acknowledgement.DISCUSSED
        flag.acknowledged_by_id = staff_id
        flag.acknowledged_at = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        for minute, note in ((0, "Rang the patient"), (30, None), (59, "Booked")):
            db.session.add(
                ReviewEvent(
                    submission_id=submission.id,
                    staff_id=staff_id,
                    at=datetime(2026, 3, 5, 9, minute, tzinfo=UTC),
                    note=note,
                )
            )
        db.session.add(
            ReviewEvent(
                submission_id=submission.id,
                staff_id=staff_id,
                at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
                from_status=SubmissionStatus.NEW,
                to_status=SubmissionStatus.IN_REVIEW,
            )
        )
        submission.status = SubmissionStatus.IN_REVIEW
        db.session.commit()


def test_export_has_acknowledgements_note_count_and_last_change_as_labels_or_codes(
    app: Flask, client: FlaskClient
) -> None:
    reference = add_submission(
        app, phq9_9=1, self_harm_intent="yes", self_harm_recent_attempt="no", phone="01632 960 001"
    )
    admin_id = sign_in_admin(client, app)
    _reviewed(app, reference, admin_id)
    with app.app_context():
        flags = db.session.scalars(select(Submission).where(Submission.reference == reference)).one().flags
        first, others = flags[0], flags[1:]
        title, rule_id, severity = first.title, first.rule_id, first.severity

    words = _by_reference(download(client, include_answers=False)[1])[reference]
    assert words["status"] == "In review"
    assert f"{title} (Urgent): Discussed by Ada Admin at 2026-03-05T09:00:00Z" in words["flags"].split(" | ")
    assert words["flags_unacknowledged"] == str(len(others))
    assert (words["note_count"], words["last_change_at"], words["last_change_by"]) == (
        "2",
        "2026-03-05T10:00:00Z",
        "Ada Admin",
    )

    codes = _by_reference(download(client, include_answers=True, labels="codes")[1])[reference]
    assert (codes["status"], codes["highest_severity"], codes["last_change_by"]) == (
        "in_review",
        "urgent",
        str(admin_id),
    )
    assert codes["flags"].split(" ")[0] == f"{rule_id}:{severity}:discussed"
    assert all(item.endswith(":") for item in codes["flags"].split(" ")[1:])  # not acknowledged
    assert codes["self_harm_intent"] == "yes" and codes["consent_store"] == "true"  # stored codes, not words


def test_export_streams_in_bounded_batches(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    references = [add_submission(app, submitted_at=datetime(2026, 3, 1, 9, minute, tzinfo=UTC)) for minute in range(7)]
    sign_in_admin(client, app)
    sizes: list[int] = []
    real_reviews = exports.reviews

    def counting_reviews(ids: Any) -> Any:
        sizes.append(len(ids))
        return real_reviews(ids)

    monkeypatch.setattr(exports, "BATCH_SIZE", 3)
    monkeypatch.setattr(exports, "reviews", counting_reviews)
    browser = Browser(client)
    browser.get("/staff/admin/export")
    response = client.post("/staff/admin/export.csv", data={"csrf_token": browser.csrf_token()}, buffered=False)
    assert response.is_streamed
    body = b"".join(response.response).decode("utf-8-sig")  # type: ignore[arg-type]
    assert [row[0] for row in csv.reader(io.StringIO(body, newline=""))][1:] == references
    assert sizes == [3, 3, 1]


def test_streaming_memory_stays_flat_as_the_export_grows(app: Flask) -> None:
    """Peak memory while writing every row in batches of 20, for 40 rows and then for 400: the larger export must not
    need anything like 10 times the memory (a list of every row, or the whole file in one string, would)."""

    def add(count: int, start: int) -> None:
        for minute in range(start, start + count):
            add_submission(app, submitted_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minute))

    def peak() -> tuple[int, int]:
        with app.app_context():
            tracemalloc.start()
            rows = sum(
                chunk.count("\r\n")
                for chunk in exports.submission_chunks(exports.Filters(), exports.Options(), {}, size=20)
            )
            _current, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            db.session.remove()
            return rows, top

    add(40, 0)
    peak()  # warm the statement caches
    small_rows, small = peak()
    add(360, 40)
    large_rows, large = peak()
    assert (small_rows, large_rows) == (41, 401)  # the header and every row
    assert large < 2 * small, (small, large)
