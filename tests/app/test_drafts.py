"""Drafts never lose an answer: back links, refresh, the browser's back button, change links, an expired
CSRF token and a return after closing the tab all show what was saved; another browser sees nothing; the
browser holds only a random token (no answers in cookies or URLs); "Start again" and ``purge-expired``
delete drafts; no skipping ahead; the support page only after a positive PHQ-9 item 9."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from screening.clinical import act_now, journey
from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID, STEP_OF, clean_answers
from screening.extensions import db, utcnow
from screening.models import Draft, Submission
from screening.patient import drafts as services
from screening.patient.views import TIMED_OUT
from tests.answer_sets import answers
from tests.app.form_posts import form_data
from tests.app.test_pages_structure import Html
from tests.app.test_patient_flow import ACT_NOW_URL, BRANCHES, carry_on, fill_every_step, start, submit
from tests.conftest import Browser

EVERY_FOLLOW_UP = answers(**BRANCHES["every follow-up"])
STEPS_OF_EVERY_FOLLOW_UP = [step.id for step in journey.shown_steps(EVERY_FOLLOW_UP)]
SUPPORT_ANSWERS = {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "no"}


# --- helpers ------------------------------------------------------------------------------------------
def expected_values(step_id: str, given: dict[str, Any]) -> dict[str, list[str]]:
    """What the step's page should show filled in for ``given``: name -> sorted values (as ``filled`` reads it)."""
    return {
        name: sorted(value) if isinstance(value, list) else [value] for name, value in form_data(step_id, given).items()
    }


def filled(page: str) -> dict[str, list[str]]:
    """What a page shows filled in (typed, ticked, chosen): name -> sorted values."""
    return {name: sorted(values) for name, values in Html(page).values().items()}


def session_data(app: Flask, client: FlaskClient) -> dict[str, Any]:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return dict(serializer.loads(cookie.value))


def expired_csrf_token(app: Flask, client: FlaskClient, *, age_seconds: int = 2 * 3600) -> str:
    """A CSRF token for this browser's session, signed ``age_seconds`` ago (past WTF_CSRF_TIME_LIMIT)."""

    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    raw = session_data(app, client)["csrf_token"]
    return str(URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=OldSigner).dumps(raw))


def the_draft(app: Flask) -> Draft:
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        db.session.expunge(draft)
        return draft


def draft_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Draft)).all())


def fill_until(browser: Browser, given: dict[str, Any], last: str) -> None:
    """Answer each shown step in turn, up to and including ``last``."""
    for step_id in [step.id for step in journey.shown_steps(given)]:
        browser.get(f"/questionnaire/{step_id}")
        browser.post(f"/questionnaire/{step_id}", form_data(step_id, given))
        assert browser.status == 302, step_id
        if step_id == last:
            return


def seed(app: Flask, browser: Browser, given: dict[str, Any], *, before: str | None = None) -> None:
    """Consent on the start page, then put ``given`` straight into the draft as if every shown step (or every
    step before ``before``) had been answered: quicker than answering each page, for tests about one page."""
    start(browser)
    shown = [step.id for step in journey.shown_steps(given)]
    done = shown[: shown.index(before)] if before else shown
    kept = {qid: value for qid, value in given.items() if qid in QUESTIONS and STEP_OF[qid].id in {"start", *done}}
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.answers = dict(clean_answers(kept).values)
        draft.completed_steps = ["start", *done]
        db.session.commit()


def back_link(page: str) -> str:
    links = Html(page).find("a", cls="govuk-back-link")
    assert len(links) == 1
    return links[0].attrs["href"]


# --- back link, refresh, browser back ---------------------------------------------------------------------
@pytest.mark.parametrize("branch", ["every follow-up", "male without phone, support page asks for one"])
def test_back_link_each_step_leads_to_the_previous_step_with_its_saved_answers(browser: Browser, branch: str) -> None:
    given = answers(**BRANCHES[branch])
    shown = [step.id for step in journey.shown_steps(given)]
    start(browser)
    assert back_link(browser.get("/questionnaire/about_you")) == "/"
    for previous, step_id in zip(shown, shown[1:], strict=False):
        browser.get(f"/questionnaire/{previous}")
        browser.post(f"/questionnaire/{previous}", form_data(previous, given))
        assert browser.location == f"/questionnaire/{step_id}"
        href = back_link(browser.get(browser.location))
        assert href == f"/questionnaire/{previous}"
        assert filled(browser.get(href)) == expected_values(previous, given), previous


