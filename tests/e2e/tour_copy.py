"""The tour's "A copy of your answers" pages (``ENTRIES``, added to ``tour.TOUR``): the page to print, reached from
the confirmation page's "Print your answers" link (its "Print this page" button shown by the app's JavaScript and
calling ``window.print``), and the kind page a browser gets when the copy is no longer available (here: a browser
that never sent anything, as after the 30 minutes)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, expect_reference, seed

Check = Callable[[Page, str], object]
EXPIRED = "This copy of your answers is no longer available"


def visit_your_answers(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="check")
    patient.open("/questionnaire/check")
    patient.press("Send my answers")
    reference = expect_reference(page)
    patient.follow("Print your answers")
    expect(page.get_by_role("heading", level=1)).to_have_text("A copy of your answers")
    expect(page.get_by_role("main")).to_contain_text(reference)
    button = page.get_by_role("button", name="Print this page", exact=True)
    expect(button).to_be_visible()
    expect(page.get_by_text("use your browser's Print option")).to_be_hidden()
    check(page, "your-answers")
    page.evaluate("window.print = () => { window.appPrinted = true }")  # no print dialog in a test browser
    button.click()
    assert page.evaluate("window.appPrinted === true"), "the button did not call window.print()"
    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    expect(page.locator(".app-header")).to_be_hidden()
    expect(page.get_by_role("main")).to_contain_text(reference)
    page.emulate_media(media="screen")


def visit_copy_expired(page: Page, check: Check) -> None:
    response = page.goto("/your-answers")
    assert response is not None and response.status == 410, response and response.status
    expect(page.get_by_role("heading", level=1)).to_have_text(EXPIRED)
    check(page, "your-answers-expired")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "your-answers": visit_your_answers,
    "your-answers-expired": visit_copy_expired,
}
