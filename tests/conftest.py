"""Fixtures: the app on a fresh database per test (SQLite by default; PostgreSQL when
SCREENING_TEST_DATABASE_URL is set), a test client with CSRF on, and a ``Browser`` that scrapes the
CSRF token from each page as a real browser would.

Each test still gets its own ``create_app()``, so a test may change its app's settings, add a route or listen to
its engine without touching another test, and code that commits, starts threads or opens several connections runs
as in production (no transaction is wrapped around the test). What made that slow is done once instead:

- Templates: every Flask app made during the run (here, in the tests, the browser tests' server) shares one Jinja
  bytecode cache, so each template is compiled once per run rather than once per test.
- Schema: built once per xdist worker. On SQLite each test gets a copy of a template database file. On PostgreSQL
  each xdist worker has its own database (``test_gw0``, ``test_gw1``, ... next to the ``test`` database of the URL;
  without xdist, the URL's own database), made and dropped through a maintenance connection to the URL's database,
  and each test starts from its tables truncated (ids restarting at 1).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment, FileSystemBytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

import screening.models  # noqa: F401 (the tables, for the template schema)
from screening import create_app
from screening.extensions import db
from tests.app.auth import csrf_token

BASE_DATABASE_URL = os.environ.get("SCREENING_TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database_url(url: str, worker: str) -> str:
    """Under xdist, each worker's own PostgreSQL database: ``.../test`` -> ``.../test_gw0``."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise pytest.UsageError("SCREENING_TEST_DATABASE_URL: only a PostgreSQL URL can be used with xdist (-n)")
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


TEST_DATABASE_URL = _worker_database_url(BASE_DATABASE_URL, WORKER)
_schema = {"missing": True}  # on PostgreSQL: whether the test database lacks the tables create_all makes


# --- templates -----------------------------------------------------------------------------------------------------
class _BytecodeCache(FileSystemBytecodeCache):
    """Jinja's file cache, keyed also by the settings that change the compiled code (Flask apps made in the tests
    may set them differently): the lexer's (trim_blocks, ...), the extensions, finalize and autoescaping."""

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        settings = (
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            sorted(environment.extensions),
            environment.optimized,
            environment.is_async,
            getattr(environment.finalize, "__qualname__", environment.finalize),
            getattr(environment.autoescape, "__qualname__", environment.autoescape),
        )
        digest = hashlib.sha1(repr(settings).encode(), usedforsecurity=False).hexdigest()
        return super().get_bucket(environment, f"{name}|{digest}", filename, source)


@pytest.fixture(scope="session", autouse=True)
def _template_bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every Flask app made during the run compiles each template once (the folder is shared by xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if WORKER else base) / "jinja-bytecode"
    folder.mkdir(exist_ok=True)
    options = Flask.jinja_options
    Flask.jinja_options = {**options, "bytecode_cache": _BytecodeCache(str(folder))}
    yield
    Flask.jinja_options = options


# --- databases -----------------------------------------------------------------------------------------------------
def _maintenance(statement: str) -> None:
    """Run ``statement`` outside a transaction on the URL's own database (CREATE/DROP DATABASE)."""
    engine = create_engine(BASE_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _worker_database() -> Iterator[None]:
    """Under xdist with PostgreSQL: this worker's own database, made empty for the run and dropped after it."""
    if TEST_DATABASE_URL == BASE_DATABASE_URL:
        yield
        return
    name = make_url(TEST_DATABASE_URL).database
    assert name is not None
    quoted = create_engine(TEST_DATABASE_URL, poolclass=NullPool).dialect.identifier_preparer.quote(name)
    _maintenance(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    _maintenance(f"CREATE DATABASE {quoted}")
    yield
    _maintenance(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file holding the empty schema, built once per worker; each test copies it."""
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    db.metadata.create_all(engine)
    engine.dispose()
    assert not path.with_name(path.name + "-wal").exists(), "the template's write-ahead log was not checkpointed"
    return path


def _reset_postgresql() -> None:
    """Drop every table (and what else the schema holds) of the app's PostgreSQL database."""
    _schema["missing"] = True
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


def _empty_postgresql() -> None:
    """The app's PostgreSQL database as create_all leaves it: its tables truncated (fresh, their ids restarting at 1),
    or rebuilt when a test (the migration and settings tests) dropped or changed the schema. (TRUNCATE, not the
    quicker DELETE: rows deleted leave space that later rows fill, so unordered reads would change order.)"""
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '60s'"))  # a connection left open fails the test, no hang
        if _schema["missing"]:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.metadata.create_all(connection)
            _schema["missing"] = False
        else:
            quote = connection.dialect.identifier_preparer.format_table
            tables = ", ".join(quote(table) for table in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _module_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test module's ``app_config`` fixture, if it has one."""
    try:
        return dict(request.getfixturevalue("app_config"))
    except pytest.FixtureLookupError:
        return {}


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on an empty database. No app context stays pushed: each test-client request gets its own
    (as in production), and tests that read the database use ``with app.app_context():``.
    A test module may define an ``app_config`` fixture: settings added to (or replacing) these."""
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
    else:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), database)
        url = f"sqlite:///{database}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key",
            "CLINIC_PHONE": "01632 960 000",
            "CLINIC_EMAIL": "clinic@example.org",
            "RATELIMIT_ENABLED": False,  # tests of the limits (test_rate_limits*.py) switch them on
            **_module_config(request),
        }
    )
    if TEST_DATABASE_URL:
        with app.app_context():
            _empty_postgresql()
    yield app
    with app.app_context():
        db.session.remove()
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
        return csrf_token(self.page)

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
