"""Benchmark of the doctor's summary PDF: prints the render time of a typical submission (6 flags, 8 medicines)
and a maximal one (every rule as a flag, 20 medicines, every free-text answer at its maximum length) through
``pdf.render`` (the app's locked-down fetcher, caps and worker pool), next to a bare WeasyPrint render of the same
HTML and stylesheet. The view-model and template time is printed too. Not a test: it asserts nothing.

Run with ``make bench`` (or ``.venv/bin/python bench/bench_summary.py``).
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_fixtures as fixtures  # noqa: E402
from weasyprint import CSS, HTML

from screening import create_app
from screening.extensions import db
from screening.models import Submission
from screening.staff import pdf
from screening.staff.summary_views import pdf_stylesheets
from tests.summary_cases import TYPICAL, add_every_rule, maximal_answers, submit

RUNS = 20
STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "summary" / "summary.css"


def timed(work: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    work()  # warm up (fonts, caches)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.mean(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-summary-")
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench", "SERVER_NAME": "bench.invalid"}
    )
    css = STYLESHEET.read_bytes()
    print(f"Python {platform.python_version()} on {platform.machine()}, {RUNS} runs each (after one warm-up)")
    print(f"{'case':<9} {'pages':>5} {'build+template':>15} {'pdf.render':>16} {'bare WeasyPrint':>16}")
    with app.app_context(), app.test_request_context():
        db.create_all()
        typical = submit(TYPICAL)
        maximal = submit(maximal_answers())
        add_every_rule(maximal)
        for name, submission in (("typical", typical), ("maximal", maximal)):

            def html(submission: Submission = submission) -> str:
                return fixtures.summary_document(submission)

            document = html()
            sheets = pdf_stylesheets("a4")
            pages = pdf.render(document, sheets).pages
            build_mean, _ = timed(html)
            app_mean, app_p95 = timed(lambda document=document, sheets=sheets: pdf.render(document, sheets))
            bare_mean, bare_p95 = timed(
                lambda document=document: HTML(string=document).write_pdf(stylesheets=[CSS(string=css.decode())])
            )
            print(
                f"{name:<9} {pages:>5} {build_mean:>12.1f} ms {app_mean:>7.1f} ms (p95 {app_p95:>5.0f})"
                f" {bare_mean:>7.1f} ms (p95 {bare_p95:>5.0f})"
            )


if __name__ == "__main__":
    main()
