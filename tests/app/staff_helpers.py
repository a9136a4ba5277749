"""Helpers for the staff tests: sign in through the real flow (password, then a TOTP code), and make submissions
through the real submit path (draft, validation, rules), optionally back-dated."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Role, Submission
from screening.staff import accounts, auth
from tests.answer_sets import answers, submit_answers
from tests.conftest import Browser

PASSWORD = "correct horse battery staple 2026"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_numbers = itertools.count(1)

#: Answer changes that make each queue priority (the highest flag's rank; -1 for none).
BY_PRIORITY: dict[int, dict[str, Any]] = {
    3: {"phq9_9": 3, "self_harm_intent": "no", "self_harm_recent_attempt": "no", "phone": "01632 960 001"},
    2: {"has_escort": "no"},
    1: {"allergy_ketamine": "unsure"},
    0: {"pain_duration": "lt_3m"},
    -1: {},
}


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    email: str
    role: Role


def csrf_from(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def create_account(app: Flask, role: Role | str, *, name: str | None = None) -> tuple[Staff, str]:
    """An active account with a known password and an enrolled authenticator: (account, TOTP secret)."""
    role = Role(role)
    number = next(_numbers)
    with app.app_context():
        user, _ = accounts.create_staff(
            email=f"{role.value}{number}@clinic.example",
            name=name or f"{role.value.title()} Person {number}",
            role=role,
        )
        user.password_hash = auth.hash_password(PASSWORD)
        user.must_change_password = False
        user.mfa_secret = pyotp.random_base32()
        db.session.commit()
        return Staff(user.id, user.name, user.email, user.role), user.mfa_secret


def sign_in(
    browser_or_client: Browser | FlaskClient, app: Flask, role: Role | str, *, name: str | None = None
) -> Staff:
    """Create an account and sign in with it through the login form and the second factor, as a person would."""
    client: FlaskClient = getattr(browser_or_client, "client", browser_or_client)
    staff, secret = create_account(app, role, name=name)
    page = client.get("/staff/login").get_data(as_text=True)
    response = client.post(
        "/staff/login", data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/mfa"), "password refused"
    page = client.get("/staff/mfa").get_data(as_text=True)
    response = client.post("/staff/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/"), "code refused"
    if isinstance(browser_or_client, Browser):
        browser_or_client.get("/staff/")
    return staff


def make_submission(app: Flask, *, priority: int = -1, submitted_at: datetime | None = None, **changes: Any) -> str:
    """Submit an answer set through ``services.submit`` (the real path) and return its reference. ``priority``
    picks answers that make that highest severity; ``changes`` change the healthy baseline further."""
    with app.app_context():
        today = (submitted_at or datetime.now().astimezone()).date()
        submission = submit_answers(answers(**{**BY_PRIORITY[priority], **changes}), today=today, now=submitted_at)
        assert submission.priority == priority, f"answers made priority {submission.priority}, not {priority}"
        return submission.reference


def get_submission(app: Flask, reference: str) -> dict[str, Any]:
    """The stored state of a submission, read in its own app context."""
    with app.app_context():
        submission = db.session.query(Submission).filter_by(reference=reference).one()
        return {
            "status": submission.status.value,
            "version": submission.version_id,
            "events": [
                (event.staff.name, event.from_status, event.to_status, event.note) for event in submission.events
            ],
            "flags": {
                flag.rule_id: (flag.acknowledgement, flag.acknowledged_by_id, flag.acknowledgement_note)
                for flag in submission.flags
            },
        }


def url(reference: str, action: str = "") -> str:
    """The submission's page, or one of its form actions ("status", "notes", "flags/<rule id>")."""
    return f"/staff/submissions/{reference}" + (f"/{action}" if action else "")


def version_on(page: str, form_action: str) -> int:
    """The submission version carried by the form posting to ``form_action``."""
    form = page[page.index(f'action="{form_action}"') :].split("</form>")[0]
    match = re.search(r'name="version" value="(\d+)"', form)
    assert match, form
    return int(match.group(1))


def audit_events(app: Flask, action: str) -> list[dict[str, Any]]:
    """The audit events of ``action``, oldest first, as plain dicts (reference, staff_id, details)."""
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [
            {
                "reference": row.reference,
                "staff_id": row.staff_id,
                "remote_addr": row.remote_addr,
                "details": row.details,
            }
            for row in rows
        ]


def second_browser(app: Flask) -> Browser:
    """Another browser (its own cookies): a second member of staff."""
    return Browser(app.test_client())