@pytest.mark.parametrize("step_id", STEPS_OF_EVERY_FOLLOW_UP)
def test_step_refresh_after_saving_shows_the_saved_answers(app: Flask, browser: Browser, step_id: str) -> None:
    seed(app, browser, EVERY_FOLLOW_UP, before=step_id)
    browser.get(f"/questionnaire/{step_id}")
    browser.post(f"/questionnaire/{step_id}", form_data(step_id, EVERY_FOLLOW_UP))
    assert browser.status == 302
    for _ in range(2):  # reload, and reload again
        page = browser.get(f"/questionnaire/{step_id}")
        assert browser.status == 200
        assert filled(page) == expected_values(step_id, EVERY_FOLLOW_UP)


def test_step_refresh_after_an_error_shows_the_saved_answers_not_the_rejected_ones(
    app: Flask, browser: Browser
) -> None:
    start(browser)
    fill_until(browser, EVERY_FOLLOW_UP, "health")
    browser.get("/questionnaire/health")
    browser.post("/questionnaire/health", {**form_data("health", EVERY_FOLLOW_UP), "bp_systolic": "abc"})
    assert browser.status == 200 and "There is a problem" in browser.page
    assert filled(browser.get("/questionnaire/health")) == expected_values("health", EVERY_FOLLOW_UP)
    assert the_draft(app).answers["bp_systolic"] == EVERY_FOLLOW_UP["bp_systolic"]


def test_browser_back_after_moving_on_shows_every_earlier_step_as_saved(browser: Browser) -> None:
    start(browser)
    fill_every_step(browser, EVERY_FOLLOW_UP)
    for step_id in reversed(STEPS_OF_EVERY_FOLLOW_UP):  # pressing back from check your answers, page by page
        page = browser.get(f"/questionnaire/{step_id}")
        assert browser.status == 200, step_id
        assert filled(page) == expected_values(step_id, EVERY_FOLLOW_UP), step_id


def test_browser_back_and_resend_of_an_earlier_step_keeps_later_answers(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_every_step(browser, EVERY_FOLLOW_UP)
    browser.get("/questionnaire/about_you")
    browser.post("/questionnaire/about_you", form_data("about_you", EVERY_FOLLOW_UP))
    assert browser.location == "/questionnaire/pain"
    assert the_draft(app).answers == dict(clean_answers(EVERY_FOLLOW_UP).values)


# --- change links from check your answers ------------------------------------------------------------------
CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("about_you", {"full_name": "Alexandra Q. Example", "preferred_contact": "phone"}),
    ("pain", {"peg_pain": 9, "pain_description": "Burning, worse at night"}),
    ("treatments", {"previous_ketamine_effect": "helped_a_lot"}),
    (
        "medications",
        {
            "medicines": None,
            "current_medications": "amitriptyline 10mg at night",
            "other_allergies": "Penicillin: a rash",
        },
    ),
    ("health", {"height_cm": 182, "bp_systolic": 128, "bp_diastolic": 82}),
    ("mood", {"gad7_1": 2}),
    ("support", {"self_harm_recent_attempt": "yes"}),
    ("substances", {"auditc_1": "1"}),
    ("practicalities", {"contact_times": ["evenings"]}),
]


def _shown_as(qid: str, value: Any) -> str:
    question = QUESTIONS[qid]
    return question.option_label(str(value)) if question.options else str(value)


