"""Fuzzing every form and query parameter through the test client (hypothesis): any text, any bytes, any set of
field names (the form's own, unknown ones, repeated keys), with and without a valid CSRF token, must never give a
server error (5xx) or show a traceback. Security bar §4 "never a 500"; issue 15 "Tests".

What is fuzzed is found, not listed: the endpoints come from ``app.url_map`` (every POST rule; every GET rule for
query parameters), the field names from the pages themselves (every ``name="..."`` each GET page's forms carry,
so a new field or a date's day/month/year parts are covered) and from every ``FlaskForm`` class of the package. The
app is built and staff signed in once per test function; the examples are derandomised (the same inputs on every
run) and hypothesis keeps no example database, so CI is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_from_bytes

from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse
from wtforms.fields.core import UnboundField

import screening.forms  # noqa: F401 (the step forms: FlaskForm subclasses, imported so they are found)
import screening.patient.resume_views  # noqa: F401
import screening.patient.sending  # noqa: F401
import screening.patient.views  # noqa: F401
import screening.staff.account_views  # noqa: F401
import screening.staff.forms  # noqa: F401
import screening.staff.intake_views  # noqa: F401
import screening.staff.repeat_views  # noqa: F401
from screening.clinical import journey
from tests.app import test_access_matrix
from tests.app.auth import make_staff, page_csrf, sign_in, submit_password
from tests.app.test_access_matrix import _methods, _rules, _url
from tests.app.test_drafts import EVERY_FOLLOW_UP, seed
from tests.conftest import Browser

samples = test_access_matrix.samples  # a fixture: a value for every URL parameter (a submission, another account)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
TRACEBACK = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+|Werkzeug Debugger')
_NAME = re.compile(r'\sname="([^"]+)"')
_GET_FORM = re.compile(r'<form[^>]*method="get"[^>]*>.*?</form>', re.S | re.I)
_FORM = re.compile(r'<form[^>]*\saction="([^"]*)"[^>]*>(.*?)</form>', re.S)
#: Values a form is not built for, beside hypothesis's any-text.
NASTY = [
    "\x00",
    "%00",
    "a\x00b",
    "\x1b[31m",
    "\u202eevil",
    "' OR 1=1--",
    '"; DROP TABLE submission; --',
    "{{7*7}}",
    "<script>alert(1)</script>",
    "=HYPERLINK(1)",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "0x10",
    "2026-02-30",
    "31/12/1999",
    "KT-AAAA-AAAA",
    " ",
    "",
    "y",
    "on",
    "x" * 5000,
    "😀" * 50,
]
#: Query parameter names the views read (beside those scraped from GET forms).
QUERY_NAMES = [
    "page",
    "return_to",
    "next",
    "status",
    "severity",
    "from",
    "to",
    "q",
    "paper",
    "before",
    "after",
    "action",
    "staff",
    "reference",
    "date_from",
    "date_to",
    "chart",
]
STAFF_SEARCH_PAGES = ["/staff/", "/staff/admin/audit", "/staff/reports", "/staff/admin/export"]  # GET filter forms
NOT_FUZZED = {"auth.logout", "static"}  # signing out would end the fuzzing session; static files read no input


# --- strategies ----------------------------------------------------------------------------------------------------
printable = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=60)  # what forms mostly get
values = st.one_of(printable, printable, st.text(max_size=60), st.sampled_from(NASTY))


def fields(names: Iterable[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Any subset of ``names`` (each possibly repeated) and unknown names, each with any value."""
    known = sorted(set(names)) or ["x"]
    name = st.one_of(st.sampled_from(known), st.sampled_from(known), st.text(min_size=1, max_size=12))
    return st.lists(st.tuples(name, values), max_size=14)


def body(data: st.DataObject, names: Iterable[str], token: str) -> dict[str, Any]:
    """Keyword arguments for ``client.post``: form pairs (usually with the valid CSRF token), or raw bytes."""
    kind = data.draw(st.sampled_from(["form", "form", "form", "multipart", "bytes"]), label="kind")
    if kind == "bytes":
        raw = data.draw(st.binary(max_size=300), label="raw")
        content_type = data.draw(
            st.sampled_from(
                ["application/x-www-form-urlencoded", "text/plain", "application/json", "multipart/form-data"]
            )
        )
        return {"data": raw, "content_type": content_type}
    pairs = data.draw(fields(names), label="fields")
    if data.draw(st.integers(0, 5), label="token") > 0:  # mostly a valid token, first (the first value is read)
        pairs.insert(0, ("csrf_token", token))
    if kind == "multipart":
        return {"data": MultiDict(pairs), "content_type": "multipart/form-data"}
    return {"data": MultiDict(pairs)}


