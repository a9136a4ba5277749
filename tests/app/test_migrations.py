"""Migrations build the schema from an empty database and match the models (nothing pending)."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import inspect, text

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
            inspect(db.engine).get_table_names()
        )
        flask_migrate.check()  # raises (exits) when the models differ from the migrations
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()


def test_0003_copies_existing_flag_acknowledgements_into_the_history(tmp_path: Path) -> None:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgresql()
        flask_migrate.upgrade(revision="0002")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO staff_user (id, email, name, role, password_hash, must_change_password, active,"
                    " mfa_last_step, failed_logins, session_epoch, created_at) VALUES"
                    " (7, 'c@example.org', 'Cleo', 'clinician', 'x', false, true, 0, 0, 1, '2026-11-01 09:00:00+00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO submission (id, reference, submitted_at, status, priority, questionnaire_version,"
                    " ruleset_version, article_version, consent_version, consented_at, answers, scores, medicines,"
                    " rule_config, full_name, date_of_birth, submission_token, version_id) VALUES (1, 'R-1',"
                    " '2026-11-01 09:00:00+00', 'new', 2, '1', '1', '1', '1', '2026-11-01 09:00:00+00', '{}', '{}',"
                    " '[]', '{}', 'A', '1980-01-01', 't', 1)"
                )
            )
            for flag_id, acknowledged in ((1, True), (2, False)):
                connection.execute(
                    text(
                        "INSERT INTO flag (id, submission_id, position, rule_id, severity, title, evidence, rationale,"
                        " ruleset_version, acknowledged_by_id, acknowledged_at, acknowledgement, acknowledgement_note)"
                        " VALUES (:id, 1, :id, 'rule', 'discuss', 'T', 'e', 'r', '1', :by, :at, :kind, :note)"
                    ),
                    {
                        "id": flag_id,
                        "by": 7 if acknowledged else None,
                        "at": "2026-11-02 10:00:00+00" if acknowledged else None,
                        "kind": "discussed" if acknowledged else None,
                        "note": "Talked it over" if acknowledged else None,
                    },
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT submission_id, staff_id, flag_id, acknowledgement, note, to_status FROM review_event")
            ).all()
        assert [tuple(row) for row in rows] == [(1, 7, 1, "discussed", "Talked it over", None)]
        flask_migrate.downgrade(revision="0002")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM review_event")).scalar() == 0
        with db.engine.begin() as connection:
            for table in ("flag", "submission", "staff_user"):
                connection.execute(text(f"DELETE FROM {table}"))
        flask_migrate.downgrade(revision="base")
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()
