"""The error version of each page: "Error: " in the title, the error summary ("There is a problem") above
the heading with one link per error to a control that exists, the same message beside that control, and
everything the patient typed, ticked or chose still on the page — valid and invalid alike — with nothing
saved. Driven through the test client with CSRF on."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from flask import Flask

from screening.clinical import journey
from screening.clinical.questionnaire import DEFAULT_LOCALE, QUESTIONS, STEP_BY_ID, QType, localise
from tests.app.form_posts import form_data
from tests.app.test_drafts import EVERY_FOLLOW_UP, draft_count, fill_until, filled, seed, the_draft
from tests.app.test_pages_structure import Html, error_text
from tests.app.test_patient_flow import start
from tests.conftest import Browser

DATE_PARTS = ("-day", "-month", "-year")


def question_id(target: str) -> str:
    """The question an error-summary link is for (a date links to its day, month or year input)."""
    for suffix in DATE_PARTS:
        if target.endswith(suffix) and target.removesuffix(suffix) in QUESTIONS:
            return target.removesuffix(suffix)
    return target


def assert_error_page(page: Html) -> list[tuple[str, str]]:
    """The contract of every page with errors; returns the summary's (target id, message) links."""
    assert page.title.startswith("Error: "), page.title
    summaries = page.find(cls="govuk-error-summary")
    assert len(summaries) == 1
    assert "There is a problem" in summaries[0].clean_text()
    assert summaries[0].order < page.find("h1")[0].order, "the summary comes first, above the heading"
    links = page.error_summary()
    assert links, "an error summary without links"
    messages = page.error_messages()
    assert Counter(text for _, text in links) == Counter(error_text(message) for message in messages)
    for target, text in links:
        control = page.by_id(target)
        assert control is not None, f"the summary links to #{target}, which is not on the page"
        assert control.tag in ("input", "textarea", "select"), f"#{target} is a <{control.tag}>, not a control"
        group = control.inside(lambda ancestor: "govuk-form-group--error" in ancestor.classes)
        assert group is not None, f"#{target} is not in a form group marked as in error"
        beside = [
            error_text(message)
            for message in messages
            if message.inside(lambda ancestor: "govuk-form-group--error" in ancestor.classes) is group
        ]
        assert beside == [text], f"#{target}: {beside} beside the field, {text!r} in the summary"
    return links


def posted_values(data: dict[str, Any]) -> dict[str, list[str]]:
    """What a page should show filled in after ``data`` was posted: empty values show as nothing, and a code
    that is not one of the options (a tampered form) cannot be shown ticked."""
    shown = {}
    for name, value in data.items():
        values = sorted(value) if isinstance(value, list) else [value]
        codes = QUESTIONS[name].codes if name in QUESTIONS and QUESTIONS[name].options else None
        values = [item for item in values if item != "" and (codes is None or item in codes)]
        if values and name != "csrf_token":
            shown[name] = values
    return shown


# --- an empty post on every page ----------------------------------------------------------------------------
def _required_on_blank_page(step_id: str, earlier: dict[str, Any]) -> set[str]:
    """The questions a blank post of ``step_id`` must complain about: required and shown without this page's
    answers (follow-ups on the same page stay hidden), plus the step's checks that apply to nothing given."""
    page = {question.id for question in STEP_BY_ID[step_id]}
    blank = {qid: value for qid, value in earlier.items() if qid not in page}
    required = {
        question.id
        for question in STEP_BY_ID[step_id]
        if question.required and (question.enable_when is None or question.enable_when.holds(blank))
    }
    return required | ({"email"} if step_id == "about_you" else set())


@pytest.mark.parametrize("step_id", ["start", *(step.id for step in journey.shown_steps(EVERY_FOLLOW_UP))])
def test_validation_page_empty_post_lists_every_missing_answer_beside_its_field(
    app: Flask, browser: Browser, step_id: str
) -> None:
    url = "/" if step_id == "start" else f"/questionnaire/{step_id}"
    if step_id != "start":
        seed(app, browser, EVERY_FOLLOW_UP, before=step_id)
        before = the_draft(app)
    browser.get(url)
    page = Html(browser.post(url, {}))
    assert browser.status == 200
    links = assert_error_page(page)
    targets = [question_id(target) for target, _ in links]
    assert len(targets) == len(set(targets)), "one link per question"
    assert set(targets) == _required_on_blank_page(step_id, EVERY_FOLLOW_UP)
    for target, text in links:
        question = QUESTIONS[question_id(target)]
        if question.id != "email":
            assert text == localise(question.error, DEFAULT_LOCALE), target  # the AUDIT-C's in the locale's words
    if step_id != "start":
        after = the_draft(app)
        assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps), "nothing saved"


