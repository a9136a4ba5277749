"""WTForms fields for the questionnaire's answer types (``questionnaire.QType``): each field knows its
``Question``, turns what the browser posts into the stored value, keeps what was typed when it is wrong, and
gives the question macro plain translated text; plus the checks of reading what was typed (a whole number, the
parts of a date) and ``problem_text``, which puts a problem of ``clinical.validation`` (where every other check
is) into the patient's words. Imports WTForms, Flask-Babel, email_validator, govuk-frontend-wtf widgets and the
pure modules; never the database.

Input rules (security-bar.md §1.4, §4): a field posted twice takes its first value (checkboxes take all);
values that are not strings (files, JSON objects) count as not given; text may hold any printable Unicode
(emoji, accents, right-to-left marks are kept byte-exact) but no control characters, except new lines and
tabs in a textarea (``validation.has_control_characters``); a textarea's CRLF / CR new lines are stored as LF, so
the length matches what the character count shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext, lazy_gettext
from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from screening.clinical import dates
from screening.clinical.dates import parse_date
from screening.clinical.questionnaire import EXCLUSIVE_CODE, QType, Question, localise
from screening.clinical.validation import Message, Problem

DATE_PARTS = ("day", "month", "year")
DEFAULT_LOCALE = "en-GB"
#: WCAG 1.3.5 (identify input purpose): the browser may fill these from the patient's own details.
AUTOCOMPLETE: Mapping[str, str] = {
    "full_name": "name",
    "email": "email",
    "phone": "tel",
    "contact_phone_today": "tel",
    "date_of_birth": "bday",
}
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
#: What a whole number of 19 digits or more reads as: out of every question's range (``validation`` makes sure each
#: whole-number question has one), so the patient reads "must be between", without parsing a huge number.
TOO_LONG_NUMBER = 10**18


class OptionText(NamedTuple):
    """One answer option as the page shows it: translated label and hint; ``divider`` ("or") goes before an
    exclusive option ("None of these"), which the browser unticks the others for (``exclusive``)."""

    code: str
    label: str
    hint: str
    exclusive: bool
    divider: str


def first_text(valuelist: Sequence[Any]) -> str | None:
    """The first posted value if it is text; "" for a file or other object; None when nothing was posted."""
    if not valuelist:
        return None
    value = valuelist[0]
    return value if isinstance(value, str) else ""


def localised(text: str, locale: str = DEFAULT_LOCALE) -> str:
    """``text`` of the definition translated, with each ``{name}`` filled in with the locale's words, each
    translated (``questionnaire.localise``: the standard drink, the AUDIT-C version's wording)."""
    return localise(gettext(text), locale, gettext) if text else ""


def problem_text(problem: Problem, locale: str = DEFAULT_LOCALE) -> str:
    """A ``validation.Problem`` in the patient's words: the message translated, with its values (the question's
    name, an option's label: translated too; numbers as they are) and the locale's words (``localised``)."""
    values = {name: gettext(value) if isinstance(value, str) else value for name, value in problem.values.items()}
    return localise(gettext(problem.message, **values), locale, gettext)


def email_valid(text: str) -> bool:
    """Whether ``text`` is an email address by email_validator's syntax rules (no DNS look-up): the rule that the
    step forms and submit give ``validation`` for email questions."""
    try:
        validate_email(text, check_deliverability=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        return False
    return True


def short_name(field: QuestionField) -> str:
    """The question's patient-facing name (or its short name), translated, for messages such as "Date of birth
    must be a real date" or "Your height must be between 100 and 250"."""
    return str(gettext(field.question.name or field.question.short))


# --- fields --------------------------------------------------------------------------------------
class QuestionField:
    """Mixed into each WTForms field: its ``question``, whether it was answered, the value as stored
    (questionnaire.md) and plain translated text for the page (the macro reads these, not the widget)."""

    question: Question
    data: Any
    errors: Any

    if TYPE_CHECKING:  # provided by the WTForms field this is mixed into

        def validate(self, form: Any, extra_validators: Any = ()) -> bool: ...

    def __init__(self, question: Question, **kwargs: Any) -> None:
        self.question = question
        kwargs.setdefault("description", lazy_gettext(question.hint) if question.hint else "")
        super().__init__(lazy_gettext(question.label), **kwargs)  # type: ignore[call-arg]

    def is_empty(self) -> bool:
        return self.stored() is None

    def stored(self) -> Any:
        """The answer as stored, or None when unanswered (whether or not it is valid). By default the field's data,
        with an empty value as None; fields whose stored form differs (numbers, dates, ticks) override it."""
        return None if self.data in (None, "", [], ()) else self.data

    def answer(self) -> Any:
        """What ``validation`` checks: the answer in stored form, as given (checkboxes keep codes that are not
        options, so that they are refused rather than dropped)."""
        return self.stored()

    def label_text(self, locale: str = DEFAULT_LOCALE) -> str:
        """The label, translated, in the locale's words (``localised``)."""
        return localised(self.question.label, locale)

    def hint_text(self, locale: str = DEFAULT_LOCALE) -> str:
        """The hint, translated; ``{standard_drink}`` becomes the locale's standard drink (``localised``)."""
        return localised(self.question.hint, locale)

    def option_texts(self, locale: str = DEFAULT_LOCALE) -> tuple[OptionText, ...]:
        return tuple(
            OptionText(
                option.code,
                localised(option.label, locale),
                localised(option.hint, locale),
                option.code == EXCLUSIVE_CODE and self.question.type is QType.MULTI,
                gettext("or") if option.code == EXCLUSIVE_CODE else "",
            )
            for option in self.question.options
        )

    def input_params(self) -> dict[str, Any]:
        """Extra govukInput parameters for a one-line input (type, width, autocomplete)."""
        return {}

    def problem_message(self, problem: Problem, locale: str = DEFAULT_LOCALE) -> str:
        """A problem of ``validation`` with this answer, in the patient's words (``problem_text``; a height or
        weight words its range in the unit the patient used: ``measures.MeasureField``)."""
        return problem_text(problem, locale)

    def error_text(self) -> str:
        return str(self.errors[0]) if self.errors else ""


class TextQuestionField(QuestionField, StringField):
    """text, email and tel: one line, stripped when stored, at most ``max_length`` characters."""

    widget = GovTextInput()
    multiline = False
    _PARAMS: Mapping[QType, dict[str, Any]] = {
        QType.EMAIL: {"type": "email", "spellcheck": False},
        QType.TEL: {"type": "tel", "classes": "govuk-input--width-20"},
    }

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        text = first_text(valuelist)
        if text is not None:
            self.data = text.replace("\r\n", "\n").replace("\r", "\n") if self.multiline else text

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, str) else None

    def stored(self) -> str | None:
        return (self.data or "").strip() or None

    def text(self) -> str:
        """What the input shows: what was typed (kept when it is wrong), else the stored answer."""
        return self.data or ""

    def input_params(self) -> dict[str, Any]:
        params = dict(self._PARAMS.get(self.question.type, {}))
        if self.question.id in AUTOCOMPLETE:
            params["autocomplete"] = AUTOCOMPLETE[self.question.id]
        return params


class TextAreaQuestionField(TextQuestionField, TextAreaField):
    """textarea: several lines (new lines and tabs allowed), with a character count when it has a maximum."""

    multiline = True

    def __init__(self, question: Question, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovCharacterCount() if question.max_length else GovTextArea())
        super().__init__(question, **kwargs)


class WholeNumberField(QuestionField, Field):
    """int: a whole number within the question's range. What was typed is kept when it is not one."""

    widget = GovTextInput()

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        text = first_text(valuelist)
        if text is not None:
            stripped = text.strip()
            if not WHOLE_NUMBER.fullmatch(stripped):
                self.data = None
            elif len(stripped) < 19:
                self.data = int(stripped)
            else:
                self.data = -TOO_LONG_NUMBER if stripped.startswith("-") else TOO_LONG_NUMBER

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, int) and not isinstance(value, bool) else None

    def text(self) -> str:
        typed = first_text(self.raw_data or ())
        if typed is not None:
            return typed
        return "" if self.data is None else str(self.data)

    _value = text

    def is_empty(self) -> bool:
        return not self.text().strip()

    def stored(self) -> int | None:
        return self.data if isinstance(self.data, int) else None

    def input_params(self) -> dict[str, Any]:
        return {"inputmode": "numeric", "spellcheck": False, "classes": "govuk-input--width-4"}


