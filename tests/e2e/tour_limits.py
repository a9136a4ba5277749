"""The tour's rate-limited pages (``ENTRIES``, added to ``tour.TOUR``; issue 15): a question page sent once too often
from one address (429, what was typed shown again with a plain notice) and the staff sign-in past its limit (the 429
page). The live server's limits are off for the rest of the tour; ``_limited`` switches them on for one visit, uses up
the group's budget with bare POSTs, and afterwards clears every count and switches them off again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, expect

from screening.limits import GROUPS, PATIENT_MESSAGE, STAFF_MESSAGE, limiter_of
from tests.e2e import staff
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, seed

Check = Callable[[Page, str], object]


@contextmanager
def _limited(page: Page, group: str, path: str) -> Iterator[None]:
    """Limits on, and ``group``'s budget per minute used up by POSTs to ``path`` (refused for their missing token)."""
    limiter = limiter_of(staff.app())
    limiter.enabled = True
    try:
        for _ in range(int(GROUPS[group].limits.split("/minute")[0])):
            page.request.post(path, max_redirects=0)
        yield
    finally:
        limiter.reset()
        limiter.enabled = False


def visit_step_rate_limited(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="about_you")
    patient.open("/questionnaire/about_you")
    patient.answer("about_you", EVERY_FOLLOW_UP)
    with _limited(page, "patient-page", "/questionnaire/finish"):
        patient.press("Continue")
        assert patient.step_id == "about_you"
        expect(page.get_by_role("region", name="Important")).to_contain_text(PATIENT_MESSAGE)
        expect(page.get_by_label("Full name")).to_have_value(EVERY_FOLLOW_UP["full_name"])
        check(page, "about-you-rate-limited")
    patient.press("Continue")
    assert patient.step_id != "about_you", patient.errors()


def visit_sign_in_rate_limited(page: Page, check: Check) -> None:
    account = staff.create_account()
    page.goto("/staff/login")
    with _limited(page, "staff-sign-in", "/staff/login"):
        staff.enter_password(page, account)
        expect(page.get_by_role("heading", level=1)).to_have_text("Wait a minute, then try again")
        expect(page.get_by_text(STAFF_MESSAGE)).to_be_visible()
        check(page, "staff-login-rate-limited")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "about-you-rate-limited": visit_step_rate_limited,
    "staff-login-rate-limited": visit_sign_in_rate_limited,
}
