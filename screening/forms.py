"""WTForms for the questionnaire: one FlaskForm per step generated from ``questionnaire.py`` (field name =
question id, choice value = answer code, label, hint, validators and messages from the definition), the page
layout (which questions a page shows, and which follow-ups are revealed under an option), and the check of
stored answers before submit. Imports Flask-WTF, WTForms, Flask-Babel and the pure modules; never the database.

Rendering: ``templates/macros/questions.html`` (``render_questions(form, layout(...), locale)``). The error
summary is govuk-frontend-wtf's ``wtforms_errors(form)``: it links to ``#<field.id>``, which is the question id
(the first radio, checkbox or the input itself), and for a date the first input in error
(``#date_of_birth-day`` / ``-month`` / ``-year``, see ``form_fields.DateQuestionField``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, ClassVar

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import StopValidation, ValidationError

from screening.clinical.questionnaire import (
    EXCLUSIVE_CODE,
    QUESTIONS,
    STEP_BY_ID,
    STEPS,
    TEXT_TYPES,
    Check,
    QType,
    Question,
    Step,
    clean_answers,
    is_shown,
    parse_date,
    valid_value,
)
from screening.patient.fields import (
    DATE_CHECKS,
    DEFAULT_LOCALE,
    FIELD_CLASSES,
    WHOLE_NUMBER,
    CheckboxesQuestionField,
    QuestionField,
    RadioQuestionField,
    TextQuestionField,
    WholeNumberField,
    localised,
    short_name,
)

__all__ = ["Node", "StepForm", "first_invalid_step", "form_for", "layout", "step_form_class"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXTAREA = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # new line and tab are allowed
_PHONE = re.compile(r"[0-9 +()\-]+")
_RADIO_TYPES = frozenset({QType.CHOICE, QType.YESNO, QType.YESNOUNSURE, QType.SCALE, QType.LIKERT4})


# --- validators (messages: STYLE.md, GOV.UK patterns) ----------------------------------------------
class Answered:
    """A required question: missing -> ``Question.error``, and nothing else is checked."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: QuestionField) -> None:
        if field.is_empty():
            raise StopValidation(localised(self.message, _locale(form)))


class MayBeEmpty:
    """An optional question: when empty, nothing else is checked."""

    def __call__(self, form: Any, field: QuestionField) -> None:
        if field.is_empty():
            field.errors[:] = []
            raise StopValidation()


class NoHiddenCharacters:
    """No NUL or other control characters (PostgreSQL refuses NUL; the rest are invisible and unsafe in logs,
    CSV and PDF). A textarea may hold new lines and tabs."""

    def __init__(self, multiline: bool) -> None:
        self.pattern = _CONTROL_IN_TEXTAREA if multiline else _CONTROL

    def __call__(self, form: Any, field: TextQuestionField) -> None:
        if self.pattern.search(field.stored() or ""):  # a stray tab or new line at either end is stripped anyway
            raise StopValidation(
                gettext(
                    "%(short)s must not include hidden characters, which can come from copying and pasting. "
                    "Type it in again",
                    short=short_name(field),
                )
            )


class MaxLength:
    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def __call__(self, form: Any, field: TextQuestionField) -> None:
        if len(field.stored() or "") > self.maximum:
            raise StopValidation(
                gettext("%(short)s must be %(max)s characters or less", short=short_name(field), max=self.maximum)
            )


def email_format(form: Any, field: TextQuestionField) -> None:
    try:
        validate_email(field.stored() or "", check_deliverability=False)
    except (EmailNotValidError, ValueError, UnicodeError) as error:
        raise ValidationError(gettext("Enter an email address in the correct format, like name@example.com")) from error


def phone_format(form: Any, field: TextQuestionField) -> None:
    text = field.stored() or ""
    digits = sum(character.isdigit() for character in text)
    if not _PHONE.fullmatch(text) or not 7 <= digits <= 20:
        raise ValidationError(gettext("Enter a phone number, like 01632 960 001 or +44 808 157 0192"))


def whole_number(form: Any, field: WholeNumberField) -> None:
    if not WHOLE_NUMBER.fullmatch(field.text().strip()):
        raise StopValidation(gettext("%(short)s must be a whole number", short=short_name(field)))


def in_range(form: Any, field: WholeNumberField) -> None:
    question = field.question
    low, high = question.min_value, question.max_value
    if field.data is None or (low is not None and field.data < low) or (high is not None and field.data > high):
        raise ValidationError(
            gettext("%(short)s must be between %(min)s and %(max)s", short=short_name(field), min=low, max=high)
        )


