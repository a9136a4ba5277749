"""The documented deploy, followed as written: slow (about a minute) and marked ``deploy`` (``-m "not deploy"`` leaves
it out). pip downloads what it needs, as a real deploy does.

A copy of this checkout (the files git tracks or would track, and node_modules when present, so that npm need not
download it again) in a temporary folder stands for ``/srv/screening``. The shell blocks of docs/deploy.md between
``<!-- deploy-test:start -->`` and ``<!-- deploy-test:end -->`` run there, in order, in one bash with no virtual
environment active: the settings, a fresh virtual environment from requirements.lock, the assets and the migration.
The one change: the database is a temporary SQLite file. Then the ``ExecStart`` commands of the systemd units in
docs/deploy/ (``/srv/screening`` moved to the copy, gunicorn on a free port) start from another working directory
with only the settings and the units' own ``Environment=``, as systemd would start them, and gunicorn must serve the
start page and its stylesheet while the alert worker runs and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
UNITS = ROOT / "docs" / "deploy"
CHECKOUT = "/srv/screening"  # where the document and the units put the checkout
SERVICE_NAME = "Ketamine therapy pre-screening"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DATABASE_URL = re.compile(r"^(export SCREENING_DATABASE_URL=)\S+", re.M)

pytestmark = pytest.mark.deploy


def marked_blocks(text: str) -> list[str]:
    """The ```sh blocks between the deploy-test markers, in the order of the document."""
    regions = re.findall(r"<!-- deploy-test:start\b.*?-->(.*?)<!-- deploy-test:end -->", text, re.S)
    return [block for region in regions for block in re.findall(r"^```sh\n(.*?)^```", region, re.S | re.M)]


def copy_checkout(destination: Path) -> None:
    """The working tree as a fresh clone of it would be (nothing git ignores: no .venv, instance/ or static/dist)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)  # keeps times: build-assets.sh compares them
    if (ROOT / "node_modules").is_dir():
        shutil.copytree(ROOT / "node_modules", destination / "node_modules", symlinks=True)


def shell_environment() -> dict[str, str]:
    """This process's environment without the project's virtual environment, settings or coverage hooks."""
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "SCREENING_", "FLASK_", "COV_CORE_", "COVERAGE_", "PYTEST_")
    environ = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    venv = Path(sys.prefix).resolve()
    path = [entry for entry in environ.get("PATH", SYSTEMD_PATH).split(os.pathsep) if entry]
    environ["PATH"] = os.pathsep.join(entry for entry in path if not Path(entry).resolve().is_relative_to(venv))
    return environ


def unit(name: str, checkout: Path) -> tuple[list[str], dict[str, str]]:
    """A unit's ExecStart (with the checkout moved) and its Environment= settings."""
    content = (UNITS / name).read_text(encoding="utf-8")
    assert f"WorkingDirectory={CHECKOUT}\n" in content and "EnvironmentFile=/etc/screening/environment\n" in content
    (command,) = re.findall(r"^ExecStart=(.+)$", content, re.M)
    environ: dict[str, str] = {}
    for line in re.findall(r"^Environment=(.+)$", content, re.M):
        environ.update(word.split("=", 1) for word in shlex.split(line))
    return shlex.split(command.replace(CHECKOUT, str(checkout))), environ


def text(log: Path) -> str:
    return log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, host: str = "") -> tuple[int, str, bytes]:
    """GET ``url``, naming ``host`` in the Host header as the proxy does (production answers only its own names)."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def wait_for(check: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    """Poll ``check()`` until it is true; fail with the log if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{text(log)}")
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"{process.args[0]} not ready after {seconds} s:\n{text(log)}")


def test_the_documented_deploy_serves_the_start_page_from_another_directory(tmp_path: Path) -> None:
    assert shutil.which("git"), "the deploy test copies the checkout with git ls-files"
    blocks = marked_blocks(DOC.read_text(encoding="utf-8"))
    script = "\n".join(blocks)
    assert "requirements.lock" in script and "db upgrade" in script, "docs/deploy.md: marked blocks missing"
    database = tmp_path / "db" / "screening.sqlite3"
    script, replaced = DATABASE_URL.subn(rf"\g<1>sqlite:///{database}", script)
    assert replaced == 1, "docs/deploy.md: the marked blocks must export SCREENING_DATABASE_URL once"

    checkout = tmp_path / "srv" / "screening"
    checkout.mkdir(parents=True)
    copy_checkout(checkout)
    exported = tmp_path / "exported"
    (tmp_path / "deploy.sh").write_text(f"set -euo pipefail\n{script}\nenv -0 > {shlex.quote(str(exported))}\n")
    done = subprocess.run(
        ["bash", str(tmp_path / "deploy.sh")],
        cwd=checkout,
        env=shell_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the deploy commands failed:\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"

    settings = dict(item.split("=", 1) for item in exported.read_text().split("\0") if "=" in item)
    settings = {key: value for key, value in settings.items() if key.startswith("SCREENING_")}
    assert settings["SCREENING_ENV"] == "production" and settings["SCREENING_DATABASE_URL"].startswith("sqlite:")
    with sqlite3.connect(database) as connection:  # the migration ran
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    connection.close()
    assert (checkout / "static" / "dist" / "app.css").is_file()

    elsewhere = tmp_path / "elsewhere"
    home = tmp_path / "home"  # systemd gives the service user's home; nothing should be written there
    elsewhere.mkdir()
    home.mkdir()
    port = free_port()
    web, web_environ = unit("screening-web.service", checkout)
    web[web.index("--bind") + 1] = f"127.0.0.1:{port}"
    worker, worker_environ = unit("screening-worker.service", checkout)
    base = {"PATH": SYSTEMD_PATH, "HOME": str(home), "LANG": "C.UTF-8", **settings}
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    with web_log.open("wb") as web_out, worker_log.open("wb") as worker_out:
        web_process = subprocess.Popen(web, cwd=elsewhere, env={**base, **web_environ}, stdout=web_out, stderr=web_out)
        worker_process = subprocess.Popen(
            worker, cwd=elsewhere, env={**base, **worker_environ}, stdout=worker_out, stderr=worker_out
        )
        try:
            wait_for(lambda: "Alert worker started" in text(worker_log), worker_process, worker_log)
            wait_for(lambda: _answers(port), web_process, web_log)
            host = urlsplit(settings["SCREENING_BASE_URL"]).netloc
            status, _, body = get(f"http://127.0.0.1:{port}/", host)
            assert status == 200 and SERVICE_NAME in body.decode()
            status, content_type, css = get(f"http://127.0.0.1:{port}/static/dist/app.css", host)
            assert status == 200 and content_type.startswith("text/css") and css
            worker_process.send_signal(signal.SIGTERM)
            assert worker_process.wait(timeout=30) == 0, text(worker_log)
            assert "Alert worker stopped" in text(worker_log)
        finally:
            for process in (web_process, worker_process):
                if process.poll() is None:
                    process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    assert not any(home.iterdir()), f"the services wrote to their home folder: {sorted(home.rglob('*'))}"
    verify_units(checkout, tmp_path)


def verify_units(checkout: Path, tmp_path: Path) -> None:
    """systemd's own check of both units, with the checkout moved (when systemd-analyze is here)."""
    if not shutil.which("systemd-analyze"):
        return
    environment = tmp_path / "environment"
    environment.write_text("SCREENING_ENV=production\n")
    units = tmp_path / "units"
    units.mkdir()
    for source in sorted(UNITS.glob("*.service")):
        content = source.read_text(encoding="utf-8").replace(CHECKOUT, str(checkout))
        (units / source.name).write_text(content.replace("/etc/screening/environment", str(environment)))
    names = [str(path) for path in sorted(units.iterdir())]
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], capture_output=True, text=True)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, ""), checked.stdout + checked.stderr


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
