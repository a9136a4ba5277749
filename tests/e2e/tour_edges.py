"""The tour's page for a request the app could not read (``ENTRIES``, added to ``tour.TOUR``; issue 15, input edges):
"We could not read what was sent", as a patient sees it (their answers so far are saved) and as staff see it. A
control character in the address brings it up (``input_edges``)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

Check = Callable[[Page, str], object]
UNREADABLE = "We could not read what was sent"


def visit_unreadable(page: Page, check: Check) -> None:
    page.goto("/questionnaire/about_you?page=%00")
    expect(page.get_by_role("heading", level=1)).to_have_text(UNREADABLE)
    expect(page.get_by_text("Your answers so far are saved.")).to_be_visible()
    check(page, "unreadable")


def visit_staff_unreadable(page: Page, check: Check) -> None:
    page.goto("/staff/login?next=%1b")
    expect(page.get_by_role("heading", level=1)).to_have_text(UNREADABLE)
    expect(page.get_by_text("Nothing was changed. Go back and try again.")).to_be_visible()
    check(page, "staff-unreadable")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "unreadable": visit_unreadable,
    "staff-unreadable": visit_staff_unreadable,
}
