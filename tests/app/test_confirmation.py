"""The confirmation page tells the truth and does not linger on a shared device: when any stored flag is urgent it
shows the clinic's urgent promise (``URGENT_REPLY_TIME``, never the routine ``REPLY_TIME``) with "We are not an
emergency service" and the numbers to call above it; other answer sets are told the routine reply time. It is
viewable for 30 minutes after sending (a frozen clock), and "Finish and clear this page" forgets it at once. Every
phone number on the patient pages is a tel: link of + and digits only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import clock, rules
from screening.extensions import db
from screening.models import Submission
from screening.patient.views import CONFIRMATION_MINUTES
from tests.answer_sets import answers
from tests.app.test_drafts import seed, session_data
from tests.app.test_pages_structure import Html, structure_problems
from tests.app.test_patient_flow import _TOKEN, submit
from tests.conftest import Browser

CONFIRMATION = "/questionnaire/confirmation"
NOT_AN_EMERGENCY_SERVICE = "We are not an emergency service: if you need help sooner, use the numbers above."
PHONE = {"phone": "01632 960 001"}
#: (case, answer changes); whether a case is urgent is read from its stored flags, never from a rule id.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("no flags", {}),
    ("a routine flag", {"has_escort": "no"}),
    ("thoughts of self-harm", {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "no", **PHONE}),
    ("self-harm with intent", {"phq9_9": 2, "self_harm_intent": "yes", "self_harm_recent_attempt": "no", **PHONE}),
    (
        "recent attempt or preparations",
        {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "yes", **PHONE},
    ),
    ("daily thoughts of self-harm", {"phq9_9": 3, "self_harm_intent": "no", "self_harm_recent_attempt": "no", **PHONE}),
    ("unstable angina", {"heart_conditions": ["coronary_disease"], "angina_unstable": "yes"}),
    (
        "recent heart attack",
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes", "chest_pain_since_mi": "no"},
    ),
    (
        "chest pain since a heart attack",
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no", "chest_pain_since_mi": "yes"},
    ),
]
_TEL = re.compile(r'href="tel:([^"]*)"')


def send(app: Flask, browser: Browser, changes: dict[str, Any]) -> Submission:
    seed(app, browser, answers(**changes))
    submit(browser)
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        db.session.expunge(submission)
        return submission


def is_urgent(app: Flask, reference: str) -> bool:
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        return any(flag.severity == rules.Severity.URGENT.value for flag in submission.flags)


def freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Freeze ``clock.now`` at the real time now; the returned function moves it on by a duration."""
    start = clock.now()
    moment = [start]
    monkeypatch.setattr(clock, "now", lambda: moment[0])

    def move_to(after: timedelta) -> None:
        moment[0] = start + after

    return move_to


# --- what the patient is told -----------------------------------------------------------------------------------------
def test_confirmation_cases_include_urgent_and_routine_sets() -> None:
    urgent = {
        name
        for name, changes in CASES
        if any(
            flag.severity is rules.Severity.URGENT
            for flag in rules.evaluate(answers(**changes), today=datetime.now().date())
        )
    }
    assert urgent and urgent != {name for name, _ in CASES}


