"""How to reach the patient, as staff see it at the top of a submission's page (on an urgent one, before the flags):
their phone numbers as ``tel:`` links (the urgent call-back number first, each number once), email, the preferred way
of contact and the best times, in the presenter's words. Pure: the standard library and the clinical core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from screening.clinical import presenter, questionnaire

#: The answers that say how to reach the patient, in the order the contact panel shows them.
CONTACT_PHONES = ("contact_phone_today", "phone")  # the urgent call-back number first


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A number to call as the patient typed it, its question's staff name, and ``tel`` for a ``tel:`` link (digits
    and a leading plus only)."""

    label: str
    number: str
    tel: str


@dataclass(frozen=True, slots=True)
class ContactView:
    """How to reach the patient, at the top of a submission's page: their name, their numbers (the urgent call-back
    number first, each once), email, preferred way and best times in words (``presenter``), None when not given."""

    name: str
    phones: tuple[PhoneNumber, ...]
    email: str | None
    preferred: str | None
    best_times: str | None


def _tel(number: str) -> str:
    digits = "".join(character for character in number if character.isdigit())
    return f"+{digits}" if number.strip().startswith("+") else digits


def _text_answer(answers: Mapping[str, Any], question_id: str) -> str | None:
    value = answers.get(question_id)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _coded_words(answers: Mapping[str, Any], question_id: str, locale: str) -> str | None:
    """A stored choice (or list of choices) in the words the patient chose from; None when not answered."""
    value, question = answers.get(question_id), questionnaire.QUESTIONS[question_id]
    if question.type is questionnaire.QType.MULTI:
        codes = [code for code in value if isinstance(code, str)] if isinstance(value, list) else []
        value = codes or None
    elif not isinstance(value, str) or not value:
        value = None
    return presenter.answer_words(question, value, locale=locale) if value is not None else None


def contact_view(name: str, answers: Mapping[str, Any], *, locale: str = questionnaire.DEFAULT_LOCALE) -> ContactView:
    """The contact details of stored ``answers`` (raw: anything not text or a known shape is left out)."""
    phones: dict[str, PhoneNumber] = {}
    for question_id in CONTACT_PHONES:
        number = _text_answer(answers, question_id)
        if number is not None and _tel(number) not in phones:
            phones[_tel(number)] = PhoneNumber(questionnaire.QUESTIONS[question_id].short, number, _tel(number))
    return ContactView(
        name=name,
        phones=tuple(phones.values()),
        email=_text_answer(answers, "email"),
        preferred=_coded_words(answers, "preferred_contact", locale),
        best_times=_coded_words(answers, "contact_times", locale),
    )
