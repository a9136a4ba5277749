"""Security-bar §4 cases 20-22: the database cannot answer (unreachable, read-only, full, locked) while a patient
saves a page or sends their answers. Each gives a 503 with ``Retry-After`` that re-shows what was typed (the page's
form, as a browser would send it again, holds every posted value), a correlation id that is also in the log, no
half-written row, and a log without patient data; once the database answers again, the same button saves. Staff
pages get the plain 503 page. The unreachable case runs on SQLite and PostgreSQL; the others are SQLite's own.

Case 23 (a worker killed between the INSERTs and the COMMIT) is in ``test_worker_kill``."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, make_url, text

from screening import config, create_app
from screening.clinical.questionnaire import clean_answers
from screening.extensions import db
from tests.app.auth import post
from tests.app.form_posts import form_data
from tests.app.test_config import PRODUCTION
from tests.app.test_drafts import seed, the_draft
from tests.app.test_patient_flow import _TOKEN
from tests.app.test_submit_failures import CANARY, counts, post_submit
from tests.conftest import TEST_DATABASE_URL, Browser

SQLITE_ONLY = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="an SQLite fault (file mode, page count, file lock)")
STEP = "about_you"
TYPED = form_data(STEP, CANARY)
PATIENT_DATA = ("Wilhelmina", "Canary", "canary", "960 001", "1985")
LONG = {**CANARY, "pain_description": ("A canary of a pain, sharp then dull. " * 60)[:2000]}
NOT_LOST = "Nothing you typed has been lost. Try again in a minute."


class FormAgain(HTMLParser):
    """What a browser would post with a page's last form: its inputs' values, checked boxes and typed text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.fields = {}
        elif tag == "input" and given.get("type") not in ("radio", "checkbox", "submit") or "checked" in given:
            self.fields.setdefault(given.get("name", ""), []).append(given.get("value", ""))
        elif tag == "textarea":
            self._textarea = given.get("name", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields.setdefault(self._textarea, []).append(data)
            self._textarea = None

    def single(self) -> dict[str, str]:
        return {name: values[0] for name, values in self.fields.items() if len(values) == 1}


def assert_typed_shown_again(page: str) -> None:
    again = FormAgain(page).single()
    assert {name: again.get(name) for name in TYPED} == TYPED, "every posted value is in the form again"


def assert_unavailable(browser: Browser, response_headers: dict[str, str], caplog: pytest.LogCaptureFixture) -> str:
    """A 503 with Retry-After and a correlation id on the page, in the header and in the log; no patient data
    logged. Returns the correlation id."""
    assert browser.status == 503
    assert response_headers["Retry-After"] == "60"
    reference = response_headers["X-Request-ID"]
    assert reference in browser.page, "the correlation id is on the page"
    faults = [r for r in caplog.records if r.getMessage().startswith(f"database unavailable {reference} on POST")]
    assert len(faults) == 1, "the fault is logged once, under the page's correlation id"
    assert "OperationalError" in faults[0].getMessage()
    for value in PATIENT_DATA:
        assert value not in caplog.text, value
    return reference


class Client:
    """A ``Browser`` that also keeps the last response's headers."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.headers: dict[str, str] = {}
        original = browser.client.open

        def open_and_keep(*args: Any, **kwargs: Any) -> Any:
            response = original(*args, **kwargs)
            self.headers = dict(response.headers)
            return response

        browser.client.open = open_and_keep  # type: ignore[method-assign]


def save_typed_page(browser: Browser) -> None:
    browser.get(f"/questionnaire/{STEP}")
    browser.post(f"/questionnaire/{STEP}", TYPED)


def send_again(browser: Browser) -> None:
    """The page's own button: the form as it is on the page (its CSRF token and every value) posted again."""
    browser.post(f"/questionnaire/{STEP}", FormAgain(browser.page).single(), csrf=False)


# --- faults ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def unreachable(app: Flask) -> Iterator[Callable[[str], None]]:
    """``fault("unreachable")``: every new connection goes where no database answers (PostgreSQL: a closed port;
    SQLite: a file in a folder that does not exist); ``fault("read-only")`` (SQLite): the file opened read-only.
    Pooled connections are dropped, so the next statement connects anew. ``fault("")`` puts it right."""
    with app.app_context():
        engine = db.engine
    mode = {"fault": ""}

    def reconnect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if mode["fault"] == "unreachable" and engine.dialect.name == "postgresql":
            cparams.update(host="127.0.0.1", port=1)
        elif mode["fault"] == "unreachable":
            cargs[0] = "/nonexistent-screening-folder/screening.sqlite3"
        elif mode["fault"] == "read-only":
            cargs[0] = f"file:{cargs[0]}?mode=ro"
            cparams["uri"] = True

    def fault(name: str) -> None:
        mode["fault"] = name
        engine.dispose()

    event.listen(engine, "do_connect", reconnect)
    yield fault
    event.remove(engine, "do_connect", reconnect)
    engine.dispose()


FAULTS = [
    pytest.param("unreachable", id="unreachable"),
    pytest.param("read-only", id="read-only", marks=SQLITE_ONLY),
]


@pytest.mark.parametrize("fault_name", FAULTS)
def test_case_20_database_unavailable_during_a_step_save_reshows_what_was_typed_and_saves_on_retry(
    app: Flask, browser: Browser, unreachable: Callable[[str], None], caplog: pytest.LogCaptureFixture, fault_name: str
) -> None:
    caplog.set_level(logging.INFO)
    client = Client(browser)
    seed(app, browser, CANARY, before=STEP)
    before = the_draft(app)
    browser.get(f"/questionnaire/{STEP}")
    unreachable(fault_name)
    browser.post(f"/questionnaire/{STEP}", TYPED)
    assert_unavailable(browser, client.headers, caplog)
    assert NOT_LOST in browser.page
    assert client.headers["Cache-Control"] == "no-store", "the page shows answers"
    assert_typed_shown_again(browser.page)
    unreachable("")
    assert the_draft(app).answers == before.answers, "nothing half-written"
    send_again(browser)
    assert browser.status == 302, "the page's own button saves it once the database answers"
    assert the_draft(app).answers["full_name"] == CANARY["full_name"]


@pytest.mark.parametrize("fault_name", FAULTS)
def test_case_20_database_unavailable_during_submit_keeps_the_answers_and_sends_them_once_on_retry(
    app: Flask, browser: Browser, unreachable: Callable[[str], None], caplog: pytest.LogCaptureFixture, fault_name: str
) -> None:
    caplog.set_level(logging.INFO)
    client = Client(browser)
    seed(app, browser, CANARY)
    before = the_draft(app)
    browser.get("/questionnaire/check")
    token = _TOKEN.search(browser.page)
    assert token
    unreachable(fault_name)
    browser.post("/questionnaire/submit", {"submission_token": token.group(1)})
    assert_unavailable(browser, client.headers, caplog)
    assert "Your answers are kept. Nothing you typed has been lost. Try again in a minute." in browser.page
    again = FormAgain(browser.page).single()
    assert again["submission_token"] == token.group(1), "Send my answers again, with the same one-time token"
    unreachable("")
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}
    assert the_draft(app).answers == before.answers
    browser.post("/questionnaire/submit", again, csrf=False)
    assert browser.location == "/questionnaire/confirmation"
    assert counts(app)["submission"] == 1 and counts(app)["draft"] == 0


