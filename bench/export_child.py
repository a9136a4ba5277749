"""One export of every submission, in a process of its own so ``bench_http.py`` can read its peak memory (``wait4``):

    export_child.py csv|csv-answers OUT_FILE COOKIE

POSTs /staff/admin/export.csv (every submission; ``csv-answers``: with every answer, one column per question) through
the real route, streamed to OUT_FILE, as the signed-in staff member whose session cookie is COOKIE.

The app comes from the environment (SCREENING_DATABASE_URL, SCREENING_SECRET_KEY), as under gunicorn. Prints one JSON
line: rows written and bytes. The FHIR NDJSON export is ``flask export-fhir`` itself (no child script needed).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening import create_app


def export_csv(out: Path, cookie: str, *, answers: bool) -> dict[str, int]:
    app = create_app({"RATELIMIT_ENABLED": False})
    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    page = client.get("/staff/admin/export").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if match is None:
        raise SystemExit("export page: no CSRF token (not signed in?)")
    data = {
        "csrf_token": match.group(1),
        "status": "all",
        "labels": "labels",
        **({"include_answers": "y"} if answers else {}),
    }
    response = client.post("/staff/admin/export.csv", data=data, buffered=False)
    if response.status_code != 200 or not (response.mimetype or "").startswith("text/csv"):
        raise SystemExit(f"export answered {response.status_code} {response.mimetype}")
    size = lines = 0
    with out.open("wb") as file:
        for chunk in response.response:
            data_bytes = chunk if isinstance(chunk, bytes) else chunk.encode()
            size += len(data_bytes)
            lines += data_bytes.count(b"\n")
            file.write(data_bytes)
    response.close()
    return {"bytes": size, "lines": lines}


if __name__ == "__main__":
    kind, out, cookie = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    if kind not in ("csv", "csv-answers"):
        raise SystemExit(f"unknown export {kind}")
    print(json.dumps(export_csv(out, cookie, answers=kind == "csv-answers")))  # noqa: T201
