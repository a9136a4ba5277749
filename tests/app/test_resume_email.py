"""Issue 13 item 2, the rest: the emailed link (offered only with ``PATIENT_EMAILS`` and an email answer; the email
holds the link and its date, never the code or an answer; the link asks for the date of birth only), "This isn't me" (a
form saved with a code is only forgotten on this device; any other goes to the start-again page), and an expired
CSRF token on these pages (the page again, what was typed kept, nothing done)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Draft, ResumeFailure
from screening.patient import mail, resume
from screening.patient.resume_views import EMAIL_FAILED, SESSION_RESUME_LINK, TIMED_OUT, TOO_MANY_EMAILS, WRONG_LINK
from tests.answer_sets import answers
from tests.app.test_drafts import draft_count, seed, session_data, the_draft
from tests.app.test_pages_structure import Html, structure_problems
from tests.app.test_resume import BORN, WRONG_BORN, another_browser, errors, get_code, saved, try_code
from tests.conftest import Browser

_LINK = re.compile(r"https?://\S+/resume/([A-Za-z0-9_-]+)")
Sent = list[tuple[str, str, str]]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Sent:
    sent: Sent = []

    def send(to: str, subject: str, text: str) -> bool:
        sent.append((to, subject, text))
        return True

    monkeypatch.setattr(mail, "send", send)
    return sent


def emails_on(app: Flask) -> None:
    app.config["SCREENING"]["PATIENT_EMAILS"] = True
    app.config["SCREENING"]["BASE_URL"] = "https://screening.example.org"


def email_link(browser: Browser) -> None:
    browser.get("/save-for-later?page=pain")
    assert "Email me a link" in browser.page
    browser.post("/save-for-later/email?page=pain", {})


def open_link(browser: Browser, token: str) -> str:
    browser.get(f"/resume/{token}")
    assert browser.status == 302 and browser.location.endswith("/resume/date-of-birth")
    return browser.get("/resume/date-of-birth")


# --- the emailed link ------------------------------------------------------------------------------------------------
def test_no_email_link_without_patient_emails_or_without_an_email_answer(
    app: Flask, browser: Browser, outbox: Sent
) -> None:
    seed(app, browser, answers(), before="pain")
    assert "Email me a link" not in browser.get("/save-for-later?page=pain")
    browser.post("/save-for-later/email?page=pain", {})
    assert browser.status == 302 and not outbox
    emails_on(app)
    assert "Email me a link" in browser.get("/save-for-later?page=pain")
    other = another_browser(app)
    seed_without_email = answers(preferred_contact="phone", email=None)
    other.get("/")
    other.post("/", {"consent_store": "y"})
    with app.app_context():
        draft = db.session.scalars(select(Draft).order_by(Draft.id.desc())).first()
        assert draft is not None
        draft.answers = {key: value for key, value in seed_without_email.items() if value is not None}
        db.session.commit()
    assert "Email me a link" not in other.get("/save-for-later")
    other.post("/save-for-later/email", {})
    assert not outbox


def test_the_email_holds_the_link_and_its_date_only_and_the_link_asks_for_the_date_of_birth(
    app: Flask, browser: Browser, outbox: Sent
) -> None:
    emails_on(app)
    code = saved(app, browser)
    email_link(browser)
    assert browser.status == 302 and "/save-for-later/emailed" in browser.location
    assert "We have emailed you a link" in browser.get(browser.location)
    [(to, subject, text)] = outbox
    assert to == "alex@example.org"
    found = _LINK.search(text)
    assert found and found.group(0).startswith("https://screening.example.org/resume/")
    token = found.group(1)
    assert len(token) >= 22, ">= 128 bits"
    draft = the_draft(app)
    assert draft.resume_link_hash is not None and token not in repr(draft.__dict__)
    for secret in (code, code.replace("-", ""), "Alex", "1985", "14 March", "alex@example.org"):
        assert secret not in text + subject, secret
    assert "date of birth" in text and f"{draft.expires_at.year}" in text
    assert ("draft.resume_link_emailed", {"draft": draft.id}) in _audit(app)

    phone = another_browser(app, "10.0.0.9")
    page = open_link(phone, token)
    assert session_data(app, phone.client)[SESSION_RESUME_LINK] == token
    assert 'name="code"' not in page and "date_of_birth-day" in page
    assert structure_problems(Html(page)) == []
    page = phone.post("/resume/date-of-birth", WRONG_BORN)
    assert errors(page) == [WRONG_LINK]
    phone.post("/resume/date-of-birth", BORN)
    assert phone.status == 302 and phone.location.endswith("/questionnaire/pain")
    assert SESSION_RESUME_LINK not in session_data(app, phone.client)
    assert phone.get("/questionnaire/pain") and phone.status == 200
    assert ("draft.resumed", {"draft": draft.id, "via": "link"}) in _audit(app)


def test_the_development_mail_file_gets_the_link_email(app: Flask, browser: Browser, tmp_path: Path) -> None:
    emails_on(app)
    app.config["SCREENING"]["PATIENT_MAIL_FILE"] = str(tmp_path / "mail.txt")
    code = saved(app, browser)
    email_link(browser)
    written = (tmp_path / "mail.txt").read_text(encoding="utf-8")
    assert "To: alex@example.org" in written and "/resume/" in written
    assert code not in written and "Alex Example" not in written and "1985" not in written


def test_a_failed_email_is_explained_kindly(app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    emails_on(app)
    monkeypatch.setattr(mail, "send", lambda to, subject, text: False)
    saved(app, browser)
    email_link(browser)
    assert browser.status == 200 and EMAIL_FAILED in browser.page
    assert not [action for action, _ in _audit(app) if action == "draft.resume_link_emailed"]


def test_one_address_may_ask_for_five_link_emails_an_hour(app: Flask, browser: Browser, outbox: Sent) -> None:
    emails_on(app)
    saved(app, browser)
    for _ in range(resume.EMAIL_MAX_PER_ADDRESS):
        email_link(browser)
        assert browser.status == 302
    email_link(browser)
    assert browser.status == 200 and TOO_MANY_EMAILS in browser.page
    assert len(outbox) == resume.EMAIL_MAX_PER_ADDRESS


def test_a_wrong_or_replaced_link_resumes_nothing(app: Flask, browser: Browser, outbox: Sent) -> None:
    emails_on(app)
    saved(app, browser)
    email_link(browser)
    email_link(browser)
    first, second = (_LINK.search(text).group(1) for _, _, text in outbox)  # type: ignore[union-attr]
    other = another_browser(app)
    open_link(other, first)
    assert errors(other.post("/resume/date-of-birth", BORN)) == [WRONG_LINK], "replaced by the second email"
    open_link(other, second)
    other.post("/resume/date-of-birth", BORN)
    assert other.status == 302
    with app.app_context():
        assert len(db.session.scalars(select(ResumeFailure)).all()) == 1
    stranger = another_browser(app)
    stranger.get("/resume/not-a-token")
    assert stranger.status == 404, "only something shaped like a token reaches the view"


def test_the_link_page_without_a_link_goes_to_the_code_form(app: Flask) -> None:
    other = another_browser(app)
    other.get("/resume/date-of-birth")
    assert other.status == 302 and other.location.endswith("/resume")


# --- "This isn't me" -------------------------------------------------------------------------------------------------
def test_this_isnt_me_forgets_a_coded_draft_on_this_device_only(app: Flask, browser: Browser) -> None:
    code = saved(app, browser)
    page = browser.get("/")
    assert "/not-me" in Html(page).links()
    page = browser.get("/not-me")
    assert browser.status == 200 and "we will not delete it" in page
    assert structure_problems(Html(page)) == []
    browser.post("/not-me", {})
    assert browser.status == 302 and browser.location.endswith("/")
    assert draft_count(app) == 1, "the owner's draft is kept"
    assert "Continue where you left off" not in browser.get("/")
    owner = another_browser(app)
    try_code(owner, code)
    assert owner.status == 302


def test_this_isnt_me_on_a_draft_without_a_code_asks_to_delete_it(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers(), before="pain")
    browser.get("/not-me")
    assert browser.status == 302 and browser.location.endswith("/start-again?page=start")
    browser.get("/questionnaire/pain")
    browser.post("/not-me", {})
    assert browser.status == 302 and "/start-again" in browser.location
    assert draft_count(app) == 1, "nothing deleted without the start-again page's button"
    browser.get("/start-again?page=start")
    browser.post("/start-again", {})
    assert draft_count(app) == 0


# --- CSRF ------------------------------------------------------------------------------------------------------------
def test_without_a_csrf_token_nothing_is_issued_and_what_was_typed_is_kept(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers(), before="pain")
    browser.get("/save-for-later?page=pain")
    page = browser.post("/save-for-later?page=pain", {}, csrf=False)
    assert browser.status == 400 and TIMED_OUT in page and "Get a code" in page
    assert the_draft(app).resume_code_hash is None
    code = get_code(browser)
    other = another_browser(app)
    other.get("/resume")
    page = other.post("/resume", {"code": code, **BORN, "csrf_token": "expired"}, csrf=False)
    assert other.status == 400 and TIMED_OUT in page
    values: dict[str, Any] = Html(page).values()
    assert values["code"] == [code] and values["date_of_birth-year"] == ["1985"]
    other.post("/resume", {"code": code, **BORN})
    assert other.status == 302, "the page's fresh token works"
    other.post("/not-me", {}, csrf=False)
    assert other.status == 400 and TIMED_OUT in other.page and draft_count(app) == 1
    other.get("/questionnaire/pain")
    assert other.status == 200, "still on this device"


def _audit(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    with app.app_context():
        return [
            (event.action, event.details) for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
