"""The FHIR Questionnaire built from the definition: valid R4 (R4B models), complete, and its enableWhen shows
exactly the questions the definition asks (checked with a small FHIR enableWhen evaluator over random answers)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from screening.clinical import questionnaire as q
from screening.clinical.fhir_codes import ANSWER_SYSTEM, QUESTIONNAIRE_URL
from screening.clinical.fhir_questionnaire import questionnaire_resource

FHIR_OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
RESOURCE = questionnaire_resource()


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk(item.get("item", []))


ITEMS = list(walk(RESOURCE["item"]))
BY_LINK = {item["linkId"]: item for item in ITEMS}


@pytest.mark.parametrize("locale", q.LOCALES)
def test_validates_as_r4b_questionnaire_in_every_locale(locale: str) -> None:
    resource = questionnaire_resource(locale)
    parsed = Questionnaire.model_validate(resource)
    assert parsed.url == QUESTIONNAIRE_URL
    assert parsed.status == "active"
    assert resource["language"] == locale


def test_locale_words_are_filled_in() -> None:
    texts = [item.get("text", "") for item in walk(questionnaire_resource("en-US")["item"])]
    assert not any("{" in text for text in texts)
    assert any("standard drink" in text for text in texts)
    assert questionnaire_resource("en-GB") != questionnaire_resource("en-US")


def test_version_is_the_definitions() -> None:
    assert RESOURCE["version"] == q.QUESTIONNAIRE_VERSION


def test_link_ids_are_unique() -> None:
    link_ids = [item["linkId"] for item in ITEMS]
    assert len(link_ids) == len(set(link_ids))


def test_every_step_is_a_group_of_its_questions() -> None:
    assert [group["linkId"] for group in RESOURCE["item"]] == [step.id for step in q.STEPS]
    for group, step in zip(RESOURCE["item"], q.STEPS, strict=True):
        assert group["type"] == "group"
        assert group["text"] == step.title
        questions = [child["linkId"] for child in group["item"] if child["type"] != "display"]
        assert questions == [question.id for question in step]


def test_every_question_is_an_item_exactly_once_with_its_type_required_and_max_length() -> None:
    questions = [item for item in ITEMS if item["linkId"] in q.QUESTIONS]
    assert sorted(item["linkId"] for item in questions) == sorted(q.QUESTIONS)
    expected_type = {"text": "string", "email": "string", "tel": "string", "textarea": "text", "date": "date"}
    expected_type |= {"int": "integer", "scale": "integer", "likert4": "integer", "measure": "decimal"}
    expected_type |= dict.fromkeys(("choice", "multi", "yesno", "yesnounsure"), "choice")
    expected_type |= dict.fromkeys(("consent", "checkbox"), "boolean")
    for item in questions:
        question = q.QUESTIONS[item["linkId"]]
        assert item["type"] == expected_type[question.type.value], question.id
        assert item["required"] is question.required, question.id
        assert item.get("maxLength") == question.max_length, question.id
        assert item.get("repeats", False) is (question.type is q.QType.MULTI), question.id
        assert item["text"] == question.label_in(q.DEFAULT_LOCALE)
    assert any(item.get("maxLength") for item in questions)


def test_every_option_is_an_answer_option_in_our_code_system() -> None:
    for question in q.QUESTIONS.values():
        options = BY_LINK[question.id].get("answerOption", [])
        if question.type in q.INTEGER_TYPES:
            assert [option["valueInteger"] for option in options] == [int(code) for code in question.codes]
            labels = [option["extension"][0]["valueString"] for option in options]
        else:
            codings = [option["valueCoding"] for option in options]
            assert {coding["system"] for coding in codings} <= {ANSWER_SYSTEM}
            assert [coding["code"] for coding in codings] == list(question.codes)
            labels = [coding["display"] for coding in codings]
        assert labels == [question.option_label(code, q.DEFAULT_LOCALE) for code in question.codes]


def expected_answer(condition: q.Condition) -> dict[str, Any]:
    question = q.QUESTIONS[condition.question]
    if condition.operator == "exists":
        return {"answerBoolean": condition.value}
    if question.type in (q.QType.INT, q.QType.SCALE, q.QType.LIKERT4):
        return {"answerInteger": condition.value}
    return {"answerCoding": {"system": ANSWER_SYSTEM, "code": condition.value}}


def declared() -> Iterator[tuple[str, q.When]]:
    for step in q.STEPS:
        if step.enable_when is not None:
            yield step.id, step.enable_when
        for question in step:
            if question.enable_when is not None:
                yield question.id, question.enable_when


def test_every_declared_condition_is_an_enable_when_with_the_right_operator_and_answer_type() -> None:
    operators_seen = set()
    for link_id, when in declared():
        item = BY_LINK[link_id]
        for condition in when:
            operators_seen.add(condition.operator)
            operator = "=" if condition.operator == "has" else condition.operator
            entry = {"question": condition.question, "operator": operator, **expected_answer(condition)}
            assert entry in item["enableWhen"], (link_id, condition)
        if len(item["enableWhen"]) > 1:
            assert item["enableBehavior"] == when.behavior
    assert {"=", "!=", "has", "exists", ">="} <= operators_seen


def test_items_without_conditions_have_no_enable_when() -> None:
    conditioned = {link_id for link_id, _ in declared()}
    assert {item["linkId"] for item in ITEMS if "enableWhen" in item} == conditioned


def test_enable_when_operators_are_in_the_fhir_value_set_and_exists_takes_a_boolean() -> None:
    entries = [entry for item in ITEMS for entry in item.get("enableWhen", [])]
    assert entries
    for entry in entries:
        assert entry["operator"] in FHIR_OPERATORS
        assert entry["question"] in q.QUESTIONS
        answers = [key for key in entry if key.startswith("answer")]
        assert len(answers) == 1
        assert (entry["operator"] == "exists") is (answers[0] == "answerBoolean")


# --- a small FHIR enableWhen evaluator (R4 rules, R5 wording of "!=": "no answer equals") ----------------------
def _holds(entry: Mapping[str, Any], valued: Mapping[str, list[Any]]) -> bool:
    given = valued.get(entry["question"])
    if entry["operator"] == "exists":
        return (given is not None) is entry["answerBoolean"]
    target = entry["answerCoding"]["code"] if "answerCoding" in entry else entry["answerInteger"]
    if entry["operator"] == "!=":
        return not given or target not in given
    compare = {
        "=": lambda a: a == target,
        ">": lambda a: a > target,
        "<": lambda a: a < target,
        ">=": lambda a: a >= target,
        "<=": lambda a: a <= target,
    }
    return any(compare[entry["operator"]](answer) for answer in given or [])


def fhir_enabled(items: list[dict[str, Any]], values: Mapping[str, Any]) -> set[str]:
    """The question linkIds a FHIR renderer enables, given answers it keeps only for enabled items."""
    valued: dict[str, list[Any]] = {}
    enabled: set[str] = set()

    def visit(children: list[dict[str, Any]], parent_enabled: bool) -> None:
        for item in children:
            entries = item.get("enableWhen", [])
            combine = any if item.get("enableBehavior") == "any" else all
            on = parent_enabled and (not entries or combine(_holds(entry, valued) for entry in entries))
            link_id = item["linkId"]
            if on and link_id in q.QUESTIONS:
                enabled.add(link_id)
                if values.get(link_id) is not None:
                    value = values[link_id]
                    valued[link_id] = list(value) if isinstance(value, list) else [value]
            visit(item.get("item", []), on)

    visit(items, True)
    return enabled


def random_value(question: q.Question, rng: random.Random) -> Any:
    kind = question.type
    if kind in q.CODED_TYPES - {q.QType.MULTI}:
        return rng.choice(question.codes)
    if kind is q.QType.MULTI:
        return rng.sample(question.codes, rng.randint(1, min(3, len(question.codes))))
    if kind in (q.QType.SCALE, q.QType.LIKERT4):
        return int(rng.choice(question.codes))
    if kind in (q.QType.INT, q.QType.MEASURE):
        return rng.randint(question.min_value or 0, question.max_value or 100)
    if kind in (q.QType.CONSENT, q.QType.CHECKBOX):
        return True
    if kind is q.QType.DATE:
        return "1980-03-27"
    return "07700900123" if kind is q.QType.TEL else "a@example.org"


def random_answers(rng: random.Random) -> dict[str, Any]:
    return {qid: random_value(question, rng) for qid, question in q.QUESTIONS.items() if rng.random() < 0.75}


def test_fhir_enable_when_shows_exactly_the_questions_the_definition_asks() -> None:
    rng = random.Random(16)
    differing_seen = 0
    for _ in range(300):
        values = q.clean_answers(random_answers(rng)).values
        shown = {qid for qid, question in q.QUESTIONS.items() if q.question_is_shown(question, values)}
        assert fhir_enabled(RESOURCE["item"], values) == shown
        differing_seen += len(shown) != len(q.QUESTIONS)
    assert differing_seen > 100  # the random answers really exercised the conditions


def test_a_not_equal_condition_stays_hidden_while_its_question_is_unanswered() -> None:
    not_equal = [(qid, when) for qid, when in declared() if qid in q.QUESTIONS and "!=" in {c.operator for c in when}]
    assert not_equal
    for qid, when in not_equal:
        (condition,) = when.conditions
        other = next(code for code in q.QUESTIONS[condition.question].codes if code != condition.value)
        assert not q.question_is_shown(q.QUESTIONS[qid], {})
        assert qid not in fhir_enabled(RESOURCE["item"], {})
        assert q.question_is_shown(q.QUESTIONS[qid], {condition.question: other})
        assert qid in fhir_enabled(RESOURCE["item"], {condition.question: other})


def test_response_answers_fit_the_questionnaire_items() -> None:
    """A QuestionnaireResponse (``fhir_response``) of random answers: every item is a group or question of this
    Questionnaire in the same place, and every answer is of the item's type and among its answer options."""
    from datetime import UTC, datetime

    from screening.clinical.fhir_response import questionnaire_response

    rng = random.Random(4)
    for _ in range(50):
        values = q.clean_answers(random_answers(rng)).values
        response = questionnaire_response(
            values,
            reference="KT-7Q4M-9XHD",
            authored=datetime(2026, 12, 2, tzinfo=UTC),
            questionnaire_version=q.QUESTIONNAIRE_VERSION,
            patient_ref="urn:uuid:00000000-0000-0000-0000-000000000000",
        )
        assert response["questionnaire"] == f"{RESOURCE['url']}|{RESOURCE['version']}"
        for group in response["item"]:
            assert BY_LINK[group["linkId"]]["type"] == "group"
            children = {child["linkId"] for child in BY_LINK[group["linkId"]]["item"]}
            for item in group["item"]:
                assert item["linkId"] in children
                definition = BY_LINK[item["linkId"]]
                assert len(item["answer"]) == 1 or definition.get("repeats")
                for answer in item["answer"]:
                    (key,) = answer
                    assert key.lower() == "value" + definition["type"].replace("text", "string").replace(
                        "choice", "coding"
                    )
                    if "answerOption" in definition:
                        allowed = [
                            option.get("valueInteger", option.get("valueCoding", {}).get("code"))
                            for option in definition["answerOption"]
                        ]
                        value = answer[key]["code"] if key == "valueCoding" else answer[key]
                        assert value in allowed, item["linkId"]


def test_none_of_these_is_an_exclusive_option() -> None:
    exclusive = {
        (item["linkId"], option["valueCoding"]["code"])
        for item in ITEMS
        for option in item.get("answerOption", [])
        if option.get("extension", [{}])[0].get("valueBoolean") is True
    }
    multi_with_none = {
        (question.id, q.EXCLUSIVE_CODE)
        for question in q.QUESTIONS.values()
        if question.type is q.QType.MULTI and q.EXCLUSIVE_CODE in question.codes
    }
    assert exclusive == multi_with_none
    assert exclusive
