"""Input edges: what the app refuses before any view reads a request, and how. Each refusal is a page of our own
(400, 411 or 413, with the security headers), logged without data; never a 500, never an empty or cut-off form saved.

- Body framing (``body_limits.BodyLimits``): no length → 411, over ``MAX_CONTENT_LENGTH`` → 413 (a chunked body too),
  a length and a transfer coding together → 400.
- A body the app cannot read (``UnreadableRequest``, 400 "We could not read what was sent"): a form body that is not
  UTF-8 (Werkzeug would parse it as an empty form), multipart without its boundary, or a body of another type (JSON,
  plain text: no endpoint takes one).
- A query string that is not UTF-8, or a character no typed text may hold (``clinical.validation``'s one-line rule:
  NUL, the other C0 and C1 controls, DEL, tab and new lines) in the path or in a query parameter's name or value:
  the same 400 page, before any view or database query sees it.
- A Host header outside ``TRUSTED_HOSTS`` (``config.trusted_hosts``: SCREENING_TRUSTED_HOSTS, SERVER_NAME and
  BASE_URL; any host when none is set, outside production), or one that is no host name: 400.

On the FHIR API (``/fhir``; ``staff.fhir_views.is_fhir_path``) each of these refusals is a FHIR ``OperationOutcome``
(``application/fhir+json``, ``invalid``, fixed words that never quote the request) instead of a page: a machine asked.
A body the app cannot read on a FHIR address that takes no such method, or none at all, gets what the same request
without a body gets: the 405 (with ``Allow``) or 404 ``OperationOutcome`` of ``fhir_views.routing_error``.

Every 411 and 413 is audited (``request.no_length``, ``request.too_large``: the address, the page and the size, never
the body) and logged with the size. ``register_input_edges`` runs before the extensions are registered, so its check
runs before every other ``before_request`` (the CSRF check would otherwise read an unreadable form as a missing token
and say the session timed out).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, make_response, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import (
    BadHost,
    BadRequest,
    HTTPException,
    LengthRequired,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    SecurityError,
)

from screening import config
from screening.audit import audit
from screening.body_limits import REFUSED, BodyLimits, Refusal
from screening.clinical.validation import has_control_characters
from screening.extensions import db
from screening.safety_net import SafetyNet, ensure_url_adapter, robust

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
ACTIONS = {411: "request.no_length", 413: "request.too_large"}
TEMPLATES = {411: "errors/unreadable.html", 413: "errors/413.html"}
#: What each refusal says on the FHIR API: fixed words, never the request.
FHIR_REFUSALS = {
    400: "This request could not be read: its framing, its Content-Type or a character in its address was refused.",
    411: "A request with a body must give its length (Content-Length) or be sent chunked.",
    413: "The request body is larger than this server accepts.",
}


class UnreadableRequest(BadRequest):
    """A request the app cannot read as sent; ``reason`` is a code for the log."""

    description = "We could not read what was sent."

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _body_problem() -> str | None:
    """Why the body cannot be read as a form, or None. An empty form body is no problem (nothing is read from it); a
    body of another type is one even when empty (Flask-WTF would parse an empty JSON body, and fail)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.mimetype == FORM:
        try:
            request.get_data(cache=True).decode("utf-8")  # the form parser reads the cached bytes again
        except UnicodeDecodeError:
            return "form_not_utf8"
        return None
    if request.mimetype == MULTIPART:
        if not request.mimetype_params.get("boundary"):
            return "multipart_without_boundary"
        if None in request.form or None in request.files:  # a part without a name (the CSRF check reads every key)
            return "multipart_part_without_a_name"
        return None
    return "unexpected_content_type" if request.mimetype or request.content_length else None


def _address_problem() -> str | None:
    """Why the request's address cannot be read (a code for the log), or None."""
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        return "query_not_utf8"
    if has_control_characters(request.path):
        return "control_character_in_path"
    if any(has_control_characters(key) or has_control_characters(value) for key, value in request.args.items(True)):
        return "control_character_in_query"
    return None


def problem_with_request() -> str | None:
    """Why this request cannot be read (a code for the log), or None."""
    return _address_problem() or _body_problem()


def _is_fhir() -> bool:
    from screening.staff import fhir_views  # imported late: the blueprint pulls in much of the app

    return fhir_views.is_fhir_path(request.path)


