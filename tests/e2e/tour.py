"""The tour of every page: ``TOUR`` maps a page to a function that brings a browser page there and calls
``check(page, name)`` in each of its states (empty, with errors, filled, and any notice it can show). Used by
test_every_page.py (axe, layout, screenshots) and test_valid_html.py (the Nu checker).

A new page (staff pages, the printable summary) is one more entry, usually one line, e.g.
``"staff-queue": partial(visit_path, "/staff/", "staff-queue", before=sign_in)``; a page with several states gets
a ``visit_...`` function like those below.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from playwright.sync_api import Page, expect

from screening import journey
from screening.questionnaire import QUESTIONS
from tests.e2e import a11y
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, expect_reference, seed

Check = Callable[[Page, str], object]
STEPS = [step.id for step in journey.shown_steps(EVERY_FOLLOW_UP)]


def expire_csrf_token(page: Page) -> None:
    """As after a long pause: the page's CSRF token no longer matches the session (test rigging, not a user act)."""
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(input => { input.value = 'expired' })")


def visit_start(page: Page, check: Check) -> None:
    patient = Patient(page)
    patient.open("/")
    check(page, "start")
    disclosure = page.get_by_text("Learn about ketamine therapy", exact=True)
    if disclosure.is_visible():  # narrow screens: the article is a closed disclosure after the form
        disclosure.click()
        expect(page.get_by_role("heading", name="About ketamine therapy")).to_be_visible()
        check(page, "start-article-open")
    patient.press("Start now")
    check(page, "start-error")
    patient.give(QUESTIONS["consent_store"], True)
    check(page, "start-filled")
    expire_csrf_token(page)
    patient.press("Start now")
    check(page, "start-timed-out")
    patient.start()
    patient.open("/")
    expect(page.get_by_role("heading", name="Continue where you left off")).to_be_visible()
    check(page, "start-resume")


def visit_step(step_id: str, page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until=step_id)
    patient.open(f"/questionnaire/{step_id}")
    check(page, step_id)
    patient.press("Continue")
    assert patient.errors(), f"{step_id}: no error summary after an empty Continue"
    check(page, f"{step_id}-error")
    patient.answer(step_id, EVERY_FOLLOW_UP)
    check(page, f"{step_id}-filled")
    patient.press("Continue")
    assert patient.step_id != step_id, patient.errors()
    # Back on the page, as served with the saved answers: its HTML only (its look is the filled state above).
    patient.open(f"/questionnaire/{step_id}")
    a11y.record_html(page, f"{step_id}-answered")


def visit_about_you_notices(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="about_you")
    patient.open("/questionnaire/about_you")
    patient.answer("about_you", {**EVERY_FOLLOW_UP, "date_of_birth": date(date.today().year - 10, 1, 1).isoformat()})
    patient.press("Continue")
    expect(page.get_by_text("This service is for adults aged 18 or over.")).to_be_visible()
    check(page, "about_you-under-age")
    expire_csrf_token(page)
    patient.press("Continue")
    expect(page.get_by_text("Your session timed out")).to_be_visible()
    check(page, "about_you-timed-out")


def visit_check_and_confirmation(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="check")
    patient.open("/questionnaire/check")
    check(page, "check")
    patient.press("Send my answers")
    expect_reference(page)
    check(page, "confirmation")


def visit_path(path: str, name: str, page: Page, check: Check, *, status: int = 200,
               before: Callable[[Page], object] | None = None) -> None:
    """A page reached by its address alone (after ``before``, such as signing in), in one state."""
    if before is not None:
        before(page)
    response = page.goto(path)
    assert response is not None and response.status == status, f"{path}: {response and response.status}"
    check(page, name)


TOUR: dict[str, Callable[[Page, Check], None]] = {
    "start": visit_start,
    **{step_id: partial(visit_step, step_id) for step_id in STEPS},
    "about_you-notices": visit_about_you_notices,
    "check-and-confirmation": visit_check_and_confirmation,
    "not-found": partial(visit_path, "/questionnaire/no-such-page", "not-found", status=404),
}
#: Names of the TOUR entries this process has been through completely (test_valid_html.py renders the others).
VISITED: set[str] = set()

#: README screenshots: (state, width) -> file in docs/screenshots/, the top of the page only (each stays small).
#: Refresh with: SCREENING_DOC_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e/test_every_page.py
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DOC_SCREENSHOTS = {
    ("start", 1280): "start-1280.png",
    ("about_you", 320): "about-you-320.png",
    ("about_you-error", 1280): "about-you-error-1280.png",
    ("check", 1280): "check-your-answers-1280.png",
}


def check_and_document(page: Page, name: str) -> None:
    """``a11y.check_page``, and the README's screenshot of this state when asked for."""
    a11y.check_page(page, name)
    width = page.viewport_size["width"] if page.viewport_size else 0
    target = DOC_SCREENSHOTS.get((name, width))
    if target and os.environ.get("SCREENING_DOC_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / target), animations="disabled", caret="hide")
