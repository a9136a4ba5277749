"""The whole questionnaire with the keyboard alone (Tab, Space, Enter, arrows): the skip link is the first stop and
moves focus to the main content, every stop shows a visible focus indicator, a failed submit puts focus on the
error summary, and its links take focus to the question; the act-now page is left by keyboard without JavaScript."""

from __future__ import annotations

from playwright.sync_api import Page

from screening.clinical import journey
from screening.clinical.questionnaire import QUESTIONS
from tests.e2e import a11y
from tests.e2e.keyboard import KeyboardUser
from tests.e2e.patient import ACT_NOW_ANSWERS, WITH_SUPPORT, Patient, expect_reference, seed

CONSENT = QUESTIONS["consent_store"]


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(desktop_page: Page) -> None:
    user = KeyboardUser(desktop_page)
    desktop_page.goto("/")
    assert user.tab().is_link("Skip to main content")
    user.press("Enter")
    assert desktop_page.evaluate("document.activeElement.id") == "main-content"
    focus = user.tab()
    assert focus.in_main and focus.is_link("999"), "the emergency number, a tel: link in the start page's text"
    focus = user.tab()
    assert focus.in_main and focus.label == CONSENT.label


def test_keyboard_user_completes_the_questionnaire(desktop_page: Page) -> None:
    page, user = desktop_page, KeyboardUser(desktop_page)
    page.goto("/")

    user.tab_to(lambda focus: focus.is_button("Start now"), "Start now")
    user.press_and_load("Enter")  # without agreeing
    _expect_error_summary_focused(user)
    assert user.tab().is_link(CONSENT.error)
    user.press("Enter")
    assert user.expect_visible_focus().label == CONSENT.label
    user.press("Space")
    user.tab_to(lambda focus: focus.is_button("Start now"), "Start now")
    user.press_and_load("Enter")

    user.tab_to(lambda focus: focus.is_button("Continue"), "Continue")
    user.press_and_load("Enter")  # about you, empty
    _expect_error_summary_focused(user)
    assert user.tab().is_link(QUESTIONS["full_name"].error)
    user.press("Enter")
    assert user.expect_visible_focus().label == "Full name"
    visited = [user.answer_page(WITH_SUPPORT, from_focus=True)]
    while Patient(page).step_id != "check":
        visited.append(user.answer_page(WITH_SUPPORT))
    assert visited == [step.id for step in journey.shown_steps(WITH_SUPPORT)]

    user.tab_to(lambda focus: focus.is_button("Send my answers"), "Send my answers")
    user.press_and_load("Enter")
    expect_reference(page)


def test_keyboard_user_without_javascript_meets_the_act_now_page_and_carries_on(nojs_page: Page) -> None:
    """A plan to act on thoughts of self-harm, given by keyboard with JavaScript off: Continue shows the act-now page
    (axe-clean, the numbers as tel: links), and Tab then Enter on its link carries on to the next page."""
    page, user = nojs_page, KeyboardUser(nojs_page)
    seed(page, ACT_NOW_ANSWERS, until="support")
    page.goto("/questionnaire/support")
    assert user.answer_page(ACT_NOW_ANSWERS) == "support"
    assert Patient(page).step_id == "important"
    a11y.record_html(page, "nojs-act-now")
    a11y.assert_accessible(page, "nojs-act-now")
    assert user.tab_to(lambda focus: focus.is_link("999"), "the emergency number").in_main
    assert page.locator("main a[href='tel:999']").count() >= 1
    user.tab_to(lambda focus: focus.is_link("Carry on with the form"), "the carry-on link")
    user.press_and_load("Enter")
    assert Patient(page).step_id == journey.next_step("support", ACT_NOW_ANSWERS)


def _expect_error_summary_focused(user: KeyboardUser) -> None:
    focus = user.expect_visible_focus()
    assert "govuk-error-summary" in focus.classes.split(), f"focus is on {focus}, not the error summary"
