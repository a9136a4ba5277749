"""Benchmark of the staff pages over many submissions, in-process (issue 17): the queue (open, and every status),
a search by name and by phone number, and a submission's page (the same one at every size), each requested ``runs``
times through the test client by a signed-in clinician, at each size; prints p50 and p95 in ms. Submissions are
inserted fast (``screening/bulk_seed``: realistic answers, flags and statuses, with review events). Not a test: it
asserts nothing.

Run with ``.venv/bin/python bench/bench_queries.py [runs] [sizes...]`` (default 50 runs; 1000 and 100000). On
SQLite in a temporary file, or on PostgreSQL when ``BENCH_DATABASE_URL`` is set (that database is emptied).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from screening import bulk_seed, create_app
from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission
from tests.app import query_helpers
from tests.app.auth import sign_in

_CSRF = re.compile(r'name="csrf_token"[^>]*?\svalue="([^"]+)"')


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p95 in ms of ``runs`` calls, after two warm-ups."""
    work()
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def make_app(url: str) -> Flask:
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "CLINIC_PHONE": "01632 960 000",
            "CLINIC_EMAIL": "clinic@example.org",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
    return app


def _the_same_submission(staff_id: int) -> str:
    """One more submission, the same at every size (a copy of a seeded one, with four acknowledged flags and three
    notes), whose page is timed: its page's work then differs between sizes only by what the database does."""
    template = db.session.scalars(select(Submission).order_by(Submission.id).limit(1)).one()
    row = {column.name: getattr(template, column.key) for column in Submission.__table__.columns}
    row.update(reference="KT-BENC-H000", priority=3, status="in_review", version_id=1)
    row["submission_token"] = template.submission_token[::-1]  # its own, as unique
    row.update(picked_up_at=None, picked_up_by_id=None, superseded_by_id=None)
    db.session.execute(insert(Submission.__table__), [{key: value for key, value in row.items() if key != "id"}])
    submission_id = db.session.scalars(select(Submission.id).where(Submission.reference == "KT-BENC-H000")).one()
    flags = [
        query_helpers.flag_row(
            submission_id,
            position,
            3,
            acknowledged_by_id=staff_id,
            acknowledged_at=row["submitted_at"],
            acknowledgement="discussed",
        )
        for position in range(4)
    ]
    db.session.execute(insert(FlagRecord.__table__), flags)
    notes = [
        {"submission_id": submission_id, "staff_id": staff_id, "at": row["submitted_at"], "note": f"Note {number}"}
        for number in range(3)
    ]
    db.session.execute(insert(ReviewEvent.__table__), notes)
    db.session.commit()
    return "KT-BENC-H000"


def measure(size: int, runs: int) -> dict[str, tuple[float, float]]:
    folder = tempfile.mkdtemp(prefix="bench-queries-")
    try:
        return _measure(size, runs, os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/b.sqlite3")
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # 100,000 submissions are about 600 MB on SQLite


def _measure(size: int, runs: int, url: str) -> dict[str, tuple[float, float]]:
    app = make_app(url)
    client: FlaskClient = app.test_client()
    staff = sign_in(client, app, "clinician")
    with app.app_context():
        bulk_seed.seed_submissions(size, reviewer_id=staff.id)
        query_helpers.analyze()
        middle = _the_same_submission(staff.id)
        person = db.session.scalar(select(Submission.full_name).order_by(Submission.id).offset(size // 3).limit(1))
        phone = db.session.scalar(
            select(Submission.answers["phone"].as_string()).where(Submission.phone_key.is_not(None)).limit(1)
        )
    if not (middle and person and phone):
        raise SystemExit("the seed made no submission to open or search for")
    page = client.get("/staff/").get_data(as_text=True)
    token = _CSRF.search(page).group(1)  # type: ignore[union-attr]

    def search(term: str) -> Callable[[], object]:
        def run() -> object:
            response = client.post("/staff/search", data={"q": term, "csrf_token": token})
            if response.status_code != 200:
                raise SystemExit(f"search: {response.status_code}")
            return response

        return run

    def get(path: str) -> Callable[[], object]:
        def run() -> object:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            return response

        return run

    results = {
        "queue (open)": timed(get("/staff/"), runs),
        "queue (every status)": timed(get("/staff/?status=all"), runs),
        "search: name": timed(search(person), runs),
        "search: phone": timed(search(phone), runs),
        "submission page": timed(get(f"/staff/submissions/{middle}"), runs),
    }
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return results


def main(runs: int, sizes: list[int]) -> None:
    table = {size: measure(size, runs) for size in sizes}
    database = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"{runs} requests each, ms (p50 / p95); database: {database}")
    print(f"{'page':<24}" + "".join(f"{size:>20,}" for size in sizes) + "   p95 ratio")
    for name in table[sizes[0]]:
        cells = "".join(f"{table[size][name][0]:>10.1f} /{table[size][name][1]:>7.1f}" for size in sizes)
        ratio = table[sizes[-1]][name][1] / table[sizes[0]][name][1]
        print(f"{name:<24}{cells}   {ratio:.2f}x")


if __name__ == "__main__":
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    main(numbers[0] if numbers else 50, numbers[1:] or [1000, 100000])
