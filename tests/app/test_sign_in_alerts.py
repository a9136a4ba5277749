"""The on-call alert about repeated staff sign-in failures (``staff.sign_in_alerts``): raised when one account or one
address reaches 10 failures within 15 minutes, once per UTC hour however many accounts or addresses, on every
configured channel, naming no account or address (the audit log does), and not at all without an alert route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import notifications
from screening.extensions import db
from screening.models import AuditEvent, Notification, StaffUser
from screening.staff import accounts, sign_in_alerts
from tests.app.auth import Clock, install_clock, make_staff, sign_in_admin
from tests.conftest import Browser

WEBHOOK = "https://hooks.example.org/screening"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "ALERT_FILE": str(tmp_path / "alerts.log"),
        "ALERT_WEBHOOK_URL": WEBHOOK,
        "ALERT_WEBHOOK_SECRET": "s" * 32,
        "BASE_URL": "https://screening.example.org",
    }


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def fail(app: Flask, clock: Clock, times: int, *, address: str = "203.0.113.5", account: int | None = None) -> None:
    """``times`` failed sign-ins (wrong passwords, or unknown accounts without ``account``), a second apart."""
    with app.app_context():
        user = db.session.get(StaffUser, account) if account is not None else None
        for _ in range(times):
            accounts.record_failure(user, remote_addr=address, reason="password" if user else "unknown", now=clock())
            clock.advance(seconds=1)


def alerts(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Notification).order_by(Notification.id))
        return [(row.kind, row.reference, row.channel) for row in rows]


def test_ten_failures_from_one_address_raise_one_alert_per_channel(app: Flask, clock: Clock) -> None:
    fail(app, clock, 9)
    assert alerts(app) == []
    fail(app, clock, 1)
    hour = sign_in_alerts.hour_bucket(clock())
    assert hour == "2026030209"
    assert alerts(app) == [("sign_in_failures", hour, "webhook"), ("sign_in_failures", hour, "file")]
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == sign_in_alerts.ALERTED)).all()
        assert event.remote_addr == "203.0.113.5"
        assert event.details["address_failures"] == 10 and event.details["channels"] == ["file", "webhook"]


def test_ten_failures_for_one_account_from_many_addresses_raise_it(app: Flask, clock: Clock) -> None:
    staff = make_staff(app)
    for n in range(10):
        fail(app, clock, 1, address=f"198.51.100.{n}", account=staff.id)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == sign_in_alerts.ALERTED)).all()
        assert (event.details["account"], event.details["account_failures"]) == (staff.id, 10)
    assert len(alerts(app)) == 2


def test_at_most_one_alert_an_hour_whatever_the_number_of_bursts(app: Flask, clock: Clock) -> None:
    fail(app, clock, 10)
    fail(app, clock, 10, address="192.0.2.1")  # a second burst in the same hour, from elsewhere
    assert len(alerts(app)) == 2  # one per channel
    clock.advance(hours=1)
    fail(app, clock, 10)
    assert [reference for _, reference, _ in alerts(app)] == ["2026030209"] * 2 + ["2026030210"] * 2


def test_failures_spread_over_more_than_15_minutes_raise_nothing(app: Flask, clock: Clock) -> None:
    for _ in range(12):
        fail(app, clock, 1)
        clock.advance(minutes=2)
    assert alerts(app) == []


def test_the_alert_says_what_happened_without_naming_anyone(app: Flask, clock: Clock) -> None:
    staff = make_staff(app, email="cleo.clinician@clinic.example.org", name="Cleo Clinician")
    fail(app, clock, 10, account=staff.id)
    with app.app_context():
        row = db.session.scalars(select(Notification).where(Notification.channel == "webhook")).one()
        text = notifications._text(row)
        body = json.loads(notifications.webhook_body(row))
    assert "failed many times" in text and "2026-03-02 09:00 UTC" in text
    assert body["link"] == "https://screening.example.org/staff/admin/audit?action=staff.*"
    assert body["severity"] == "warning" and body["event"] == "sign_in_failures"
    for private in ("cleo", "Cleo", "203.0.113.5"):
        assert private not in text and private not in json.dumps(body)


class TestNoRoute:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"URGENT_ALERTS": False}

    def test_without_an_alert_route_nothing_is_raised_and_every_failure_is_still_audited(
        self, app: Flask, clock: Clock
    ) -> None:
        fail(app, clock, 12)
        assert alerts(app) == []
        with app.app_context():
            actions = list(db.session.scalars(select(AuditEvent.action)))
        assert actions.count("staff.login_failed") == 12 and sign_in_alerts.ALERTED not in actions


class TestAuditLog:
    @pytest.fixture
    def app_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"ALERT_FILE": str(tmp_path / "alerts.log")}  # no BASE_URL: the test client's host is served

    def test_the_audit_log_shows_the_alert_in_words(self, app: Flask, clock: Clock) -> None:
        staff = make_staff(app)
        fail(app, clock, 10, account=staff.id)
        clock.advance(hours=1)
        fail(app, clock, 10, address="192.0.2.9")  # unknown accounts: no account id in the details
        admin = Browser(app.test_client())
        sign_in_admin(admin, app)
        page = admin.get("/staff/admin/audit?action=staff.sign_in_alert")
        assert admin.status == 200
        assert page.count("Too many failed sign-ins: the on-call route was alerted") == 2
