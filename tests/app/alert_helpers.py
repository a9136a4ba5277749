"""Helpers for the urgent-alert tests: a real SMTP server (aiosmtpd) and a real webhook receiver (http.server) on
127.0.0.1, settings for each route, the outbox as plain rows, and an urgent answer set full of canary values that
must never appear in an alert."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import Notification, Submission

ONCALL = "oncall@clinic.example"
ESCALATION = "lead.clinician@clinic.example"
SECRET = "s" * 40
CANARY = {
    "full_name": "Canary Patientname",
    "email": "canary.patient@example.org",
    "date_of_birth": "1979-06-23",
    "phone": "01632 960 123",
}
URGENT = {
    **CANARY,
    "phq9_9": 1,
    "self_harm_intent": "yes",
    "self_harm_recent_attempt": "no",
    "pain_description": "Canary pain words",
}
CANARY_TEXTS = (*CANARY.values(), "Canary", "1979", "Canary pain words", "self_harm", "phq9")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it receives (after ``delay`` seconds, to make races likely)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.envelopes: list[Any] = []
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            time.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def messages(self) -> list[Message]:
        return [message_from_bytes(envelope.content) for envelope in self.envelopes]

    def bodies(self) -> list[str]:
        return [message.get_payload(decode=True).decode() for message in self.messages]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class Hook:
    """A webhook receiver: keeps each request's headers and body; answers ``status`` (set it to 500 to refuse). With
    ``hang`` set, it holds each request that many seconds, then drops it unanswered (a hung receiver): counted in
    ``hung``, not kept in ``requests``."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.hang = 0.0
        self.hung = 0

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.requests]


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    receiver = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if hang := receiver.hang:
                receiver.hung += 1
                time.sleep(hang)
                self.close_connection = True
                return
            receiver.requests.append((dict(self.headers.items()), body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hooks/screening"
    server.shutdown()
    server.server_close()


def configure(app: Flask, port: int | None = None, **extra: Any) -> None:
    """Route urgent alerts by email to the SMTP server on ``port`` (and whatever ``extra`` adds)."""
    mail = (
        {}
        if port is None
        else {
            "ONCALL_EMAIL": ONCALL,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "MAIL_FROM": "screening@clinic.example",
        }
    )
    app.config["SCREENING"].update(BASE_URL="https://screening.clinic.example/", **mail, **extra)


def webhook(app: Flask, url: str, **extra: Any) -> None:
    configure(app, ALERT_WEBHOOK_URL=url, ALERT_WEBHOOK_SECRET=SECRET, **extra)


def outbox(app: Flask) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def references(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Submission.reference).order_by(Submission.id)))
