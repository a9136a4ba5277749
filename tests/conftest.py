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
- SQLite files: each test's copy lives in RAM (/dev/shm, a tmpfs, when it has room; else the test's tmp_path) and is
  deleted after the test. The app still asks for ``synchronous=FULL`` and checks it; on a tmpfs the fsync of each
  commit (about 10 ms on a disk, most of a small test's time) costs nothing.
- Password hashing: argon2id with the cheapest parameters argon2 allows, instead of production's (t=2, m=19 MiB, about
  0.1 s per sign-in), so every hash and verify is still real argon2id (right password accepted, wrong refused, salted,
  the dummy verify for unknown accounts). Tests that measure the cost (the parameters, the sign-in timing) are marked
  ``production_password_hashing`` and get production's hasher.
- URL rules: werkzeug compiles each rule's URL builder to Python code in every app; the compiled builders are shared
  between apps whose rules are the same (their output is a function of the rule's parts only).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment, FileSystemBytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.routing.rules import Rule

import screening.models  # noqa: F401 (the tables, for the template schema)
from screening import create_app
from screening.extensions import db
from screening.staff import auth
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


# --- URL rules -----------------------------------------------------------------------------------------------------
_Builder = Callable[..., tuple[str, str]]


@pytest.fixture(scope="session", autouse=True)
def _shared_url_builders() -> Iterator[None]:
    """Each URL rule's builder is compiled once per run rather than once per app (most of ``create_app``'s time).
    The compiled function reads only the rule's trace (its static and variable parts, in order) and, through the rule
    it is bound to, the rule's converters: it is shared by rules with the same trace. A rule with a default for one of
    its variables (which werkzeug turns into text in the code) is compiled as werkzeug does."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple[object, ...], _Builder] = {}

    def shared(self: Rule, append_unknown: bool = True) -> _Builder:
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return compile_builder(self, append_unknown)
        key = (tuple(self._trace), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]
    yield
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


# --- order ---------------------------------------------------------------------------------------------------------
#: Tests far longer than the rest (half a minute to a few on 2 cores), longest first: they run first, so that under
#: xdist (which hands tests out in this order, alternating workers) the other worker runs the short tests meanwhile
#: instead of waiting at the end for the one worker still running a long test (the deploy test was collected last).
_LONG_TESTS = (
    "tests/deploy/",
    "tests/app/test_fuzz_forms.py::test_fuzz_every_staff_form_never_a_server_error",
    "tests/app/test_export_memory.py::",
    "tests/app/test_export_csv.py::test_streaming_memory_stays_flat_as_the_export_grows",
)


def _long_first(item: pytest.Item) -> int:
    return next((rank for rank, prefix in enumerate(_LONG_TESTS) if item.nodeid.startswith(prefix)), len(_LONG_TESTS))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_long_first)  # stable: the rest keep their order


# --- password hashing ----------------------------------------------------------------------------------------------
#: argon2id at the least cost argon2 accepts (1 pass over 8 KiB): still argon2id, salted and verified for real.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
_PRODUCTION_HASHING = auth.HASHER, auth._DUMMY_HASH


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "production_password_hashing: the test hashes passwords at production's argon2 cost (it measures that cost)",
    )


def _forget_cached_password_hashes() -> None:
    """The test helpers hash their one password once per process: made again after the hasher changes."""
    for module in ("tests.app.auth", "tests.e2e.staff"):
        cached = getattr(sys.modules.get(module), "_password_hash", None)
        if cached is not None:
            cached.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing() -> Iterator[None]:
    production = auth.HASHER, auth._DUMMY_HASH
    auth.HASHER, auth._DUMMY_HASH = _TEST_HASHER, _TEST_HASHER.hash("dummy for unknown accounts")
    yield
    auth.HASHER, auth._DUMMY_HASH = production


@pytest.fixture(autouse=True)
def _production_password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    """Production's hasher for a test marked ``production_password_hashing``."""
    if request.node.get_closest_marker("production_password_hashing") is None:
        yield
        return
    quick = auth.HASHER, auth._DUMMY_HASH
    auth.HASHER, auth._DUMMY_HASH = _PRODUCTION_HASHING
    _forget_cached_password_hashes()
    yield
    auth.HASHER, auth._DUMMY_HASH = quick
    _forget_cached_password_hashes()


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


#: Room a worker needs in /dev/shm: one test's database at a time (about 0.3 MB, and its write-ahead log).
_RAM_FOLDER_ROOM = 16 * 1024 * 1024


@pytest.fixture(scope="session")
def _sqlite_folder() -> Iterator[Path | None]:
    """This worker's folder for the tests' SQLite files in RAM (/dev/shm), or None when there is none with room
    (each test's tmp_path is used then)."""
    shm = Path("/dev/shm")  # noqa: S108 (a folder of our own in it, made by mkdtemp)
    if not (shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > _RAM_FOLDER_ROOM):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix=f"screening-tests-{WORKER or 'main'}-", dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


_sqlite_numbers = itertools.count(1)


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
    database: Path | None = None
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
    else:
        folder = request.getfixturevalue("_sqlite_folder") or tmp_path
        database = folder / f"test-{next(_sqlite_numbers)}.sqlite3"
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
    if database is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)


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
