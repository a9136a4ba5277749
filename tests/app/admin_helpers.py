"""Helpers for the admin tests: staff accounts signed in through the real login form (password, then a
TOTP code), and submissions made through ``services.submit`` (the path the patient's submit takes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import Role, StaffUser, Submission
from screening.staff import accounts, auth
from tests.answer_sets import answers, submit_answers
from tests.conftest import Browser

PASSWORD = "correct horse battery staple 2026"


def create_account(
    app: Flask, *, role: Role = Role.ADMIN, email: str = "ada.admin@example.org", name: str = "Ada Admin"
) -> tuple[int, str]:
    """An enrolled account with ``PASSWORD``; returns its id and TOTP secret."""
    with app.app_context():
        user, _one_time = accounts.create_staff(email=email, name=name, role=role)
        user.password_hash = auth.hash_password(PASSWORD)
        user.must_change_password = False
        user.mfa_secret = pyotp.random_base32()
        db.session.commit()
        return user.id, user.mfa_secret


def sign_in(
    client: FlaskClient,
    app: Flask,
    *,
    role: Role = Role.ADMIN,
    email: str = "ada.admin@example.org",
    name: str = "Ada Admin",
) -> int:
    """Create an account and sign ``client`` in with it through the login and MFA forms; returns its id."""
    user_id, secret = create_account(app, role=role, email=email, name=name)
    browser = Browser(client)
    browser.get("/staff/login")
    browser.post("/staff/login", {"email": email, "password": PASSWORD})
    assert browser.location.endswith("/staff/mfa"), browser.page
    browser.get("/staff/mfa")
    browser.post("/staff/mfa", {"code": pyotp.TOTP(secret).now()})
    assert browser.status == 302 and "/staff/login" not in browser.location, browser.page
    return user_id


def sign_in_admin(client: FlaskClient, app: Flask) -> int:
    """Sign ``client`` in as a new admin ("Ada Admin"); returns the account's id."""
    return sign_in(client, app, role=Role.ADMIN)


def add_submission(app: Flask, *, submitted_at: datetime | None = None, **changes: Any) -> str:
    """A submission of the healthy baseline with ``changes`` (see ``answers``); returns its reference."""
    with app.app_context():
        return submit_answers(answers(**changes), now=submitted_at).reference


def staff_user(app: Flask, user_id: int) -> StaffUser:
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def submission_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Submission.id)).all())


def flask_command(app: Flask, *args: str) -> Result:
    """Run ``flask --app screening <args>`` against ``app`` (the real CLI group, which pushes the app context)."""
    return app.test_cli_runner().invoke(FlaskGroup(create_app=lambda: app, load_dotenv=False), list(args))
