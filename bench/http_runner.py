"""The moving parts of ``bench_http.py``: the two gunicorn servers (the app and ``reference_app.py``), one wrk run per
scenario (with its warm-up and a status check first), the scenarios themselves, the exports as child processes, and
the clinical core timed in-process."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import http_fixtures as fixtures
from flask import Flask
from sqlalchemy import create_engine, select

from screening.extensions import db
from screening.models import Submission

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "lua" / "requests.lua"
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
WARM_UP = 1.0
CONNECTIONS = 4
WORKERS = 2
#: Staff scenarios: before the 1 s of warm-up, every request of the scenario is sent this many times (default 2 per
#: worker; sync workers take connections as they come, so "per worker" is on average), so the timed run meets no page
#: rendered for the first time whatever the size: a fair comparison of 1,000 and 100,000 submissions.
WARM_PASSES = int(os.environ.get("BENCH_WARM_PASSES", str(2 * WORKERS)))
#: The summary PDF and the bare render: this many of each, sent one at a time and interleaved (``pdf_scenario``).
PDF_ROUNDS = int(os.environ.get("BENCH_PDF_ROUNDS", "25"))
#: The most final submits a second this machine could make (the drafts are made beforehand, one per submit).
SUBMITS_PER_SECOND = int(os.environ.get("BENCH_SUBMITS_PER_SECOND", "400"))
Request = tuple[str, str, str, str]  # method, path, cookie, body
CSV_EXPORT = "CSV export (100k, default columns)"
FHIR_EXPORT = "FHIR NDJSON export (100k)"


def ensure_wrk(root: Path) -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["bash", str(root / "scripts" / "ensure-wrk.sh")], check=True)  # noqa: S603, S607 (ours)


def submit_budget() -> int:
    return int(SUBMITS_PER_SECOND * (SECONDS + WARM_UP)) + 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, request: Request) -> tuple[int, str]:
    method, path, cookie, body = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data.decode("utf-8", "replace")


class Servers:
    """The app and the reference app, each under gunicorn with 2 workers, on free ports; stopped on exit."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.reference_dir = folder / "reference"
        self.reference_dir.mkdir(exist_ok=True)
        self.app_port, self.reference_port = free_port(), free_port()
        self.processes: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, port: int, target: str, extra: list[str], env: dict[str, str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        command = [str(BIN / "gunicorn"), "-w", f"{WORKERS}", "--no-control-socket", "-b", f"127.0.0.1:{port}"]
        command += [*extra, target]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        self.processes.append(process)

    def __enter__(self) -> Servers:
        self._start("app", self.app_port, 'screening:create_app({"RATELIMIT_ENABLED": False})', [], self.env)
        reference_env = {
            **self.env,
            "BENCH_REFERENCE_DIR": str(self.reference_dir),
            "BENCH_DATABASE_URL": self.env["SCREENING_DATABASE_URL"],
        }
        self.reference_started = False
        self._reference_args = (
            "reference",
            self.reference_port,
            "reference_app:create_app()",
            ["--pythonpath", "bench"],
        )
        self._reference_env = reference_env
        self._wait(self.app_port, "/")
        return self

    def start_reference(self) -> None:
        """After the pages it serves are captured (``capture_pages``), with its table made."""
        import reference_app

        engine = create_engine(self._reference_env["BENCH_DATABASE_URL"])
        reference_app.metadata.create_all(engine)
        engine.dispose()
        name, port, target, extra = self._reference_args
        self._start(name, port, target, extra, self._reference_env)
        self._wait(port, "/bare")

    def _wait(self, port: int, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(port, ("GET", path, "", ""))[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server on port {port} did not start: see {self.folder}")

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if exc[0] is not None:  # the servers' own words, before the folder goes
            for log in sorted(self.folder.glob("*.log")):
                print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text().splitlines()[-15:]), file=sys.stderr)
            for process in self.processes:
                print(
                    f"--- {process.args[-1]}: {'running' if process.poll() is None else process.returncode}",
                    file=sys.stderr,
                )
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def wrk(port: int, requests: list[Request], seconds: float, folder: Path, *, once: bool = False) -> dict[str, Any]:
    """One wrk run of ``requests`` (in turn; ``once``: each sent once at most) for ``seconds``."""
    file = folder / "requests.tsv"
    file.write_text("".join(f"{m}\t{p}\t{c}\t{b}\n" for m, p, c, b in requests), encoding="utf-8")
    env = {**os.environ, "BENCH_REQUESTS": str(file), "BENCH_ONCE": "1" if once else "0"}
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(LUA)]
    command.append(f"http://127.0.0.1:{port}")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (wrk, local)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(line[len("BENCH ") :])
    seconds_run = result["duration_us"] / 1e6
    return {
        "requests": result["requests"],
        "rps": result["requests"] / seconds_run if seconds_run else 0.0,
        "p50_ms": result["p50_us"] / 1000,
        "p95_ms": result["p95_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "errors": result["errors_status"] + result["errors_other"],
        "seconds": seconds_run,
    }


def touch_every(port: int, requests: list[Request], expect: int) -> None:
    """Send every request ``WARM_PASSES`` times, in turn over ``CONNECTIONS`` concurrent connections (a wrk run lasts
    its whole duration even when its script stops, so this is done here); each must answer ``expect``."""
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        for status, _ in pool.map(lambda request: fetch(port, request), requests * WARM_PASSES):
            if status != expect:
                raise RuntimeError(f"{requests[0][0]} {requests[0][1]}...: {status} while warming up, not {expect}")


def _drained(result: dict[str, Any]) -> dict[str, Any]:
    """Wait for what wrk left in flight when it stopped (its connections close, but the workers finish the requests
    they hold): as long as the slowest requests took, so the next run does not share the machine with them."""
    time.sleep(min(max(result["p99_ms"], result["p95_ms"]) / 1000 * 2, 15.0))
    return result


def scenario(
    port: int,
    requests: list[Request],
    folder: Path,
    *,
    expect: int,
    once: bool = False,
    every: bool = False,
) -> dict[str, Any]:
    """Check the first request answers ``expect``, warm up, then measure. ``every`` (the staff pages): first every
    request is sent ``WARM_PASSES`` times (in turn, 4 connections), as described at ``WARM_PASSES``; the usual second
    of warm-up follows."""
    status, body = fetch(port, requests[0])
    if status != expect:
        raise RuntimeError(f"{requests[0][0]} {requests[0][1]} answered {status}, not {expect}:\n{body[:2000]}")
    if every:
        touch_every(port, requests, expect)
    if once:
        requests = requests[1:]
        split = int(len(requests) * WARM_UP / (WARM_UP + SECONDS))
        _drained(wrk(port, requests[:split], WARM_UP, folder, once=True))
        return _drained(wrk(port, requests[split:], SECONDS, folder, once=True))
    _drained(wrk(port, requests, WARM_UP, folder))
    result = _drained(wrk(port, requests, SECONDS, folder))
    if not result["requests"]:
        raise RuntimeError(f"{requests[0][0]} {requests[0][1]}: no answer within {SECONDS:g} s")
    return result


def capture_pages(servers: Servers, patient: dict[str, list[Request]], app: Flask) -> None:
    """The start and step pages as the app serves them, saved as plain templates for the reference app (the CSRF
    token made a template variable), and the summary PDF's HTML and stylesheet. ``patient`` empty: the PDF's only."""
    for name, key in (("start", "start GET"), ("step", "step GET")) if patient else ():
        status, html = fetch(servers.app_port, patient[key][0])
        if status != 200:
            raise RuntimeError(f"{name} page answered {status}")
        html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1{{ csrf_token }}"', html)
        (servers.reference_dir / f"{name}.html").write_text(html, encoding="utf-8")
    with app.app_context():
        reference = db.session.scalar(select(Submission.reference).order_by(Submission.id).limit(1))
    if reference is None:
        raise RuntimeError("no submission to render a summary PDF of")
    html, sheets = fixtures.summary_html(app, reference)
    (servers.reference_dir / "summary.html").write_text(html, encoding="utf-8")
    for index, sheet in enumerate(sheets):
        (servers.reference_dir / f"summary-{index}.css").write_bytes(sheet)
    servers.pdf_reference = reference  # type: ignore[attr-defined]
    servers.start_reference()


def patient_scenarios(servers: Servers, patient: dict[str, list[Request]]) -> dict[str, Any]:
    app, reference, folder = servers.app_port, servers.reference_port, servers.folder
    start_body, step_body = patient["start POST"][0][3], patient["step POST"][0][3]
    row = urlencode({"full_name": "Alex Example", "date_of_birth": "1974-03-02", "email": "alex@example.org"})
    return {
        "bare GET": scenario(reference, [("GET", "/bare", "", "")], folder, expect=200),
        "bare POST (start body)": scenario(reference, [("POST", "/bare", "", start_body)], folder, expect=302),
        "bare POST (step body)": scenario(reference, [("POST", "/bare", "", step_body)], folder, expect=302),
        "plain template: start": scenario(reference, [("GET", "/page/start", "", "")], folder, expect=200),
        "plain template: step": scenario(reference, [("GET", "/page/step", "", "")], folder, expect=200),
        "bare WTForms insert POST": scenario(reference, [("POST", "/insert", "", row)], folder, expect=302),
        "start GET": scenario(app, patient["start GET"], folder, expect=200),
        "start POST": scenario(app, patient["start POST"], folder, expect=302),
        "step GET": scenario(app, patient["step GET"], folder, expect=200),
        "step POST": scenario(app, patient["step POST"], folder, expect=302),
        "submit POST": scenario(app, patient["submit POST"], folder, expect=302, once=True),
    }


def _search_terms(app: Flask) -> list[str]:
    with app.app_context():
        row = db.session.execute(
            select(Submission.reference, Submission.full_name, Submission.date_of_birth, Submission.email)
            .order_by(Submission.id)
            .limit(1)
        ).one()
    surname = row.full_name.split()[-1]
    return [surname, row.full_name, row.date_of_birth.strftime("%d/%m/%Y"), row.email, row.reference, "07700 900123"]


def page_sample(app: Flask, count: int = 200) -> list[str]:
    """The references of the submission pages measured, drawn once from the seeded submissions (before the patient
    scenarios add their own, whose pages cost more) and measured at both sizes: the same pages, only the table grows."""
    with app.app_context():
        references = list(db.session.scalars(select(Submission.reference).order_by(Submission.id)))
    return random.Random(count).sample(references, count)  # noqa: S311 (which pages, not a secret)


def staff_scenarios(
    servers: Servers, app: Flask, cookie: str, token: str, size: int, references: list[str]
) -> dict[str, Any]:
    port, folder = servers.app_port, servers.folder
    searches = [
        ("POST", "/staff/search", cookie, urlencode({"csrf_token": token, "q": term})) for term in _search_terms(app)
    ]
    pages = [("GET", f"/staff/submissions/{ref}", cookie, "") for ref in references]
    return {
        f"queue @{size}": scenario(port, [("GET", "/staff/", cookie, "")], folder, expect=200, every=True),
        f"search @{size}": scenario(port, searches, folder, expect=200, every=True),
        f"submission page @{size}": scenario(port, pages, folder, expect=200, every=True),
    }


def _timed_fetch(port: int, request: Request) -> float:
    """One request, its wall time in ms (the status must be 200)."""
    started = time.perf_counter()
    status, _ = fetch(port, request)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"{request[0]} {request[1]} answered {status}, not 200")
    return elapsed


