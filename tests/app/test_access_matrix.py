"""Deny-by-default access control (ASVS 8.1.1, 8.2.1), proved over the whole URL map.

``EXPECTED`` is the role x endpoint matrix, derived from the role x action table of DESIGN.md:

| DESIGN.md action                                              | reception | clinician | admin |
| queue, submission page (all answers), print, PDF              | yes       | yes       | yes   |
| notes; statuses in_review, awaiting_patient, withdrawn        | yes       | yes       | yes   |
| statuses consult_offered, not_suitable; acknowledge flags     | no        | yes       | no    |
| CSV and FHIR export, audit log, staff accounts, purge         | no        | no        | yes   |
| mark a submission as superseded by a repeat (and undo it)     | no        | yes       | yes   |

plus the patient questionnaire and the sign-in steps (public) and sign-out / password change (every staff
role). An account holding several roles may use what any of them may (the union): the matrix is run for
accounts with two roles too (``ROLE_SETS``). The status endpoint is open to every role because which statuses a
role may set is decided inside it (field level); everything under ``/staff/admin`` is for admins only.

A new endpoint makes ``test_access_every_endpoint_in_the_expected_table`` fail until it gets a row here:
decide who may use it (DESIGN.md), mark the view ``@public`` or ``@roles(...)``, add the row, and add a
sample value below if it takes a new URL parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import PathConverter, Rule, UnicodeConverter

from screening import create_app
from screening.access import allowed_roles, is_public, needs_api_token
from screening.extensions import db
from screening.models import AuditEvent, FlagRecord, Role, Submission
from tests.app.auth import Staff, account, csrf_token, make_staff, sign_in

PUBLIC = "public"
API_TOKEN = "api-token"  # the FHIR read API: an API token (Authorization: Bearer), never a staff session
ALL_STAFF = frozenset({"reception", "clinician", "admin"})
CLINICIAN = frozenset({"clinician"})
ADMIN = frozenset({"admin"})
ROLES = ("reception", "clinician", "admin")
#: Accounts holding several roles ("+" between them): allowed wherever any of their roles is.
ROLE_SETS = ("clinician+admin", "reception+clinician", "reception+admin")

EXPECTED: dict[str, str | frozenset[str]] = {
    # the patient questionnaire (no account)
    "patient.start": PUBLIC,
    "patient.start_again": PUBLIC,
    "patient.confirm_start_again": PUBLIC,
    "patient.step": PUBLIC,
    "patient.check": PUBLIC,
    "patient.submit": PUBLIC,
    "patient.confirmation": PUBLIC,
    "patient.important": PUBLIC,  # the act-now page after a step whose answers mean "act now"
    "patient.finish": PUBLIC,  # "Finish and clear this page" on the confirmation
    "patient.privacy": PUBLIC,  # the privacy notice, accessibility statement and cookie page (info_views.py)
    "patient.accessibility": PUBLIC,
    "patient.cookies": PUBLIC,
    # save and come back later, from any device (resume_views.py): the code or the emailed link and the date of birth
    "patient.save_for_later": PUBLIC,
    "patient.issue_code": PUBLIC,
    "patient.email_link": PUBLIC,
    "patient.link_emailed": PUBLIC,
    "patient.resume_form": PUBLIC,
    "patient.open_link": PUBLIC,
    "patient.resume_link": PUBLIC,
    "patient.confirm_not_me": PUBLIC,
    "patient.not_me": PUBLIC,
    # the patient's own copy of what they sent (copy_views.py): this browser's session, within 30 minutes
    "patient.your_answers": PUBLIC,
    "patient.your_answers_pdf": PUBLIC,
    "brand.stylesheet": PUBLIC,  # the clinic's colour and logo (brand_views.py): shown on every page, no data
    "brand.logo": PUBLIC,
    # signing in: the password and second steps are reached before there is a signed-in user
    "auth.login": PUBLIC,
    "auth.mfa": PUBLIC,
    "auth.mfa_setup": PUBLIC,
    "auth.mfa_qr": PUBLIC,
    "fhir.questionnaire_current": PUBLIC,  # the FHIR Questionnaire: the questions, no patient data
    "fhir.questionnaire_version": PUBLIC,
    "fhir.metadata": PUBLIC,  # the FHIR CapabilityStatement: what the read API serves, no patient data
    # the FHIR read API for integration engines (fhir_api.py): an API token only, a staff session gets 401
    "fhir.search_responses": API_TOKEN,
    "fhir.read_bundle": API_TOKEN,
    # every staff member: their own session and password
    "auth.logout": ALL_STAFF,
    "auth.password": ALL_STAFF,
    # queue, submission page: every role
    "staff.queue": ALL_STAFF,
    "staff.search": ALL_STAFF,
    "staff.submission": ALL_STAFF,
    "summary.fhir_download": ALL_STAFF,  # a submission as a FHIR Bundle: audited, no-store
    "summary.print_view": ALL_STAFF,
    "summary.pdf_download": ALL_STAFF,
    # notes and (administrative) statuses: every role; clinical statuses are refused inside the view
    "staff.add_note": ALL_STAFF,
    "staff.change_status": ALL_STAFF,
    # acknowledge flags, and pick up an urgent submission ("I'm calling the patient"): clinicians only
    "staff.acknowledge_flag": CLINICIAN,
    "staff.pick_up": CLINICIAN,
    # mark a submission as superseded by another of the same person (or undo it): clinicians and admins
    "staff.mark_superseded": frozenset({"clinician", "admin"}),
    # the reports page and its charts (numbers only, no patient data): clinicians and admins
    "staff.reports_page": frozenset({"clinician", "admin"}),
    "staff.report_chart": frozenset({"clinician", "admin"}),
    # audit log, exports, staff accounts: admins only
    "admin.audit": ADMIN,
    "admin.export_page": ADMIN,
    "admin.export_csv": ADMIN,
    "admin.audit_csv": ADMIN,
    "admin.staff": ADMIN,
    "admin.staff_new": ADMIN,
    "admin.staff_edit": ADMIN,
    "admin.staff_deactivate": ADMIN,
    "admin.staff_reactivate": ADMIN,
    "admin.staff_reset_mfa": ADMIN,
    "admin.staff_one_time_password": ADMIN,
    # API tokens for the FHIR read API (api_token_views.py): list, create (shown once), revoke
    "admin.api_tokens_page": ADMIN,
    "admin.api_token_new": ADMIN,
    "admin.api_token_revoke": ADMIN,
    # pause new forms (with a message for patients) and reopen them
    "admin.intake_page": ADMIN,
    "admin.intake_pause": ADMIN,
    "admin.intake_reopen": ADMIN,
}
# Endpoints whose POST signs the user out are checked last for each role.
SIGNS_OUT = ("auth.logout",)


def _rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    return sorted(rules, key=lambda rule: (rule.endpoint in SIGNS_OUT, rule.rule))


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _protected(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in _rules(app)
        if EXPECTED.get(rule.endpoint) not in (PUBLIC, API_TOKEN)
        for method in _methods(rule)
    ]


@pytest.fixture
def samples(app: Flask) -> dict[str, Any]:
    """A value for every URL parameter: a real submission with a flag, another staff account."""
    from screening.demo import add_demo_submissions

    with app.app_context():
        references = [reference for reference, flags in add_demo_submissions() if flags]
        submission = db.session.scalar(select(Submission).where(Submission.reference == references[0]))
        assert submission is not None
        flag = db.session.scalar(select(FlagRecord).where(FlagRecord.submission_id == submission.id))
        assert flag is not None
        reference, rule_id = submission.reference, flag.rule_id
    target = make_staff(app, Role.RECEPTION, email="target@clinic.example.org")
    return {
        "reference": reference,
        "rule_id": rule_id,
        "staff_id": target.id,
        "step_id": "about_you",
        "chart": "weekly",  # a reports page chart (reports_charts.CHARTS)
        "token": "A" * 43,  # an emailed resume link's shape (resume_views): unknown, so refused kindly
        "version": "4",  # a FHIR Questionnaire version (fhir_views)
        "token_id": 1,  # an API token (api_token_views): unknown here, so 404 for an admin
    }


def _url(app: Flask, rule: Rule, samples: dict[str, Any]) -> str:
    missing = sorted(set(rule.arguments) - set(samples))
    assert not missing, f"{rule.endpoint}: add a sample value for {missing} to the samples fixture"
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments})


def _request(client: FlaskClient, method: str, url: str, token: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token})


def _token(client: FlaskClient, page: str) -> str:
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    return csrf_token(response.get_data(as_text=True))


def _signed_in_as(app: Flask, role: str) -> Iterator[tuple[FlaskClient, Staff]]:
    """A client signed in as a new account holding ``role`` (several joined by "+", e.g. "clinician+admin")."""
    client = FlaskClient(app, app.response_class, use_cookies=True)
    first, *also = role.split("+")
    yield client, sign_in(client, app, first, also=tuple(also))


# --- the table -----------------------------------------------------------------------------------------
def test_access_every_endpoint_marked_public_or_with_roles(app: Flask) -> None:
    unmarked = [
        rule.endpoint
        for rule in _rules(app)
        if not is_public(app.view_functions[rule.endpoint])
        and not needs_api_token(app.view_functions[rule.endpoint])
        and allowed_roles(app.view_functions[rule.endpoint]) is None
    ]
    assert unmarked == []


def test_access_every_endpoint_in_the_expected_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in _rules(app)}
    assert sorted(endpoints - set(EXPECTED)) == [], "new endpoint(s): add them to EXPECTED (see the docstring)"
    assert sorted(set(EXPECTED) - endpoints) == [], "EXPECTED names endpoints that no longer exist"


def test_access_markers_match_the_expected_table(app: Flask) -> None:
    actual: dict[str, str | frozenset[str]] = {}
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        roles = allowed_roles(view)
        if is_public(view) or needs_api_token(view):
            actual[rule.endpoint] = PUBLIC if is_public(view) else API_TOKEN
        else:
            actual[rule.endpoint] = frozenset(role.value for role in roles or ())
    assert actual == EXPECTED


def test_access_admin_area_is_admins_only_and_staff_area_never_public(app: Flask) -> None:
    sign_in_steps = {"auth.login", "auth.mfa", "auth.mfa_setup", "auth.mfa_qr"}
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/staff/admin"):
            assert allowed_roles(view) == frozenset({Role.ADMIN}), rule.endpoint
        if rule.rule.startswith("/staff") and rule.endpoint not in sign_in_steps:
            assert not is_public(view), rule.endpoint


def test_access_url_parameters_use_typed_converters_or_a_regex(app: Flask) -> None:
    """No bare ``<name>`` / ``<string:...>`` / ``<path:...>``: ids are ints, references match their pattern."""
    loose = [
        (rule.rule, name)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for name, converter in rule._converters.items()
        if type(converter) in (UnicodeConverter, PathConverter)
    ]
    assert loose == []


def test_access_submissions_addressed_by_reference_never_row_id(
    app: Flask, client: FlaskClient, samples: dict[str, Any]
) -> None:
    sign_in(client, app, "clinician")
    with app.app_context():
        submission_id = db.session.scalar(select(Submission.id).where(Submission.reference == samples["reference"]))
    assert client.get(f"/staff/submissions/{samples['reference']}").status_code == 200
    assert client.get(f"/staff/submissions/{submission_id}").status_code == 404
    assert client.get("/staff/submissions/KT-0000-0000").status_code == 404  # well-formed, unknown
    assert client.get(f"/staff/submissions/{samples['reference'].lower()}").status_code == 404


# --- the matrix, request by request ----------------------------------------------------------------------
def test_access_anonymous_redirected_to_login_on_every_protected_endpoint(
    app: Flask, client: FlaskClient, samples: dict[str, Any]
) -> None:
    token = _token(client, "/staff/login")
    checked = 0
    for rule, method in _protected(app):
        response = _request(client, method, _url(app, rule, samples), token)
        assert (response.status_code, response.headers.get("Location")) == (302, "/staff/login"), (
            rule.endpoint,
            method,
            response.status_code,
        )
        checked += 1
    assert checked >= len([name for name, who in EXPECTED.items() if who not in (PUBLIC, API_TOKEN)])


@pytest.mark.parametrize("role", [*ROLES, *ROLE_SETS])
def test_access_roles_allowed_or_refused_per_the_table(app: Flask, samples: dict[str, Any], role: str) -> None:
    held = frozenset(role.split("+"))
    client, staff = next(_signed_in_as(app, role))
    assert {held_role.value for held_role in account(app, staff.id).roles} == held
    token = _token(client, "/staff/password")
    refused = 0
    for rule, method in _protected(app):
        url = _url(app, rule, samples)
        response = _request(client, method, url, token)
        expected = EXPECTED[rule.endpoint]
        assert isinstance(expected, frozenset)
        if held & expected:
            assert response.status_code not in (401, 403), (rule.endpoint, method, response.status_code)
            assert response.headers.get("Location") != "/staff/login" or rule.endpoint in SIGNS_OUT, (
                rule.endpoint,
                method,
            )
        else:
            assert response.status_code == 403, (rule.endpoint, method, response.status_code)
            refused += 1
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.denied", AuditEvent.staff_id == staff.id)
        ).all()
    assert len(denied) == refused  # every refusal is audited (ASVS 16.3.2)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_access_api_token_endpoints_refuse_visitors_and_every_staff_session(
    app: Flask, samples: dict[str, Any], role: str | None
) -> None:
    """The FHIR read API answers only to an API token: a signed-in member of staff, whatever their role, gets the
    same 401 OperationOutcome as a visitor (never a redirect to the sign-in page, never the data)."""
    client = next(_signed_in_as(app, role))[0] if role else FlaskClient(app, app.response_class, use_cookies=True)
    checked = 0
    for rule in _rules(app):
        if EXPECTED.get(rule.endpoint) == API_TOKEN:
            for method in _methods(rule):
                response = client.open(_url(app, rule, samples), method=method)
                assert response.status_code == 401, (rule.endpoint, method, response.status_code)
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), rule.endpoint
                assert response.mimetype == "application/fhir+json", rule.endpoint
                checked += 1
    assert checked == len([name for name, who in EXPECTED.items() if who == API_TOKEN])


def test_access_public_endpoints_need_no_sign_in(app: Flask, client: FlaskClient, samples: dict[str, Any]) -> None:
    second_step = {"auth.mfa", "auth.mfa_setup", "auth.mfa_qr"}  # lead back to the password step (or 404)
    for rule in _rules(app):
        if EXPECTED.get(rule.endpoint) == PUBLIC and "GET" in _methods(rule):
            response = client.get(_url(app, rule, samples))
            assert response.status_code not in (401, 403), rule.endpoint
            if rule.endpoint not in second_step:
                assert response.headers.get("Location") != "/staff/login", rule.endpoint


def test_access_unmarked_endpoint_refused_for_everyone() -> None:
    """Deny by default: a view someone forgets to mark is refused (403), even for a signed-in admin."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{folder}/unmarked.sqlite3",
                "SECRET_KEY": "test-secret-key",
                "CLINIC_PHONE": "01632 960 000",
                "CLINIC_EMAIL": "clinic@example.org",
            }
        )
        app.add_url_rule("/staff/forgotten", "forgotten", lambda: "patient data")
        with app.app_context():
            db.create_all()
        client = app.test_client()
        assert client.get("/staff/forgotten").status_code == 403
        sign_in(client, app, "admin")
        response = client.get("/staff/forgotten")
        assert response.status_code == 403 and "patient data" not in response.get_data(as_text=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
