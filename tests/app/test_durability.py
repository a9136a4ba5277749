"""Durability (security-bar §3.2, decision 10): every new connection is checked, and one that would not keep a
commit through a crash or power cut is refused: SQLite must run with synchronous=FULL and foreign keys on (and WAL),
PostgreSQL with fsync, synchronous_commit and full_page_writes on (the PostgreSQL manual's "Non-Durable Settings"
lists turning any of them off as risking the loss of committed data)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from screening.app import DurabilityError, _durability
from screening.extensions import db


def test_the_test_database_is_durable_and_on_sqlite_reads_back_full_sync_wal_and_foreign_keys(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        else:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                assert db.session.execute(text(f"SHOW {name}")).scalar() != "off"


class _Cursor:
    """A PostgreSQL cursor's answer to the settings query, with some settings off."""

    def __init__(self, off: set[str]) -> None:
        self.rows = [
            (name, "off" if name in off else "on") for name in ("fsync", "synchronous_commit", "full_page_writes")
        ]

    def execute(self, statement: str, parameters: tuple[list[str]]) -> None:
        assert "pg_settings" in statement and parameters == (["fsync", "synchronous_commit", "full_page_writes"],)

    def fetchall(self) -> list[tuple[str, str]]:
        return self.rows

    def close(self) -> None:
        pass


class _Connection:
    def __init__(self, off: set[str]) -> None:
        self.off = off

    def cursor(self) -> Any:
        return _Cursor(self.off)

    def rollback(self) -> None:
        pass


@pytest.mark.parametrize(
    "off", [{"fsync"}, {"synchronous_commit"}, {"full_page_writes"}, {"fsync", "full_page_writes"}]
)
def test_a_postgresql_server_with_a_durability_setting_off_is_refused(off: set[str]) -> None:
    with pytest.raises(DurabilityError, match=", ".join(sorted(off))):
        _durability(_Connection(off), None)


def test_a_postgresql_server_with_every_durability_setting_on_is_used() -> None:
    _durability(_Connection(set()), None)  # no error


def test_an_autocommit_engine_can_connect_after_the_check(app: Flask) -> None:
    """The check leaves no transaction open (psycopg refuses to switch to autocommit inside one: CREATE DATABASE)."""
    with app.app_context():
        engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
        finally:
            engine.dispose()
