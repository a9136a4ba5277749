"""Tests of ``screening.clinical.conditions``: ``Condition`` and ``When``, evaluated over answers.

Semantics under test (conditions.py docstring, questionnaire.md "when"): a comparison on an unanswered
question is always false, whatever the operator (``!=`` included); only ``exists False`` is true for an
unanswered question; type mismatches never raise, they are simply false.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.clinical.conditions import Condition, When, any_of, when

OPERATORS = ("exists", "=", "!=", ">", "<", ">=", "<=", "has")
COMPARISONS = ("=", "!=", ">", "<", ">=", "<=", "has")

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
JSON_LIKE = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


# --- exists ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["x", 0, False, ["a"], "no"])
def test_condition_exists_true_on_answered_question_holds(answer: object) -> None:
    assert Condition("q", "exists", True).holds({"q": answer})


def test_condition_exists_true_on_unanswered_question_fails() -> None:
    assert not Condition("q", "exists", True).holds({})
    assert not Condition("q", "exists", True).holds({"q": None})
    assert not Condition("q", "exists", True).holds({"other": "x"})


def test_condition_exists_false_on_unanswered_question_holds() -> None:
    assert Condition("q", "exists", False).holds({})
    assert Condition("q", "exists", False).holds({"q": None})
    assert Condition("q", "exists", False).holds({"other": "x"})


@pytest.mark.parametrize("answer", ["x", 0, False, ["a"], "no"])
def test_condition_exists_false_on_answered_question_fails(answer: object) -> None:
    assert not Condition("q", "exists", False).holds({"q": answer})


# --- = and != -------------------------------------------------------------------------------------
def test_condition_equals_on_same_value_holds() -> None:
    assert Condition("q", "=", "yes").holds({"q": "yes"})
    assert Condition("q", "=", 2).holds({"q": 2})


def test_condition_equals_on_other_value_fails() -> None:
    assert not Condition("q", "=", "yes").holds({"q": "no"})
    assert not Condition("q", "=", 2).holds({"q": 3})


def test_condition_equals_on_string_and_int_fails() -> None:
    assert not Condition("q", "=", 1).holds({"q": "1"})
    assert not Condition("q", "=", "0").holds({"q": 0})


def test_condition_not_equals_on_other_value_holds() -> None:
    assert Condition("q", "!=", "self").holds({"q": "other"})
    assert Condition("q", "!=", "0").holds({"q": "3"})


def test_condition_not_equals_on_same_value_fails() -> None:
    assert not Condition("q", "!=", "self").holds({"q": "self"})


# --- ordering operators ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("op", "answer", "expected"),
    [
        (">", 2, True),
        (">", 1, False),
        (">", 0, False),
        ("<", 0, True),
        ("<", 1, False),
        ("<", 2, False),
        (">=", 2, True),
        (">=", 1, True),
        (">=", 0, False),
        ("<=", 0, True),
        ("<=", 1, True),
        ("<=", 2, False),
    ],
)
def test_condition_ordering_on_answered_int_compares_with_value(op: str, answer: int, expected: bool) -> None:
    assert Condition("q", op, 1).holds({"q": answer}) is expected  # type: ignore[arg-type]


# --- has ------------------------------------------------------------------------------------------
def test_condition_has_on_list_containing_code_holds() -> None:
    assert Condition("q", "has", "b").holds({"q": ["a", "b"]})
    assert Condition("q", "has", "b").holds({"q": ("b",)})


def test_condition_has_on_list_without_code_fails() -> None:
    assert not Condition("q", "has", "c").holds({"q": ["a", "b"]})
    assert not Condition("q", "has", "c").holds({"q": []})


def test_condition_has_on_string_answer_fails() -> None:
    # a single string is not a list of codes: no substring or equality match
    assert not Condition("q", "has", "other").holds({"q": "other"})
    assert not Condition("q", "has", "o").holds({"q": "other"})


# --- unanswered questions ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("answers", [{}, {"q": None}, {"other": 1}], ids=["missing", "none", "other-key"])
def test_condition_comparison_on_unanswered_question_fails(op: str, answers: dict[str, object]) -> None:
    value = "x" if op in ("=", "!=", "has") else 1
    assert not Condition("q", op, value).holds(answers)  # type: ignore[arg-type]


def test_condition_not_equals_on_unanswered_question_fails() -> None:
    # spelled out: "!=" must not be true just because there is no answer
    assert not Condition("referral_source", "!=", "self").holds({})
    assert not Condition("auditc_1", "!=", "0").holds({"auditc_1": None})


# --- type mismatches never raise --------------------------------------------------------------------
@pytest.mark.parametrize("op", (">", "<", ">=", "<="))
def test_condition_ordering_on_list_answer_fails_without_raising(op: str) -> None:
    assert not Condition("q", op, 1).holds({"q": [1, 2]})  # type: ignore[arg-type]
    assert not Condition("q", op, [1]).holds({"q": [1, 2]})  # type: ignore[arg-type]


@pytest.mark.parametrize("op", (">", "<", ">=", "<="))
def test_condition_ordering_on_string_and_int_fails_without_raising(op: str) -> None:
    assert not Condition("q", op, 1).holds({"q": "5"})  # type: ignore[arg-type]
    assert not Condition("q", op, "1").holds({"q": 5})  # type: ignore[arg-type]


@pytest.mark.parametrize("op", (">", "<", ">=", "<="))
def test_condition_ordering_on_dict_answer_fails_without_raising(op: str) -> None:
    assert not Condition("q", op, 1).holds({"q": {"a": 1}})  # type: ignore[arg-type]


def test_condition_has_on_int_answer_fails_without_raising() -> None:
    assert not Condition("q", "has", "a").holds({"q": 3})
    assert not Condition("q", "has", "a").holds({"q": {"a": 1}})


def test_condition_holds_on_read_only_mapping_evaluates() -> None:
    answers = MappingProxyType({"q": 3})
    assert Condition("q", ">=", 1).holds(answers)
    assert not Condition("q", "exists", False).holds(answers)


@settings(database=None, deadline=None, max_examples=300)
@given(
    op=st.sampled_from(COMPARISONS),
    value=JSON_SCALARS,
    answer=JSON_LIKE,
)
def test_condition_holds_on_arbitrary_values_returns_bool_without_raising(
    op: str, value: object, answer: object
) -> None:
    condition = Condition("q", op, value)  # type: ignore[arg-type]
    result = condition.holds({"q": answer})
    assert isinstance(result, bool)
    assert condition.holds({}) is False


@settings(database=None, deadline=None, max_examples=100)
@given(answers=st.dictionaries(st.text(max_size=5).filter(lambda key: key != "q"), JSON_LIKE, max_size=4))
def test_condition_on_unanswered_question_only_exists_false_holds(answers: dict[str, object]) -> None:
    assert Condition("q", "exists", False).holds(answers)
    assert not Condition("q", "exists", True).holds(answers)
    for op in COMPARISONS:
        for value in ("x", 0, 1, ["x"]):
            assert not Condition("q", op, value).holds(answers)  # type: ignore[arg-type]


# --- constructor validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["==", "in", "contains", "", "EXISTS", "=>"])
def test_condition_constructor_on_unknown_operator_raises(op: str) -> None:
    with pytest.raises(ValueError):
        Condition("q", op, "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [True]])
def test_condition_constructor_on_exists_with_non_bool_raises(value: object) -> None:
    with pytest.raises(ValueError):
        Condition("q", "exists", value)


@pytest.mark.parametrize("op", OPERATORS)
def test_condition_constructor_on_every_operator_accepts(op: str) -> None:
    value = True if op == "exists" else 1
    assert Condition("q", op, value).operator == op  # type: ignore[arg-type]


def test_condition_instance_is_frozen_and_hashable() -> None:
    condition = Condition("q", "=", "yes")
    assert condition == Condition("q", "=", "yes")
    assert hash(condition) == hash(Condition("q", "=", "yes"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        condition.value = "no"  # type: ignore[misc]


# --- When ---------------------------------------------------------------------------------------------
YES = Condition("a", "=", "yes")
HAS_X = Condition("b", "has", "x")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"a": "yes", "b": ["x"]}, True),
        ({"a": "yes", "b": ["y"]}, False),
        ({"a": "no", "b": ["x"]}, False),
        ({}, False),
    ],
)
def test_when_all_on_answers_holds_only_if_every_condition_holds(answers: dict[str, object], expected: bool) -> None:
    assert When((YES, HAS_X)).holds(answers) is expected
    assert When((YES, HAS_X), "all").holds(answers) is expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"a": "yes", "b": ["x"]}, True),
        ({"a": "yes"}, True),
        ({"b": ["x"]}, True),
        ({"a": "no", "b": ["y"]}, False),
        ({}, False),
    ],
)
def test_when_any_on_answers_holds_if_one_condition_holds(answers: dict[str, object], expected: bool) -> None:
    assert When((YES, HAS_X), "any").holds(answers) is expected


def test_when_default_behavior_is_all() -> None:
    assert When((YES,)).behavior == "all"


def test_when_constructor_on_empty_conditions_raises() -> None:
    with pytest.raises(ValueError):
        When(())


def test_when_constructor_on_unknown_behavior_raises() -> None:
    with pytest.raises(ValueError):
        When((YES,), "none")  # type: ignore[arg-type]


def test_when_iteration_yields_conditions_in_order() -> None:
    assert list(When((YES, HAS_X), "any")) == [YES, HAS_X]


def test_when_helper_on_single_condition_builds_one_condition_when() -> None:
    built = when("phq9_9", ">=", 1)
    assert list(built) == [Condition("phq9_9", ">=", 1)]
    assert built.holds({"phq9_9": 1})
    assert not built.holds({"phq9_9": 0})


def test_any_of_on_several_values_builds_any_of_equalities() -> None:
    built = any_of("sex_at_birth", "=", ("female", "intersex", "not_say"))
    assert built.behavior == "any"
    assert list(built) == [Condition("sex_at_birth", "=", code) for code in ("female", "intersex", "not_say")]
    assert built.holds({"sex_at_birth": "intersex"})
    assert not built.holds({"sex_at_birth": "male"})
    assert not built.holds({})
