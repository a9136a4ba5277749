"""The order of the questionnaire's pages for one patient: which steps are shown, which comes next or
before, how far along they are, and the first step still to do. Pure: imports only ``questionnaire``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from screening.clinical.questionnaire import START, STEPS, Step

QUESTION_STEPS: tuple[Step, ...] = tuple(step for step in STEPS if step is not START)
#: Numbered pages ("Step 2 of 8"); the support page takes the number of the mood page it follows.
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
    numbered = [step.id for step in NUMBERED]
    index = numbered.index(step_id) if step_id in numbered else numbered.index("mood")
    return index + 1, len(numbered)
