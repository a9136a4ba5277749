"""A submission's answers as a FHIR R4 ``QuestionnaireResponse``, and the stored answers rebuilt from one.

Owns how each stored answer (``questionnaire.valid_value``) is written as a FHIR answer and read back:
coded answers as ``valueCoding`` in ``ANSWER_SYSTEM`` (one answer per ticked code for a multi-choice), whole
numbers (counts, 0-10 scales, PHQ-9 and GAD-7 items) as ``valueInteger``, heights and weights as ``valueDecimal``,
dates as ``valueDate``, text as ``valueString`` and ticks as ``valueBoolean``. Items follow the Questionnaire
(``fhir_questionnaire``): one group per step (``linkId`` = step id) holding its questions (``linkId`` = question
id); a question that was not asked or not answered is left out, and so is a step with no answers.
Pure: imports only the standard library and the clinical core; returns plain JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from screening.clinical.fhir_codes import ANSWER_SYSTEM, CANONICAL, QUESTIONNAIRE_URL
from screening.clinical.fhir_questionnaire import ITEM_TYPE
from screening.clinical.questionnaire import DEFAULT_LOCALE, QUESTIONS, STEPS, QType, Question, localise

#: The identifier system of a submission's reference (the words a patient quotes), on the response and bundle.
REFERENCE_SYSTEM = CANONICAL + "/NamingSystem/submission-reference"

#: The ``answer[x]`` of each FHIR item type (``fhir_questionnaire.ITEM_TYPE``, so the two never disagree).
VALUE_KEY: Mapping[str, str] = {
    "string": "valueString",
    "text": "valueString",
    "date": "valueDate",
    "integer": "valueInteger",
    "decimal": "valueDecimal",
    "choice": "valueCoding",
    "boolean": "valueBoolean",
}


def fhir_datetime(moment: datetime) -> str:
    """A ``datetime`` as a FHIR dateTime with its offset (a naive one is read as UTC, as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def value_key(question: Question) -> str:
    """The ``answer[x]`` key of ``question``'s answers."""
    return VALUE_KEY[ITEM_TYPE[question.type]]


def fhir_answers(question: Question, value: Any, locale: str = DEFAULT_LOCALE) -> list[dict[str, Any]]:
    """The FHIR ``answer`` list of one stored answer: one coding per ticked code for a multi-choice, else one."""
    key = value_key(question)
    if key != "valueCoding":
        return [{key: value}]
    codes = value if question.type is QType.MULTI else [value]
    return [
        {key: {"system": ANSWER_SYSTEM, "code": code, "display": question.option_label(code, locale)}} for code in codes
    ]


def _items(answers: Mapping[str, Any], locale: str) -> Iterator[dict[str, Any]]:
    for step in STEPS:
        inner = [
            {
                "linkId": question.id,
                "text": question.label_in(locale),
                "answer": fhir_answers(question, answers[question.id], locale),
            }
            for question in step
            if answers.get(question.id) is not None
        ]
        if inner:
            yield {"linkId": step.id, "text": localise(step.title, locale), "item": inner}


def questionnaire_response(
    answers: Mapping[str, Any],
    *,
    reference: str,
    authored: datetime,
    questionnaire_version: str,
    patient_ref: str,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """The completed ``QuestionnaireResponse`` of stored (cleaned) ``answers``, for the Questionnaire version they
    were given to, about ``patient_ref`` (a FHIR reference such as ``urn:uuid:...``); texts in ``locale``'s words,
    as the Questionnaire words them."""
    return {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": REFERENCE_SYSTEM, "value": reference},
        "questionnaire": f"{QUESTIONNAIRE_URL}|{questionnaire_version}",
        "status": "completed",
        "subject": {"reference": patient_ref},
        "authored": fhir_datetime(authored),
        "item": list(_items(answers, locale)),
    }


# --- the inverse ---------------------------------------------------------------------------------
def _measure(value: Any) -> int | float:
    """A decimal read back as stored: a whole number as an int, else a float of its one decimal."""
    exact = Decimal(str(value))
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def stored_value(question: Question, answer: list[Mapping[str, Any]]) -> Any:
    """The stored answer of one FHIR ``answer`` list (the inverse of ``fhir_answers``)."""
    key = value_key(question)
    if question.type is QType.MULTI:
        return [item[key]["code"] for item in answer]
    value = answer[0][key]
    if key == "valueCoding":
        return value["code"]
    if key == "valueDecimal":
        return _measure(value)
    if key == "valueDate":
        return str(value)
    return value


def _walk(items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        if item.get("answer"):
            yield item
        yield from _walk(item.get("item") or [])


def answers_from_response(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answers a ``QuestionnaireResponse`` (as JSON) carries, in the order of the definition, so that
    ``answers_from_response(questionnaire_response(answers, ...)) == answers`` for stored answers. Items whose
    ``linkId`` is not a question of the definition are ignored."""
    given = {
        item["linkId"]: stored_value(QUESTIONS[item["linkId"]], item["answer"])
        for item in _walk(resource.get("item") or [])
        if item.get("linkId") in QUESTIONS
    }
    return {qid: given[qid] for qid in QUESTIONS if qid in given}
