"""Scaling out on standard parts: two gunicorn instances (two sync workers each, on free ports) of one app, on one
PostgreSQL database, one Redis and one secret key, as behind a load balancer without sticky sessions. Shown here:
200 concurrent submits spread over both make exactly 200 submissions (a double click on the other instance makes no
second one); a rate limit counts over both; an urgent submission is alerted once per channel while alert workers of
both instances race for it; a status change on one is shown on the other, which refuses a stale form; a staff
sign-in and a patient's form carry on from one instance to the other.

The instances trust one proxy hop, as behind the clinic's load balancer: each patient comes from an address of their
own (``X-Forwarded-For``), so the per-address submit limit counts each patient alone. The 200 patients' drafts, and
the session cookies and CSRF tokens their browsers would hold, are made by the app's own code in this process (as
``test_drafts.seed`` does; walking every page for 200 patients would take minutes); every submit, and every page of
the other tests, goes through gunicorn. Needs PostgreSQL (``SCREENING_TEST_DATABASE_URL``; SQLite is one file on one
machine) and Redis at 127.0.0.1:6379: skipped without them, except that CI (``CI=true``) fails without Redis."""

from __future__ import annotations

import functools
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from aiosmtpd.controller import Controller
from flask import Flask, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, make_url, select

from screening.clinical import journey
from screening.clinical.questionnaire import clean_answers
from screening.extensions import db
from screening.limits import GROUPS
from screening.models import AuditEvent, Draft, Notification, Submission
from screening.patient import drafts
from screening.patient.views import SESSION_DRAFT
from tests.answer_sets import answers
from tests.app.alert_helpers import URGENT, Inbox, free_port
from tests.app.auth import csrf_token, make_staff, unused_code
from tests.app.form_posts import form_data
from tests.app.gunicorn_helpers import FLASK, ROOT, Answer, Gunicorn, Visitor, server_environ
from tests.app.redis_helpers import redis_or_skip
from tests.app.staff_helpers import get_submission, make_submission, url, version_on
from tests.app.test_patient_flow import _TOKEN, ACT_NOW_URL
from tests.conftest import TEST_DATABASE_URL

REDIS_URL = "redis://127.0.0.1:6379/6"
SECRET_KEY = "test-secret-key"  # the app fixture's (tests/conftest.py): the in-process app signs what gunicorn reads
PATIENTS = 200
DOUBLE_CLICKS = 20
SIGN_IN_LIMIT = int(GROUPS["staff-sign-in"].limits.split("/minute")[0])
CONFIRMATION = "/questionnaire/confirmation"
CHANNELS = ("email", "file")  # the urgent-alert routes the instances have
STAFF_LINK = re.compile(r"/staff/submissions/([A-Z0-9-]+)")  # an alert's link: the submission it is about
T = TypeVar("T")


def _services_or_skip() -> redis.Redis:
    if make_url(TEST_DATABASE_URL or "sqlite://").get_backend_name() != "postgresql":
        pytest.skip("two instances need one PostgreSQL database: set SCREENING_TEST_DATABASE_URL (make test does)")
    return redis_or_skip(REDIS_URL, "two instances")


@dataclass
class Cluster:
    """The two instances (``ports[0]`` is A, ``ports[1]`` B), their environment and folder, the SMTP inbox and the
    alert file their alerts go to."""

    servers: list[Gunicorn]
    environ: dict[str, str]
    folder: Path
    inbox: Inbox
    alert_file: Path

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    server = _services_or_skip()
    prefix = f"screening-test-{uuid.uuid4().hex}"  # this run's own rate-limit keys in the shared Redis database
    folder = tmp_path_factory.mktemp("two-instances")
    inbox, smtp_port = Inbox(delay=0.2), free_port()  # a slow SMTP server: sends overlap the other workers' passes
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    environ = server_environ(
        TEST_DATABASE_URL,
        SECRET_KEY,
        RATELIMIT_STORAGE_URL=REDIS_URL,
        PROXY_HOPS="1",
        URGENT_ALERTS="true",
        ONCALL_EMAIL="oncall@clinic.example",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        MAIL_FROM="screening@clinic.example",
        ALERT_FILE=str(folder / "alerts.log"),
        BASE_URL="http://127.0.0.1/",
    )
    factory = f"screening:create_app({{'RATELIMIT_KEY_PREFIX': {prefix!r}}})"
    servers = [
        Gunicorn(environ, folder / f"gunicorn-{name}.log", workers=2, preload=True, factory=factory) for name in "ab"
    ]
    try:
        for running in servers:
            running.wait()
        yield Cluster(servers, environ, folder, inbox, folder / "alerts.log")
    finally:
        for running in servers:
            running.interrupt()
        for running in servers:
            running.stop()
        controller.stop()
        keys = list(server.scan_iter(match=f"*{prefix}*"))
        if keys:
            server.delete(*keys)
        server.close()


