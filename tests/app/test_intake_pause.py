"""Pausing new forms (issue 13, item 9): an admin pauses them with a message and reopens them (audited, admins only,
changes made meanwhile by someone else are not undone unseen); while paused, nobody without a form can start one (the
start page shows the clinic's message, escaped), and a form already started is finished and sent as before."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening import intake
from screening.extensions import db
from screening.models import AuditEvent, ClinicSetting, Draft, Role, StaffUser, Submission
from tests.answer_sets import answers
from tests.app.auth import csrf_token, make_staff, sign_in, sign_in_as
from tests.app.staff_helpers import audit_events
from tests.app.test_patient_flow import fill_every_step, start, submit
from tests.conftest import Browser

PAGE = "/staff/admin/intake"
PAUSE = "/staff/admin/intake/pause"
REOPEN = "/staff/admin/intake/reopen"
MESSAGE = "We are not taking new referrals until 3 March.\n\nPlease ask your GP to refer you after that."
PAUSED_HEADING = "We are not taking new forms at the moment"
_REVISION = re.compile(r'action="(/staff/admin/intake/\w+)".*?name="revision" value="(\d+)"', re.S)


def revision(page: str, action: str = PAUSE) -> str:
    """The revision carried by the form posting to ``action``."""
    found = dict(_REVISION.findall(page))
    assert action in found, f"no form posting to {action}"
    return found[action]


def admin(app: Flask, email: str = "ada.admin@example.org") -> Browser:
    """An admin in their own browser, on the page."""
    browser = Browser(app.test_client())
    sign_in_as(browser, app, email=email, name=email.split("@")[0].title())
    browser.get(PAGE)
    assert browser.status == 200
    return browser


def pause(browser: Browser, message: str = MESSAGE) -> None:
    browser.get(PAGE)
    browser.post(PAUSE, {"message": message, "revision": revision(browser.page)})
    assert (browser.status, browser.location) == (302, PAGE), browser.page


def reopen(browser: Browser) -> None:
    browser.get(PAGE)
    browser.post(REOPEN, {"revision": revision(browser.page, REOPEN)})
    assert (browser.status, browser.location) == (302, PAGE), browser.page


def count(app: Flask, model: type[Draft] | type[Submission]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def intake_events(app: Flask) -> list[tuple[str, int | None, dict[str, object]]]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("intake.%")).order_by(AuditEvent.id))
        return [(row.action, row.staff_id, row.details) for row in rows]


# --- the admin page ------------------------------------------------------------------------------------------------
def test_admin_pauses_and_reopens_new_forms_and_each_change_is_audited(app: Flask) -> None:
    browser = admin(app)
    assert "Pause new forms" in browser.page and "Open" in browser.page
    assert 'href="/staff/admin/intake"' in browser.page  # in the admin navigation
    pause(browser)
    browser.get(PAGE)
    assert "New forms are paused." in browser.page  # the flash
    assert "Paused since" in browser.page and "Reopen new forms" in browser.page
    assert "We are not taking new referrals until 3 March." in browser.page  # what patients see now
    with app.app_context():
        found = intake.paused()
        assert found is not None and found.message == MESSAGE and found.by_id is not None
    pause(browser, "Closed for new referrals until April.")
    reopen(browser)
    browser.get(PAGE)
    assert "New forms are open again" in browser.page and "Reopen new forms" not in browser.page
    with app.app_context():
        assert intake.paused() is None
        staff_id = db.session.get(ClinicSetting, intake.KEY).updated_by_id  # type: ignore[union-attr]
    assert intake_events(app) == [
        ("intake.paused", staff_id, {"message_length": len(MESSAGE)}),
        ("intake.message_changed", staff_id, {"message_length": len("Closed for new referrals until April.")}),
        ("intake.reopened", staff_id, {}),
    ]
    assert all(row["remote_addr"] for row in audit_events(app, "intake.paused"))


def test_reopening_forms_that_are_open_changes_nothing(app: Flask) -> None:
    browser = admin(app)
    browser.post(REOPEN, {"revision": revision(browser.page, PAUSE)})
    assert browser.status == 302
    browser.get(PAGE)
    assert "New forms were already open" in browser.page
    assert intake_events(app) == []


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("", "Enter a message for patients"),
        ("   \n  ", "Enter a message for patients"),
        ("x" * (intake.MESSAGE_MAX_LENGTH + 1), "Message for patients must be 500 characters or fewer"),
        ("Closed\x07 for now", "Remove the hidden characters"),
    ],
)
def test_a_blank_too_long_or_garbled_message_is_refused_with_the_typed_text_kept(
    app: Flask, message: str, error: str
) -> None:
    browser = admin(app)
    browser.post(PAUSE, {"message": message, "revision": revision(browser.page)})
    assert browser.status == 400
    assert "There is a problem" in browser.page and error in browser.page
    assert 'href="#message"' in browser.page  # the error summary links to the field
    assert browser.page.count(error) == 2  # in the summary and beside the field
    assert "<title>Error: " in browser.page
    if message.strip():
        assert message.strip()[:50] in browser.page  # what was typed is kept
    with app.app_context():
        assert intake.paused() is None
    assert intake_events(app) == []


def test_a_message_of_the_maximum_length_is_accepted(app: Flask) -> None:
    pause(admin(app), "y" * intake.MESSAGE_MAX_LENGTH)
    with app.app_context():
        assert intake.paused() is not None


def test_preview_shows_the_message_as_patients_would_and_changes_nothing(app: Flask) -> None:
    browser = admin(app)
    browser.post(PAUSE, {"message": "First line.\nSecond line.", "revision": "0", "preview": "1"})
    assert browser.status == 200
    assert "Preview: what patients will see" in browser.page
    assert '<p class="govuk-body">First line.</p>' in browser.page
    assert '<p class="govuk-body">Second line.</p>' in browser.page
    with app.app_context():
        assert intake.paused() is None
    assert intake_events(app) == []


def test_a_change_offered_on_an_older_state_is_refused_and_keeps_what_was_typed(app: Flask) -> None:
    first = admin(app)
    second = admin(app, "bo.admin@example.org")
    pause(second, "Paused by Bo.")
    second.get(PAGE)  # Bo looks at the page (paused by Bo) and leaves it open
    first.post(PAUSE, {"message": "Paused by Ada.", "revision": revision(first.page)})  # shown while open
    assert first.status == 409
    assert "Someone else changed new forms meanwhile" in first.page and "Paused by Ada." in first.page
    assert "Paused by Bo." in first.page  # the page as it is now
    first.post(PAUSE, {"message": "Paused by Ada.", "revision": revision(first.page)})  # after checking: it works
    assert first.status == 302
    stale = revision(second.page, REOPEN)
    second.post(REOPEN, {"revision": stale})
    assert second.status == 409
    with app.app_context():
        found = intake.paused()
        assert found is not None and found.message == "Paused by Ada."
    assert [action for action, _, _ in intake_events(app)] == [
        "intake.paused",
        "intake.conflict",  # the refused changes are recorded too (test_audit_gaps.py)
        "intake.message_changed",
        "intake.conflict",
    ]


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.CLINICIAN])
def test_other_roles_are_refused_and_the_refusal_is_audited(app: Flask, role: Role) -> None:
    browser = Browser(app.test_client())
    sign_in(browser, app, role)
    browser.get("/staff/password")
    token = browser.csrf_token()
    client = browser.client
    assert client.get(PAGE).status_code == 403
    assert client.post(PAUSE, data={"csrf_token": token, "message": MESSAGE, "revision": "0"}).status_code == 403
    assert client.post(REOPEN, data={"csrf_token": token, "revision": "0"}).status_code == 403
    with app.app_context():
        assert intake.paused() is None
        denied = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "access.denied")).all()
    assert {details["endpoint"] for details in denied} == {
        "admin.intake_page",
        "admin.intake_pause",
        "admin.intake_reopen",
    }
    assert 'href="/staff/admin/intake"' not in client.get("/staff/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    for response in (
        client.get(PAGE),
        client.post(PAUSE, data={"csrf_token": token, "message": MESSAGE, "revision": "0"}),
        client.post(REOPEN, data={"csrf_token": token, "revision": "0"}),
    ):
        assert (response.status_code, response.headers.get("Location")) == (302, "/staff/login")


def test_every_staff_page_says_new_forms_are_paused_with_the_link_for_admins(app: Flask) -> None:
    administrator = admin(app)
    reception = Browser(app.test_client())
    sign_in(reception, app, Role.RECEPTION)
    assert "New forms are paused" not in reception.get("/staff/")
    pause(administrator)
    page = reception.get("/staff/")
    assert "New forms are paused" in page and 'href="/staff/admin/intake"' not in page
    page = administrator.get("/staff/admin/audit")
    assert "New forms are paused" in page and "Reopen new forms or change the message" in page
    reopen(administrator)
    assert "New forms are paused" not in reception.get("/staff/")


# --- the patient's side --------------------------------------------------------------------------------------------
def test_while_paused_the_start_page_shows_the_message_and_starts_no_form(app: Flask, browser: Browser) -> None:
    token = csrf_token(browser.get("/"))  # a start page loaded before the pause
    pause(admin(app))
    response = browser.client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert PAUSED_HEADING in page and "Start now" not in page and 'name="consent_store"' not in page
    assert '<p class="govuk-body-l app-intake-message">We are not taking new referrals until 3 March.</p>' in page
    assert '<p class="govuk-body-l app-intake-message">Please ask your GP to refer you after that.</p>' in page
    assert "tel:01632960000" in page and "clinic@example.org" in page  # the clinic's contact details
    assert "In an emergency, call" in page  # and where to get help now
    browser.post("/", {"consent_store": "y", "csrf_token": token}, csrf=False)  # that page's button, pressed now
    assert browser.status == 200 and PAUSED_HEADING in browser.page
    assert count(app, Draft) == 0


def test_a_start_page_from_before_the_pause_with_an_expired_token_shows_the_paused_page(
    app: Flask, browser: Browser
) -> None:
    browser.get("/")
    pause(admin(app))
    browser.post("/", {"consent_store": "y", "csrf_token": "expired"}, csrf=False)
    assert browser.status == 400 and PAUSED_HEADING in browser.page and 'name="consent_store"' not in browser.page
    assert count(app, Draft) == 0


def test_the_message_is_shown_as_text_never_as_markup(app: Flask, browser: Browser) -> None:
    pause(admin(app), '<script>alert("x")</script> <a href="https://evil.example">Click</a>')
    page = browser.get("/")
    assert "<script>alert" not in page and 'href="https://evil.example"' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;a href=&#34;https://evil.example&#34;&gt;Click&lt;/a&gt;" in page


def test_a_form_started_before_the_pause_is_finished_and_sent(app: Flask, browser: Browser) -> None:
    token = csrf_token(browser.get("/"))
    start(browser)
    pause(admin(app))
    page = browser.get("/")
    assert "Continue where you left off" in page and PAUSED_HEADING not in page
    browser.post(
        "/", {"consent_store": "y", "csrf_token": token}, csrf=False
    )  # an old start page's button: carries on with the same draft
    assert browser.status == 302 and browser.location.endswith("/questionnaire/about_you")
    assert count(app, Draft) == 1
    fill_every_step(browser, answers())
    submit(browser)
    assert count(app, Submission) == 1 and count(app, Draft) == 0
    assert PAUSED_HEADING in browser.get("/")  # the form is sent: a new one cannot be started


def test_reopening_brings_the_start_page_back(app: Flask, browser: Browser) -> None:
    administrator = admin(app)
    pause(administrator)
    assert PAUSED_HEADING in browser.get("/")
    reopen(administrator)
    assert "Start now" in browser.get("/") and PAUSED_HEADING not in browser.page
    start(browser)
    assert count(app, Draft) == 1


# --- the setting itself --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        {},
        {"paused": False, "message": "x"},
        {"paused": "yes", "message": "x"},
        {"paused": True},
        {"paused": True, "message": " "},
    ],
)
def test_a_setting_that_does_not_say_paused_with_a_message_means_open(app: Flask, value: dict[str, object]) -> None:
    with app.app_context():
        db.session.add(ClinicSetting(key=intake.KEY, value=value))
        db.session.commit()
        assert intake.paused() is None


def test_pause_refuses_a_blank_or_too_long_message_and_a_stale_revision(app: Flask) -> None:
    staff = make_staff(app, Role.ADMIN)
    with app.app_context():
        user = db.session.get(StaffUser, staff.id)
        assert user is not None
        for message in ("", "  ", "z" * (intake.MESSAGE_MAX_LENGTH + 1)):
            with pytest.raises(ValueError, match="the message must be"):
                intake.pause(message, user, None, revision=0)
        intake.pause("Closed.", user, "127.0.0.1", revision=0)
        with pytest.raises(intake.StaleChange):
            intake.pause("Closed again.", user, None, revision=0)
        db.session.rollback()
        assert intake.state().revision == 1 and intake.reopen(user, None, revision=1) is True
        assert intake.state().pause is None and intake.state().revision == 2
