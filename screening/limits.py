"""Rate limits on the endpoints anyone can reach (Flask-Limiter): the limit groups (``GROUPS``: which POSTs, how many
per client address), the per-app ``Limiter`` (``init_app``: its storage from ``SCREENING_RATELIMIT_STORAGE_URL``), and
the answer past a limit (a 429 page with ``Retry-After``, audited as ``request.rate_limited``).

The key is the client's address, ``request.remote_addr``, which ``ProxyFix`` has already taken from the trusted
proxies (``SCREENING_PROXY_HOPS``). Only POSTs are limited; every page can still be read. Each group's count is shared
by its endpoints (going back and forth between questions counts against one budget). The numbers are far above what a
patient answering quickly, or several patients behind one clinic address, ever send (docs/deploy.md explains them);
the per-account lockout and the per-address sign-in throttle in the database (``staff.auth``) stay as they are.

A limited patient page is shown again with what was typed on it (nothing saved, nothing lost) and a plain message;
other endpoints get the 429 page. If the storage (Redis) cannot be reached, the limits carry on in this process's
memory until it is back (Flask-Limiter's in-memory fallback), so an outage never takes the service down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, make_response, render_template, request, url_for
from flask_limiter import Limit, Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import SQLAlchemyError

from screening import config, setting_values
from screening.audit import audit
from screening.extensions import db

log = logging.getLogger(__name__)

RATE_LIMITED = "request.rate_limited"
KEY_PREFIX = "screening"
REDIS_TIMEOUT_SECONDS = 0.5  # a Redis that does not answer must not hold a request up for long
PATIENT_MESSAGE = "You have sent a lot of pages quickly. Wait a minute, then try again. Your answers so far are saved."
STAFF_MESSAGE = "There have been too many sign-in attempts from this network. Wait a minute, then try again."


@dataclass(frozen=True, slots=True)
class LimitGroup:
    """POSTs to ``endpoints`` share one count per client address, limited to ``limits`` (Flask-Limiter notation,
    e.g. ``"120/minute;1000/hour"``). With ``failures_only`` a request counts only when it was not let through (a
    sign-in that succeeded redirects), so a whole clinic signing in behind one address never meets the limit."""

    limits: str
    endpoints: frozenset[str]
    patient: bool = True
    failures_only: bool = False


GROUPS: Mapping[str, LimitGroup] = {
    "patient-start": LimitGroup("20/minute;200/hour", frozenset({"patient.start"})),
    "patient-page": LimitGroup(
        "120/minute;1000/hour",
        frozenset({"patient.step", "patient.start_again", "patient.finish", "patient.not_me"}),
    ),
    "patient-submit": LimitGroup("10/minute;60/hour", frozenset({"patient.submit"})),
    "patient-save": LimitGroup("10/minute;60/hour", frozenset({"patient.issue_code", "patient.email_link"})),
    "patient-resume": LimitGroup("10/minute;60/hour", frozenset({"patient.resume_form", "patient.resume_link"})),
    "staff-sign-in": LimitGroup("10/minute;100/hour", frozenset({"auth.login"}), patient=False, failures_only=True),
    "staff-code": LimitGroup(
        "10/minute;100/hour", frozenset({"auth.mfa", "auth.mfa_setup"}), patient=False, failures_only=True
    ),
}
#: Where to go back to after a limited POST to an endpoint that has no page of its own.
_BACK: Mapping[str, str] = {
    "patient.submit": "/questionnaire/check",
    "patient.finish": "/",
    "patient.email_link": "/save-for-later",
}


def _exempt(endpoints: frozenset[str]) -> Any:
    return lambda: request.method != "POST" or request.endpoint not in endpoints


def _not_let_through(response: Response) -> bool:
    return not 300 <= response.status_code < 400


def _limit(name: str, group: LimitGroup) -> Limit:
    return Limit(
        group.limits,
        scope=name,
        shared=True,
        exempt_when=_exempt(group.endpoints),
        deduct_when=_not_let_through if group.failures_only else None,
    )


def _storage_options(url: str) -> dict[str, Any]:
    if url.startswith(("redis://", "rediss://")):
        return {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
    return {}


def init_app(app: Flask) -> Limiter:
    """This app's own limiter (its own counts in memory:// and its own settings; a test makes many apps). Switched
    off by ``RATELIMIT_ENABLED = False`` in the app's config (the test fixtures do; tests of the limits switch it on,
    and the browser tour sets ``limiter_of(app).enabled`` for its visits to the 429 pages).
    Raises ``ConfigError`` for a storage URL that cannot work, before any request."""
    url = app.config["SCREENING"]["RATELIMIT_STORAGE_URL"]
    try:
        setting_values.storage_url(url)
    except ValueError as error:
        raise config.ConfigError(f"SCREENING_RATELIMIT_STORAGE_URL: {error}") from None
    limiter = Limiter(
        get_remote_address,
        default_limits=[_limit(name, group) for name, group in GROUPS.items()],
        storage_uri=url,
        storage_options=_storage_options(url),
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or KEY_PREFIX,
        strategy="fixed-window",
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        headers_enabled=False,
    )
    enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
    app.config["RATELIMIT_ENABLED"] = True  # set up in full (hooks, storage) even when off, so it can be switched on
    limiter.init_app(app)
    limiter.enabled = app.config["RATELIMIT_ENABLED"] = enabled
    app.extensions["screening_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _refused)
    return limiter


def limiter_of(app: Flask) -> Limiter:
    return app.extensions["screening_limiter"]  # type: ignore[no-any-return]


def group_of(endpoint: str | None) -> str | None:
    return next((name for name, group in GROUPS.items() if endpoint in group.endpoints), None)


def _retry_after(limiter: Limiter) -> int:
    """Seconds until the breached limit's window ends (at least 1; 60 if the storage cannot say)."""
    try:
        breached = limiter.current_limit
        return max(1, math.ceil(breached.window[0] - time.time())) if breached else 60
    except Exception:  # the storage went away between the check and now: a minute is a fair guess
        return 60