def fhir_refusal(status: int) -> Response | None:
    """The refusal ``status`` (400, 411 or 413) as an ``OperationOutcome`` when the request is for the FHIR API, else
    None (the caller answers with its page)."""
    from screening.staff import fhir_views  # imported late, as above

    if not fhir_views.is_fhir_path(request.path):
        return None
    return fhir_views.fhir_error(status, "invalid", FHIR_REFUSALS[status])


def _host_problem() -> HTTPException | None:
    error = request.routing_exception
    return error if isinstance(error, (BadHost, SecurityError)) else None


def refuse_bad_input() -> Response | None:
    """The first ``before_request``: abort with the body framing's refusal, a bad Host, or an unreadable request (on
    the FHIR API, an unreadable body where routing would refuse the request anyway gets routing's answer)."""
    refusal = request.environ.get(REFUSED)
    if isinstance(refusal, Refusal):
        if refusal.status == 411:
            raise LengthRequired()
        if refusal.status == 413:
            raise RequestEntityTooLarge()
        raise UnreadableRequest(refusal.reason)
    if (host_error := _host_problem()) is not None:
        ensure_url_adapter()
        log.warning(
            "request refused: Host header not trusted or not a host name (%d characters)",
            len(request.environ.get("HTTP_HOST", "")),
        )
        if (answer := fhir_refusal(400)) is not None:
            return answer
        raise host_error
    if (reason := problem_with_request()) is not None:
        routing = request.routing_exception
        if isinstance(routing, (MethodNotAllowed, NotFound)) and _is_fhir() and _address_problem() is None:
            raise routing  # only the body is refused, and it is never read: the 405 (with Allow) or 404 without one
        raise UnreadableRequest(reason)
    return None


def _record(code: int, size: int | None) -> None:
    """Audit a refused body: the address, the page and the size, never the body. A database that cannot take it is
    logged (without data) and does not change the answer."""
    try:
        db.session.rollback()  # nothing the refused request started may be committed with the event
        details: dict[str, Any] = {"endpoint": request.endpoint or "", **({"bytes": size} if size is not None else {})}
        audit(ACTIONS[code], remote_addr=request.remote_addr, **details)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("refused request (%s) on %s not audited: the database refused", code, request.endpoint)


def refused_body(error: HTTPException) -> Response:
    """411 and 413 (ours from ``body_limits``, or Werkzeug's from a form field over its limit): logged, audited and
    answered with our page."""
    code = error.code or 413
    refusal = request.environ.get(REFUSED)
    size = refusal.size if isinstance(refusal, Refusal) and refusal.size is not None else request.content_length
    if code == 413:
        log.warning(
            "request body too large on %s %s: %s bytes (limit %s)",
            request.method,
            request.path,
            size if size is not None else "unknown",
            request.max_content_length,
        )
    else:
        log.warning("request without a length refused on %s %s", request.method, request.path)
    _record(code, size if code == 413 else None)
    return fhir_refusal(code) or make_response(render_template(TEMPLATES[code], status=code), code)


def unreadable(error: UnreadableRequest) -> Response:
    log.warning("request refused as unreadable (%s) on %s %s", error.reason, request.method, ascii(request.path[:200]))
    return fhir_refusal(400) or make_response(render_template("errors/unreadable.html", status=400), 400)


def register_input_edges(app: Flask) -> None:
    """Host names, the WSGI middleware (``BodyLimits`` inside, ``SafetyNet`` outside it), the first ``before_request``
    and the pages for 411, 413 and unreadable requests. Call it before the extensions register their own checks."""
    screening = app.config["SCREENING"]
    app.config["TRUSTED_HOSTS"] = config.trusted_hosts(screening)
    if screening["SERVER_NAME"]:
        app.config["SERVER_NAME"] = screening["SERVER_NAME"]
    app.wsgi_app = SafetyNet(  # type: ignore[method-assign]
        BodyLimits(app.wsgi_app, lambda: app.config["MAX_CONTENT_LENGTH"]), app
    )
    app.before_request(refuse_bad_input)
    app.register_error_handler(411, robust(refused_body))
    app.register_error_handler(413, robust(refused_body))
    app.register_error_handler(UnreadableRequest, robust(unreadable))
