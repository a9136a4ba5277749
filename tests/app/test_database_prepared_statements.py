"""SCREENING_DATABASE_PREPARED_STATEMENTS (``config.engine_options``): on by default; off puts
``prepare_threshold=None`` in psycopg 3's connect arguments (for PgBouncer in transaction mode and other poolers), on
``postgresql+psycopg`` URLs only; a value that is not a boolean stops the app at start naming the setting. The
PostgreSQL pass checks that a real connection then never prepares a statement on the server, however often a query
repeats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from screening import config, create_app
from screening.config import ConfigError
from screening.extensions import db
from tests.conftest import TEST_DATABASE_URL

PG = "postgresql+psycopg://staff:pw@db.example.org:5432/screening"
SQLITE = "sqlite:////var/lib/screening/screening.sqlite3"
NO_PREPARE = {"pool_pre_ping": True, "connect_args": {"prepare_threshold": None}}
postgresql_only = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="needs SCREENING_TEST_DATABASE_URL (PostgreSQL)"
)


def options(tmp_path: Path, **environ: str) -> dict[str, Any]:
    environ = {"SCREENING_SECRET_KEY": "k", **{f"SCREENING_{name}": value for name, value in environ.items()}}
    return config.engine_options(config.build(tmp_path, environ, None))


@pytest.mark.parametrize("value", ["off", "false", "0", "no", "OFF"])
def test_off_turns_prepared_statements_off_on_postgresql(tmp_path: Path, value: str) -> None:
    assert options(tmp_path, DATABASE_URL=PG, DATABASE_PREPARED_STATEMENTS=value) == NO_PREPARE


@pytest.mark.parametrize("value", [None, "on", "true", "1", "yes"])
def test_on_and_the_default_leave_psycopg_as_it_is(tmp_path: Path, value: str | None) -> None:
    given = {} if value is None else {"DATABASE_PREPARED_STATEMENTS": value}
    assert options(tmp_path, DATABASE_URL=PG, **given) == {"pool_pre_ping": True}


def test_off_changes_nothing_on_sqlite(tmp_path: Path) -> None:
    assert options(tmp_path, DATABASE_URL=SQLITE, DATABASE_PREPARED_STATEMENTS="off") == {"pool_pre_ping": True}


@pytest.mark.parametrize("value", ["maybe", "disable", "prepare_threshold=None", "2"])
def test_a_value_that_is_not_a_boolean_stops_the_app_at_start_naming_the_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        options(tmp_path, DATABASE_URL=PG, DATABASE_PREPARED_STATEMENTS=value)
    assert str(raised.value) == f"SCREENING_DATABASE_PREPARED_STATEMENTS: write true or false, not {value!r}"


def test_the_app_gives_sqlalchemy_the_options(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "DATABASE_PREPARED_STATEMENTS": False})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}
    with app.app_context():
        db.engine.dispose()


# --- PostgreSQL -------------------------------------------------------------------------------------------------------
@pytest.fixture
def postgresql_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": TEST_DATABASE_URL, "DATABASE_PREPARED_STATEMENTS": request.param})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def prepared_after_repeats(app: Flask) -> tuple[Any, int]:
    """The connection's ``prepare_threshold`` and how many statements the server holds prepared for it after the same
    query ran 20 times on it (psycopg prepares one after 5 runs unless told not to)."""
    with app.app_context():
        connection = db.session.connection()
        for number in range(20):
            assert connection.execute(text("SELECT CAST(:n AS integer) + 1"), {"n": number}).scalar() == number + 1
        threshold = connection.connection.driver_connection.prepare_threshold  # type: ignore[union-attr]
        prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        db.session.rollback()
        return threshold, int(prepared or 0)


@postgresql_only
@pytest.mark.parametrize("postgresql_app", [False], indirect=True)
def test_with_the_setting_off_a_postgresql_connection_never_prepares(postgresql_app: Flask) -> None:
    assert postgresql_app.config["SQLALCHEMY_ENGINE_OPTIONS"] == NO_PREPARE
    assert prepared_after_repeats(postgresql_app) == (None, 0)


@postgresql_only
@pytest.mark.parametrize("postgresql_app", [True], indirect=True)
def test_by_default_psycopg_prepares_a_repeated_query(postgresql_app: Flask) -> None:
    threshold, prepared = prepared_after_repeats(postgresql_app)
    assert threshold == 5 and prepared >= 1  # so the test above would see one if the setting did nothing
