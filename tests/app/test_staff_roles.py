"""Several roles per account: what may be done is the union of the roles held (review rules, the status form, the
navigation), a role change applies from the account's next request without signing it out, the header names every
role, create-staff and the demo accounts hold several, and migration 0007 moves each account's single role into
``staff_role`` (and back). The url_map x role matrix with two roles: ``test_access_matrix.py``."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from screening import create_app
from screening.extensions import db
from screening.models import Role, StaffRole, StaffUser, SubmissionStatus
from screening.staff import accounts, repeats, review
from tests.app.auth import account, make_staff, sign_in
from tests.app.staff_helpers import make_submission, url
from tests.conftest import TEST_DATABASE_URL, Browser, _reset_postgresql

CLINICAL = {SubmissionStatus.CONSULT_OFFERED, SubmissionStatus.NOT_SUITABLE}


# --- the rules take the union -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("held", "clinical"),
    [
        ({Role.ADMIN}, False),
        ({Role.RECEPTION}, False),
        ({Role.RECEPTION, Role.ADMIN}, False),
        ({Role.CLINICIAN}, True),
        ({Role.ADMIN, Role.CLINICIAN}, True),
        ({Role.RECEPTION, Role.CLINICIAN, Role.ADMIN}, True),
    ],
)
def test_review_rules_allow_what_any_held_role_allows(held: set[Role], clinical: bool) -> None:
    statuses = review.settable_statuses(held)
    assert CLINICAL <= set(statuses) if clinical else not CLINICAL & set(statuses)
    assert list(statuses) == [status for status in SubmissionStatus if status in statuses]  # the form's order
    assert review.may_acknowledge(held) is clinical
    assert review.may_pick_up(held) is clinical
    assert review.may_change_from(held, SubmissionStatus.CONSULT_OFFERED) is clinical
    assert repeats.may_supersede(held) is bool(held & {Role.CLINICIAN, Role.ADMIN})


def test_a_single_role_still_works_with_the_rules() -> None:
    assert review.settable_statuses(Role.CLINICIAN) == review.settable_statuses({Role.CLINICIAN})
    assert not review.may_acknowledge(Role.ADMIN)


# --- on the pages ---------------------------------------------------------------------------------------------------
def test_an_admin_who_is_also_a_clinician_gets_the_clinical_statuses_and_both_navigations(
    app: Flask, browser: Browser
) -> None:
    reference = make_submission(app, priority=1)
    sign_in(browser, app, "admin", also=("clinician",), name="Ada Both")
    page = browser.get(url(reference))
    assert 'value="consult_offered"' in page and 'value="not_suitable"' in page
    assert "Ada Both (clinician, admin)" in page  # the header names every role, in a fixed order
    assert 'href="/staff/admin/staff"' in page


def test_an_admin_alone_gets_no_clinical_statuses(app: Flask, browser: Browser) -> None:
    reference = make_submission(app, priority=1)
    sign_in(browser, app, "admin", name="Ada Only")
    page = browser.get(url(reference))
    assert 'value="consult_offered"' not in page and "Ada Only (admin)" in page


def test_a_role_change_applies_on_the_next_request_without_signing_out(app: Flask, client: FlaskClient) -> None:
    person = sign_in(client, app, "clinician", also=("admin",))
    other_admin = make_staff(app, "admin")
    assert client.get("/staff/admin/staff").status_code == 200
    epoch = account(app, person.id).session_epoch
    with app.app_context():
        user, actor = db.session.get(StaffUser, person.id), db.session.get(StaffUser, other_admin.id)
        assert user is not None and actor is not None
        accounts.update_staff(
            user, name=user.name, email=user.email, roles={Role.CLINICIAN}, actor=actor, remote_addr=None
        )
    assert client.get("/staff/admin/staff").status_code == 403  # the very next request
    assert client.get("/staff/").status_code == 200  # still signed in
    assert account(app, person.id).session_epoch == epoch
    with app.app_context():
        user, actor = db.session.get(StaffUser, person.id), db.session.get(StaffUser, other_admin.id)
        assert user is not None and actor is not None
        accounts.update_staff(
            user, name=user.name, email=user.email, roles={Role.RECEPTION, Role.ADMIN}, actor=actor, remote_addr=None
        )
    assert client.get("/staff/admin/staff").status_code == 200


def test_roles_are_one_row_each_and_replacing_them_keeps_the_rows_held(app: Flask) -> None:
    with app.app_context():
        user, _ = accounts.create_staff(email="bo@example.org", name="Bo", roles=[Role.CLINICIAN, Role.ADMIN])
        user.roles = frozenset({Role.ADMIN, Role.RECEPTION})
        db.session.commit()
        rows = db.session.execute(select(StaffRole.staff_id, StaffRole.role).order_by(StaffRole.role)).all()
        assert sorted((row.staff_id, row.role.value) for row in rows) == [(user.id, "admin"), (user.id, "reception")]
        assert user.role_names == ["reception", "admin"]
        with pytest.raises(accounts.AccountError, match="Select at least one role"):
            accounts.create_staff(email="none@example.org", name="No Role", roles=())


# --- the command line and the demo accounts ---------------------------------------------------------------------
def test_create_staff_command_takes_several_roles(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--email",
            "jo@example.org",
            "--name",
            "Jo Both",
            "--role",
            "admin",
            "--role",
            "clinician",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created jo@example.org (clinician, admin)" in result.output
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.email == "jo@example.org")).one()
        assert user.roles == {Role.ADMIN, Role.CLINICIAN}


def test_the_demo_administrator_is_also_a_clinician(app: Flask) -> None:
    from screening.demo import add_demo_staff, reset_demo_staff

    with app.app_context():
        add_demo_staff()
        admin = db.session.scalars(select(StaffUser).where(StaffUser.email == "admin@demo.example")).one()
        assert admin.roles == {Role.ADMIN, Role.CLINICIAN}
        admin.roles = frozenset({Role.RECEPTION})
        db.session.commit()
        reset_demo_staff()
        assert admin.roles == {Role.ADMIN, Role.CLINICIAN}
        clinician = db.session.scalars(select(StaffUser).where(StaffUser.email == "clinician@demo.example")).one()
        assert clinician.roles == {Role.CLINICIAN}


# --- migration 0007 ---------------------------------------------------------------------------------------------------
def test_0007_moves_each_role_into_staff_role_and_back(tmp_path: Path) -> None:
    url_ = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": url_, "SECRET_KEY": "x"})
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgresql()
        flask_migrate.upgrade(revision="0006")
        with db.engine.begin() as connection:
            for staff_id, role in ((7, "clinician"), (8, "admin")):
                connection.execute(
                    text(
                        "INSERT INTO staff_user (id, email, name, role, password_hash, must_change_password, active,"
                        " mfa_last_step, failed_logins, session_epoch, created_at) VALUES (:id, :email, 'P', :role,"
                        " 'x', false, true, 0, 0, 1, '2026-11-01 09:00:00+00')"
                    ),
                    {"id": staff_id, "email": f"{staff_id}@example.org", "role": role},
                )
        flask_migrate.upgrade(revision="0007")
        with db.engine.begin() as connection:
            rows = connection.execute(text("SELECT staff_id, role FROM staff_role ORDER BY staff_id")).all()
            assert [tuple(row) for row in rows] == [(7, "clinician"), (8, "admin")]
            connection.execute(text("INSERT INTO staff_role (staff_id, role) VALUES (7, 'admin'), (8, 'reception')"))
        flask_migrate.downgrade(revision="0006")
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, role FROM staff_user ORDER BY id")).all()
        # admin when held: the clinic keeps its administrators
        assert [tuple(row) for row in rows] == [(7, "admin"), (8, "admin")]
        flask_migrate.downgrade(revision="base")
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()