@pytest.fixture
def alert_workers(cluster: Cluster) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    """``flask worker`` beside each instance (its environment), a pass every 0.1 s, until SIGTERM."""
    workers = [start_worker(cluster.environ, cluster.folder / f"worker-{name}.log") for name in "ab"]
    yield workers
    for process, _log in workers:
        process.send_signal(signal.SIGTERM)
    for process, log in workers:
        try:
            assert process.wait(timeout=10) == 0, log.read_text()
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise


# --- helpers -------------------------------------------------------------------------------------------------------
def at_once(jobs: list[Callable[[], T]]) -> list[T]:
    """Run every job in its own thread, all released together; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], T]) -> T:
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def start_worker(environ: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """``flask worker`` with a pass every 0.1 s (its least), its output in ``log``."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own flask command, fixed arguments)
            [str(FLASK), "--app", "screening", "worker", "--interval", "0.1"],
            cwd=ROOT,
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, log


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@dataclass
class Patient:
    """A patient whose every page is answered: their browser and the answers their draft holds."""

    visitor: Visitor
    answers: dict[str, Any]
    form: dict[str, str]  # the submit form of check your answers: the CSRF token and the one-time submission token


def patients(app: Flask, given: list[dict[str, Any]], addresses: list[str]) -> list[Patient]:
    """A draft for each answer set, every shown page answered (as ``test_drafts.seed`` does), made by the app's own
    code; each browser holds the signed session cookie gunicorn will read (its draft and its CSRF token)."""
    assert app.config["SECRET_KEY"] == SECRET_KEY, "gunicorn must read what this app signs"
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    name = app.config["SESSION_COOKIE_NAME"]

    def one(answers_given: dict[str, Any], address: str) -> Patient:
        with app.test_request_context():  # an app context of its own: its own database session
            draft, token = drafts.start_draft(draft_days=app.config["SCREENING"]["DRAFT_DAYS"])
            draft.answers = dict(clean_answers({**draft.answers, **answers_given}).values)
            draft.completed_steps = ["start", *(step.id for step in journey.shown_steps(answers_given))]
            db.session.commit()
            session[SESSION_DRAFT] = token  # what the start page puts in the session, then the form's CSRF token
            session.permanent = True
            form = {"csrf_token": generate_csrf(), "submission_token": draft.submission_token}
            cookie = str(serializer.dumps(dict(session)))
            return Patient(Visitor(address=address, cookies={name: cookie}), dict(draft.answers), form)

    with ThreadPoolExecutor(max_workers=4) as pool:  # their commits overlap
        return list(pool.map(one, given, addresses))


def check_page(visitor: Visitor, port: int) -> dict[str, str]:
    """The submit form of check your answers: its CSRF and one-time submission tokens."""
    page = visitor.get(port, "/questionnaire/check")
    assert page.status == 200, (page.status, page.location)
    token = _TOKEN.search(page.body)
    assert token
    return {"csrf_token": csrf_token(page.body), "submission_token": token.group(1)}


def submitting(visitor: Visitor, port: int, form: dict[str, str]) -> Callable[[], Answer]:
    """A job for ``at_once``: the submit of check your answers."""
    return lambda: visitor.post(port, "/questionnaire/submit", form)


def started(log: Path) -> bool:
    return "Alert worker started" in log.read_text()


def sent(answer: Answer) -> bool:
    return answer.status == 302 and answer.location.endswith(CONFIRMATION)


