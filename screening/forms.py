"""WTForms for the questionnaire: one FlaskForm per step generated from ``questionnaire.py`` (field name =
question id, choice value = answer code, label, hint), checked by ``clinical.validation`` (the messages are its
problems, translated: ``fields.problem_text``), and the page layout (which questions a page shows, and which
follow-ups are revealed under an option). Imports Flask-WTF, WTForms, Flask-Babel and the pure modules; never the
database.

Rendering: ``templates/macros/questions.html`` (``render_questions(form, layout(...), locale)``). The error
summary is govuk-frontend-wtf's ``wtforms_errors(form)``: it links to ``#<field.id>``, which is the question id
(the first radio, checkbox or the input itself), and for a date the first input in error
(``#date_of_birth-day`` / ``-month`` / ``-year``, see ``fields.DateQuestionField``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, ClassVar

from flask_wtf import FlaskForm

from screening.clinical import validation
from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID, QType, Question, Step
from screening.patient.fields import (
    DATE_PARTS,
    FIELD_CLASSES,
    READING_CHECKS,
    DateQuestionField,
    QuestionField,
    email_valid,
    not_typed,
)
from screening.patient.measures import MeasureField
from screening.patient.phones import phone_kind

__all__ = ["Node", "StepForm", "first_invalid_step", "form_for", "layout", "step_form_class"]

_RADIO_TYPES = frozenset({QType.CHOICE, QType.YESNO, QType.YESNOUNSURE, QType.SCALE, QType.LIKERT4})


# --- validators -----------------------------------------------------------------------------------------
def validators_for(question: Question) -> list[Callable[..., None]]:
    """A field's WTForms validators: only reading what was typed (``fields.READING_CHECKS``: a whole number, the
    parts of a date). Whether the answer is required, and every check of its value and between answers, is
    ``validation``'s, run by ``StepForm.validate_step`` for the whole step."""
    return [not_typed, *READING_CHECKS.get(question.type, ())]


class StepForm(FlaskForm):
    """Base of the generated step forms. Validate with ``validate_step`` (never ``validate``): only the
    questions shown are checked, then the step's cross-field checks; then ``answers()`` is what to store."""

    step: ClassVar[Step]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.under_age = False  # set when the date of birth is under ``min_age``: the page explains kindly
        self.today: date | None = None
        self.min_age = 0
        self.locale = "en-GB"
        self._answers: dict[str, Any] | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        raise TypeError(f"{type(self).__name__}: use validate_step(earlier, today=..., min_age=...)")

    def question_fields(self) -> list[tuple[Question, QuestionField]]:
        return [(question, self[question.id]) for question in self.step]

    def validate_step(self, earlier: Mapping[str, Any], *, today: date, min_age: int, locale: str = "en-GB") -> bool:
        """Validate the questions shown, given ``earlier`` answers (of previous steps) and this step's own
        posted parent answers; hidden follow-ups are ignored (no errors, never stored). True when valid.

        Each field first reads what was typed (its validators); ``validation.check_step`` then checks the answers
        read, and its problems become the fields' errors, one per field, in the patient's words."""
        self.today, self.min_age, self.locale, self.under_age = today, min_age, locale, False
        fields = self.question_fields()
        for _, question_field in fields:
            question_field.validate(self)
        unread = {question.id for question, question_field in fields if question_field.errors}
        result = validation.check_step(
            self.step,
            {question.id: question_field.answer() for question, question_field in fields if question.id not in unread},
            earlier,
            today=today,
            min_age=min_age,
            email_valid=email_valid,
            phone_kind=phone_kind,
            unread=unread,
        )
        for question, question_field in fields:
            problem = result.problems.get(question.id)
            if problem is not None:
                self._show(question_field, problem)
            elif question.id not in result.shown:
                question_field.errors = []  # a hidden follow-up: whatever was typed in it is ignored
        for other in self:
            if other.name not in QUESTIONS:
                other.validate(self)  # the CSRF token
        valid = not any(form_field.errors for form_field in self)
        self._answers = dict(result.answers) if valid else None
        return valid

    def _show(self, question_field: QuestionField, problem: validation.Problem) -> None:
        question_field.errors = [question_field.problem_message(problem, self.locale)]
        if isinstance(question_field, DateQuestionField) and problem.code != "required":
            question_field.error_parts = DATE_PARTS  # the date as a whole is wrong: every input is marked
        if problem.code == "under_age":
            self.under_age = True

    def answers(self) -> dict[str, Any]:
        """After a successful ``validate_step``: {question id: stored value} for the shown, answered questions
        (types of questionnaire.md: int, "YYYY-MM-DD", list of codes in definition order, True, stripped text)."""
        if self._answers is None:
            raise RuntimeError("answers() needs a successful validate_step() first")
        return dict(self._answers)


