"""Benchmark of the staff reports page over many submissions, in-process: ``/staff/reports`` for the default range
(the last 30 days) and for the longest range the page allows (``reports.MAX_RANGE_DAYS``, up to today), each
requested ``runs`` times through the test client by a signed-in clinician, at each size. Prints p50 and p95 in ms,
the statements one request runs, and the memory one request takes: the peak of Python allocations during it
(``tracemalloc``, one request traced apart from the timed ones; the process's peak resident size is no measure here,
as seeding peaks higher). Submissions are seeded by ``screening/bulk_seed`` over the last year, with review events,
as ``bench_queries`` seeds them. Not a test: it asserts nothing.

Run with ``.venv/bin/python bench/bench_reports.py [runs] [sizes...]`` (default 15 runs; 1000 and 100000). On
SQLite in a temporary file, or on PostgreSQL when ``BENCH_DATABASE_URL`` is set (that database is emptied).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask.testing import FlaskClient

from bench.bench_queries import make_app, timed
from screening import bulk_seed
from screening.extensions import db
from screening.staff import reports
from screening.staff.views import clinic_today
from tests.app import query_helpers
from tests.app.auth import sign_in

#: One row of the table: p50 ms, p95 ms, statements, traced peak MiB.
Row = tuple[float, float, int, float]


def _one(client: FlaskClient, path: str, runs: int, engine: object) -> Row:
    def get() -> object:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        return response

    get()  # warm-up outside the measures (templates, settings)
    with query_helpers.recording(engine) as recorded:  # type: ignore[arg-type]
        get()
    tracemalloc.start()
    get()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    p50, p95 = timed(get, runs)
    return p50, p95, len(recorded.statements), traced / 2**20


def measure(size: int, runs: int) -> dict[str, Row]:
    folder = tempfile.mkdtemp(prefix="bench-reports-")
    try:
        return _measure(size, runs, os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/b.sqlite3")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measure(size: int, runs: int, url: str) -> dict[str, Row]:
    app = make_app(url)
    client = app.test_client()
    staff = sign_in(client, app, "clinician")
    with app.app_context(), app.test_request_context():
        bulk_seed.seed_submissions(size, reviewer_id=staff.id)
        query_helpers.analyze()
        today = clinic_today()
        engine = db.engine
    longest = reports.DateRange(today - timedelta(days=reports.MAX_RANGE_DAYS - 1), today)
    paths: dict[str, str] = {
        f"default ({reports.DEFAULT_DAYS} days)": "/staff/reports",
        f"longest ({reports.MAX_RANGE_DAYS} days)": f"/staff/reports?from={longest.start}&to={longest.end}",
    }
    results = {name: _one(client, path, runs, engine) for name, path in paths.items()}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return results


def main(runs: int, sizes: list[int]) -> None:
    table = {size: measure(size, runs) for size in sizes}
    database = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"/staff/reports, {runs} requests each after warm-up; database: {database}")
    print(f"{'submissions':>11}  {'range':<18}{'p50 ms':>9}{'p95 ms':>9}{'stmts':>7}{'peak MiB':>10}")
    for size in sizes:
        for name, (p50, p95, statements, traced) in table[size].items():
            print(f"{size:>11,}  {name:<18}{p50:>9.1f}{p95:>9.1f}{statements:>7}{traced:>10.1f}")


def _sizes(args: list[str]) -> tuple[int, list[int]]:
    numbers = [int(arg) for arg in args if arg.isdigit()]
    return (numbers[0] if numbers else 15), (numbers[1:] or [1000, 100000])


if __name__ == "__main__":
    main(*_sizes(sys.argv[1:]))
