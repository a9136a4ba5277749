"""Issue 17: the streamed exports keep memory flat. The submissions CSV (``exports.submission_chunks``, with every
answer) and the FHIR NDJSON export (``fhir_bulk.export``) over many submissions stay under ``CAP_BYTES`` of Python
allocations (tracemalloc peak), and the peak over all the rows is about the peak over a tenth of them (the same
batch size, ten times the batches): nothing grows with the number of rows.

The issue asked for 100,000 rows; under tracemalloc that takes many minutes on the CI machine, so the test reads
``ROWS`` (``SCREENING_MEMORY_TEST_ROWS`` to change it) in small batches, which proves the same thing (memory per
batch, not per row) with many batches; bench/bench_fhir_export.py measures the real sizes and times.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from screening.bulk_seed import seed_submissions
from screening.extensions import db
from screening.models import Submission
from screening.staff import exports, fhir_bulk

ROWS = int(os.environ.get("SCREENING_MEMORY_TEST_ROWS", "2000"))
BATCH = max(ROWS // 30, 10)  # the whole set is 30 batches or more, a tenth of it 3
CAP_BYTES = 50 * 1024 * 1024
#: How much more the whole set may take than a tenth of it: noise in the allocator, never another batch.
SLACK = 1.25
OCTOBER, NOVEMBER, DECEMBER = (datetime(2026, month, 1, tzinfo=UTC) for month in (10, 11, 12))


def peak_bytes(work: Callable[[], object]) -> int:
    """The most memory Python held at once while ``work`` ran (tracemalloc, from a collected start)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def seeded(app: Flask) -> Flask:
    """A tenth of ``ROWS`` sent in October, the rest in November (realistic answers and flags)."""
    with app.app_context():
        tenth = ROWS // 10
        seed_submissions(tenth, end=NOVEMBER - timedelta(hours=1), days=29)
        seed_submissions(ROWS - tenth, end=DECEMBER - timedelta(hours=1), days=29, rng_seed=1)
        assert db.session.scalar(select(func.count()).select_from(Submission)) == ROWS
    return app


def csv_peak(app: Flask, last_day: date) -> tuple[int, int]:
    """The peak of writing the CSV (every answer, in words) of October up to ``last_day``, and its data rows."""
    rows = 0

    def work() -> None:
        nonlocal rows
        filters = exports.Filters(date_from=OCTOBER.date(), date_to=last_day)
        for chunk in exports.submission_chunks(filters, exports.Options(include_answers=True), {}, size=BATCH):
            rows += chunk.count("\r\n")

    with app.app_context():
        peak = peak_bytes(work)
    return peak, rows - 1  # the header


def fhir_peak(app: Flask, directory: Path, until: datetime) -> tuple[int, int]:
    """The peak of the FHIR NDJSON export from October to ``until``, and how many submissions it wrote."""
    found: list[int] = []
    with app.app_context():
        peak = peak_bytes(
            lambda: found.append(fhir_bulk.export(directory, OCTOBER, until, locale="en-GB", size=BATCH).submissions)
        )
    return peak, found[0]


def test_the_csv_export_keeps_memory_flat_over_many_rows(seeded: Flask) -> None:
    tenth, tenth_rows = csv_peak(seeded, date(2026, 10, 31))
    whole, whole_rows = csv_peak(seeded, date(2026, 11, 30))
    assert (tenth_rows, whole_rows) == (ROWS // 10, ROWS)
    assert whole < CAP_BYTES, f"{whole / 1e6:.1f} MB"
    assert whole < tenth * SLACK, f"{ROWS} rows {whole / 1e6:.1f} MB, {ROWS // 10} rows {tenth / 1e6:.1f} MB"


def test_the_fhir_export_keeps_memory_flat_over_many_rows(seeded: Flask, tmp_path: Path) -> None:
    tenth, tenth_rows = fhir_peak(seeded, tmp_path / "tenth", NOVEMBER)
    whole, whole_rows = fhir_peak(seeded, tmp_path / "whole", DECEMBER)
    assert (tenth_rows, whole_rows) == (ROWS // 10, ROWS)
    assert whole < CAP_BYTES, f"{whole / 1e6:.1f} MB"
    assert whole < tenth * SLACK, f"{ROWS} rows {whole / 1e6:.1f} MB, {ROWS // 10} rows {tenth / 1e6:.1f} MB"