def _latencies(times: list[float]) -> dict[str, Any]:
    """A scenario's result (as ``wrk`` gives it) from the wall times of requests sent one at a time."""
    ordered = sorted(times)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    seconds = sum(times) / 1000
    return {
        "requests": len(times),
        "rps": len(times) / seconds if seconds else 0.0,
        "p50_ms": statistics.median(times),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "errors": 0,
        "seconds": seconds,
    }


def pdf_scenario(servers: Servers, app: Flask, cookie: str) -> dict[str, Any]:
    """The summary PDF against a bare WeasyPrint render, one request at a time, **interleaved**: ``PDF_ROUNDS`` rounds,
    each sending one of each (which goes first alternates). A render takes 0.3-1 s, so a 4 s wrk run per side gave a
    dozen samples with up to 4 requests queued, taken seconds apart: the ratio moved 1.1x-1.7x between quiet runs
    with the machine's load. Interleaved, both sides meet the same load, and neither waits behind another render."""
    reference = servers.pdf_reference  # type: ignore[attr-defined]
    app_request: Request = ("GET", f"/staff/submissions/{reference}/summary.pdf", cookie, "")
    bare_request: Request = ("GET", "/pdf", "", "")
    for _ in range(2):  # warm: fonts, stylesheets, templates, the render pool
        _timed_fetch(servers.app_port, app_request)
        _timed_fetch(servers.reference_port, bare_request)
    app_times: list[float] = []
    bare_times: list[float] = []
    for round_number in range(PDF_ROUNDS):
        pairs = [(servers.app_port, app_request, app_times), (servers.reference_port, bare_request, bare_times)]
        for port, request, times in pairs if round_number % 2 == 0 else pairs[::-1]:
            times.append(_timed_fetch(port, request))
    return {"summary PDF": _latencies(app_times), "bare WeasyPrint PDF": _latencies(bare_times)}


