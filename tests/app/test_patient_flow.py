"""The whole patient journey through the test client with CSRF on: every step, check your answers,
submit, confirmation; the stored submission equals what was entered and what the rules say."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from screening import rules
from screening.clinical import journey, scoring
from screening.clinical.questionnaire import QUESTIONS, clean_answers
from screening.extensions import db
from screening.models import AuditEvent, Draft, Submission
from screening.patient.views import today
from tests.answer_sets import answers
from tests.app.auth import sign_in_admin
from tests.app.form_posts import form_data
from tests.conftest import Browser

_TOKEN = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def start(browser: Browser) -> None:
    browser.get("/")
    browser.post("/", {"consent_store": "y"})
    assert browser.status == 302
    assert browser.location.endswith("/questionnaire/about_you")


ACT_NOW_URL = "/questionnaire/important"
_CARRY_ON = re.compile(r'<a class="govuk-button" href="([^"]+)"')


def carry_on(browser: Browser) -> str:
    """On the act-now page (a step's answers meant "act now"): the address of its carry-on button."""
    browser.get(ACT_NOW_URL)
    assert browser.status == 200, browser.location
    found = _CARRY_ON.search(browser.page)
    assert found, "no carry-on button on the act-now page"
    return found.group(1).replace("&amp;", "&")


def fill_every_step(browser: Browser, given: dict[str, Any]) -> list[str]:
    """Answer each page in turn, following the redirects (and the carry-on button of an act-now page); returns
    the pages visited."""
    visited = []
    url = "/questionnaire/about_you"
    while "/questionnaire/check" not in url:
        if url == ACT_NOW_URL:
            url = carry_on(browser)
            continue
        step_id = url.rsplit("/", 1)[-1].split("?")[0]
        visited.append(step_id)
        browser.get(url)
        assert browser.status == 200, step_id
        browser.post(url, form_data(step_id, given))
        assert browser.status == 302, f"{step_id} did not validate:\n{_errors(browser.page)}"
        url = browser.location
    return visited


def _errors(page: str) -> str:
    return "\n".join(re.findall(r'<a href="#[^"]+">([^<]+)</a>', page))


def submit(browser: Browser) -> str:
    browser.get("/questionnaire/check")
    assert browser.status == 200
    token = _TOKEN.search(browser.page)
    assert token
    browser.post("/questionnaire/submit", {"submission_token": token.group(1)})
    assert browser.location.endswith("/questionnaire/confirmation")
    return token.group(1)


BRANCHES: dict[str, dict[str, Any]] = {
    "healthy": {},
    "every follow-up": {
        "referral_source": "primary_care",
        "referrer_name": "Dr Example",
        "phone": "01632 960 001",
        "pain_conditions": ["crps", "other"],
        "pain_conditions_other": "endometriosis",
        "previous_ketamine": "yes",
        "previous_ketamine_effect": "helped_a_little",
        "previous_ketamine_bad_reaction": "no",
        "previous_ketamine_notes": "Three infusions in 2023",
        "medicines": ["Lyrica 150mg twice a day", "co-codamol 30/500 qds"],
        "medication_checklist": ["opioid", "gabapentinoid"],
        "opioid_daily": "yes",
        "heart_conditions": [
            "high_blood_pressure",
            "heart_attack",
            "coronary_disease",
            "heart_failure",
            "valve_disease",
        ],
        "bp_controlled": "yes",
        "bp_crisis_recent": "no",
        "heart_attack_recent": "no",
        "chest_pain_since_mi": "no",
        "angina_unstable": "no",
        "heart_failure_breathless": "no",
        "valve_breathless": "unsure",
        "bp_systolic": 150,
        "bp_diastolic": 95,
        "other_conditions": ["liver_disease", "overactive_thyroid", "sleep_apnoea", "lung_disease", "porphyria"],
        "liver_severity": "moderate",
        "thyroid_controlled": "yes",
        "uses_cpap": "yes",
        "height_cm": 170,
        "weight_kg": 80,
        "neck_large": "yes",
        "neck_43cm": "no",
        "mental_health_history": ["ptsd", "schizophrenia_psychosis"],
        "dissociation_frequent": "no",
        "psychosis_current": "no",
        "phq9_9": 1,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
        "auditc_1": "2",
        "auditc_2": "1",
        "auditc_3": "0",
        "drugs_past_year": ["ketamine"],
        "ketamine_use_bad_reaction": "no",
        "substance_treatment_ever": "yes",
        "substance_treatment_for": ["alcohol"],
        "contact_times": ["mornings"],
    },
    # the one follow-up "every follow-up" cannot show: it sits under "I'm not sure", not "Yes"
    "not sure about previous ketamine": {"previous_ketamine": "unsure", "previous_ketamine_unsure_reaction": "yes"},
    "male without phone, support page asks for one": {
        "sex_at_birth": "male",
        "phq9_9": 2,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
        "contact_phone_today": "07700 900 982",
    },
}


@pytest.mark.parametrize("name", BRANCHES)
def test_patient_flow_stores_what_was_entered_with_its_flags_and_scores(
    app: Flask, browser: Browser, name: str
) -> None:
    given = answers(**BRANCHES[name])
    start(browser)
    visited = fill_every_step(browser, given)
    assert visited == [step.id for step in journey.shown_steps(given)]
    submit(browser)
    page = browser.get("/questionnaire/confirmation")
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.reference in page
        expected = dict(clean_answers(given).values)
        assert submission.answers == expected
        evaluated = rules.evaluate(expected, today=today())
        assert [flag.rule_id for flag in submission.flags] == [flag.rule_id for flag in evaluated]
        assert [flag.evidence for flag in submission.flags] == [flag.evidence for flag in evaluated]
        assert submission.scores["phq9"]["value"] == scoring.score_all(expected, today=today())["phq9"].value
        assert submission.ruleset_version == rules.RULESET_VERSION
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        assert db.session.scalars(select(AuditEvent.action)).all() == ["submission.created"]


def test_hidden_follow_ups_are_never_stored(app: Flask, browser: Browser) -> None:
    given = answers()
    start(browser)
    browser.get("/questionnaire/about_you")
    browser.post("/questionnaire/about_you", {**form_data("about_you", given), "referrer_name": "Not asked"})
    assert browser.status == 302
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        assert "referrer_name" not in draft.answers


def test_double_submit_and_replay_create_one_submission(app: Flask, browser: Browser) -> None:
    given = answers()
    start(browser)
    fill_every_step(browser, given)
    browser.get("/questionnaire/check")
    csrf_token = browser.csrf_token()
    token = submit(browser)
    for _ in range(2):  # a double click and a later replay of the same POST
        response = browser.client.post(
            "/questionnaire/submit", data={"submission_token": token, "csrf_token": csrf_token}
        )
        assert response.headers["Location"].endswith("/questionnaire/confirmation")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        reference = db.session.scalars(select(Submission.reference)).one()
    assert reference in browser.get("/questionnaire/confirmation")


def test_changing_sex_at_birth_asks_the_newly_required_pregnancy_question(app: Flask, browser: Browser) -> None:
    given = answers(sex_at_birth="male")
    start(browser)
    fill_every_step(browser, given)
    browser.get("/questionnaire/about_you?return_to=check")
    changed = form_data("about_you", {**given, "sex_at_birth": "female"})
    browser.post("/questionnaire/about_you?return_to=check", changed)
    assert browser.location.endswith("/questionnaire/health?return_to=check")
    browser.get(browser.location)
    assert "Are you pregnant, breastfeeding or planning a pregnancy?" in browser.page


# --- one answer presenter: the same words in the same order on every surface (issue 12) -------------------------------
_DEFINITION = re.compile(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", re.S)


def _words(markup: str) -> str:
    """The words of a piece of markup: list items joined by "; ", tags dropped, white space collapsed."""
    markup = re.sub(r"</li>\s*<li>", "; ", markup)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", markup))).strip()


def definitions(markup: str) -> list[tuple[str, str]]:
    """(label, answer) of each row of the description lists in ``markup``."""
    return [(_words(term), _words(detail)) for term, detail in _DEFINITION.findall(markup)]


def test_check_your_answers_the_staff_page_the_summary_and_the_csv_word_every_answer_alike(
    app: Flask, browser: Browser
) -> None:
    """The drift issue 12 fixed: an unticked "I don't take any medicines" read "Not answered" on check your answers
    but "No" on the staff page, and the health page's follow-ups came in another order."""
    given = answers(**BRANCHES["every follow-up"])  # lists medicines: the box is left unticked
    start(browser)
    fill_every_step(browser, given)
    check = browser.get("/questionnaire/check")
    checked = definitions(check[: check.index("Now send your answers")])
    submit(browser)
    with app.app_context():
        reference = db.session.scalars(select(Submission.reference)).one()

    staff = Browser(app.test_client())
    sign_in_admin(staff.client, app)
    page = staff.get(f"/staff/submissions/{reference}")
    answers_part = page[page.index('id="answers-heading"') :]
    listed = definitions(answers_part[: answers_part.index("</section>")])
    assert listed == checked
    assert ("Do you take any medicines?", "I take medicines") in listed  # a sentence, never a bare "No"
    labels = [label for label, _answer in listed]
    assert labels.index("Your last blood pressure reading: top number (optional)") < labels.index(
        "Have you had a heart attack in the past 6 months?"
    )  # the definition's order, on both pages
    assert ("Your last blood pressure reading: top number (optional)", "150 mmHg") in listed

    by_label = dict(listed)
    summary = staff.get(f"/staff/submissions/{reference}/summary")
    key_part = summary[summary.index("<h2>Key answers</h2>") : summary.index("<h2>Staff notes</h2>")]
    if "summary-sources" in key_part:
        key_part = key_part[: key_part.index("summary-sources")]
    printed = definitions(key_part)
    assert printed, "no key answers printed"
    by_short = {question.short: question for question in QUESTIONS.values()}
    for short, answer in printed:
        assert answer == by_label[by_short[short].label], short

    staff.get("/staff/admin/export")  # for its CSRF token
    response = staff.client.post(
        "/staff/admin/export.csv", data={"csrf_token": staff.csrf_token(), "include_answers": "y"}
    )
    header, record = csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline=""))
    cells = dict(zip(header, record, strict=True))
    in_csv = [re.sub(r"\s+", " ", cells[question_id]) for question_id in QUESTIONS if cells[question_id]]
    assert in_csv == ["Yes", *(answer for _label, answer in listed)]  # consent to store first; line breaks folded


