"""The whole patient journey in a real browser, three ways: 1280 px wide, 320 px wide (no page may scroll
sideways) and with JavaScript off (also checked with axe, since its pages differ: every reveal open, no focus
moves). The patient reads labels only: meets and fixes errors, goes back, changes an answer, sends, gets a
reference. Each page in each state is also checked on its own in test_every_page.py."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from screening.clinical import journey
from screening.clinical.questionnaire import QUESTIONS
from tests.e2e import a11y
from tests.e2e.conftest import DESKTOP, NARROW, NewPage
from tests.e2e.patient import WITH_SUPPORT, Patient, expect_reference, required_errors

WAYS = {
    "desktop": (DESKTOP, True),
    "320px": (NARROW, True),
    "no-javascript": (DESKTOP, False),
}


def _checks(way: str) -> Callable[[Page], None]:
    """What is checked after every page load: sideways scrolling at 320 px; axe and the HTML without JavaScript."""
    count = itertools.count(1)
    if way == "320px":
        return lambda page: a11y.assert_no_horizontal_scroll(page, page.url)

    def without_javascript(page: Page) -> None:
        name = f"nojs-{next(count):02d}-{Patient(page).step_id or 'start'}"
        a11y.record_html(page, name)
        a11y.assert_accessible(page, name)

    return without_javascript if way == "no-javascript" else (lambda page: None)


@pytest.mark.parametrize("way", WAYS)
def test_patient_answers_every_page_fixes_errors_changes_an_answer_and_gets_a_reference(
    new_page: NewPage, way: str
) -> None:
    viewport, javascript = WAYS[way]
    page = new_page(viewport, javascript=javascript)
    patient = Patient(page, after_load=_checks(way))
    patient.open("/")

    patient.press("Start now")  # without agreeing first
    assert patient.errors() == [QUESTIONS["consent_store"].error]
    patient.start()

    assert patient.step_id == "about_you"
    patient.press("Continue")  # an empty page
    assert set(required_errors("about_you", {})) <= set(patient.errors())
    expect(page.get_by_text(f"Error: {QUESTIONS['full_name'].error}", exact=True)).to_be_visible()
    patient.answer("about_you", WITH_SUPPORT)
    patient.press("Continue")

    assert patient.step_id == "pain"
    patient.follow("Back")
    assert patient.step_id == "about_you"
    expect(page.get_by_label("Full name", exact=True)).to_have_value(WITH_SUPPORT["full_name"])
    patient.press("Continue")

    visited = patient.fill_every_step(WITH_SUPPORT)
    assert ["about_you", *visited] == [step.id for step in journey.shown_steps(WITH_SUPPORT)]
    assert "support" in visited

    patient.follow("Change full name")
    assert patient.step_id == "about_you"
    page.get_by_label("Full name", exact=True).fill("Sam Changed")
    patient.press("Continue")
    assert patient.step_id == "check"
    expect(page.get_by_role("main")).to_contain_text("Sam Changed")

    patient.press("Send my answers")
    assert patient.step_id == "confirmation"
    expect_reference(page)
