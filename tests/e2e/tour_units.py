"""The tour's states of a height or weight in another unit and of a phone number that cannot get texts (``ENTRIES``,
added to ``tour.TOUR``; issue 13, item 6): a height in feet and inches beyond the range, with the message in feet
and inches beside the boxes, then fixed; texts chosen with a landline, with the message beside the phone number."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from screening.clinical.questionnaire import QUESTIONS
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, seed

Check = Callable[[Page, str], object]


def visit_height_in_feet_and_inches(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="health")
    patient.open("/questionnaire/health")
    patient.answer("health", {key: value for key, value in EVERY_FOLLOW_UP.items() if key != "height_cm"})
    height = page.get_by_role("group", name="Your height (optional)", exact=True)
    height.get_by_role("radio", name="Feet and inches", exact=True).check()
    expect(height.get_by_role("textbox", name="Centimetres", exact=True)).to_be_hidden()  # the other unit's box
    height.get_by_role("textbox", name="Feet", exact=True).fill("8")
    height.get_by_role("textbox", name="Inches", exact=True).fill("3")
    patient.press("Continue")
    assert patient.step_id == "health", "a height beyond the range was saved"
    expect(page.get_by_text("Your height must be between 3 feet 4 inches and 8 feet 2 inches").first).to_be_visible()
    expect(height.get_by_role("textbox", name="Feet", exact=True)).to_have_value("8")  # what was typed comes back
    check(page, "health-feet-and-inches-error")
    height.get_by_role("textbox", name="Inches", exact=True).fill("1.5")  # 97.5 in = 247.65 cm
    patient.press("Continue")
    assert patient.step_id != "health", patient.errors()


def visit_texts_with_a_landline(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="about_you")
    patient.open("/questionnaire/about_you")
    patient.answer("about_you", {**EVERY_FOLLOW_UP, "phone": "020 7946 0000 ext. 12", "preferred_contact": "text"})
    patient.press("Continue")
    assert patient.step_id == "about_you", "texts were accepted for a landline"
    expect(page.get_by_text("Enter a mobile number to get text messages").first).to_be_visible()
    check(page, "about_you-texts-need-a-mobile")
    patient.give(QUESTIONS["phone"], "07700 900123 x4")
    patient.press("Continue")
    assert patient.step_id != "about_you", patient.errors()


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "health-feet-and-inches": visit_height_in_feet_and_inches,
    "about_you-texts-need-a-mobile": visit_texts_with_a_landline,
}