@pytest.mark.parametrize(("step_id", "change"), CHANGES, ids=[step_id for step_id, _ in CHANGES])
def test_change_link_from_check_saves_and_returns_to_check(
    app: Flask, browser: Browser, step_id: str, change: dict[str, Any]
) -> None:
    seed(app, browser, EVERY_FOLLOW_UP)
    check = Html(browser.get("/questionnaire/check"))
    question = next(qid for qid in change if qid in QUESTIONS and QUESTIONS[qid] in STEP_BY_ID[step_id])
    change_url = f"/questionnaire/{step_id}?return_to=check#{question}"
    assert change_url in check.links()
    page = browser.get(urlsplit(change_url)._replace(fragment="").geturl())
    assert browser.status == 200
    assert back_link(page) == "/questionnaire/check"
    assert filled(page) == expected_values(step_id, EVERY_FOLLOW_UP)
    changed = {key: value for key, value in {**EVERY_FOLLOW_UP, **change}.items() if value is not None}
    browser.post(f"/questionnaire/{step_id}?return_to=check", form_data(step_id, changed))
    if act_now.for_answers(changed, questions=[question.id for question in STEP_BY_ID[step_id]]):
        assert browser.location == ACT_NOW_URL  # what to do now first, then on to check your answers
        assert carry_on(browser) == "/questionnaire/check"
    else:
        assert browser.location == "/questionnaire/check"
    assert the_draft(app).answers == dict(clean_answers(changed).values)
    page = browser.get("/questionnaire/check")
    for qid, value in change.items():
        if value is not None and qid in QUESTIONS and not isinstance(value, list):
            assert _shown_as(qid, value) in page, qid


def test_change_link_item_9_to_positive_asks_the_support_page_then_returns_to_check(
    app: Flask, browser: Browser
) -> None:
    given = answers(phone="01632 960 001")
    start(browser)
    fill_every_step(browser, given)
    browser.get("/questionnaire/mood?return_to=check")
    browser.post("/questionnaire/mood?return_to=check", form_data("mood", {**given, "phq9_9": 2}))
    assert browser.location == "/questionnaire/support?return_to=check"
    page = browser.get(browser.location)
    assert back_link(page) == "/questionnaire/check"
    browser.post("/questionnaire/support?return_to=check", form_data("support", SUPPORT_ANSWERS))
    assert browser.location == "/questionnaire/check"
    assert the_draft(app).answers["self_harm_intent"] == "no"


# --- an expired or wrong CSRF token ---------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["expired", "wrong", "missing"])
@pytest.mark.parametrize("step_id", ["about_you", "treatments", "medications", "health"])
def test_step_post_with_a_bad_csrf_token_reshows_what_was_typed_and_saves_nothing(
    app: Flask, client: FlaskClient, browser: Browser, token: str, step_id: str
) -> None:
    seed(app, browser, EVERY_FOLLOW_UP, before=step_id)
    before = the_draft(app)
    browser.get(f"/questionnaire/{step_id}")
    data = form_data(step_id, EVERY_FOLLOW_UP)
    data["csrf_token"] = {"expired": expired_csrf_token(app, client), "wrong": "not-a-token"}.get(token, "")
    response = client.post(f"/questionnaire/{step_id}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # not saved, but never a bare 400: the page again, as typed
    assert TIMED_OUT in page
    assert filled(page) == expected_values(step_id, EVERY_FOLLOW_UP)
    assert response.headers["Cache-Control"] == "no-store"
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)
    browser.page = page  # the re-shown page carries a fresh token: Continue now saves
    browser.post(f"/questionnaire/{step_id}", {key: value for key, value in data.items() if key != "csrf_token"})
    assert browser.status == 302
    saved = the_draft(app)
    expected = {
        qid: value
        for qid, value in clean_answers(EVERY_FOLLOW_UP).values.items()
        if QUESTIONS[qid] in STEP_BY_ID[step_id]
    }
    assert {qid: saved.answers[qid] for qid in expected} == expected
    assert step_id in saved.completed_steps


