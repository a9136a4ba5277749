"""Where the time of a page goes: the start page, the step page (GET and POST), the final submit and the staff
queue, each requested ``RUNS`` times in-process (Flask's test client, a temporary SQLite database) under pyinstrument,
which prints the call tree. Not part of ``make bench``; pyinstrument is not a dependency of the project:

    .venv/bin/pip install pyinstrument
    .venv/bin/python bench/profile_pages.py [start|step|step-post|submit|queue|search] [RUNS] [SUBMISSIONS]

``queue`` and ``search`` (a surname) run over SUBMISSIONS seeded submissions (default 1,000; ``screening.bulk_seed``).
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import http_fixtures as fixtures  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

from screening import create_app  # noqa: E402
from screening.bulk_seed import seed_submissions  # noqa: E402


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "step"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-profile-')}/profile.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16), "RATELIMIT_ENABLED": False})
    fixtures.migrate(app, ROOT)
    requests = fixtures.patient_requests(app, runs + 1 if what == "submit" else 1)
    if what in ("queue", "search"):
        staff_id, secret = fixtures.make_staff(app)
        with app.app_context():
            seed_submissions(int(sys.argv[3]) if len(sys.argv) > 3 else 1000, reviewer_id=staff_id)
        cookie, token = fixtures.staff_cookie(app, secret)
        body = urlencode({"csrf_token": token, "q": "Patel"})
        chosen = [("GET", "/staff/", cookie, "")] if what == "queue" else [("POST", "/staff/search", cookie, body)]
    else:
        steps = {"start": "start GET", "step": "step GET", "step-post": "step POST", "submit": "submit POST"}
        chosen = requests[steps[what]]
    client = app.test_client(use_cookies=False)  # each request sends its own cookie, as wrk does

    def send(index: int) -> None:
        method, path, cookie, body = chosen[index % len(chosen)]
        headers = {"Cookie": cookie} if cookie else {}
        content = {"content_type": "application/x-www-form-urlencoded", "data": body} if method == "POST" else {}
        response = client.open(path, method=method, headers=headers, **content)
        if response.status_code not in (200, 302):
            raise SystemExit(f"{method} {path}: {response.status_code}")

    send(0)  # warm: templates compiled, caches filled
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for index in range(1, runs + 1):
        send(index)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