def test_validation_page_start_without_consent_stores_nothing(app: Flask, browser: Browser) -> None:
    browser.get("/")
    browser.post("/", {})
    assert browser.status == 200
    assert "Tick the box to agree that the clinic stores your answers" in browser.page
    assert draft_count(app) == 0


# --- one problem among valid answers: the problem is named, everything typed comes back ------------------------------
def _born_years_ago(years: int) -> dict[str, str]:
    today = date.today()
    return {"date_of_birth-day": "1", "date_of_birth-month": "1", "date_of_birth-year": str(today.year - years)}


CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    # (case, step, what is posted instead of the valid answer, the input the summary links to, the message)
    ("missing name", "about_you", {"full_name": ""}, "full_name", "Enter your full name"),
    # a height or weight: the summary links to the first box of the unit used (issue 13)
    (
        "out of range height",
        "health",
        {"height_cm": "20"},
        "height_cm-cm",
        "Your height must be between 100 cm and 250 cm",
    ),
    (
        "out of range weight",
        "health",
        {"weight_kg": "351"},
        "weight_kg-kg",
        "Your weight must be between 30 kg and 350 kg",
    ),
    ("not a number", "health", {"weight_kg": "twelve stone"}, "weight_kg-kg", "Your weight must be a number"),
    (
        "out of range height in feet and inches",
        "health",
        {"height_cm-unit": "ft_in", "height_cm-feet": "8", "height_cm-inches": "3"},
        "height_cm-feet",
        "Your height must be between 3 feet 4 inches and 8 feet 2 inches",
    ),
    (
        "texts preferred with a landline",
        "about_you",
        {"preferred_contact": "text", "phone": "020 7946 0000"},
        "phone",
        "Enter a mobile number to get text messages, or choose another way for us to contact you",
    ),
    (
        "scale out of range",
        "pain",
        {"peg_pain": "11"},
        "peg_pain",
        "Select a number from 0 to 10 for your pain on average in the past week",
    ),
    (
        "invalid date",
        "about_you",
        {"date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "1980"},
        "date_of_birth-day",
        "Date of birth must be a real date",
    ),
    (
        "invalid month",
        "about_you",
        {"date_of_birth-month": "13"},
        "date_of_birth-month",
        "Date of birth must be a real date",
    ),
    (
        "part of a date",
        "about_you",
        {"date_of_birth-day": "", "date_of_birth-month": ""},
        "date_of_birth-day",
        "Date of birth must include a day and month",
    ),
    (
        "two-digit year",
        "about_you",
        {"date_of_birth-year": "85"},
        "date_of_birth-year",
        "Date of birth year must include 4 numbers",
    ),
    (
        "future date",
        "about_you",
        {"date_of_birth-year": str(date.today().year + 1)},
        "date_of_birth-day",
        "Date of birth must be in the past",
    ),
    ("under age", "about_you", _born_years_ago(16), "date_of_birth-day", "You must be 18 or older to use this service"),
    (
        "only the top BP number",
        "health",
        {"bp_diastolic": ""},
        "bp_diastolic",
        "Enter both numbers of your blood pressure reading, or leave both empty",
    ),
    (
        "only the bottom BP number",
        "health",
        {"bp_systolic": ""},
        "bp_systolic",
        "Enter both numbers of your blood pressure reading, or leave both empty",
    ),
    (
        "BP numbers the wrong way round",
        "health",
        {"bp_systolic": "80", "bp_diastolic": "120"},
        "bp_diastolic",
        "The bottom number of your blood pressure must be lower than the top number",
    ),
    (
        "exclusive none with a condition",
        "health",
        {"heart_conditions": ["none", "stroke_tia"]},
        "heart_conditions",
        "Select 'None of these' on its own, or untick it and select the answers that apply",
    ),
    (
        "exclusive none with a treatment",
        "treatments",
        {"treatments_tried": ["physio", "none"]},
        "treatments_tried",
        "Select 'None of these' on its own, or untick it and select the answers that apply",
    ),
    (
        "medicines listed and no medicines ticked",
        "medications",
        {"no_medications": "y"},
        "current_medications",
        "You ticked 'I don't take any medicines' and also listed medicines. Remove the medicines or untick the box",
    ),
    (
        "neither email nor phone",
        "about_you",
        {"email": "", "phone": "", "preferred_contact": "email"},
        "email",
        "Enter an email address or a phone number, so that we can contact you",
    ),
    (
        "phone preferred but not given",
        "about_you",
        {"phone": "", "preferred_contact": "text"},
        "phone",
        "Enter your phone number, or choose another way for us to contact you",
    ),
    (
        "email in the wrong format",
        "about_you",
        {"email": "alex at example"},
        "email",
        "Enter an email address in the correct format, like name@example.com",
    ),
    (
        "text too long",
        "pain",
        {"pain_description": "It aches. " * 201},
        "pain_description",
        "What you wrote about your pain must be 2000 characters or less",
    ),
    (
        "follow-up newly required",
        "treatments",
        {"previous_ketamine_effect": ""},
        "previous_ketamine_effect",
        "Select how well ketamine worked for you",
    ),
    (
        "support question missing",
        "support",
        {"self_harm_intent": ""},
        "self_harm_intent",
        "Select yes if you have a plan or intend to act on these thoughts",
    ),
    (
        "consent not ticked",
        "practicalities",
        {"consent_not_decision": ""},
        "consent_not_decision",
        "Tick the box to confirm you understand that a clinician will discuss it with you",
    ),
]


