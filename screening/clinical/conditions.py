"""Conditions over answers, in the vocabulary of FHIR ``Questionnaire.item.enableWhen``.

Owns ``Condition`` (question, operator, value) and ``When`` (all / any of conditions), and how they are
evaluated. Used by ``questionnaire`` (which follow-ups are shown) and ``rules`` (what fires a flag).
Pure: imports only the standard library.

Semantics: a comparison on an unanswered question is false, whatever the operator (``=``, ``!=``,
``>=``, ``has`` alike); only ``exists`` looks at whether a question was answered at all.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Operator = Literal["exists", "=", "!=", ">", "<", ">=", "<=", "has"]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """``question`` ``operator`` ``value``: e.g. ``Condition("phq9_9", ">=", 1)``.

    ``has`` asks whether a multi-choice answer (a list of codes) contains ``value``; ``exists``
    takes ``True`` or ``False`` and is the only operator that is true for an unanswered question.
    """

    question: str
    operator: Operator
    value: Any
    _compare: Callable[[Any, Any], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.operator == "exists" and not isinstance(self.value, bool):
            raise ValueError(f"{self}: 'exists' takes True or False")
        if self.operator not in _COMPARE and self.operator not in ("exists", "has"):
            raise ValueError(f"{self}: unknown operator {self.operator!r}")
        object.__setattr__(self, "_compare", _COMPARE.get(self.operator, operator.eq))

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """True when the condition holds for ``answers`` (already cleaned: valid values only)."""
        answer = answers.get(self.question)
        op = self.operator
        if op == "exists":
            return (answer is not None) is self.value
        if answer is None:
            return False
        if op == "has":
            return type(answer) in (list, tuple) and self.value in answer
        if type(answer) in (list, tuple):
            return False
        try:
            return bool(self._compare(answer, self.value))
        except TypeError:
            return False


@dataclass(frozen=True, slots=True)
class When:
    """All (``behavior="all"``) or any (``"any"``) of several conditions, as FHIR ``enableBehavior``."""

    conditions: tuple[Condition, ...]
    behavior: Literal["all", "any"] = "all"

    def __post_init__(self) -> None:
        if not self.conditions:
            raise ValueError("When needs at least one condition")
        if self.behavior not in ("all", "any"):
            raise ValueError(f"unknown behavior {self.behavior!r}")

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """True when all (or any) of the conditions hold."""
        combine = all if self.behavior == "all" else any
        return combine(condition.holds(answers) for condition in self.conditions)

    def __iter__(self) -> Iterator[Condition]:
        return iter(self.conditions)


def when(question: str, op: Operator, value: Any) -> When:
    """A single-condition ``When``: the common case of a follow-up question."""
    return When((Condition(question, op, value),))


def any_of(question: str, op: Operator, values: tuple[Any, ...]) -> When:
    """``question op v`` for any ``v`` in ``values`` (FHIR has no ``in``; this is its spelling)."""
    return When(tuple(Condition(question, op, value) for value in values), "any")