def test_step_post_with_an_expired_token_from_check_keeps_returning_to_check(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    seed(app, browser, EVERY_FOLLOW_UP)
    browser.get("/questionnaire/pain?return_to=check")
    data = {**form_data("pain", EVERY_FOLLOW_UP), "peg_pain": "8", "csrf_token": expired_csrf_token(app, client)}
    response = client.post("/questionnaire/pain?return_to=check", data=data)
    assert response.status_code == 400
    page = Html(response.get_data(as_text=True))
    assert page.values()["peg_pain"] == ["8"]
    assert "/questionnaire/pain?return_to=check" in page.links()
    assert the_draft(app).answers["peg_pain"] == EVERY_FOLLOW_UP["peg_pain"]


def test_submit_with_an_expired_csrf_token_goes_back_to_check_and_submits_nothing(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    seed(app, browser, answers())
    browser.get("/questionnaire/check")
    token = the_draft(app).submission_token
    response = client.post(
        "/questionnaire/submit", data={"submission_token": token, "csrf_token": expired_csrf_token(app, client)}
    )
    assert response.headers["Location"] == "/questionnaire/check"
    with app.app_context():
        assert db.session.scalars(select(Submission)).all() == []
    assert draft_count(app) == 1


# --- other browsers, closing the tab, cookies --------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/questionnaire/about_you", "/questionnaire/pain", "/questionnaire/check", "/questionnaire/confirmation"]
)
def test_other_browser_cannot_see_or_resume_a_draft(app: Flask, browser: Browser, url: str) -> None:
    given = answers(full_name="Philippa Draftowner")
    start(browser)
    fill_until(browser, given, "pain")
    stranger = Browser(app.test_client())
    page = stranger.get(url)
    assert stranger.status in (302, 404)
    assert "Philippa" not in page
    if stranger.status == 302:
        assert stranger.location == "/"
    page = stranger.get("/")
    assert "Continue where you left off" not in page and "Philippa" not in page
    stranger.post("/questionnaire/about_you", form_data("about_you", answers(full_name="Someone Else")))
    assert stranger.location == "/"
    assert the_draft(app).answers["full_name"] == "Philippa Draftowner"


def test_other_browser_with_a_made_up_draft_token_gets_the_start_page(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "about_you")
    stranger = app.test_client()
    with stranger.session_transaction() as session:
        session["draft"] = services.new_reference()
    response = stranger.get("/questionnaire/pain")
    assert response.headers["Location"] == "/"
    assert stranger.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None, "the unknown token is forgotten"


def test_return_after_closing_the_tab_resumes_where_the_patient_left_off(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    start(browser)
    fill_until(browser, EVERY_FOLLOW_UP, "treatments")
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None and cookie.expires is not None, "a session cookie would be lost with the browser"
    returning = app.test_client()  # a new browser process: only the stored cookie survives
    returning.set_cookie(name, cookie.value)
    again = Browser(returning)
    page = again.get("/")
    assert "Continue where you left off" in page
    assert "/questionnaire/medications" in Html(page).links()
    again.get("/questionnaire/medications")
    assert again.status == 200
    assert filled(again.get("/questionnaire/pain")) == expected_values("pain", EVERY_FOLLOW_UP)


def test_continue_where_you_left_off_lands_on_check_your_answers_once_the_patient_reached_it(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    """Issue 13, item 8: "Continue where you left off" used to skip past check your answers to the last step."""
    start(browser)
    fill_every_step(browser, EVERY_FOLLOW_UP)
    assert browser.location.endswith("/questionnaire/check")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    returning = app.test_client()  # the tab closed: a new browser process with the stored cookie
    returning.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    again = Browser(returning)
    page = again.get("/")
    assert "Continue where you left off" in page
    links = Html(page).links()
    assert "/questionnaire/check" in links and not any(link.startswith("/questionnaire/support") for link in links)
    again.get("/questionnaire/check")
    assert again.status == 200 and "Check your answers before sending them" in again.page


def test_continue_before_check_your_answers_lands_on_the_first_unanswered_page(browser: Browser) -> None:
    start(browser)
    fill_until(browser, EVERY_FOLLOW_UP, "treatments")
    links = Html(browser.get("/")).links()
    assert "/questionnaire/medications" in links and "/questionnaire/check" not in links


def test_draft_cookie_lives_no_longer_than_the_draft(app: Flask, client: FlaskClient, browser: Browser) -> None:
    start(browser)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and cookie.expires is not None
    draft = the_draft(app)
    assert cookie.expires <= draft.expires_at + timedelta(minutes=1)
    assert draft.expires_at - utcnow() <= timedelta(days=app.config["SCREENING"]["DRAFT_DAYS"])


def test_session_cookie_holds_only_the_draft_token_and_csrf_secret(
    app: Flask, client: FlaskClient, browser: Browser
) -> None:
    given = answers(**BRANCHES["every follow-up"], full_name="Cornelius Cookiejar", email="cornelius@example.org")
    start(browser)
    fill_every_step(browser, given)
    data = session_data(app, client)
    assert set(data) <= {"_permanent", "draft", "csrf_token", "last_step"}
    assert data["last_step"] == {"step": journey.shown_steps(given)[-1].id, "check": False}, "a page, not an answer"
    assert len(data["draft"]) >= 43  # secrets.token_urlsafe(32): 256 random bits
    assert the_draft(app).token_hash != data["draft"], "the database keeps only a hash of the token"
    raw = "".join(cookie.value for cookie in client._cookies.values())  # every cookie the browser holds
    for value in ("Cornelius", "cornelius@example.org", "Lyrica", "endometriosis", "1985"):
        assert value not in raw
    submit(browser)
    assert set(session_data(app, client)) <= {"_permanent", "csrf_token", "reference", "reference_sent_at"}


def test_redirects_never_carry_an_answer(browser: Browser) -> None:
    given = answers(**BRANCHES["every follow-up"], full_name="Ulrika Urlfree", email="ulrika@example.org")
    locations = []
    start(browser)
    url = "/questionnaire/about_you"
    while "/questionnaire/check" not in url:
        browser.get(url)
        browser.post(url, {})  # an error page is not a redirect, but try anyway
        browser.post(url, form_data(url.rsplit("/", 1)[-1], given))
        locations.append(browser.location)
        url = browser.location
    submit(browser)
    locations.append(browser.location)
    assert all(urlsplit(location).query in ("", "return_to=check") for location in locations), locations
    for value in ("Ulrika", "ulrika", "Lyrica", "endometriosis"):
        assert not [location for location in locations if value in location]


# --- start again, purge --------------------------------------------------------------------------------------------
def test_start_again_deletes_the_draft_and_forgets_the_token(app: Flask, client: FlaskClient, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "pain")
    browser.get("/questionnaire/treatments")
    browser.post("/start-again", {})
    assert browser.location == "/"
    assert draft_count(app) == 0
    assert "draft" not in session_data(app, client)
    page = browser.get("/")
    assert "Continue where you left off" not in page and 'name="consent_store"' in page
    browser.get("/questionnaire/pain")
    assert browser.location == "/"


def test_start_again_without_a_csrf_token_deletes_nothing(app: Flask, client: FlaskClient, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "about_you")
    for token in ({}, {"csrf_token": "expired"}):
        page = Html(browser.post("/start-again", token, csrf=False))
        assert browser.status == 400
        assert draft_count(app) == 1
        assert "Your session timed out, so your answers were not deleted" in page.source  # asked again, fresh token
        assert "Are you sure you want to start again?" in page.source and "/questionnaire/pain" in page.links()
    browser.post("/start-again", {})  # the re-shown page's own token works
    assert browser.location == "/" and draft_count(app) == 0


START_AGAIN_QUESTION = "Are you sure you want to start again?"


def _start_again_link(page: str) -> str:
    links = [link for link in Html(page).links() if link.startswith("/start-again")]
    assert len(links) == 1, links
    return links[0]


def test_the_start_again_button_asks_first_on_its_own_page(app: Flask, client: FlaskClient, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "pain")
    page = browser.get("/questionnaire/treatments")
    assert 'action="/start-again"' not in page  # a link now, not a form that deletes
    link = _start_again_link(page)
    assert link == "/start-again?page=treatments"
    page = browser.get(link)
    assert browser.status == 200
    assert START_AGAIN_QUESTION in page and "Your answers so far will be deleted." in page
    assert "Yes, delete my answers and start again" in page
    assert Html(page).find("form", action="/start-again", method="post")
    assert 'name="csrf_token"' in page
    assert draft_count(app) == 1  # looking is not deleting
    assert "draft" in session_data(app, client)
    no = [link for link in Html(page).find("a") if "No, go back to my answers" in link.clean_text()]
    assert [link.attrs["href"] for link in no] == ["/questionnaire/treatments"]
    assert browser.get("/questionnaire/treatments") and browser.status == 200


def test_no_goes_back_to_where_the_patient_was(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "pain")

    def no_link(url: str) -> str:
        page = Html(browser.get(url))
        assert browser.status == 200, url
        (link,) = [link.attrs["href"] for link in page.find("a") if "No, go back to my answers" in link.clean_text()]
        return str(link)

    assert no_link("/start-again?page=pain") == "/questionnaire/pain"
    assert no_link("/start-again?page=pain&return_to=check") == "/questionnaire/pain?return_to=check"
    assert no_link("/start-again?page=start") == "/"
    assert no_link("/start-again?page=check") == "/questionnaire/check"
    for unknown in ("", "?page=https://example.com/", "?page=//example.com", "?page=support"):
        assert no_link(f"/start-again{unknown}") == "/questionnaire/treatments", unknown  # where Continue leads
    assert draft_count(app) == 1
    browser.get("/questionnaire/pain?return_to=check")
    assert _start_again_link(browser.page) == "/start-again?page=pain&return_to=check"


def test_yes_deletes_the_draft_from_the_start_again_page(app: Flask, client: FlaskClient, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "pain")
    browser.get("/questionnaire/check")  # the check page's link too (it redirects to the first unanswered page)
    browser.get("/questionnaire/treatments")
    browser.get(_start_again_link(browser.page))
    browser.post("/start-again", {})
    assert browser.status == 302 and browser.location == "/"
    assert draft_count(app) == 0
    assert "draft" not in session_data(app, client)
    browser.get("/start-again")
    assert browser.status == 302 and browser.location == "/"  # nothing to delete: back to the start page


def test_the_start_page_offers_this_isnt_me_with_continue(app: Flask, client: FlaskClient, browser: Browser) -> None:
    page = browser.get("/")
    assert "start a new form" not in page  # no draft: nothing to offer
    start(browser)
    fill_until(browser, answers(), "about_you")
    page = browser.get("/")
    assert "Continue where you left off" in page
    (link,) = [a.attrs["href"] for a in Html(page).find("a") if a.clean_text() == "This isn't me — start a new form"]
    browser.get(link)  # a draft without a resume code: "This isn't me" asks to delete it (resume_views.not_me)
    assert browser.status == 302
    page = browser.get(browser.location)
    assert START_AGAIN_QUESTION in page
    (no,) = [a.attrs["href"] for a in Html(page).find("a") if "No, go back to my answers" in a.clean_text()]
    assert no == "/"
    assert draft_count(app) == 1
    browser.post("/start-again", {})
    assert draft_count(app) == 0 and browser.location == "/"
    page = browser.get("/")
    assert "start a new form" not in page and 'name="consent_store"' in page


def test_purge_expired_deletes_expired_drafts_and_keeps_live_ones(app: Flask) -> None:
    now = utcnow()
    with app.app_context():
        for age_days in (8, 30):  # started long ago, never touched again
            services.start_draft(draft_days=7, now=now - timedelta(days=age_days))
        live, _token = services.start_draft(draft_days=7, now=now - timedelta(days=6))
        fresh, _token = services.start_draft(draft_days=7)
        keep = {live.id, fresh.id}
    result = flask_command(app, "purge-expired")
    assert result.exit_code == 0, result.output
    assert "Deleted 2 expired draft(s)." in result.output
    with app.app_context():
        assert set(db.session.scalars(select(Draft.id))) == keep
    assert "Deleted 0 expired draft(s)." in flask_command(app, "purge-expired").output


def flask_command(app: Flask, *args: str) -> Result:
    """Run ``flask --app screening <args>`` for this app, as the ``flask`` command does (with its app context)."""
    return app.test_cli_runner().invoke(FlaskGroup(create_app=lambda: app, load_dotenv=False), list(args))


def test_expired_draft_is_not_resumed_even_before_it_is_purged(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(full_name="Edwina Expired"), "about_you")
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    browser.get("/questionnaire/pain")
    assert browser.location == "/"
    page = browser.get("/")
    assert "Continue where you left off" not in page and "Edwina" not in page


# --- order of the pages ----------------------------------------------------------------------------------------------
LATER_STEPS = ["treatments", "medications", "health", "mood", "substances", "practicalities"]


@pytest.mark.parametrize("step_id", LATER_STEPS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_skipping_ahead_redirects_to_the_first_incomplete_step(
    app: Flask, browser: Browser, step_id: str, method: str
) -> None:
    start(browser)
    fill_until(browser, answers(), "about_you")
    before = the_draft(app)
    browser.get("/questionnaire/about_you")
    if method == "GET":
        browser.get(f"/questionnaire/{step_id}")
    else:
        browser.post(f"/questionnaire/{step_id}", form_data(step_id, answers()))
    assert browser.status == 302
    assert browser.location == "/questionnaire/pain"
    after = the_draft(app)
    assert (after.answers, after.completed_steps) == (before.answers, before.completed_steps)


def test_skipping_ahead_to_check_or_submit_goes_to_the_first_incomplete_step(app: Flask, browser: Browser) -> None:
    start(browser)
    fill_until(browser, answers(), "pain")
    browser.get("/questionnaire/check")
    assert browser.location == "/questionnaire/treatments"
    browser.get("/questionnaire/treatments")
    browser.post("/questionnaire/submit", {"submission_token": the_draft(app).submission_token})
    assert urlsplit(browser.location).path == "/questionnaire/treatments"
    with app.app_context():
        assert db.session.scalars(select(Submission)).all() == []


@pytest.mark.parametrize(("item_9", "support_shown"), [(0, False), (1, True), (2, True), (3, True)])
def test_support_page_appears_only_when_phq9_item_9_is_at_least_1(
    app: Flask, browser: Browser, item_9: int, support_shown: bool
) -> None:
    given = answers(phq9_9=item_9, phone="01632 960 001")
    seed(app, browser, given, before="mood")
    fill_until(browser, given, "mood")
    expected = "/questionnaire/support" if support_shown else "/questionnaire/substances"
    assert browser.location == expected
    browser.get("/questionnaire/support")
    assert browser.status == (200 if support_shown else 302)
    if not support_shown:
        assert browser.location == "/questionnaire/substances"


def test_support_page_opens_with_the_support_contacts(app: Flask, browser: Browser) -> None:
    given = answers(phq9_9=1, phone="01632 960 001")
    seed(app, browser, given, before="support")
    page = Html(browser.get("/questionnaire/support"))
    main = page.find("main")[0]
    first = next(child for child in main.children if child.clean_text())
    assert "Help is available now" in first.clean_text()
    for contact in ("999", "NHS 111", "111", "Samaritans", "116 123"):
        assert contact in first.clean_text()
    assert first.order < page.find("h1")[0].order < page.find("form", method="post")[-1].order


def test_support_answers_dropped_when_item_9_goes_back_to_0(app: Flask, browser: Browser) -> None:
    given = answers(**SUPPORT_ANSWERS, contact_phone_today="07700 900 982")
    start(browser)
    fill_until(browser, given, "support")
    assert the_draft(app).answers["contact_phone_today"] == "07700 900 982"
    browser.get("/questionnaire/mood")
    page = browser.post("/questionnaire/mood", form_data("mood", {**given, "phq9_9": 0}))
    assert browser.status == 200 and "A phone number we can call you on" in page  # told first (issue 13)
    seen = {"unkept_seen": "contact_phone_today"}
    browser.post("/questionnaire/mood", {**form_data("mood", {**given, "phq9_9": 0}), **seen})
    assert browser.location == "/questionnaire/substances"
    stored = the_draft(app).answers
    assert stored["phq9_9"] == 0
    assert not {"self_harm_intent", "self_harm_recent_attempt", "contact_phone_today"} & set(stored)
    browser.get("/questionnaire/support")
    assert browser.location == "/questionnaire/substances"
    fill_until(browser, {**given, "phq9_9": 0}, "practicalities")
    page = browser.get("/questionnaire/check")
    assert "Support for you" not in page and "07700 900 982" not in page
