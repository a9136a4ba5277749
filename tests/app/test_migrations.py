"""Migrations build the schema from an empty database and match the models (nothing pending)."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import inspect

from screening import create_app
from screening.extensions import db
from tests.conftest import TEST_DATABASE_URL, _reset_postgresql


def test_migrations_upgrade_an_empty_database_and_nothing_is_pending(tmp_path: Path) -> None:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgresql()
        flask_migrate.upgrade()
        assert {"submission", "flag", "draft", "audit_event", "alembic_version"} <= set(
            inspect(db.engine).get_table_names())
        flask_migrate.check()  # raises (exits) when the models differ from the migrations
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()
