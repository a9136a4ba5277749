"""Helpers for the admin tests: submissions made through ``services.submit`` (the path the patient's submit takes)
and the ``flask`` command line. Accounts and signing in: ``tests/app/auth.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import select

from screening.extensions import db
from screening.models import Submission
from tests.answer_sets import answers, submit_answers


def add_submission(app: Flask, *, submitted_at: datetime | None = None, **changes: Any) -> str:
    """A submission of the healthy baseline with ``changes`` (see ``answers``); returns its reference."""
    with app.app_context():
        return submit_answers(answers(**changes), now=submitted_at).reference


def submission_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Submission.id)).all())


def flask_command(app: Flask, *args: str) -> Result:
    """Run ``flask --app screening <args>`` against ``app`` (the real CLI group, which pushes the app context)."""
    return app.test_cli_runner().invoke(FlaskGroup(create_app=lambda: app, load_dotenv=False), list(args))
