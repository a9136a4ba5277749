"""Editing a staff account (name, email address, roles; audited ``staff.updated``; the last active administrator
keeps the role) and the confirmation pages of deactivate, reset authenticator and new one-time password (a GET asks,
only the POST with its CSRF token acts)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Role, StaffUser
from screening.staff import accounts
from tests.app.auth import account, create_account, make_staff, sign_in_admin
from tests.app.test_pages_structure import Html, structure_problems
from tests.conftest import Browser

STAFF = "/staff/admin/staff"


def updates(app: Flask) -> list[dict[str, object]]:
    with app.app_context():
        return [
            event.details
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "staff.updated").order_by(AuditEvent.id)
            )
        ]


def edit(browser: Browser, staff_id: int, data: dict[str, object]) -> str:
    browser.get(f"{STAFF}/{staff_id}/edit")
    return browser.post(f"{STAFF}/{staff_id}/edit", data)


# --- edit -----------------------------------------------------------------------------------------------------------
def test_the_edit_page_shows_the_account_as_it_is(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    cleo = make_staff(app, "clinician", also=("admin",), email="cleo@example.org", name="Cleo Clinician")
    page = Browser(client).get(f"{STAFF}/{cleo.id}/edit")
    assert 'value="Cleo Clinician"' in page and 'value="cleo@example.org"' in page
    assert 'value="clinician" checked' in page and 'value="admin" checked' in page
    assert 'value="reception" checked' not in page
    assert f'href="{STAFF}/{cleo.id}/edit">Edit<span class="govuk-visually-hidden"> Cleo Clinician' in Browser(
        client
    ).get(STAFF)


def test_an_admin_changes_name_email_and_roles_and_it_is_audited_without_the_values(
    app: Flask, client: FlaskClient
) -> None:
    admin_id = sign_in_admin(client, app)
    cleo = make_staff(app, "clinician", email="cleo@example.org", name="Cleo Clinician")
    browser = Browser(client)
    edit(browser, cleo.id, {"name": "Cleo Jones", "email": " Cleo.Jones@Example.org ", "roles": ["clinician", "admin"]})
    assert browser.status == 302 and browser.location.endswith(STAFF)
    page = browser.get(STAFF)
    assert "Cleo Jones&#39;s account is updated" in page and "Clinician, Administrator" in page
    user = account(app, cleo.id)
    assert (user.name, user.email, user.roles) == ("Cleo Jones", "cleo.jones@example.org", {Role.CLINICIAN, Role.ADMIN})
    assert updates(app) == [
        {
            "account": cleo.id,
            "fields": ["name", "email", "roles"],
            "roles_before": ["clinician"],
            "roles_after": ["clinician", "admin"],
        }
    ]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.updated")).one()
        assert event.staff_id == admin_id
    assert "Cleo" not in str(updates(app)) and "example.org" not in str(updates(app))


def test_saving_with_no_change_records_nothing(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    cleo = make_staff(app, "clinician", email="cleo@example.org", name="Cleo Clinician")
    browser = Browser(client)
    edit(browser, cleo.id, {"name": "Cleo Clinician", "email": "cleo@example.org", "roles": "clinician"})
    assert "Nothing changed for Cleo Clinician" in browser.get(STAFF)
    assert updates(app) == []


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({"name": "", "email": "", "roles": []}, ["Enter their full name", "Enter their work email address"]),
        ({"name": "Cleo", "email": "cleo@example.org", "roles": []}, ["Select at least one role"]),
        ({"name": "Cleo", "email": "cleo@example.org", "roles": "root"}, ["Select at least one role"]),
        ({"name": "Cleo", "email": "no-at-sign", "roles": "clinician"}, ["Enter an email address in the correct"]),
        (
            {"name": "Cleo", "email": "ADA.ADMIN@example.org", "roles": "clinician"},
            ["An account with that email address already exists"],
        ),
    ],
)
def test_edit_explains_each_mistake_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, data: dict[str, object], messages: list[str]
) -> None:
    sign_in_admin(client, app)
    cleo = make_staff(app, "clinician", email="cleo@example.org", name="Cleo Clinician")
    browser = Browser(client)
    page = edit(browser, cleo.id, data)
    assert browser.status == 200 and "<title>Error: " in page
    for message in messages:
        assert page.count(message) == 2, message  # the error summary and the field
    if data["email"]:
        assert f'value="{str(data["email"]).strip()}"' in page
    assert structure_problems(Html(page)) == []
    user = account(app, cleo.id)
    assert (user.name, user.email, user.roles) == ("Cleo Clinician", "cleo@example.org", {Role.CLINICIAN})
    assert updates(app) == []


def test_edit_needs_csrf_and_a_known_account(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    cleo = make_staff(app, "clinician", email="cleo@example.org", name="Cleo Clinician")
    response = client.post(f"{STAFF}/{cleo.id}/edit", data={"name": "X", "email": "x@example.org", "roles": "admin"})
    assert response.status_code == 400
    assert account(app, cleo.id).roles == {Role.CLINICIAN}
    assert client.get(f"{STAFF}/999/edit").status_code == 404


# --- the last active administrator ------------------------------------------------------------------------------------
def test_the_only_admin_cannot_remove_their_own_admin_role(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    browser = Browser(client)
    assert "the only active administrator" in browser.get(f"{STAFF}/{admin_id}/edit")
    page = edit(browser, admin_id, {"name": "Ada Admin", "email": "ada.admin@example.org", "roles": "clinician"})
    assert page.count(accounts.LAST_ADMIN) == 2
    assert account(app, admin_id).roles == {Role.ADMIN}
    assert updates(app) == []


def test_an_inactive_admin_does_not_count_as_another_admin(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    make_staff(app, "admin", email="gone@example.org", name="Gone Admin", active=False)
    page = edit(Browser(client), admin_id, {"name": "Ada", "email": "ada.admin@example.org", "roles": "clinician"})
    assert accounts.LAST_ADMIN in page and account(app, admin_id).roles == {Role.ADMIN}


def test_with_another_admin_you_may_give_up_your_admin_role_and_land_on_the_queue(
    app: Flask, client: FlaskClient
) -> None:
    admin_id = sign_in_admin(client, app)
    make_staff(app, "admin", email="bea@example.org", name="Bea Admin")
    browser = Browser(client)
    edit(browser, admin_id, {"name": "Ada Admin", "email": "ada.admin@example.org", "roles": "clinician"})
    assert browser.status == 302 and browser.location == "/staff/"
    assert client.get(STAFF).status_code == 403 and client.get("/staff/").status_code == 200
    assert updates(app)[-1]["roles_after"] == ["clinician"]


def test_the_last_active_admin_cannot_be_deactivated(app: Flask) -> None:
    only = make_staff(app, "admin", email="only@example.org")
    other = make_staff(app, "clinician", email="cleo@example.org")
    with app.app_context():
        user, actor = db.session.get(StaffUser, only.id), db.session.get(StaffUser, other.id)
        assert user is not None and actor is not None
        with pytest.raises(accounts.AccountError, match="must always be an active administrator"):
            accounts.set_active(user, False, actor=actor, remote_addr=None)
        assert user.active


# --- confirmation pages -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "question"),
    [
        ("deactivate", "Are you sure you want to deactivate Rae Reception&#39;s account?"),
        ("reset-mfa", "Are you sure you want to reset Rae Reception&#39;s authenticator?"),
        ("one-time-password", "Are you sure you want to give Rae Reception a new one-time password?"),
    ],
)
def test_each_lock_out_change_is_asked_first_and_only_the_post_acts(
    app: Flask, client: FlaskClient, path: str, question: str
) -> None:
    sign_in_admin(client, app)
    rae = make_staff(app, "reception", email="rae@example.org", name="Rae Reception")
    before = account(app, rae.id)
    page = Browser(client).get(f"{STAFF}/{rae.id}/{path}")
    assert question in page and "signed out at once" in page
    assert f'action="{STAFF}/{rae.id}/{path}"' in page and f'href="{STAFF}">Cancel</a>' in page
    assert structure_problems(Html(page)) == []
    assert client.post(f"{STAFF}/{rae.id}/{path}").status_code == 400  # no CSRF token
    after = account(app, rae.id)
    assert (after.active, after.mfa_secret, after.session_epoch) == (True, before.mfa_secret, before.session_epoch)
    assert f'href="{STAFF}/{rae.id}/{path}"' in Browser(client).get(STAFF)  # the list links to the question


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("deactivate", "You cannot deactivate your own account"),
        ("reset-mfa", "You cannot reset your own authenticator"),
        ("one-time-password", "You cannot reset your own password here"),
    ],
)
def test_a_change_that_cannot_be_made_says_why_instead_of_asking(
    app: Flask, client: FlaskClient, path: str, problem: str
) -> None:
    admin_id = sign_in_admin(client, app)
    browser = Browser(client)
    page = browser.get(f"{STAFF}/{admin_id}/{path}")
    assert (
        browser.status == 200
        and problem in page
        and "Are you sure" not in page
        and "<form" not in page.split("<main")[1].split("</main>")[0]
    )
    assert structure_problems(Html(page)) == []


def test_reset_authenticator_for_someone_without_one_says_so(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    colleague_id, _ = create_account(app, role=Role.RECEPTION, email="rae@example.org", name="Rae Reception")
    with app.app_context():
        user = db.session.get(StaffUser, colleague_id)
        assert user is not None
        user.mfa_secret = None
        db.session.commit()
    page = Browser(client).get(f"{STAFF}/{colleague_id}/reset-mfa")
    assert "Rae Reception has not set up an authenticator app yet" in page and "Are you sure" not in page