#: Runs its arguments as a child and prints that child's peak RSS (KiB). A small process of its own starts the child:
#: on Linux a child's peak RSS counts the memory of the process it was forked from (kept across exec), so one started
#: by this benchmark (which holds the app and 100,000 references) would report this process's size, not its own.
_MEASURE = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def _child(command: list[str], env: dict[str, str], folder: Path) -> dict[str, Any]:
    """Run ``command``; its wall time and peak resident memory."""
    out, err = folder / "child.out", folder / "child.err"
    started = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        measured = [sys.executable, "-c", _MEASURE, *command]
        code = subprocess.call(measured, env=env, cwd=ROOT, stdout=stdout, stderr=stderr)  # noqa: S603
    seconds = time.perf_counter() - started
    output, errors = out.read_text(), err.read_text().strip().splitlines()
    if code != 0 or not errors or not errors[-1].isdigit():
        raise RuntimeError(f"{' '.join(command[:4])} failed ({code}):\n{output}\n{err.read_text()}")
    return {"seconds": seconds, "peak_rss_mb": int(errors[-1]) / 1024, "output": output.strip()[-500:]}


def exports(env: dict[str, str], folder: Path, cookie: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    csv_file = folder / "export.csv"
    child = [sys.executable, str(ROOT / "bench" / "export_child.py"), "csv", str(csv_file), cookie]
    results[CSV_EXPORT] = _child(child, env, folder)
    results[CSV_EXPORT]["megabytes"] = csv_file.stat().st_size / 1e6
    fhir = folder / "fhir"
    if (ROOT / "screening" / "staff" / "fhir_bulk.py").exists():  # flask export-fhir
        command = [str(BIN / "flask"), "--app", "screening", "export-fhir", "--since", "2000-01-01", str(fhir)]
        results[FHIR_EXPORT] = _child(command, env, folder)
        results[FHIR_EXPORT]["megabytes"] = sum(f.stat().st_size for f in fhir.iterdir()) / 1e6
    else:
        results[FHIR_EXPORT] = {"not_available": True}
    return results


def clinical_core(runs: int = 2000) -> dict[str, Any]:
    """``rules.assess`` (flags, scores, medicine matches) of the submit's answer set, in-process, warm."""
    from screening import rules

    rules.assess(fixtures.COMPLETE)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        rules.assess(fixtures.COMPLETE)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "runs": runs,
        "mean_ms": statistics.fmean(samples),
        "p50_ms": samples[runs // 2],
        "p95_ms": samples[int(runs * 0.95) - 1],
    }
