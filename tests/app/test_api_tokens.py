"""API tokens for admins (``/staff/admin/api-tokens``): the list, creating a token (shown once, on the answer to the
POST, ``no-store``; only its SHA-256 stored; never in the session, a flash, a URL or the log), revoking one after a
confirmation; CSRF on both POSTs; both audited; other roles refused (403) and visitors sent to sign in."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import ApiToken
from screening.staff import api_tokens
from tests.app.auth import csrf_token, sign_in, sign_in_admin
from tests.app.staff_helpers import audit_events
from tests.conftest import Browser

TOKENS = "/staff/admin/api-tokens"
NEW = TOKENS + "/new"
_SECRET = re.compile(r'<code id="api-token">(scr_[A-Za-z0-9_-]{43})</code>')


def create(browser: Browser, name: str = "Records engine") -> str:
    browser.get(NEW)
    page = browser.post(NEW, {"name": name})
    assert browser.status == 200, page
    match = _SECRET.search(page)
    assert match, page
    return match.group(1)


def token_row(app: Flask, name: str = "Records engine") -> ApiToken:
    with app.app_context():
        row: ApiToken | None = db.session.scalar(select(ApiToken).where(ApiToken.name == name))
        assert row is not None
        db.session.expunge(row)
        return row


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(
    app: Flask, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin_id = sign_in_admin(browser, app)
    secret = create(browser)
    row = token_row(app)
    assert row.token_hash == api_tokens.token_hash(secret) and len(row.token_hash) == 64
    assert secret.startswith(row.prefix) and len(row.prefix) == 12
    assert (row.scope, row.created_by_id, row.revoked_at) == ("fhir.read", admin_id, None)
    # shown once: not on the list, not in the session cookie, not in the log, not in the audit row
    listing = browser.get(TOKENS)
    assert "Records engine" in listing and row.prefix in listing and secret not in listing
    cookie = browser.client.get_cookie("screening")
    assert cookie is None or secret not in cookie.value
    assert secret not in caplog.text
    (event,) = audit_events(app, "api_token.created")
    assert event["details"] == {"token": row.id, "token_name": "Records engine"}
    assert event["staff_id"] == admin_id
    assert secret not in str(event)


def test_the_page_showing_the_token_is_no_store(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    browser.get(NEW)
    response = browser.client.post(NEW, data={"name": "Engine", "csrf_token": browser.csrf_token()})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Location" not in response.headers  # the answer to the POST itself, never a redirect to a URL with it


def test_a_created_token_reads_the_api(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    secret = create(browser)
    other = app.test_client()
    assert other.get("/fhir/QuestionnaireResponse", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name for the token"),
        ("x" * 81, "Name must be 80 characters or fewer"),
        ("bad\x07name", "Enter the name without hidden control characters"),
    ],
)
def test_create_validates_the_name(app: Flask, browser: Browser, name: str, message: str) -> None:
    sign_in_admin(browser, app)
    browser.get(NEW)
    page = browser.post(NEW, {"name": name})
    assert message in page and not _SECRET.search(page)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.id)) is None


def test_create_refuses_a_name_in_use(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    create(browser)
    browser.get(NEW)
    page = browser.post(NEW, {"name": "  Records engine "})
    assert api_tokens.NAME_TAKEN in page and not _SECRET.search(page)


def test_revoking_asks_first_then_refuses_the_token_at_once(app: Flask, browser: Browser) -> None:
    admin_id = sign_in_admin(browser, app)
    secret = create(browser)
    row = token_row(app)
    revoke = f"{TOKENS}/{row.id}/revoke"
    page = browser.get(revoke)
    assert "Are you sure you want to revoke the token Records engine?" in page
    assert token_row(app).revoked_at is None  # the GET asks only
    browser.post(revoke, {})
    assert (browser.status, browser.location) == (302, TOKENS)
    listing = browser.get(TOKENS)
    assert "The token Records engine is revoked" in listing and "Revoked" in listing
    revoked = token_row(app)
    assert revoked.revoked_at is not None and revoked.revoked_by_id == admin_id
    api = app.test_client().get("/fhir/QuestionnaireResponse", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    (event,) = audit_events(app, "api_token.revoked")
    assert event["details"] == {"token": row.id, "token_name": "Records engine"}
    page = browser.get(revoke)
    assert "is already revoked" in page and "Revoke token</button>" not in page
    page = browser.post(revoke, {})  # revoked meanwhile, in another tab: said, not done twice
    assert browser.status == 400 and "<title>Error: " in page and "There is a problem" in page
    assert len(audit_events(app, "api_token.revoked")) == 1


def test_revoking_an_unknown_token_is_404(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    assert browser.client.get(f"{TOKENS}/999/revoke").status_code == 404


def test_create_and_revoke_need_the_csrf_token(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    browser.get(NEW)
    page = browser.post(NEW, {"name": "No CSRF"}, csrf=False)
    assert not _SECRET.search(page)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.id)) is None
    create(browser)
    row = token_row(app)
    response = browser.client.post(f"{TOKENS}/{row.id}/revoke", data={})
    assert response.status_code == 400
    assert token_row(app).revoked_at is None
    assert audit_events(app, "api_token.revoked") == []


@pytest.mark.parametrize("role", ["reception", "clinician"])
def test_other_roles_are_refused_the_token_pages(app: Flask, client: FlaskClient, role: str) -> None:
    sign_in(client, app, role)
    for url in (TOKENS, NEW, f"{TOKENS}/1/revoke"):
        assert client.get(url).status_code == 403, url
    csrf = csrf_token(client.get("/staff/password").get_data(as_text=True))
    assert client.post(NEW, data={"name": "Mine", "csrf_token": csrf}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(ApiToken.id)) is None


def test_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for url in (TOKENS, NEW, f"{TOKENS}/1/revoke"):
        response = client.get(url)
        assert (response.status_code, response.headers.get("Location")) == (302, "/staff/login"), url


def test_admin_navigation_links_to_the_token_pages(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    assert f'href="{TOKENS}">API tokens</a>' in browser.get("/staff/admin/audit")
    assert "No tokens have been created." in browser.get(TOKENS)
