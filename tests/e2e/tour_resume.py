"""The tour's "Save and come back later" pages (``ENTRIES``, added to ``tour.TOUR``): the save page before and after
the "About you" page, the code page, the resume form (empty, with errors, with a wrong code, locked after too many
tries), the emailed link's date-of-birth page, and "This isn't me" for a form saved with a code. Also the helpers the
browser test of resuming uses.

Every browser shares one address (127.0.0.1), so each visit that makes wrong tries clears them afterwards (test
rigging, like ``tour.expire_csrf_token``), lest the per-address limit refuse the next visit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import delete

from screening.extensions import db
from screening.models import ResumeFailure
from screening.patient import drafts, resume
from tests.e2e import staff
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, seed

Check = Callable[[Page, str], object]
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
WRONG_CODE = "The code or date of birth is not right. Check them and try again."


def clear_wrong_tries() -> None:
    """Forget the wrong tries to resume from every address (all the browsers here are 127.0.0.1)."""
    with staff.app().app_context():
        db.session.execute(delete(ResumeFailure))
        db.session.commit()


def press(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def save_with_code(page: Page, *, came_from: str = "pain") -> str:
    """On a page with a draft: "Save and come back later", "Get a code"; returns the code read off the page."""
    page.goto(f"/questionnaire/{came_from}")
    with page.expect_navigation():
        page.get_by_role("link", name="Save and come back later", exact=True).click()
    press(page, "Get a code")
    expect(page.get_by_role("heading", name="Your answers are saved")).to_be_visible()
    found = CODE.search(page.locator("#resume-code").inner_text())
    assert found, "no code on the page"
    return found.group(0)


def enter(page: Page, code: str | None, born: tuple[int, int, int] | None) -> None:
    """Type a code (when asked for one) and a date of birth, by their labels, then Continue."""
    if code is not None:
        page.get_by_label("Your code", exact=True).fill(code)
    if born is not None:
        group = page.get_by_role("group", name="Date of birth", exact=True)
        for part, number in zip(("Day", "Month", "Year"), born, strict=True):
            group.get_by_label(part, exact=True).fill(str(number))
    press(page, "Continue")


def born_of(given: dict[str, Any]) -> tuple[int, int, int]:
    year, month, day = (int(part) for part in given["date_of_birth"].split("-"))
    return day, month, year


# --- the tour --------------------------------------------------------------------------------------------------------
def visit_save_for_later(page: Page, check: Check) -> None:
    seed(page, EVERY_FOLLOW_UP, until="about_you")
    page.goto("/save-for-later?page=about_you")
    expect(page.get_by_role("heading", name="Answer the “About you” page first")).to_be_visible()
    check(page, "save-for-later-about-you-first")
    patient = Patient(page)
    patient.open("/questionnaire/about_you")
    patient.answer("about_you", EVERY_FOLLOW_UP)
    patient.press("Continue")
    page.goto("/save-for-later?page=pain")
    check(page, "save-for-later")
    press(page, "Get a code")
    expect(page.locator("#resume-code")).to_have_text(CODE)
    check(page, "save-for-later-code")


def visit_resume(page: Page, check: Check) -> None:
    """The resume form empty, with errors, with a wrong code, and locked after 5 wrong dates of birth."""
    clear_wrong_tries()
    seed(page, EVERY_FOLLOW_UP, until="pain")
    code = save_with_code(page)
    page.goto("/resume")
    check(page, "resume")
    press(page, "Continue")
    expect(page.get_by_role("link", name="Enter your code")).to_be_visible()
    check(page, "resume-error")
    day, month, year = born_of(EVERY_FOLLOW_UP)
    enter(page, "ABCD-EFGH-JKMN", (day, month, year))
    expect(page.get_by_role("link", name=WRONG_CODE)).to_be_visible()
    check(page, "resume-wrong")
    for _ in range(resume.DRAFT_MAX_FAILURES):
        enter(page, code, (day % 28 + 1, month, year))
    expect(page.get_by_role("heading", name="There have been too many tries")).to_be_visible()
    check(page, "resume-locked")
    clear_wrong_tries()


def visit_resume_link(page: Page, check: Check) -> None:
    """The emailed link's page (the live server sends no email: the link is issued straight to a new draft)."""
    clear_wrong_tries()
    with staff.app().app_context():
        draft, _ = drafts.start_draft(draft_days=7)
        draft.answers = {**draft.answers, "date_of_birth": EVERY_FOLLOW_UP["date_of_birth"]}
        token = resume.issue_link(draft)
    page.goto(f"/resume/{token}")
    expect(page.get_by_role("heading", name="Continue your form")).to_be_visible()
    assert "/resume/date-of-birth" in page.url and token not in page.url
    check(page, "resume-link")
    press(page, "Continue")
    expect(page.get_by_role("link", name="Enter your date of birth")).to_be_visible()
    check(page, "resume-link-error")
    clear_wrong_tries()


def visit_not_me(page: Page, check: Check) -> None:
    seed(page, EVERY_FOLLOW_UP, until="pain")
    save_with_code(page)
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name="This isn't me — start a new form", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove this form from this device?")
    check(page, "resume-forget")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "save-for-later": visit_save_for_later,
    "resume": visit_resume,
    "resume-link": visit_resume_link,
    "resume-forget": visit_not_me,
}
