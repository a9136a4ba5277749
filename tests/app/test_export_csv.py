"""The admin CSV export: one row per submission, RFC 4180, UTF-8 with a BOM, formula injection neutralised,
answers only when asked for, downloaded by POST (CSRF), never cached, and audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.clinical.questionnaire import QUESTIONNAIRE_VERSION, QUESTIONS
from screening.extensions import db
from screening.models import AuditEvent
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


def download(client: FlaskClient, *, include_answers: bool) -> tuple[object, list[list[str]]]:
    browser = Browser(client)
    browser.get("/staff/admin/export")
    assert browser.status == 200
    data = {"csrf_token": browser.csrf_token(), **({"include_answers": "y"} if include_answers else {})}
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
    assert by_column[0]["status"] == "new"
    assert by_column[0]["questionnaire_version"] == QUESTIONNAIRE_VERSION
    assert by_column[0]["age"].isdigit()
    assert (by_column[0]["phq9"], by_column[0]["phq9_band"]) == ("0", "minimal")
    assert (by_column[0]["bmi"], by_column[0]["bmi_band"]) == ("", "")
    assert (by_column[0]["highest_severity"], by_column[0]["flag_rule_ids"]) == ("", "")  # the baseline has no flags
    assert by_column[1]["highest_severity"] == "urgent"
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
        assert event.details == {"format": "csv", "rows": 2, "answers": include_answers}


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
