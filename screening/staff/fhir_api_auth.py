"""Who may use the FHIR read API, checked before each of its views (``access._enforce`` for ``@api_token`` views):
the bearer token (``api_tokens.authenticate``) and its rate limit, and the audit of each read.

No token, an unknown, malformed or revoked one, or another scheme: 401 with ``WWW-Authenticate: Bearer`` and an
``OperationOutcome`` (a staff session cookie counts for nothing here). Past its limit (``SCREENING_API_RATE_LIMIT``,
per token, counted in Flask-Limiter's storage, so shared by every process with Redis): 429 with ``Retry-After`` and
an ``OperationOutcome``, audited as ``request.rate_limited``. A storage that cannot be reached lets the request
through (logged), as the other limits do. The token of the request is ``g.api_token``; every answer is ``no-store``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Response, current_app, g, request
from limits import RateLimitItem, parse_many

from screening import limits as rate_limits
from screening.audit import audit
from screening.extensions import db
from screening.models import ApiToken
from screening.staff import api_tokens
from screening.staff.fhir_views import fhir_error

log = logging.getLogger(__name__)
READ = "fhir_api.read"
LIMIT_SCOPE = "fhir-api"
DEFAULT_RATE_LIMIT = "120 per minute"
REALM = 'Bearer realm="screening"'
NOT_SENT = "Send an API token as 'Authorization: Bearer <token>'. An administrator issues tokens."
NOT_ACCEPTED = "The API token is not recognised or has been revoked. Ask an administrator for a new one."
TOO_MANY = "Too many requests with this API token: wait for the time in Retry-After, then carry on."


def _rate_limits() -> list[RateLimitItem]:
    text = current_app.config["SCREENING"].get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT
    try:
        return list(parse_many(text))
    except ValueError:  # refused at start (setting_values); kept safe for a setting changed in tests
        log.error("SCREENING_API_RATE_LIMIT cannot be read: using %s", DEFAULT_RATE_LIMIT)
        return list(parse_many(DEFAULT_RATE_LIMIT))


def seconds_to_wait(token: ApiToken) -> int | None:
    """Count this request against ``token``'s limits: None if within them, else the seconds until it may try again."""
    limiter = rate_limits.limiter_of(current_app)
    if not limiter.enabled:
        return None
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or rate_limits.KEY_PREFIX
    identifiers = (prefix, LIMIT_SCOPE, str(token.id))
    try:
        strategy = limiter.limiter
        for item in _rate_limits():
            if not strategy.hit(item, *identifiers):
                reset_at = strategy.get_window_stats(item, *identifiers).reset_time
                return max(1, math.ceil(reset_at - time.time()))
    except Exception:  # the storage is down: an outage of the counter must not stop the integration
        log.warning("API rate limit not checked: the rate-limit storage cannot be reached")
    return None


def _refused(status: int, text: str, *, presented: bool) -> Response:
    response = fhir_error(status, "login" if status == 401 else "throttled", text)
    challenge = REALM + (', error="invalid_token"' if presented else "")
    response.headers["WWW-Authenticate"] = challenge
    return response


def check_token() -> Response | None:
    """None when the request holds a live token within its limit (then ``g.api_token`` is that token), else the
    refusal to send."""
    g.no_store = True
    header = request.headers.get("Authorization")
    token = api_tokens.authenticate(header)
    if token is None:
        log.info("FHIR API request refused: %s", "no token" if not header else "token not accepted")
        return _refused(401, NOT_ACCEPTED if header else NOT_SENT, presented=bool(header))
    wait = seconds_to_wait(token)
    if wait is not None:
        audit(
            rate_limits.RATE_LIMITED,
            remote_addr=request.remote_addr,
            endpoint=request.endpoint or "",
            group=LIMIT_SCOPE,
            token=token.id,
            token_name=token.name,
        )
        db.session.commit()
        response = fhir_error(429, "throttled", TOO_MANY)
        response.headers["Retry-After"] = str(wait)
        return response
    g.api_token = token
    return None


def record_read(interaction: str, resource: str, references: list[str], **details: Any) -> None:
    """Audit one read by the request's token (``fhir_api.read``: the token's name and id, what was read and the
    references returned; never an answer), note the token as used, and commit."""
    token: ApiToken = g.api_token
    api_tokens.mark_used(token)
    audit(
        READ,
        reference=references[0] if interaction == "read" and references else None,
        remote_addr=request.remote_addr,
        token=token.id,
        token_name=token.name,
        interaction=interaction,
        resource=resource,
        references=references,
        **details,
    )
    db.session.commit()
