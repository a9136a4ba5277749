"""The answer presenter: the one place a stored answer becomes words. Check your answers, the staff submission page,
the doctor's summary (print and PDF) and the CSV export all take their answers from here, so an answer reads the
same, in the same order, wherever it is shown.

It owns: the words for every question type (option labels, never codes; several ticks as a list; numbers with their
unit; dates in words in the locale's order; free text as written), "Not answered" for a shown question left empty,
the words of an unticked checkbox, and the rows of each step: only the questions the patient was shown, in the order
of the definition. An unticked checkbox ("I don't take any medicines") is a deliberate answer, "No", on a page the
patient answered: the box is the answer to a yes-or-no statement and leaving it empty is how "no" is given (the
medicines list is then required), so "Not answered" would tell the clinician the patient skipped it; on a page the
patient never saw (sent early from the support page) it is "Not answered" like everything there. A box that states
something about the patient reads as a question answered in sentences (``STATEMENTS``): "Do you take any medicines?"
"I don't take any medicines" or "I take medicines", never a bare "Yes" or "No" under a statement.

Pure: the standard library and ``screening.clinical`` only. Words are English; the web layer passes its gettext as
``translate`` (the English words are the message ids, as for the labels of ``questionnaire``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.clinical import journey, units
from screening.clinical.dates import date_words, parse_date
from screening.clinical.questionnaire import (
    DEFAULT_LOCALE,
    QUESTIONS,
    STEP_OF,
    TEXT_TYPES,
    Answers,
    QType,
    Question,
    Step,
    clean_answers,
    localise,
    question_is_shown,
)

Translate = Callable[[str], str]
NOT_ANSWERED = "Not answered"
YES = "Yes"
NO = "No"


@dataclass(frozen=True, slots=True)
class Statement:
    """A tick box that states something about the patient, as a row: ``question`` is its label, ``ticked`` and
    ``unticked`` the answers in words (an unticked box on a page the patient answered is a deliberate answer)."""

    question: str
    ticked: str
    unticked: str


#: per-question words for a statement tick box, on every surface (check your answers, staff page, CSV)
STATEMENTS: Mapping[str, Statement] = {
    "no_medications": Statement("Do you take any medicines?", "I don't take any medicines", "I take medicines"),
}


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One shown question and its answer in words. ``items`` holds the labels of a multiple choice answer (``text``
    joins them with "; "); ``multiline`` marks free text whose line breaks matter; ``answered`` is False for a shown
    question without an answer (``text`` is then "Not answered"). ``locale`` is the one the patient was asked in: the
    label and option labels are in its words (the AUDIT-C's UK or US wording)."""

    question: Question
    text: str
    items: tuple[str, ...] = ()
    answered: bool = True
    multiline: bool = False
    locale: str = DEFAULT_LOCALE

    @property
    def label(self) -> str:
        """The question as the patient read it (a statement tick box: asked as a question, ``STATEMENTS``)."""
        statement = STATEMENTS.get(self.question.id)
        return statement.question if statement else self.question.label_in(self.locale)

    @property
    def short(self) -> str:
        """The clinician-facing name of the question (staff pages, summary)."""
        return self.question.short


@dataclass(frozen=True, slots=True)
class AnswerSection:
    """One shown step and the rows of its shown questions, in the order of the definition."""

    step: Step
    rows: tuple[AnswerRow, ...]

    @property
    def title(self) -> str:
        return self.step.title


def _option(question: Question, code: str, locale: str, translate: Translate) -> str:
    """The option's label in ``locale``'s words, translated piece by piece (as the form shows it)."""
    for option in question.options:
        if option.code == code:
            return localise(translate(option.label), locale, translate)
    return code


def _number(question: Question, value: int) -> str:
    return f"{value} {question.unit}" if question.unit else str(value)


def _measure(question: Question, value: int | float, locale: str, translate: Translate) -> str:
    """A height or weight in its metric unit, then in the locale's everyday imperial unit: "170.2 cm (5 feet 7
    inches)", "77.6 kg (12 stone 3 pounds)" (en-GB) or "(171 pounds)" (en-US)."""
    metric = Fraction(value) if isinstance(value, int) else Fraction(Decimal(repr(value)))
    imperial = units.IMPERIAL.get(locale, units.IMPERIAL[DEFAULT_LOCALE]).get(question.unit)
    text = f"{units.number_text(metric)} {question.unit}"
    return f"{text} ({units.metric_words(imperial, metric)})" if imperial else text


