"""The client's address behind a reverse proxy (``SCREENING_PROXY_HOPS``): trusted only from the configured number of
proxies, so sign-in throttling and the audit trail see each client rather than the proxy, and a client with no
proxy in front cannot choose its own address."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from screening import config, create_app
from screening.extensions import db
from screening.models import LoginFailure
from tests.conftest import Browser


def failed_sign_in_address(app: Flask, forwarded: str) -> str:
    browser = Browser(app.test_client())
    browser.get("/staff/login")
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    browser.post("/staff/login", {"email": "nobody@clinic.example", "password": "not the password"})
    assert browser.status == 200 and "Enter a correct email address and password" in browser.page
    with app.app_context():
        return str(db.session.scalars(select(LoginFailure.remote_addr)).one())


def proxied_app(tmp_path: Path, hops: int) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
            "SECRET_KEY": "test",
            "PROXY_HOPS": hops,
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
