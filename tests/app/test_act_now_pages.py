"""The act-now page: after a step whose answers mean "act now" (``screening.clinical.act_now``), Continue leads (POST,
redirect, GET) to a page at a neutral address that says what to do now, with the emergency number and, when the
entry asks for them, the crisis lines as tel: links, says the answers are saved, and carries on to where Continue
would have gone (check your answers after a change from there). It appears for each act-now answer and for no
other; it needs no JavaScript (a plain page with links)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from screening.clinical import act_now, journey
from screening.clinical.questionnaire import STEP_OF, clean_answers
from screening.extensions import db
from screening.models import Draft
from tests.answer_sets import answers
from tests.app.form_posts import form_data
from tests.app.test_drafts import EVERY_FOLLOW_UP, fill_until, seed, session_data, the_draft
from tests.app.test_pages_structure import Html, structure_problems
from tests.app.test_patient_flow import ACT_NOW_URL, carry_on, start
from tests.conftest import Browser

#: For each question an act-now entry looks at: answers (with their parents) that make it mean "act now".
TRIGGERS: dict[str, dict[str, Any]] = {
    "angina_unstable": {"heart_conditions": ["coronary_disease"], "angina_unstable": "yes"},
    "chest_pain_since_mi": {
        "heart_conditions": ["heart_attack"],
        "heart_attack_recent": "no",
        "chest_pain_since_mi": "yes",
    },
    "self_harm_intent": {
        "phq9_9": 2,
        "self_harm_intent": "yes",
        "self_harm_recent_attempt": "no",
        "phone": "01632 960 001",
    },
    "self_harm_recent_attempt": {
        "phq9_9": 1,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "yes",
        "phone": "01632 960 001",
    },
}
#: The same parents with the answer that does not mean "act now".
CALM: dict[str, dict[str, Any]] = {
    "angina_unstable": {"heart_conditions": ["coronary_disease"], "angina_unstable": "no"},
    "chest_pain_since_mi": {
        "heart_conditions": ["heart_attack"],
        "heart_attack_recent": "no",
        "chest_pain_since_mi": "no",
    },
    "self_harm_intent": {
        "phq9_9": 2,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
        "phone": "01632 960 001",
    },
    "self_harm_recent_attempt": {
        "phq9_9": 1,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
        "phone": "01632 960 001",
    },
}
_TEL = re.compile(r'href="tel:([^"]*)"')


def entry_for(question_id: str) -> act_now.ActNow:
    return next(entry for entry in act_now.ACT_NOW if question_id in entry.questions)


def tel_links(page: str) -> list[str]:
    return _TEL.findall(page)


def digits(number: str) -> str:
    return "".join(character for character in number if character in "+0123456789")


def test_act_now_every_trigger_question_has_a_case() -> None:
    asked = {question for entry in act_now.ACT_NOW for question in entry.questions}
    assert asked <= set(TRIGGERS), "add answers that trigger the new act-now question to TRIGGERS and CALM"
    for question_id, given in TRIGGERS.items():
        assert act_now.for_answers(answers(**given), questions=[question_id]) == (entry_for(question_id),)
        assert act_now.for_answers(answers(**CALM[question_id])) == ()


@pytest.mark.parametrize("question_id", TRIGGERS)
def test_act_now_page_follows_the_step_whose_answer_means_act_now(
    app: Flask, browser: Browser, question_id: str
) -> None:
    given = answers(**TRIGGERS[question_id])
    step_id = STEP_OF[question_id].id
    entry = entry_for(question_id)
    start(browser)
    previous = journey.previous_step(step_id, given)
    assert previous is not None
    fill_until(browser, given, previous)
    browser.get(f"/questionnaire/{step_id}")
    browser.post(f"/questionnaire/{step_id}", form_data(step_id, given))
    assert browser.status == 302
    assert browser.location == ACT_NOW_URL, "PRG to a neutral address that carries nothing"
    saved = the_draft(app)
    assert step_id in saved.completed_steps
    expected = {qid: value for qid, value in clean_answers(given).values.items() if STEP_OF[qid].id == step_id}
    assert {qid: saved.answers.get(qid) for qid in expected} == expected, "the answers were saved first"

    response = browser.client.get(ACT_NOW_URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = Html(response.get_data(as_text=True))
    assert structure_problems(page) == []
    assert [h1.clean_text() for h1 in page.find("h1")] == [entry.heading]
    main = page.find("main")[0].clean_text()
    settings = app.config["SCREENING"]
    for paragraph in entry.paragraphs:
        assert paragraph.format(emergency=settings["EMERGENCY_NUMBER"]) in main
    assert "Your answers are saved." in main
    numbers = tel_links(page.source)
    assert digits(settings["EMERGENCY_NUMBER"]) in numbers
    lines = {digits(line.number) for line in settings["CRISIS_LINES"]}
    assert lines <= set(numbers) if entry.crisis_lines else not lines & set(numbers)
    assert all(number == digits(number) for number in numbers), "a tel: href holds + and digits only"
    assert not page.find("form", action=ACT_NOW_URL), "nothing to post: links only, no script needed"

    following = journey.next_step(step_id, given)
    assert carry_on(browser) == f"/questionnaire/{following}"
    back = page.find("a", cls="govuk-back-link")
    assert [link.attrs["href"] for link in back] == [f"/questionnaire/{step_id}"]
    browser.get(f"/questionnaire/{following}")
    assert browser.status == 200, "carrying on opens the next page"


@pytest.mark.parametrize("question_id", TRIGGERS)
def test_act_now_page_not_shown_for_the_calm_answer(app: Flask, browser: Browser, question_id: str) -> None:
    given = answers(**CALM[question_id])
    step_id = STEP_OF[question_id].id
    start(browser)
    fill_until(browser, given, step_id)
    assert browser.location == f"/questionnaire/{journey.next_step(step_id, given)}"


def test_act_now_page_never_shown_on_a_whole_journey_without_such_answers(browser: Browser) -> None:
    start(browser)
    for step in journey.shown_steps(EVERY_FOLLOW_UP):
        browser.get(f"/questionnaire/{step.id}")
        browser.post(f"/questionnaire/{step.id}", form_data(step.id, EVERY_FOLLOW_UP))
        assert browser.status == 302
        assert browser.location != ACT_NOW_URL, step.id


def test_act_now_page_after_a_change_from_check_carries_on_to_check(app: Flask, browser: Browser) -> None:
    calm = answers(**CALM["self_harm_intent"])
    seed(app, browser, calm)
    step_id = STEP_OF["self_harm_intent"].id
    browser.get(f"/questionnaire/{step_id}?return_to=check")
    browser.post(
        f"/questionnaire/{step_id}?return_to=check", form_data(step_id, answers(**TRIGGERS["self_harm_intent"]))
    )
    assert browser.location == ACT_NOW_URL, "return_to is remembered in the session, not the address"
    page = Html(browser.get(ACT_NOW_URL))
    assert [link.attrs["href"] for link in page.find("a", cls="govuk-back-link")] == [
        f"/questionnaire/{step_id}?return_to=check"
    ]
    assert carry_on(browser) == "/questionnaire/check"
    assert "Carry on to check your answers" in browser.page
    assert the_draft(app).answers["self_harm_intent"] == "yes"


def test_act_now_page_without_one_pending_sends_the_patient_on(browser: Browser) -> None:
    browser.get(ACT_NOW_URL)
    assert (browser.status, browser.location) == (302, "/"), "no questionnaire: the start page"
    start(browser)
    browser.get(ACT_NOW_URL)
    assert (browser.status, browser.location) == (302, "/questionnaire/about_you"), "the page the patient is on"


def test_act_now_page_without_one_pending_after_every_page_goes_to_check(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers())
    browser.get(ACT_NOW_URL)
    assert (browser.status, browser.location) == (302, "/questionnaire/check")


def test_act_now_page_gone_once_the_answer_is_changed_back(app: Flask, browser: Browser) -> None:
    given = answers(**TRIGGERS["angina_unstable"])
    step_id = STEP_OF["angina_unstable"].id
    start(browser)
    fill_until(browser, given, step_id)
    assert browser.location == ACT_NOW_URL
    browser.get(f"/questionnaire/{step_id}")
    browser.post(f"/questionnaire/{step_id}", form_data(step_id, answers(**CALM["angina_unstable"])))
    following = f"/questionnaire/{journey.next_step(step_id, given)}"
    assert browser.location == following
    browser.get(ACT_NOW_URL)
    assert (browser.status, browser.location) == (302, following)


@pytest.mark.parametrize("question_id", TRIGGERS)
def test_act_now_cookie_tells_no_more_than_the_calm_answer(app: Flask, question_id: str) -> None:
    """The session cookie (signed, not encrypted) names the last page saved after every page alike: it never shows
    that an answer meant "act now"."""
    step_id = STEP_OF[question_id].id
    seen = []
    for given in (TRIGGERS[question_id], CALM[question_id]):
        browser = Browser(app.test_client())
        start(browser)
        fill_until(browser, answers(**given), step_id)
        data = session_data(app, browser.client)
        seen.append({key: value for key, value in data.items() if key not in ("draft", "csrf_token")})
        with app.app_context():
            db.session.execute(delete(Draft))  # one draft at a time for the helpers
            db.session.commit()
    assert seen[0] == seen[1] == {"_permanent": True, "last_step": {"step": step_id, "check": False}}