class RadioQuestionField(QuestionField, RadioField):
    """choice, yesno, yesnounsure, scale and likert4: one code; scale and likert4 are stored as integers."""

    widget = GovRadioInput()

    def __init__(self, question: Question, **kwargs: Any) -> None:
        choices = [SelectChoice(option.code, lazy_gettext(option.label)) for option in question.options]
        super().__init__(question, choices=choices, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        code = first_text(valuelist)
        if code is not None:
            self.data = code

    def process_data(self, value: Any) -> None:
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        self.data = str(value) if ok else None

    def stored(self) -> str | int | None:
        if not self.data:
            return None
        if self.question.type in (QType.SCALE, QType.LIKERT4) and self.data in self.question.codes:
            return int(self.data)
        return str(self.data)

    def is_checked(self, code: str) -> bool:
        return bool(self.data == code)


class CheckboxesQuestionField(QuestionField, SelectMultipleField):
    """multi: codes stored in the order of the definition; ``none`` cannot be ticked with another."""

    widget = GovCheckboxesInput()

    def __init__(self, question: Question, **kwargs: Any) -> None:
        choices = [SelectChoice(option.code, lazy_gettext(option.label)) for option in question.options]
        super().__init__(question, choices=choices, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        self.data = [value for value in valuelist if isinstance(value, str) and value]

    def process_data(self, value: Any) -> None:
        self.data = [code for code in value if isinstance(code, str)] if isinstance(value, list | tuple) else []

    def is_empty(self) -> bool:
        return not self.data

    def stored(self) -> list[str] | None:
        given = set(self.data or ())
        return [code for code in self.question.codes if code in given] or None

    def answer(self) -> list[str] | None:
        return list(self.data) if self.data else None

    def is_checked(self, code: str) -> bool:
        return code in (self.data or ())


class TickField(QuestionField, BooleanField):
    """consent (must be ticked) and checkbox (optional): stored as ``True`` when ticked, else omitted."""

    widget = GovCheckboxInput()

    def process_data(self, value: Any) -> None:
        self.data = value is True

    def stored(self) -> bool | None:
        return True if self.data else None


class GovDatePartsInput(GovFormBase):
    """The GOV.UK date input for a ``DateQuestionField`` (inputs ``<id>-day``, ``<id>-month``, ``<id>-year``)."""

    template = "govuk_frontend_wtf/date.html"

    def __call__(self, field: DateQuestionField, **kwargs: Any) -> Any:
        kwargs.setdefault("id", field.base_id)
        return super().__call__(field, **kwargs)

    def map_gov_params(self, field: DateQuestionField, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        params["fieldset"] = {"legend": {"text": field.label_text()}}
        params["items"] = field.date_items()
        return params


class DateQuestionField(QuestionField, Field):
    """date: GOV.UK day / month / year inputs, stored as "YYYY-MM-DD". ``error_parts`` names the inputs to
    mark in error, and ``id`` follows the first of them, so that the error summary (``wtforms_errors``)
    links to the input to fix (``#date_of_birth-month``); the wrapper's own id is ``base_id``."""

    widget = GovDatePartsInput()
    error_parts: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.base_id}-{(self.error_parts or DATE_PARTS)[0]}"

    @id.setter
    def id(self, value: str) -> None:
        self.base_id = value

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors: list[str] = []
        self.error_parts = ()
        self.object_data = None if data is unset_value else data
        self.process_data(self.object_data)
        if formdata is not None:
            self.raw_data = [first_text(formdata.getlist(f"{self.name}-{part}")) or "" for part in DATE_PARTS]
            self.data = dates.date_from_parts(self.raw_data)

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, date) else parse_date(value)

    def parts(self) -> tuple[str, str, str]:
        """Day, month and year as the inputs show them: what was typed, else the stored date."""
        if self.raw_data:
            day, month, year = self.raw_data
            return day, month, year
        if isinstance(self.data, date):
            return str(self.data.day), str(self.data.month), str(self.data.year)
        return "", "", ""

    def is_empty(self) -> bool:
        return not any(part.strip() for part in self.parts())

    def stored(self) -> str | None:
        return self.data.isoformat() if isinstance(self.data, date) else None

    def date_items(self) -> list[dict[str, Any]]:
        """govukDateInput items: ids and names ``<id>-<part>``, labels, values, error classes."""
        marked = self.error_parts if self.errors else ()
        widths = {"day": 2, "month": 2, "year": 4}
        autocomplete = AUTOCOMPLETE.get(self.question.id)
        return [
            {
                "id": f"{self.base_id}-{part}",
                "name": f"{self.name}-{part}",
                "label": gettext(part.capitalize()),
                "value": value,
                "autocomplete": f"{autocomplete}-{part}" if autocomplete else None,
                "classes": f"govuk-input--width-{widths[part]}" + (" govuk-input--error" if part in marked else ""),
            }
            for part, value in zip(DATE_PARTS, self.parts(), strict=True)
        ]


_MISSING_PARTS = {
    ("day",): "%(short)s must include a day",
    ("month",): "%(short)s must include a month",
    ("year",): "%(short)s must include a year",
    ("day", "month"): "%(short)s must include a day and month",
    ("day", "year"): "%(short)s must include a day and year",
    ("month", "year"): "%(short)s must include a month and year",
}


# --- reading what was typed (every other check is ``validation``'s) -------------------------------------
def not_typed(form: Any, field: QuestionField) -> None:
    """Nothing typed, ticked or chosen: nothing to read (``validation`` says whether an answer is required)."""
    if field.is_empty():
        field.errors[:] = []
        raise StopValidation()


def whole_number(form: Any, field: WholeNumberField) -> None:
    if not WHOLE_NUMBER.fullmatch(field.text().strip()):
        raise StopValidation(gettext(Message.WHOLE_NUMBER, short=short_name(field)))


def complete_date(form: Any, field: DateQuestionField) -> None:
    missing = tuple(part for part, text in zip(DATE_PARTS, field.parts(), strict=True) if not text.strip())
    if missing:
        field.error_parts = missing
        raise StopValidation(gettext(_MISSING_PARTS[missing], short=short_name(field)))


def real_date(form: Any, field: DateQuestionField) -> None:
    if field.data is not None:
        return
    day, month, year = (part.strip() for part in field.parts())
    if year.isascii() and year.isdigit() and len(year) != 4:
        field.error_parts = ("year",)
        raise StopValidation(gettext("%(short)s year must include 4 numbers", short=short_name(field)))
    wrong = (
        (("day",) if not (day.isascii() and day.isdigit() and len(day) <= 2 and 1 <= int(day) <= 31) else ())
        + (("month",) if dates.month_number(month) not in range(1, 13) else ())
        + (("year",) if not (year.isascii() and year.isdigit() and int(year) > 0) else ())
    )
    field.error_parts = wrong or ("day",)  # each part is fine, but not together (30 February)
    raise StopValidation(gettext(Message.REAL_DATE, short=short_name(field)))


#: The checks that read what was typed, by type, after ``not_typed``: a field they stop is "unread" for
#: ``validation.check_step``, which checks every other field's answer (``QuestionField.answer``).
READING_CHECKS: Mapping[QType, tuple[Callable[..., None], ...]] = {
    QType.INT: (whole_number,),
    QType.DATE: (complete_date, real_date),
}

FIELD_CLASSES: Mapping[QType, type[QuestionField]] = {
    QType.TEXT: TextQuestionField,
    QType.EMAIL: TextQuestionField,
    QType.TEL: TextQuestionField,
    QType.TEXTAREA: TextAreaQuestionField,
    QType.INT: WholeNumberField,
    QType.DATE: DateQuestionField,
    QType.MULTI: CheckboxesQuestionField,
    QType.CONSENT: TickField,
    QType.CHECKBOX: TickField,
    **dict.fromkeys((QType.CHOICE, QType.YESNO, QType.YESNOUNSURE, QType.SCALE, QType.LIKERT4), RadioQuestionField),
}
