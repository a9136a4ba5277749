"""Security-bar §4 cases 1, 2, 5, 7 and 35 through the test client: oversized and chunked bodies (413, never a cut-off
save), a body without a length (411), invalid UTF-8 (400 "We could not read what was sent", the draft untouched), NUL
and other control characters in patient text, the sign-in email, staff forms, query parameters and paths (no 500; a
sign-in with one counted and audited), and the Host header (400 outside TRUSTED_HOSTS in production; a 300-character
label and a failing error page still answer with our page and the security headers: ``test_input_edges_hosts.py``).
The same body framing through a real gunicorn and a raw socket: ``test_input_edges_gunicorn.py``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse
from wtforms import Form, PasswordField, StringField
from wtforms.fields.choices import SelectFieldBase

from screening.extensions import db
from screening.models import AuditEvent, LoginFailure
from screening.staff import account_views, forms, intake_views, repeat_views
from tests.answer_sets import answers
from tests.app.auth import INVALID, make_staff, page_csrf, sign_in
from tests.app.form_posts import form_data
from tests.app.test_drafts import draft_count, seed, the_draft
from tests.conftest import Browser

FORM = "application/x-www-form-urlencoded"
CANARY = "Theodora Canarywood"
H1 = re.compile(r"<h1[^>]*>\s*(.*?)\s*</h1>", re.S)
UNREADABLE = "We could not read what was sent"
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def heading(response: TestResponse) -> str:
    found = H1.findall(response.get_data(as_text=True))
    assert len(found) == 1, found
    return str(found[0])


def assert_headers(response: TestResponse) -> None:
    missing = [name for name in HEADERS if name not in response.headers]
    assert not missing, f"{response.status_code} lacks {missing}"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return found


def step_body(browser: Browser, step_id: str, **changes: Any) -> dict[str, Any]:
    browser.get(f"/questionnaire/{step_id}")
    return {**form_data(step_id, answers()), "csrf_token": browser.csrf_token(), **changes}


def chunked(client: FlaskClient, path: str, body: bytes, **headers: str) -> TestResponse:
    """POST ``body`` as a server hands over a chunked one: no Content-Length, ``wsgi.input_terminated`` set."""
    return client.post(
        path,
        data=body,
        content_type=FORM,
        headers={"Transfer-Encoding": "chunked", **headers},
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )


def encoded(data: dict[str, Any]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True).encode()


# --- 1: oversized body ------------------------------------------------------------------------------------------------
def test_case_01_oversized_body_is_our_413_page_saves_nothing_and_is_logged_and_audited_without_content(
    app: Flask, client: FlaskClient, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = step_body(browser, "pain", pain_description=CANARY + "x" * limit)
    caplog.set_level(logging.INFO)
    response = client.post("/questionnaire/pain", data=data)
    assert response.status_code == 413
    assert heading(response) == "The file or form was too large"
    assert_headers(response)
    assert the_draft(app).answers == before.answers
    logged = [record.getMessage() for record in caplog.records if "too large" in record.getMessage()]
    assert len(logged) == 1 and str(len(encoded(data))) in logged[0] and str(limit) in logged[0]
    assert CANARY not in caplog.text
    (event,) = events(app, "request.too_large")
    assert (event.remote_addr, event.details) == (
        "127.0.0.1",
        {"endpoint": "patient.step", "bytes": len(encoded(data))},
    )
    assert CANARY not in repr(event.details)


# --- 2: chunked bodies and bodies without a length --------------------------------------------------------------------
def test_case_02_chunked_body_over_the_limit_is_413_never_a_cut_off_save(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = encoded(step_body(browser, "pain", pain_description="a" * (limit + 1000)))
    response = chunked(client, "/questionnaire/pain", body)
    assert response.status_code == 413
    assert heading(response) == "The file or form was too large"
    assert_headers(response)
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)
    (event,) = events(app, "request.too_large")
    assert event.details["endpoint"] == "patient.step" and event.details["bytes"] == limit + 1  # read no further


def test_case_02_chunked_body_within_the_limit_is_read_whole(app: Flask, client: FlaskClient, browser: Browser) -> None:
    seed(app, browser, answers(), before="pain")
    description = "It aches at night, and the end of the body is read too."
    body = encoded({"unknown_field": "b" * 200_000, **step_body(browser, "pain", pain_description=description)})
    assert len(body) > 3 * 64 * 1024  # read in several pieces
    response = chunked(client, "/questionnaire/pain", body)
    assert response.status_code == 302
    assert the_draft(app).answers["pain_description"] == description


def test_case_02_post_without_a_length_is_411_audited_and_saves_nothing(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    body = encoded(step_body(browser, "pain"))
    response = client.post(
        "/questionnaire/pain",
        data=body,
        content_type=FORM,
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )
    assert response.status_code == 411
    assert heading(response) == UNREADABLE
    assert_headers(response)
    assert the_draft(app).answers == before.answers
    (event,) = events(app, "request.no_length")
    assert (event.remote_addr, event.details) == ("127.0.0.1", {"endpoint": "patient.step"})


@pytest.mark.parametrize(
    ("headers", "overrides"),
    [
        ({"Transfer-Encoding": "chunked"}, {"wsgi.input_terminated": True}),  # a length and chunked: ambiguous
        ({"Transfer-Encoding": "gzip"}, {"CONTENT_LENGTH": "", "wsgi.input_terminated": True}),
        ({}, {"CONTENT_LENGTH": "12abc"}),
    ],
    ids=["length-and-chunked", "other-coding", "length-not-a-number"],
)
def test_case_02_ambiguous_framing_is_400_and_saves_nothing(
    app: Flask, client: FlaskClient, browser: Browser, headers: dict[str, str], overrides: dict[str, Any]
) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    body = encoded(step_body(browser, "pain"))
    response = client.post(
        "/questionnaire/pain", data=body, content_type=FORM, headers=headers, environ_overrides=overrides
    )
    assert response.status_code == 400
    assert heading(response) == UNREADABLE
    assert the_draft(app).answers == before.answers


# --- 5 and 6: invalid UTF-8 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"csrf_token=TOKEN&full_name=\xff\xfe", FORM),
        (b"csrf_token=TOKEN&full_name=Al\xc3x", FORM),
        (b"full_name=Alex", "text/plain"),
        (b'{"full_name": "Alex"}', "application/json"),
        (b'--x\r\nContent-Disposition: form-data; name="full_name"\r\n\r\nAlex\r\n--x--', "multipart/form-data"),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nAlex\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        (b"", "application/json"),
    ],
    ids=[
        "invalid-utf8",
        "truncated-utf8",
        "text-plain",
        "json",
        "multipart-without-boundary",
        "nameless-part",
        "empty-json",
    ],
)
def test_case_05_unreadable_body_is_400_we_could_not_read_and_the_draft_is_untouched(
    app: Flask, client: FlaskClient, browser: Browser, body: bytes, content_type: str
) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    browser.get("/questionnaire/about_you")
    response = client.post(
        "/questionnaire/about_you",
        data=body.replace(b"TOKEN", browser.csrf_token().encode()),
        content_type=content_type,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert heading(response) == UNREADABLE
    assert "Go back and try again. Your answers so far are saved." in page
    assert "timed out" not in page and "session" not in page.lower()
    assert_headers(response)
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)
    assert draft_count(app) == 1


def test_case_05_query_string_that_is_not_utf8_is_400_not_500(client: FlaskClient) -> None:
    for path in ("/", "/resume", "/questionnaire/about_you", "/staff/login"):
        response = client.get(path, environ_overrides={"QUERY_STRING": "page=\xff\xfe&return_to=check"})
        assert (path, response.status_code, heading(response)) == (path, 400, UNREADABLE)
        assert_headers(response)


def test_case_06_percent_encoded_invalid_utf8_is_a_harmless_literal(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers(), before="about_you")
    body = step_body(browser, "about_you")
    response = browser.client.post(
        "/questionnaire/about_you",
        data=encoded(body).replace(b"full_name=", b"full_name=Alex%FF%FE"),
        content_type=FORM,
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert the_draft(app).answers["full_name"].startswith("Alex%FF%FE")
    assert browser.client.get("/questionnaire/about_you?page=%FF%FE").status_code in (200, 302)


def test_case_05_staff_pages_say_nothing_was_changed(client: FlaskClient) -> None:
    response = client.post("/staff/login", data=b"email=\xff", content_type=FORM)
    assert response.status_code == 400 and heading(response) == UNREADABLE
    assert "Nothing was changed. Go back and try again." in response.get_data(as_text=True)


# --- 7: NUL and other control characters ------------------------------------------------------------------------------
def failures(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_case_07_nul_in_sign_in_email_is_a_failed_sign_in_counted_and_audited(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, "clinician")
    characters = ["\x00", "\x1b", "\x85", "\t"]  # NUL, ESC, NEL and tab (the last two are removed by strip())
    for attempt, character in enumerate(characters, start=1):
        token = page_csrf(client)
        response = client.post(
            "/staff/login",
            data={"csrf_token": token, "email": staff.email + character, "password": staff.password},
        )
        page = response.get_data(as_text=True)
        assert (repr(character), response.status_code) == (repr(character), 200)
        assert INVALID in page and "hidden characters" not in page
        assert failures(app) == attempt
    logged = events(app, "staff.login_failed")
    assert [(event.staff_id, event.remote_addr, event.details["reason"]) for event in logged] == [
        (None, "127.0.0.1", "unknown")
    ] * len(characters)


def test_case_07_nul_sign_ins_meet_the_address_throttle(app: Flask, client: FlaskClient) -> None:
    from screening.staff import auth

    with app.app_context():  # earlier failures from this address, one short of the throttle
        db.session.add_all(LoginFailure(remote_addr="127.0.0.1") for _ in range(auth.ADDRESS_MAX_FAILURES - 1))
        db.session.commit()
    token = page_csrf(client)
    statuses = [
        client.post("/staff/login", data={"csrf_token": token, "email": "a\x00@x.org", "password": "p"}).status_code
        for _ in range(2)
    ]
    assert statuses == [200, 429]  # the NUL sign-in was the 20th failure
    assert events(app, "staff.login_throttled")


def test_case_07_nul_in_patient_text_is_refused_before_the_database(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers(), before="pain")
    before = the_draft(app)
    response = browser.client.post(
        "/questionnaire/pain", data=step_body(browser, "pain", pain_description="It aches\x00at night")
    )
    assert response.status_code == 200
    assert "hidden characters" in response.get_data(as_text=True)
    assert the_draft(app).answers == before.answers


STAFF_GETS = [
    "/staff/",
    "/staff/admin/audit",
    "/staff/admin/intake",
    "/staff/reports",
    "/staff/admin/staff",
    "/staff/submissions/KT-ABCD-EFGH",
    "/staff/login",
]


def test_case_07_control_characters_in_any_query_parameter_are_400_not_500(app: Flask, client: FlaskClient) -> None:
    sign_in(client, app, "admin", also=("clinician",))
    for query in ("action=%00", "action=a%00b", "status=%1b", "%00=x", "page=%7f", "to=%0a", "q=%c2%85"):
        for path in STAFF_GETS:
            response = client.get(f"{path}?{query}")
            assert (path, query, response.status_code) == (path, query, 400)
            assert heading(response) == UNREADABLE
            assert_headers(response)
    assert client.get("/staff/admin/audit?action=staff.*").status_code == 200  # the check itself refuses nothing else


@pytest.mark.parametrize("path", ["/questionnaire/about%00you", "/staff/submissions/KT-%00", "/%1b", "/static/%00.css"])
def test_case_07_control_characters_in_the_path_are_400_not_500(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400 and heading(response) == UNREADABLE
    assert_headers(response)


def staff_forms() -> Iterator[type[Form]]:
    modules = (forms, account_views, intake_views, repeat_views)
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Form) and value.__module__ == module.__name__:
                yield value


#: Passwords are never stored or queried (only hashed, or compared with a hash): any character may be tried.
NOT_CHECKED = {"LoginForm.password", "PasswordChangeForm.current"}


def test_case_07_every_text_field_of_every_staff_form_refuses_nul(app: Flask) -> None:
    checked = []
    with app.test_request_context("/staff/", method="POST"):
        for form_class in staff_forms():
            probe = form_class(formdata=MultiDict(), meta={"csrf": False})
            names = [field.name for field in probe if isinstance(field, (StringField, SelectFieldBase))]
            for name in names:
                if f"{form_class.__name__}.{name}" in NOT_CHECKED:
                    assert isinstance(probe[name], PasswordField)
                    continue
                form = form_class(formdata=MultiDict({name: "ab\x00cd"}), meta={"csrf": False})
                form.validate()
                assert form[name].errors, f"{form_class.__name__}.{name} accepts NUL"
                checked.append(f"{form_class.__name__}.{name}")
    assert {"AuditFilterForm.action", "SupersedeForm.by", "StaffCreateForm.email", "PauseForm.message"} <= set(checked)
    assert len(checked) >= 15
