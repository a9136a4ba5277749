"""Staff accounts and sign-in for the app tests, in one place: accounts made in the database with a known password
and an enrolled authenticator (``make_staff``), ``sign_in`` as any role through the real login form and TOTP step
(CSRF tokens scraped from each page, codes computed for ``screening.clock.now()``), and a controllable clock.

``sign_in(client_or_browser, app, "reception")`` makes a new account of that role and signs in with it; call it once
per role, on separate clients, for several people. The admin tests' shorthands (``sign_in_admin``, ``sign_in_as``,
``create_account``) return account ids and default to "Ada Admin"; ``staff_and_secret`` makes an account that has
not signed in.

Use the clock with ``clock = install_clock(monkeypatch)``; ``clock.advance(minutes=16)`` moves it on.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import screening.clock
from screening.extensions import db
from screening.models import AuditEvent, Role, StaffUser
from screening.staff import accounts, auth

if TYPE_CHECKING:
    from tests.conftest import Browser

PASSWORD = "tangerine lighthouse rowing 42"
COOKIE = "screening"
INVALID = "Enter a correct email address and password"
ADMIN_EMAIL = "ada.admin@example.org"
ADMIN_NAME = "Ada Admin"
_CSRF = re.compile(r'name="csrf_token"[^>]*?\svalue="([^"]+)"')
_KEY = re.compile(r'<code class="app-key">([A-Z2-7 ]+)</code>')
# 09:00:03 UTC on a Monday, 3 seconds into a TOTP time step (so "now" and "30 s later" are different steps)
START = datetime(2026, 3, 2, 9, 0, 3, tzinfo=UTC)


class Clock:
    """A stand-in for ``screening.clock.now`` that only moves when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def install_clock(monkeypatch: pytest.MonkeyPatch, start: datetime = START) -> Clock:
    clock = Clock(start)
    monkeypatch.setattr(screening.clock, "now", clock)
    return clock


