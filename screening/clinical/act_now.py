"""Answers that mean "act now": shown to the patient at once, on the step where they are given, before the
questionnaire goes on (DESIGN.md, data flow 5). The staff side learns of them through the urgent rules
(``rules.py``); this module only decides what the patient is told straight away.

Each entry names the answers that trigger it (FHIR ``enableWhen`` style, over cleaned answers) and the calm,
plain words the patient reads. Every entry's trigger is also an ``urgent`` rule's trigger, so whatever stops
the patient here also reaches a person the same day once the answers are sent (tests/unit/test_act_now.py
checks it). Pure: standard library, ``conditions`` and ``questionnaire`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening.clinical.conditions import Condition, When
from screening.clinical.questionnaire import QUESTIONS, check_condition, clean_answers


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


# Plain, kind and calm (reading age about 12): what to do now, never what it might be. Each says not to wait for
# the clinic; the page around them adds that the answers are saved and that the clinic sees them only once sent.
ACT_NOW: tuple[ActNow, ...] = (
    # NICE CG95 1.2.1.3, 1.2.1.7, 1.2.1.8: rest pain, or new or worsening angina, may be an acute coronary
    # syndrome; pain now needs an emergency call, recent pain the same day. 1.2.1.11: after a heart attack, further
    # chest pain is an emergency referral too. Either answer, whichever heart condition was ticked (each question
    # is asked under one option). Urgent rule: cv_unstable_angina.
    ActNow(
        "chest_pain",
        When((Condition("angina_unstable", "=", "yes"), Condition("chest_pain_since_mi", "=", "yes")), "any"),
        "Please get your chest pain checked today",
        (
            "You told us you get chest pain when resting, or chest pain that is new or getting worse. A "
            "doctor needs to check this today.",
            "If you have chest pain now, call {emergency} straight away.",
            "If you do not have chest pain now, please contact your doctor or an urgent care service today. "
            "Do not wait for us to call you.",
        ),
        crisis_lines=False,
    ),
    # A plan or intent; or in the past 3 months an attempt, a started or stopped attempt, or getting ready
    # (Posner 2011; NICE NG225). Urgent rule: psych_suicide_risk_urgent.
    ActNow(
        "self_harm",
        When((Condition("self_harm_intent", "=", "yes"), Condition("self_harm_recent_attempt", "=", "yes")), "any"),
        "Please talk to someone today",
        (
            "Thank you for telling us. It can be hard to say these things. You do not have to wait for us to call you.",
            "If you are not safe right now, or you feel you might act on these thoughts, call {emergency} now.",
            "You can also call one of these support lines. They are there to listen, day or night.",
        ),
        crisis_lines=True,
    ),
)


def check_entries(entries: tuple[ActNow, ...]) -> None:
    """Raise ValueError unless every entry has a unique id and conditions that name defined questions with a
    value they can take (a misspelt code would otherwise never trigger, silently)."""
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"repeated act-now id {entry.id!r}")
        seen.add(entry.id)
        unknown = sorted(entry.questions - set(QUESTIONS))
        if unknown:
            raise ValueError(f"act-now {entry.id} names unknown questions: {', '.join(unknown)}")
        for condition in entry.condition:
            check_condition(condition)


check_entries(ACT_NOW)


def for_answers(answers: Mapping[str, Any], *, questions: Iterable[str] | None = None) -> tuple[ActNow, ...]:
    """The act-now situations that ``answers`` show (answers are cleaned first: a hidden or invalid answer
    never triggers). With ``questions`` (the ids of the step just saved), only those that answer triggers."""
    cleaned = clean_answers(answers).values
    wanted = None if questions is None else frozenset(questions)
    return tuple(
        entry for entry in ACT_NOW if (wanted is None or entry.questions & wanted) and entry.condition.holds(cleaned)
    )
