"""The HTTP benchmark behind ``make bench``: the app under gunicorn (2 workers, ``--no-control-socket``) on a temporary
SQLite database, and again on PostgreSQL when ``SCREENING_BENCH_DATABASE_URL`` is set (that database is emptied),
driven by wrk (``bench/lua/requests.lua``), each figure next to a reference measured in the same run
(``reference_app.py``, served the same way). Prints one table; writes ``bench/results/latest.json``.

Every scenario runs ``BENCH_SECONDS`` (default 4) after a 1-second warm-up, 4 connections, one wrk thread; each is
checked once first (status code) so an error page is never timed. Rate limits are off in the app under test (all the
load comes from one address). The staff pages are measured with 1,000 and then 100,000 submissions
(``screening.bulk_seed``), the same 200 submission pages at both, each scenario warmed up on every one of its requests
first (``http_runner.WARM_PASSES``); the exports of 100,000 run as child processes (time and peak RSS from ``wait4``).

    .venv/bin/python bench/bench_http.py            # what make bench runs
    BENCH_SECONDS=10 .venv/bin/python bench/bench_http.py
    BENCH_ONLY=staff .venv/bin/python bench/bench_http.py   # the staff pages only (writes latest-staff.json)
    BENCH_ONLY=pdf .venv/bin/python bench/bench_http.py     # the summary PDF only (writes latest-pdf.json)
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import http_fixtures as fixtures  # noqa: E402
import http_runner as runner  # noqa: E402
from http_table import print_header, print_run  # noqa: E402

from screening import create_app  # noqa: E402
from screening.bulk_seed import seed_submissions  # noqa: E402
from tests.app.query_helpers import analyze  # noqa: E402

SMALL, LARGE = 1_000, 100_000
#: ``BENCH_ONLY=staff``: the staff pages at both sizes and nothing else (no patient pages, references, PDF, exports);
#: ``BENCH_ONLY=pdf``: the summary PDF against the bare WeasyPrint render, and nothing else.
ONLY = os.environ.get("BENCH_ONLY", "")
if ONLY not in ("", "staff", "pdf"):
    raise SystemExit(f"BENCH_ONLY={ONLY!r}: only 'staff' and 'pdf' are known")
RESULTS = ROOT / "bench" / "results" / (f"latest-{ONLY}.json" if ONLY else "latest.json")


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S603, S607
    return done.stdout.split("\n")[0]


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line), ""
        )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "wrk": _wrk_version(),
    }


def run_database(label: str, url: str, folder: Path) -> dict[str, Any]:
    """Every scenario on one database."""
    secret = secrets.token_hex(32)
    env = {**os.environ, "SCREENING_DATABASE_URL": url, "SCREENING_SECRET_KEY": secret, "SCREENING_ENV": "development"}
    env.pop("FLASK_DEBUG", None)
    os.environ.update({"SCREENING_DATABASE_URL": url, "SCREENING_SECRET_KEY": secret})
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT_ENABLED": False})
    fixtures.migrate(app, ROOT)
    staff_id, totp_secret = fixtures.make_staff(app)
    started = time.perf_counter()
    with app.app_context():
        seed_submissions(SMALL, reviewer_id=staff_id)
        analyze()  # what autovacuum does on a live database after a bulk load (this machine's PostgreSQL runs without)
    seeding = {"small_seconds": time.perf_counter() - started}
    pages = runner.page_sample(app)
    patient: dict[str, list[runner.Request]] = {}
    if not ONLY:
        patient = fixtures.patient_requests(app, runner.submit_budget())
    results: dict[str, Any] = {"database": label, "rows": {}}
    with runner.Servers(folder, env) as servers:
        cookie, token = fixtures.staff_cookie(app, totp_secret)
        if ONLY == "pdf":
            runner.capture_pages(servers, {}, app)
            results["rows"].update(runner.pdf_scenario(servers, app, cookie))
            return {**results, "seeding": seeding}
        if not ONLY:
            runner.capture_pages(servers, patient, app)
            results["rows"].update(runner.patient_scenarios(servers, patient))
        results["rows"].update(runner.staff_scenarios(servers, app, cookie, token, SMALL, pages))
        if not ONLY:
            results["rows"].update(runner.pdf_scenario(servers, app, cookie))
        started = time.perf_counter()
        with app.app_context():
            seed_submissions(LARGE - SMALL, rng_seed=1, reviewer_id=staff_id)
            analyze()  # as above (on PostgreSQL VACUUM ANALYZE also merges the trigram index's pending list)
        seeding["large_seconds"] = time.perf_counter() - started
        results["rows"].update(runner.staff_scenarios(servers, app, cookie, token, LARGE, pages))
    if not ONLY:
        results["rows"].update(runner.exports(env, folder, cookie))
    results["seeding"] = seeding
    return results


def databases(folder: Path) -> list[tuple[str, str]]:
    found = [("SQLite", f"sqlite:///{folder / 'sqlite' / 'bench.sqlite3'}")]  # in the SQLite run's own folder
    if os.environ.get("SCREENING_BENCH_DATABASE_URL"):
        found.append(("PostgreSQL", os.environ["SCREENING_BENCH_DATABASE_URL"]))
    return found


def main() -> None:
    runner.ensure_wrk(ROOT)
    started = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "seconds_per_scenario": runner.SECONDS, "runs": []}
    report["clinical_core"] = runner.clinical_core()
    print_header(report)
    base = Path(tempfile.mkdtemp(prefix="bench-http-"))
    try:
        for label, url in databases(base):
            folder = base / label.lower()
            folder.mkdir()
            report["runs"].append(run_database(label, url, folder))
            shutil.rmtree(folder, ignore_errors=True)  # the exports: gigabytes
            print_run(report["runs"][-1])
            report["total_seconds"] = time.perf_counter() - started
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")  # after each database
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"\nWritten {RESULTS.relative_to(ROOT)} ({report['total_seconds']:.0f} s in all).")


if __name__ == "__main__":
    main()
