"""Sending early from the support page: it says plainly that the clinic sees nothing until the form is sent and
offers "Send my answers now", which saves the page, shows check your answers for what has been answered (with a
note naming the pages skipped), and sends. The submission stores the skipped steps and its flags are those of the
answers given; the staff page and the printed summary say "Sent early from the support page: not answered: ..."."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import rules
from screening.clinical import journey
from screening.clinical.questionnaire import STEP_BY_ID, STEP_OF, clean_answers
from screening.extensions import db
from screening.models import AuditEvent, Draft, Submission
from screening.patient import drafts as services
from screening.patient.article import load
from screening.patient.views import SEND_EARLY_BUTTON, SEND_EARLY_FROM
from screening.staff import display as staff_display
from tests.answer_sets import answers
from tests.app.auth import sign_in
from tests.app.form_posts import form_data
from tests.app.staff_helpers import second_browser
from tests.app.test_drafts import fill_until, the_draft
from tests.app.test_pages_structure import Html, structure_problems
from tests.app.test_patient_flow import _TOKEN, ACT_NOW_URL, carry_on, start, submit
from tests.conftest import Browser

#: Thoughts of self-harm, no plan or attempt, no phone given yet (the support page asks for one).
SUPPORT = answers(phq9_9=1, self_harm_intent="no", self_harm_recent_attempt="no", contact_phone_today="07700 900 982")
#: The same with a plan: the act-now page comes first, then check your answers.
WITH_INTENT = answers(
    phq9_9=2, self_harm_intent="yes", self_harm_recent_attempt="no", contact_phone_today="07700 900 982"
)
CHECK = "/questionnaire/check"
SEND_EARLY_URL = f"/questionnaire/{SEND_EARLY_FROM}"


def after(step_id: str, given: dict[str, Any]) -> list[str]:
    """The pages shown after ``step_id``, in order."""
    ids = [step.id for step in journey.shown_steps(given)]
    return ids[ids.index(step_id) + 1 :]


def sent_early_line(given: dict[str, Any]) -> str:
    titles = ", ".join(STEP_BY_ID[step_id].title for step_id in after(SEND_EARLY_FROM, given))
    return f"Sent early from the support page: not answered: {titles}"


def press_send_now(browser: Browser, given: dict[str, Any]) -> None:
    """Answer every page before the support page, then answer it and press "Send my answers now"."""
    start(browser)
    previous = journey.previous_step(SEND_EARLY_FROM, given)
    assert previous is not None
    fill_until(browser, given, previous)
    browser.get(SEND_EARLY_URL)
    browser.post(SEND_EARLY_URL, {**form_data(SEND_EARLY_FROM, given), SEND_EARLY_BUTTON: "yes"})
    assert browser.status == 302


def stored(app: Flask) -> Submission:
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        submission.flags  # noqa: B018 (loaded before the session goes)
        db.session.expunge(submission)
        return submission


def test_send_early_support_page_says_the_clinic_sees_nothing_until_sent(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, SUPPORT, journey.previous_step(SEND_EARLY_FROM, SUPPORT) or "")
    page = Html(browser.get(SEND_EARLY_URL))
    assert structure_problems(page) == []
    assert "We cannot see any of your answers until you send this form." in page.find("main")[0].clean_text()
    form = page.find("form", action=SEND_EARLY_URL)[0]
    buttons = [button for button in page.find("button") if button.inside(lambda ancestor: ancestor is form)]
    assert [(button.clean_text(), button.attrs.get("name")) for button in buttons] == [
        ("Continue", None),
        ("Send my answers now", SEND_EARLY_BUTTON),
    ], "Continue stays the default (Enter)"
    for step_id in ("about_you", "mood"):
        assert "Send my answers now" not in browser.get(f"/questionnaire/{step_id}"), step_id


def test_send_early_checks_what_was_answered_then_stores_the_skipped_steps(app: Flask, browser: Browser) -> None:
    press_send_now(browser, SUPPORT)
    assert browser.location == CHECK
    skipped = after(SEND_EARLY_FROM, SUPPORT)
    assert skipped, "pages follow the support page"
    assert the_draft(app).answers == dict(
        clean_answers({qid: value for qid, value in SUPPORT.items() if STEP_OF[qid].id not in skipped}).values
    ), "the page was saved"
    page = Html(browser.get(CHECK))
    assert browser.status == 200
    assert structure_problems(page) == []
    note = page.find(cls="app-skipped")[0].clean_text()
    assert "You have not answered these pages" in note and "We will ask you about them" in note
    for step_id in skipped:
        assert STEP_BY_ID[step_id].title in note
        assert not [link for link in page.links() if link.startswith(f"/questionnaire/{step_id}?")], step_id
    headings = [heading.clean_text() for heading in page.find("h2")]
    assert STEP_BY_ID[SEND_EARLY_FROM].title in headings
    assert not {STEP_BY_ID[step_id].title for step_id in skipped} & set(headings)
    submit(browser)
    submission = stored(app)
    assert submission.skipped_steps == skipped
    given = dict(clean_answers({qid: v for qid, v in SUPPORT.items() if STEP_OF[qid].id not in skipped}).values)
    assert submission.answers == given
    evaluated = rules.evaluate(given, today=date.today())  # on what was given
    assert [flag.rule_id for flag in submission.flags] == [flag.rule_id for flag in evaluated]
    with app.app_context():
        assert db.session.scalars(select(Draft)).all() == []
        created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.created")).one()
        assert created.details["skipped_steps"] == len(skipped)  # the audit trail says it was sent early
    assert submission.reference in browser.get("/questionnaire/confirmation")


def test_send_early_with_an_act_now_answer_shows_that_page_first(app: Flask, browser: Browser) -> None:
    press_send_now(browser, WITH_INTENT)
    assert browser.location == ACT_NOW_URL
    assert carry_on(browser) == CHECK
    assert "Carry on to check and send your answers" in browser.page
    browser.get(CHECK)
    assert browser.status == 200 and "You are sending your answers early" in browser.page
    submit(browser)
    submission = stored(app)
    assert submission.skipped_steps == after(SEND_EARLY_FROM, WITH_INTENT)
    assert any(flag.severity == rules.Severity.URGENT.value for flag in submission.flags)
    main = Html(browser.get("/questionnaire/confirmation")).find("main")[0].clean_text()
    assert app.config["SCREENING"]["URGENT_REPLY_TIME"] in main


def test_send_early_needs_the_support_page_answered_like_continue(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, SUPPORT, journey.previous_step(SEND_EARLY_FROM, SUPPORT) or "")
    browser.get(SEND_EARLY_URL)
    page = Html(browser.post(SEND_EARLY_URL, {SEND_EARLY_BUTTON: "yes"}))
    assert browser.status == 200 and page.error_summary()
    browser.get(CHECK)
    assert (browser.status, browser.location) == (302, SEND_EARLY_URL), "not sending early: nothing was saved"


def test_send_early_change_link_returns_to_the_early_check_page(app: Flask, browser: Browser) -> None:
    press_send_now(browser, SUPPORT)
    browser.get("/questionnaire/pain?return_to=check")
    browser.post("/questionnaire/pain?return_to=check", form_data("pain", {**SUPPORT, "peg_pain": 9}))
    assert browser.location == CHECK
    assert "You are sending your answers early" in browser.get(CHECK)


def test_send_early_then_answering_the_rest_after_all_sends_everything(app: Flask, browser: Browser) -> None:
    press_send_now(browser, SUPPORT)
    page = Html(browser.get(CHECK))
    first_skipped = after(SEND_EARLY_FROM, SUPPORT)[0]
    assert f"/questionnaire/{first_skipped}" in page.links()
    for step_id in after(SEND_EARLY_FROM, SUPPORT):
        browser.get(f"/questionnaire/{step_id}")
        browser.post(f"/questionnaire/{step_id}", form_data(step_id, SUPPORT))
        assert browser.status == 302
    assert browser.location == CHECK
    assert "You are sending your answers early" not in browser.get(CHECK)
    submit(browser)
    submission = stored(app)
    assert submission.skipped_steps == []
    assert submission.answers == dict(clean_answers(SUPPORT).values)


def test_send_early_a_normal_submission_skips_nothing(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, SUPPORT, journey.shown_steps(SUPPORT)[-1].id)
    submit(browser)
    assert stored(app).skipped_steps == []


def test_send_early_never_skips_the_page_with_the_name(app: Flask) -> None:
    with app.app_context():
        draft, _token = services.start_draft(draft_days=1)
        with pytest.raises(services.SubmitError) as raised:
            services.submit(draft, article=load(), today=date.today(), min_age=18, remote_addr=None, early=True)
        assert raised.value.step_id == STEP_OF["full_name"].id
        assert db.session.scalars(select(Submission)).all() == []


def test_send_early_replayed_submit_is_still_one_submission(app: Flask, browser: Browser) -> None:
    press_send_now(browser, SUPPORT)
    browser.get(CHECK)
    token, submission_token = browser.csrf_token(), _TOKEN.search(browser.page)
    assert submission_token
    for _ in range(2):
        response = browser.client.post(
            "/questionnaire/submit", data={"csrf_token": token, "submission_token": submission_token.group(1)}
        )
        assert response.headers["Location"] == "/questionnaire/confirmation"
    assert stored(app).skipped_steps == after(SEND_EARLY_FROM, SUPPORT)


# --- what staff see ---------------------------------------------------------------------------------------------------
def test_send_early_staff_page_and_summary_say_which_pages_were_not_answered(app: Flask, browser: Browser) -> None:
    press_send_now(browser, SUPPORT)
    submit(browser)
    reference = stored(app).reference
    staff = second_browser(app)
    sign_in(staff, app, "reception")
    line = sent_early_line(SUPPORT)
    page = Html(staff.get(f"/staff/submissions/{reference}"))
    assert staff.status == 200
    assert line in page.find("main")[0].clean_text()
    summary = Html(staff.get(f"/staff/submissions/{reference}/summary"))
    assert staff.status == 200
    assert line in summary.find("body")[0].clean_text()


def test_send_early_line_absent_when_every_page_was_answered(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, SUPPORT, journey.shown_steps(SUPPORT)[-1].id)
    submit(browser)
    reference = stored(app).reference
    staff = second_browser(app)
    sign_in(staff, app, "reception")
    assert "Sent early" not in staff.get(f"/staff/submissions/{reference}")
    assert "Sent early" not in staff.get(f"/staff/submissions/{reference}/summary")


def test_send_early_line_in_words() -> None:
    assert staff_display.sent_early([]) is None
    assert staff_display.sent_early(None) is None
    titles = f"{STEP_BY_ID['substances'].title}, {STEP_BY_ID['practicalities'].title}"
    assert staff_display.sent_early(["substances", "practicalities"]) == (
        f"Sent early from the support page: not answered: {titles}"
    )
