"""Issue 13 item 2 in a real browser: start a form in one browser, "Save and come back later", read the code off the
page, and carry on in a second browser (a new context: no shared cookies) with the code and the date of birth, landing
on the page the patient had reached, with the answers kept; a wrong code gets the neutral message."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, NARROW, NewPage
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, seed
from tests.e2e.tour_resume import WRONG_CODE, born_of, clear_wrong_tries, enter, save_with_code


def test_resume_with_the_code_in_a_second_browser_lands_on_the_right_page(new_page: NewPage) -> None:
    clear_wrong_tries()
    first = new_page(DESKTOP)
    seed(first, EVERY_FOLLOW_UP, until="pain")
    code = save_with_code(first, came_from="pain")
    expect(first.get_by_text("You will also need your date of birth", exact=False)).to_be_visible()

    second = new_page(NARROW)  # another device: a new browser context, no cookies in common
    second.goto("/")
    expect(second.get_by_role("heading", name="Continue where you left off")).to_have_count(0)
    with second.expect_navigation():
        second.get_by_role("link", name="Continue a form you saved with a code", exact=True).click()
    enter(second, "ZZZZ-ZZZZ-ZZZZ", born_of(EVERY_FOLLOW_UP))
    expect(second.get_by_role("link", name=WRONG_CODE)).to_be_visible()
    enter(second, code.lower().replace("-", " "), born_of(EVERY_FOLLOW_UP))
    assert Patient(second).step_id == "pain", second.url
    second.goto("/questionnaire/about_you")
    expect(second.get_by_label("Full name", exact=True)).to_have_value(EVERY_FOLLOW_UP["full_name"])
    second.goto("/")
    expect(second.get_by_role("heading", name="Continue where you left off")).to_be_visible()
    clear_wrong_tries()
