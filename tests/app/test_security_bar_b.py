"""Security-bar §4 cases 24-37 (those not tested in other files), one test each, named by number (``test_case_NN_...``):
session fixation, replay after sign-out or a password change, idle and absolute timeouts, role escalation, login
timing and enumeration, open redirects, clickjacking, headers on every route, patient data kept out of URLs and
logs, wrong content types and repeated keys, and the debug surface. Each asserts the "Expected" column of
/work/shared/security-bar.md §4. Cases 27, 29 and 35 are in
test_audit_gaps.py, test_rate_limits.py and test_input_edges.py."""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from screening import create_app
from screening.config import ConfigError
from screening.extensions import db
from screening.models import StaffUser, Submission
from tests.answer_sets import answers
from tests.app import test_access_matrix, test_config
from tests.app.auth import (
    COOKIE,
    INVALID,
    Clock,
    install_clock,
    make_staff,
    page_csrf,
    post,
    session_cookie,
    sign_in,
    sign_out,
    signed_in,
    submit_password,
)
from tests.app.form_posts import form_data
from tests.app.staff_helpers import make_submission, url
from tests.app.test_access_matrix import _methods, _rules, _url
from tests.app.test_auth_login import WRONG, _normalised, _timed_post
from tests.app.test_config import PRODUCTION
from tests.app.test_drafts import draft_count, seed, the_draft
from tests.app.test_errors_and_headers import CANARIES, assert_no_traceback
from tests.app.test_pages_structure import Html, add_failing_route
from tests.app.test_patient_flow import BRANCHES, fill_every_step, start, submit
from tests.conftest import TEST_DATABASE_URL, Browser

NEW_PASSWORD = "violet harbour cinnamon 77"
samples = test_access_matrix.samples  # fixtures: a value for every URL parameter; SCREENING_* variables per test
environment = test_config.environment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def holding(app: Flask, cookie: str) -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other


def to_login(response: TestResponse) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/staff/login"