def known_code(form: Any, field: RadioQuestionField) -> None:
    if field.data not in field.question.codes:
        raise ValidationError(_choose_message(field.question, _locale(form)))


def known_codes(form: Any, field: CheckboxesQuestionField) -> None:
    if not set(field.data or ()) <= set(field.question.codes):
        raise StopValidation(_choose_message(field.question, _locale(form)))


def exclusive_none(form: Any, field: CheckboxesQuestionField) -> None:
    if EXCLUSIVE_CODE in (field.data or ()) and len(set(field.data)) > 1:
        none = gettext(field.question.option_label(EXCLUSIVE_CODE))
        raise ValidationError(
            gettext("Select '%(none)s' on its own, or untick it and select the answers that apply", none=none)
        )


def _choose_message(question: Question, locale: str) -> str:
    """A posted code that is not an option (a tampered form): ask again, in the question's own words."""
    return localised(question.error, locale) if question.error else gettext("Select an answer from the list")


def _locale(form: Any) -> str:
    """The locale the step form is validated in (``StepForm.validate_step``): its messages use its words."""
    locale = getattr(form, "locale", DEFAULT_LOCALE)
    return locale if isinstance(locale, str) else DEFAULT_LOCALE


def _type_checks(question: Question) -> list[Callable[..., None]]:
    qtype = question.type
    if qtype in TEXT_TYPES:
        checks: list[Callable[..., None]] = [NoHiddenCharacters(multiline=qtype is QType.TEXTAREA)]
        checks += [MaxLength(question.max_length)] if question.max_length else []
        return checks + {QType.EMAIL: [email_format], QType.TEL: [phone_format]}.get(qtype, [])
    if qtype is QType.INT:
        return [whole_number, in_range]
    if qtype is QType.MULTI:
        return [known_codes, exclusive_none] if EXCLUSIVE_CODE in question.codes else [known_codes]
    if qtype is QType.DATE:
        return list(DATE_CHECKS)
    return [known_code] if question.options else []  # a tick is either given or not


def validators_for(question: Question) -> list[Callable[..., None]]:
    """A question's validators, from its definition: answered (``Question.error``) or may be empty, then those
    of its type (hidden characters, length, format, range, known codes, exclusive "none", date checks)."""
    return [Answered(question.error) if question.required else MayBeEmpty(), *_type_checks(question)]


