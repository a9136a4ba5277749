"""A submission as a FHIR Bundle (``screening.clinical.fhir_bundle``): each resource valid FHIR R4 (fhir.resources'
R4B models), severities and score codes as documented, references that resolve inside the Bundle, stable ids, and
patient-identifying answers only in the Patient and the QuestionnaireResponse."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from screening import rules
from screening.clinical.fhir_bundle import (
    ISSUE_SEVERITY,
    LOINC,
    RULE_SYSTEM,
    SCORE_SYSTEM,
    SOURCE_CITATION_EXTENSION,
    ExportAcknowledgement,
    ExportFlag,
    ExportSubmission,
    bundle,
    detected_issue,
    patient_resource,
)
from screening.clinical.questionnaire import QUESTIONNAIRE_VERSION
from tests.answer_sets import TODAY, answers, auditc, gad7, phq9

WHEN = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
CANARY = "Zebedee Quillfeather-Canary"
MODELS = {
    "Patient": Patient,
    "QuestionnaireResponse": QuestionnaireResponse,
    "DetectedIssue": DetectedIssue,
    "Observation": Observation,
}
#: The LOINC code each score must carry (docs/fhir.md cites each); None: no LOINC code, our code system only.
EXPECTED_LOINC = {
    "peg": "91147-9",
    "phq9": "44261-6",
    "gad7": "70274-6",
    "auditc": "75626-2",
    "stopbang": None,
    "bmi": "39156-5",
}


def export(values: dict[str, Any], reference: str = "K7Q-4MX") -> ExportSubmission:
    """An export input made the way the staff side makes it: the stored answers, scores and flags of an
    assessment, each flag's sources resolved to their citations."""
    assessment = rules.assess(values, today=TODAY)
    flags = tuple(
        ExportFlag(
            rule_id=flag.rule_id,
            severity=flag.severity.value,
            title=flag.title,
            evidence=flag.evidence,
            sources=tuple((key, rules.SOURCES[key]) for key in (flag.source or "").split(", ") if key),
        )
        for flag in assessment.flags
    )
    return ExportSubmission(
        reference=reference,
        submitted_at=WHEN,
        questionnaire_version=QUESTIONNAIRE_VERSION,
        answers=dict(assessment.answers.values),
        scores={key: asdict(score) for key, score in assessment.scores.items()},
        flags=flags,
    )


#: Flags of several severities (urgent self-harm, discuss, caution), every score computed, a canary name.
RICH = answers(
    full_name=CANARY,
    phone="01632 960 005",
    sex_at_birth="male",
    height_cm=181.5,
    weight_kg=124,
    neck_large="yes",
    snoring_loud="yes",
    **phq9(2, 2, 1, 1, 1, 1, 1, 1, 2),
    self_harm_intent="yes",
    self_harm_recent_attempt="no",
    **gad7(3, 2, 2, 1, 1, 1, 1),
    **auditc(3, 2, 1),
    heart_conditions=["high_blood_pressure"],
    bp_controlled="no",
    bp_crisis_recent="no",
    pain_conditions=["crps"],
)


def resources(value: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in value["entry"]]


def of_type(value: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [resource for resource in resources(value) if resource["resourceType"] == kind]


@pytest.fixture(scope="module")
def rich() -> dict[str, Any]:
    return bundle(export(RICH))


def test_the_bundle_and_every_resource_validate(rich: dict[str, Any]) -> None:
    Bundle.model_validate(rich)
    kinds = [resource["resourceType"] for resource in resources(rich)]
    assert kinds[:2] == ["Patient", "QuestionnaireResponse"]
    assert {"DetectedIssue", "Observation"} <= set(kinds)
    for resource in resources(rich):
        MODELS[resource["resourceType"]].model_validate(resource)
    assert rich["type"] == "collection"


def test_the_example_fires_flags_of_several_severities(rich: dict[str, Any]) -> None:
    severities = {flag.severity for flag in export(RICH).flags}
    assert severities == {"urgent", "discuss", "caution", "info"}, severities


def test_every_severity_of_the_rules_maps_as_documented() -> None:
    expected = {"urgent": "high", "discuss": "high", "caution": "moderate", "info": "low"}
    assert {severity.value for severity in rules.Severity} == set(ISSUE_SEVERITY) == set(expected)
    for severity in rules.Severity:
        flag = ExportFlag("cv_recent_mi", severity.value, "Title", "Evidence")
        issue = detected_issue(
            flag, resource_id="a", patient_ref="urn:uuid:p", response_ref="urn:uuid:r", identified=WHEN
        )
        DetectedIssue.model_validate(issue)
        assert issue["severity"] == expected[severity.value]


def test_a_detected_issue_carries_rule_evidence_sources_and_acknowledgements(rich: dict[str, Any]) -> None:
    flags = export(RICH).flags
    issues = of_type(rich, "DetectedIssue")
    assert len(issues) == len(flags)
    for flag, issue in zip(flags, issues, strict=True):
        assert issue["code"]["coding"] == [{"system": RULE_SYSTEM, "code": flag.rule_id, "display": flag.title}]
        assert issue["detail"] == flag.evidence and issue["status"] == "final"
        assert issue["identifiedDateTime"] == "2026-11-24T09:30:00+00:00"
        citations = [
            ext["valueString"] for ext in issue.get("extension", []) if ext["url"] == SOURCE_CITATION_EXTENSION
        ]
        assert citations == [f"{key}: {text}" for key, text in flag.sources]
        assert any(flag.sources for flag in flags)
    acknowledged = replace(
        flags[0],
        acknowledgements=(ExportAcknowledgement("Discussed", datetime(2026, 11, 25, 8, 0, tzinfo=UTC), "Dr Cleo"),),
    )
    issue = detected_issue(
        acknowledged, resource_id="a", patient_ref="urn:uuid:p", response_ref="urn:uuid:r", identified=WHEN
    )
    DetectedIssue.model_validate(issue)
    assert issue["mitigation"] == [
        {"action": {"text": "Discussed"}, "date": "2026-11-25T08:00:00+00:00", "author": {"display": "Dr Cleo"}}
    ]


def test_every_score_has_an_observation_with_its_code(rich: dict[str, Any]) -> None:
    scores = export(RICH).scores
    observations = {
        next(c["code"] for c in obs["code"]["coding"] if c["system"] == SCORE_SYSTEM): obs
        for obs in of_type(rich, "Observation")
    }
    assert set(observations) == set(EXPECTED_LOINC)
    for key, loinc in EXPECTED_LOINC.items():
        observation = observations[key]
        loinc_codes = [c["code"] for c in observation["code"]["coding"] if c["system"] == LOINC]
        assert loinc_codes == ([loinc] if loinc else [])
        assert observation["valueQuantity"]["value"] == scores[key]["value"]
        assert observation["status"] == "final"
    assert observations["bmi"]["valueQuantity"]["code"] == "kg/m2"
    assert observations["phq9"]["interpretation"] == [{"text": scores["phq9"]["band"]}]


def test_a_minimum_score_says_at_least_and_a_missing_one_is_left_out() -> None:
    partial = answers(**{**phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), "phq9_5": None})
    value = bundle(export(partial))
    observations = {obs["code"]["text"]: obs for obs in of_type(value, "Observation")}
    assert observations["PHQ-9"]["valueQuantity"]["comparator"] == ">="
    assert "comparator" not in observations["GAD-7"]["valueQuantity"]
    assert "BMI" not in observations  # no height or weight given
    Bundle.model_validate(value)


