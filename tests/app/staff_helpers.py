"""Helpers for the staff tests: submissions made through the real submit path (draft, validation, rules), optionally
back-dated, and what the review pages and the database show of them. Accounts and signing in: ``tests/app/auth.py``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Submission
from tests.answer_sets import answers, submit_answers
from tests.conftest import Browser

#: Answer changes that make each queue priority (the highest flag's rank; -1 for none).
BY_PRIORITY: dict[int, dict[str, Any]] = {
    3: {"phq9_9": 3, "self_harm_intent": "no", "self_harm_recent_attempt": "no", "phone": "01632 960 001"},
    2: {"has_escort": "no"},
    1: {"allergy_ketamine": "unsure"},
    0: {"pain_duration": "lt_3m"},
    -1: {},
}


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
