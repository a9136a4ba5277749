"""Nothing the patient typed is dropped without telling them (issue 13, item 5).

A follow-up revealed under an option keeps its text in the page when another option is chosen (without JavaScript the
reveal is always there; with it, the reveal is only hidden), and a follow-up on a later page keeps its saved text
until an earlier answer changes. Saving such a page does not keep that text (the follow-up no longer applies), so the
page is shown again first, with a notice that names the question and the answer that hides it; Continue again saves
without it. Nothing is saved before that, and what was typed is still in the page."""

from __future__ import annotations

from typing import Any

from flask import Flask

from screening.clinical import journey
from tests.answer_sets import answers
from tests.app.form_posts import form_data
from tests.app.test_drafts import seed, the_draft
from tests.app.test_pages_structure import Html
from tests.conftest import Browser

NOTICE = "Check what you typed before you carry on"


def post_step(browser: Browser, step_id: str, data: dict[str, Any]) -> str:
    browser.get(f"/questionnaire/{step_id}")
    return browser.post(f"/questionnaire/{step_id}", data)


def test_text_left_in_a_hidden_reveal_is_not_dropped_silently(app: Flask, browser: Browser) -> None:
    given = answers(previous_ketamine="no")
    seed(app, browser, given, before="treatments")
    data = {**form_data("treatments", given), "previous_ketamine_notes": "Three infusions in 2023"}

    page = post_step(browser, "treatments", data)

    assert browser.status == 200  # shown again, not saved
    assert NOTICE in page
    assert "Because of your answer to “Have you had ketamine or esketamine as a treatment before?”" in page
    assert "Anything else about your ketamine treatment? (optional)" in page
    assert "Three infusions in 2023" in page  # still in the page, so that choosing "Yes" keeps it
    assert "treatments" not in the_draft(app).completed_steps
    assert '<input type="hidden" name="unkept_seen" value="previous_ketamine_notes">' in page
    assert Html(page).values()["previous_ketamine_notes"] == ["Three infusions in 2023"]

    browser.post("/questionnaire/treatments", {**data, "unkept_seen": "previous_ketamine_notes"})

    assert browser.status == 302  # told: Continue again saves, without the text
    draft = the_draft(app)
    assert "treatments" in draft.completed_steps
    assert "previous_ketamine_notes" not in draft.answers
    assert draft.answers["previous_ketamine"] == "no"


def test_choosing_the_option_again_keeps_the_text(app: Flask, browser: Browser) -> None:
    given = answers(previous_ketamine="no")
    seed(app, browser, given, before="treatments")
    data = {**form_data("treatments", given), "previous_ketamine_notes": "Three infusions in 2023"}
    post_step(browser, "treatments", data)

    kept = {
        **data,
        "previous_ketamine": "yes",
        "previous_ketamine_effect": "helped_a_little",
        "previous_ketamine_bad_reaction": "no",
        "unkept_seen": "previous_ketamine_notes",
    }
    browser.post("/questionnaire/treatments", kept)

    assert browser.status == 302
    assert the_draft(app).answers["previous_ketamine_notes"] == "Three infusions in 2023"


def test_text_on_a_later_page_that_an_earlier_answer_now_hides(app: Flask, browser: Browser) -> None:
    given = answers(referral_source="primary_care", referrer_name="Dr Example")
    seed(app, browser, given)
    changed = {**given, "referral_source": "self"}

    page = post_step(browser, "about_you", form_data("about_you", changed))

    assert browser.status == 200
    assert "Because of your answer to “Who suggested you contact us?”" in page
    assert "on a later page" in page and "Name of the person or service who suggested us (optional)" in page
    assert the_draft(app).answers["referrer_name"] == "Dr Example"  # nothing saved yet

    browser.post("/questionnaire/about_you", {**form_data("about_you", changed), "unkept_seen": "referrer_name"})

    assert browser.status == 302
    draft = the_draft(app)
    assert draft.answers["referral_source"] == "self"
    assert "referrer_name" not in draft.answers


def test_a_stale_acknowledgement_does_not_cover_other_text(app: Flask, browser: Browser) -> None:
    """The page says which questions it warned about: text in another hidden follow-up is warned about too."""
    given = answers(pain_conditions=["arthritis"])
    seed(app, browser, given, before="pain")
    data = {**form_data("pain", given), "pain_conditions_other": "Endometriosis", "unkept_seen": "referrer_name"}

    page = post_step(browser, "pain", data)

    assert browser.status == 200
    assert "Because of your answer to “What has your pain been diagnosed as?”" in page


def test_no_notice_when_nothing_typed_is_lost(app: Flask, browser: Browser) -> None:
    given = answers(previous_ketamine="no")
    seed(app, browser, given, before="treatments")

    page = post_step(browser, "treatments", {**form_data("treatments", given), "previous_ketamine_notes": "   "})

    assert browser.status == 302, page
    assert journey.next_step("treatments", given) in browser.location
