"""The QuestionnaireResponse of a submission (``screening.clinical.fhir_response``): valid FHIR R4 (fhir.resources'
R4B models), typed as the Questionnaire's items, unasked questions left out, and a round trip back to the stored
answers for the demo sets and for generated answer sets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.clinical.fhir_codes import ANSWER_SYSTEM, QUESTIONNAIRE_URL
from screening.clinical.fhir_questionnaire import questionnaire_resource
from screening.clinical.fhir_response import VALUE_KEY, answers_from_response, questionnaire_response
from screening.clinical.questionnaire import (
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    TEXT_TYPES,
    QType,
    Question,
    clean_answers,
)
from screening.demo import DEMO_PATIENTS
from tests.answer_sets import answers

WHEN = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PATIENT = "urn:uuid:7f1c9a52-5d0e-5b8e-9a57-0d6f3c1e2b44"


def response(stored: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "reference": "K7Q-4MX",
        "authored": WHEN,
        "questionnaire_version": QUESTIONNAIRE_VERSION,
        "patient_ref": PATIENT,
    }
    return questionnaire_response(stored, **(arguments | changes))


def stored(**changes: Any) -> dict[str, Any]:
    """An answer set as the submit path stores it (cleaned)."""
    return dict(clean_answers(answers(**changes)).values)


def typed(values: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Answers with their types, so that 170 and 170.0, or True and 1, are not taken as the same answer."""
    return {key: (type(value).__name__, value) for key, value in values.items()}


def answered_items(resource: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for group in resource["item"]:
        for item in group["item"]:
            yield group["linkId"], item


def questionnaire_paths() -> dict[str, tuple[str, str]]:
    """Question id -> (group linkId, FHIR item type) in F1's Questionnaire."""
    paths = {}
    for group in questionnaire_resource()["item"]:
        for item in group["item"]:
            if item["type"] != "display":
                paths[item["linkId"]] = (group["linkId"], item["type"])
    return paths


SETS = {"baseline": stored()} | {
    patient["full_name"]: dict(clean_answers(answers(**patient)).values) for patient in DEMO_PATIENTS
}


@pytest.mark.parametrize("name", list(SETS))
def test_the_demo_sets_validate_and_come_back_exactly(name: str) -> None:
    resource = response(SETS[name])
    QuestionnaireResponse.model_validate(resource)
    assert typed(answers_from_response(resource)) == typed(SETS[name])


def test_the_header_names_the_versioned_questionnaire_the_patient_and_the_reference() -> None:
    resource = response(stored(), questionnaire_version="3")
    assert resource["questionnaire"] == f"{QUESTIONNAIRE_URL}|3"
    assert resource["status"] == "completed"
    assert resource["subject"] == {"reference": PATIENT}
    assert resource["identifier"]["value"] == "K7Q-4MX"


@pytest.mark.parametrize(
    ("authored", "text"),
    [
        (WHEN, "2026-11-24T09:30:00+00:00"),
        (datetime(2026, 11, 24, 9, 30), "2026-11-24T09:30:00+00:00"),  # naive, as stored: UTC
        (datetime(2026, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))), "2026-06-01T10:00:00+01:00"),
    ],
)
def test_authored_is_iso_8601_with_its_offset(authored: datetime, text: str) -> None:
    assert response(stored(), authored=authored)["authored"] == text


def test_items_sit_in_the_questionnaires_groups_with_its_item_types() -> None:
    paths = questionnaire_paths()
    everything = stored(
        sex_at_birth="male", height_cm=180.5, weight_kg=82, no_medications=None, medicines=["sertraline 50mg"]
    )
    resource = response(everything)
    seen = []
    for group, item in answered_items(resource):
        qid = item["linkId"]
        assert paths[qid][0] == group, f"{qid} is not in the group {group}"
        keys = {key for answer in item["answer"] for key in answer}
        assert keys == {VALUE_KEY[paths[qid][1]]}, qid
        seen.append(qid)
    assert len(seen) == len(set(seen)) == len(everything)
    assert {"height_cm", "weight_kg", "current_medications", "date_of_birth", "phq9_1"} <= set(seen)


