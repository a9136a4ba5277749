"""Security-bar §4 case 35 and the error path: the Host header (400 with our page and the security headers outside
TRUSTED_HOSTS in production, from SCREENING_SERVER_NAME, SCREENING_TRUSTED_HOSTS and SCREENING_BASE_URL; a
300-character label never crashes the error page), and every error path keeps the headers: an error page that fails
to render falls back to a plain page with its own status, an exception outside the app to a plain 500."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening import config, create_app
from screening.config import ConfigError
from screening.extensions import db
from tests.app.test_config import PRODUCTION
from tests.app.test_input_edges import assert_headers, heading
from tests.app.test_pages_structure import add_failing_route


# --- 35: Host header --------------------------------------------------------------------------------------------------
@pytest.fixture
def production(app: Flask) -> Iterator[Flask]:
    """The app in production settings (BASE_URL https://screening.example.org), on the test's database."""
    made = create_app(
        {
            **PRODUCTION,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "TRUSTED_HOSTS": ".clinic.example",
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "host",
    ["evil", "evil.example.org", "screening.example.org.evil", "a" * 300, "a" * 63 + "." + "b" * 300, "ex\u00e4mple"],
    ids=["evil", "other-domain", "suffix", "300-label", "long-name", "non-ascii"],
)
def test_case_35_untrusted_host_is_400_with_our_page_and_headers_in_production(production: Flask, host: str) -> None:
    client = production.test_client()
    for method, path in (("GET", "/"), ("GET", "/staff/login"), ("POST", "/"), ("GET", "/no-such-page")):
        response = client.open(path, method=method, headers={"Host": host}, base_url="https://localhost")
        assert (method, path, response.status_code) == (method, path, 400)
        assert heading(response) == "Sorry, something went wrong with your request"
        assert_headers(response)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("host", ["screening.example.org", "screening.example.org:443", "x.clinic.example"])
def test_case_35_trusted_hosts_are_answered(production: Flask, host: str) -> None:
    response = production.test_client().get("/", headers={"Host": host}, base_url="https://localhost")
    assert response.status_code == 200
    assert_headers(response)


def test_case_35_any_host_outside_production_unless_set(app: Flask, client: FlaskClient) -> None:
    assert app.config["TRUSTED_HOSTS"] is None
    assert client.get("/", headers={"Host": "anything.example"}).status_code == 200
    response = client.get("/", headers={"Host": "a" * 300})  # no host name at all: refused, never a crash
    assert response.status_code == 400
    assert_headers(response)


def test_case_35_host_settings_are_parsed_and_production_needs_one(tmp_path: Any) -> None:
    environ = {
        "SCREENING_SERVER_NAME": "Screening.Example.org:8443",
        "SCREENING_TRUSTED_HOSTS": " a.example , .b.example",
    }
    settings = config.build(tmp_path, environ, None)
    assert config.trusted_hosts(settings) == ["a.example", ".b.example", "screening.example.org"]
    for name, value in (
        ("SERVER_NAME", "https://x.example"),
        ("TRUSTED_HOSTS", "a.example,x/y"),
        ("SERVER_NAME", "a:0"),
    ):
        with pytest.raises(ConfigError, match=f"SCREENING_{name}"):
            config.build(tmp_path, {f"SCREENING_{name}": value}, None)
    without = {key: value for key, value in PRODUCTION.items() if key != "BASE_URL"}
    with pytest.raises(ConfigError, match="SCREENING_SERVER_NAME"):
        config.build(tmp_path, {}, {**without, "URGENT_ALERTS": False, "ALERT_WEBHOOK_URL": ""})
    named = config.build(tmp_path, {}, {**without, "URGENT_ALERTS": False, "SERVER_NAME": "s.example"})
    assert config.trusted_hosts(named) == ["s.example"]


# --- every error path keeps the headers -------------------------------------------------------------------------------
def failing_render(*args: Any, **kwargs: Any) -> str:
    raise RuntimeError("the template is broken")


@pytest.mark.parametrize(("path", "status"), [("/no-such-page", 404), ("/%00", 400)])
def test_case_35_an_error_page_that_fails_falls_back_to_a_plain_page_with_its_status_and_headers(
    production: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, path: str, status: int
) -> None:
    import screening.input_edges
    import screening.security

    monkeypatch.setattr(screening.security, "render_template", failing_render)
    monkeypatch.setattr(screening.input_edges, "render_template", failing_render)
    caplog.set_level(logging.INFO)
    response = production.test_client().get(path, headers={"Host": "screening.example.org"})
    assert response.status_code == status
    assert_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert page.startswith("<!DOCTYPE html>") and "Traceback" not in page and "broken" not in page
    assert "the error page for" in caplog.text and "RuntimeError" in caplog.text


def test_case_35_a_server_error_whose_page_fails_still_has_a_correlation_id_and_headers(
    production: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screening.security

    failing = add_failing_route(production)
    monkeypatch.setattr(screening.security, "render_template", failing_render)
    response = production.test_client().get(failing, headers={"Host": "screening.example.org"})
    assert response.status_code == 500
    assert_headers(response)
    reference = re.search(r"<strong>([0-9a-f]{12})</strong>", response.get_data(as_text=True))
    assert reference is not None


def test_case_35_an_exception_escaping_the_app_gets_a_plain_500_with_headers(
    production: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: Any) -> None:
        raise RuntimeError("no adapter")

    monkeypatch.setattr(production, "create_url_adapter", broken)
    response = production.test_client().get("/", headers={"Host": "screening.example.org"})
    assert response.status_code == 500
    assert_headers(response)
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