def test_case_20_database_unavailable_at_the_nth_statement_of_submit_writes_nothing(
    app: Flask, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    """The third INSERT of the submit (security-bar §3.2) fails: no row in any table, the draft as it was, 503."""
    caplog.set_level(logging.INFO)
    client = Client(browser)
    seed(app, browser, CANARY)
    with app.app_context():
        engine = db.engine
    inserts: list[str] = []

    def third_insert_fails(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith("INSERT"):
            inserts.append(statement.split()[2])
            if len(inserts) == 3:
                raise engine.dialect.loaded_dbapi.OperationalError("could not write: disk full")

    event.listen(engine, "before_cursor_execute", third_insert_fails)
    try:
        post_submit(browser)
    finally:
        event.remove(engine, "before_cursor_execute", third_insert_fails)
    assert len(inserts) == 3, inserts
    assert_unavailable(browser, client.headers, caplog)
    assert "Send my answers" in browser.page
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}
    assert the_draft(app).answers == dict(clean_answers(CANARY).values)


def test_case_20_staff_sign_in_and_other_pages_get_the_plain_busy_page(
    app: Flask, client: FlaskClient, unreachable: Callable[[str], None], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unreachable("unreachable")
    response = post(client, "/staff/login", {"email": "nurse@example.org", "password": "whatever-it-is"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "The service is busy. Try again in a minute." in page
    assert f'<strong class="app-reference">{response.headers["X-Request-ID"]}</strong>' in page
    assert f"database unavailable {response.headers['X-Request-ID']} on POST /staff/login" in caplog.text
    assert "nurse@example.org" not in caplog.text


# --- SQLite: a full disk, a lock held past the busy timeout -----------------------------------------------------------
@pytest.fixture
def sqlite_path(app: Flask) -> Path:
    with app.app_context():
        url = make_url(str(db.engine.url))
    assert url.database
    return Path(url.database)


@SQLITE_ONLY
def test_case_21_disk_full_during_submit_rolls_back_the_whole_transaction(
    app: Flask, browser: Browser, sqlite_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = Client(browser)
    seed(app, browser, LONG)  # the submission row needs a page more than the file may have
    before = the_draft(app)
    with app.app_context():
        engine = db.engine
        pages = db.session.execute(text("PRAGMA page_count")).scalar_one()

    def no_room(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={int(pages)}")

    event.listen(engine, "connect", no_room)
    engine.dispose()
    try:
        post_submit(browser)
        assert_unavailable(browser, client.headers, caplog)
        assert "database or disk is full" not in browser.page
        assert "Send my answers" in browser.page
    finally:
        event.remove(engine, "connect", no_room)
        engine.dispose()
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}
    assert the_draft(app).answers == before.answers
    browser.post("/questionnaire/submit", FormAgain(browser.page).single(), csrf=False)
    assert browser.location == "/questionnaire/confirmation"
    assert counts(app)["submission"] == 1


@pytest.fixture
def quick_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on its own SQLite file with a 50 ms busy timeout (SCREENING_SQLITE_BUSY_TIMEOUT_MS)."""
    if TEST_DATABASE_URL:
        pytest.skip("an SQLite lock")
    database = tmp_path / "locked.sqlite3"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), database)
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "k", "SQLITE_BUSY_TIMEOUT_MS": 50}
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@SQLITE_ONLY
def test_case_22_a_lock_held_past_the_busy_timeout_gives_503_with_the_answers_then_the_retry_saves(
    quick_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    browser = Browser(quick_app.test_client())
    client = Client(browser)
    seed(quick_app, browser, CANARY, before=STEP)
    before = the_draft(quick_app)
    with quick_app.app_context():
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar_one() == 50
        path = make_url(str(db.engine.url)).database
    assert path
    browser.get(f"/questionnaire/{STEP}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        browser.post(f"/questionnaire/{STEP}", TYPED)
        assert_unavailable(browser, client.headers, caplog)
        assert NOT_LOST in browser.page
        assert_typed_shown_again(browser.page)
        assert "database is locked" not in browser.page
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert the_draft(quick_app).answers == before.answers, "never a half-written row"
    send_again(browser)
    assert browser.status == 302
    assert the_draft(quick_app).answers["email"] == CANARY["email"]


@SQLITE_ONLY
def test_case_22_a_lock_released_within_the_busy_timeout_is_waited_for_and_the_page_saved(
    app: Flask, browser: Browser, sqlite_path: Path
) -> None:
    """The default busy timeout (5 s): a writer that lets go after 0.3 s delays the save, never fails it."""
    seed(app, browser, CANARY, before=STEP)
    browser.get(f"/questionnaire/{STEP}")
    other = sqlite3.connect(sqlite_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
    release.start()
    try:
        started = time.monotonic()
        browser.post(f"/questionnaire/{STEP}", TYPED)
        waited = time.monotonic() - started
    finally:
        release.join()
        other.close()
    assert browser.status == 302 and waited >= 0.3
    assert the_draft(app).answers["full_name"] == CANARY["full_name"]


def test_busy_timeout_setting_is_checked_and_the_test_pause_is_refused_in_production(tmp_path: Path) -> None:
    environ = {f"SCREENING_{name}": value for name, value in PRODUCTION.items()}
    assert config.build(tmp_path, environ, None)["SQLITE_BUSY_TIMEOUT_MS"] == 5000
    assert config.build(tmp_path, {"SCREENING_SQLITE_BUSY_TIMEOUT_MS": "250"}, None)["SQLITE_BUSY_TIMEOUT_MS"] == 250
    with pytest.raises(config.ConfigError, match="SCREENING_SQLITE_BUSY_TIMEOUT_MS"):
        config.build(tmp_path, {"SCREENING_SQLITE_BUSY_TIMEOUT_MS": "-1"}, None)
    assert (
        config.build(tmp_path, {"SCREENING_TEST_PAUSE_BEFORE_COMMIT": "2.5"}, None)["TEST_PAUSE_BEFORE_COMMIT"] == 2.5
    )
    with pytest.raises(config.ConfigError, match="SCREENING_TEST_PAUSE_BEFORE_COMMIT is for tests only"):
        config.build(tmp_path, {**environ, "SCREENING_TEST_PAUSE_BEFORE_COMMIT": "2"}, None)
