"""The FHIR read API's per-token rate limit (``fhir_api_auth``): past ``SCREENING_API_RATE_LIMIT`` a 429
OperationOutcome with ``Retry-After``, audited with the token's name; each token has its own count, shared by every
process through Redis; the setting is checked at start."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening.extensions import db
from tests.app.fhir_api_helpers import Issued, issue_token
from tests.app.staff_helpers import audit_events
from tests.app.test_fhir_api import SEARCH, assert_outcome


@pytest.fixture
def token(app: Flask) -> Issued:
    return issue_token(app)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"API_RATE_LIMIT": "5 per minute"}


def test_rate_limit_per_token_is_429_operation_outcome_with_retry_after(
    app: Flask, client: FlaskClient, token: Issued
) -> None:
    from screening.limits import limiter_of

    other = issue_token(app, "Second engine")
    limiter_of(app).enabled = True
    try:
        for _ in range(5):
            assert client.get(SEARCH, headers=token.header).status_code == 200
        response = client.get(SEARCH, headers=token.header)
        assert_outcome(response, 429, "throttled")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert client.get(SEARCH, headers=other.header).status_code == 200  # another token has its own count
    finally:
        limiter_of(app).enabled = False
    refused = audit_events(app, "request.rate_limited")
    assert [event["details"]["token_name"] for event in refused] == ["Records engine"]
    assert len(audit_events(app, "fhir_api.read")) == 6  # the refused request read nothing


def test_rate_limit_setting_is_checked_at_start() -> None:
    from screening import config

    with pytest.raises(config.ConfigError, match="SCREENING_API_RATE_LIMIT"):
        config.from_environment({"SCREENING_API_RATE_LIMIT": "lots"})
    assert config.from_environment({"SCREENING_API_RATE_LIMIT": "100/minute;2000/hour"})["API_RATE_LIMIT"]


def test_rate_limit_per_token_is_shared_by_every_process_through_redis(app: Flask, token: Issued) -> None:
    import uuid

    from screening import create_app
    from tests.app.redis_helpers import redis_or_skip

    url = "redis://127.0.0.1:6379/2"
    server = redis_or_skip(url, "the per-token limit across processes")
    prefix = f"screening-test-{uuid.uuid4().hex}"
    config = {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key",
        "CLINIC_PHONE": "01632 960 000",
        "CLINIC_EMAIL": "clinic@example.org",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URL": url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "API_RATE_LIMIT": "4 per minute",
    }
    apps = [create_app(config), create_app(config)]
    try:
        clients = [each.test_client() for each in apps]
        statuses = [clients[n % 2].get(SEARCH, headers=token.header).status_code for n in range(6)]
        assert statuses == [200] * 4 + [429] * 2
        assert list(server.scan_iter(match=f"*{prefix}*fhir-api*{token.id}*"))
    finally:
        keys = list(server.scan_iter(match=f"*{prefix}*"))
        if keys:
            server.delete(*keys)
        server.close()
        for each in apps:
            with each.app_context():
                db.session.remove()
                db.engine.dispose()