def present(
    question: Question,
    value: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    date_order: str = "dmy",
    translate: Translate = str,
    page_answered: bool = True,
) -> AnswerRow:
    """A valid stored ``value`` of ``question`` (or None: not answered) as an ``AnswerRow`` in words.
    ``page_answered`` is False for a page the patient skipped, where an unticked checkbox is not an answer."""
    statement = STATEMENTS.get(question.id) if question.type is QType.CHECKBOX else None
    if value is None:
        if question.type is QType.CHECKBOX and page_answered:  # an unticked box is an answer (module docstring)
            return AnswerRow(question, translate(statement.unticked if statement else NO), locale=locale)
        return AnswerRow(question, translate(NOT_ANSWERED), answered=False, locale=locale)
    if statement is not None:
        return AnswerRow(question, translate(statement.ticked if value is True else statement.unticked), locale=locale)
    if question.type is QType.MULTI:
        items = tuple(_option(question, str(code), locale, translate) for code in value)
        return AnswerRow(question, "; ".join(items), items, locale=locale)
    if question.type in (QType.CONSENT, QType.CHECKBOX):
        return AnswerRow(question, translate(YES if value is True else NO), locale=locale)
    if question.type is QType.DATE:
        day = parse_date(value)
        return AnswerRow(question, date_words(day, date_order, translate) if day else str(value), locale=locale)
    if question.options:  # choices, yes/no, scales, likert items: the option's label
        return AnswerRow(question, _option(question, str(value), locale, translate), locale=locale)
    if question.type is QType.INT:
        return AnswerRow(question, _number(question, value), locale=locale)
    if question.type is QType.MEASURE:
        return AnswerRow(question, _measure(question, value, locale, translate), locale=locale)
    return AnswerRow(question, str(value), multiline=question.type is QType.TEXTAREA, locale=locale)


def answer_words(
    question: Question, value: Any, *, locale: str = DEFAULT_LOCALE, date_order: str = "dmy", translate: Translate = str
) -> str:
    """The words of a valid stored ``value`` of ``question`` (None: "Not answered"): ``present(...).text``."""
    return present(question, value, locale=locale, date_order=date_order, translate=translate).text


def answer_row(
    question: Question,
    answers: Answers,
    raw: Mapping[str, Any],
    *,
    locale: str = DEFAULT_LOCALE,
    date_order: str = "dmy",
    translate: Translate = str,
    page_answered: bool = True,
) -> AnswerRow:
    """The answer to one shown question, from the cleaned ``answers``. Free text that is stored but not valid for
    the question (longer than it allows, say, or written straight into the database) is shown as the text it is,
    never hidden as "Not answered"."""
    given = raw.get(question.id)
    if question.id in answers.invalid and question.type in TEXT_TYPES and isinstance(given, str):
        return AnswerRow(question, given, multiline=question.type is QType.TEXTAREA, locale=locale)
    return present(
        question,
        answers.values.get(question.id),
        locale=locale,
        date_order=date_order,
        translate=translate,
        page_answered=page_answered,
    )


def _rows(
    raw: Mapping[str, Any],
    cleaned: Answers,
    *,
    locale: str,
    date_order: str,
    translate: Translate,
    skipped: Collection[str],
) -> dict[str, AnswerRow]:
    return {
        question.id: answer_row(
            question,
            cleaned,
            raw,
            locale=locale,
            date_order=date_order,
            translate=translate,
            page_answered=STEP_OF[question.id].id not in skipped,
        )
        for question in QUESTIONS.values()
        if question_is_shown(question, cleaned.values)
    }


def answer_rows(
    raw: object,
    *,
    locale: str = DEFAULT_LOCALE,
    date_order: str = "dmy",
    translate: Translate = str,
    skipped: Collection[str] = (),
) -> dict[str, AnswerRow]:
    """Every question the patient was shown (its step's condition and its own hold on the cleaned answers; consent
    to store included), keyed by question id in the order of the definition, with its answer in words. Answers to
    hidden questions and unknown keys are left out; ``skipped`` names the pages the patient sent early without."""
    answers: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    cleaned = clean_answers(answers)
    return _rows(answers, cleaned, locale=locale, date_order=date_order, translate=translate, skipped=skipped)


def answer_sections(
    raw: object,
    *,
    locale: str = DEFAULT_LOCALE,
    date_order: str = "dmy",
    translate: Translate = str,
    skipped: Collection[str] = (),
    include_skipped: bool = True,
) -> list[AnswerSection]:
    """The question pages the patient was shown (``journey.shown_steps``: not the start page's consent), each with
    the rows of its shown questions in the order of the definition (``answer_rows``). The staff page lists the pages
    the patient ``skipped`` too (their answers read "Not answered"); check your answers (``include_skipped=False``)
    lists only what will be sent."""
    answers: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    cleaned = clean_answers(answers)
    rows = _rows(answers, cleaned, locale=locale, date_order=date_order, translate=translate, skipped=skipped)
    return [
        AnswerSection(step, tuple(rows[question.id] for question in step if question.id in rows))
        for step in journey.shown_steps(cleaned.values)
        if include_skipped or step.id not in skipped
    ]
