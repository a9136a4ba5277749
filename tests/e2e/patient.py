"""A patient in the browser who only reads the page: every field is found by its label, legend or role (the
words of ``screening/clinical/questionnaire.py``), never by an id or a CSS selector. Also the answer sets of the browser
tests, and ``seed`` to fill earlier steps quickly through plain HTTP posts when a test is about a later page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlparse

from playwright.sync_api import Locator, Page, expect

from screening.clinical import journey
from screening.clinical.questionnaire import (
    DEFAULT_LOCALE,
    QUESTIONS,
    STEP_BY_ID,
    QType,
    Question,
    clean_answers,
    localise,
    parse_date,
)
from screening.forms import layout
from tests.answer_sets import answers
from tests.app.form_posts import form_data

#: The healthy baseline, but PHQ-9 item 9 above 0, so the support page is asked (no phone given: it asks for one).
WITH_SUPPORT: dict[str, Any] = dict(
    clean_answers(
        answers(phq9_9=1, self_harm_intent="no", self_harm_recent_attempt="no", contact_phone_today="07700 900 982")
    ).values
)

#: Every follow-up question answered, so that each conditional reveal is open on the "filled" pages.
EVERY_FOLLOW_UP: dict[str, Any] = dict(
    clean_answers(
        answers(
            referral_source="primary_care",
            referrer_name="Dr Example",
            phone="01632 960 001",
            pain_conditions=["crps", "other"],
            pain_conditions_other="endometriosis",
            pain_description="Burning pain in my left foot.\nWorse at night.",
            previous_ketamine="yes",
            previous_ketamine_effect="helped_a_little",
            previous_ketamine_bad_reaction="no",
            previous_ketamine_notes="Three infusions in 2023",
            medicines=["Lyrica 150mg twice a day", "co-codamol 30/500"],
            medication_checklist=["opioid", "gabapentinoid"],
            opioid_daily="yes",
            other_allergies="Penicillin: a rash",
            heart_conditions=[
                "high_blood_pressure",
                "heart_attack",
                "coronary_disease",
                "heart_failure",
                "valve_disease",
            ],
            bp_controlled="yes",
            bp_crisis_recent="no",
            heart_attack_recent="no",
            angina_unstable="no",
            heart_failure_breathless="no",
            valve_breathless="unsure",
            bp_systolic=150,
            bp_diastolic=95,
            other_conditions=["liver_disease", "overactive_thyroid", "sleep_apnoea", "lung_disease", "porphyria"],
            liver_severity="moderate",
            thyroid_controlled="yes",
            uses_cpap="yes",
            height_cm=170,
            weight_kg=80,
            neck_large="yes",
            neck_43cm="no",
            chest_pain_since_mi="no",
            mental_health_history=["ptsd", "schizophrenia_psychosis"],
            dissociation_frequent="no",
            psychosis_current="no",
            phq9_9=1,
            self_harm_intent="no",
            self_harm_recent_attempt="no",
            auditc_1="2",
            auditc_2="1",
            auditc_3="0",
            drugs_past_year=["ketamine"],
            ketamine_use_bad_reaction="no",
            substance_treatment_ever="yes",
            substance_treatment_for=["alcohol"],
            contact_times=["mornings"],
        )
    ).values
)

#: Answers that mean "act now" on two pages (chest pain at rest on "Your health", a plan to act on thoughts of
#: self-harm on "Support for you"): each shows the act-now page after Continue, and the submission is urgent.
ACT_NOW_ANSWERS: dict[str, Any] = dict(
    clean_answers(
        answers(
            heart_conditions=["coronary_disease"],
            angina_unstable="yes",
            phq9_9=2,
            self_harm_intent="yes",
            self_harm_recent_attempt="no",
            phone="01632 960 001",
        )
    ).values
)

REFERENCE = re.compile(r"KT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')
# The legend of the nearest fieldset: tells a question's own options from those of a follow-up nested in it.
_OWN_LEGEND = "el => el.closest('fieldset').querySelector('legend').textContent.replace(/\\s+/g, ' ').trim()"


def required_errors(step_id: str, given: Mapping[str, Any]) -> list[str]:
    """The messages an empty page shows for its required questions (those not inside a reveal)."""
    return [node.question.error for node in layout(step_id, given) if node.question.required]


class Patient:
    """Drives one page like a sighted mouse user who reads labels. ``after_load(page)`` runs after every page
    load the patient causes (a layout or accessibility check)."""

    def __init__(self, page: Page, after_load: Callable[[Page], None] | None = None) -> None:
        self.page = page
        self.after_load = after_load or (lambda page: None)

    # --- reading ---------------------------------------------------------------------------------------------
    @property
    def step_id(self) -> str:
        """The last part of the address: a step id, "check" or "confirmation"."""
        return urlparse(self.page.url).path.rstrip("/").rsplit("/", 1)[-1]

    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert").filter(has=self.page.get_by_role("heading", name="There is a problem"))

    def errors(self) -> list[str]:
        """The messages of the error summary, in order (empty when there is no summary)."""
        if self.error_summary().count() == 0:
            return []
        return [text.strip() for text in self.error_summary().get_by_role("link").all_inner_texts()]

    # --- acting ----------------------------------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.page.goto(path)
        self.after_load(self.page)

    def press(self, button: str) -> None:
        """Press a button that loads a page (every button of the questionnaire does)."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        self.after_load(self.page)

    def follow(self, link: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link, exact=True).click()
        self.after_load(self.page)

    def start(self) -> None:
        """On the start page: agree to the answers being stored, then "Start now"."""
        self.give(QUESTIONS["consent_store"], True)
        self.press("Start now")

    def answer(self, step_id: str, given: Mapping[str, Any]) -> None:
        """Answer the questions of ``step_id`` found in ``given``, top to bottom (a follow-up after its parent)."""
        for question in STEP_BY_ID[step_id]:
            if question.id in given:
                self.give(question, given[question.id])

    def fill_every_step(self, given: Mapping[str, Any]) -> list[str]:
        """From the current step, answer and continue page after page until "check your answers"; returns the
        steps visited."""
        visited = []
        while self.step_id != "check":
            step_id = self.step_id
            assert step_id in STEP_BY_ID, f"unexpected page {self.page.url}"
            assert step_id not in visited, f"{step_id} shown again: {self.errors()}"
            visited.append(step_id)
            self.answer(step_id, given)
            self.press("Continue")
        return visited

    def give(self, question: Question, value: Any) -> None:
        """One answer, the way a person would give it: type into the labelled box, choose the option by its words."""
        label = localise(question.label, DEFAULT_LOCALE)  # the live server runs in the default locale (en-GB)

        def words(code: str) -> str:
            return localise(question.option_label(code), DEFAULT_LOCALE)

        if question.type in (QType.CONSENT, QType.CHECKBOX):
            self.page.get_by_role("checkbox", name=label, exact=True).set_checked(value is True)
        elif question.type is QType.MULTI:
            for code in value:
                self.option("checkbox", label, words(code)).check()
        elif question.options:
            self.option("radio", label, words(str(value))).check()
        elif question.type is QType.DATE:
            day = parse_date(value)
            assert day is not None
            group = self.page.get_by_role("group", name=label, exact=True)
            for part, number in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
                group.get_by_label(part, exact=True).fill(str(number))
        elif question.type is QType.MEASURE:  # a height or weight: choose its metric unit, then type the number
            group = self.page.get_by_role("group", name=label, exact=True)
            metric = {"cm": "Centimetres", "kg": "Kilograms"}[question.unit]
            group.get_by_role("radio", name=metric, exact=True).check()
            group.get_by_role("textbox", name=metric, exact=True).fill(str(value))
        else:
            self.page.get_by_label(label, exact=True).fill(str(value))

    def option(self, role: str, legend: str, text: str) -> Locator:
        """The radio or checkbox ``text`` of the question whose legend is ``legend`` (not one of the same words in a
        follow-up revealed inside it, such as a nested "No")."""
        candidates = self.page.get_by_role("group", name=legend, exact=True).get_by_role(role, name=text, exact=True)
        if candidates.count() == 1:
            return candidates
        own = [option for option in candidates.all() if option.evaluate(_OWN_LEGEND) == " ".join(legend.split())]
        assert len(own) == 1, f"{len(own)} {role}s {text!r} under {legend!r} on {self.page.url}"
        return own[0]