def test_check_your_answers_says_i_dont_take_any_medicines_as_a_sentence(app: Flask, browser: Browser) -> None:
    """Issue 13, item 8: the ticked box reads as the patient's own sentence under a question, not "Yes" or "No"."""
    start(browser)
    fill_every_step(browser, answers())  # the baseline ticks "I don't take any medicines"
    check = browser.get("/questionnaire/check")
    listed = definitions(check[: check.index("Now send your answers")])
    assert ("Do you take any medicines?", "I don't take any medicines") in listed
    assert "Change do you take any medicines?" in _words(check)


@pytest.mark.parametrize(
    ("medicines", "rows"),
    [
        (["Lyrica 150mg"], 5),  # at least five rows
        ([f"Medicine {n}" for n in range(1, 13)], 13),  # a row per line and one to spare
        (["x" * 150], 5),  # a long line counts a row per 60 characters
        ([f"Medicine {n}" for n in range(1, 60)], 25),  # at most 25 rows; then the box scrolls
    ],
)
def test_medicines_box_grows_with_its_content_without_javascript(
    browser: Browser, medicines: list[str], rows: int
) -> None:
    start(browser)
    fill_every_step(browser, answers(medicines=medicines))
    page = browser.get("/questionnaire/medications")
    box = re.search(r'<textarea[^>]*name="current_medications"[^>]*>', page)
    assert box and f'rows="{rows}"' in box.group(0) and "app-textarea--grows" in box.group(0)
