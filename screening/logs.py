"""Logging: one JSON line per event on standard error, each carrying the id of the request it happened in.

A request's id is generated (12 hex digits, short enough to read out on the phone), or, behind
``SCREENING_PROXY_HOPS`` trusted proxies, taken from the ``X-Request-ID`` header they set when it is well formed
(``REQUEST_ID``); with no trusted proxy that header is ignored, so a client cannot choose what the log says. The id is
on every log record made during the request (``record.request_id``; None outside one), in the ``X-Request-ID``
response header, and on the 5xx error page as its correlation id (``security``).

A line holds the time (UTC), level, logger, request id and message, never a request's form values or answers: the
messages are the application's own, and an exception is described by ``security.describe_without_data`` (where it
was raised and its type, never its message).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request

HEADER = "X-Request-ID"
#: What a trusted proxy's request id may look like (a UUID, 32 hex digits, ...); anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
HANDLER_NAME = "screening"
#: Libraries whose INFO records are progress chatter rather than events.
QUIET = ("weasyprint.progress", "fontTools")


def new_request_id() -> str:
    return secrets.token_hex(6)


def request_id() -> str | None:
    """The current request's id (made on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        trusted = current_app.config["SCREENING"]["PROXY_HOPS"] > 0
        given = request.headers.get(HEADER, "") if trusted else ""
        g.request_id = given if REQUEST_ID.fullmatch(given) else new_request_id()
    return g.request_id  # type: ignore[no-any-return]


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: ``time``, ``level``, ``logger``, ``request_id``, ``message`` and, for a record
    with an exception, ``error`` (its chain without any exception message)."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            from screening.security import describe_without_data

            event["error"] = describe_without_data(record.exc_info[1])
        return json.dumps(event, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted (a test runner or a server may replace it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:
        return sys.stderr


def _install_record_factory() -> None:
    """Give every log record a ``request_id`` attribute (once per process, however many apps are made)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id()
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _add_header(response: Response) -> Response:
    if (current := request_id()) is not None:
        response.headers[HEADER] = current
    return response


def register_logging(app: Flask) -> None:
    """JSON lines on standard error for every logger (replacing the handler an earlier app of this process added),
    at INFO unless already more verbose, and a request id on each request, its records and its response."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if handler.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    _install_record_factory()
    app.after_request(_add_header)