# --- tests ---------------------------------------------------------------------------------------------------------
def test_200_concurrent_submits_over_both_instances_make_exactly_200_submissions(app: Flask, cluster: Cluster) -> None:
    started = time.monotonic()
    given = [answers(full_name=f"Patient Number{n:03d}", email=f"patient{n}@example.org") for n in range(PATIENTS)]
    group = patients(app, given, [f"10.20.{n // 100}.{n % 100 + 1}" for n in range(PATIENTS)])
    for n in range(DOUBLE_CLICKS):  # some browsers read check your answers (on the instance that will not take it)
        shown = check_page(group[n].visitor, cluster.ports[(n + 1) % 2])
        assert shown["submission_token"] == group[n].form["submission_token"]
        group[n].form = shown  # its CSRF token: the session's, signed anew by gunicorn
    prepared = time.monotonic()

    jobs = [submitting(one.visitor, cluster.ports[n % 2], one.form) for n, one in enumerate(group)]
    # a double click: the same form from the same browser at the same moment, taken by the other instance
    twins = [Visitor(one.visitor.address, dict(one.visitor.cookies)) for one in group[:DOUBLE_CLICKS]]
    jobs += [submitting(twins[n], cluster.ports[(n + 1) % 2], group[n].form) for n in range(DOUBLE_CLICKS)]
    results = at_once(jobs)
    submitted = time.monotonic()

    assert [(answer.status, answer.location) for answer in results if not sent(answer)] == []
    expected = {one.form["submission_token"]: one.answers for one in group}
    with app.app_context():
        rows = db.session.scalars(select(Submission)).all()
        assert len(rows) == PATIENTS
        assert len({row.reference for row in rows}) == PATIENTS
        assert {row.submission_token for row in rows} == set(expected)
        for row in rows:  # each patient's own answers, nothing of another's
            assert row.answers == expected[row.submission_token], row.full_name
            assert (row.full_name, row.email) == (row.answers["full_name"], row.answers["email"])
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        created = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submission.created")
        assert db.session.scalar(created) == PATIENTS
        references = {row.submission_token: row.reference for row in rows}
    for n in range(DOUBLE_CLICKS):  # both clicks of a double click show the one confirmation, on either instance
        for visitor, port in ((group[n].visitor, cluster.ports[1]), (twins[n], cluster.ports[0])):
            page = visitor.get(port, CONFIRMATION)
            assert page.status == 200 and references[group[n].form["submission_token"]] in page.body
    print(  # noqa: T201 (the numbers, for the record: pytest -s shows them)
        f"\n{PATIENTS} drafts {prepared - started:.1f} s, {len(jobs)} concurrent submits {submitted - prepared:.1f} s"
    )


def test_a_rate_limit_counts_the_requests_to_both_instances(app: Flask, cluster: Cluster) -> None:
    client = Visitor(address="198.51.100.20")
    statuses = [client.post(cluster.ports[n % 2], "/staff/login", {}).status for n in range(SIGN_IN_LIMIT + 2)]
    assert statuses == [400] * SIGN_IN_LIMIT + [429, 429]  # each instance saw only half of them
    assert Visitor(address="198.51.100.21").post(cluster.ports[0], "/staff/login", {}).status == 400, "per address"


def test_urgent_submissions_on_both_instances_with_racing_workers_are_alerted_once_per_channel(
    app: Flask, cluster: Cluster, alert_workers: list[tuple[subprocess.Popen[bytes], Path]]
) -> None:
    cluster.inbox.envelopes.clear()
    before = len(cluster.alert_file.read_text().splitlines()) if cluster.alert_file.exists() else 0
    given = [answers(**{**URGENT, "email": f"urgent{n}@example.org"}) for n in range(4)]
    group = patients(app, given, [f"10.30.0.{n + 1}" for n in range(4)])
    for process, log in alert_workers:
        wait_for(functools.partial(started, log), "the alert workers")
        assert process.poll() is None, log.read_text()
    # two through each instance at the same moment: each instance sends its own after the commit, and both
    # workers (a pass every 0.1 s) go for the same rows
    results = at_once([submitting(one.visitor, cluster.ports[n % 2], one.form) for n, one in enumerate(group)])
    assert [(answer.status, answer.location) for answer in results if not sent(answer)] == []
    wait_for(functools.partial(all_sent, app, len(group) * len(CHANNELS)), "every alert sent")
    time.sleep(1)  # ten more passes of each worker: nothing more may go out
    with app.app_context():
        references = sorted(db.session.scalars(select(Submission.reference)))
        rows = db.session.scalars(select(Notification)).all()
    assert len(references) == len(group)
    assert sorted((row.reference, row.channel) for row in rows) == [(ref, ch) for ref in references for ch in CHANNELS]
    assert [(row.attempts, row.sent_at is not None) for row in rows] == [(1, True)] * len(rows)
    emailed = [link.group(1) for body in cluster.inbox.bodies() if (link := STAFF_LINK.search(body))]
    assert sorted(emailed) == references and len(cluster.inbox.envelopes) == len(group)
    lines = cluster.alert_file.read_text().splitlines()[before:]
    assert sorted(link.group(1) for line in lines if (link := STAFF_LINK.search(line))) == references
    assert len(lines) == len(group)


