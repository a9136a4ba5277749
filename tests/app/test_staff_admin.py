"""Staff accounts for admins: list, create (the one-time password shown once), deactivate and reactivate
(ending sessions), reset MFA; and every admin route refuses other roles (403, audited) and anonymous users.
Editing accounts and several roles: ``test_staff_edit.py`` and ``test_staff_roles.py``."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Role, StaffUser
from screening.staff import accounts
from tests.app.auth import account, create_account, install_clock, sign_in_admin, sign_in_as
from tests.app.test_pages_structure import Html, structure_problems
from tests.conftest import Browser

STAFF = "/staff/admin/staff"
_ONE_TIME = re.compile(r'<p class="govuk-body app-one-time-password"><code>([^<]+)</code></p>')

ADMIN_GETS = [
    "/staff/admin/audit",
    "/staff/admin/export",
    "/staff/admin/staff",
    "/staff/admin/staff/new",
    "/staff/admin/staff/1/edit",
    "/staff/admin/staff/1/deactivate",  # the confirmation pages (their POST acts)
    "/staff/admin/staff/1/reset-mfa",
    "/staff/admin/staff/1/one-time-password",
    "/staff/admin/intake",
    "/staff/admin/api-tokens",
    "/staff/admin/api-tokens/new",
    "/staff/admin/api-tokens/1/revoke",  # the confirmation page (its POST revokes)
]
ADMIN_POSTS = [
    "/staff/admin/export.csv",
    "/staff/admin/audit.csv",
    "/staff/admin/staff/new",
    "/staff/admin/staff/1/edit",
    "/staff/admin/staff/1/deactivate",
    "/staff/admin/staff/1/reactivate",
    "/staff/admin/staff/1/reset-mfa",
    "/staff/admin/staff/1/one-time-password",
    "/staff/admin/intake/pause",
    "/staff/admin/intake/reopen",
    "/staff/admin/api-tokens/new",
    "/staff/admin/api-tokens/1/revoke",
]


def actions(app: Flask) -> list[tuple[str, dict[str, object]]]:
    with app.app_context():
        return [
            (event.action, event.details)
            for event in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("staff.%"), AuditEvent.action != "staff.logged_in")
                .order_by(AuditEvent.id)
            )
        ]


# --- who may use the admin pages ------------------------------------------------------------------------
def test_every_admin_route_is_in_the_tested_lists(app: Flask) -> None:
    admin_rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]
    assert len(admin_rules) == len({*ADMIN_GETS, *ADMIN_POSTS})
    for rule in admin_rules:
        assert rule.rule.startswith("/staff/admin/")
        assert app.view_functions[rule.endpoint]._access_roles == frozenset({Role.ADMIN})


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.CLINICIAN])
def test_other_roles_get_403_on_every_admin_route_and_the_refusal_is_audited(
    app: Flask, client: FlaskClient, role: Role
) -> None:
    user_id = sign_in_as(client, app, role=role, email=f"{role.value}@example.org", name="Sam Staff")
    browser = Browser(client)
    browser.get("/staff/password")  # a page this role may use, for a CSRF token
    token = browser.csrf_token()
    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    for url in ADMIN_POSTS:
        assert (
            client.post(
                url, data={"csrf_token": token, "name": "X", "email": "x@example.org", "roles": "admin"}
            ).status_code
            == 403
        ), url
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
        assert len(denied) == len(ADMIN_GETS) + len(ADMIN_POSTS)
        assert {event.staff_id for event in denied} == {user_id}
        assert {event.details["endpoint"] for event in denied} >= {
            "admin.audit",
            "admin.export_csv",
            "admin.staff_deactivate",
        }
        assert db.session.scalar(select(StaffUser).where(StaffUser.email == "x@example.org")) is None


def test_anonymous_users_are_sent_to_sign_in_from_every_admin_route(app: Flask, client: FlaskClient) -> None:
    create_account(app)
    browser = Browser(client)
    browser.get("/staff/login")
    for url in ADMIN_GETS:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/staff/login"), url
    for url in ADMIN_POSTS:
        response = client.post(url, data={"csrf_token": browser.csrf_token()})
        assert response.status_code == 302 and response.headers["Location"].endswith("/staff/login"), url
    assert account(app, 1).active


# --- the list -----------------------------------------------------------------------------------------------
def test_staff_list_shows_each_account(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    with app.app_context():
        accounts.create_staff(email="new.person@example.org", name="New Person", role=Role.RECEPTION)
    page = Browser(client).get(STAFF)
    assert "Ada Admin" in page and "ada.admin@example.org" in page and "New Person" in page
    assert "Reception" in page and "Never" in page  # New Person has not signed in or enrolled MFA
    assert "This is you" in page
    assert 'Deactivate<span class="govuk-visually-hidden"> New Person</span>' in page
    assert "Reset authenticator" not in page  # nobody else has an authenticator yet


# --- create ---------------------------------------------------------------------------------------------------
def test_create_shows_the_one_time_password_once_and_it_signs_in(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    admin_id = sign_in_admin(client, app)
    browser = Browser(client)
    browser.get(f"{STAFF}/new")
    with caplog.at_level(logging.DEBUG):
        browser.post(f"{STAFF}/new", {"name": "Rae Reception", "email": " Rae@Example.org ", "roles": "reception"})
    assert browser.status == 200 and browser.location == ""  # shown in the response itself, not behind a redirect
    match = _ONE_TIME.search(browser.page)
    assert match
    one_time = match.group(1)
    assert "rae@example.org" in browser.page
    assert one_time not in caplog.text
    assert one_time not in Browser(client).get(STAFF)
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.email == "rae@example.org")).one()
        assert (user.name, user.roles, user.must_change_password, user.mfa_secret) == (
            "Rae Reception",
            frozenset({Role.RECEPTION}),
            True,
            None,
        )
        assert accounts.attempt_login("rae@example.org", one_time, remote_addr="192.0.2.1").outcome == "ok"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.created", AuditEvent.staff_id == admin_id)
        ).one()
        assert event.details == {"account": user.id, "roles": ["reception"]}
        assert one_time not in str(event.details)


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["Enter their full name", "Enter their work email address", "Select at least one role"]),
        (
            {"name": "Bo", "email": "not-an-email", "roles": "reception"},
            ["Enter an email address in the correct format, like name@example.com"],
        ),
        (
            {"name": "Bo\x00Bell", "email": "bo@example.org", "roles": "reception"},
            ["Enter the full name without hidden control characters"],
        ),
        ({"name": "Bo", "email": "bo@example.org", "roles": "superuser"}, ["Select at least one role"]),
        (
            {"name": "Ada Again", "email": "ADA.ADMIN@example.org", "roles": "admin"},
            ["An account with that email address already exists"],
        ),
    ],
)
def test_create_explains_each_mistake(
    app: Flask, client: FlaskClient, data: dict[str, str], messages: list[str]
) -> None:
    sign_in_admin(client, app)
    browser = Browser(client)
    browser.get(f"{STAFF}/new")
    browser.post(f"{STAFF}/new", data)
    assert browser.status == 200 and "<title>Error: " in browser.page
    for message in messages:
        assert browser.page.count(message) == 2, message  # the error summary and the field
    with app.app_context():
        assert len(db.session.scalars(select(StaffUser)).all()) == 1


def test_create_without_csrf_creates_nothing(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    response = client.post(f"{STAFF}/new", data={"name": "Rae", "email": "rae@example.org", "roles": "admin"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.email == "rae@example.org")) is None


# --- deactivate, reactivate, reset MFA --------------------------------------------------------------------------
def post_button(client: FlaskClient, url: str) -> Browser:
    """Press the button at ``url``: deactivate, reset MFA and a new one-time password on their confirmation page
    (a GET of the same address), reactivate on the list."""
    browser = Browser(client)
    browser.get(STAFF if url.endswith("/reactivate") else url)
    browser.post(url, {})
    return browser


def test_deactivate_ends_the_persons_sessions_and_reactivate_restores_the_account(
    app: Flask, client: FlaskClient
) -> None:
    sign_in_admin(client, app)
    colleague = app.test_client()
    colleague_id = sign_in_as(colleague, app, role=Role.CLINICIAN, email="cleo@example.org", name="Cleo Clinician")
    assert colleague.get("/staff/password").status_code == 200
    browser = post_button(client, f"{STAFF}/{colleague_id}/deactivate")
    assert browser.status == 302 and browser.location.endswith(STAFF)
    page = browser.get(STAFF)
    assert "Cleo Clinician&#39;s account is deactivated and every session they had has ended" in page
    assert 'Reactivate<span class="govuk-visually-hidden"> Cleo Clinician</span>' in page
    response = colleague.get("/staff/password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/login")
    assert not account(app, colleague_id).active
    post_button(client, f"{STAFF}/{colleague_id}/reactivate")
    reactivated = account(app, colleague_id)
    assert reactivated.active
    assert colleague.get("/staff/password").status_code == 302  # the old session stays ended
    assert [action for action, _ in actions(app)][-2:] == ["staff.deactivated", "staff.reactivated"]
    assert actions(app)[-1][1] == {"account": colleague_id}


def test_an_admin_cannot_deactivate_or_reset_themselves(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    for url, message in (
        (f"{STAFF}/{admin_id}/deactivate", "You cannot deactivate your own account"),
        (f"{STAFF}/{admin_id}/reset-mfa", "You cannot reset your own authenticator"),
    ):
        browser = post_button(client, url)
        assert browser.status == 400 and message in browser.page and "There is a problem" in browser.page
    user = account(app, admin_id)
    assert user.active and user.mfa_secret is not None
    assert client.get(STAFF).status_code == 200  # still signed in


def test_reset_mfa_forgets_the_authenticator_and_ends_sessions(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    colleague = app.test_client()
    colleague_id = sign_in_as(colleague, app, role=Role.RECEPTION, email="rae@example.org", name="Rae Reception")
    before = account(app, colleague_id)
    assert "Reset authenticator<span" in Browser(client).get(STAFF)
    browser = post_button(client, f"{STAFF}/{colleague_id}/reset-mfa")
    assert browser.status == 302
    assert "Rae Reception will set up their authenticator app again" in browser.get(STAFF)
    after = account(app, colleague_id)
    assert after.mfa_secret is None and after.session_epoch == before.session_epoch + 1 and after.active
    assert colleague.get("/staff/password").status_code == 302
    assert actions(app)[-1] == ("staff.mfa_reset", {"account": colleague_id})


def test_a_one_time_password_expires_after_72_hours(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = install_clock(monkeypatch)
    with app.app_context():
        user, one_time = accounts.create_staff(email="rae@example.org", name="Rae Reception", role=Role.RECEPTION)
        assert user.password_expires_at == clock.current + timedelta(hours=72)
        user_id = user.id
    clock.advance(hours=72)
    browser = Browser(client)
    browser.get("/staff/login")
    browser.post("/staff/login", {"email": "rae@example.org", "password": one_time})
    assert browser.status == 200 and "/staff/mfa" not in browser.location
    assert "Your one-time password has expired. Ask a clinic administrator for a new one" in browser.page
    # a wrong password still reads as any other wrong password, and the expiry never locks the account
    browser.post("/staff/login", {"email": "rae@example.org", "password": "not the password at all"})
    assert "Enter a correct email address and password" in browser.page and "expired" not in browser.page
    user = account(app, user_id)
    assert user.failed_logins == 1 and user.locked_until is None
    with app.app_context():
        reasons = [
            event.details["reason"]
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "staff.login_failed").order_by(AuditEvent.id)
            )
        ]
    assert reasons == ["one_time_password_expired", "password"]


def test_the_one_time_password_works_until_its_expiry_and_a_chosen_password_never_expires(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = install_clock(monkeypatch)
    with app.app_context():
        user, one_time = accounts.create_staff(email="rae@example.org", name="Rae Reception", role=Role.RECEPTION)
        clock.advance(hours=71, minutes=59)
        assert accounts.attempt_login("rae@example.org", one_time, remote_addr="192.0.2.1").outcome == "ok"
        accounts.change_password(user, new_password="a password of my own 2026", remote_addr=None)
        assert user.password_expires_at is None
        clock.advance(days=400)
        assert (
            accounts.attempt_login("rae@example.org", "a password of my own 2026", remote_addr="192.0.2.1").outcome
            == "ok"
        )


def test_an_admin_gives_a_new_one_time_password_once_ending_sessions(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in_admin(client, app)
    colleague = app.test_client()
    colleague_id = sign_in_as(colleague, app, role=Role.RECEPTION, email="rae@example.org", name="Rae Reception")
    before = account(app, colleague_id)
    with caplog.at_level(logging.DEBUG):
        browser = post_button(client, f"{STAFF}/{colleague_id}/one-time-password")
    assert browser.status == 200 and "New one-time password" in browser.page and "works for 72 hours" in browser.page
    assert "set up an authenticator" not in browser.page  # they keep the one they have
    match = _ONE_TIME.search(browser.page)
    assert match and match.group(1) not in caplog.text
    after = account(app, colleague_id)
    assert after.must_change_password and after.password_expires_at is not None
    assert after.session_epoch == before.session_epoch + 1 and after.mfa_secret == before.mfa_secret
    assert colleague.get("/staff/password").status_code == 302  # signed out
    with app.app_context():
        assert accounts.attempt_login("rae@example.org", match.group(1), remote_addr="192.0.2.9").outcome == "ok"
    assert actions(app)[-1] == ("staff.password_reset", {"account": colleague_id})
    assert match.group(1) not in str(actions(app))


def test_an_admin_cannot_give_themselves_a_one_time_password(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    before = account(app, admin_id)
    browser = post_button(client, f"{STAFF}/{admin_id}/one-time-password")
    assert browser.status == 400 and "You cannot reset your own password here" in browser.page
    assert account(app, admin_id).password_hash == before.password_hash


def test_account_buttons_need_csrf_and_a_known_account(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    colleague_id, _ = create_account(app, role=Role.RECEPTION, email="rae@example.org", name="Rae Reception")
    assert client.post(f"{STAFF}/{colleague_id}/deactivate").status_code == 400
    assert account(app, colleague_id).active
    assert client.get(f"{STAFF}/999/deactivate").status_code == 404
    browser = Browser(client)
    browser.get(STAFF)
    browser.post(f"{STAFF}/999/deactivate", {})
    assert browser.status == 404
    assert client.post(f"{STAFF}/{colleague_id}/reactivate").status_code == 400
    assert client.get(f"{STAFF}/{colleague_id}/reactivate").status_code == 405


def test_admin_pages_are_well_formed_with_and_without_errors(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    create_account(app, role=Role.CLINICIAN, email="cleo@example.org", name="Cleo Clinician")
    browser = Browser(client)
    pages = {url: browser.get(url) for url in ADMIN_GETS}
    pages["audit with errors"] = browser.get("/staff/admin/audit?date_from=31&date_from=2&date_from=2026&reference=%3F")
    browser.get(f"{STAFF}/new")
    pages["new with errors"] = browser.post(f"{STAFF}/new", {"roles": "nonsense"})
    pages["created"] = browser.post(f"{STAFF}/new", {"name": "Rae", "email": "rae@example.org", "roles": "reception"})
    pages["refused"] = post_button(client, f"{STAFF}/{admin_id}/deactivate").page
    for name, page in pages.items():
        assert structure_problems(Html(page)) == [], name
    assert 'Reset authenticator<span class="govuk-visually-hidden"> for Cleo Clinician' in pages[STAFF]
