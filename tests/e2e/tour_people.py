"""The tour's "Finding people" and "Repeat submissions" pages (issue 14; ``ENTRIES``, added to ``tour.TOUR``): search
results found by a phone number typed another way and by name words in another order (each row with name, date of
birth, phone, waiting time, age in years and the "Repeat" marker); a submission's "Also submitted" panel, the
"Mark as superseded" form with its error, the page once marked, and the superseding submission's page.

Each visit makes its own person (a date of birth no other tour submission has), so the lists stay short whatever
ran before in this live server.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from screening.models import Role
from tests.e2e import staff

Check = Callable[[Page, str], object]
SEARCH_LABEL = "Reference, name, date of birth, phone number or email address"
_people = itertools.count(1)


def _person() -> dict[str, str]:
    """A person of their own: a date of birth, email and phone number no other tour submission has."""
    number = next(_people)
    born = (date.today() - timedelta(days=365 * 40 + number)).isoformat()
    return {
        "full_name": "Devendra 'Dev' Patel-O'Neill",
        "date_of_birth": born,
        "email": f"dev.patel.{number}@example.org",
        "phone": f"020 7946 {500 + number:04d}",
    }


def _submissions(count: int) -> tuple[list[str], dict[str, str]]:
    person = _person()
    return [staff.submit(**person) for _ in range(count)], person


def _search(page: Page, text: str) -> None:
    page.get_by_label(SEARCH_LABEL, exact=True).fill(text)
    staff.press(page, "Search")
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()


def visit_people_search(page: Page, check: Check) -> None:
    references, person = _submissions(2)
    staff.sign_in(page, Role.RECEPTION)
    _search(page, "+44 " + person["phone"][1:])  # typed in international form
    table = page.get_by_role("table", name="Matching submissions")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and the two submissions
    expect(table).to_contain_text("Patel-O'Neill")
    expect(table.get_by_role("row").filter(has_text=references[1])).to_contain_text("Repeat")
    check(page, "staff-people-search")
    _search(page, "oneill dev")  # words in another order, without the apostrophe
    expect(page.get_by_role("table", name="Matching submissions")).to_contain_text(references[0])
    check(page, "staff-people-search-name")


def visit_repeats(page: Page, check: Check) -> None:
    (first, second, third), _person_details = _submissions(3)
    staff.sign_in(page, Role.CLINICIAN)
    page.goto(f"/staff/submissions/{first}")
    repeats = page.get_by_role("region", name="Repeat submissions")
    expect(repeats).to_contain_text(f"Also submitted: {second}, {third}")
    check(page, "staff-repeats")
    repeats.get_by_text("Mark as superseded").click()
    staff.press(page, "Save")
    expect(page.get_by_role("link", name="Select the submission that replaces this one")).to_be_visible()
    check(page, "staff-repeats-error")
    page.get_by_role("group", name="Mark this submission as superseded by").get_by_role("radio", name=third).check()
    staff.press(page, "Save")
    expect(page.get_by_text(f"Marked as superseded by {third}")).to_be_visible()
    expect(page.get_by_role("region", name="Repeat submissions")).to_contain_text(f"Superseded by {third}")
    check(page, "staff-repeats-superseded")
    with page.expect_navigation():
        page.get_by_role("region", name="Repeat submissions").get_by_role("link", name=third).first.click()
    expect(page.get_by_role("region", name="Repeat submissions")).to_contain_text(
        re.compile(f"This submission supersedes {first}")
    )
    check(page, "staff-repeats-supersedes")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "staff-people-search": visit_people_search,
    "staff-repeats": visit_repeats,
}
