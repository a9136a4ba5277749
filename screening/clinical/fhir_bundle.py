"""One submission as a FHIR R4 ``Bundle`` (type ``collection``): its Patient, QuestionnaireResponse, one
DetectedIssue per flag and one Observation per computed score.

Owns the mapping of a submission's plain data (``ExportSubmission``, filled by the staff side from a stored
submission) to FHIR: severities (urgent and discuss -> high, caution -> moderate, info -> low), score codes (LOINC
where one exists, else our ``SCORE_SYSTEM``; docs/fhir.md cites each LOINC code), and stable resource ids (uuid5
of the reference, so the same submission always exports the same ``urn:uuid:`` fullUrls; the Bundle's own id is the
reference, as the read API serves it at ``Bundle/<reference>``). Patient-identifying
answers (name, date of birth, email, phone) go only into the Patient and the QuestionnaireResponse.
Pure: imports only the standard library and the clinical core; returns plain JSON-ready dicts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from screening.clinical.fhir_codes import CANONICAL, EXTENSION_BASE, RULE_SYSTEM
from screening.clinical.fhir_response import REFERENCE_SYSTEM, fhir_datetime, questionnaire_response
from screening.clinical.questionnaire import DEFAULT_LOCALE

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
#: Our code system for scores without a LOINC code (STOP-Bang), and beside LOINC for every score.
SCORE_SYSTEM = CANONICAL + "/CodeSystem/score"
#: A rule's source: its stable key as a uri (``DetectedIssue.reference``), and its citation text (extension).
SOURCE_BASE = CANONICAL + "/source/"
SOURCE_CITATION_EXTENSION = EXTENSION_BASE + "/source-citation"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, CANONICAL + "/submission")

#: Flag severity (``rules.Severity`` values) -> ``DetectedIssue.severity``.
ISSUE_SEVERITY: Mapping[str, str] = {"urgent": "high", "discuss": "high", "caution": "moderate", "info": "low"}


@dataclass(frozen=True, slots=True)
class ScoreCode:
    """How a score is coded: our ``name`` (also its display in ``SCORE_SYSTEM``), the LOINC code and display (None
    when LOINC has none), the UCUM unit (code, words) and the Observation category."""

    name: str
    loinc: str | None = None
    loinc_display: str = ""
    unit: tuple[str, str] = ("{score}", "score")
    category: str = "survey"


#: Score key (``scoring.score_all``) -> its code (docs/fhir.md cites each LOINC code). Age is not exported: the
#: Patient's birthDate holds it.
SCORE_CODES: Mapping[str, ScoreCode] = {
    "peg": ScoreCode("PEG", "91147-9", "Mean score [PEG]"),
    "phq9": ScoreCode("PHQ-9", "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ScoreCode("GAD-7", "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
    "auditc": ScoreCode("AUDIT-C", "75626-2", "Total score [AUDIT-C]"),
    "stopbang": ScoreCode("STOP-Bang"),
    "bmi": ScoreCode("BMI", "39156-5", "Body mass index (BMI) [Ratio]", ("kg/m2", "kg/m2"), "vital-signs"),
}


@dataclass(frozen=True, slots=True)
class ExportAcknowledgement:
    """A clinician's acknowledgement of a flag: what they did (``action``, words), when, and who (display name)."""

    action: str
    at: datetime
    author: str