def _class_name(step_id: str) -> str:
    return "".join(part.capitalize() for part in step_id.split("_")) + "Form"


@cache
def step_form_class(step_id: str) -> type[StepForm]:
    """The form class of a step (e.g. ``AboutYouForm``), one field per question, named by question id."""
    step = STEP_BY_ID[step_id]
    fields: dict[str, Any] = {}
    for question in step:
        if hasattr(StepForm, question.id):
            raise ValueError(f"question id {question.id!r} clashes with a form attribute")
        field_class = MeasureField if question.type is QType.MEASURE else FIELD_CLASSES[question.type]
        fields[question.id] = field_class(question, validators=validators_for(question))
    return type(_class_name(step_id), (StepForm,), {"step": step, "__module__": __name__, **fields})


def form_for(step_id: str, answers: Mapping[str, Any]) -> StepForm:
    """A GET form for ``step_id`` prefilled from stored answers (no form data is read)."""
    step = STEP_BY_ID[step_id]
    data = {question.id: answers[question.id] for question in step if question.id in answers}
    return step_form_class(step_id)(formdata=None, data=data)


def first_invalid_step(
    answers: Mapping[str, Any], *, today: date, min_age: int, skip: Collection[str] = ()
) -> str | None:
    """The first shown step whose stored answers have a problem (a required answer missing, an invalid or
    wrongly typed value, a failed check, under age), or None when every step passes: ``validation``'s check with
    the email and phone rules of the forms, so that a page and submit agree. ``skip``: ids of steps not checked
    (the pages a patient who sends early has not answered)."""
    return validation.first_invalid_step(
        answers, today=today, min_age=min_age, skip=skip, email_valid=email_valid, phone_kind=phone_kind
    )


# --- layout --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    """One question on a page; ``children`` are follow-ups revealed under an option (by its code)."""

    question: Question
    field_name: str
    children: Mapping[str, tuple[Node, ...]] = field(default_factory=dict, hash=False)


def _reveal_under(question: Question, page: set[str]) -> tuple[str, str] | None:
    """(parent id, option code) when ``question`` is revealed under one option of a question on the same page:
    a single ``=`` on a radio question or ``has`` on a checkbox question."""
    when = question.enable_when
    if when is None or len(when.conditions) != 1:
        return None
    condition = when.conditions[0]
    parent = QUESTIONS.get(condition.question)
    if parent is None or parent.id not in page:
        return None
    fits = (condition.operator == "=" and parent.type in _RADIO_TYPES) or (
        condition.operator == "has" and parent.type is QType.MULTI
    )
    code = str(condition.value)
    return (parent.id, code) if fits and code in parent.codes else None


def _hidden_by_earlier(question: Question, step: Step, values: Mapping[str, Any], page: set[str]) -> bool:
    """A condition on earlier steps only that does not hold (one naming this page is shown: the server
    ignores the answer when it does not hold)."""
    for when in (step.enable_when, question.enable_when):
        if when is None or any(condition.question in page for condition in when):
            continue
        if not when.holds(values):
            return True
    return False


def layout(step_id: str, earlier: Mapping[str, Any]) -> tuple[Node, ...]:
    """What the page shows, in order: questions hidden by an earlier step's answer are left out; a follow-up
    of a single option on this page is nested under that option (GOV.UK conditional reveal); other
    follow-ups on this page are shown as ordinary questions after their parent."""
    step = STEP_BY_ID[step_id]
    page = {question.id for question in step}
    values = validation.earlier_values(earlier, step)
    kept = [question for question in step if not _hidden_by_earlier(question, step, values, page)]
    kept_ids = {question.id for question in kept}
    parent_of = {
        question.id: reveal
        for question in kept
        if (reveal := _reveal_under(question, page)) is not None and reveal[0] in kept_ids
    }

    def node(question: Question) -> Node:
        children: dict[str, list[Node]] = {}
        for child in kept:
            parent_id, code = parent_of.get(child.id, ("", ""))
            if parent_id == question.id:
                children.setdefault(code, []).append(node(child))
        return Node(question, question.id, {code: tuple(nodes) for code, nodes in children.items()})

    return tuple(node(question) for question in kept if question.id not in parent_of)
