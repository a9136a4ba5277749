"""The follow-ups moved off the page of their condition (issue 13, item 5), tested from the sources:

- AUDIT-C (Bush 1998; clinical-rules.md, "AUDIT-C ... items 2-3 count 0 when auditc_1 = 0"): after "Never" to item 1,
  items 2 and 3 are not asked (their page is not shown, nothing is required) and the score is 0, complete;
- questionnaire.md: psychosis_current "when psychosis_ever = yes or schizophrenia_psychosis ticked"; referrer_name
  "when referral_source != self": each is asked on a page shown exactly then, and the rules still see an unanswered
  psychosis_current as unanswered (psych_psychosis_current fires, clinical-rules.md);
- what saving a page would not keep of what was typed (``journey.unkept_typing``), so that the patient is told.
"""

from __future__ import annotations

from typing import Any

import pytest

from screening.clinical import journey, scoring
from screening.clinical.questionnaire import STEP_OF, clean_answers
from screening.clinical.validation import first_invalid_step
from screening.rules import evaluate
from tests.answer_sets import TODAY, answers, auditc


def step_ids(given: dict[str, Any]) -> list[str]:
    return [step.id for step in journey.shown_steps(given)]


# --- AUDIT-C ---------------------------------------------------------------------------------------------------
def test_never_drinking_asks_nothing_more_and_scores_0_complete() -> None:
    given = answers(**auditc(0))
    assert "alcohol" not in step_ids(given)
    assert first_invalid_step(given, today=TODAY, min_age=18) is None  # items 2 and 3 are not needed
    score = scoring.auditc(clean_answers(given))
    assert (score.value, score.complete, score.band) == (0, True, "negative")


def test_never_drinking_ignores_stale_items_2_and_3() -> None:
    """Answers to items 2 and 3 kept from before the patient changed item 1 to "Never" count 0, as published."""
    cleaned = clean_answers(answers(**auditc(0, 4, 4)))
    assert {"auditc_2", "auditc_3"} <= cleaned.hidden
    assert scoring.auditc(cleaned).value == 0
    assert "sub_alcohol_unhealthy" not in {flag.rule_id for flag in evaluate(answers(**auditc(0, 4, 4)), today=TODAY)}


@pytest.mark.parametrize("item_1", [1, 2, 3, 4])
def test_any_drinking_asks_items_2_and_3_on_the_next_page(item_1: int) -> None:
    given = answers(**auditc(item_1))
    shown = step_ids(given)
    assert shown[shown.index("substances") + 1] == "alcohol"
    assert first_invalid_step(given, today=TODAY, min_age=18) == "alcohol"  # required once asked
    assert first_invalid_step(answers(**auditc(item_1, 0, 0)), today=TODAY, min_age=18) is None
    assert journey.position("alcohol") == journey.position("substances")  # not a numbered step of its own


def test_the_score_is_the_sum_of_the_three_items() -> None:
    """Bush 1998: 0-4 per item, 0-12 in all (the codes are the points)."""
    score = scoring.auditc(clean_answers(answers(**auditc(4, 4, 4))))
    assert (score.value, score.complete) == (12, True)


# --- psychosis and the referrer --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, asked",
    [
        ({"psychosis_ever": "yes"}, True),
        ({"psychosis_ever": "no"}, False),
        ({"psychosis_ever": "unsure"}, False),
        ({"psychosis_ever": "no", "mental_health_history": ["schizophrenia_psychosis"]}, True),
        ({"psychosis_ever": "no", "mental_health_history": ["ptsd"], "dissociation_frequent": "no"}, False),
    ],
)
def test_happening_now_is_asked_after_the_mood_page_exactly_when_it_applies(
    changes: dict[str, Any], asked: bool
) -> None:
    shown = step_ids(answers(**changes))
    assert ("experiences" in shown) is asked
    if asked:
        assert shown[shown.index("mood") + 1] == "experiences"
        assert STEP_OF["psychosis_current"].id == "experiences"
        assert journey.position("experiences") == journey.position("support") == journey.position("mood") == (6, 8)


def test_happening_now_unanswered_still_flags_for_discussion() -> None:
    """A patient who stops before the page (or sends early) is not read as "no" (psych_psychosis_current)."""
    fired = {flag.rule_id for flag in evaluate(answers(psychosis_ever="yes"), today=TODAY)}
    assert "psych_psychosis_current" in fired
    fired = {flag.rule_id for flag in evaluate(answers(psychosis_ever="yes", psychosis_current="no"), today=TODAY)}
    assert "psych_psychosis_current" not in fired


@pytest.mark.parametrize(
    "source, asked", [("self", False), ("primary_care", True), ("other", True), ("mental_health", True)]
)
def test_the_referrers_name_is_asked_only_when_someone_suggested_us(source: str, asked: bool) -> None:
    cleaned = clean_answers(answers(referral_source=source, referrer_name="Dr Example")).values
    assert ("referrer_name" in cleaned) is asked
    assert STEP_OF["referrer_name"].id == "practicalities"  # after the first page, where the answer is given


# --- what saving would not keep ---------------------------------------------------------------------------------
def unkept(step_id: str, given: dict[str, Any], kept: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    return [item.question.id for item in journey.unkept_typing(step_id, given, kept, stored)]


def test_text_in_a_follow_up_its_parent_hides_is_reported() -> None:
    typed = {"previous_ketamine": "no", "previous_ketamine_notes": "Three infusions"}
    assert unkept("treatments", typed, {"previous_ketamine": "no"}, answers()) == ["previous_ketamine_notes"]
    found = journey.unkept_typing("treatments", typed, {"previous_ketamine": "no"}, answers())[0]
    assert [parent.id for parent in found.because] == ["previous_ketamine"] and not found.later_page


def test_text_kept_or_blank_is_not_reported() -> None:
    kept = {"previous_ketamine": "yes", "previous_ketamine_notes": "Three infusions"}
    assert unkept("treatments", kept, kept, answers()) == []
    assert unkept("treatments", {"previous_ketamine_notes": "  "}, {"previous_ketamine": "no"}, answers()) == []


def test_text_saved_on_a_later_page_that_this_page_now_hides_is_reported() -> None:
    stored = answers(referral_source="primary_care", referrer_name="Dr Example")
    kept = {**{key: stored[key] for key in stored if STEP_OF.get(key) and STEP_OF[key].id == "about_you"}}
    assert unkept("about_you", kept, {**kept, "referral_source": "self"}, stored) == ["referrer_name"]
    assert unkept("about_you", kept, kept, stored) == []
    found = journey.unkept_typing("about_you", kept, {**kept, "referral_source": "self"}, stored)[0]
    assert found.later_page and [parent.id for parent in found.because] == ["referral_source"]


def test_a_choice_left_in_a_hidden_follow_up_is_not_typed_text() -> None:
    """Only free text counts as typed (a radio in a closed reveal is not something the patient wrote)."""
    given = {"previous_ketamine": "no", "previous_ketamine_effect": "helped_a_lot"}
    assert unkept("treatments", given, {"previous_ketamine": "no"}, answers()) == []