@dataclass(frozen=True, slots=True)
class ExportFlag:
    """A stored flag: ``severity`` is a ``rules.Severity`` value; ``sources`` are (key, citation) pairs."""

    rule_id: str
    severity: str
    title: str
    evidence: str
    sources: tuple[tuple[str, str], ...] = ()
    acknowledgements: tuple[ExportAcknowledgement, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportSubmission:
    """What the export needs of a submission: stored answers and scores (``asdict(Score)`` per key), its flags."""

    reference: str
    submitted_at: datetime
    questionnaire_version: str
    answers: Mapping[str, Any]
    scores: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    flags: Sequence[ExportFlag] = ()
    locale: str = DEFAULT_LOCALE


def resource_uuid(reference: str, part: str) -> str:
    """A stable uuid (version 5) for the resource ``part`` ("Patient", "DetectedIssue/2", ...) of a submission."""
    return str(uuid.uuid5(_NAMESPACE, f"{reference}/{part}"))


def full_url(reference: str, part: str) -> str:
    """The ``urn:uuid:`` fullUrl (and reference) of a resource of a submission."""
    return "urn:uuid:" + resource_uuid(reference, part)


# --- Patient -------------------------------------------------------------------------------------------
#: sex_at_birth codes that map to ``Patient.gender``; intersex and "I'd rather not say" are left out (their
#: answer stays in the QuestionnaireResponse): administrative gender has no faithful value for them.
GENDER: Mapping[str, str] = {"female": "female", "male": "male"}
_PREFERRED = {"email": "email", "phone": "phone", "text": "phone"}


def _telecom(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    preferred = _PREFERRED.get(str(answers.get("preferred_contact")))
    telecom = []
    for system in ("phone", "email"):
        value = answers.get(system)
        if isinstance(value, str) and value:
            point: dict[str, Any] = {"system": system, "value": value}
            if system == preferred:
                point["rank"] = 1
            telecom.append(point)
    return telecom


def patient_resource(answers: Mapping[str, Any], *, resource_id: str) -> dict[str, Any]:
    """The Patient of stored ``answers``: the name as typed (``text``: we never split a name), birth date,
    phone and email (the preferred one ranked 1), and gender only where sex at birth maps (``GENDER``)."""
    patient: dict[str, Any] = {"resourceType": "Patient", "id": resource_id}
    if answers.get("full_name"):
        patient["name"] = [{"text": answers["full_name"]}]
    if telecom := _telecom(answers):
        patient["telecom"] = telecom
    if gender := GENDER.get(str(answers.get("sex_at_birth"))):
        patient["gender"] = gender
    if answers.get("date_of_birth"):
        patient["birthDate"] = answers["date_of_birth"]
    return patient


# --- DetectedIssue -------------------------------------------------------------------------------------
def _mitigation(acknowledgement: ExportAcknowledgement) -> dict[str, Any]:
    return {
        "action": {"text": acknowledgement.action},
        "date": fhir_datetime(acknowledgement.at),
        "author": {"display": acknowledgement.author},
    }


def detected_issue(
    flag: ExportFlag, *, resource_id: str, patient_ref: str, response_ref: str, identified: datetime
) -> dict[str, Any]:
    """One flag as a DetectedIssue: the rule id coded in ``RULE_SYSTEM``, the evidence as ``detail``, the
    response as its evidence, the first source as ``reference`` (a stable uri of its key) and every source's
    citation in an extension, one mitigation per acknowledgement."""
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": resource_id,
        "status": "final",
        "code": {"coding": [{"system": RULE_SYSTEM, "code": flag.rule_id, "display": flag.title}]},
        "severity": ISSUE_SEVERITY.get(flag.severity, "high"),  # an unknown severity is never understated
        "patient": {"reference": patient_ref},
        "identifiedDateTime": fhir_datetime(identified),
        "evidence": [{"detail": [{"reference": response_ref}]}],
        "detail": flag.evidence,
    }
    if flag.sources:
        issue["extension"] = [
            {"url": SOURCE_CITATION_EXTENSION, "valueString": f"{key}: {citation}"} for key, citation in flag.sources
        ]
        issue["reference"] = SOURCE_BASE + flag.sources[0][0]
    if flag.acknowledgements:
        issue["mitigation"] = [_mitigation(ack) for ack in flag.acknowledgements]
    return issue


def detected_issues(
    flags: Sequence[ExportFlag], *, reference: str, patient_ref: str, response_ref: str, identified: datetime
) -> list[dict[str, Any]]:
    """One DetectedIssue per flag, in the flags' order (ids stable per submission and position)."""
    return [
        detected_issue(
            flag,
            resource_id=resource_uuid(reference, f"DetectedIssue/{index}"),
            patient_ref=patient_ref,
            response_ref=response_ref,
            identified=identified,
        )
        for index, flag in enumerate(flags)
    ]


# --- Observations --------------------------------------------------------------------------------------
def _code(key: str, code: ScoreCode) -> dict[str, Any]:
    codings = [{"system": LOINC, "code": code.loinc, "display": code.loinc_display}] if code.loinc else []
    codings.append({"system": SCORE_SYSTEM, "code": key, "display": code.name})
    return {"coding": codings, "text": code.name}


def _quantity(score: Mapping[str, Any], code: ScoreCode) -> dict[str, Any]:
    ucum, unit = code.unit
    quantity: dict[str, Any] = {"value": score["value"], "unit": unit, "system": UCUM, "code": ucum}
    if score.get("lower_bound"):
        quantity["comparator"] = ">="  # some items unanswered: the score is at least this
    return quantity


def score_observation(
    key: str, score: Mapping[str, Any], *, resource_id: str, patient_ref: str, response_ref: str, effective: datetime
) -> dict[str, Any]:
    """One score as an Observation (``final``, derived from the response). A minimum (items unanswered) has the
    comparator ``>=``; the band, if any, is the interpretation text; the AUDIT-C version is the method."""
    code = SCORE_CODES[key]
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code.category}]}],
        "code": _code(key, code),
        "subject": {"reference": patient_ref},
        "effectiveDateTime": fhir_datetime(effective),
        "valueQuantity": _quantity(score, code),
        "derivedFrom": [{"reference": response_ref}],
    }
    if score.get("band"):
        observation["interpretation"] = [{"text": str(score["band"])}]
    if score.get("version"):
        observation["method"] = {"text": str(score["version"])}
    return observation