# --- 24, 25, 26: sessions -----------------------------------------------------------------------------------------
def test_case_24_session_fixation_sign_in_issues_a_new_cookie_and_the_old_one_is_not_signed_in(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    page_csrf(client)
    planted = session_cookie(client)  # the cookie an attacker could have planted before sign-in
    sign_in(client, app, "admin")
    assert session_cookie(client) != planted
    assert client.get("/staff/").status_code == 200
    assert to_login(holding(app, planted).get("/staff/"))
    assert to_login(holding(app, planted).get("/staff/admin/staff"))


@pytest.mark.parametrize("ending", ["sign-out", "password change"])
def test_case_25_session_replay_after_sign_out_or_password_change_goes_to_sign_in(
    app: Flask, client: FlaskClient, clock: Clock, ending: str
) -> None:
    staff = sign_in(client, app, "clinician")
    copied = session_cookie(client)
    assert holding(app, copied).get("/staff/").status_code == 200
    if ending == "sign-out":
        sign_out(client)
    else:
        data = {"current": staff.password, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        assert post(client, "/staff/password", data, token_from="/staff/password").status_code == 302
    for address in ("/staff/", "/staff/password", url(make_submission(app))):
        assert to_login(holding(app, copied).get(address)), (ending, address)


@pytest.mark.parametrize(("idle_minutes", "steps", "signed_in_after"), [(14, 1, True), (16, 1, False), (10, 73, False)])
def test_case_26_idle_and_absolute_timeouts_need_signing_in_again(
    app: Flask, client: FlaskClient, clock: Clock, idle_minutes: int, steps: int, signed_in_after: bool
) -> None:
    """15 minutes idle ends a session (14 does not); so do 12 hours in all, even with a request every 10 minutes
    (73 x 10 minutes = 12 h 10 min)."""
    sign_in(client, app, "reception")
    for _ in range(steps - 1):
        clock.advance(minutes=idle_minutes)
        assert signed_in(client)
    clock.advance(minutes=idle_minutes)
    assert signed_in(client) is signed_in_after


# --- 28: role escalation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["reception", "clinician"])
def test_case_28_non_admins_calling_admin_endpoints_get_403_and_change_nothing(
    app: Flask,
    client: FlaskClient,
    samples: dict[str, Any],
    role: str,
) -> None:
    sign_in(client, app, role)
    token = page_csrf(client, "/staff/password")
    with app.app_context():
        staff_before = sorted((user.email, user.active, user.session_epoch) for user in db.session.query(StaffUser))
    tried = []
    for rule in _rules(app):
        if not rule.endpoint.startswith("admin."):
            continue
        address = _url(app, rule, samples)
        for method in _methods(rule):
            form = {"csrf_token": token, "email": "new@clinic.example.org", "name": "New", "roles": "admin"}
            response = client.get(address) if method == "GET" else client.open(address, method=method, data=form)
            assert response.status_code == 403, (method, address, response.status_code)
            assert "text/csv" not in response.content_type
            tried.append(rule.endpoint)
    assert {"admin.staff_new", "admin.export_csv", "admin.audit", "admin.staff_edit"} <= set(tried)
    with app.app_context():
        staff_after = sorted((user.email, user.active, user.session_epoch) for user in db.session.query(StaffUser))
    assert staff_after == staff_before
    assert signed_in(client)  # refused, not signed out: the role table, not the session, said no


# --- 30: login enumeration and timing -----------------------------------------------------------------------------
@pytest.mark.production_password_hashing
def test_case_30_unknown_user_and_wrong_password_look_the_same_in_status_body_cookie_and_time(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app)
    unknown = submit_password(client, "nobody@clinic.example.org", WRONG, environ_base={"REMOTE_ADDR": "10.9.0.1"})
    wrong = submit_password(client, staff.email, WRONG, environ_base={"REMOTE_ADDR": "10.9.0.2"})
    assert unknown.status_code == wrong.status_code == 200
    assert INVALID in unknown.get_data(as_text=True)
    assert _normalised(unknown.get_data(as_text=True), "nobody@clinic.example.org") == _normalised(
        wrong.get_data(as_text=True), staff.email
    )
    assert [c.split("=")[0] for c in unknown.headers.getlist("Set-Cookie")] == [
        c.split("=")[0] for c in wrong.headers.getlist("Set-Cookie")
    ]
    token = page_csrf(client)
    unknown_times, known_times = [], []
    for attempt in range(22):
        address = f"10.30.0.{attempt + 1}"
        unknown_time = _timed_post(client, token, f"nobody{attempt}@clinic.example.org", address)
        known_time = _timed_post(client, token, staff.email, address)
        if attempt >= 2:
            unknown_times.append(unknown_time)
            known_times.append(known_time)
    quick_unknown, quick_known = (statistics.quantiles(times, n=4)[0] for times in (unknown_times, known_times))
    assert quick_known > 0.005  # the password hash really is checked
    assert abs(quick_unknown - quick_known) < max(0.015, 0.2 * max(quick_unknown, quick_known))


# --- 31: open redirects -------------------------------------------------------------------------------------------
EVIL = [
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\/evil.com",
    "javascript:alert(1)",
    "%2F%2Fevil.com",
    "http:evil.com",
    "/%09/evil.com",
]


def local(location: str) -> bool:
    """A redirect target on this site only: a path from its root, not a scheme-relative or backslash trick."""
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and location.startswith("/") and location[1:2] not in ("/", "\\")


def test_case_31_next_and_return_parameters_never_redirect_off_site(
    app: Flask, client: FlaskClient, browser: Browser, clock: Clock
) -> None:
    staff = make_staff(app, "admin")
    locations = []
    for evil in EVIL:
        query = {"next": evil, "return_to": evil, "page": evil}
        token = page_csrf(client, "/staff/login")
        response = client.post(
            "/staff/login",
            query_string=query,
            data={"csrf_token": token, "email": "nobody@clinic.example.org", "password": WRONG},
        )
        assert response.status_code == 200  # a wrong password: the form again, no redirect at all
        locations.append(client.get("/staff/submissions/KT-ABCD-EFGH", query_string=query).headers["Location"])
    sign_in(client, app, staff=staff)  # ends on /staff/ (checked inside)
    locations.append(client.get("/staff/login", query_string={"next": EVIL[0]}).headers.get("Location", "/"))
    start(browser)
    for evil in EVIL:
        query = {"next": evil, "return_to": evil, "page": evil}
        for address in ("/questionnaire/pain", "/start-again", "/resume", "/questionnaire/check"):
            response = browser.client.get(address, query_string=query)
            if response.status_code in (301, 302, 303, 307, 308):
                locations.append(response.headers["Location"])
            links = Html(response.get_data(as_text=True)).links()
            assert [link for link in links if "evil" in link] == [], (address, evil)
        browser.get("/questionnaire/about_you")
        browser.post("/questionnaire/about_you?" + "&".join(f"{k}={v}" for k, v in query.items()), {})
        locations.append(browser.location or "/")
    assert [location for location in locations if not local(location) or "evil" in location] == []


# --- 32, 33: frame protection and headers on every response -------------------------------------------------------
def every_response(app: Flask, samples: dict[str, Any]) -> Iterator[tuple[str, TestResponse]]:
    """Every GET route as an admin over HTTPS (with a real submission), plus each kind of error response."""
    failing = add_failing_route(app)  # before the first request
    admin = app.test_client()
    sign_in(admin, app, "admin", also=("clinician",))
    for rule in _rules(app):
        if "GET" in _methods(rule):
            address = _url(app, rule, samples)
            yield f"GET {address}", admin.get(address, base_url="https://localhost")
    yield "static file", admin.get("/static/dist/app.js", base_url="https://localhost")
    yield "404", admin.get("/no-such-page", base_url="https://localhost")
    yield "405", admin.get("/staff/logout", base_url="https://localhost")
    yield "400 (CSRF)", admin.post("/staff/search", data={"q": "x"}, base_url="https://localhost")
    yield "413", admin.post("/", data={"a": "x" * 400_000}, base_url="https://localhost")
    yield "500", admin.get(failing, base_url="https://localhost")
    reception = app.test_client()
    sign_in(reception, app, "reception")
    yield "403", reception.get("/staff/admin/staff", base_url="https://localhost")
    address = f"/staff/submissions/{samples['reference']}"
    yield "anonymous redirect", app.test_client().get(address, base_url="https://localhost")


def test_case_32_every_response_forbids_framing_including_errors(app: Flask, samples: dict[str, Any]) -> None:
    seen = {}
    for name, response in every_response(app, samples):
        response.close()
        seen[name] = response.status_code
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, name
        assert response.headers.get("X-Frame-Options") == "DENY", name
    assert {seen["404"], seen["405"], seen["400 (CSRF)"], seen["413"], seen["500"], seen["403"]} == {
        404,
        405,
        400,
        413,
        500,
        403,
    }


def test_case_33_every_route_and_status_has_the_security_headers_and_phi_is_no_store(
    app: Flask,
    samples: dict[str, Any],
) -> None:
    with app.app_context():
        names = [str(submission.answers.get("full_name")) for submission in db.session.scalars(select(Submission))]
    problems = {}
    for name, response in every_response(app, samples):
        body = response.get_data()
        response.close()
        headers, found = response.headers, []
        for header, expected in (
            ("X-Content-Type-Options", "nosniff"),
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ):
            if headers.get(header) != expected:
                found.append(f"{header}={headers.get(header)!r}")
        csp = headers.get("Content-Security-Policy", "")
        if not re.search(r"default-src '(self|none)'", csp) or "frame-ancestors 'none'" not in csp:
            found.append("no CSP")
        if headers.get("Referrer-Policy") not in ("no-referrer", "same-origin"):
            found.append("Referrer-Policy")
        shows_answers = any(person and person.encode() in body for person in names)
        if shows_answers and headers.get("Cache-Control") != "no-store":
            found.append("patient data without no-store")
        if found:
            problems[name] = found
    assert problems == {}


# --- 34: patient data in URLs, logs or caches ---------------------------------------------------------------------
def test_case_34_canary_answers_never_reach_a_url_or_a_log_and_pages_showing_them_are_no_store(
    app: Flask, browser: Browser, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    canaries = ["Canary", "canary", "CANARY", "960 777", "Quentin"]
    seen: list[tuple[str, TestResponse]] = []
    client = browser.client
    real_open = client.open

    def recording(*args: Any, **kwargs: Any) -> TestResponse:
        response = real_open(*args, **kwargs)
        request = response.request
        seen.append((request.full_path if request.query_string else request.path, response))
        return response

    client.open = recording  # type: ignore[method-assign]
    start(browser)
    fill_every_step(browser, answers(**{**BRANCHES["every follow-up"], **CANARIES}))
    submit(browser)
    browser.get("/questionnaire/confirmation")
    browser.get("/your-answers")
    reference = re.search(r"KT-[A-Z0-9]{4}-[A-Z0-9]{4}", browser.page)
    assert reference
    sign_in(browser, app, "admin", also=("clinician",))
    for address in ("/staff/", url(reference.group(0)), url(reference.group(0), "summary")):
        browser.get(address)
        assert "Canaryfeather" in browser.page, address
    assert browser.client.get(url(reference.group(0), "summary.pdf")).status_code == 200
    browser.get("/staff/")
    browser.post("/staff/search", {"q": "Quentin Canaryfeather"})
    browser.get("/staff/admin/export")
    browser.post("/staff/admin/export.csv", {"include_answers": "y"})
    assert "Canaryfeather" in browser.page
    logged = caplog.text + capsys.readouterr().err
    assert "submission created" in logged, "logging was captured"
    assert [canary for canary in canaries if canary in logged] == []
    addresses = [path for path, _ in seen] + [response.headers.get("Location", "") for _, response in seen]
    for _, response in seen:
        if response.mimetype == "text/html":
            addresses += Html(response.get_data(as_text=True)).links()
    assert [address for address in addresses if any(canary in address for canary in canaries)] == []
    showing = [(path, response) for path, response in seen if b"Canaryfeather" in response.get_data()]
    assert len(showing) >= 6
    assert [path for path, response in showing if response.headers.get("Cache-Control") != "no-store"] == []


# --- 36: wrong content type, repeated keys ------------------------------------------------------------------------
def test_case_36_wrong_content_type_is_refused_and_a_repeated_key_takes_the_first_value(
    app: Flask, browser: Browser
) -> None:
    seed(app, browser, answers(), before="about_you")
    before = the_draft(app)
    client = browser.client
    for body, content_type in (("full_name=Alex", "text/plain"), ('{"full_name": "Alex"}', "application/json")):
        response = client.post("/questionnaire/about_you", data=body, content_type=content_type)
        assert response.status_code in (400, 415), content_type
        assert_no_traceback(response.get_data(as_text=True))
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps) and draft_count(app) == 1
    browser.get("/questionnaire/about_you")
    pairs = [
        *form_data("about_you", answers()).items(),
        ("full_name", "Second Value"),
        ("csrf_token", browser.csrf_token()),
    ]
    assert client.post("/questionnaire/about_you", data=MultiDict(pairs)).status_code == 302
    assert the_draft(app).answers["full_name"] == answers()["full_name"]
    sign_in(client, app, "reception")
    token = page_csrf(client, "/staff/")
    response = client.post("/staff/search", data=f"csrf_token={token}&q=x", content_type="text/plain")
    assert response.status_code in (400, 415)
    assert_no_traceback(response.get_data(as_text=True))


# --- 37: debug surface --------------------------------------------------------------------------------------------
def test_case_37_production_has_no_debugger_and_never_shows_a_traceback(
    environment: Callable[..., None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment(**PRODUCTION, DATABASE_URL=TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'production.sqlite3'}")
    monkeypatch.setenv("FLASK_DEBUG", "1")  # a stray debug switch must not turn production into a debugger
    try:
        app = create_app()
    except ConfigError as refused:
        assert "FLASK_DEBUG" in str(refused)
        monkeypatch.delenv("FLASK_DEBUG")
        app = create_app()
    assert app.debug is False and app.testing is False and not app.config.get("PROPAGATE_EXCEPTIONS")
    failing = add_failing_route(app, RuntimeError("secret detail 42"))
    client = app.test_client()
    base = "https://screening.example.org"
    for address in ("/console", "/__debugger__", "/privacy?__debugger__=yes&cmd=resource&f=style.css"):
        response = client.get(address, base_url=base)
        assert b"Werkzeug" not in response.data and b"Debugger" not in response.data, address
    response = client.get(failing, base_url=base)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert_no_traceback(page)
    assert "secret detail 42" not in page
    with app.app_context():
        db.engine.dispose()
