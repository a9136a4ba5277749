"""The client's address behind a reverse proxy (``SCREENING_PROXY_HOPS``): trusted only from the configured number of
proxies, so sign-in throttling and the audit trail see each client rather than the proxy, and a client with no
proxy in front cannot choose its own address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import config, create_app
from screening.extensions import db
from screening.models import AuditEvent, LoginFailure
from screening.staff import auth
from tests.app.auth import make_staff, page_csrf, sign_in
from tests.conftest import Browser


def failed_sign_in_address(app: Flask, forwarded: str) -> str:
    browser = Browser(app.test_client())
    browser.get("/staff/login")
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    browser.post("/staff/login", {"email": "nobody@clinic.example", "password": "not the password"})
    assert browser.status == 200 and "Enter a correct email address and password" in browser.page
    with app.app_context():
        return str(db.session.scalars(select(LoginFailure.remote_addr)).one())


def proxied_app(tmp_path: Path, hops: int, **settings: Any) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
            "SECRET_KEY": "test",
            "PROXY_HOPS": hops,
            **settings,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def test_behind_one_trusted_proxy_the_client_address_comes_from_it(tmp_path: Path) -> None:
    app = proxied_app(tmp_path, 1)
    # a client's own X-Forwarded-For is kept only to the left of what the trusted proxy appended
    assert failed_sign_in_address(app, "198.51.100.7, 203.0.113.9") == "203.0.113.9"


def test_with_no_proxy_configured_a_forwarded_header_is_ignored(tmp_path: Path) -> None:
    app = proxied_app(tmp_path, 0)
    assert failed_sign_in_address(app, "203.0.113.9") == "127.0.0.1"


@pytest.mark.parametrize("value", ["-1", "6", "two"])
def test_proxy_hops_outside_0_to_5_are_refused_at_start(tmp_path: Path, value: str) -> None:
    with pytest.raises(config.ConfigError, match="SCREENING_PROXY_HOPS"):
        config.build(tmp_path, {"SCREENING_PROXY_HOPS": value}, None)


def test_one_address_behind_the_proxy_failing_many_sign_ins_cannot_stop_another_from_signing_in(tmp_path: Path) -> None:
    """Behind the proxy every request comes from its address; with PROXY_HOPS=1 the database's per-address throttle
    and the audit trail see each client's own address (the rate limits are off here: this is the database throttle)."""
    app = proxied_app(tmp_path, 1, RATELIMIT_ENABLED=False)
    staff = make_staff(app)
    attacker = app.test_client()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.66"
    token = page_csrf(attacker)
    guesses = [
        attacker.post("/staff/login", data={"csrf_token": token, "email": f"n{n}@x.example", "password": "guess"})
        for n in range(auth.ADDRESS_MAX_FAILURES + 2)
    ]
    assert [response.status_code for response in guesses] == [200] * auth.ADDRESS_MAX_FAILURES + [429, 429]
    real_user = Browser(app.test_client())
    real_user.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.20"
    sign_in(real_user, app, staff=staff)
    with app.app_context():
        addresses = {(event.action, event.remote_addr) for event in db.session.scalars(select(AuditEvent))}
        assert addresses == {
            ("staff.created", None),
            ("staff.login_failed", "203.0.113.66"),
            ("staff.login_throttled", "203.0.113.66"),
            ("staff.logged_in", "198.51.100.20"),
            ("queue.viewed", "198.51.100.20"),
        }
        assert set(db.session.scalars(select(LoginFailure.remote_addr))) == {"203.0.113.66"}


def test_a_refused_page_is_audited_with_the_clients_address_behind_the_proxy(tmp_path: Path) -> None:
    app = proxied_app(tmp_path, 1, RATELIMIT_ENABLED=False)
    reception = Browser(app.test_client())
    reception.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.30"
    sign_in(reception, app, "reception")
    assert reception.client.get("/staff/admin/audit").status_code == 403
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
        assert denied.remote_addr == "198.51.100.30"