# --- what to fuzz ----------------------------------------------------------------------------------------------------
def form_class_fields() -> set[str]:
    """The field names of every FlaskForm subclass in the package (step forms are built per step: see below)."""
    found: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        prefix = getattr(getattr(form, "Meta", None), "prefix", "") or ""
        for name in dir(form):
            if isinstance(getattr(form, name, None), UnboundField):
                found.update({name, f"{prefix}-{name}" if prefix else name})
    return found


def scraped(pages: Iterable[str]) -> dict[str, set[str]]:
    """Form action path -> the field names its forms carry, over ``pages``."""
    found: dict[str, set[str]] = {}
    for page in pages:
        for action, inner in _FORM.findall(page):
            found.setdefault(action.replace("&amp;", "&").split("?")[0], set()).update(_NAME.findall(inner))
    return found


def assert_answered(response: TestResponse, what: Any) -> None:
    page = response.get_data()
    response.close()
    assert response.status_code < 500, (response.status_code, what)
    assert not TRACEBACK.search(page.decode("utf-8", "replace")), what


def post_rules(app: Flask, wanted: Callable[[Rule], bool]) -> list[Rule]:
    return [
        rule for rule in _rules(app) if "POST" in _methods(rule) and rule.endpoint not in NOT_FUZZED and wanted(rule)
    ]


# --- patient forms ---------------------------------------------------------------------------------------------------
def test_fuzz_every_patient_step_never_a_server_error(app: Flask, browser: Browser) -> None:
    seed(app, browser, EVERY_FOLLOW_UP)  # every step is reachable
    steps = [step.id for step in journey.shown_steps(EVERY_FOLLOW_UP)]
    names = {step_id: set(_NAME.findall(browser.get(f"/questionnaire/{step_id}"))) for step_id in steps}
    assert all(names.values()) and "date_of_birth-day" in names["about_you"]
    token, client = browser.csrf_token(), browser.client

    @FUZZ
    @given(data=st.data())
    def post_any_step(data: st.DataObject) -> None:
        step_id = data.draw(st.sampled_from(steps), label="step")
        query = data.draw(st.sampled_from(["", "?return_to=check", "?return_to=%00", "?page=x"]), label="query")
        response = client.post(f"/questionnaire/{step_id}{query}", **body(data, names[step_id], token))
        assert_answered(response, step_id)

    post_any_step()


def test_fuzz_every_other_public_form_never_a_server_error(app: Flask, browser: Browser) -> None:
    """The start page, check/submit, save and resume, start again, "not me", finish: a fresh draft when one went."""
    seed(app, browser, EVERY_FOLLOW_UP)
    browser.get("/questionnaire/check")
    client, token = browser.client, browser.csrf_token()
    rules = post_rules(app, lambda rule: rule.endpoint.startswith("patient.") and rule.endpoint != "patient.step")
    addresses = [_url(app, rule, {"step_id": "about_you", "token": "A" * 43}) for rule in rules]
    pages = [
        client.get(page).get_data(as_text=True)
        for page in ("/", "/questionnaire/check", "/save-for-later", "/resume", "/start-again", "/not-me")
    ]
    names = scraped(pages)
    every_name = set().union(*names.values(), form_class_fields())
    assert len(addresses) >= 8, addresses

    @FUZZ
    @given(data=st.data())
    def post_any_form(data: st.DataObject) -> None:
        address = data.draw(st.sampled_from(addresses), label="address")
        response = client.post(address, **body(data, names.get(address, every_name), token))
        assert_answered(response, address)

    post_any_form()


# --- staff forms -----------------------------------------------------------------------------------------------------
def test_fuzz_every_staff_form_never_a_server_error(app: Flask, samples: dict[str, Any]) -> None:
    client = app.test_client()
    sign_in(client, app, "admin", also=("clinician", "reception"))
    get_pages = [_url(app, rule, samples) for rule in _rules(app) if "GET" in _methods(rule) and "staff" in rule.rule]
    names = scraped(client.get(page).get_data().decode("utf-8", "replace") for page in get_pages)
    every_name = form_class_fields()
    rules = post_rules(app, lambda rule: not rule.endpoint.startswith(("patient.", "auth.login", "auth.mfa")))
    addresses = [_url(app, rule, samples) for rule in rules]
    assert {"/staff/search", "/staff/admin/export.csv", "/staff/password"} <= set(addresses)
    token = page_csrf(client, "/staff/password")

    @FUZZ
    @given(data=st.data())
    def post_any_staff_form(data: st.DataObject) -> None:
        address = data.draw(st.sampled_from(addresses), label="address")
        own = names.get(address, set())
        response = client.post(address, **body(data, own | (every_name if not own else set()), token))
        assert_answered(response, address)

    post_any_staff_form()
    assert client.get("/staff/").status_code == 200  # still signed in: the fuzzing reached the forms, not sign-in


