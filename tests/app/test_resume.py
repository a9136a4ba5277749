"""Issue 13 item 2, "Save and come back later": a resume code of 12 Crockford base-32 characters (60 bits) shown once
and stored only as a hash; a new code replaces the old; resuming from another browser with the code and the date of
birth; one neutral message for a wrong code or date of birth; 5 wrong dates of birth lock the form for 15 minutes;
10 wrong tries from one address in 15 minutes are refused; an expired form cannot be resumed; audit events and logs
hold no code."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import clock
from screening.extensions import db
from screening.models import REFERENCE_ALPHABET, AuditEvent, Draft, ResumeFailure
from screening.patient import drafts as services
from screening.patient import resume
from screening.patient.resume_views import WRONG_CODE
from tests.answer_sets import answers
from tests.app.test_drafts import seed, session_data, the_draft
from tests.app.test_pages_structure import Html, error_text, structure_problems
from tests.conftest import Browser

BORN = {"date_of_birth-day": "14", "date_of_birth-month": "3", "date_of_birth-year": "1985"}  # answers()'s
WRONG_BORN = {"date_of_birth-day": "15", "date_of_birth-month": "3", "date_of_birth-year": "1985"}
_CODE = re.compile(r'id="resume-code">([0-9A-Z<wbr>-]+)</strong>')


# --- helpers ---------------------------------------------------------------------------------------------------------
def saved(app: Flask, browser: Browser, **changes: Any) -> str:
    """A draft with every page before "pain" answered, saved with a code; returns the code as shown."""
    seed(app, browser, answers(**changes), before="pain")
    return get_code(browser)


def get_code(browser: Browser) -> str:
    browser.get("/save-for-later?page=pain")
    assert browser.status == 200
    browser.post("/save-for-later?page=pain", {})
    assert browser.status == 200, browser.location
    found = _CODE.search(browser.page)
    assert found, "no code on the page"
    return found.group(1).replace("<wbr>", "")


def another_browser(app: Flask, address: str = "127.0.0.1") -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Browser(client)


def try_code(browser: Browser, code: str, born: dict[str, str] = BORN) -> str:
    browser.get("/resume")
    assert browser.status == 200
    return browser.post("/resume", {"code": code, **born})


def errors(page: str) -> list[str]:
    return [text for _, text in Html(page).error_summary()]


def audit_actions(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    with app.app_context():
        return [
            (event.action, event.details) for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def failures(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(ResumeFailure)).all())


# --- the code itself -------------------------------------------------------------------------------------------------
def test_a_code_is_12_crockford_characters_worth_60_bits_shown_in_groups_of_four() -> None:
    codes = {resume.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 12 and set(code) <= set(REFERENCE_ALPHABET) for code in codes)
    assert len(REFERENCE_ALPHABET) ** resume.CODE_LENGTH >= 2**60
    assert len(set("".join(codes))) > 25, "every character of the alphabet is used"
    assert resume.format_code("7Q4M9XHDK2PA") == "7Q4M-9XHD-K2PA"


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("7Q4M-9XHD-K2PA", "7Q4M9XHDK2PA"),
        ("7q4m 9xhd k2pa", "7Q4M9XHDK2PA"),
        (" 7q4m9xhdk2pa ", "7Q4M9XHDK2PA"),
        ("O0IL-abcd-efgh", "0011ABCDEFGH"),
        ("7Q4M-9XHD-K2P", None),
        ("7Q4M-9XHD-K2PAA", None),
        ("7Q4M-9XHD-K2PU", None),
        ("7Q4M-9XHD-K2P!", None),
        ("", None),
    ],
)
def test_a_typed_code_is_read_in_any_case_with_or_without_separators_and_look_alikes(typed: str, normal: str) -> None:
    assert resume.normalise_code(typed) == normal


# --- saving ----------------------------------------------------------------------------------------------------------
def test_every_question_page_and_check_your_answers_link_to_save_and_the_start_page_to_resume(
    app: Flask, browser: Browser
) -> None:
    seed(app, browser, answers())
    for step_id in ("about_you", "pain", "practicalities"):
        assert f"/save-for-later?page={step_id}" in Html(browser.get(f"/questionnaire/{step_id}")).links()
    assert (
        "/save-for-later?page=pain&return_to=check" in Html(browser.get("/questionnaire/pain?return_to=check")).links()
    )
    assert "/save-for-later?page=check" in Html(browser.get("/questionnaire/check")).links()
    assert "/resume" in Html(browser.get("/")).links()
    assert "/resume" in Html(another_browser(app).get("/")).links()


def test_saving_needs_the_date_of_birth_first_and_says_so_kindly(app: Flask, browser: Browser) -> None:
    seed(app, browser, answers(), before="about_you")
    page = browser.get("/save-for-later?page=about_you")
    assert "Answer the “About you” page first" in page
    assert "/questionnaire/about_you" in Html(page).links()
    assert "Get a code" not in page
    browser.get("/questionnaire/about_you")  # a page with a CSRF token (the session's: it fits every form)
    browser.post("/save-for-later?page=about_you", {})
    assert browser.status == 302 and "/save-for-later" in browser.location
    assert the_draft(app).resume_code_hash is None


def test_the_code_is_shown_once_with_its_date_and_only_its_hash_is_stored(app: Flask, browser: Browser) -> None:
    code = saved(app, browser)
    page = browser.page
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert structure_problems(Html(page)) == []
    draft = the_draft(app)
    assert draft.resume_code_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    until = draft.expires_at.date()
    assert f"until {until.day} {until:%B} {until.year}" in page
    assert "date of birth" in page
    assert code not in browser.get("/save-for-later?page=pain"), "shown once"
    with app.app_context():
        stored = [repr(row.__dict__) for model in (Draft, AuditEvent) for row in db.session.scalars(select(model))]
    assert not any(code.replace("-", "") in row or code in row for row in stored)
    assert ("draft.resume_code_issued", {"draft": draft.id}) in audit_actions(app)


def test_a_new_code_replaces_the_old_one(app: Flask, browser: Browser) -> None:
    old = saved(app, browser)
    new = get_code(browser)
    assert new != old
    assert errors(try_code(another_browser(app), old)) == [WRONG_CODE]
    other = another_browser(app)
    try_code(other, new)
    assert other.status == 302


# --- resuming --------------------------------------------------------------------------------------------------------
def test_resume_with_the_code_and_date_of_birth_from_another_browser(app: Flask, browser: Browser) -> None:
    code = saved(app, browser)
    draft_id = the_draft(app).id
    phone = another_browser(app, "10.0.0.2")
    try_code(phone, code.lower().replace("-", " "))
    assert phone.status == 302
    assert phone.location.endswith("/questionnaire/pain"), "where Continue would lead"
    assert phone.get("/questionnaire/pain") and phone.status == 200
    assert session_data(app, phone.client)["_permanent"] is True
    browser.get("/questionnaire/pain")
    assert browser.status == 302, "the first browser's token no longer works"
    laptop = another_browser(app, "10.0.0.3")
    try_code(laptop, code)
    assert laptop.status == 302, "the code is kept, to resume again elsewhere"
    assert ("draft.resumed", {"draft": draft_id, "via": "code"}) in audit_actions(app)
    assert the_draft(app).resume_failures == 0


def test_a_wrong_code_and_a_wrong_date_of_birth_get_the_same_message(app: Flask, browser: Browser) -> None:
    code = saved(app, browser)
    other = another_browser(app)
    wrong_code = try_code(other, "ABCD-EFGH-JKMN")
    assert other.status == 200
    wrong_born = try_code(other, code, WRONG_BORN)
    assert errors(wrong_code) == errors(wrong_born) == [WRONG_CODE]
    assert [error_text(message) for message in Html(wrong_born).error_messages()] == [WRONG_CODE]
    values = Html(wrong_born).values()
    assert values["code"] == [code] and values["date_of_birth-day"] == ["15"], "what was typed is kept"
    assert Html(wrong_born).title.startswith("Error: ")
    other.get("/questionnaire/pain")
    assert other.status == 302 and other.location.endswith("/"), "nothing resumed"
    reasons = [details.get("reason") for action, details in audit_actions(app) if action == "draft.resume_failed"]
    assert reasons == ["unknown", "date_of_birth"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"code": ""}, ["Enter your code", "Enter your date of birth"]),
        ({"code": "ABCD", **BORN}, ["Enter the code as it was shown: 12 letters and numbers, like 7Q4M-9XHD-K2PA"]),
        (
            {
                "code": "ABCD-EFGH-JKMN",
                "date_of_birth-day": "31",
                "date_of_birth-month": "2",
                "date_of_birth-year": "1985",
            },
            ["Date of birth must be a real date"],
        ),
    ],
)
def test_the_resume_form_explains_what_to_fix(
    app: Flask, browser: Browser, data: dict[str, str], expected: list[str]
) -> None:
    browser.get("/resume")
    page = browser.post("/resume", data)
    assert browser.status == 200
    assert errors(page) == expected
    assert structure_problems(Html(page)) == []
    assert failures(app) == 0, "a form that cannot be read is no try"


def test_five_wrong_dates_of_birth_lock_the_form_for_15_minutes(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = saved(app, browser)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    other = another_browser(app)
    for _ in range(resume.DRAFT_MAX_FAILURES - 1):
        try_code(other, code, WRONG_BORN)
        assert other.status == 200
    page = try_code(other, code, WRONG_BORN)
    assert other.status == 429
    assert "There have been too many tries" in page and "wait 15 minutes" in page
    assert "tel:01632960000" in page, "the clinic's number, to call instead"
    try_code(other, code)
    assert other.status == 429, "locked even with the right date of birth"
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=14))
    try_code(another_browser(app, "10.9.9.9"), code)
    assert the_draft(app).resume_locked_until is not None
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=16))
    try_code(other, code)
    assert other.status == 302
    draft = the_draft(app)
    assert draft.resume_failures == 0 and draft.resume_locked_until is None, "success resets the count"


def test_after_the_lock_each_further_wrong_date_of_birth_locks_again(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = saved(app, browser)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    for n in range(resume.DRAFT_MAX_FAILURES):
        try_code(another_browser(app, f"10.0.1.{n}"), code, WRONG_BORN)
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=16))
    other = another_browser(app, "10.0.2.1")
    try_code(other, code, WRONG_BORN)
    assert other.status == 429


def test_ten_wrong_tries_from_one_address_are_refused_across_codes(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = saved(app, browser)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    attacker = another_browser(app, "203.0.113.7")
    for _ in range(resume.ADDRESS_MAX_FAILURES):
        try_code(attacker, resume.format_code(resume.new_code()))
        assert attacker.status == 200
    page = try_code(attacker, code)
    assert attacker.status == 429 and "There have been too many tries" in page
    assert the_draft(app).resume_failures == 0, "wrong codes count against the address, not the form"
    neighbour = another_browser(app, "203.0.113.8")
    try_code(neighbour, code)
    assert neighbour.status == 302, "another address is not refused"
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=16))
    try_code(attacker, code)
    assert attacker.status == 302, "the window moves on"
    assert any(details.get("reason") == "throttled" for _, details in audit_actions(app))


def test_an_expired_draft_cannot_be_resumed(app: Flask, browser: Browser) -> None:
    code = saved(app, browser)
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.expires_at = clock.now() - timedelta(minutes=1)
        db.session.commit()
    page = try_code(another_browser(app), code)
    assert errors(page) == [WRONG_CODE]


def test_purge_deletes_the_tries_that_no_longer_count(app: Flask) -> None:
    now = clock.now()
    with app.app_context():
        db.session.add_all(
            [
                ResumeFailure(remote_addr="10.0.0.1", at=now - timedelta(minutes=20)),
                ResumeFailure(remote_addr="10.0.0.1", at=now - timedelta(minutes=5)),
            ]
        )
        db.session.commit()
        services.purge_expired_drafts(now=now)
        left: list[datetime] = [row.at for row in db.session.scalars(select(ResumeFailure))]
    assert len(left) == 1 and left[0] > now - timedelta(minutes=15)


def test_no_code_reaches_the_logs_or_the_audit_details(
    app: Flask, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = saved(app, browser)
    try_code(another_browser(app), code, WRONG_BORN)
    try_code(another_browser(app), code)
    normal = code.replace("-", "")
    assert code not in caplog.text and normal not in caplog.text
    assert not any(normal in repr(details) or code in repr(details) for _, details in audit_actions(app))
    actions = [action for action, _ in audit_actions(app)]
    assert actions.count("draft.resume_code_issued") == 1 and actions.count("draft.resumed") == 1
