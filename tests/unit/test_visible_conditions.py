"""The questionnaire walked page by page: no page shows a question that does not apply (issue 13, item 5).

What a page can know when it is drawn (questionnaire.md, "How conditions are shown"): the answers of the earlier
pages, and, inside a GOV.UK conditional reveal, the option the reveal sits under (a reveal is only visible once that
option is chosen, with or without JavaScript). Nothing else: an answer on the same page that is not a reveal's option
is not known until the page is sent. So, for every answer set and every page shown for it, each question the layout
shows (``forms.layout``, what ``templates/macros/questions.html`` renders) must have its condition, and its page's
condition, true for those answers:

- a question whose condition depends only on earlier pages is shown exactly when its condition holds;
- a question whose condition names a question of the same page is nested in a reveal under an option that makes it
  true (it may never sit at the top of the page, where it would be seen before its parent is answered).

The one pattern allowed at the top of a page with a same-page condition is an "or" pair that the page refuses to take
both of: "Which medicines do you take?" beside the tick "I don't take any medicines" (a ``not_both`` check of the step,
whose message shows when both are given, so nothing typed is dropped).

The answer sets are the healthy baseline of clinical-rules.md (``tests/answer_sets.py``) changed, for every condition
of every question and page, to each answer its parent question can take and to no answer: each condition is walked
both true and false.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from screening import forms
from screening.clinical import journey, validation
from screening.clinical.questionnaire import (
    QUESTIONS,
    STEP_OF,
    STEPS,
    QType,
    Question,
    Step,
    clean_answers,
    question_is_shown,
)
from tests.answer_sets import answers

_PARENT_VALUES_FOR_TYPE: Mapping[QType, tuple[Any, ...]] = {
    QType.CHECKBOX: (True,),
    QType.CONSENT: (True,),
    QType.TEL: ("01632 960 001",),
    QType.TEXT: ("Something",),
    QType.EMAIL: ("alex@example.org",),
}


def _parent_values(parent: Question) -> Iterator[Any]:
    """Every answer ``parent`` can take that a condition could tell apart, and no answer (None)."""
    yield None
    if parent.type is QType.MULTI:
        yield from ([code] for code in parent.codes)
    elif parent.type in (QType.SCALE, QType.LIKERT4, QType.INT):
        yield from (int(code) for code in parent.codes)
    elif parent.codes:
        yield from parent.codes
    else:
        yield from _PARENT_VALUES_FOR_TYPE.get(parent.type, ())


def _answer_sets() -> dict[str, dict[str, Any]]:
    """The baseline, and the baseline with each parent of a condition given each of its answers (and none), by a
    name that says what changed."""
    parents = sorted(
        {condition.question for holder in (*STEPS, *QUESTIONS.values()) for condition in (holder.enable_when or ())}
    )
    sets = {"baseline": answers()}
    for parent_id in parents:
        for value in _parent_values(QUESTIONS[parent_id]):
            sets[f"{parent_id}={value}"] = answers(**{parent_id: value})
    sets["psychosis_ever=yes+schizophrenia"] = answers(
        psychosis_ever="yes", mental_health_history=["schizophrenia_psychosis"]
    )
    sets["psychosis_ever=no+schizophrenia"] = answers(
        psychosis_ever="no", mental_health_history=["schizophrenia_psychosis"]
    )
    sets["phq9_9=1,no phone"] = answers(phq9_9=1, phone=None)
    return {name: dict(clean_answers(given).values) for name, given in sets.items()}


ANSWER_SETS = _answer_sets()


def _revealed_value(parent: Question, code: str) -> Any:
    """What choosing the option ``code`` of ``parent`` stores (a tick of a multi is one code in a list)."""
    if parent.type is QType.MULTI:
        return [code]
    if parent.type in (QType.SCALE, QType.LIKERT4):
        return int(code)
    return code


def _or_pair(question: Question, step: Step) -> bool:
    """The "or" pair: a question shown while a tick of the same page is not given, and a ``not_both`` check of the
    step that refuses both (its message shows, so nothing typed is dropped)."""
    when = question.enable_when
    if when is None or len(when.conditions) != 1:
        return False
    condition = when.conditions[0]
    if condition.operator != "exists" or condition.value is not False:
        return False
    return any(
        check.kind == "not_both" and set(check.questions) == {question.id, condition.question} for check in step.checks
    )


def _same_page(question: Question, step: Step) -> bool:
    page = {other.id for other in step}
    return any(condition.question in page for condition in (question.enable_when or ()))


def _visible(nodes: tuple[forms.Node, ...], known: Mapping[str, Any], top: bool = True) -> Iterator[tuple]:
    """(question, what is known when it is seen, whether it is at the top of the page) for every shown question."""
    for node in nodes:
        yield node.question, known, top
        for code, children in node.children.items():
            inside = {**known, node.question.id: _revealed_value(node.question, code)}
            yield from _visible(children, inside, top=False)


def _problems(given: Mapping[str, Any]) -> list[str]:
    """What is wrong on the pages shown for ``given``: a question shown whose condition is false for what is known
    when it is seen, a same-page follow-up at the top of its page, or an applicable question left out."""
    found = []
    for step in journey.shown_steps(given):
        earlier = validation.earlier_values(given, step)
        shown_ids = set()
        for question, known, top in _visible(forms.layout(step.id, given), earlier):
            shown_ids.add(question.id)
            if top and _same_page(question, step) and not _or_pair(question, step):
                found.append(f"{step.id}: {question.id} is at the top of the page, but its condition is on this page")
            elif not question_is_shown(question, known) and not _or_pair(question, step):
                found.append(f"{step.id}: {question.id} is shown, but its condition is false")
        for question in step:
            if not _same_page(question, step) and question_is_shown(question, earlier) != (question.id in shown_ids):
                found.append(f"{step.id}: {question.id} applies but is not shown")
    return found


def test_the_answer_sets_walk_every_condition_both_ways() -> None:
    """Each question's condition is false for one answer set and true for another (else the walk proves little)."""
    for question in QUESTIONS.values():
        if question.enable_when is None:
            continue
        outcomes = set()
        for given in ANSWER_SETS.values():
            step = STEP_OF[question.id]
            known = {**validation.earlier_values(given, step), **given}
            outcomes.add(question.enable_when.holds(known))
        assert outcomes == {True, False}, question.id


@pytest.mark.parametrize("name", ANSWER_SETS)
def test_no_page_shows_a_question_that_does_not_apply(name: str) -> None:
    assert _problems(ANSWER_SETS[name]) == []


def test_every_question_with_a_condition_on_its_own_page_is_revealed_under_its_option() -> None:
    """Structural: a follow-up of the same page is nested under an option of its parent, so that it is seen only
    after the parent is answered (the or-pair of the medicines page aside)."""
    nested: set[str] = set()
    for given in ANSWER_SETS.values():
        for step in STEPS:
            for question, _known, top in _visible(forms.layout(step.id, given), {}):
                if not top:
                    nested.add(question.id)
    same_page = {
        question.id
        for step in STEPS
        for question in step
        if _same_page(question, step) and not _or_pair(question, step)
    }
    assert same_page - nested == set()
