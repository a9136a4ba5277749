"""The tour's "we will not keep what you typed" state of a question page (``ENTRIES``, added to ``tour.TOUR``;
issue 13): text typed in a follow-up revealed under "Yes", then "No" chosen (the reveal closes, the text stays in the
page), Continue shows the page again with the notice; Continue again saves without the text and moves on."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from screening.clinical.questionnaire import QUESTIONS
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, seed

Check = Callable[[Page, str], object]
NOTICE = "Check what you typed before you carry on"


def visit_unkept_notice(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="treatments")
    patient.open("/questionnaire/treatments")
    patient.answer("treatments", EVERY_FOLLOW_UP)  # "Yes", and notes typed in its reveal
    patient.give(QUESTIONS["previous_ketamine"], "no")
    patient.press("Continue")
    assert patient.step_id == "treatments", "saved without telling the patient"
    expect(page.get_by_text(NOTICE)).to_be_visible()
    expect(page.get_by_role("region", name="Important")).to_contain_text("Anything else about your ketamine treatment?")
    check(page, "treatments-unkept")
    patient.press("Continue")
    assert patient.step_id != "treatments", patient.errors()


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "treatments-unkept": visit_unkept_notice,
}
