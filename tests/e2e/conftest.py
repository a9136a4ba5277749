"""Browser fixtures: the real app (``create_app``) on a temporary SQLite database, served by werkzeug on 127.0.0.1 at
a free port in a background thread; Debian's Chromium driven by Playwright (never a downloaded browser); and pages
1280 px wide, 320 px wide, and with JavaScript off.

Without /usr/bin/chromium the tests are skipped with the reason, unless CI is set: then they fail
(``bash scripts/ensure-browser.sh`` installs it). A server error during a test fails that test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from screening import create_app
from screening.extensions import db
from tests.e2e import a11y, staff

CHROMIUM = Path(os.environ.get("SCREENING_CHROMIUM", "/usr/bin/chromium"))
# Debian's Chromium on a machine with no outside network: no GPU, no QUIC, none of Google's background calls.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}
ROOT = Path(__file__).resolve().parents[2]


# When Chromium drops a request for a static file part-way (a favicon or stylesheet it no longer needs), werkzeug's
# development server can leave that file to the garbage collector, which warns at some later moment, inside whichever
# test is running then (pallets/werkzeug#513; flask-admin ignores it too). Only unclosed files under static/ are
# let through, in the browser tests only; any other unclosed resource still fails.
_STATIC_FILE_LEFT_OPEN = (
    r"ignore:unclosed file <_io\.BufferedReader name='[^']*/static/[^']*'>:ResourceWarning",
    r"ignore:Exception ignored in. <_io\.FileIO name='[^']*/static/[^']*':pytest.PytestUnraisableExceptionWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            for rule in _STATIC_FILE_LEFT_OPEN:
                item.add_marker(pytest.mark.filterwarnings(rule))


@dataclass
class LiveServer:
    url: str
    app: Flask
    errors: list[str] = field(default_factory=list)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request and asset would bury the test output


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(
            f"{reason}; CI is set, so the browser tests may not be skipped "
            "(run: bash scripts/ensure-browser.sh && bash scripts/build-assets.sh)",
            pytrace=False,
        )
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, _sqlite_folder: Path | None) -> Iterator[LiveServer]:
    """The app on a fresh SQLite file (in RAM when /dev/shm has room: see tests/conftest.py), served on 127.0.0.1 at a
    free port for the whole session."""
    for needed, how in (
        (ROOT / "static" / "dist" / "app.css", "bash scripts/build-assets.sh (make assets)"),
        (a11y.AXE, "npm ci (make assets)"),
        (a11y.VNU, "npm ci (make assets)"),
    ):
        if not needed.exists():
            pytest.fail(f"{needed.relative_to(ROOT)} is missing: run {how}", pytrace=False)
    database = (_sqlite_folder or tmp_path_factory.mktemp("e2e-database")) / "screening.sqlite3"
    # Static files cached for an hour, as a production web server would: each page then costs one request, not six.
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "e2e-secret-key",
            "CLINIC_PHONE": "01632 960 000",
            "CLINIC_EMAIL": "clinic@example.org",
            "RATELIMIT_ENABLED": False,  # the tour signs in and posts pages far faster than people
            "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        }
    )
    with app.app_context():
        db.create_all()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    staff.use_app(app)  # the tour's staff pages make accounts and submissions in this app's database

    def record(sender: Flask, exception: BaseException, **extra: object) -> None:
        live.errors.append(f"{type(exception).__name__}: {exception}")

    got_request_exception.connect(record, app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _no_server_errors(live_server: LiveServer) -> Iterator[None]:
    live_server.errors.clear()
    yield
    assert not live_server.errors, "the server failed during the test:\n" + "\n".join(live_server.errors)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Debian's Chromium, headless; its home folder is a temporary one, so nothing lands in the real home."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed: bash scripts/ensure-browser.sh (apt-get install -y chromium)")
    home = tmp_path_factory.mktemp("chromium-home")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), env=env)
    yield browser
    browser.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(chromium: Browser, live_server: LiveServer) -> Iterator[NewPage]:
    """A factory: ``new_page(viewport=DESKTOP, javascript=True)`` -> a page in a fresh context (its own cookies),
    with the live server as base URL, so ``page.goto("/")`` works."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP, *, javascript: bool = True) -> Page:
        context = chromium.new_context(
            viewport=viewport,
            java_script_enabled=javascript,
            base_url=live_server.url,
            locale="en-GB",
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        a11y.watch_documents(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def desktop_page(new_page: NewPage) -> Page:
    """A 1280 x 900 page with JavaScript on."""
    return new_page(DESKTOP)


@pytest.fixture
def narrow_page(new_page: NewPage) -> Page:
    """A 320 x 640 page (a small phone): ``a11y.check_page`` fails it if the page scrolls sideways."""
    return new_page(NARROW)


@pytest.fixture
def nojs_page(new_page: NewPage) -> Page:
    """A 1280 x 900 page with JavaScript off: every page must work without it."""
    return new_page(DESKTOP, javascript=False)
