"""Answers that mean "act now": shown to the patient at once, on the step where they are given, before the
questionnaire goes on (DESIGN.md, data flow 5). The staff side learns of them through the urgent rules
(``rules.py``); this module only decides what the patient is told straight away.

Each entry names the answers that trigger it (FHIR ``enableWhen`` style, over cleaned answers) and the calm,
plain words the patient reads. Every entry's trigger is also an ``urgent`` rule's trigger, so whatever stops
the patient here also reaches a person the same day (a test checks it). Pure: standard library and the
questionnaire only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening.conditions import Condition, When
from screening.questionnaire import QUESTIONS, clean_answers


@dataclass(frozen=True, slots=True)
class ActNow:
    """One "act now" situation: when it applies and what the patient reads (``{emergency}`` is replaced with
    the clinic's emergency number). ``crisis_lines``: also list the clinic's crisis support lines."""

    id: str
    condition: When
    heading: str
    paragraphs: tuple[str, ...]
    crisis_lines: bool = False

    @property
    def questions(self) -> frozenset[str]:
        return frozenset(condition.question for condition in self.condition)


ACT_NOW: tuple[ActNow, ...] = (
    ActNow("chest_pain", When((Condition("angina_unstable", "=", "yes"),)),
           "Chest pain needs a doctor today",
           ("You told us you get chest pain when resting, or that your angina is new or getting worse.",
            "If you have chest pain now, call {emergency} straight away.",
            "If you do not have chest pain now, please contact your doctor or a walk-in service today. Do not "
            "wait for us to call you."),
           crisis_lines=False),
    ActNow("self_harm", When((Condition("self_harm_intent", "=", "yes"),
                              Condition("self_harm_recent_attempt", "=", "yes")), "any"),
           "Please talk to someone now",
           ("Thank you for telling us. You do not have to wait for us to call you.",
            "If you feel you might act on these thoughts, or you are not safe right now, call {emergency} "
            "now.",
            "You can also call one of these support lines. They are there to listen, day or night."),
           crisis_lines=True),
)


def _check() -> None:
    for entry in ACT_NOW:
        unknown = sorted(entry.questions - set(QUESTIONS))
        if unknown:
            raise ValueError(f"act-now {entry.id} names unknown questions: {', '.join(unknown)}")


_check()


def for_answers(answers: Mapping[str, Any], *, questions: Iterable[str] | None = None) -> tuple[ActNow, ...]:
    """The act-now situations that ``answers`` show (answers are cleaned first: a hidden or invalid answer
    never triggers). With ``questions`` (the ids of the step just saved), only those that answer triggers."""
    cleaned = clean_answers(answers).values
    wanted = None if questions is None else frozenset(questions)
    return tuple(entry for entry in ACT_NOW
                 if (wanted is None or entry.questions & wanted) and entry.condition.holds(cleaned))