def _scored(scores: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in SCORE_CODES:
        score = scores.get(key)
        if isinstance(score, Mapping) and isinstance(score.get("value"), int | float):
            yield key, score


def score_observations(
    scores: Mapping[str, Mapping[str, Any]],
    *,
    reference: str,
    patient_ref: str,
    response_ref: str,
    effective: datetime,
) -> list[dict[str, Any]]:
    """An Observation for each score of ``SCORE_CODES`` that has a value (a score that could not be computed is
    left out: its answers are in the response)."""
    return [
        score_observation(
            key,
            score,
            resource_id=resource_uuid(reference, f"Observation/{key}"),
            patient_ref=patient_ref,
            response_ref=response_ref,
            effective=effective,
        )
        for key, score in _scored(scores)
    ]


# --- Bundle --------------------------------------------------------------------------------------------
def bundle(submission: ExportSubmission) -> dict[str, Any]:
    """The submission's resources in one ``collection`` Bundle, each entry with a stable ``urn:uuid:`` fullUrl."""
    reference, when = submission.reference, submission.submitted_at
    patient_ref, response_ref = full_url(reference, "Patient"), full_url(reference, "QuestionnaireResponse")
    response = questionnaire_response(
        submission.answers,
        reference=reference,
        authored=when,
        questionnaire_version=submission.questionnaire_version,
        patient_ref=patient_ref,
        locale=submission.locale,
    )
    response["id"] = resource_uuid(reference, "QuestionnaireResponse")
    links = {"reference": reference, "patient_ref": patient_ref, "response_ref": response_ref}
    resources = [
        patient_resource(submission.answers, resource_id=resource_uuid(reference, "Patient")),
        response,
        *detected_issues(submission.flags, identified=when, **links),
        *score_observations(submission.scores, effective=when, **links),
    ]
    return {
        "resourceType": "Bundle",
        "id": reference,  # the read API serves it as Bundle/<reference> (a FHIR id: letters, digits and "-")
        "identifier": {"system": REFERENCE_SYSTEM, "value": reference},
        "type": "collection",
        "timestamp": fhir_datetime(when),
        "entry": [{"fullUrl": "urn:uuid:" + resource["id"], "resource": resource} for resource in resources],
    }
