"""The questionnaire definition as a FHIR R4 ``Questionnaire`` resource (plain JSON-ready dicts).

Owns how the definition (``questionnaire.STEPS``) is written in FHIR: one ``group`` item per step, one item per
question (``linkId`` = question id, the permanent id), answer options as codings of ``fhir_codes.ANSWER_SYSTEM``,
and every declared condition as ``enableWhen`` / ``enableBehavior``. Never written by hand: a question is added to
the definition and appears here. Pure: imports only the standard library and ``screening.clinical``.

Choices (docs/fhir.md, "The Questionnaire"):

- ``scale`` and ``likert4`` (PEG 0-10, PHQ-9 / GAD-7 items) are ``integer`` items with ``answerOption.valueInteger``:
  the stored answer is a number, scored by value, and a condition such as "PHQ-9 item 9 >= 1" compares numbers,
  which FHIR orders for integers but not for codings. Each option's words ride in our ``answer-label`` extension.
- Our ``!=`` is false for an unanswered question; FHIR's is true ("no answer equals"). Under ``enableBehavior`` all
  (or alone) it is written with an ``exists = true`` beside it, which is exact in both readings; under ``any`` it is
  written as FHIR's ``!=``, which can only show the item more often (never hides a question we would ask).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from screening.clinical import questionnaire as q
from screening.clinical.conditions import Condition, When
from screening.clinical.fhir_codes import ANSWER_SYSTEM, EXTENSION_BASE, QUESTIONNAIRE_URL

NAME = "KetamineTherapyPreScreening"
TITLE = "Ketamine therapy pre-screening"
#: Our extension on an ``answerOption`` with a ``valueInteger``: the words the patient sees for that number.
ANSWER_LABEL_EXTENSION = EXTENSION_BASE + "/answer-label"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
UNIT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
MIN_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/maxValue"
#: On a multi-choice's "None of these": ticking it clears the others (we keep the others if both come in).
OPTION_EXCLUSIVE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
UCUM = "http://unitsofmeasure.org"
#: Our units in UCUM (code, display).
UCUM_UNITS = {"cm": ("cm", "cm"), "kg": ("kg", "kg"), "mmHg": ("mm[Hg]", "mmHg")}

#: FHIR item type for each of our answer types (``repeats`` is added for ``multi``).
ITEM_TYPE: dict[q.QType, str] = {
    q.QType.TEXT: "string",
    q.QType.EMAIL: "string",
    q.QType.TEL: "string",
    q.QType.TEXTAREA: "text",
    q.QType.DATE: "date",
    q.QType.INT: "integer",
    q.QType.SCALE: "integer",
    q.QType.LIKERT4: "integer",
    q.QType.MEASURE: "decimal",
    q.QType.CHOICE: "choice",
    q.QType.MULTI: "choice",
    q.QType.YESNO: "choice",
    q.QType.YESNOUNSURE: "choice",
    q.QType.CONSENT: "boolean",
    q.QType.CHECKBOX: "boolean",
}
#: Our operators in FHIR's ``QuestionnaireItemOperator`` value set (``has`` on a repeating choice is ``=``).
OPERATOR: dict[str, str] = {op: op for op in ("exists", "=", "!=", ">", "<", ">=", "<=")} | {"has": "="}


def coding(code: str, display: str = "") -> dict[str, str]:
    """A coding of our answer code system."""
    return {"system": ANSWER_SYSTEM, "code": code, **({"display": display} if display else {})}


def _answer(question: q.Question, condition: Condition) -> dict[str, Any]:
    """The ``answer[x]`` of one enableWhen: boolean for ``exists``, integer for a number, else a coding."""
    value = condition.value
    if condition.operator == "exists":
        return {"answerBoolean": value}
    if question.type in q.INTEGER_TYPES:
        return {"answerInteger": value}
    if question.type in q.CODED_TYPES:
        return {"answerCoding": coding(value)}
    raise ValueError(f"{condition}: no FHIR answer type for a {question.type} question")


def enable_when(condition: Condition) -> dict[str, Any]:
    """One FHIR ``enableWhen`` for one of our conditions."""
    question = q.QUESTIONS[condition.question]
    return {"question": condition.question, "operator": OPERATOR[condition.operator], **_answer(question, condition)}


def conditions_of(when: When) -> dict[str, Any]:
    """``enableWhen`` (and ``enableBehavior`` when more than one) for a ``When``.

    A ``!=`` under "all" gets an ``exists = true`` on the same question beside it (see the module docstring)."""
    items: list[dict[str, Any]] = []
    for condition in when:
        if condition.operator == "!=" and when.behavior == "all":
            exists = enable_when(Condition(condition.question, "exists", True))
            if exists not in items:
                items.append(exists)
        items.append(enable_when(condition))
    return {"enableWhen": items, **({"enableBehavior": when.behavior} if len(items) > 1 else {})}


def _help(link_id: str, text: str) -> dict[str, Any]:
    """A hint as a ``display`` child with item control ``help`` (how FHIR renderers show help text)."""
    control = {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help-Button"}]}
    return {
        "linkId": link_id,
        "type": "display",
        "text": text,
        "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": control}],
    }


def _options(question: q.Question, locale: str) -> list[dict[str, Any]]:
    if question.type in q.INTEGER_TYPES:
        return [
            {
                "valueInteger": int(option.code),
                "extension": [{"url": ANSWER_LABEL_EXTENSION, "valueString": q.localise(option.label, locale)}],
            }
            for option in question.options
        ]
    options: list[dict[str, Any]] = [
        {"valueCoding": coding(option.code, q.localise(option.label, locale))} for option in question.options
    ]
    if question.type is q.QType.MULTI and question.codes[-1] == q.EXCLUSIVE_CODE:
        options[-1]["extension"] = [{"url": OPTION_EXCLUSIVE_EXTENSION, "valueBoolean": True}]
    return options


def _limits(question: q.Question) -> list[dict[str, Any]]:
    """Standard extensions for the unit and the range of a number."""
    value_key = "valueDecimal" if question.type is q.QType.MEASURE else "valueInteger"
    extensions: list[dict[str, Any]] = []
    if question.unit in UCUM_UNITS:
        code, display = UCUM_UNITS[question.unit]
        extensions.append({"url": UNIT_EXTENSION, "valueCoding": {"system": UCUM, "code": code, "display": display}})
    if question.type in (q.QType.INT, q.QType.MEASURE):
        for url, bound in ((MIN_VALUE_EXTENSION, question.min_value), (MAX_VALUE_EXTENSION, question.max_value)):
            if bound is not None:
                extensions.append({"url": url, value_key: bound})
    return extensions


def question_item(question: q.Question, locale: str) -> dict[str, Any]:
    """One question as a FHIR item."""
    item: dict[str, Any] = {
        "linkId": question.id,
        "text": question.label_in(locale),
        "type": ITEM_TYPE[question.type],
        "required": question.required,
    }
    if question.type is q.QType.MULTI:
        item["repeats"] = True
    if question.max_length is not None:
        item["maxLength"] = question.max_length
    if question.options:
        item["answerOption"] = _options(question, locale)
    if extensions := _limits(question):
        item["extension"] = extensions
    if question.enable_when is not None:
        item.update(conditions_of(question.enable_when))
    if question.hint:
        item["item"] = [_help(f"{question.id}-hint", q.localise(question.hint, locale))]
    return item


def step_item(step: q.Step, locale: str) -> dict[str, Any]:
    """One step as a ``group`` item: its intro as a ``display`` item, then its questions."""
    children: list[dict[str, Any]] = []
    if step.intro:
        children.append({"linkId": f"{step.id}-intro", "type": "display", "text": q.localise(step.intro, locale)})
    children.extend(question_item(question, locale) for question in step)
    group: dict[str, Any] = {"linkId": step.id, "text": q.localise(step.title, locale), "type": "group"}
    if step.enable_when is not None:
        group.update(conditions_of(step.enable_when))
    group["item"] = children
    return group


def _copyright(steps: Iterable[q.Step]) -> str:
    return "\n\n".join(dict.fromkeys(step.attribution for step in steps if step.attribution))


def questionnaire_resource(locale: str = q.DEFAULT_LOCALE) -> dict[str, Any]:
    """The whole definition as a FHIR R4 Questionnaire, worded for ``locale`` (the clinic's SCREENING_LOCALE)."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": "screening",
        "url": QUESTIONNAIRE_URL,
        "version": q.QUESTIONNAIRE_VERSION,
        "name": NAME,
        "title": TITLE,
        "status": "active",
        "subjectType": ["Patient"],
        "language": locale,
    }
    if copyright_text := _copyright(q.STEPS):
        resource["copyright"] = copyright_text
    resource["item"] = [step_item(step, locale) for step in q.STEPS]
    return resource
