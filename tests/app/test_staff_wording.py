"""The staff side's wording (issue 14, item 8): the status note says when and why it is needed, and its error names
the statuses; a conflict shows the latest status and keeps the person's input; a new member of staff who just
signed in with a one-time password is not asked for it again; a wrong security code says so (the format message is
only for input that is not 6 digits); staff pages have the staff workspace's footer, not the patient's, and the
clinic's name in their header leads to the queue."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening.staff import auth_views
from tests.app.auth import (
    Clock,
    account,
    audit_actions,
    install_clock,
    make_staff,
    mfa_setup_key,
    post,
    sign_in,
    submit_password,
    totp,
)
from tests.app.staff_helpers import get_submission, make_submission, second_browser, url, version_on
from tests.conftest import Browser

NEW_PASSWORD = "violet harbour cinnamon 77"
PATIENT_FOOTER = "This service does not decide your treatment"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def _choose_password(client: FlaskClient, **fields: str) -> tuple[int, str]:
    data = {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD, **fields}
    response = post(client, "/staff/password", data, token_from="/staff/password")
    return response.status_code, response.headers.get("Location", response.get_data(as_text=True))


def _has_current_password_field(client: FlaskClient) -> bool:
    return 'name="current"' in client.get("/staff/password").get_data(as_text=True)


# --- the status note -------------------------------------------------------------------------------------------------
def test_the_status_note_says_when_and_why_it_is_needed(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception")
    page = browser.get(url(reference))
    assert "Needed when you move the status back" in page
    assert "so the next person knows what happened and why" in page
    assert "Note (needed when moving back)" not in page


def test_a_move_back_without_a_note_names_both_statuses(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception")
    browser.get(url(reference))
    version = version_on(browser.page, url(reference, "status"))
    browser.post(url(reference, "status"), {"status": "withdrawn", "note": "", "version": str(version)})
    assert browser.status == 302
    page = browser.get(url(reference))
    version = version_on(page, url(reference, "status"))
    page = browser.post(url(reference, "status"), {"status": "awaiting_patient", "note": "  ", "version": str(version)})
    assert browser.status == 400
    assert "Enter a note to say why you are moving this back from Withdrawn to Awaiting patient" in page
    assert get_submission(app, reference)["status"] == "withdrawn"


def test_a_too_long_note_on_a_move_back_is_told_its_length_not_that_it_is_missing(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception")
    browser.get(url(reference))
    version = version_on(browser.page, url(reference, "status"))
    browser.post(url(reference, "status"), {"status": "withdrawn", "note": "", "version": str(version)})
    page = browser.get(url(reference))
    version = version_on(page, url(reference, "status"))
    page = browser.post(url(reference, "status"), {"status": "in_review", "note": "x" * 2001, "version": str(version)})
    assert browser.status == 400 and "Enter a note of 2000 characters or fewer" in page
    assert "moving this back" not in page


# --- someone else's change meanwhile ---------------------------------------------------------------------------------
def test_a_conflict_says_who_when_and_the_latest_status_and_keeps_the_input(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception", name="Jo Bloggs")
    other = second_browser(app)
    sign_in(other, app, "clinician", name="Dr Sam Second")
    browser.get(url(reference))
    other.get(url(reference))
    stale = version_on(other.page, url(reference, "status"))
    browser.post(url(reference, "status"), {"status": "withdrawn", "note": "", "version": str(stale)})
    assert browser.status == 302
    page = other.post(url(reference, "status"), {"status": "in_review", "note": "Called the GP", "version": str(stale)})
    assert other.status == 409
    message = re.search(
        r"Jo Bloggs changed this at \d\d:\d\d \(status: Withdrawn\)\. Your change was not saved: "
        r"check and save again",
        page,
    )
    assert message, page
    assert "reload to see the latest" not in page
    assert 'value="in_review" checked' in page and "Called the GP</textarea>" in page
    assert get_submission(app, reference)["status"] == "withdrawn"
    # a note written meanwhile is kept too, with the latest status
    page = other.post(url(reference, "notes"), {"note": "My unsaved note", "version": str(stale)})
    assert other.status == 409
    assert "(status: Withdrawn). Your change was not saved" in page and "My unsaved note</textarea>" in page


# --- the first sign-in -----------------------------------------------------------------------------------------------
def test_just_after_a_one_time_password_choosing_a_password_does_not_ask_for_it_again(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    staff = make_staff(app, must_change_password=True)
    sign_in(client, app, staff=staff, expect="/staff/password")
    page = client.get("/staff/password").get_data(as_text=True)
    assert "Choose your own password" in page and 'name="current"' not in page
    assert _choose_password(client) == (302, "/staff/")
    assert not account(app, staff.id).must_change_password
    assert audit_actions(app)[-1] == "staff.password_changed"
    # a later, voluntary change asks for the current password again
    assert _has_current_password_field(client)
    status, body = _choose_password(client, new="another strong passphrase 9", confirm="another strong passphrase 9")
    assert status == 200 and "Enter your current password" in body


def test_after_a_while_the_one_time_password_is_asked_for_again(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app, must_change_password=True)
    sign_in(client, app, staff=staff, expect="/staff/password")
    half = auth_views.JUST_SIGNED_IN_WINDOW.total_seconds() / 2 + 1
    clock.advance(seconds=half)
    assert not _has_current_password_field(client)  # still moments after signing in (and the session stays alive)
    clock.advance(seconds=half)
    page = client.get("/staff/password").get_data(as_text=True)
    assert 'name="current"' in page and "enter the one-time password again" in page
    status, body = _choose_password(client)
    assert status == 200 and "Enter your current password" in body
    assert account(app, staff.id).must_change_password
    assert _choose_password(client, current=staff.password) == (302, "/staff/")


def test_a_voluntary_change_always_asks_for_the_current_password(app: Flask, client: FlaskClient, clock: Clock) -> None:
    sign_in(client, app)
    assert _has_current_password_field(client)
    status, body = _choose_password(client)
    assert status == 200 and "Enter your current password" in body


# --- security codes --------------------------------------------------------------------------------------------------
def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_wrong_code_says_it_is_wrong_or_used_and_a_short_one_gets_the_format_message(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    staff = make_staff(app)
    assert staff.secret is not None
    submit_password(client, staff.email, staff.password)
    body = post(client, "/staff/mfa", {"code": _wrong(totp(staff.secret))}, token_from="/staff/mfa").get_data(
        as_text=True
    )
    assert "That code is not right or has already been used. Enter the 6-digit code your authenticator app" in body
    assert "for example 123456" not in body
    body = post(client, "/staff/mfa", {"code": "12345"}, token_from="/staff/mfa").get_data(as_text=True)
    assert "Enter the code as 6 digits, for example 123456" in body and "not right" not in body
    assert account(app, staff.id).failed_logins == 2  # both count towards the lock, as before


def test_the_set_up_page_words_a_wrong_code_the_same_way(app: Flask, client: FlaskClient, clock: Clock) -> None:
    staff = make_staff(app, enrolled=False)
    submit_password(client, staff.email, staff.password)
    key = mfa_setup_key(client.get("/staff/mfa/setup").get_data(as_text=True))
    body = post(client, "/staff/mfa/setup", {"code": _wrong(totp(key))}, token_from="/staff/mfa/setup")
    assert "That code is not right or has already been used" in body.get_data(as_text=True)
    body = post(client, "/staff/mfa/setup", {"code": "12 34"}, token_from="/staff/mfa/setup")
    assert "Enter the code as 6 digits, for example 123456" in body.get_data(as_text=True)


# --- header and footer -----------------------------------------------------------------------------------------------
def _clinic_link(page: str) -> str:
    match = re.search(r'<a class="app-header__clinic" href="([^"]*)"', page)
    assert match, "no clinic link in the header"
    return match.group(1)


def _footer(page: str) -> str:
    return page[page.index('<footer class="app-footer">') :]


def test_staff_pages_have_the_staff_footer_and_the_clinic_name_leads_to_the_queue(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    staff = make_staff(app, must_change_password=True)
    pages = [client.get("/staff/login").get_data(as_text=True)]
    submit_password(client, staff.email, staff.password)
    pages.append(client.get("/staff/mfa").get_data(as_text=True))
    sign_in(client, app, staff=staff, expect="/staff/password")
    pages.append(client.get("/staff/password").get_data(as_text=True))
    _choose_password(client)
    pages.append(client.get("/staff/").get_data(as_text=True))
    for page in pages:
        assert _clinic_link(page) == "/staff/"
        footer = _footer(page)
        assert "Staff workspace" in footer
        assert PATIENT_FOOTER not in footer and "tel:" not in footer and "/privacy" not in footer


def test_patient_pages_keep_the_patient_footer_and_home_link(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert _clinic_link(page) == "/"
    footer = _footer(page)
    assert PATIENT_FOOTER in footer and "Staff workspace" not in footer


def test_an_error_page_under_staff_carries_the_staff_footer_and_leads_to_the_queue(client: FlaskClient) -> None:
    page = client.get("/staff/submissions/KT-0000-0000/no-such-page")
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Staff workspace" in text and "/privacy" not in text
    assert 'href="/staff/"' in text
    patient = client.get("/questionnaire/no-such-page").get_data(as_text=True)
    assert "/privacy" in patient and "Staff workspace" not in patient
