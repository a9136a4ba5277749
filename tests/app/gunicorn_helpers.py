"""Real gunicorn servers for the app tests: the environment a test server runs with (``server_environ``), a gunicorn
on a free port of 127.0.0.1 that is stopped for sure (``Gunicorn``), and a small HTTP client with its own cookies
(``Visitor``) that can talk to several servers with one session, as a browser behind a load balancer does."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from tests.app.alert_helpers import free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")
FLASK = Path(sys.executable).with_name("flask")
ROOT = Path(__file__).resolve().parents[2]


def server_environ(database_url: str, secret_key: str, **settings: str) -> dict[str, str]:
    """The environment of an app process of the tests: development, ``database_url``, ``secret_key``, the clinic's
    contact details, urgent alerts off unless ``settings`` say otherwise (``URGENT_ALERTS="true"``), and each of
    ``settings`` as ``SCREENING_<NAME>``. Nothing else of the test run's own environment leaks in."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 (only when the run has no HOME)
        "SCREENING_ENV": "development",
        "SCREENING_DATABASE_URL": database_url,
        "SCREENING_SECRET_KEY": secret_key,
        "SCREENING_CLINIC_PHONE": "01632 960 000",
        "SCREENING_CLINIC_EMAIL": "clinic@example.org",
        "SCREENING_URGENT_ALERTS": "false",
    }
    environ.update({f"SCREENING_{name}": value for name, value in settings.items()})
    return environ


class Gunicorn:
    """gunicorn (sync workers, ``--no-control-socket``) serving ``factory`` on 127.0.0.1 at a free port, its output
    in ``log``; with ``preload`` the master makes the app once and its workers are forked from it (the app opens no
    database connection while it is made). ``wait`` returns once a worker answers; ``stop`` ends it (killed past 5 s).
    """

    def __init__(
        self,
        environ: dict[str, str],
        log: Path,
        *,
        workers: int = 1,
        preload: bool = False,
        factory: str = "screening:create_app()",
    ) -> None:
        self.port = free_port()
        self.log = log
        command = [str(GUNICORN), "--no-control-socket", "--workers", str(workers), "--graceful-timeout", "1"]
        command += ["--preload"] if preload else []
        with log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
                [*command, "--bind", f"127.0.0.1:{self.port}", factory],
                cwd=ROOT,
                env=environ,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def wait(self, seconds: float = 90) -> None:
        """Until a GET of the sign-in page (no limit counts it) answers 200."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn on {self.port} exited:\n{self.output()}"
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("GET", "/staff/login")
                status = connection.getresponse().status
            except OSError:
                time.sleep(0.05)
                continue
            finally:
                connection.close()
            assert status == 200, f"gunicorn on {self.port} answered {status}:\n{self.output()}"
            return
        raise AssertionError(f"gunicorn on {self.port} did not answer:\n{self.output()}")

    def interrupt(self) -> None:
        """Start gunicorn's quick shutdown (SIGINT) without waiting for it: to stop several servers at once."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def stop(self) -> None:
        """gunicorn's quick shutdown (SIGINT); killed if it has not ended after 5 s."""
        self.interrupt()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Visitor:
    """One browser: its cookies (sent to whichever server it asks: they all share one secret key), its client
    address as a trusted proxy would give it (``X-Forwarded-For``, used when the servers trust one proxy hop)."""

    address: str = "192.0.2.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, port: int, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"X-Forwarded-For": self.address, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                response.read().decode("utf-8", "replace"),
            )
            for line in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(line).items():
                    if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return answer
        finally:
            connection.close()

    def get(self, port: int, path: str) -> Answer:
        return self.request(port, "GET", path)

    def post(self, port: int, path: str, form: dict[str, str]) -> Answer:
        return self.request(port, "POST", path, form)
