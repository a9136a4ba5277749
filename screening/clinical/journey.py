"""The order of the questionnaire's pages for one patient: which steps are shown, which comes next or
before, how far along they are, and the first step still to do; and what saving a page would not keep of what the
patient typed (``unkept_typing``: a follow-up that an answer now hides). Pure: imports only ``questionnaire``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening.clinical.questionnaire import (
    QUESTIONS,
    START,
    STEP_BY_ID,
    STEP_OF,
    STEPS,
    TEXT_TYPES,
    Question,
    Step,
    clean_answers,
    question_is_shown,
)

QUESTION_STEPS: tuple[Step, ...] = tuple(step for step in STEPS if step is not START)
#: Numbered pages ("Step 2 of 8"); a page shown only for some answers (support, experiences, alcohol) takes the
#: number of the numbered page before it (the one whose answers call for it).
NUMBERED: tuple[Step, ...] = tuple(step for step in QUESTION_STEPS if step.enable_when is None)


def shown_steps(answers: Mapping[str, Any]) -> list[Step]:
    """The question pages this patient sees, in order (support only after a positive PHQ-9 item 9)."""
    return [step for step in QUESTION_STEPS if step.enable_when is None or step.enable_when.holds(answers)]


def step_is_shown(step_id: str, answers: Mapping[str, Any]) -> bool:
    return any(step.id == step_id for step in shown_steps(answers))


def next_step(step_id: str, answers: Mapping[str, Any]) -> str | None:
    """The page after ``step_id``, or None when the next page is "check your answers"."""
    ids = [step.id for step in shown_steps(answers)]
    after = ids[ids.index(step_id) + 1 :] if step_id in ids else ids
    return after[0] if after else None


def previous_step(step_id: str, answers: Mapping[str, Any]) -> str | None:
    """The page before ``step_id``, or None for the first page (its back link is the start page)."""
    ids = [step.id for step in shown_steps(answers)]
    if step_id not in ids or ids.index(step_id) == 0:
        return None
    return ids[ids.index(step_id) - 1]


def first_incomplete(completed: Iterable[str], answers: Mapping[str, Any]) -> str | None:
    """The first shown page never completed, or None when every page has been completed once."""
    done = set(completed)
    return next((step.id for step in shown_steps(answers) if step.id not in done), None)


def position(step_id: str) -> tuple[int, int]:
    """(number, total) for the "Step N of M" caption."""
    ids = [step.id for step in QUESTION_STEPS]
    numbered = {step.id for step in NUMBERED}
    number = sum(1 for earlier in ids[: ids.index(step_id) + 1] if earlier in numbered)
    return max(number, 1), len(NUMBERED)


# --- what saving a page would not keep ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Unkept:
    """Text the patient typed that saving a page would not keep: ``question`` no longer applies because of the
    answers to ``because`` (the questions its condition, or its page's, names)."""

    question: Question
    because: tuple[Question, ...]
    later_page: bool = False  # typed on a later page (saved before), not on the page being saved


def _typed(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _because(question: Question) -> tuple[Question, ...]:
    named = [
        condition.question
        for when in (STEP_OF[question.id].enable_when, question.enable_when)
        for condition in (when or ())
    ]
    return tuple(QUESTIONS[qid] for qid in dict.fromkeys(named))


def unkept_typing(
    step_id: str, given: Mapping[str, Any], kept: Mapping[str, Any], stored: Mapping[str, Any]
) -> tuple[Unkept, ...]:
    """What saving ``step_id`` would drop of what the patient typed (free text), so that they can be told first:
    text ``given`` on this page in a follow-up that its parent's answer hides (a conditional reveal left with text in
    it, with or without JavaScript), and text ``stored`` on another page whose follow-up the answers ``kept`` for this
    page now hide (e.g. the referrer's name after "No one, I found you myself"). ``kept``: what the page stores."""
    step = STEP_BY_ID[step_id]
    others = {qid: value for qid, value in stored.items() if qid in QUESTIONS and STEP_OF[qid] is not step}
    after = clean_answers({**others, **kept}).values
    before = clean_answers(stored).values
    found = [
        Unkept(question, _because(question))
        for question in step
        if question.type in TEXT_TYPES
        and _typed(given.get(question.id))
        and question.id not in kept
        and not question_is_shown(question, after)
    ]
    found += [
        Unkept(question, _because(question), later_page=True)
        for question in QUESTIONS.values()
        if STEP_OF[question.id] is not step
        and question.type in TEXT_TYPES
        and _typed(before.get(question.id))
        and question.id not in after
    ]
    return tuple(found)
