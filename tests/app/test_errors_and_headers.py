"""Error pages (404, 413, 500 with a correlation id and no traceback), security headers on every response,
``no-store`` on every page that shows answers, no patient data in logs or URLs, and bad input (a field posted
twice, NUL and other control characters, the wrong content type) answered with a clear page, never a 500."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID, STEPS, TEXT_TYPES, QType
from tests.answer_sets import answers
from tests.app.form_posts import form_data
from tests.app.test_drafts import EVERY_FOLLOW_UP, draft_count, fill_until, seed, the_draft
from tests.app.test_pages_structure import Html, add_failing_route
from tests.app.test_patient_flow import _TOKEN, BRANCHES, start, submit
from tests.conftest import Browser

CORRELATION_ID = re.compile(r'<strong class="app-reference">([0-9a-f]{12})</strong>')


def assert_no_traceback(page: str) -> None:
    for leak in ("Traceback", "Werkzeug Debugger", "sqlalchemy", "RuntimeError", "psycopg", "sqlite3"):
        assert leak not in page, leak
    assert not re.search(r'File "[^"]+", line \d+', page)


# --- error pages ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/no-such-page",
        "/questionnaire/no_such_step",
        "/questionnaire/start",
        "/questionnaire/about_you/extra",
        "/static/no-such-file.css",
    ],
)
def test_error_page_unknown_url_is_our_404_page(client: FlaskClient, browser: Browser, url: str) -> None:
    start(browser)
    response = client.get(url)
    page = Html(response.get_data(as_text=True))
    assert response.status_code == 404
    assert [h1.clean_text() for h1 in page.find("h1")] == ["Page not found"]
    assert "/" in page.links()
    assert_no_traceback(page.source)


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_error_page_body_over_max_content_length_is_413_and_saves_nothing(
    app: Flask, client: FlaskClient, browser: Browser, encoding: str
) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    browser.get("/questionnaire/pain")
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = {**form_data("pain", answers()), "csrf_token": browser.csrf_token(), "pain_description": "x" * (limit + 1)}
    response = client.post(
        "/questionnaire/pain", data=data, content_type="multipart/form-data" if encoding == "multipart" else None
    )
    assert response.status_code == 413
    page = Html(response.get_data(as_text=True))
    assert [h1.clean_text() for h1 in page.find("h1")] == ["The file or form was too large"]
    assert the_draft(app).answers == before.answers


def test_max_content_length_is_set_and_small(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] is not None
    assert 16 * 1024 <= app.config["MAX_CONTENT_LENGTH"] <= 1024 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] <= app.config["MAX_CONTENT_LENGTH"]


def test_error_page_server_error_shows_a_correlation_id_also_in_the_log(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    failing = add_failing_route(app)
    caplog.set_level(logging.DEBUG)
    response = client.get(failing)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    match = CORRELATION_ID.search(page)
    assert match, "no correlation id on the page"
    assert_no_traceback(page)
    assert "a bug in a view" not in page
    assert response.headers["X-Request-ID"] == match.group(1), "the correlation id is the request id"
    logged = [record for record in caplog.records if match.group(1) in record.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert logged[0].request_id == match.group(1)  # type: ignore[attr-defined]
    assert "RuntimeError" in logged[0].getMessage() and "boom" in logged[0].getMessage(), "type and place logged"
    assert CORRELATION_ID.search(client.get(failing).get_data(as_text=True)).group(1) != match.group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "error",
    [
        ValueError("invalid literal for int() with base 10: 'Theodora Canarywood'"),
        KeyError("Theodora Canarywood"),
        OperationalError(
            "INSERT INTO submission (full_name) VALUES (?)",
            ("Theodora Canarywood",),
            Exception("disk I/O error near 'Theodora Canarywood'"),
        ),
    ],
    ids=["ValueError", "KeyError", "OperationalError"],
)
def test_error_page_server_error_log_never_quotes_the_data_in_the_exception(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    failing = add_failing_route(app, error)
    caplog.set_level(logging.DEBUG)
    response = client.get(failing)
    assert response.status_code == (503 if isinstance(error, OperationalError) else 500)  # a database fault: busy
    assert "Canarywood" not in response.get_data(as_text=True)
    assert caplog.records, "the error is logged"
    assert type(error).__name__ in caplog.text, "the kind of error is logged"
    assert "Canarywood" not in caplog.text


# --- headers -----------------------------------------------------------------------------------------------------
def every_kind_of_response(app: Flask, browser: Browser) -> Iterator[tuple[str, TestResponse]]:
    """One response of each kind a patient can get: pages, redirects, errors, static files."""
    client = browser.client
    failing = add_failing_route(app)
    yield "start page", client.get("/")
    yield "HEAD of the start page", client.head("/")
    yield "a step without a draft (redirect)", client.get("/questionnaire/pain")
    browser.get("/")
    yield "consent (redirect)", client.post("/", data={"consent_store": "y", "csrf_token": browser.csrf_token()})
    yield "a step", client.get("/questionnaire/about_you")
    yield "a step with errors", client.post("/questionnaire/about_you", data={"csrf_token": browser.csrf_token()})
    yield "a step with a bad CSRF token", client.post("/questionnaire/about_you", data={"csrf_token": "x"})
    yield "skipping ahead (redirect)", client.get("/questionnaire/health")
    yield "unknown page", client.get("/no-such-page")
    yield "too large", client.post("/questionnaire/about_you", data={"full_name": "x" * 300_000})
    yield "server error", client.get(failing)
    yield "static file", client.get("/static/src/app.js")
    yield "method not allowed", client.put("/")
    fill_until(browser, answers(), "practicalities")
    yield "check your answers", client.get("/questionnaire/check")
    submit(browser)
    yield "confirmation", client.get("/questionnaire/confirmation")


def test_headers_every_response_has_the_security_headers(app: Flask, browser: Browser) -> None:
    problems = {}
    kinds = []
    for kind, response in every_kind_of_response(app, browser):
        response.close()  # a static file is streamed from disk
        kinds.append((kind, response.status_code))
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}
        found = [
            f"CSP lacks {expected}"
            for expected in (
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "object-src 'none'",
                "base-uri 'none'",
                "frame-ancestors 'none'",
                "form-action 'self'",
            )
            if directives.get(expected.split()[0]) != expected
        ]
        found += ["CSP allows inline code"] if "unsafe-inline" in csp or "unsafe-eval" in csp else []
        found += [
            f"{name} is {headers.get(name)!r}"
            for name, expected in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"))
            if headers.get(name) != expected
        ]
        if headers.get("Referrer-Policy") not in ("no-referrer", "same-origin", "strict-origin-when-cross-origin"):
            found.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
        if response.mimetype == "text/html" and "charset=utf-8" not in headers.get("Content-Type", ""):
            found.append("HTML without charset=utf-8")
        if "Access-Control-Allow-Origin" in headers:
            found.append("a CORS header")
        if found:
            problems[kind] = found
    assert problems == {}
    statuses = dict(kinds)
    assert {statuses["unknown page"], statuses["too large"], statuses["server error"]} == {404, 413, 500}
    assert statuses["a step with a bad CSRF token"] == 400 and statuses["method not allowed"] == 405


def test_headers_hsts_on_https_only(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert "max-age=31536000" in secure and "includeSubDomains" in secure


def pages_showing_answers(app: Flask, client: FlaskClient, browser: Browser) -> Iterator[tuple[str, TestResponse]]:
    given = answers(**BRANCHES["every follow-up"])
    start(browser)
    url = "/questionnaire/about_you"
    while "/questionnaire/check" not in url:
        step_id = url.rsplit("/", 1)[-1]
        browser.get(url)
        token = browser.csrf_token()
        yield step_id, client.get(url)
        yield f"{step_id} with errors", client.post(url, data={"csrf_token": token})
        yield (
            f"{step_id} with a bad CSRF token",
            client.post(url, data={**form_data(step_id, given), "csrf_token": "stale"}),
        )
        url = client.post(url, data={**form_data(step_id, given), "csrf_token": token}).headers["Location"]
    yield "a step changed from check", client.get("/questionnaire/pain?return_to=check")
    yield "check your answers", client.get("/questionnaire/check")
    yield "start page with a draft", client.get("/")
    submit(browser)
    yield "confirmation", client.get("/questionnaire/confirmation")


def test_headers_every_page_showing_answers_is_no_store(app: Flask, client: FlaskClient, browser: Browser) -> None:
    seen = {}
    for name, response in pages_showing_answers(app, client, browser):
        seen[name] = (response.status_code, response.headers.get("Cache-Control"))
    assert {name: cache for name, (_, cache) in seen.items() if cache != "no-store"} == {}
    assert "support" in seen and "confirmation" in seen
    assert {status for name, (status, _) in seen.items() if "bad CSRF" in name} == {400}


# --- no patient data in logs or URLs ---------------------------------------------------------------------------------
CANARIES = {
    "full_name": "Quentin Canaryfeather",
    "email": "quentin.canary@example.org",
    "phone": "01632 960 777",
    "pain_description": "Throbbing CANARY-7F3A pain",
    "pain_conditions_other": "canarytitis",
    "medicines": ["Canarymab 40mg weekly"],
    "other_allergies": "Canary seed: hives",
}


def test_patient_data_never_in_logs_or_urls(
    app: Flask, client: FlaskClient, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    given = answers(**{**BRANCHES["every follow-up"], **CANARIES})
    urls: list[str] = []

    def visit(response: TestResponse) -> TestResponse:
        urls.extend(Html(response.get_data(as_text=True)).links())
        urls.append(response.headers.get("Location", ""))
        return response

    visit(client.get("/"))
    start(browser)
    url = "/questionnaire/about_you"
    while "/questionnaire/check" not in url:
        step_id = url.rsplit("/", 1)[-1]
        browser.get(url)
        token = browser.csrf_token()
        data = form_data(step_id, given)
        visit(client.post(url, data={**data, "csrf_token": "stale"}))  # a CSRF failure is logged by Flask-WTF
        missing = next(question.id for question in STEP_BY_ID[step_id] if question.required and question.id in data)
        visit(client.post(url, data={**data, missing: "", "csrf_token": token}))  # a validation error
        url = visit(client.post(url, data={**data, "csrf_token": token})).headers["Location"]
    page = visit(client.get(url)).get_data(as_text=True)
    browser.page = page
    token, submission_token = browser.csrf_token(), _TOKEN.search(page)
    assert submission_token
    for _ in range(2):  # submit, and replay
        visit(
            client.post(
                "/questionnaire/submit", data={"csrf_token": token, "submission_token": submission_token.group(1)}
            )
        )
    visit(client.get("/questionnaire/confirmation"))
    assert "submission created" in caplog.text and "CSRF" in caplog.text, "logging was captured"
    canaries = ["Canary", "canary", "CANARY", "960 777", "Quentin"]
    assert [record.getMessage() for record in caplog.records if any(c in record.getMessage() for c in canaries)] == []
    assert not any(canary in caplog.text for canary in canaries)
    assert [url for url in urls if any(canary in url for canary in canaries)] == []
    # the only queries are navigation: back to check-your-answers, and the page "Start again" returns to (a step id)
    navigation = {"return_to=check", "page=check", "page=start", *(f"page={step.id}" for step in STEPS)}
    assert all(not urlsplit(url).query or urlsplit(url).query in navigation for url in urls if url)


def test_logs_a_requests_lines_carry_its_request_id_and_never_a_posted_value(
    app: Flask,
    client: FlaskClient,
    browser: Browser,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each request's log records and JSON lines (standard error) carry the id in its ``X-Request-ID`` header; the
    answers posted (a CSRF failure, a valid step, the submit) appear in none of them."""
    caplog.set_level(logging.INFO)
    given = answers(**{**BRANCHES["every follow-up"], **CANARIES})
    messages: list[str] = []

    def forget() -> None:
        capsys.readouterr()
        caplog.clear()

    def logged(response: TestResponse) -> TestResponse:
        request_id = response.headers["X-Request-ID"]
        text = capsys.readouterr().err
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        records = list(caplog.records)
        caplog.clear()
        assert [record.request_id for record in records] == [request_id] * len(records)  # type: ignore[attr-defined]
        assert [line["request_id"] for line in lines] == [request_id] * len(lines)
        assert not any(canary in text for canary in ("Canary", "canary", "CANARY", "960 777", "Quentin"))
        messages.extend(line["message"] for line in lines)
        return response

    start(browser)
    url = "/questionnaire/about_you"
    while "/questionnaire/check" not in url:
        step_id = url.rsplit("/", 1)[-1]
        browser.get(url)
        token, data = browser.csrf_token(), form_data(step_id, given)
        forget()
        logged(client.post(url, data={**data, "csrf_token": "stale"}))
        url = logged(client.post(url, data={**data, "csrf_token": token})).headers["Location"]
    browser.get(url)
    submission_token = _TOKEN.search(browser.page)
    assert submission_token
    forget()
    logged(
        client.post(
            "/questionnaire/submit",
            data={"csrf_token": browser.csrf_token(), "submission_token": submission_token.group(1)},
        )
    )
    assert any("CSRF" in message for message in messages) and any("submission created" in m for m in messages)


