"""Submit fails safe: a failure inside the submit transaction leaves no submission, flag or audit row and the
draft with every answer (the patient sees an error page, then can send again); a step that became invalid is
asked again, also when only a check between its answers fails (submit checks through ``clinical.validation``);
two submits of one draft at once make one submission; the confirmation page opens with the messages of the rules
that fired (support contacts, chest-pain advice)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from screening import rules
from screening.clinical import validation
from screening.clinical.questionnaire import STEP_BY_ID, clean_answers
from screening.extensions import db
from screening.models import AuditEvent, Draft, FlagRecord, Submission
from screening.patient import drafts as services
from screening.patient.article import load
from tests.answer_sets import answers
from tests.app.form_posts import form_data
from tests.app.test_drafts import seed, session_data, the_draft
from tests.app.test_pages_structure import Html
from tests.app.test_patient_flow import _TOKEN, submit
from tests.conftest import Browser

CANARY = answers(
    full_name="Wilhelmina Failsafe-Canary",
    email="wilhelmina.canary@example.org",
    phq9_9=1,
    self_harm_intent="no",
    self_harm_recent_attempt="no",
    phone="01632 960 001",
    heart_conditions=["heart_attack"],
    heart_attack_recent="yes",
    chest_pain_since_mi="no",
)


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Submission, FlagRecord, AuditEvent, Draft)
        }


def post_submit(browser: Browser) -> None:
    """Select "Send my answers" on check your answers."""
    page = browser.get("/questionnaire/check")
    assert browser.status == 200, browser.location
    token = _TOKEN.search(page)
    assert token
    browser.post("/questionnaire/submit", {"submission_token": token.group(1)})


# --- a failure inside the transaction -------------------------------------------------------------------------------
def test_submit_failure_inside_the_transaction_rolls_back_everything_and_keeps_the_draft(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed(app, browser, CANARY)
    before = the_draft(app)
    real_audit = services.audit

    def failing_audit(*args: Any, **kwargs: Any) -> None:
        db.session.flush()  # the submission and its flags are now rows in the open transaction
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        raise RuntimeError("the audit store is unavailable")

    monkeypatch.setattr(services, "audit", failing_audit)
    post_submit(browser)
    assert browser.status == 500
    assert "Sorry, there is a problem with the service" in browser.page
    assert Html(browser.page).find("strong", cls="app-reference"), "a correlation id"
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}
    after = the_draft(app)
    assert after.answers == before.answers == dict(clean_answers(CANARY).values)
    assert (after.completed_steps, after.submission_token) == (before.completed_steps, before.submission_token)
    assert "Canary" not in caplog.text and "canary" not in caplog.text

    monkeypatch.setattr(services, "audit", real_audit)  # the store is back: the patient sends again
    post_submit(browser)
    assert browser.location == "/questionnaire/confirmation"
    assert counts(app) == {"submission": 1, "flag": len(rules.evaluate(CANARY)), "audit_event": 1, "draft": 0}
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.answers == before.answers
        assert submission.submission_token == before.submission_token
    assert submission.reference in browser.get("/questionnaire/confirmation")


@pytest.fixture
def failing_statement(app: Flask) -> Iterator[list[str]]:
    """Make the database refuse any statement starting with one of the strings put in the returned list, as a
    full disk or a lost connection would (the error carries the statement's parameters, like a real one)."""
    prefixes: list[str] = []
    with app.app_context():
        engine = db.engine

    def refuse(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if any(statement.lstrip().startswith(prefix) for prefix in prefixes):
            raise OperationalError(statement, parameters, Exception("database or disk is full"))

    event.listen(engine, "before_cursor_execute", refuse)
    yield prefixes
    event.remove(engine, "before_cursor_execute", refuse)


@pytest.mark.parametrize(
    "statement", ["INSERT INTO submission", "INSERT INTO flag", "INSERT INTO audit_event", "DELETE FROM draft"]
)
def test_submit_database_failure_at_any_statement_writes_nothing_and_logs_no_answers(
    app: Flask, browser: Browser, failing_statement: list[str], caplog: pytest.LogCaptureFixture, statement: str
) -> None:
    caplog.set_level(logging.DEBUG)
    seed(app, browser, CANARY)
    before = the_draft(app)
    failing_statement.append(statement)
    post_submit(browser)
    assert browser.status == 503, "a database fault: try again in a minute (db_faults)"
    failing_statement.clear()
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}
    assert the_draft(app).answers == before.answers
    assert "OperationalError" in caplog.text, "the failure is logged"
    for value in ("Wilhelmina", "Canary", "canary", "960 001"):
        assert value not in caplog.text, value
    post_submit(browser)
    assert browser.location == "/questionnaire/confirmation"
    assert counts(app)["submission"] == 1


# --- a step that became invalid ---------------------------------------------------------------------------------------
INVALIDATED: list[tuple[str, dict[str, Any], str]] = [
    # (what changed in the stored draft, the step asked again)
    ("a required answer went missing", {"full_name": None}, "about_you"),
    ("a value of the wrong type", {"peg_pain": "severe"}, "pain"),
    ("a value out of range", {"height_cm": 20}, "health"),
    ("a code that is not an option", {"pain_duration": "forever"}, "pain"),
    ("exclusive none with another answer", {"heart_conditions": ["none", "stroke_tia"]}, "health"),
    ("a newly required follow-up", {"previous_ketamine": "yes"}, "treatments"),
    ("the consent at the end", {"consent_not_decision": None}, "practicalities"),
    ("a date in the future", {"date_of_birth": "2999-01-01"}, "about_you"),
    # the checks between the answers of a step (questionnaire.py, ``Step.checks``)
    ("neither email nor phone", {"email": None, "phone": None}, "about_you"),
    ("the preferred way of contact not given", {"preferred_contact": "phone"}, "about_you"),
    ("only one blood pressure number", {"bp_systolic": 150}, "health"),
    ("blood pressure numbers the wrong way round", {"bp_systolic": 80, "bp_diastolic": 120}, "health"),
    ("medicines listed and none ticked", {"current_medications": "Tramadol 50mg"}, "medications"),
]


@pytest.mark.parametrize(("change", "step_id"), [case[1:] for case in INVALIDATED], ids=[c[0] for c in INVALIDATED])
def test_submit_with_a_step_that_became_invalid_redirects_to_that_step(
    app: Flask, browser: Browser, change: dict[str, Any], step_id: str
) -> None:
    seed(app, browser, answers())
    browser.get("/questionnaire/check")
    token = _TOKEN.search(browser.page)
    assert token
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.answers = {key: value for key, value in {**draft.answers, **change}.items() if value is not None}
        db.session.commit()
    browser.post("/questionnaire/submit", {"submission_token": token.group(1)})
    assert browser.location == f"/questionnaire/{step_id}?return_to=check"
    assert counts(app)["submission"] == 0
    browser.get("/questionnaire/check")
    assert browser.location == f"/questionnaire/{step_id}?return_to=check"


CROSS_FIELD: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, what changed in the stored draft, the step asked again, the kind of the check it breaks)
    ("neither email nor phone", {"email": None, "phone": None}, "about_you", "one_of_required"),
    ("email preferred but not given", {"email": None, "phone": "01632 960 001"}, "about_you", "required_when"),
    ("texts preferred but no phone", {"preferred_contact": "text"}, "about_you", "required_when"),
    ("only the bottom blood pressure number", {"bp_diastolic": 90}, "health", "both_or_neither"),
    ("blood pressure numbers equal", {"bp_systolic": 120, "bp_diastolic": 120}, "health", "less_than"),
    ("medicines listed and no medicines ticked", {"current_medications": "Tramadol 50mg"}, "medications", "not_both"),
]


