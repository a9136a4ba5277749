"""Security headers, request limits and error pages (400, 404, 413, 500 and CSRF failures; a 404 or 405 under
``/fhir`` is a FHIR ``OperationOutcome`` instead: ``staff.fhir_views.routing_error``).

Every response gets a strict Content-Security-Policy (no inline script or style), nosniff, a referrer
policy and frame protection; pages that show answers also get ``Cache-Control: no-store``. Error pages
never show a stack trace: a 5xx page carries a correlation id, the request's id (``logs``), that is also in the
log and in the ``X-Request-ID`` response header.
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from screening.logs import new_request_id, request_id

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
ERROR_TEMPLATES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    411: "errors/unreadable.html",  # no length (body_limits, input_edges)
    413: "errors/413.html",
    429: "errors/429.html",
    503: "errors/503.html",  # busy: try again in a minute (database faults: db_faults)
}


def no_store(response: Response) -> Response:
    """Mark a response that shows patient answers as never to be cached."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if g.get("no_store"):
        no_store(response)
    return response


def _http_error(error: HTTPException) -> tuple[str, int] | Response:
    code = error.code or 500
    if code in (404, 405):
        from screening.staff import fhir_views  # imported late: the blueprint pulls in much of the app

        if fhir_views.is_fhir_path(request.path):  # a machine asked: an OperationOutcome, not a page
            return fhir_views.routing_error(error)
    if code >= 500 and code not in ERROR_TEMPLATES:
        return _server_error(error)
    template = ERROR_TEMPLATES.get(code, "errors/400.html")
    return render_template(template, status=code, description=error.description), code


def _server_error(error: Exception) -> tuple[str, int]:
    correlation_id = request_id() or new_request_id()  # the request's id: on the page, in the header and the log
    # The path and method identify the request without patient data (answers travel in bodies only).
    log.error(
        "unhandled error %s on %s %s%s",
        correlation_id,
        request.method,
        request.path,
        "" if isinstance(error, HTTPException) else "\n" + describe_without_data(error),
    )
    return render_template("errors/500.html", correlation_id=correlation_id), 500


def describe_without_data(error: BaseException) -> str:
    """An exception chain for the log, oldest first: where each exception was raised, its type and, for a
    database error, its SQLSTATE; never its message, which can quote the data that caused it (SQLAlchemy
    lists a statement's parameters, PostgreSQL the failing row), and no patient data may reach a log."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and all(link is not seen for seen in chain):
        chain.append(link)
        link = link.__cause__ or link.__context__
    parts = []
    for link in reversed(chain):
        sqlstate = getattr(getattr(link, "orig", None), "sqlstate", None) or getattr(link, "sqlstate", None)
        where = "".join(traceback.format_tb(link.__traceback__))
        name = f"{type(link).__module__}.{type(link).__qualname__}"
        parts.append(f"{where}{name}" + (f" (SQLSTATE {sqlstate})" if isinstance(sqlstate, str) else ""))
    return "\n".join(parts)


def register_security(app: Flask) -> None:
    """Headers on every response and our own error pages."""
    from screening.safety_net import robust  # a failing error page falls back to a plain one, with its status

    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, robust(_http_error))
    app.register_error_handler(Exception, robust(_server_error))