# --- bad input -------------------------------------------------------------------------------------------------------
POLLUTED: list[tuple[str, list[tuple[str, str]], str, Any]] = [
    # (step, extra pairs posted after the valid ones, question, what is stored)
    ("about_you", [("full_name", "Second Name")], "full_name", "Alex Example"),
    ("about_you", [("sex_at_birth", "male")], "sex_at_birth", "female"),
    ("about_you", [("date_of_birth-year", "1999")], "date_of_birth", "1985-03-14"),
    ("pain", [("peg_pain", "10")], "peg_pain", 6),
    ("pain", [("pain_locations", "neck"), ("pain_locations", "legs")], "pain_locations", ["neck", "legs"]),
    ("practicalities", [("consent_not_decision", "y")], "consent_not_decision", True),
]


@pytest.mark.parametrize(
    ("step_id", "extra", "question", "stored"),
    POLLUTED,
    ids=[f"{step}-{extra[0][0]}" for step, extra, _, _ in POLLUTED],
)
def test_bad_input_field_posted_twice_takes_the_first_value(
    app: Flask,
    client: FlaskClient,
    browser: Browser,
    step_id: str,
    extra: list[tuple[str, str]],
    question: str,
    stored: Any,
) -> None:
    seed(app, browser, answers(), before=step_id)
    browser.get(f"/questionnaire/{step_id}")
    data = MultiDict(
        [
            *form_data_pairs(step_id, answers()),
            *extra,
            ("csrf_token", browser.csrf_token()),
            ("csrf_token", "second-token"),
        ]
    )
    response = client.post(f"/questionnaire/{step_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:200]
    value = the_draft(app).answers[question]
    assert (sorted(value) if isinstance(stored, list) else value) == (
        sorted(stored) if isinstance(stored, list) else stored
    )


def form_data_pairs(step_id: str, given: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (name, item)
        for name, value in form_data(step_id, given).items()
        for item in (value if isinstance(value, list) else [value])
    ]


TEXT_QUESTIONS = [
    (question.id, step.id)
    for step in STEP_BY_ID.values()
    for question in step
    if question.type in TEXT_TYPES and step.id != "start"
]


CONTROL_CHARACTERS = {"NUL": "\x00", "ESC": "\x1b", "DEL": "\x7f", "NEL": "\x85"}


@pytest.mark.parametrize(("question", "step_id"), TEXT_QUESTIONS, ids=[qid for qid, _ in TEXT_QUESTIONS])
def test_bad_input_control_characters_in_text_are_a_clear_error(
    app: Flask, client: FlaskClient, browser: Browser, question: str, step_id: str
) -> None:
    given = dict(EVERY_FOLLOW_UP)
    if question == "contact_phone_today":  # asked only of someone who gave no phone number
        given.pop("phone")
        given["contact_phone_today"] = "07700 900 982"
    seed(app, browser, given, before=step_id)
    before = the_draft(app)
    browser.get(f"/questionnaire/{step_id}")
    for name, character in CONTROL_CHARACTERS.items():
        typed = f"0163{character}2 960 001" if QUESTIONS[question].type is QType.TEL else f"Al{character}ex"
        response = client.post(
            f"/questionnaire/{step_id}",
            data={**form_data(step_id, given), question: typed, "csrf_token": browser.csrf_token()},
        )
        assert response.status_code == 200, name
        page = Html(response.get_data(as_text=True))
        assert [(target, "must not include hidden characters" in text) for target, text in page.error_summary()] == [
            (question, True)
        ], name
    assert the_draft(app).answers == before.answers


@pytest.mark.parametrize(
    ("step_id", "field", "value"),
    [
        ("about_you", "sex_at_birth", "fe\x00male"),
        ("about_you", "date_of_birth-day", "1\x004"),
        ("pain", "pain_locations", "le\x00gs"),
        ("pain", "peg_pain", "6\x00"),
        ("health", "height_cm", "17\x000"),
        ("practicalities", "consent_not_decision", "y\x00"),
        ("about_you", "csrf_token", "\x00"),
    ],
)
def test_bad_input_nul_in_other_fields_is_never_a_server_error(
    app: Flask, client: FlaskClient, browser: Browser, step_id: str, field: str, value: str
) -> None:
    seed(app, browser, answers(), before=step_id)
    before = the_draft(app)
    browser.get(f"/questionnaire/{step_id}")
    response = client.post(
        f"/questionnaire/{step_id}",
        data={**form_data(step_id, answers()), "csrf_token": browser.csrf_token(), field: value},
    )
    assert response.status_code in (200, 302, 400)
    if response.status_code != 302:
        assert_no_traceback(response.get_data(as_text=True))
    stored = the_draft(app).answers
    assert "\x00" not in repr(stored)
    if response.status_code != 302:
        assert stored == before.answers


@pytest.mark.parametrize("token", ["ab\x00cd", "\x00" * 43, "x" * 5000, "KT-0000-0000", ""])
@pytest.mark.parametrize("with_draft", [True, False], ids=["with a draft", "after submitting"])
def test_bad_input_odd_submission_token_is_never_a_server_error(
    app: Flask, client: FlaskClient, browser: Browser, token: str, with_draft: bool
) -> None:
    seed(app, browser, answers())
    browser.get("/questionnaire/check")
    if not with_draft:
        submit(browser)
        browser.get("/")
    response = client.post(
        "/questionnaire/submit", data={"csrf_token": browser.csrf_token(), "submission_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "/questionnaire/check", "/questionnaire/confirmation")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("full_name=Alex", "text/plain"),
        (b"full_name=\xff\xfe", "application/x-www-form-urlencoded"),
        ('{"full_name": "Alex"}', "application/json"),
        ('--x\r\nContent-Disposition: form-data; name="full_name"\r\n\r\nAlex\r\n--x--', "multipart/form-data"),
    ],
    ids=["text/plain", "invalid UTF-8", "JSON", "multipart without boundary"],
)
def test_bad_input_unreadable_body_is_rejected_and_saves_nothing(
    app: Flask, client: FlaskClient, browser: Browser, body: Any, content_type: str
) -> None:
    start(browser)
    fill_until(browser, answers(), "about_you")
    before = the_draft(app)
    browser.get("/questionnaire/about_you")
    response = client.post("/questionnaire/about_you", data=body, content_type=content_type)
    assert response.status_code == 400
    assert_no_traceback(response.get_data(as_text=True))
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)
    assert draft_count(app) == 1