@pytest.mark.parametrize(
    ("change", "step_id", "kind"), [case[1:] for case in CROSS_FIELD], ids=[case[0] for case in CROSS_FIELD]
)
def test_submit_refuses_stored_answers_that_break_a_check_between_answers_and_writes_nothing(
    app: Flask, browser: Browser, change: dict[str, Any], step_id: str, kind: str
) -> None:
    """Answers stored without the page that would refuse them (an older version, a tampered row): every answer is
    valid on its own, and only the step's check between them fails."""
    seed(app, browser, answers())
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.answers = {key: value for key, value in {**draft.answers, **change}.items() if value is not None}
        db.session.commit()
        stored = dict(draft.answers)
        problems = validation.check_step(STEP_BY_ID[step_id], stored, stored, today=date.today(), min_age=18).problems
        assert [problem.code for problem in problems.values()] == [kind], "only the check between answers fails"
        with pytest.raises(services.SubmitError) as refused:
            services.submit(draft, article=load(), today=date.today(), min_age=18, remote_addr=None)
    assert refused.value.step_id == step_id
    assert counts(app) == {"submission": 0, "flag": 0, "audit_event": 0, "draft": 1}
    assert the_draft(app).answers == stored


def test_submit_after_the_minimum_age_was_raised_asks_about_you_again_then_submits(
    app: Flask, browser: Browser
) -> None:
    given = answers(date_of_birth=date(date.today().year - 30, 1, 1).isoformat())
    seed(app, browser, given)
    browser.get("/questionnaire/check")
    token = _TOKEN.search(browser.page)
    assert token
    app.config["SCREENING"]["MIN_AGE"] = 40  # the clinic changed its policy while the patient was filling in
    browser.post("/questionnaire/submit", {"submission_token": token.group(1)})
    assert browser.location == "/questionnaire/about_you?return_to=check"
    app.config["SCREENING"]["MIN_AGE"] = 18
    browser.get(browser.location)
    browser.post("/questionnaire/about_you?return_to=check", form_data("about_you", given))
    assert browser.location == "/questionnaire/check"
    post_submit(browser)
    assert browser.location == "/questionnaire/confirmation"


