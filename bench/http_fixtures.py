"""What ``bench_http.py`` prepares in the app's database before it drives the servers: the schema (the migrations),
a staff account signed in through the real login and second factor, patients' drafts with their session cookies, and
the HTML the reference app serves.

Patients' cookies are made with the app's own session serializer and Flask-WTF's ``generate_csrf`` (in a request
context of the same app, same secret key): what the browser would hold after the start page, without a request per
draft. The staff cookie comes from a real sign-in (password, then a TOTP code from pyotp) through Flask's test client
on the same database and secret; gunicorn accepts it as it would a browser's.
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import sys
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyotp
from flask import Flask, render_template, session, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from screening.clinical import journey, questionnaire
from screening.extensions import db, utcnow
from screening.models import Draft, Role, Submission
from screening.patient import drafts
from screening.patient.views import SESSION_DRAFT
from screening.staff import accounts, auth, summary
from screening.staff.summary_views import pdf_stylesheets
from tests.answer_sets import answers, auditc, born, gad7, phq9
from tests.app.form_posts import form_data

STAFF_EMAIL = "bench@clinic.example.org"
STAFF_PASSWORD = "bench staff password 2026"  # noqa: S105 (a throwaway benchmark database)
STEP = "mood"  # the step page measured: 21 questions (PHQ-9, GAD-7 and the history), the largest form
#: A complete answer set that submits without urgent flags (an urgent one would also send alerts).
COMPLETE = answers(
    date_of_birth=born(52),
    pain_conditions=["neuropathic", "back_neck"],
    pain_duration="gt_5y",
    **phq9(1, 2, 1, 1, 0, 1, 0, 0, 0),
    **gad7(1, 1, 0, 1, 0, 0, 0),
    **auditc(2, 1, 0),
    medicines=["Pregabalin 150mg twice a day", "co-codamol 30/500 two tablets qds", "amlodipine 5mg"],
)


def migrate(app: Flask, root: Path) -> None:
    """An empty database brought to the newest revision (on PostgreSQL the public schema is made anew first)."""
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        log = io.StringIO()
        try:
            with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):  # alembic's INFO lines
                upgrade(directory=str(root / "migrations"))
        except BaseException:
            print(log.getvalue(), file=sys.stderr)
            raise


def make_staff(app: Flask) -> tuple[int, str]:
    """An enrolled account holding every role (the export needs admin): its id and TOTP secret."""
    with app.app_context():
        user, _ = accounts.create_staff(email=STAFF_EMAIL, name="Bench Clinician", roles=frozenset(Role))
        user.password_hash = auth.hash_password(STAFF_PASSWORD)
        user.must_change_password = False
        user.password_expires_at = None
        user.mfa_secret = pyotp.random_base32(32)
        db.session.commit()
        return user.id, user.mfa_secret


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def staff_cookie(app: Flask, secret: str) -> tuple[str, str]:
    """Sign in through the real login form and second factor, then open the queue; returns the ``Cookie`` header
    value and the CSRF token of the queue's search form."""
    client = app.test_client()
    token = _csrf(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", data={"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    if response.status_code != 302 or response.headers["Location"] != "/staff/mfa":
        raise RuntimeError(f"bench sign-in: password step answered {response.status_code}")
    token = _csrf(client.get("/staff/mfa").get_data(as_text=True))
    response = client.post("/staff/mfa", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    if response.status_code != 302:
        raise RuntimeError(f"bench sign-in: second factor answered {response.status_code}")
    token = _csrf(client.get("/staff/").get_data(as_text=True))  # the session now holds the search form's token
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        raise RuntimeError("bench sign-in: no session cookie")
    return f"{cookie.key}={cookie.value}", token


def _cookie(app: Flask, values: dict[str, Any]) -> tuple[str, str]:
    """A session cookie holding ``values`` and a CSRF token, made as the app would: (Cookie header, form token)."""
    with app.test_request_context():
        session.update(values)
        session.permanent = True
        token = generate_csrf()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        return f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}", token


def _draft(values: dict[str, Any]) -> tuple[Draft, str]:
    now = utcnow()
    token = secrets.token_urlsafe(32)
    draft = Draft(
        token_hash=drafts._hash(token),  # noqa: SLF001 (stored as the drafts service stores it)
        answers=values,
        completed_steps=["start", *(step.id for step in journey.shown_steps(values))],
        consent_version=questionnaire.CONSENT_VERSION,
        consented_at=now,
        submission_token=secrets.token_urlsafe(32),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=1),
    )
    return draft, token


def patient_requests(app: Flask, submits: int) -> dict[str, list[tuple[str, str, str, str]]]:
    """The requests of the patient scenarios as (method, path, cookie, body): the start page (a new visitor), its
    POST (consent: each makes a draft), the step page and its POST (one complete draft, the same page saved again)
    and ``submits`` final submits, each of its own complete draft."""
    start_cookie, start_token = _cookie(app, {})
    start_body = urlencode({"csrf_token": start_token, **form_data("start", {"consent_store": True})}, doseq=True)
    with app.app_context():
        step_draft, step_token = _draft(dict(COMPLETE))
        made = [_draft(dict(COMPLETE)) for _ in range(submits)]
        db.session.add_all([step_draft, *(draft for draft, _ in made)])
        db.session.commit()
        pairs = [(draft.submission_token, token) for draft, token in made]
    step_cookie, step_csrf = _cookie(app, {SESSION_DRAFT: step_token})
    step_body = urlencode({"csrf_token": step_csrf, **form_data(STEP, COMPLETE)}, doseq=True)
    submit = []
    for submission_token, token in pairs:
        cookie, csrf = _cookie(app, {SESSION_DRAFT: token})
        body = urlencode({"csrf_token": csrf, "submission_token": submission_token})
        submit.append(("POST", "/questionnaire/submit", cookie, body))
    return {
        "start GET": [("GET", "/", "", "")],
        "start POST": [("POST", "/", start_cookie, start_body)],
        "step GET": [("GET", f"/questionnaire/{STEP}", step_cookie, "")],
        "step POST": [("POST", f"/questionnaire/{STEP}", step_cookie, step_body)],
        "submit POST": submit,
    }


def summary_document(submission: Submission) -> str:
    """The A4 PDF's HTML for ``submission``, built as the summary view builds it (needs a request context)."""
    view = summary.build(
        submission,
        clinic_name="Example Pain Clinic",
        generated_by="Bench Clinician",
        generated_at=submission.submitted_at,
        zone=UTC,
        today=submission.submitted_at.date(),
    )
    return render_template(
        "summary/summary.html",
        s=view,
        paper="a4",
        pdf=True,
        stylesheets=[url_for("static", filename="summary/summary.css")],
        clipped_marker=summary.CLIPPED,
    )


def summary_html(app: Flask, reference: str) -> tuple[str, list[bytes]]:
    """The PDF's HTML for a submission (``summary_document``) and its stylesheets' bytes."""
    with app.app_context(), app.test_request_context():
        submission = db.session.query(Submission).filter_by(reference=reference).one()
        return summary_document(submission), list(pdf_stylesheets("a4").values())