def test_every_reference_resolves_inside_the_bundle(rich: dict[str, Any]) -> None:
    urls = {entry["fullUrl"] for entry in rich["entry"]}
    assert all(entry["fullUrl"] == "urn:uuid:" + entry["resource"]["id"] for entry in rich["entry"])
    patient, response = (entry["fullUrl"] for entry in rich["entry"][:2])
    assert of_type(rich, "QuestionnaireResponse")[0]["subject"]["reference"] == patient
    for issue in of_type(rich, "DetectedIssue"):
        assert issue["patient"]["reference"] == patient
        assert issue["evidence"][0]["detail"][0]["reference"] == response
    for observation in of_type(rich, "Observation"):
        assert observation["subject"]["reference"] == patient
        assert observation["derivedFrom"] == [{"reference": response}]
    assert len(urls) == len(rich["entry"])


def test_ids_are_stable_per_reference_and_differ_between_references(rich: dict[str, Any]) -> None:
    assert bundle(export(RICH)) == rich
    other = bundle(export(RICH, reference="ZZZ-999"))
    assert not {entry["fullUrl"] for entry in rich["entry"]} & {entry["fullUrl"] for entry in other["entry"]}


@pytest.mark.parametrize(
    ("sex", "gender"), [("female", "female"), ("male", "male"), ("intersex", None), ("not_say", None)]
)
def test_gender_only_where_sex_at_birth_maps(sex: str, gender: str | None) -> None:
    patient = patient_resource(answers(sex_at_birth=sex), resource_id="p")
    Patient.model_validate(patient)
    assert patient.get("gender") == gender


def test_the_patient_has_name_birth_date_and_contacts_with_the_preferred_one_first() -> None:
    patient = patient_resource(
        answers(full_name=CANARY, phone="01632 960 001", preferred_contact="phone"), resource_id="p"
    )
    assert patient["name"] == [{"text": CANARY}]
    assert patient["birthDate"] == "1985-03-14"
    assert patient["telecom"] == [
        {"system": "phone", "value": "01632 960 001", "rank": 1},
        {"system": "email", "value": "alex@example.org"},
    ]


def test_identifying_answers_appear_only_in_the_patient_and_the_response(rich: dict[str, Any]) -> None:
    identifying = [CANARY, "01632 960 005", "alex@example.org", "1985-03-14"]
    for resource in resources(rich):
        text = json.dumps(resource)
        inside = resource["resourceType"] in ("Patient", "QuestionnaireResponse")
        for value in identifying:
            assert (value in text) is inside, f"{value} in {resource['resourceType']}: {inside=}"
    assert date.fromisoformat(RICH["date_of_birth"])  # the canary date is a real stored date


def test_every_rule_of_the_catalogue_makes_a_valid_detected_issue_with_its_citations() -> None:
    for rule in rules.RULES:
        sources = tuple((key, rules.SOURCES[key]) for key in rule.sources)
        flag = ExportFlag(rule.id, rule.severity.value, rule.title, "evidence", sources)
        issue = detected_issue(
            flag, resource_id="a", patient_ref="urn:uuid:p", response_ref="urn:uuid:r", identified=WHEN
        )
        DetectedIssue.model_validate(issue)
        assert issue["code"]["coding"][0]["code"] == rule.id
        assert len(issue.get("extension", [])) == len(rule.sources)
        assert ("reference" in issue) is bool(rule.sources)