def test_fuzz_sign_in_and_second_step_never_a_server_error(app: Flask) -> None:
    enrolled, new = make_staff(app, "clinician"), make_staff(app, "reception", enrolled=False)
    client = app.test_client()
    token = page_csrf(client)
    names = ["email", "password", "code", "csrf_token"]

    @settings(FUZZ, max_examples=40)
    @given(data=st.data())
    def post_sign_in(data: st.DataObject) -> None:
        who = data.draw(st.sampled_from([None, enrolled, new]), label="pending sign-in")
        address = data.draw(st.sampled_from(["/staff/login", "/staff/mfa", "/staff/mfa/setup"]), label="address")
        fresh = token
        if who is not None:  # the password step done, so the second step reads the code
            submit_password(client, who.email, who.password, environ_base={"REMOTE_ADDR": "10.77.0.1"})
            fresh = page_csrf(client, "/staff/login")  # signing in starts a new session, with a new token
        remote = {"REMOTE_ADDR": f"10.78.{data.draw(st.integers(0, 250))}.1"}
        response = client.post(address, environ_base=remote, **body(data, names, fresh))
        assert_answered(response, address)

    post_sign_in()


# --- query parameters ------------------------------------------------------------------------------------------------
def test_fuzz_every_query_parameter_never_a_server_error(app: Flask, browser: Browser, samples: dict[str, Any]) -> None:
    seed(app, browser, EVERY_FOLLOW_UP)
    client = browser.client
    sign_in(client, app, "admin", also=("clinician", "reception"))
    addresses = [
        _url(app, rule, samples) for rule in _rules(app) if "GET" in _methods(rule) and rule.endpoint != "static"
    ]
    get_forms = _GET_FORM.findall("".join(client.get(page).get_data(as_text=True) for page in STAFF_SEARCH_PAGES))
    names = sorted(set(QUERY_NAMES) | set(_NAME.findall("".join(get_forms))) | form_class_fields())

    @FUZZ
    @given(data=st.data())
    def get_any_query(data: st.DataObject) -> None:
        address = data.draw(st.sampled_from(addresses), label="address")
        pairs = data.draw(fields(names), label="parameters")
        query = "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)
        if data.draw(st.booleans(), label="raw bytes too"):
            query += "&x=" + quote_from_bytes(data.draw(st.binary(max_size=40)), safe="")
        response = client.get(f"{address}?{query}")
        assert_answered(response, (address, query[:200]))

    get_any_query()


# --- what the fuzzing found ------------------------------------------------------------------------------------------
NAMELESS_PART = b"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--\r\n"


def test_fuzz_found_a_multipart_part_without_a_name_is_refused_not_a_server_error(app: Flask, browser: Browser) -> None:
    """Flask-WTF's CSRF check reads every form key as text; a part with no name gives a key of None (a 500)."""
    seed(app, browser, EVERY_FOLLOW_UP)
    staff = app.test_client()
    sign_in(staff, app, "clinician")
    for client, address in (
        (app.test_client(), "/"),
        (browser.client, "/questionnaire/pain"),
        (staff, "/staff/search"),
    ):
        response = client.post(address, data=NAMELESS_PART, content_type="multipart/form-data; boundary=b")
        assert response.status_code == 400, address
        assert_answered(response, address)


def test_fuzz_found_an_empty_json_body_is_refused_not_a_server_error(app: Flask, browser: Browser) -> None:
    """An empty body is let through as "nothing to read", but Flask-WTF then parses it as JSON (a 500 from the
    patient pages' CSRF handler, which builds the step's form)."""
    seed(app, browser, EVERY_FOLLOW_UP)
    for address in ("/questionnaire/about_you", "/questionnaire/submit", "/"):
        for content_type in ("application/json", "application/merge-patch+json"):
            response = browser.client.post(address, data=b"", content_type=content_type)
            assert response.status_code in (400, 415), (address, content_type)
            assert_answered(response, address)