# --- CSRF ----------------------------------------------------------------------------------------------------------
def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on the page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def page_csrf(client: FlaskClient, url: str = "/staff/login") -> str:
    """The CSRF token a GET of ``url`` shows (the token lives in the session, so it fits every form)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_token(response.get_data(as_text=True))


def post(
    client: FlaskClient,
    url: str,
    data: dict[str, Any] | None = None,
    *,
    token_from: str = "/staff/login",
    **kwargs: Any,
) -> TestResponse:
    """POST ``data`` to ``url`` with a CSRF token taken from a GET of ``token_from``."""
    payload = {"csrf_token": page_csrf(client, token_from), **(data or {})}
    return client.post(url, data=payload, **kwargs)


# --- accounts ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    name: str
    role: Role
    password: str
    secret: str | None


@functools.cache
def _password_hash(password: str) -> str:
    """argon2 is slow on purpose: each test password is hashed once per run (its accounts share the salt)."""
    return auth.hash_password(password)


def make_staff(
    app: Flask,
    role: Role | str = Role.CLINICIAN,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    enrolled: bool = True,
    must_change_password: bool = False,
    active: bool = True,
    also: tuple[Role | str, ...] = (),
) -> Staff:
    """A staff account with a known password (and, when ``enrolled``, a TOTP secret), holding ``role`` and any roles
    in ``also`` (e.g. ``make_staff(app, "admin", also=("clinician",))``)."""
    role = Role(role)
    with app.app_context():
        count = db.session.query(StaffUser).count()
        email = email or f"{role.value}{count + 1}@clinic.example.org"
        name = name or f"{role.value.title()} Number{count + 1}"
        user, _one_time = accounts.create_staff(email=email, name=name, roles={role, *(Role(extra) for extra in also)})
        user.password_hash = _password_hash(password)
        user.must_change_password = must_change_password
        user.mfa_secret = pyotp.random_base32(32) if enrolled else None
        user.active = active
        db.session.commit()
        return Staff(user.id, user.email, user.name, role, password, user.mfa_secret)


def account(app: Flask, staff_id: int) -> StaffUser:
    """The account row as it is now (detached: read its attributes, don't change it)."""
    with app.app_context():
        user = db.session.get(StaffUser, staff_id)
        assert user is not None
        db.session.expunge(user)
        return user


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return [event.action for event in db.session.query(AuditEvent).order_by(AuditEvent.id)]


# --- second factor -------------------------------------------------------------------------------------------------
def totp(secret: str, at: datetime | None = None, *, steps: int = 0) -> str:
    """The code for the time step of ``at`` (default ``screening.clock.now()``) moved by ``steps``."""
    moment = at or screening.clock.now()
    return pyotp.TOTP(secret).generate_otp(int(moment.timestamp()) // auth.TOTP_STEP_SECONDS + steps)


def unused_code(app: Flask, staff: Staff) -> str:
    """A code that verifies now and was not used before (this step, else the next one)."""
    assert staff.secret is not None
    last = account(app, staff.id).mfa_last_step
    current = int(screening.clock.now().timestamp()) // auth.TOTP_STEP_SECONDS
    for step in (current, current + 1):
        if step > last:
            return pyotp.TOTP(staff.secret).generate_otp(step)
    raise AssertionError("both usable TOTP steps were used already: advance the clock by 30 seconds")


def mfa_setup_key(html: str) -> str:
    """The text key the MFA set-up page shows (spaces removed)."""
    match = _KEY.search(html)
    assert match, "no text key on the MFA set-up page"
    return match.group(1).replace(" ", "")


# --- signing in and out --------------------------------------------------------------------------------------------
def submit_password(client: FlaskClient, email: str, password: str, **kwargs: Any) -> TestResponse:
    return post(client, "/staff/login", {"email": email, "password": password}, **kwargs)


def sign_in(
    client: FlaskClient | Browser,
    app: Flask,
    role: Role | str = Role.CLINICIAN,
    *,
    staff: Staff | None = None,
    expect: str = "/staff/",
    **account_options: Any,
) -> Staff:
    """Sign ``client`` (a test client, or a ``Browser``) in through the real login form and second factor: as
    ``staff``, or as a new account with ``role`` (``account_options`` such as ``name``, ``email`` or ``enrolled`` go
    to ``make_staff``). An account without an authenticator enrols on the set-up page first, as a new member of staff
    does (the returned ``Staff`` then has no secret: read it with ``account``). Checks it lands on ``expect``; a
    ``Browser`` is left on that page."""
    test_client = client if isinstance(client, FlaskClient) else client.client
    staff = staff or make_staff(app, role, **account_options)
    response = submit_password(test_client, staff.email, staff.password)
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"] == "/staff/mfa/setup":
        key = mfa_setup_key(test_client.get("/staff/mfa/setup").get_data(as_text=True))
        response = post(test_client, "/staff/mfa/setup", {"code": totp(key)}, token_from="/staff/mfa/setup")
    else:
        assert response.headers["Location"] == "/staff/mfa", response.headers["Location"]
        response = post(test_client, "/staff/mfa", {"code": unused_code(app, staff)}, token_from="/staff/mfa")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == expect, response.headers["Location"]
    if not isinstance(client, FlaskClient):
        client.get(expect)
    return staff


def sign_in_as(
    client: FlaskClient | Browser,
    app: Flask,
    *,
    role: Role | str = Role.ADMIN,
    email: str = ADMIN_EMAIL,
    name: str = ADMIN_NAME,
) -> int:
    """Sign in as a new account with this role, email and name (Ada Admin by default); returns its id."""
    return sign_in(client, app, role, email=email, name=name).id


def sign_in_admin(client: FlaskClient | Browser, app: Flask) -> int:
    """Sign ``client`` in as a new admin ("Ada Admin"); returns the account's id."""
    return sign_in_as(client, app)


def create_account(
    app: Flask, *, role: Role | str = Role.ADMIN, email: str = ADMIN_EMAIL, name: str = ADMIN_NAME
) -> tuple[int, str]:
    """An enrolled account (Ada Admin by default) that has not signed in: its id and TOTP secret."""
    staff = make_staff(app, role, email=email, name=name)
    assert staff.secret is not None
    return staff.id, staff.secret


def staff_and_secret(app: Flask, role: Role | str = Role.CLINICIAN, **account_options: Any) -> tuple[Staff, str]:
    """An enrolled account that has not signed in, and its TOTP secret."""
    staff = make_staff(app, role, **account_options)
    assert staff.secret is not None
    return staff, staff.secret


def sign_out(client: FlaskClient) -> TestResponse:
    response = post(client, "/staff/logout", token_from="/staff/password")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    return response


def signed_in(client: FlaskClient) -> bool:
    """Whether ``client`` reaches a staff page (the password page: every role may use it)."""
    response = client.get("/staff/password")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login", response.status_code
    return False


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value
