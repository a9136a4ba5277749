"""Staff sessions: a new cookie at sign-in (no fixation), nothing a copied cookie can do after sign-out, idle
(15 minutes) and absolute (12 hours) timeouts against a controlled clock, sign-out by POST with CSRF, a
password change or deactivation ending the account's sessions, a patient's draft in the same browser left
alone, and one-time passwords (``create-staff``) that must be replaced after MFA enrolment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening.extensions import db
from screening.models import Role, StaffUser
from screening.staff import accounts
from tests.app.auth import (
    COOKIE,
    INVALID,
    Clock,
    Staff,
    account,
    audit_actions,
    install_clock,
    make_staff,
    mfa_setup_key,
    page_csrf,
    post,
    session_cookie,
    sign_in,
    sign_out,
    signed_in,
    submit_password,
    totp,
)

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "violet harbour cinnamon 77"
_ONE_TIME = re.compile(r"One-time password \(give it to them privately; it works for 72 hours\): (\S+)")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def _browser(app: Flask) -> FlaskClient:
    return FlaskClient(app, app.response_class, use_cookies=True)


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    """A new browser holding a copy of a session cookie."""
    other = _browser(app)
    other.set_cookie(COOKIE, value)
    return other


def _to_login(response_location: str | None) -> bool:
    return response_location == "/staff/login"


def _change_password(client: FlaskClient, current: str, new: str) -> tuple[int, str]:
    response = post(
        client, "/staff/password", {"current": current, "new": new, "confirm": new}, token_from="/staff/password"
    )
    return response.status_code, response.headers.get("Location", response.get_data(as_text=True))


def _with_account(app: Flask, staff_id: int, admin_id: int, change: str) -> None:
    with app.app_context():
        user, actor = db.session.get(StaffUser, staff_id), db.session.get(StaffUser, admin_id)
        assert user is not None and actor is not None
        if change == "deactivate":
            accounts.set_active(user, False, actor=actor, remote_addr=None)
        else:
            raise AssertionError(change)


# --- fixation and replay -----------------------------------------------------------------------------
def test_session_fixation_new_cookie_at_sign_in_and_pre_login_cookie_useless(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    page_csrf(client)
    before = session_cookie(client)
    staff = make_staff(app)
    submit_password(client, staff.email, staff.password)
    pending = session_cookie(client)
    sign_in(client, app, staff=staff)
    after = session_cookie(client)
    assert len({before, pending, after}) == 3
    assert client.get("/staff/").status_code == 200
    for copy in (before, pending):
        response = _with_cookie(app, copy).get("/staff/")
        assert response.status_code == 302 and _to_login(response.headers["Location"])


def test_session_cookie_replay_after_logout_redirected_to_login(app: Flask, client: FlaskClient) -> None:
    sign_in(client, app)
    saved = session_cookie(client)
    assert client.get("/staff/").status_code == 200
    sign_out(client)
    client.set_cookie(COOKIE, saved)  # the browser (or a thief) puts the old cookie back
    response = client.get("/staff/")
    assert response.status_code == 302 and _to_login(response.headers["Location"])
    assert _to_login(_with_cookie(app, saved).get("/staff/password").headers.get("Location"))


def test_session_cookie_httponly_samesite_and_pages_not_cached(app: Flask, client: FlaskClient) -> None:
    sign_in(client, app)
    response = client.get("/staff/password")
    assert "no-store" in response.headers["Cache-Control"]
    staff = make_staff(app)
    other = _browser(app)
    headers = submit_password(other, staff.email, staff.password).headers.getlist("Set-Cookie")
    cookie = next(header for header in headers if header.startswith(f"{COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- timeouts -----------------------------------------------------------------------------------------
def test_session_idle_timeout_after_15_minutes(app: Flask, client: FlaskClient, clock: Clock) -> None:
    sign_in(client, app)
    clock.advance(minutes=14)
    assert client.get("/staff/").status_code == 200  # activity: the idle clock starts again
    clock.advance(minutes=15)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=15, seconds=1)
    response = client.get("/staff/")
    assert response.status_code == 302 and _to_login(response.headers["Location"])
    assert "15 minutes without activity" in client.get("/staff/login").get_data(as_text=True)
    assert not signed_in(client)


def test_session_absolute_timeout_after_12_hours_even_with_activity(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    sign_in(client, app)
    for _ in range(12 * 6):
        clock.advance(minutes=10)
        assert client.get("/staff/password").status_code == 200
    clock.advance(seconds=1)  # 12 hours and a second after signing in, 10 minutes after the last request
    response = client.get("/staff/password")
    assert response.status_code == 302 and _to_login(response.headers["Location"])
    assert "signed in for 12 hours" in client.get("/staff/login").get_data(as_text=True)


# --- sign-out -----------------------------------------------------------------------------------------
def test_session_logout_get_is_405(app: Flask, client: FlaskClient) -> None:
    sign_in(client, app)
    assert client.get("/staff/logout").status_code == 405
    assert signed_in(client)


def test_session_logout_without_csrf_token_refused(app: Flask, client: FlaskClient) -> None:
    staff = sign_in(client, app)
    assert client.post("/staff/logout").status_code == 400
    assert client.post("/staff/logout", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in(client)
    assert account(app, staff.id).session_epoch == 1


def test_session_logout_post_with_csrf_signs_out_everywhere(app: Flask, client: FlaskClient) -> None:
    staff = sign_in(client, app)
    elsewhere = _browser(app)
    sign_in(elsewhere, app, staff=staff)
    response = sign_out(client)
    # ASVS 14.3.1: the browser is told to drop its cache and storage for the site
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert not signed_in(client)
    assert not signed_in(elsewhere)
    assert "You have signed out" in client.get("/staff/login").get_data(as_text=True)
    assert audit_actions(app)[-1] == "staff.logged_out"


# --- password change and deactivation end sessions ---------------------------------------------------------
def test_session_password_change_ends_other_sessions(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = sign_in(client, app)
    other = _browser(app)
    sign_in(other, app, staff=staff)
    assert _change_password(client, staff.password, NEW_PASSWORD) == (302, "/staff/")
    assert client.get("/staff/").status_code == 200  # this browser carries on, with a new session
    response = other.get("/staff/")
    assert response.status_code == 302 and _to_login(response.headers["Location"])
    assert "staff.password_changed" in audit_actions(app)
    third = _browser(app)
    assert INVALID in submit_password(third, staff.email, staff.password).get_data(as_text=True)
    assert submit_password(third, staff.email, NEW_PASSWORD).headers["Location"] == "/staff/mfa"


def test_session_password_change_needs_the_current_password(app: Flask, client: FlaskClient) -> None:
    staff = sign_in(client, app)
    status, body = _change_password(client, "not my current password", NEW_PASSWORD)
    assert status == 200 and "Enter your current password correctly" in body
    assert account(app, staff.id).session_epoch == 1


@pytest.mark.parametrize("new", ["short pass", "password1234", "clinician1 is me", "abcabcabcabcabc"])
def test_session_password_change_refuses_weak_passwords(app: Flask, client: FlaskClient, new: str) -> None:
    staff = sign_in(client, app)
    status, body = _change_password(client, staff.password, new)
    assert status == 200 and ("12 characters or more" in body or "harder to guess" in body)
    assert account(app, staff.id).session_epoch == 1


def test_session_deactivation_ends_sessions(app: Flask, client: FlaskClient) -> None:
    staff = sign_in(client, app)
    admin = make_staff(app, Role.ADMIN)
    _with_account(app, staff.id, admin.id, "deactivate")
    response = client.get("/staff/")
    assert response.status_code == 302 and _to_login(response.headers["Location"])
    assert INVALID in submit_password(client, staff.email, staff.password).get_data(as_text=True)


# --- a patient's draft in the same browser ------------------------------------------------------------------
def test_session_patient_draft_survives_staff_sign_in_and_sign_out(app: Flask, client: FlaskClient) -> None:
    start = client.get("/")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', start.get_data(as_text=True))
    assert token
    started = client.post("/", data={"csrf_token": token.group(1), "consent_store": "y"})
    assert started.headers["Location"] == "/questionnaire/about_you"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.expires is not None  # the draft's cookie outlives the browser
    sign_in(client, app)
    assert client.get("/questionnaire/about_you").status_code == 200
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.expires is not None
    sign_out(client)
    assert client.get("/questionnaire/about_you").status_code == 200
    assert client.get("/").get_data(as_text=True).count("/questionnaire/about_you") >= 1  # "continue" offered


# --- one-time passwords --------------------------------------------------------------------------------
def _first_sign_in(app: Flask, client: FlaskClient, email: str, one_time: str) -> None:
    """One-time password, then MFA enrolment: lands on the forced password page."""
    response = submit_password(client, email, one_time)
    assert response.headers["Location"] == "/staff/mfa/setup"
    key = mfa_setup_key(client.get("/staff/mfa/setup").get_data(as_text=True))
    response = post(client, "/staff/mfa/setup", {"code": totp(key)}, token_from="/staff/mfa/setup")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/password"


def _forced_to_password_page(client: FlaskClient, *urls: str) -> None:
    page = client.get("/staff/password")
    assert page.status_code == 200 and "Choose your own password" in page.get_data(as_text=True)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/staff/password", url


def test_session_must_change_password_forces_the_password_page_first(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    with app.app_context():
        user, one_time = accounts.create_staff(email="new.admin@clinic.example.org", name="New Admin", role=Role.ADMIN)
        staff = Staff(user.id, user.email, user.name, Role.ADMIN, one_time, None)
    assert account(app, staff.id).must_change_password
    _first_sign_in(app, client, staff.email, one_time)
    _forced_to_password_page(client, "/staff/", "/staff/admin/audit", "/staff/admin/staff")
    assert _change_password(client, one_time, NEW_PASSWORD) == (302, "/staff/")
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/admin/audit").status_code == 200
    assert not account(app, staff.id).must_change_password


def test_session_must_change_password_survives_sign_out_and_in(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app, must_change_password=True)
    sign_in(client, app, staff=staff, expect="/staff/password")
    sign_out(client)
    clock.advance(seconds=30)
    sign_in(client, app, staff=staff, expect="/staff/password")
    _forced_to_password_page(client, "/staff/")


def test_session_create_staff_command_prints_one_time_password_then_enrol_and_change(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--email",
            "Nia.Reception@Clinic.Example.org",
            "--name",
            "Nia Reception",
            "--role",
            "reception",
        ]
    )
    assert result.exit_code == 0, result.output
    match = _ONE_TIME.search(result.output)
    assert match and len(match.group(1)) >= 16
    one_time = match.group(1)
    _first_sign_in(app, client, "nia.reception@clinic.example.org", one_time)
    _forced_to_password_page(client, "/staff/")
    assert _change_password(client, one_time, NEW_PASSWORD) == (302, "/staff/")
    assert client.get("/staff/").status_code == 200
    again = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--email",
            "nia.reception@clinic.example.org",
            "--name",
            "Someone Else",
            "--role",
            "admin",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_session_create_staff_through_the_flask_command_line(app: Flask, client: FlaskClient) -> None:
    """``flask --app screening create-staff`` as an operator runs it, against the test database."""
    env = {
        **os.environ,
        "SCREENING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SCREENING_SECRET_KEY": "test-secret-key",
        "SCREENING_ENV": "development",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "screening",
            "create-staff",
            "--email",
            "ops@clinic.example.org",
            "--name",
            "Ops Person",
            "--role",
            "admin",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    match = _ONE_TIME.search(completed.stdout)
    assert match
    response = submit_password(client, "ops@clinic.example.org", match.group(1))
    assert response.status_code == 302 and response.headers["Location"] == "/staff/mfa/setup"