def seed(page: Page, given: Mapping[str, Any], *, until: str) -> None:
    """Consent and answer every step before ``until`` ("check" for all) with plain form posts from the page's
    context (same cookies, CSRF token read from each page), as fast as a test client: for tests about later pages."""
    _post(page, "/", {"consent_store": "y"})
    for step in journey.shown_steps(given):
        if step.id == until:
            return
        _post(page, f"/questionnaire/{step.id}", form_data(step.id, given))
    assert until == "check", f"{until} is not a step shown for these answers"


def _post(page: Page, path: str, data: Mapping[str, Any]) -> None:
    form = page.request.get(path).text()
    tag = _CSRF.search(form)
    assert tag, f"no CSRF token on {path}"
    token = _VALUE.search(tag.group(0))
    assert token
    response = page.request.post(
        path,
        data=urlencode({**data, "csrf_token": token.group(1)}, doseq=True),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.ok and urlparse(response.url).path != path, f"{path} was not saved: {response.status}"


def expect_reference(page: Page) -> str:
    """The confirmation page shows a reference like KT-7Q4M-9XHD; returns it."""
    expect(page.get_by_role("heading", name="Your answers have been sent")).to_be_visible()
    found = REFERENCE.search(page.get_by_role("main").inner_text())
    assert found, "no reference on the confirmation page"
    return found.group(0)
