"""The tour's branded page (``ENTRIES``, added to ``tour.TOUR``): the start page of a clinic that set
SCREENING_BRAND_COLOUR and SCREENING_LOGO_PATH. The live server is one app for the whole session, so this entry
gives that app a brand (checked by ``brand.load``, as at start) for the length of the visit and then takes it away
(test rigging: a real clinic sets the two settings and restarts)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from screening import brand
from tests.e2e import staff

Check = Callable[[Page, str], object]
COLOUR = "#1d4f91"
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48">'
    b'<rect width="160" height="48" rx="8" fill="#ffffff"/><circle cx="24" cy="24" r="14" fill="#1d4f91"/>'
    b'<rect x="48" y="16" width="96" height="16" rx="4" fill="#1d4f91"/></svg>'
)


def visit_branded_start(page: Page, check: Check) -> None:
    app = staff.app()
    bundled = app.extensions["screening_brand"]
    with tempfile.TemporaryDirectory() as folder:
        logo = Path(folder, "logo.svg")
        logo.write_bytes(LOGO)
        app.extensions["screening_brand"] = brand.load({"BRAND_COLOUR": COLOUR, "LOGO_PATH": str(logo)})
    try:
        page.goto("/")
        header = page.locator(".app-header")
        expect(header).to_have_css("background-color", "rgb(29, 79, 145)")
        image = page.locator("img.app-header__logo")
        expect(image).to_be_visible()
        assert image.evaluate("element => element.complete && element.naturalWidth > 0"), "the logo did not load"
        assert image.evaluate("element => element.getBoundingClientRect().height") <= 48
        check(page, "start-branded")
    finally:
        app.extensions["screening_brand"] = bundled


ENTRIES: dict[str, Callable[[Page, Check], None]] = {"start-branded": visit_branded_start}
