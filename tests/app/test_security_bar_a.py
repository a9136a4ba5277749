"""Security-bar §4 cases 3-18 (bad input from patients and into staff pages), one test each, named by number
(``test_case_NN_...``): many fields, a huge field, percent-encoded bytes, unusual characters, stored XSS, PDF,
SQL and template injection, CSV formulas, CSRF failures, a foreign Referer over HTTPS, replayed submits, skipped
steps and mass assignment. Each asserts the "Expected" column of /work/shared/security-bar.md §4; the helpers come
from the tests that already drive each path. Cases 1, 2, 5 and 7 are in test_input_edges.py."""

from __future__ import annotations

import csv
import io
import re
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.extensions import db
from screening.models import Draft, ReviewEvent, Submission, SubmissionStatus
from screening.staff import pdf
from tests.answer_sets import answers
from tests.app.admin_helpers import add_submission
from tests.app.auth import account, sign_in, sign_in_admin
from tests.app.form_posts import form_data
from tests.app.staff_helpers import get_submission, make_submission, url, version_on
from tests.app.test_drafts import draft_count, expired_csrf_token, fill_until, seed, the_draft
from tests.app.test_errors_and_headers import assert_no_traceback
from tests.app.test_export_csv import download
from tests.app.test_patient_flow import _TOKEN, start
from tests.app.test_search_people import references
from tests.app.test_summary import flat, stored
from tests.conftest import Browser
from tests.summary_cases import hostile_answers, pdf_pages

ABOUT_YOU = "/questionnaire/about_you"


def submissions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Submission)) or 0


def on_about_you(app: Flask, browser: Browser) -> dict[str, Any]:
    """A patient past the start page, on "About you": the valid form data of that page (with a CSRF token)."""
    start(browser)
    browser.get(ABOUT_YOU)
    return {**form_data("about_you", answers()), "csrf_token": browser.csrf_token()}