# --- two submits of one draft at once ---------------------------------------------------------------------------------
def test_submit_twice_at_once_in_two_requests_makes_one_submission(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request gets past "already submitted?" before the first commits: deterministic interleaving."""
    seed(app, browser, CANARY)
    token = the_draft(app).submission_token
    draft_token = session_data(app, browser.client)["draft"]
    real_check = validation.first_invalid_step
    competitor: dict[str, str] = {}

    def racing_check(*args: Any, **kwargs: Any) -> str | None:
        if not competitor:  # the other tab's request runs to completion right now, in its own context
            competitor["reference"] = "running"
            with app.app_context():
                other = services.find_draft(draft_token)
                assert other is not None
                competitor["reference"] = services.submit(
                    other, article=load(), today=date.today(), min_age=18, remote_addr=None
                ).reference
        return real_check(*args, **kwargs)

    monkeypatch.setattr(validation, "first_invalid_step", racing_check)
    with app.app_context():
        draft = services.find_draft(draft_token)
        assert draft is not None
        mine = services.submit(draft, article=load(), today=date.today(), min_age=18, remote_addr=None).reference
    assert mine == competitor["reference"]
    assert counts(app) == {"submission": 1, "flag": len(rules.evaluate(CANARY)), "audit_event": 1, "draft": 0}
    with app.app_context():
        assert db.session.scalars(select(Submission.submission_token)).one() == token


def test_submit_posted_twice_at_once_from_two_tabs_lands_both_on_one_confirmation(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers())
    page = browser.get("/questionnaire/check")
    token = _TOKEN.search(page)
    assert token
    data = {"csrf_token": browser.csrf_token(), "submission_token": token.group(1)}
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = browser.client.get_cookie(name)
    assert cookie is not None
    tabs = [app.test_client() for _ in range(2)]
    for tab in tabs:
        tab.set_cookie(name, cookie.value)
    barrier = threading.Barrier(len(tabs))
    outcomes: list[Any] = [None] * len(tabs)

    def send(index: int) -> None:
        barrier.wait()
        try:
            response = tabs[index].post("/questionnaire/submit", data=data)
            outcomes[index] = (response.status_code, response.headers.get("Location"))
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [(302, "/questionnaire/confirmation")] * len(tabs)
    assert counts(app)["submission"] == 1
    with app.app_context():
        reference = db.session.scalars(select(Submission.reference)).one()
    for tab in tabs:
        assert reference in tab.get("/questionnaire/confirmation").get_data(as_text=True)


# --- the confirmation page ------------------------------------------------------------------------------------------
CONFIRMATIONS: list[tuple[str, dict[str, Any], str, str | None, bool]] = [
    # (case, answers, rule that fires, message the page opens with, support contacts shown)
    (
        "thoughts of self-harm",
        {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "no"},
        "psych_suicidal_ideation",
        "If these thoughts get stronger",
        True,
    ),
    (
        "self-harm with intent",
        {"phq9_9": 2, "self_harm_intent": "yes", "self_harm_recent_attempt": "no"},
        "psych_suicide_risk_urgent",
        "please call the emergency number or one of the support lines below now",
        True,
    ),
    (
        "recent heart attack",
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes", "chest_pain_since_mi": "no"},
        "cv_recent_mi",
        "If you have chest pain now, call the emergency number straight away",
        False,
    ),
    (
        "unstable angina",
        {"heart_conditions": ["coronary_disease"], "angina_unstable": "yes"},
        "cv_unstable_angina",
        "If your chest pain is new or getting worse, please contact your doctor today",
        False,
    ),
    ("no message", {}, "", None, False),
]


@pytest.mark.parametrize(
    ("given", "rule_id", "message", "support"),
    [case[1:] for case in CONFIRMATIONS],
    ids=[case[0] for case in CONFIRMATIONS],
)
def test_confirmation_opens_with_the_message_of_the_rule_that_fired(
    app: Flask, browser: Browser, given: dict[str, Any], rule_id: str, message: str | None, support: bool
) -> None:
    seed(app, browser, answers(phone="01632 960 001", **given))
    submit(browser)
    page = Html(browser.get("/questionnaire/confirmation"))
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        fired = [flag.rule_id for flag in submission.flags]
    main = page.find("main")[0]
    first = next(child for child in main.children if child.clean_text())
    panel = page.find(cls="govuk-panel")[0]
    assert submission.reference in panel.clean_text()
    if message is None:
        assert "Please read this first" not in page.source
        assert first is panel
        return
    assert rule_id in fired
    assert "Please read this first" in first.clean_text() and message in first.clean_text()
    assert first.order < panel.order, "the message comes before the reference"
    contacts = ("999", "Samaritans", "116 123", "NHS 111")
    assert all(contact in first.clean_text() for contact in contacts) is support
    if not support:
        assert not any(contact in first.clean_text() for contact in contacts[1:])
