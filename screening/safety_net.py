"""The last line of the error path: every response carries the security headers, and a failure of the error path
itself still gets a plain page of our own (never a bare 500 without headers).

- ``SafetyNet`` (WSGI middleware, outside the Flask app): adds any missing security header (``security.CSP``,
  nosniff, referrer policy, frame protection, permissions policy; HSTS over https) to every response, and answers an
  exception that escapes the app (one raised before the app's error handlers can run) with ``fallback_page``.
- ``robust``: wraps an error handler so that, if rendering its page fails (a broken template, a request whose Host
  header could not be bound to a URL adapter), the answer is ``fallback_page`` with the error's own status.
- ``ensure_url_adapter``: a request refused for its Host header has no URL adapter; one bound to a safe host name lets
  the normal error page build its links.

Log lines hold the correlation id, the status and the error's chain without its message (``describe_without_data``).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, has_request_context, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from screening.logs import new_request_id, request_id
from screening.security import CSP, describe_without_data

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
#: Status -> (heading, what to do) of the plain page; any other status reads as a server error.
FALLBACK_WORDS: dict[int, tuple[str, str]] = {
    400: ("We could not read what was sent", "Go back and try again."),
    404: ("Page not found", "Check the web address, or go to the start page."),
    411: ("We could not read what was sent", "Go back and try again."),
    413: ("The file or form was too large", "Go back, shorten what you typed and try again."),
}
SERVER_ERROR = ("Sorry, there is a problem with the service", "Try again later.")


def fallback_page(status: int, correlation_id: str | None = None) -> str:
    """A plain, complete HTML page (no template, no link building, no style: nothing that can fail)."""
    heading, advice = FALLBACK_WORDS.get(status, SERVER_ERROR)
    quote = (
        f"<p>If you contact us about this, quote this reference: <strong>{escape(correlation_id)}</strong></p>"
        if correlation_id
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{heading}</title>\n</head>\n<body>\n<main>\n<h1>{heading}</h1>\n<p>{advice}</p>\n{quote}"
        '<p><a href="/">Go to the start page</a></p>\n</main>\n</body>\n</html>\n'
    )


def with_security_headers(headers: list[tuple[str, str]], *, secure: bool) -> list[tuple[str, str]]:
    """``headers`` plus each security header they lack (a header already set, in any case, is left as it is)."""
    present = {name.lower() for name, _ in headers}
    wanted = (*SECURITY_HEADERS, HSTS) if secure else SECURITY_HEADERS
    return [*headers, *((name, value) for name, value in wanted if name.lower() not in present)]


def _status_of(error: BaseException) -> int:
    code = error.code if isinstance(error, HTTPException) else None
    return code if code is not None and 400 <= code < 600 else 500


def ensure_url_adapter() -> None:
    """Give a request that has no URL adapter (its Host header was refused or malformed) one bound to the configured
    server name, or ``localhost``, so pages can build their (relative) links."""
    if has_request_context() and request_ctx.url_adapter is None:
        request_ctx.url_adapter = current_app.url_map.bind(
            current_app.config.get("SERVER_NAME") or "localhost",
            script_name=request.script_root or "/",
            url_scheme=request.scheme,
        )


def robust(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An error handler that answers with ``fallback_page`` (and the error's status) if it fails itself."""

    @functools.wraps(handler)
    def answer(error: Any) -> Any:
        try:
            ensure_url_adapter()
            return handler(error)
        except Exception as failure:  # noqa: BLE001 - the last resort: whatever failed, the visitor gets a page
            status = _status_of(error)
            correlation_id = request_id() or new_request_id()
            log.error(
                "the error page for %s failed %s on %s %s\n%s",
                status,
                correlation_id,
                request.method,
                request.path,
                describe_without_data(failure),
            )
            response = Response(fallback_page(status, correlation_id), status, mimetype="text/html")
            response.headers["Cache-Control"] = "no-store"
            return response

    return answer


def _propagates(app: Flask) -> bool:
    """Flask's own rule: exceptions reach the caller in testing and debug mode unless PROPAGATE_EXCEPTIONS says no."""
    setting = app.config.get("PROPAGATE_EXCEPTIONS")
    return bool(app.testing or app.debug) if setting is None else bool(setting)


class SafetyNet:
    """WSGI middleware: security headers on every response; a plain 500 page for an exception that escapes ``app``."""

    def __init__(self, wsgi_app: WSGIApplication, flask_app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        secure = environ.get("wsgi.url_scheme") == "https"
        started = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.append(status)
            return start_response(status, with_security_headers(headers, secure=secure), exc_info)

        try:
            return self.wsgi_app(environ, start)
        except Exception as error:  # noqa: BLE001 - nothing may leave without a page and its headers
            if _propagates(self.flask_app):
                raise
            correlation_id = new_request_id()
            log.error("unhandled error outside the app %s\n%s", correlation_id, describe_without_data(error))
            body = fallback_page(500, correlation_id).encode()
            headers = [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Request-ID", correlation_id),
            ]
            start("500 Internal Server Error", headers, sys.exc_info() if started else None)  # started: re-raises
            return [body]