# --- 3, 4: many fields, one huge field ---------------------------------------------------------------------------
def test_case_03_many_fields_unknown_ones_ignored_and_over_the_limits_413(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    data = on_about_you(app, browser)
    many = {f"u{number}": "x" for number in range(20_000)}  # ~190 kB: under the body limit
    response = client.post(ABOUT_YOU, data={**data, **many, "status": "approved"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    stored = the_draft(app).answers
    assert not any(key.startswith("u") and key[1:].isdigit() for key in stored) and "status" not in stored
    before = the_draft(app).answers
    pairs = "&".join(f"v{number}=x" for number in range(30_000))  # ~240 kB of fields + the valid ones: over
    response = client.post(
        ABOUT_YOU, data=pairs + "&x=" + "y" * 30_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    parts = {f"p{number}": "x" for number in range(1_500)}  # over MAX_FORM_PARTS (500)
    response = client.post(ABOUT_YOU, data={**data, **parts}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert_no_traceback(response.get_data(as_text=True))
    assert the_draft(app).answers == before and draft_count(app) == 1


def test_case_04_single_huge_field_413_or_a_length_message_and_nothing_saved(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    data = on_about_you(app, browser)
    before = the_draft(app)
    response = client.post(ABOUT_YOU, data={**data, "full_name": "A" * 600_000})
    assert response.status_code == 413
    assert "Page not found" not in response.get_data(as_text=True)  # our own 413 page
    response = client.post(ABOUT_YOU, data={**data, "full_name": "A" * 200_000})  # under the body limit
    assert response.status_code == 200
    assert re.search(r"must be [\d,]+ characters or less", response.get_data(as_text=True))
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)


# --- 6, 8: percent-encoded bytes, unusual characters ---------------------------------------------------------------
def test_case_06_percent_encoded_invalid_utf8_is_a_harmless_literal_or_a_message(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    data = on_about_you(app, browser)
    body = "&".join(f"{key}={value}" for key, value in data.items() if key != "full_name")
    for typed in ("%FF%FE", "Al%C0%AFex", "%ED%A0%80"):  # invalid bytes, an overlong "/", a lone surrogate
        response = client.post(
            ABOUT_YOU, data=f"full_name={typed}&{body}", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (200, 302, 400), typed
        assert_no_traceback(response.get_data(as_text=True))
        stored = the_draft(app).answers.get("full_name", "")
        assert "\x00" not in stored and not any("\ud800" <= char <= "\udfff" for char in stored), typed


UNUSUAL = "Zoë \u202eevil\u202c zero\u200bwidth 😀🏳️‍🌈 e\u0301 ﷽ 𝔘𝔫𝔦"


def test_case_08_rtl_zero_width_emoji_and_combining_marks_stored_and_shown_exactly(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    data = on_about_you(app, browser)
    response = client.post(ABOUT_YOU, data={**data, "full_name": UNUSUAL})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert the_draft(app).answers["full_name"] == UNUSUAL  # byte-exact: no normalisation, nothing stripped
    assert UNUSUAL in client.get(ABOUT_YOU).get_data(as_text=True)
    reference = make_submission(app, pain_description=UNUSUAL, full_name=UNUSUAL)
    staff = Browser(app.test_client())
    sign_in(staff, app, "clinician")
    page = staff.get(url(reference))
    assert staff.status == 200 and page.count(UNUSUAL) >= 2
    page = staff.post(url(reference, "notes"), {"note": UNUSUAL, "version": version_on(page, url(reference, "notes"))})
    assert staff.status == 302
    with app.app_context():
        assert db.session.scalars(select(ReviewEvent.note)).all() == [UNUSUAL]
    # C0/C1 controls are the one documented exception: refused with a message (test_errors_and_headers.py)
    response = client.post(ABOUT_YOU, data={**data, "full_name": "Al\x1bex"})
    assert response.status_code == 200 and "hidden characters" in response.get_data(as_text=True)


# --- 9, 10, 11, 12: injection ----------------------------------------------------------------------------------------
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"]


def test_case_09_stored_xss_is_escaped_in_the_staff_list_detail_and_print_pages(app: Flask, browser: Browser) -> None:
    reference = make_submission(
        app, priority=1, full_name=f"{XSS[1]} Patient", pain_description=" ".join(XSS), other_allergies=XSS[0]
    )
    sign_in(browser, app, "clinician")
    pages = {
        name: browser.get(address)
        for name, address in [("list", "/staff/"), ("detail", url(reference)), ("print", url(reference, "summary"))]
    }
    for name, page in pages.items():
        assert "<script>alert" not in page and "<img src=x" not in page, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, name
        assert not re.search(r'(href|src|action)="\s*javascript:', page, re.I), name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["detail"] + pages["print"]
    csp = browser.client.get(url(reference)).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_case_10_pdf_injection_prints_as_text_and_fetches_nothing(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = stored(app, hostile_answers())
    asked: list[str] = []
    original = pdf.BundledOnlyFetcher.fetch

    def recording(self: pdf.BundledOnlyFetcher, address: str, headers: Any = None) -> Any:
        asked.append(address)
        return original(self, address, headers)

    monkeypatch.setattr(pdf.BundledOnlyFetcher, "fetch", recording)
    sign_in(browser, app, "clinician")
    response = browser.client.get(url(reference, "summary.pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert asked == []  # no file:// nor network fetch (the stylesheet is given already parsed: printing.py)
    text = flat(" ".join(pdf_pages(response.data)))
    assert "<img src=file:///etc/passwd>" in text and "{{7*7}}" in text
    assert response.headers["Cache-Control"] == "no-store"


SQL = ["' OR 1=1--", '"; DROP TABLE submission; --', "1' UNION SELECT password_hash FROM staff_user--"]


def test_case_11_sql_injection_strings_stored_literally_and_search_finds_nothing_extra(
    app: Flask, browser: Browser
) -> None:
    reference = make_submission(app, pain_description=SQL[0], other_allergies=SQL[1], full_name="Robert Tables")
    make_submission(app, full_name="Other Person")
    sign_in(browser, app, "reception")
    for term in SQL:
        browser.get("/staff/")
        page = browser.post("/staff/search", {"q": term})
        assert browser.status == 200, term
        assert references(page) == [], term
        assert_no_traceback(page)
    for query in ("status=' OR 1=1--", "severity=1;DROP TABLE x", "from=2026-01-01'--", "page=' OR '1'='1"):
        browser.get(f"/staff/?{query}")
        assert browser.status == 200, query
        assert_no_traceback(browser.page)
    browser.get("/staff/admin/audit?action=' OR 1=1--")
    assert browser.status in (200, 403)
    with app.app_context():
        submission = db.session.scalars(select(Submission).filter_by(reference=reference)).one()
        assert (submission.answers["pain_description"], submission.answers["other_allergies"]) == (SQL[0], SQL[1])
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 2  # the table is still there


def test_case_12_template_injection_is_shown_literally(app: Flask, client: FlaskClient, browser: Browser) -> None:
    payload = "{{7*191}} {% print 6*1111 %} ${7*191} #{7*191}"
    data = on_about_you(app, browser)
    assert client.post(ABOUT_YOU, data={**data, "full_name": payload}).status_code == 302
    assert payload in client.get(ABOUT_YOU).get_data(as_text=True)
    reference = make_submission(app, full_name=payload, pain_description=payload)
    staff = Browser(app.test_client())
    sign_in(staff, app, "clinician")
    for address in (url(reference), url(reference, "summary")):
        page = staff.get(address)
        assert payload in page, address
        assert "1337" not in page and "6666" not in page, address


# --- 13: CSV formulas ------------------------------------------------------------------------------------------------
FORMULAS = {
    "full_name": '=HYPERLINK("http://evil.example","x")',
    "pain_description": "+1+1",
    "other_allergies": "@SUM(A1:A2)",
    "previous_ketamine_notes": "-2+3",
}


def test_case_13_csv_export_neutralises_formulas_quotes_and_is_a_private_download(
    app: Flask, client: FlaskClient
) -> None:
    reference = add_submission(
        app,
        previous_ketamine="yes",
        previous_ketamine_effect="helped_a_little",
        previous_ketamine_bad_reaction="no",
        **FORMULAS,
    )
    sign_in_admin(client, app)
    response, rows = download(client, include_answers=True)
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Content-Disposition"].startswith("attachment;") and headers["Cache-Control"] == "no-store"
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["reference"] == reference
    for column, value in FORMULAS.items():
        assert record[column] == "'" + value, column
    raw = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in raw  # RFC 4180: quoted, inner quotes doubled
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\0")) for row in rows for cell in row)
    assert list(csv.reader(io.StringIO(raw.lstrip("\ufeff")))) == rows


# --- 14, 15: CSRF ------------------------------------------------------------------------------------------------
def test_case_14_csrf_missing_wrong_foreign_or_expired_writes_nothing_and_keeps_answers(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    typed = {**form_data("about_you", answers()), "full_name": "Kept Answer"}
    stranger = Browser(app.test_client())
    stranger.get("/")
    tokens = {
        "missing": None,
        "wrong": "not-a-token",
        "another session's": stranger.csrf_token(),
        "expired": None,
    }
    start(browser)
    tokens["expired"] = expired_csrf_token(app, client)
    before = the_draft(app)
    for name, token in tokens.items():
        response = client.post(ABOUT_YOU, data={**typed, **({"csrf_token": token} if token else {})})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, name
        assert 'value="Kept Answer"' in page, name  # the patient's answers are shown again, with a fresh token
        after = the_draft(app)
        assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps), name
    reference = make_submission(app)
    staff = Browser(app.test_client())
    sign_in(staff, app, "clinician")
    page = staff.get(url(reference))
    version = version_on(page, url(reference, "status"))
    for name, token in {"missing": "", "wrong": "x", "another session's": stranger.csrf_token()}.items():
        response = staff.client.post(
            url(reference, "status"), data={"status": "approved", "version": version, "csrf_token": token}
        )
        assert response.status_code == 400, name
        assert "try again" in response.get_data(as_text=True).lower(), name
    assert get_submission(app, reference)["status"] == SubmissionStatus.NEW.value


def test_case_15_foreign_referer_over_https_is_refused(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_SSL_STRICT"] = True  # as production sets it (test_config.py: "starts hardened")
    base = "https://screening.example.org"
    page = client.get("/", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?\svalue="([^"]+)"', page)
    assert token
    data = {"csrf_token": token.group(1), "consent_store": "y"}
    for referer in (
        "https://evil.example/",
        None,
        "http://screening.example.org/",
        "https://screening.example.org.evil/",
    ):
        headers = {"Referer": referer} if referer else {}
        response = client.post("/", data=data, base_url=base, headers=headers)
        assert response.status_code == 400, referer
        assert_no_traceback(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
    response = client.post("/", data=data, base_url=base, headers={"Referer": base + "/"})
    assert response.status_code == 302


# --- 16, 17, 18: replay, skipping steps, mass assignment ----------------------------------------------------------
def test_case_16_replayed_submit_sequential_and_parallel_makes_one_submission(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers())
    token = _TOKEN.search(browser.get("/questionnaire/check"))
    assert token
    data = {"csrf_token": browser.csrf_token(), "submission_token": token.group(1)}
    cookie = browser.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    tabs = [app.test_client() for _ in range(3)]
    for tab in tabs:
        tab.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    barrier, outcomes = threading.Barrier(2), []

    def send(tab: FlaskClient) -> None:
        barrier.wait()
        outcomes.append(tab.post("/questionnaire/submit", data=data).headers.get("Location"))

    threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    outcomes.append(tabs[2].post("/questionnaire/submit", data=data).headers.get("Location"))  # a later retry
    assert outcomes == ["/questionnaire/confirmation"] * 3
    assert submissions(app) == 1
    with app.app_context():
        reference = db.session.scalars(select(Submission.reference)).one()
    assert all(reference in tab.get("/questionnaire/confirmation").get_data(as_text=True) for tab in tabs)


def test_case_17_skipping_steps_or_a_tampered_page_field_submits_nothing(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "about_you")
    before = the_draft(app)
    token = browser.csrf_token() if browser.get("/questionnaire/pain") else ""
    for step_id in ("practicalities", "substances"):
        browser.post(f"/questionnaire/{step_id}", {**form_data(step_id, answers()), "csrf_token": token}, csrf=False)
        assert (browser.status, browser.location) == (302, "/questionnaire/pain"), step_id
    for address in ("/questionnaire/submit", "/questionnaire/submit?page=check&return_to=check"):
        fields = {"submission_token": before.submission_token, "page": "check", "step": "practicalities"}
        browser.post(address, {**fields, "csrf_token": token}, csrf=False)
        assert browser.location.split("?")[0] == "/questionnaire/pain", address
    browser.get("/questionnaire/check?page=practicalities")
    assert browser.location.split("?")[0] == "/questionnaire/pain"
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)
    assert submissions(app) == 0


EXTRA = {
    "status": "approved",
    "id": "1",
    "created_at": "2000-01-01",
    "is_admin": "1",
    "reference": "KT-AAAA-AAAA",
    "completed_steps": "check",
    "priority": "-1",
    "staff_id": "1",
    "roles": "admin",
    "version_id": "99",
}


def test_case_18_mass_assignment_extra_fields_are_ignored(app: Flask, browser: Browser) -> None:
    start(browser)
    browser.get(ABOUT_YOU)
    browser.post(ABOUT_YOU, {**form_data("about_you", answers()), **EXTRA})
    assert browser.status == 302
    draft = the_draft(app)
    assert not set(EXTRA) & set(draft.answers) and draft.completed_steps == ["start", "about_you"]
    reference = make_submission(app, priority=1)
    staff = Browser(app.test_client())
    me = sign_in(staff, app, "clinician")
    page = staff.get(url(reference))
    staff.post(url(reference, "notes"), {"note": "Seen", "version": version_on(page, url(reference, "notes")), **EXTRA})
    assert staff.status == 302
    state = get_submission(app, reference)
    assert state["status"] == SubmissionStatus.NEW.value and state["version"] != 99
    staff.get("/staff/password")
    staff.post("/staff/password", {"current": "x", "new": "", "confirm": "", **EXTRA})
    assert sorted(role.value for role in account(app, me.id).roles) == ["clinician"]
