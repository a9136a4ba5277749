"""Logging (``screening.logs``): one JSON line per event, a request id on every record made during a request and in
the ``X-Request-ID`` response header, taken from a trusted proxy only when there is one (and only when well formed),
and an exception described without its message (which can quote patient data)."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest
from flask import Flask

from screening import logs
from tests.app.test_pages_structure import add_failing_route
from tests.app.test_proxy import proxied_app

GENERATED = re.compile(r"[0-9a-f]{12}")


def test_logs_every_response_has_a_fresh_request_id(app: Flask) -> None:
    client = app.test_client()
    ids = []
    for url in ("/", "/", "/no-such-page", "/static/src/app.js"):
        response = client.get(url)
        response.close()  # a static file is streamed from disk
        ids.append(response.headers.get("X-Request-ID", ""))
    assert all(GENERATED.fullmatch(request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)


def test_logs_without_a_trusted_proxy_a_clients_request_id_is_ignored(tmp_path: Path) -> None:
    client = proxied_app(tmp_path, 0).test_client()
    given = client.get("/", headers={"X-Request-ID": "chosen-by-the-client-1234"}).headers["X-Request-ID"]
    assert given != "chosen-by-the-client-1234" and GENERATED.fullmatch(given)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("5f0c6a5e-2b1d-4f7e-9a53-0c1d2e3f4a5b", True),  # a UUID
        ("0123456789abcdef0123456789abcdef", True),  # nginx's $request_id
        ("short", False),
        ("x" * 65, False),
        ("two words here", False),
        ("id-with-<script>", False),
        ("-leading-dash-123", False),
    ],
)
def test_logs_behind_a_trusted_proxy_its_well_formed_request_id_is_kept(tmp_path: Path, sent: str, kept: bool) -> None:
    client = proxied_app(tmp_path, 1).test_client()
    returned = client.get("/", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    if kept:
        assert returned == sent
    else:
        assert returned != sent and GENERATED.fullmatch(returned)


def test_logs_outside_a_request_records_have_no_request_id(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("screening.test").info("a background event")
    assert [record.request_id for record in caplog.records] == [None]  # type: ignore[attr-defined]


def test_logs_a_line_is_one_json_object_and_an_exception_loses_its_message() -> None:
    name = "Theodora " + "Canarywood"  # (the traceback quotes source lines, not values)
    try:
        try:
            raise KeyError(name)
        except KeyError as inner:
            raise ValueError(f"invalid literal: {name!r}\nsecond line") from inner
    except ValueError:
        record = logging.LogRecord("screening.x", logging.ERROR, __file__, 1, "failed on %s", ("GET /boom",), None)
        record.exc_info = sys.exc_info()
    record.request_id = "abc123def456"
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert event["level"] == "error" and event["logger"] == "screening.x" and event["message"] == "failed on GET /boom"
    assert event["request_id"] == "abc123def456" and event["time"].endswith("+00:00")
    assert "KeyError" in event["error"] and "ValueError" in event["error"]
    assert "Canarywood" not in line


def test_logs_the_handler_is_installed_once_however_many_apps_are_made(app: Flask, tmp_path: Path) -> None:
    proxied_app(tmp_path, 0)
    handlers = [handler for handler in logging.getLogger().handlers if handler.get_name() == logs.HANDLER_NAME]
    assert len(handlers) == 1 and isinstance(handlers[0].formatter, logs.JsonFormatter)


def test_logs_server_error_correlation_id_is_the_request_id(
    app: Flask, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = add_failing_route(app, ValueError("Theodora Canarywood"))
    caplog.set_level(logging.INFO)
    response = app.test_client().get(failing)
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 500 and f">{request_id}</strong>" in response.get_data(as_text=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1 and errors[0]["request_id"] == request_id and request_id in errors[0]["message"]
    assert "ValueError" in errors[0]["message"] and "Canarywood" not in json.dumps(lines)
