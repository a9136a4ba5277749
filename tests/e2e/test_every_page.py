"""Every page in each of its states (``tour.TOUR``), checked at 1280 px and again at 320 px wide in the same visit
(the viewport narrowed at each state, then widened again): zero axe violations (WCAG 2.2 A/AA and best practice), no
sideways scrolling at 320 px, and a full-page screenshot of each width in tests/e2e/.screenshots/ (git-ignored: look
at them). The HTML of each is kept for test_valid_html.py. One visit per page, not one per width, halves the time the
tour takes; walking the journey itself at 320 px is test_patient_flow.py's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import DESKTOP, NARROW, NewPage
from tests.e2e.tour import TOUR, VISITED, check_and_document


def check_at_both_widths(page: Page, name: str) -> None:
    """This state at 1280 px, then at 320 px, then back to 1280 px for the rest of the visit."""
    check_and_document(page, name)
    page.set_viewport_size(NARROW)
    try:
        check_and_document(page, name)
    finally:
        page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("name", TOUR)
def test_page_in_every_state_is_accessible_and_fits(new_page: NewPage, name: str) -> None:
    TOUR[name](new_page(DESKTOP), check_at_both_widths)
    VISITED.add(name)