def _record(group: str | None) -> None:
    """Audit the refusal: the address and the endpoint, never the body. A database that cannot take it is logged
    (without data) and does not change the answer."""
    try:
        audit(RATE_LIMITED, remote_addr=request.remote_addr, endpoint=request.endpoint or "", group=group or "")
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("rate-limited request on %s not audited: the database refused", request.endpoint)


def _back_url() -> str:
    """The page the refused POST came from: the same address (built by the router, never taken from the request
    line as sent), with ``return_to`` kept; or, for an endpoint with no page, where it leads from."""
    endpoint = request.endpoint or ""
    if (back := _BACK.get(endpoint)) is not None:
        return back
    values: dict[str, Any] = dict(request.view_args or {})
    if request.args.get("return_to") == "check":
        values["return_to"] = "check"
    return url_for(endpoint, **values)


def _page() -> str:
    """A limited step page is shown again with what was typed on it (as after a timed-out session); anything else
    gets the 429 page with a way back."""
    if request.endpoint == "patient.step":
        from screening import forms
        from screening.patient import views

        draft = views.current_draft()
        step_id = (request.view_args or {}).get("step_id")
        if draft is not None and step_id:
            form = forms.step_form_class(step_id)()
            return_to_check = request.args.get("return_to") == "check"
            return views.render_step(step_id, draft, form, return_to_check=return_to_check, notice=PATIENT_MESSAGE)
    group = GROUPS.get(group_of(request.endpoint) or "")
    patient = group is None or group.patient
    return render_template(
        "errors/rate_limited.html", message=PATIENT_MESSAGE if patient else STAFF_MESSAGE, back_url=_back_url()
    )


def _refused(error: RateLimitExceeded) -> Response:
    limiter = limiter_of(current_app)
    _record(group_of(request.endpoint))
    response = make_response(_page(), 429)
    response.headers["Retry-After"] = str(_retry_after(limiter))
    return response