def test_codes_are_in_our_answer_system_and_a_multi_choice_has_one_answer_per_code() -> None:
    given_answers = stored(pain_conditions=["arthritis", "crps", "fibromyalgia"])
    resource = response(given_answers)
    items = {item["linkId"]: item for _, item in answered_items(resource)}
    pain = items["pain_conditions"]["answer"]
    assert len(given_answers["pain_conditions"]) == 3
    assert [answer["valueCoding"]["code"] for answer in pain] == given_answers["pain_conditions"]
    assert {answer["valueCoding"]["system"] for answer in pain} == {ANSWER_SYSTEM}
    assert items["sex_at_birth"]["answer"] == [
        {"valueCoding": {"system": ANSWER_SYSTEM, "code": "female", "display": "Female"}}
    ]
    assert items["phq9_1"]["answer"] == [{"valueInteger": 0}]
    assert items["consent_store"]["answer"] == [{"valueBoolean": True}]
    assert items["date_of_birth"]["answer"] == [{"valueDate": "1985-03-14"}]


def test_a_height_with_a_decimal_stays_a_decimal_and_a_whole_one_an_int() -> None:
    given_answers = stored(height_cm=170.5, weight_kg=70)
    back = answers_from_response(response(given_answers))
    assert back["height_cm"] == 170.5 and isinstance(back["height_cm"], float)
    assert back["weight_kg"] == 70 and isinstance(back["weight_kg"], int)


def test_unasked_and_unanswered_questions_are_left_out() -> None:
    resource = response(stored(sex_at_birth="male", phone=None))
    ids = {item["linkId"] for _, item in answered_items(resource)}
    assert "pregnancy_status" not in ids  # not asked of a man
    assert "phone" not in ids  # optional, left empty
    assert "auditc_2" not in ids  # hidden: never drinks
    assert all(group["item"] for group in resource["item"])  # no empty groups


def test_the_inverse_ignores_unknown_link_ids() -> None:
    resource = response(stored())
    resource["item"].append({"linkId": "not_a_question", "answer": [{"valueString": "x"}]})
    assert answers_from_response(resource) == stored()


# --- generated answer sets --------------------------------------------------------------------------
_TEXT = st.characters(blacklist_categories=("Cs", "Cc"))


def _value(question: Question) -> st.SearchStrategy[Any]:
    qtype = question.type
    if qtype is QType.MULTI:
        return st.lists(st.sampled_from(question.codes), min_size=1, max_size=4, unique=True)
    if question.options and qtype not in (QType.SCALE, QType.LIKERT4):
        return st.sampled_from(question.codes)
    if qtype in (QType.INT, QType.SCALE, QType.LIKERT4):
        low = question.min_value if question.min_value is not None else 0
        return st.integers(low, question.max_value if question.max_value is not None else low + 500)
    if qtype is QType.MEASURE:
        low, high = question.min_value or 0, question.max_value or 300
        return st.integers(low * 10, high * 10).map(lambda tenths: tenths / 10)
    if qtype is QType.DATE:
        return st.dates(date(1900, 1, 1), date(2026, 12, 31)).map(date.isoformat)
    if qtype in (QType.CONSENT, QType.CHECKBOX):
        return st.just(True)
    assert qtype in TEXT_TYPES
    alphabet = st.one_of(_TEXT, st.just("\n")) if qtype is QType.TEXTAREA else _TEXT
    return st.text(alphabet, min_size=1, max_size=min(question.max_length or 80, 80))


ANSWER_SETS = st.fixed_dictionaries({}, optional={qid: _value(question) for qid, question in QUESTIONS.items()}).map(
    lambda raw: dict(clean_answers(raw).values)
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANSWER_SETS)
def test_generated_answer_sets_validate_and_come_back_exactly(given_answers: dict[str, Any]) -> None:
    resource = response(given_answers)
    QuestionnaireResponse.model_validate(resource)
    assert typed(answers_from_response(resource)) == typed(given_answers)