def all_sent(app: Flask, count: int) -> bool:
    """Whether the outbox holds ``count`` alerts, all sent."""
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Notification.sent_at.is_not(None))) == count


def sign_in_over_both(app: Flask, cluster: Cluster) -> Visitor:
    """A clinician signs in: the password on instance A, the authenticator code on instance B."""
    staff = make_staff(app, "clinician")
    visitor = Visitor(address="192.0.2.50")
    form = {"csrf_token": csrf_token(visitor.get(cluster.ports[0], "/staff/login").body)}
    answer = visitor.post(cluster.ports[0], "/staff/login", {**form, "email": staff.email, "password": staff.password})
    assert (answer.status, answer.location) == (302, "/staff/mfa")
    form = {"csrf_token": csrf_token(visitor.get(cluster.ports[1], "/staff/mfa").body)}
    answer = visitor.post(cluster.ports[1], "/staff/mfa", {**form, "code": unused_code(app, staff)})
    assert (answer.status, answer.location) == (302, "/staff/")
    return visitor


def shown_status(page: str) -> str:
    found = re.search(r'id="status-heading">Status: <span class="app-status">([^<]+)</span>', page)
    assert found, "no status on the page"
    return found.group(1)


def test_a_status_change_on_one_instance_shows_on_the_other_which_refuses_a_stale_form(
    app: Flask, cluster: Cluster
) -> None:
    reference = make_submission(app, priority=1)
    clinician = sign_in_over_both(app, cluster)  # one signed cookie, good on both
    a, b = cluster.ports
    on_b = clinician.get(b, url(reference))
    assert on_b.status == 200 and shown_status(on_b.body) == "New"
    stale = version_on(on_b.body, url(reference, "status"))

    on_a = clinician.get(a, url(reference)).body
    form = {"csrf_token": csrf_token(on_a), "status": "in_review", "note": "", "version": str(stale)}
    assert clinician.post(a, url(reference, "status"), form).status == 302

    fresh = clinician.get(b, url(reference))
    assert shown_status(fresh.body) == "In review"
    assert version_on(fresh.body, url(reference, "status")) == stale + 1
    form = {"csrf_token": csrf_token(on_b.body), "status": "awaiting_patient", "note": "", "version": str(stale)}
    refused = clinician.post(b, url(reference, "status"), form)
    assert refused.status == 409 and "Your change was not saved" in refused.body
    stored = get_submission(app, reference)
    assert (stored["status"], stored["version"]) == ("in_review", stale + 1)


def test_a_patient_changing_instance_at_every_page_keeps_their_answers_and_sends_once(
    app: Flask, cluster: Cluster
) -> None:
    given = answers(full_name="Rowan Twoplaces", email="rowan@example.org")
    visitor, ports = Visitor(address="10.40.0.1"), cluster.ports
    answer = visitor.post(
        ports[1], "/", {"csrf_token": csrf_token(visitor.get(ports[0], "/").body), "consent_store": "y"}
    )
    assert answer.status == 302
    location, turn, pages = answer.location, 0, 0
    while "/questionnaire/check" not in location:  # each page shown by one instance and saved by the other
        assert location != ACT_NOW_URL, "the healthy answers need no act-now page"
        step_id = location.rsplit("/", 1)[-1].split("?")[0]
        page = visitor.get(ports[turn % 2], location)
        assert page.status == 200, (step_id, page.status)
        form = {"csrf_token": csrf_token(page.body), **form_data(step_id, given)}
        answer = visitor.post(ports[(turn + 1) % 2], location, form)
        assert answer.status == 302, (step_id, answer.status)
        location, turn, pages = answer.location, turn + 1, pages + 1
    assert pages > 5
    answer = visitor.post(ports[1], "/questionnaire/submit", check_page(visitor, ports[0]))
    assert sent(answer)
    with app.app_context():
        row = db.session.scalars(select(Submission)).one()
        assert row.answers == dict(clean_answers({"consent_store": True, **given}).values)
    assert row.reference in visitor.get(ports[0], CONFIRMATION).body
