"""Fixtures: the app on a fresh database per test (SQLite by default; PostgreSQL when
SCREENING_TEST_DATABASE_URL is set), a test client with CSRF on, and a ``Browser`` that scrapes the
CSRF token from each page as a real browser would."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from screening import create_app
from screening.extensions import db

TEST_DATABASE_URL = os.environ.get("SCREENING_TEST_DATABASE_URL", "")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _reset_postgresql() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app on an empty database. No app context stays pushed: each test-client request gets its own
    (as in production), and tests that read the database use ``with app.app_context():``."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key",
            "CLINIC_PHONE": "01632 960 000",
            "CLINIC_EMAIL": "clinic@example.org",
        }
    )
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Browser:
    """Drives the app like a browser: keeps cookies, scrapes the CSRF token of the page it is on."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page = ""
        self.status = 0
        self.location = ""

    def get(self, url: str) -> str:
        response = self.client.get(url)
        self.status, self.page = response.status_code, response.get_data(as_text=True)
        self.location = response.headers.get("Location", "")
        return self.page

    def csrf_token(self) -> str:
        match = _CSRF.search(self.page)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def post(self, url: str, data: dict[str, Any], *, csrf: bool = True, follow: bool = False) -> str:
        payload = dict(data)
        if csrf:
            payload.setdefault("csrf_token", self.csrf_token())
        response = self.client.post(url, data=payload, follow_redirects=follow)
        self.status, self.page = response.status_code, response.get_data(as_text=True)
        self.location = response.headers.get("Location", "")
        return self.page


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)
