"""Security-bar §4 cases 1 and 2 through a real gunicorn and a raw socket: a chunked body over ``MAX_CONTENT_LENGTH``
is refused with our 413 page (gunicorn de-chunks and sets ``wsgi.input_terminated``; Werkzeug alone would cut the form
at the limit and save it), a POST with neither a length nor chunked framing gets 411, a chunked body within the limit
is read whole, and each refusal is audited. One gunicorn (sync worker, ``--no-control-socket``, a free port) on the
test's database."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent
from tests.app.alert_helpers import free_port
from tests.app.auth import INVALID, csrf_token
from tests.app.gunicorn_helpers import GUNICORN, server_environ


class Server:
    """gunicorn serving the app on ``database_url`` at 127.0.0.1:``port``."""

    def __init__(self, database_url: str, secret_key: str) -> None:
        self.port = free_port()
        environ = server_environ(database_url, secret_key)
        command = [str(GUNICORN), "--no-control-socket", "--workers", "1", "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [*command, "--graceful-timeout", "1", "screening:create_app()"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn exited"
            try:
                self.exchange(b"GET /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("gunicorn did not answer")

    def exchange(self, request: bytes) -> bytes:
        """Send ``request`` as it is and read the answer until the server closes the connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            try:
                sock.sendall(request)
            except (BrokenPipeError, ConnectionResetError):  # answered before the whole body was sent
                pass
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass
            return answer

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(app: Flask) -> Iterator[Server]:
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    running = Server(url, app.config["SECRET_KEY"])
    yield running
    running.stop()


def request(path: str, body: bytes, *, framing: str, cookie: str = "") -> bytes:
    """A raw HTTP/1.1 POST of a form ``body``: ``framing`` "chunked" (in pieces of 8 KiB), "length" or "none"."""
    headers = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Type: " + FORM]
    if cookie:
        headers.append(f"Cookie: {cookie}")
    if framing == "chunked":
        headers.append("Transfer-Encoding: chunked")
        pieces = [body[start : start + 8192] for start in range(0, len(body), 8192)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    elif framing == "length":
        headers.append(f"Content-Length: {len(body)}")
        payload = body
    else:
        payload = body
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload


FORM = "application/x-www-form-urlencoded"
STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")


def parse(answer: bytes) -> tuple[int, dict[str, str], str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    match = STATUS.match(head)
    assert match, answer[:200]
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(match.group(1)), headers, body.decode("utf-8", "replace")


def test_case_02_chunked_and_unframed_bodies_through_gunicorn_and_a_raw_socket(app: Flask, server: Server) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    status, headers, page = parse(
        server.exchange(b"GET /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    )
    assert status == 200
    cookie = headers["set-cookie"].split(";", 1)[0]
    form = {"padding": "p" * 100_000, "csrf_token": csrf_token(page), "email": "x@example.org", "password": "wrong"}

    # within the limit, chunked: read whole (the fields after 100 KB of padding arrive: a failed sign-in)
    status, headers, page = parse(server.exchange(request("/staff/login", urlencode(form).encode(), **chunked(cookie))))
    assert status == 200 and INVALID in page

    # over the limit, chunked: our 413 page, never the form cut at the limit
    over = urlencode({**form, "padding": "p" * limit}).encode()
    status, headers, page = parse(server.exchange(request("/staff/login", over, **chunked(cookie))))
    assert status == 413 and "The file or form was too large" in page
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"

    # neither a length nor chunked: 411
    status, headers, page = parse(server.exchange(request("/", b"consent_store=y", framing="none")))
    assert status == 411 and "We could not read what was sent" in page
    assert "content-security-policy" in headers

    with app.app_context():
        actions = [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["staff.login_failed", "request.too_large", "request.no_length"]


def chunked(cookie: str) -> dict[str, str]:
    return {"framing": "chunked", "cookie": cookie}
