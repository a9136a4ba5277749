"""Benchmark of the patient pages in-process: ms per request (p50) through the test client for the start page, each
step page with a filled draft, and a POST of a step; then just the Jinja render of the start and a step page, and
the import of the GOV.UK macro templates. A bare Flask view (a string) and a plain-template view rendering the same
HTML are timed as the yardsticks of issue 17. Not a test: it asserts nothing.

Run with ``.venv/bin/python bench/bench_pages.py [runs]`` (default 300). ``--profile`` prints a pyinstrument profile
of step GETs (``pip install pyinstrument`` into the venv first; it is not a dependency); ``--no-cache`` runs
with the rendered-fragment caches off (``PATIENT_PAGE_CACHE = False``), for the "before" numbers.
"""

from __future__ import annotations

import functools
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, render_template
from jinja2 import DictLoader

from screening import create_app
from screening.clinical import journey
from screening.extensions import db
from screening.models import Draft
from tests.answer_sets import answers
from tests.app.form_posts import form_data

_CSRF = re.compile(r'name="csrf_token"[^>]*?\svalue="([^"]+)"')
MACRO_TEMPLATES = (
    "macros/questions.html",
    "macros/layout.html",
    "govuk_frontend_jinja/components/radios/macro.html",
    "govuk_frontend_jinja/components/checkboxes/macro.html",
    "govuk_frontend_jinja/components/input/macro.html",
)


def p50(work: Callable[[], object], runs: int) -> float:
    work()  # warm up
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def make_app() -> Flask:
    folder = tempfile.mkdtemp(prefix="bench-pages-")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "SECRET_KEY": "bench",
            "CLINIC_PHONE": "01632 960 000",
            "CLINIC_EMAIL": "clinic@example.org",
            "RATELIMIT_ENABLED": False,
            "PATIENT_PAGE_CACHE": "--no-cache" not in sys.argv,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def fill_draft(app: Flask, given: dict[str, object]) -> None:
    """Every step of the (only) draft answered with ``given``, so every shown step can be opened."""
    with app.app_context():
        draft = db.session.scalars(db.select(Draft)).one()
        draft.answers = dict(given)
        draft.completed_steps = ["start", *(step.id for step in journey.shown_steps(given))]
        db.session.commit()


def main(runs: int) -> None:
    app = make_app()
    bare = Flask("bare")
    client = app.test_client()
    start_html = client.get("/").get_data(as_text=True)
    token = _CSRF.search(start_html).group(1)  # type: ignore[union-attr]
    client.post("/", data={"consent_store": "y", "csrf_token": token})
    given = answers()
    fill_draft(app, given)
    steps = [step.id for step in journey.shown_steps(given)]
    step_html = client.get(f"/questionnaire/{steps[0]}").get_data(as_text=True)

    @bare.get("/")
    def bare_view() -> str:
        return step_html

    bare.jinja_loader = DictLoader({"plain.html": "{% raw %}" + step_html + "{% endraw %}"})

    @bare.get("/plain")
    def plain_view() -> str:
        return render_template("plain.html")

    bare_client = bare.test_client()
    print(f"Python {platform.python_version()}, {runs} runs each: p50 of CPU ms per request, after one warm-up")
    print("(CPU time of this process, not wall time: the machine is shared)")

    def row(label: str, work: Callable[[], object]) -> float:
        taken = p50(work, runs)
        print(f"{label:<34} {taken:7.2f}")
        return taken

    row("bare Flask GET (string)", lambda: bare_client.get("/"))
    row("bare Flask, plain template", lambda: bare_client.get("/plain"))
    first_visitor = app.test_client()  # no draft: the start page as a first visitor sees it
    row("GET / (no draft)", lambda: first_visitor.get("/"))
    row("GET / (with a draft)", lambda: client.get("/"))
    step_times = []
    for step_id in steps:
        url = f"/questionnaire/{step_id}"
        step_times.append(row(f"GET {step_id}", functools.partial(client.get, url)))
    print(f"{'GET step, median of steps':<34} {statistics.median(step_times):7.2f}")
    url = "/questionnaire/pain"
    token = _CSRF.search(client.get(url).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    data = {**form_data("pain", given), "csrf_token": token}
    row("POST pain (saved, redirect)", lambda: client.post(url, data=data))
    row("POST pain (errors shown)", lambda: client.post(url, data={"csrf_token": token}))
    fill_draft(app, given)
    with app.test_request_context("/"):
        env = app.jinja_env
        template = env.get_template("patient/step.html")
        print(f"{'Jinja get_template (cached)':<34} {p50(lambda: env.get_template('patient/step.html'), runs):7.3f}")

        def imports() -> None:
            for name in MACRO_TEMPLATES:
                env.get_template(name)._get_default_module()

        print(f"{'macro template modules (5)':<34} {p50(imports, runs):7.3f}")
        del template
    if "--profile" in sys.argv:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(runs):
            for step_id in steps:
                client.get(f"/questionnaire/{step_id}")
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main(next((int(arg) for arg in sys.argv[1:] if arg.isdigit()), 300))
