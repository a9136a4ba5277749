"""The staff download of a submission as a FHIR Bundle (``GET /staff/submissions/<reference>/fhir``): every staff
role may, each download is audited, the answer is a valid ``no-store`` FHIR JSON attachment that carries the stored
answers exactly, one DetectedIssue per flag with the acknowledgements, and nothing for a visitor not signed in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.clinical.fhir_codes import RULE_SYSTEM
from screening.clinical.fhir_response import answers_from_response
from screening.extensions import db
from screening.models import Acknowledgement, StaffUser, Submission
from screening.staff import review
from tests.answer_sets import answers
from tests.app.auth import sign_in
from tests.app.staff_helpers import audit_events
from tests.conftest import Browser
from tests.summary_cases import submit

FLAGGED = answers(
    full_name="Demo Patient Two",
    sex_at_birth="male",
    date_of_birth="1968-02-03",
    heart_conditions=["high_blood_pressure", "heart_attack"],
    bp_controlled="unsure",
    bp_crisis_recent="no",
    heart_attack_recent="yes",
    chest_pain_since_mi="no",
    bp_systolic=186,
    bp_diastolic=104,
)


def stored(app: Flask) -> str:
    with app.app_context():
        return submit(FLAGGED).reference


def url(reference: str) -> str:
    return f"/staff/submissions/{reference}/fhir"


def resources(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in body["entry"] if entry["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("role", ["reception", "clinician", "admin"])
def test_every_staff_role_downloads_a_valid_no_store_attachment_and_each_is_audited(
    app: Flask, browser: Browser, role: str
) -> None:
    reference = stored(app)
    staff = sign_in(browser, app, role)
    response = browser.client.get(url(reference))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and reference in disposition
    Bundle.model_validate(json.loads(response.data))
    rows = audit_events(app, "export.fhir_downloaded")
    assert [(row["reference"], row["staff_id"]) for row in rows] == [(reference, staff.id)]


def test_the_bundle_carries_the_stored_answers_and_one_issue_per_flag_with_its_acknowledgement(
    app: Flask, browser: Browser
) -> None:
    reference = stored(app)
    staff = sign_in(browser, app, "clinician", name="Dr Cleo Clinician")
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None and submission.flags
        first = min(submission.flags, key=lambda flag: flag.position)
        actor = db.session.get(StaffUser, staff.id)
        assert actor is not None
        review.acknowledge_flag(
            first, Acknowledgement.DISCUSSED, actor=actor, expected_version=submission.version_id, note="Seen"
        )
        stored_answers, rule_ids = (
            submission.answers,
            [f.rule_id for f in sorted(submission.flags, key=lambda f: f.position)],
        )
    body = json.loads(browser.client.get(url(reference)).data)
    (response,) = resources(body, "QuestionnaireResponse")
    assert json.dumps(answers_from_response(response), sort_keys=True) == json.dumps(stored_answers, sort_keys=True)
    issues = resources(body, "DetectedIssue")
    assert [issue["code"]["coding"][0] for issue in issues] == [
        {"system": RULE_SYSTEM, "code": rule_id, "display": issue["code"]["coding"][0]["display"]}
        for rule_id, issue in zip(rule_ids, issues, strict=True)
    ]
    (mitigation,) = issues[0]["mitigation"]
    assert mitigation["action"] == {"text": "Discussed"}
    assert mitigation["author"] == {"display": "Dr Cleo Clinician"}
    assert "Seen" not in json.dumps(issues)  # a note stays out of the export
    assert all("mitigation" not in issue for issue in issues[1:])


def test_a_visitor_not_signed_in_is_sent_to_sign_in_and_nothing_is_audited(app: Flask, client: FlaskClient) -> None:
    reference = stored(app)
    response = client.get(url(reference))
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert b"Demo Patient Two" not in response.data
    assert audit_events(app, "export.fhir_downloaded") == []


@pytest.mark.parametrize("reference", ["KT-ZZZZ-ZZZZ", "not-a-reference"])
def test_an_unknown_reference_is_404_and_not_a_download(app: Flask, browser: Browser, reference: str) -> None:
    sign_in(browser, app, "reception")
    response = browser.client.get(url(reference))
    assert response.status_code == 404
    assert audit_events(app, "export.fhir_downloaded") == []


def test_the_submission_page_links_to_the_download(app: Flask, browser: Browser) -> None:
    reference = stored(app)
    sign_in(browser, app, "reception")
    page = browser.client.get(f"/staff/submissions/{reference}").get_data(as_text=True)
    assert f'href="{url(reference)}"' in page
    assert "Download for a record system (FHIR R4 JSON)" in page