@pytest.mark.parametrize(
    ("step_id", "change", "target", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_validation_page_one_problem_is_named_and_everything_typed_comes_back(
    app: Flask, browser: Browser, step_id: str, change: dict[str, Any], target: str, message: str
) -> None:
    seed(app, browser, EVERY_FOLLOW_UP, before=step_id)
    before = the_draft(app)
    data = {**form_data(step_id, EVERY_FOLLOW_UP), **change}
    browser.get(f"/questionnaire/{step_id}")
    page = Html(browser.post(f"/questionnaire/{step_id}", data))
    assert browser.status == 200
    assert assert_error_page(page) == [(target, message)]
    assert filled(page.source) == posted_values(data)
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps), "nothing saved"


def test_validation_page_under_age_explains_the_service_is_for_adults(browser: Browser) -> None:
    start(browser)
    browser.get("/questionnaire/about_you")
    page = browser.post("/questionnaire/about_you", {**form_data("about_you", EVERY_FOLLOW_UP), **_born_years_ago(17)})
    assert "This service is for adults aged 18 or over" in page
    assert "talk to your GP or family doctor" in page


def test_validation_page_typed_medicines_are_kept_when_no_medicines_is_also_ticked(browser: Browser) -> None:
    start(browser)
    fill_until(browser, EVERY_FOLLOW_UP, "treatments")
    browser.get("/questionnaire/medications")
    typed = "Lyrica 150mg twice a day\nco-codamol 30/500 qds\n\tpatch: buprenorphine 5"
    page = Html(
        browser.post(
            "/questionnaire/medications",
            {**form_data("medications", EVERY_FOLLOW_UP), "current_medications": typed, "no_medications": "y"},
        )
    )
    textarea = page.by_id("current_medications")
    assert textarea is not None and textarea.tag == "textarea"
    assert page.values()["current_medications"] == [typed]
    assert page.values()["no_medications"] == ["y"]


def test_validation_page_several_problems_each_named_once_in_page_order(browser: Browser) -> None:
    start(browser)
    fill_until(browser, EVERY_FOLLOW_UP, "medications")
    browser.get("/questionnaire/health")
    data = {
        **form_data("health", EVERY_FOLLOW_UP),
        "heart_conditions": ["none", "heart_attack"],
        "height_cm": "1.8",  # metres, not centimetres: out of range
        "bp_diastolic": "",
        "snoring_loud": "",
    }
    page = Html(browser.post("/questionnaire/health", data))
    links = assert_error_page(page)
    targets = [target for target, _ in links]
    assert set(targets) == {"heart_conditions", "height_cm-cm", "bp_diastolic", "snoring_loud"}
    order = [page.by_id(target).order for target in targets]  # type: ignore[union-attr]
    assert order == sorted(order), "the summary lists the problems in the order of the page"
    assert filled(page.source) == posted_values(data)


@pytest.mark.parametrize("qtype", [QType.TEXT, QType.TEXTAREA, QType.EMAIL, QType.TEL])
def test_validation_page_control_characters_are_a_clear_error_with_the_text_kept(
    browser: Browser, qtype: QType
) -> None:
    field, step_id = {
        QType.TEXT: ("full_name", "about_you"),
        QType.TEXTAREA: ("pain_description", "pain"),
        QType.EMAIL: ("email", "about_you"),
        QType.TEL: ("phone", "about_you"),
    }[qtype]
    start(browser)
    fill_until(browser, EVERY_FOLLOW_UP, "about_you")
    browser.get(f"/questionnaire/{step_id}")
    typed = "01632\x00960 001" if qtype is QType.TEL else "Alex\x00\x1b[31m Example"
    browser.post(f"/questionnaire/{step_id}", {**form_data(step_id, EVERY_FOLLOW_UP), field: typed})
    assert browser.status == 200
    page = Html(browser.page)
    ((target, message),) = assert_error_page(page)
    assert target == field
    assert "must not include hidden characters" in message
