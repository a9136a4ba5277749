"""A newcomer's first run (issue 13, item 10): in development the clinic's phone and email default to clearly
fictional examples, so the confirmation page's "Contact us" is complete (production still refuses to start without
the real ones: test_config.py); ``flask --app screening demo-accounts`` prints the demo staff accounts again and
resets them so the printed passwords work (refused in production); ``make run`` prints the staff sign-in address
on the chosen ``PORT``."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.config import ConfigError, build
from screening.demo import DEMO_STAFF, add_demo_staff
from screening.extensions import db
from screening.models import StaffUser
from tests.answer_sets import answers
from tests.app.auth import mfa_setup_key, post, submit_password, totp
from tests.app.test_config import environment, make_app  # noqa: F401 (fixtures)
from tests.app.test_drafts import flask_command, seed
from tests.app.test_patient_flow import submit
from tests.conftest import Browser

ROOT = Path(__file__).resolve().parents[2]
_LISTED = re.compile(r"^\s+(\w+)\s+(\S+@demo\.example)\s+password: (.+)$", re.MULTILINE)


@pytest.mark.parametrize(
    ("locale", "phone"), [("en-GB", "01632 960 000"), ("en-US", "(555) 010-0000")], ids=["en-GB", "en-US"]
)
def test_development_defaults_to_fictional_clinic_contact_details(tmp_path: Path, locale: str, phone: str) -> None:
    settings = build(tmp_path, {"SCREENING_LOCALE": locale}, None)
    assert (settings["CLINIC_PHONE"], settings["CLINIC_EMAIL"]) == (phone, "clinic@example.org")
    given = build(tmp_path, {"SCREENING_CLINIC_PHONE": "020 7946 0123", "SCREENING_CLINIC_EMAIL": "a@b.example"}, None)
    assert (given["CLINIC_PHONE"], given["CLINIC_EMAIL"]) == ("020 7946 0123", "a@b.example")


def test_production_does_not_take_the_fictional_contact_details(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        build(tmp_path, {"SCREENING_ENV": "production", "SCREENING_SECRET_KEY": "x" * 40}, None)
    assert "SCREENING_CLINIC_PHONE" in str(raised.value) and "SCREENING_CLINIC_EMAIL" in str(raised.value)


def test_first_run_confirmation_contact_us_is_complete(make_app: Callable[..., Flask]) -> None:  # noqa: F811
    app = make_app()
    browser = Browser(app.test_client())
    seed(app, browser, answers())
    submit(browser)
    page = browser.get("/questionnaire/confirmation")
    contact = page.split("Contact us", 1)[1].split("</ul>", 1)[0]
    assert "Example Pain Clinic" in contact
    assert "01632 960 000" in contact and 'href="tel:01632960000"' in contact
    assert "clinic@example.org" in contact


def _listed(output: str) -> dict[str, str]:
    return {email: password for _role, email, password in _LISTED.findall(output)}


def test_demo_accounts_command_prints_the_accounts_and_their_passwords_work_again(app: Flask) -> None:
    with app.app_context():
        first = {email: password for email, _role, password in add_demo_staff()}
        clinician = db.session.scalars(select(StaffUser).where(StaffUser.email == "clinician@demo.example")).one()
        clinician.mfa_secret = "JBSWY3DPEHPK3PXP"  # enrolled on a phone since lost
        clinician.password_hash = "changed"
        clinician.failed_logins, clinician.active = 7, False
        epoch = clinician.session_epoch
        db.session.commit()
    result = flask_command(app, "demo-accounts")
    assert result.exit_code == 0, result.output
    assert _listed(result.output) == first and set(first) == {email for email, _name, _role in DEMO_STAFF}
    with app.app_context():
        clinician = db.session.scalars(select(StaffUser).where(StaffUser.email == "clinician@demo.example")).one()
        assert clinician.mfa_secret is None and clinician.active and clinician.failed_logins == 0
        assert clinician.session_epoch > epoch and not clinician.must_change_password
    client: FlaskClient = app.test_client()
    response = submit_password(client, "clinician@demo.example", first["clinician@demo.example"])
    assert response.headers["Location"] == "/staff/mfa/setup"
    key = mfa_setup_key(client.get("/staff/mfa/setup").get_data(as_text=True))
    response = post(client, "/staff/mfa/setup", {"code": totp(key)}, token_from="/staff/mfa/setup")
    assert response.headers["Location"] == "/staff/"


def test_demo_accounts_command_creates_missing_accounts(app: Flask) -> None:
    result = flask_command(app, "demo-accounts")
    assert result.exit_code == 0, result.output
    assert len(_listed(result.output)) == len(DEMO_STAFF)
    with app.app_context():
        assert len(db.session.scalars(select(StaffUser)).all()) == len(DEMO_STAFF)


def test_demo_accounts_command_is_refused_in_production(app: Flask) -> None:
    app.config["SCREENING"]["ENV"] = "production"
    result = flask_command(app, "demo-accounts")
    assert result.exit_code != 0 and "development databases only" in result.output
    with app.app_context():
        assert db.session.scalars(select(StaffUser)).all() == []


@pytest.mark.parametrize("port", ["5000", "8123"])
def test_make_run_prints_the_staff_sign_in_address_on_its_port(port: str) -> None:
    lines = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert f"http://127.0.0.1:{port}/staff/login" in lines


def test_readme_documents_the_demo_accounts_command_and_the_port() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo-accounts" in readme and "flask --app screening demo-accounts" in readme
    assert "PORT=8000 make run" in readme and "http://127.0.0.1:8000/staff/login" in readme
