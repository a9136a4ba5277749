"""Every page in each of its states (``tour.TOUR``), 1280 px and 320 px wide: zero axe violations (WCAG 2.2 A/AA
and best practice), no sideways scrolling at 320 px, and a full-page screenshot of each in tests/e2e/.screenshots/
(git-ignored: look at them). The HTML of each is kept for test_valid_html.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import DESKTOP, NARROW, NewPage
from tests.e2e.tour import TOUR, VISITED, check_and_document


@pytest.fixture(params=["1280px", "320px"])
def page(request: pytest.FixtureRequest, new_page: NewPage) -> Page:
    return new_page(DESKTOP if request.param == "1280px" else NARROW)


@pytest.mark.parametrize("name", TOUR)
def test_page_in_every_state_is_accessible_and_fits(page: Page, name: str) -> None:
    TOUR[name](page, check_and_document)
    VISITED.add(name)
