"""The audit log's CSV export (admins only): the events of a date range in the clinic's days, oldest first, with
codes and words, streamed, never cached, refused without both dates or a CSRF token, and itself audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Role
from tests.app.auth import create_account, sign_in_admin
from tests.conftest import Browser

EXPORT_PAGE = "/staff/admin/export"
AUDIT_CSV = "/staff/admin/audit.csv"


def add_events(app: Flask, *events: dict[str, Any]) -> None:
    with app.app_context():
        for event in events:
            db.session.add(AuditEvent(**{"details": {}, **event}))
        db.session.commit()


def post(client: FlaskClient, **fields: str) -> Any:
    browser = Browser(client)
    browser.get(EXPORT_PAGE)
    assert browser.status == 200
    return client.post(AUDIT_CSV, data={"csrf_token": browser.csrf_token(), **fields}, buffered=False)


def test_audit_export_holds_the_clinic_days_events_oldest_first_in_codes_and_words(
    app: Flask, client: FlaskClient
) -> None:
    admin_id = sign_in_admin(client, app)
    cleo_id, _ = create_account(app, role=Role.CLINICIAN, email="cleo@example.org", name="Dr Cleo Clinician")
    add_events(
        app,
        {"at": datetime(2026, 6, 30, 22, 30, tzinfo=UTC), "action": "submission.viewed", "staff_id": cleo_id},
        {
            "at": datetime(2026, 6, 30, 23, 30, tzinfo=UTC),  # 1 July 00:30 BST
            "action": "submission.status_changed",
            "staff_id": cleo_id,
            "reference": "KT-7Q83-FKVK",
            "remote_addr": "192.0.2.7",
            "details": {"from_status": "new", "to_status": "in_review"},
        },
        {"at": datetime(2026, 7, 1, 9, 0, tzinfo=UTC), "action": "draft.resume_failed", "details": {"reason": "=1"}},
        {"at": datetime(2026, 7, 1, 23, 0, tzinfo=UTC), "action": "submission.viewed", "staff_id": cleo_id},
    )
    response = post(client, **{"audit-date_from": "2026-07-01", "audit-date_to": "2026-07-01"})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="screening-audit-2026-07-01-to-2026-07-01.csv"' in response.headers["Content-Disposition"]
    body = b"".join(response.response).decode("utf-8")
    assert body.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))
    assert header[:6] == ["id", "at", "staff_id", "staff", "action", "what_happened"] and header[-1] == "details_json"
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [record["action"] for record in records] == ["submission.status_changed", "draft.resume_failed"]
    changed, failed = records
    assert changed["at"] == "2026-06-30T23:30:00Z" and changed["staff"] == "Dr Cleo Clinician"
    assert changed["what_happened"] == "Dr Cleo Clinician changed the status of KT-7Q83-FKVK from New to In review"
    assert changed["details"] == "From: New; To: In review"
    assert json.loads(changed["details_json"]) == {"from_status": "new", "to_status": "in_review"}
    assert (changed["reference"], changed["remote_addr"]) == ("KT-7Q83-FKVK", "192.0.2.7")
    assert failed["staff"] == "" and failed["what_happened"] == "Someone tried a wrong resume code"
    assert failed["details"] == "Reason: =1"  # does not start with "=", so no quote is needed
    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).one()
        assert exported.staff_id == admin_id
        assert exported.details == {"format": "csv", "date_from": "2026-07-01", "date_to": "2026-07-01"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Enter the first day to export"),
        ({"audit-date_from": "2026-07-01"}, "Enter the last day to export"),
        ({"audit-date_from": "2026-07-02", "audit-date_to": "2026-07-01"}, "The end date must be the same as or after"),
        ({"audit-date_from": "yesterday", "audit-date_to": "2026-07-01"}, "Enter a real date, for example 2026-11-24"),
    ],
)
def test_audit_export_needs_a_real_date_range(
    app: Flask, client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    sign_in_admin(client, app)
    response = post(client, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count(message) >= 2 and 'href="#audit-date_' in page  # summary links to the field
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all() == []


def test_audit_export_without_a_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    response = client.post(AUDIT_CSV, data={"audit-date_from": "2026-07-01", "audit-date_to": "2026-07-01"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all() == []
