"""Staff sign-in, the second step: TOTP enrolment on first sign-in (a same-origin SVG QR code and a text
key), codes checked against a controlled clock, replay refused, the pending state short-lived, a password
alone reaching no staff page, and an MFA reset forcing enrolment again."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Role, StaffUser
from screening.staff import accounts
from tests.app.auth import (
    Clock,
    account,
    audit_actions,
    install_clock,
    make_staff,
    mfa_setup_key,
    post,
    sign_in,
    sign_out,
    signed_in,
    submit_password,
    totp,
)

WRONG_CODE_MESSAGE = "That code is not right or has already been used"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def _to_setup(client: FlaskClient, email: str, password: str) -> str:
    """Sign in with a password on an account without MFA; returns the set-up page."""
    response = submit_password(client, email, password)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/mfa/setup"
    page = client.get("/staff/mfa/setup")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _code_step(client: FlaskClient, code: str) -> tuple[int, str]:
    response = post(client, "/staff/mfa", {"code": code}, token_from="/staff/mfa")
    return response.status_code, response.headers.get("Location", response.get_data(as_text=True))


def _password_then_code(client: FlaskClient, email: str, password: str, code: str) -> tuple[int, str]:
    response = submit_password(client, email, password)
    assert response.headers["Location"] == "/staff/mfa"
    return _code_step(client, code)


# --- enrolment -------------------------------------------------------------------------------------------
def test_mfa_first_sign_in_shows_setup_with_same_origin_svg_qr_and_text_key(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    staff = make_staff(app, enrolled=False)
    page = _to_setup(client, staff.email, staff.password)
    images = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert "/staff/mfa/qr.svg" in images
    assert not [src for src in images if src.startswith(("data:", "http:", "https:", "//"))]
    key = mfa_setup_key(page)
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    qr = client.get("/staff/mfa/qr.svg")
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"
    assert "no-store" in qr.headers["Cache-Control"]
    svg = qr.get_data(as_text=True)
    assert "<svg" in svg and "</svg>" in svg and "<script" not in svg
    # An image document: browsers draw it only with the SVG namespace, and scale it to the <img> with a viewBox
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg and "viewBox=" in svg
    assert key not in svg  # the key is in the QR modules, not in readable text
    assert account(app, staff.id).mfa_secret is None  # nothing stored before a code proves the app has it


def test_mfa_setup_page_not_cached(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, enrolled=False)
    submit_password(client, staff.email, staff.password)
    assert "no-store" in client.get("/staff/mfa/setup").headers["Cache-Control"]


def test_mfa_setup_wrong_code_rejected(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app, enrolled=False)
    key = mfa_setup_key(_to_setup(client, staff.email, staff.password))
    wrong = "000000" if totp(key) != "000000" else "111111"
    response = post(client, "/staff/mfa/setup", {"code": wrong}, token_from="/staff/mfa/setup")
    assert response.status_code == 200
    assert "Enter the 6-digit code your authenticator app shows" in response.get_data(as_text=True)
    assert account(app, staff.id).mfa_secret is None
    assert not signed_in(client)


def test_mfa_setup_correct_code_enrols_and_signs_in(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app, enrolled=False)
    key = mfa_setup_key(_to_setup(client, staff.email, staff.password))
    response = post(client, "/staff/mfa/setup", {"code": totp(key)}, token_from="/staff/mfa/setup")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert account(app, staff.id).mfa_secret == key
    assert client.get("/staff/").status_code == 200
    assert audit_actions(app)[-3:] == ["staff.mfa_enrolled", "staff.logged_in", "queue.viewed"]
    assert client.get("/staff/mfa/qr.svg").status_code == 404  # the set-up is over
    sign_out(client)  # and the enrolled key is what signs in from now on
    clock.advance(seconds=30)
    assert _password_then_code(client, staff.email, staff.password, totp(key)) == (302, "/staff/")


def test_mfa_qr_without_a_pending_sign_in_is_404(app: Flask, client: FlaskClient) -> None:
    assert client.get("/staff/mfa/qr.svg").status_code == 404
    staff = make_staff(app)  # enrolled: never shown a QR code again
    submit_password(client, staff.email, staff.password)
    assert client.get("/staff/mfa/qr.svg").status_code == 404
    assert client.get("/staff/mfa/setup").headers["Location"] == "/staff/login"


def test_mfa_second_step_without_the_password_step_redirects_to_login(client: FlaskClient) -> None:
    for url in ("/staff/mfa", "/staff/mfa/setup"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/staff/login"


# --- codes ---------------------------------------------------------------------------------------------
def test_mfa_wrong_code_rejected(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    wrong = "000000" if totp(staff.secret) != "000000" else "111111"
    status, body = _password_then_code(client, staff.email, staff.password, wrong)
    assert status == 200 and WRONG_CODE_MESSAGE in body
    assert not signed_in(client)
    assert audit_actions(app)[-1] == "staff.login_failed"


def test_mfa_replayed_code_rejected_within_its_30_second_window(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    code = totp(staff.secret)
    assert _password_then_code(client, staff.email, staff.password, code) == (302, "/staff/")
    sign_out(client)
    clock.advance(seconds=5)  # still the same time step
    assert totp(staff.secret) == code
    status, body = _password_then_code(client, staff.email, staff.password, code)
    assert status == 200 and WRONG_CODE_MESSAGE in body
    assert not signed_in(client)
    other = FlaskClient(app, app.response_class, use_cookies=True)  # nor from another browser
    status, _body = _password_then_code(other, staff.email, staff.password, code)
    assert status == 200 and not signed_in(other)


@pytest.mark.parametrize("offset", [-1, 1])
def test_mfa_neighbouring_step_code_accepted_once(app: Flask, client: FlaskClient, clock: Clock, offset: int) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    code = totp(staff.secret, steps=offset)
    assert _password_then_code(client, staff.email, staff.password, code) == (302, "/staff/")
    sign_out(client)
    status, _body = _password_then_code(client, staff.email, staff.password, code)
    assert status == 200 and not signed_in(client)


def test_mfa_previous_step_code_rejected_after_a_newer_one_was_used(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    assert _password_then_code(client, staff.email, staff.password, totp(staff.secret)) == (302, "/staff/")
    sign_out(client)
    status, _body = _password_then_code(client, staff.email, staff.password, totp(staff.secret, steps=-1))
    assert status == 200 and not signed_in(client)


@pytest.mark.parametrize("offset", [-2, 2])
def test_mfa_code_two_steps_away_rejected(app: Flask, client: FlaskClient, clock: Clock, offset: int) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    status, _body = _password_then_code(client, staff.email, staff.password, totp(staff.secret, steps=offset))
    assert status == 200 and not signed_in(client)


def test_mfa_code_never_in_the_audit_trail(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    code = totp(staff.secret)
    _password_then_code(client, staff.email, staff.password, "123123" if code != "123123" else "321321")
    _password_then_code(client, staff.email, staff.password, code)
    with app.app_context():
        rows = [repr((event.action, event.details)) for event in db.session.scalars(select(AuditEvent))]
    assert rows and not [row for row in rows if code in row or staff.secret in row]


# --- the pending state ----------------------------------------------------------------------------------
def test_mfa_pending_state_expires_after_5_minutes(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    submit_password(client, staff.email, staff.password)
    clock.advance(minutes=5, seconds=1)
    response = post(client, "/staff/mfa", {"code": totp(staff.secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert not signed_in(client)
    assert client.get("/staff/mfa").headers["Location"] == "/staff/login"


def test_mfa_pending_state_still_valid_just_before_5_minutes(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    submit_password(client, staff.email, staff.password)
    clock.advance(minutes=4, seconds=55)
    assert _code_step(client, totp(staff.secret)) == (302, "/staff/")


def test_mfa_setup_pending_state_expires_after_5_minutes(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app, enrolled=False)
    key = mfa_setup_key(_to_setup(client, staff.email, staff.password))
    clock.advance(minutes=5, seconds=1)
    response = post(client, "/staff/mfa/setup", {"code": totp(key)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert account(app, staff.id).mfa_secret is None


@pytest.mark.parametrize("url", ["/staff/", "/staff/password", "/staff/admin/audit"])
def test_mfa_password_only_session_cannot_reach_staff_pages(app: Flask, client: FlaskClient, url: str) -> None:
    staff = make_staff(app, Role.ADMIN)
    submit_password(client, staff.email, staff.password)
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"


def test_mfa_password_only_session_cannot_sign_out_or_post(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app)
    submit_password(client, staff.email, staff.password)
    response = post(client, "/staff/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert account(app, staff.id).session_epoch == 1  # nothing happened to the account


# --- reset --------------------------------------------------------------------------------------------
def test_mfa_reset_forces_enrolment_again_and_ends_sessions(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = sign_in(client, app, Role.CLINICIAN)
    admin = make_staff(app, Role.ADMIN)
    with app.app_context():
        user, actor = db.session.get(StaffUser, staff.id), db.session.get(StaffUser, admin.id)
        assert user is not None and actor is not None
        accounts.reset_mfa(user, actor=actor, remote_addr="127.0.0.1")
    assert not signed_in(client)
    key = mfa_setup_key(_to_setup(client, staff.email, staff.password))
    assert key != staff.secret
    assert staff.secret is not None
    old_code = post(client, "/staff/mfa/setup", {"code": totp(staff.secret)}, token_from="/staff/mfa/setup")
    assert old_code.status_code == 200  # the old authenticator no longer works
    response = post(client, "/staff/mfa/setup", {"code": totp(key)}, token_from="/staff/mfa/setup")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert account(app, staff.id).mfa_secret == key
    assert "staff.mfa_reset" in audit_actions(app)
