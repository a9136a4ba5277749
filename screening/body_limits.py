"""HTTP message framing (``BodyLimits``, WSGI middleware in front of the app): which request bodies reach it.

- ``Content-Length`` over ``MAX_CONTENT_LENGTH``: refused with 413 before a byte is read.
- A chunked body (``Transfer-Encoding: chunked``, which the server has de-chunked and marked
  ``wsgi.input_terminated``): read up to ``MAX_CONTENT_LENGTH`` + 1 bytes. Over the limit: 413, never a truncated
  form (Werkzeug alone would silently cut it at the limit). Within: buffered, with its ``Content-Length`` set, so the
  app reads it as any other body.
- A POST, PUT or PATCH whose server hands over a stream of unknown length (``wsgi.input_terminated``: gunicorn always
  sets it) but which is neither chunked nor says its length: 411.
- Both a length and a transfer coding, a transfer coding other than ``chunked``, or a length that is not a number:
  400 (ambiguous framing is how requests are smuggled past a proxy).

The middleware never answers itself: it empties the body and marks the environ (``REFUSED``: a ``Refusal``), and the
app's first ``before_request`` (``input_edges``) aborts with that status, so the answer is the app's own error page,
with its headers, logged and audited. Pure WSGI: no Flask.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REFUSED = "screening.refused_body"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a body was refused: ``status`` 400, 411 or 413; ``reason`` a code for the log; ``size`` the bytes declared
    or read (at least that many) when known."""

    status: int
    reason: str
    size: int | None = None


def _read_chunked(environ: WSGIEnvironment, limit: int | None) -> Refusal | None:
    """Read a de-chunked body into memory, at most ``limit`` + 1 bytes; over ``limit``: a 413 refusal."""
    stream = environ["wsgi.input"]
    body = bytearray()
    try:
        while limit is None or len(body) <= limit:
            chunk = stream.read(_CHUNK if limit is None else min(_CHUNK, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
    except Exception:  # noqa: BLE001 - a broken chunk or a client gone: the server's own error types vary
        return Refusal(400, "broken_chunked_body", len(body))
    if limit is not None and len(body) > limit:
        return Refusal(413, "too_large", len(body))
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores Content-Length beside a transfer coding
    environ.pop("wsgi.input_terminated", None)
    return None


def check(environ: WSGIEnvironment, limit: int | None) -> Refusal | None:
    """Whether the body of this request may reach the app (None) or why not; buffers a chunked body it accepts."""
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    transfer = str(environ.get("HTTP_TRANSFER_ENCODING", "")).strip().lower()
    length = str(environ.get("CONTENT_LENGTH", "")).strip()
    terminated = bool(environ.get("wsgi.input_terminated"))
    if transfer and (length or transfer != "chunked"):
        return Refusal(400, "ambiguous_framing")
    if length:
        if not length.isdigit():
            return Refusal(400, "ambiguous_framing")
        size = int(length)
        return Refusal(413, "too_large", size) if limit is not None and size > limit else None
    if transfer == "chunked":
        if terminated:
            return _read_chunked(environ, limit)
        return Refusal(411, "no_length") if method in BODY_METHODS else None
    if method in BODY_METHODS and terminated:
        return Refusal(411, "no_length")
    return None


class BodyLimits:
    """WSGI middleware applying ``check`` with the limit ``max_length()`` gives (the app's ``MAX_CONTENT_LENGTH``)."""

    def __init__(self, wsgi_app: WSGIApplication, max_length: Callable[[], int | None]) -> None:
        self.wsgi_app = wsgi_app
        self.max_length = max_length

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        refusal = check(environ, self.max_length())
        if refusal is not None:
            environ[REFUSED] = refusal
            environ["wsgi.input"] = io.BytesIO()
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)