def _earlier_values(earlier: Mapping[str, Any], step: Step) -> dict[str, Any]:
    """Cleaned answers of the steps before ``step`` (the caller may pass the whole draft: this step's own
    stored answers must not decide what this step's POST shows)."""
    before = {question.id for earlier_step in STEPS[: STEPS.index(step)] for question in earlier_step}
    raw = {key: value for key, value in earlier.items() if key in before} if isinstance(earlier, Mapping) else {}
    return dict(clean_answers(raw).values)


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
        posted parent answers; hidden follow-ups are ignored (no errors, never stored). True when valid."""
        self.today, self.min_age, self.locale, self.under_age = today, min_age, locale, False
        before = _earlier_values(earlier, self.step)
        values = dict(before)
        shown: list[str] = []
        for question, question_field in self.question_fields():
            if not is_shown(question, values):
                question_field.errors = []
                continue
            shown.append(question.id)
            question_field.validate(self)
            # the best reading of the answer decides which follow-ups are shown, even if it has an error
            value = valid_value(question, question_field.stored())
            if value is not None:
                values[question.id] = value
        for other in self:
            if other.name not in QUESTIONS:
                other.validate(self)  # the CSRF token
        answered = {qid: values[qid] for qid in shown if qid in values and not self[qid].errors}
        context = {**before, **answered}
        for check in self.step.checks:
            self._run_check(check, context, shown)
        valid = not any(form_field.errors for form_field in self)
        self._answers = answered if valid else None
        return valid

    def _run_check(self, check: Check, answered: Mapping[str, Any], shown: list[str]) -> None:
        target = _CHECKS[check.kind](self, check, answered, shown)
        if target is not None and not self[target].errors:
            self[target].errors = [gettext(check.message)]

    def answers(self) -> dict[str, Any]:
        """After a successful ``validate_step``: {question id: stored value} for the shown, answered questions
        (types of questionnaire.md: int, "YYYY-MM-DD", list of codes in definition order, True, stripped text)."""
        if self._answers is None:
            raise RuntimeError("answers() needs a successful validate_step() first")
        return dict(self._answers)


def _one_of_required(form: StepForm, check: Check, answered: Mapping[str, Any], shown: list[str]) -> str | None:
    asked = [qid for qid in check.questions if qid in shown]
    if not asked or any(qid in answered or form[qid].errors for qid in asked):
        return None
    return asked[0]


def _required_when(form: StepForm, check: Check, answered: Mapping[str, Any], shown: list[str]) -> str | None:
    qid = check.questions[0]
    condition_holds = check.condition is None or check.condition.holds(answered)
    return qid if condition_holds and qid in shown and qid not in answered else None


def _both_or_neither(form: StepForm, check: Check, answered: Mapping[str, Any], shown: list[str]) -> str | None:
    if any(form[qid].errors for qid in check.questions):
        return None  # e.g. "must be a whole number" already says what to fix
    empty = [qid for qid in check.questions if qid not in answered]
    return empty[0] if 0 < len(empty) < len(check.questions) else None


def _less_than(form: StepForm, check: Check, answered: Mapping[str, Any], shown: list[str]) -> str | None:
    low, high = check.questions
    if low in answered and high in answered and not answered[low] < answered[high]:
        return low
    return None


def _not_both(form: StepForm, check: Check, answered: Mapping[str, Any], shown: list[str]) -> str | None:
    # On what was posted, hidden or not: ticking "I don't take any medicines" hides the medicines box, and
    # what was typed in it must never be dropped silently.
    given = [qid for qid in check.questions if form[qid].stored() is not None]
    return check.questions[0] if len(given) == len(check.questions) else None


_CHECKS = {
    "one_of_required": _one_of_required,
    "required_when": _required_when,
    "both_or_neither": _both_or_neither,
    "less_than": _less_than,
    "not_both": _not_both,
}


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
        fields[question.id] = FIELD_CLASSES[question.type](question, validators=validators_for(question))
    return type(_class_name(step_id), (StepForm,), {"step": step, "__module__": __name__, **fields})


def form_for(step_id: str, answers: Mapping[str, Any]) -> StepForm:
    """A GET form for ``step_id`` prefilled from stored answers (no form data is read)."""
    step = STEP_BY_ID[step_id]
    data = {question.id: answers[question.id] for question in step if question.id in answers}
    return step_form_class(step_id)(formdata=None, data=data)


def _posted(question: Question, value: Any) -> list[tuple[str, str]]:
    """What a browser would post for a stored answer (anything of the wrong shape is posted as text, so that
    the form rejects it)."""
    if question.type is QType.DATE:
        day = parse_date(value)
        parts = (str(day.day), str(day.month), str(day.year)) if day else ("", "", str(value))
        return [(f"{question.id}-{name}", part) for name, part in zip(("day", "month", "year"), parts, strict=True)]
    if question.type is QType.MULTI and isinstance(value, list | tuple):
        return [(question.id, str(code)) for code in value]
    if question.type in (QType.CONSENT, QType.CHECKBOX):
        return [(question.id, "y")] if value is True else []
    return [(question.id, str(value))]


def post_data(step_id: str, answers: Mapping[str, Any]) -> MultiDict[str, str]:
    """The form data a browser would post for ``step_id`` to store ``answers``."""
    pairs = [
        pair
        for question in STEP_BY_ID[step_id]
        if question.id in answers
        for pair in _posted(question, answers[question.id])
    ]
    return MultiDict(pairs)


def first_invalid_step(
    answers: Mapping[str, Any], *, today: date, min_age: int, skip: Collection[str] = ()
) -> str | None:
    """The first shown step whose stored answers would not pass its form (a required answer missing, an
    invalid or wrongly typed value, a failed check, under age), or None when every step passes. Feeds the
    answers through the same form classes as a POST (CSRF off). ``skip``: ids of steps not checked (the pages
    a patient who sends early has not answered). Needs an app context."""
    stored = answers if isinstance(answers, Mapping) else {}
    earlier: dict[str, Any] = {}
    for step in STEPS:
        if step.enable_when is not None and not step.enable_when.holds(earlier):
            continue
        if step.id in skip:
            continue
        form = step_form_class(step.id)(formdata=post_data(step.id, stored), meta={"csrf": False})
        if not form.validate_step(earlier, today=today, min_age=min_age):
            return step.id
        kept = form.answers()
        # a value of the wrong type (a string where a number is stored) is a problem even if its text passes
        if any(valid_value(QUESTIONS[qid], stored[qid]) is None for qid in kept):
            return step.id
        earlier.update(kept)
    return None


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
    values = _earlier_values(earlier, step)
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
