"""Database faults: a database that cannot answer now (connection refused or lost, a lock held past the busy
timeout, a read-only file, a full disk) gives a 503 page with ``Retry-After``, never a 500.

This module owns which errors count as "unavailable" (``UNAVAILABLE``), what happens to the request's session (rolled
back: nothing half-written stays pending), the log line (the correlation id, the method and path, and the error's
chain without any message: ``security.describe_without_data``, so no patient data) and the plain 503 page every
page outside the patient's questionnaire gets ("The service is busy, try again in a minute"). The patient's pages
answer with their own 503 pages, which re-show what was typed (``patient.fault_views``). It also applies
``SCREENING_SQLITE_BUSY_TIMEOUT_MS``, how long an SQLite write waits for another writer's lock.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from typing import Any

import psycopg
from flask import Flask, Response, make_response, render_template, request
from sqlalchemy import event
from sqlalchemy import exc as sa

from screening.extensions import db
from screening.logs import new_request_id, request_id
from screening.security import describe_without_data

log = logging.getLogger(__name__)

#: Errors that mean the database cannot answer now, though it may in a minute. Not IntegrityError or DataError: those
#: are about the data sent and would fail the same way again.
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa.OperationalError,  # refused or lost connection, locked, read-only, disk full, serialization failure
    sa.InterfaceError,  # a connection closed under us
    sa.TimeoutError,  # no pooled connection free in time
    psycopg.OperationalError,  # the driver's own, when it escapes unwrapped
    sqlite3.OperationalError,
)
RETRY_AFTER_SECONDS = 60


def unavailable(error: BaseException) -> str:
    """Roll the request's session back (nothing half-written stays pending, and the session can be used again to
    show the page), log the fault without data, and return the correlation id for the page."""
    with contextlib.suppress(Exception):  # a lost connection may fail to roll back: it is discarded either way
        db.session.rollback()
    correlation_id = request_id() or new_request_id()
    log.error(
        "database unavailable %s on %s %s\n%s",
        correlation_id,
        request.method,
        request.path,
        describe_without_data(error),
    )
    return correlation_id


def service_unavailable(body: str) -> Response:
    """A 503 response that tells browsers and clients when to try again."""
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _plain_page(error: BaseException) -> Response:
    correlation_id = unavailable(error)
    return service_unavailable(render_template("errors/503.html", correlation_id=correlation_id))


def _busy_timeout(milliseconds: int) -> Any:
    def apply(dbapi_connection: Any, connection_record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(milliseconds)}")
            cursor.close()

    return apply


def register_db_faults(app: Flask) -> None:
    """The plain 503 page for database faults on any page (a blueprint may answer its own first), and the SQLite
    busy timeout on the app's engine (after the process-wide pragmas of ``app``, which it overrides)."""
    for error in UNAVAILABLE:
        app.register_error_handler(error, _plain_page)
    with app.app_context():
        event.listen(db.engine, "connect", _busy_timeout(app.config["SCREENING"]["SQLITE_BUSY_TIMEOUT_MS"]))
