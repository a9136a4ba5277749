"""Security-bar §4 case 23: a worker killed between the submit's INSERTs and its COMMIT loses and duplicates nothing.

A real gunicorn (one worker) serves the app on this test's database (PostgreSQL when SCREENING_TEST_DATABASE_URL is
set, else the test's SQLite file) with the test-only pause before the commit (``SCREENING_TEST_PAUSE_BEFORE_COMMIT``,
which production refuses). The draft is prepared in-process; the browser's signed session cookie and CSRF token are
then sent to gunicorn. The worker logs the pause once its rows are written, and is killed with SIGKILL right then:
the database holds no submission, flag or audit row and the draft as it was. gunicorn boots a new worker; the
patient's retry with the same one-time token sends the answers once, and a replay lands on the same submission."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import Submission
from tests.app.alert_helpers import free_port
from tests.app.gunicorn_helpers import GUNICORN, server_environ
from tests.app.test_drafts import seed, the_draft
from tests.app.test_patient_flow import _TOKEN
from tests.app.test_submit_failures import CANARY, counts
from tests.conftest import Browser

PAUSE_SECONDS = 0.5
BOOTED = re.compile(r"Booting worker with pid: (\d+)")
PAUSED = "test pause before commit"


class Server:
    """gunicorn in a subprocess, its standard error read line by line into ``lines``."""

    def __init__(self, database_url: str, secret_key: str) -> None:
        self.port = free_port()
        environ = server_environ(database_url, secret_key, TEST_PAUSE_BEFORE_COMMIT=str(PAUSE_SECONDS))
        command = [str(GUNICORN), "--no-control-socket", "--workers", "1", "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            # --preload: the app is made once, in the master, so a new worker serves at once after the kill
            [*command, "--preload", "--graceful-timeout", "1", "screening:create_app()"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, *, after: int = 0, seconds: float = 10) -> re.Match[str]:
        """The first line from ``after`` on that matches ``pattern``."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if match := re.search(pattern, line):
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no {pattern!r} from gunicorn:\n{''.join(self.lines)}")
                self._changed.wait(left)

    def post(self, path: str, form: dict[str, str], cookie: str) -> http.client.HTTPConnection:
        """Send a POST without waiting for its answer (read it with ``getresponse``)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", path, body=body, headers=headers)
        return connection

    def stop(self) -> None:
        """Quick shutdown; past a second, kill the master and the workers it booted (gunicorn's own ids)."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            for line in self.lines:
                if booted := BOOTED.search(line):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(booted.group(1)), signal.SIGKILL)
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture
def server(app: Flask) -> Iterator[Server]:
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    running = Server(url, app.config["SECRET_KEY"])
    yield running
    running.stop()


def test_case_23_worker_killed_between_insert_and_commit_leaves_no_row_and_the_retry_sends_once(
    app: Flask, browser: Browser, server: Server
) -> None:
    seed(app, browser, CANARY)
    before = the_draft(app)
    browser.get("/questionnaire/check")
    token = _TOKEN.search(browser.page)
    assert token
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    stored = browser.client.get_cookie(cookie_name)
    assert stored is not None
    cookie = f"{cookie_name}={stored.value}"
    form = {"csrf_token": browser.csrf_token(), "submission_token": token.group(1)}
    worker = int(server.wait_for(BOOTED.pattern).group(1))

    sent = server.post("/questionnaire/submit", form, cookie)
    server.wait_for(PAUSED)  # the worker has written its rows and waits before the commit
    booted = len(server.lines)
    os.kill(worker, signal.SIGKILL)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        sent.getresponse()
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}, "no row of the submission"
    assert the_draft(app).answers == before.answers

    assert int(server.wait_for(BOOTED.pattern, after=booted).group(1)) != worker, "gunicorn booted a new worker"
    for attempt in ("retry", "replay"):
        response = server.post("/questionnaire/submit", form, cookie).getresponse()
        assert response.status == 302, (attempt, response.status)
        assert response.getheader("Location", "").endswith("/questionnaire/confirmation"), attempt
    assert counts(app)["submission"] == 1 and counts(app)["draft"] == 0
    with app.app_context():
        assert db.session.scalars(select(Submission)).one().submission_token == token.group(1)
