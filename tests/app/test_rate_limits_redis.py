"""Rate limits kept in Redis (``SCREENING_RATELIMIT_STORAGE_URL=redis://...``), as in production: every app process
shares one count per client address, so requests spread over several processes meet the limit at their combined
number. Against the Redis server at 127.0.0.1:6379 (database 1), each test under its own key prefix so parallel runs
do not collide. Without Redis the tests are skipped, except in CI (``CI=true``), where they must run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from screening import create_app
from screening.extensions import db
from screening.limits import GROUPS, RATE_LIMITED
from screening.models import AuditEvent
from tests.app.alert_helpers import free_port
from tests.app.redis_helpers import redis_or_skip

REDIS_URL = "redis://127.0.0.1:6379/1"
ROOT = Path(__file__).resolve().parents[2]
SIGN_IN_LIMIT = int(GROUPS["staff-sign-in"].limits.split("/minute")[0])


def _redis_or_skip() -> redis.Redis:
    return redis_or_skip(REDIS_URL, "the Redis rate-limit tests")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    server = _redis_or_skip()
    name = f"screening-test-{uuid.uuid4().hex}"
    yield name
    keys = list(server.scan_iter(match=f"*{name}*"))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.fixture
def app_config(prefix: str) -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}


def test_two_apps_on_one_redis_share_one_count(app: Flask, prefix: str) -> None:
    second = create_app(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URL": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": prefix,
        }
    )
    clients = [app.test_client(), second.test_client()]
    statuses = [clients[n % 2].post("/staff/login").status_code for n in range(SIGN_IN_LIMIT + 1)]
    assert statuses == [400] * SIGN_IN_LIMIT + [429]
    with app.app_context():
        refused = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == RATE_LIMITED)
        assert db.session.scalar(refused) == 1
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


# --- two gunicorn processes ------------------------------------------------------------------------------------------
def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn on {port} exited:\n{log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"gunicorn did not listen on {port}:\n{log.read_text(errors='replace')[-2000:]}")


def call(port: int, path: str, *, method: str = "POST", timeout: float = 10) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


@pytest.fixture
def two_servers(tmp_path: Path, prefix: str) -> Iterator[list[int]]:
    """Two gunicorn servers (one worker each: two processes) of one app and one database, limits in Redis."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    schema = create_app({"DATABASE_URL": database, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False})
    with schema.app_context():
        db.create_all()
        db.engine.dispose()
    env = {
        **os.environ,
        "SCREENING_DATABASE_URL": database,
        "SCREENING_SECRET_KEY": "shared-secret-key",
        "SCREENING_RATELIMIT_STORAGE_URL": REDIS_URL,
    }
    factory = f"screening:create_app({{'RATELIMIT_KEY_PREFIX': {prefix!r}}})"
    servers: list[tuple[int, subprocess.Popen[bytes]]] = []
    try:
        for n in range(2):
            port, log = free_port(), tmp_path / f"gunicorn{n}.log"
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "--no-control-socket",
                "--graceful-timeout",
                "2",
                "-b",
                f"127.0.0.1:{port}",
            ]
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [*command, factory], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
                )
            servers.append((port, process))
        for n, (port, process) in enumerate(servers):
            wait_until_listening(port, process, tmp_path / f"gunicorn{n}.log")
        for port, _ in servers:  # its worker has loaded the app (a page, which no limit counts)
            assert call(port, "/staff/login", method="GET", timeout=60) == 200
        yield [port for port, _ in servers]
    finally:
        for _, process in servers:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing is in flight by now
        for _, process in servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_app_processes_meet_the_limit_at_their_combined_count(two_servers: list[int]) -> None:
    statuses = [call(two_servers[n % 2], "/staff/login") for n in range(SIGN_IN_LIMIT + 2)]
    assert statuses == [400] * SIGN_IN_LIMIT + [429, 429]  # each server saw only half of them
