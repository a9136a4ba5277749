"""Staff in the browser (for the tour in tour.py, and any later staff flow): accounts made straight in the live
server's database and signed in through the real login form and TOTP step, as a person would; submissions made
through the patient's real submit path (``services.submit``) and reviewed through ``review``.

The tour's functions get only ``(page, check)``, so the live app reaches them through this module: the session
fixture ``live_server`` (conftest.py) calls ``use_app(app)`` once and ``app()`` returns it (one live server per
process). Each sign-in uses a new account: a TOTP code works only once per account and 30-second step, so two
sign-ins of one account within a step would be refused.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import Page, expect

from screening.extensions import db
from screening.models import Role, StaffUser, Submission, SubmissionStatus
from screening.staff import accounts, auth, review
from tests.answer_sets import answers, submit_answers

PASSWORD = "tangerine lighthouse rowing 42"
#: Answers whose flags have every severity (urgent, discuss, caution, info) and whose medicines include a line
#: matched with certainty, a misspelt one and one that matches nothing.
FLAGGED: dict[str, Any] = {
    "full_name": "Sam Sample",
    "phq9_9": 3,
    "self_harm_intent": "no",
    "self_harm_recent_attempt": "no",
    "phone": "01632 960 001",
    "has_escort": "no",
    "allergy_ketamine": "unsure",
    "pain_duration": "lt_3m",
    "medicines": [
        "Lyrica 150mg twice a day",
        "tramadol 50mg when needed",
        "amitriptylline 10mg at night",
        "my blue inhaler",
    ],
}
#: The queue's submissions: one of each severity (and one without flags), each with a name to search for.
QUEUE: tuple[dict[str, Any], ...] = (
    {
        "full_name": "Robin Urgent",
        "phq9_9": 3,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
        "phone": "01632 960 002",
    },
    {"full_name": "Robin Discuss", "has_escort": "no"},
    {"full_name": "Robin Caution", "allergy_ketamine": "unsure"},
    {"full_name": "Robin Info", "pain_duration": "lt_3m"},
    {"full_name": "Robin Clear"},
)

_app: Flask | None = None
_queue: tuple[str, ...] | None = None
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    role: Role
    secret: str | None  # None: not enrolled yet (the first sign-in sets up the authenticator app)


def use_app(app: Flask) -> None:
    """Called by the ``live_server`` fixture: the app the browser's pages are served by."""
    global _app, _queue
    _app, _queue = app, None


def app() -> Flask:
    assert _app is not None, "no live server: use the live_server fixture (tests/e2e/conftest.py)"
    return _app


@cache
def _password_hash() -> str:
    return auth.hash_password(PASSWORD)  # one argon2 hash per process, shared by the test accounts (it is salted)


def new_email(name: str) -> str:
    """An email address no account has yet, such as "jo.7@clinic.example.org"."""
    return f"{name}.{next(_numbers)}@clinic.example.org"


def create_account(role: Role = Role.CLINICIAN, *, enrolled: bool = True, first_sign_in: bool = False) -> Account:
    """A new active account with ``PASSWORD``: enrolled (a TOTP secret) or not; with ``first_sign_in`` it must
    choose its own password after signing in, as an account an administrator just created."""
    number = next(_numbers)
    with app().app_context():
        user, _one_time = accounts.create_staff(
            email=f"{role.value}.{number}@clinic.example.org", name=f"{role.value.title()} Person {number}", role=role
        )
        user.password_hash = _password_hash()
        user.must_change_password = first_sign_in
        user.mfa_secret = pyotp.random_base32(32) if enrolled else None
        db.session.commit()
        return Account(user.id, user.email, user.name, role, user.mfa_secret)


def press(page: Page, button: str) -> None:
    """Press a button that loads a page."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def enter_password(page: Page, account: Account, password: str = PASSWORD) -> None:
    """On the sign-in page: the email address and password, then "Sign in"."""
    page.get_by_label("Email address", exact=True).fill(account.email)
    page.get_by_label("Password", exact=True).fill(password)
    press(page, "Sign in")


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Security code", exact=True).fill(code)
    press(page, "Continue")


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def wrong_code(secret: str) -> str:
    """A 6-digit code the server refuses (none of the steps it accepts now)."""
    totp, step = pyotp.TOTP(secret), int(time.time()) // auth.TOTP_STEP_SECONDS
    valid = {totp.generate_otp(step + offset) for offset in (-2, -1, 0, 1, 2)}
    return next(code for code in ("123456", "654321", "111111") if code not in valid)


def sign_in(page: Page, role: Role = Role.CLINICIAN) -> Account:
    """Sign in as a new enrolled account with ``role``: login form, then the authenticator's code. Ends on the
    queue."""
    account = create_account(role)
    assert account.secret is not None
    page.goto("/staff/login")
    enter_password(page, account)
    expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
    enter_code(page, current_code(account.secret))
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    return account


def signed_in(role: Role) -> Callable[[Page], Account]:
    """``sign_in`` for a role, as a one-argument function (the ``before`` of ``tour.visit_path``)."""
    return lambda page: sign_in(page, role)


def submit(**changes: Any) -> str:
    """A submission of the healthy baseline with ``changes``, through the real submit path; its reference."""
    with app().app_context():
        return submit_answers(answers(**changes)).reference


def ensure_queue() -> tuple[str, ...]:
    """The queue's submissions (``QUEUE``), made once per live server; their references."""
    global _queue
    if _queue is None:
        _queue = tuple(submit(**changes) for changes in QUEUE)
    return _queue


def add_note(reference: str, author: Account, note: str) -> None:
    """``author`` adds a note, as from another browser."""
    with app().app_context():
        submission = _submission(reference)
        review.add_note(submission, note, actor=_user(author), expected_version=submission.version_id)


def change_status(reference: str, author: Account, to: SubmissionStatus, note: str | None = None) -> None:
    with app().app_context():
        submission = _submission(reference)
        review.change_status(submission, to, actor=_user(author), expected_version=submission.version_id, note=note)


def _submission(reference: str) -> Submission:
    found = review.find(reference)
    assert found is not None, reference
    return found


def _user(account: Account) -> StaffUser:
    user = db.session.get(StaffUser, account.id)
    assert user is not None
    return user