@pytest.mark.parametrize("changes", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_confirmation_promises_the_urgent_reply_time_only_when_a_flag_is_urgent(
    app: Flask, browser: Browser, changes: dict[str, Any]
) -> None:
    settings = app.config["SCREENING"]
    submission = send(app, browser, changes)
    page = Html(browser.get(CONFIRMATION))
    assert browser.status == 200
    assert structure_problems(page) == []
    main = page.find("main")[0].clean_text()
    assert submission.reference in main
    if is_urgent(app, submission.reference):
        assert settings["URGENT_REPLY_TIME"] in main
        assert settings["REPLY_TIME"] not in main, "never the routine promise after an urgent flag"
        assert NOT_AN_EMERGENCY_SERVICE in main
        sentence = next(element for element in page.find("p") if NOT_AN_EMERGENCY_SERVICE in element.clean_text())
        emergency = [link for link in page.find("a") if link.attrs.get("href") == f"tel:{settings['EMERGENCY_NUMBER']}"]
        assert emergency and emergency[0].order < sentence.order, "the numbers are above the sentence"
        message = page.find(cls="app-support")[0]
        assert emergency[0].inside(lambda ancestor: ancestor is message), "in the message the page opens with"
    else:
        assert f"contact you {settings['REPLY_TIME']}" in main
        assert settings["URGENT_REPLY_TIME"] not in main
        assert "not an emergency service" not in main


def test_confirmation_urgent_promise_is_the_configured_one(app: Flask, browser: Browser) -> None:
    app.config["SCREENING"] = {
        **app.config["SCREENING"],
        "URGENT_REPLY_TIME": "A nurse will phone you within the hour on a working day.",
        "REPLY_TIME": "within 9 working days",
    }
    send(app, browser, dict(CASES[3][1]))
    main = Html(browser.get(CONFIRMATION)).find("main")[0].clean_text()
    assert "A nurse will phone you within the hour on a working day." in main
    assert "within 9 working days" not in main


# --- shared devices ---------------------------------------------------------------------------------------------------
def test_confirmation_viewable_for_30_minutes_then_the_start_page(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CONFIRMATION_MINUTES == 30
    move_to = freeze(monkeypatch)
    submission = send(app, browser, dict(CASES[3][1]))
    move_to(timedelta(minutes=29, seconds=59))
    assert submission.reference in browser.get(CONFIRMATION)
    move_to(timedelta(minutes=30))
    browser.get(CONFIRMATION)
    assert (browser.status, browser.location) == (302, "/")
    start_page = browser.get("/")
    assert "Ketamine therapy for long-term pain: before your consultation" in start_page
    assert submission.reference not in start_page
    move_to(timedelta(minutes=1))  # forgotten for good, not hidden for a while
    browser.get(CONFIRMATION)
    assert (browser.status, browser.location) == (302, "/")
    assert "reference" not in session_data(app, browser.client)


def test_confirmation_replay_of_the_send_after_30_minutes_shows_the_start_page(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser's "resend" of the submit keeps the first sending time: it does not open the page again."""
    move_to = freeze(monkeypatch)
    seed(app, browser, answers(**dict(CASES[3][1])))
    browser.get("/questionnaire/check")
    token, submission_token = browser.csrf_token(), _TOKEN.search(browser.page)
    assert submission_token
    data = {"csrf_token": token, "submission_token": submission_token.group(1)}
    assert browser.client.post("/questionnaire/submit", data=data).headers["Location"] == CONFIRMATION
    move_to(timedelta(minutes=31))
    assert browser.client.post("/questionnaire/submit", data=data).headers["Location"] == CONFIRMATION
    browser.get(CONFIRMATION)
    assert (browser.status, browser.location) == (302, "/")


def test_confirmation_finish_and_clear_forgets_the_page_at_once(app: Flask, browser: Browser) -> None:
    submission = send(app, browser, dict(CASES[3][1]))
    page = Html(browser.get(CONFIRMATION))
    forms = page.find("form", action="/questionnaire/finish")
    assert len(forms) == 1 and forms[0].attrs["method"] == "post"
    assert "Finish and clear this page" in forms[0].clean_text()
    browser.post("/questionnaire/finish", {})
    assert (browser.status, browser.location) == (302, "/")
    assert submission.reference not in browser.get("/")
    browser.get(CONFIRMATION)
    assert (browser.status, browser.location) == (302, "/")
    assert not {"reference", "reference_sent_at"} & set(session_data(app, browser.client))


def test_confirmation_finish_needs_a_post_with_csrf_and_a_stale_token_still_clears(
    app: Flask, browser: Browser
) -> None:
    submission = send(app, browser, dict(CASES[3][1]))
    assert browser.client.get("/questionnaire/finish").status_code == 405, "state changes are never GETs"
    browser.get(CONFIRMATION)
    response = browser.client.post("/questionnaire/finish", data={"csrf_token": "stale"})
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    browser.get(CONFIRMATION)
    assert (browser.status, browser.location) == (302, "/")
    assert submission.reference not in browser.get("/")


def test_confirmation_without_a_reference_shows_the_start_page(browser: Browser) -> None:
    browser.get(CONFIRMATION)
    assert (browser.status, browser.location) == (302, "/")


# --- tel: links -------------------------------------------------------------------------------------------------------
def test_every_phone_number_on_the_patient_pages_is_a_tel_link(app: Flask, browser: Browser) -> None:
    settings = app.config["SCREENING"]
    numbers = [settings["EMERGENCY_NUMBER"], *(line.number for line in settings["CRISIS_LINES"])]
    seed(app, browser, answers(**dict(CASES[2][1])))
    pages = {"start": browser.get("/"), "support": browser.get("/questionnaire/support")}
    submit(browser)
    pages["confirmation"] = browser.get(CONFIRMATION)
    for name, source in pages.items():
        hrefs = _TEL.findall(source)
        assert all(re.fullmatch(r"\+?[0-9]+", href) for href in hrefs), (name, hrefs)
        assert "".join(filter(str.isdigit, settings["EMERGENCY_NUMBER"])) in hrefs, name
        if name != "start":
            for number in numbers:
                assert "".join(filter(str.isdigit, number)) in hrefs, (name, number)
                assert f">{number}</a>" in source, (name, number)
