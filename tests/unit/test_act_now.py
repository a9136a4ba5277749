"""The act-now answers (issue 10, point 6), written from the sources rather than from the module's output.

What must stop a patient at once: chest pain at rest, or angina that is new or getting worse (NICE CG95 1.2.1.3: a
possible acute coronary syndrome; 1.2.1.7 and 1.2.1.8: emergency or same-day assessment), and, after a heart attack,
chest pain at rest or new or worsening chest pain (1.2.1.11: "Refer people to hospital as an emergency if they have a
recent (confirmed or suspected) ACS and develop further chest pain"), whichever heart condition was ticked; a plan or
intent to act on
thoughts of self-harm; an attempt, a started, stopped or interrupted attempt, or preparations in the past 3 months
(Posner 2011; Burke 2016; NICE NG225). Nothing else does, and a hidden follow-up never does. Every act-now answer is
also an urgent rule's answer, so that the patient we stop is also called the same day once they send the form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import rules
from screening.clinical import act_now
from screening.clinical.act_now import ACT_NOW, ActNow, for_answers
from screening.clinical.conditions import Condition, When
from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID
from screening.rules import RULES, Severity
from tests.answer_sets import TODAY, answers
from tests.unit import readability

CORONARY = {"heart_conditions": ["coronary_disease"], "angina_unstable": "no"}
HEART_ATTACK = {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no", "chest_pain_since_mi": "no"}
BOTH = {
    "heart_conditions": ["heart_attack", "coronary_disease"],
    "heart_attack_recent": "no",
    "chest_pain_since_mi": "no",
    "angina_unstable": "no",
}
SUPPORT_NO = {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "no"}

# (case, changes to the healthy baseline, the act-now ids expected): the sources' list, one answer at a time.
TRIGGERS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("rest pain or new or worsening angina", {**CORONARY, "angina_unstable": "yes"}, ("chest_pain",)),
    (
        "angina worse, after a heart attack too",
        {
            "heart_conditions": ["heart_attack", "coronary_disease"],
            "heart_attack_recent": "no",
            "angina_unstable": "yes",
        },
        ("chest_pain",),
    ),
    # CG95 1.2.1.11: only "A heart attack" ticked, never asked angina_unstable.
    (
        "heart attack only, chest pain at rest or new or worse since",
        {**HEART_ATTACK, "chest_pain_since_mi": "yes"},
        ("chest_pain",),
    ),
    (
        "recent heart attack and further chest pain",
        {**HEART_ATTACK, "heart_attack_recent": "yes", "chest_pain_since_mi": "yes"},
        ("chest_pain",),
    ),
    ("both ticked, pain since the heart attack only", {**BOTH, "chest_pain_since_mi": "yes"}, ("chest_pain",)),
    (
        "both ticked, both yes: one interstitial",
        {**BOTH, "chest_pain_since_mi": "yes", "angina_unstable": "yes"},
        ("chest_pain",),
    ),
    *(
        (
            f"plan or intent, item 9 = {item9}",
            {**SUPPORT_NO, "phq9_9": item9, "self_harm_intent": "yes"},
            ("self_harm",),
        )
        for item9 in (1, 2, 3)
    ),
    *(
        (
            f"attempt, stopped attempt or preparations, item 9 = {item9}",
            {**SUPPORT_NO, "phq9_9": item9, "self_harm_recent_attempt": "yes"},
            ("self_harm",),
        )
        for item9 in (1, 2, 3)
    ),
    (
        "plan and attempt: one interstitial",
        {**SUPPORT_NO, "self_harm_intent": "yes", "self_harm_recent_attempt": "yes"},
        ("self_harm",),
    ),
    (
        "chest pain and self-harm: both, heart first",
        {**CORONARY, "angina_unstable": "yes", **SUPPORT_NO, "self_harm_intent": "yes"},
        ("chest_pain", "self_harm"),
    ),
]

NOT_ACT_NOW: list[tuple[str, dict[str, Any]]] = [
    ("the healthy baseline", {}),
    ("stable angina", CORONARY),
    ("coronary disease, follow-up not answered", {"heart_conditions": ["coronary_disease"]}),
    (
        "hidden follow-up: angina_unstable yes without coronary disease ticked",
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no", "angina_unstable": "yes"},
    ),
    ("hidden follow-up: angina_unstable yes with no heart conditions", {"angina_unstable": "yes"}),
    (
        "heart attack in the past 6 months (discuss, not act now)",
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes"},
    ),
    ("heart attack, no chest pain since", HEART_ATTACK),
    ("recent heart attack, no chest pain since", {**HEART_ATTACK, "heart_attack_recent": "yes"}),
    ("both ticked, both no", BOTH),
    (
        "heart attack, chest-pain follow-up not answered (urgent fail-safe, but no act-now without a real yes)",
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no"},
    ),
    (
        "hidden follow-up: chest_pain_since_mi yes without a heart attack ticked",
        {**CORONARY, "chest_pain_since_mi": "yes"},
    ),
    ("hidden follow-up: chest_pain_since_mi yes with no heart conditions", {"chest_pain_since_mi": "yes"}),
    ("severely raised blood pressure", {"bp_systolic": 220, "bp_diastolic": 125}),
    *((f"PHQ-9 item 9 = {item9} alone, follow-ups no", {**SUPPORT_NO, "phq9_9": item9}) for item9 in (1, 2, 3)),
    ("PHQ-9 item 9 = 3, follow-ups not answered", {"phq9_9": 3}),
    (
        "hidden follow-ups: self-harm yes with item 9 = 0",
        {"phq9_9": 0, "self_harm_intent": "yes", "self_harm_recent_attempt": "yes"},
    ),
    (
        "hidden follow-ups: self-harm yes with item 9 not answered",
        {"phq9_9": None, "self_harm_intent": "yes", "self_harm_recent_attempt": "yes"},
    ),
    *(
        (
            f"answer of the wrong type: {value!r}",
            {
                **CORONARY,
                "angina_unstable": value,
                **SUPPORT_NO,
                "self_harm_intent": value,
                "self_harm_recent_attempt": value,
            },
        )
        for value in ("Yes", "YES", " yes", True, 1, ["yes"], {"yes": 1}, "unsure")
    ),
    *(
        (f"chest_pain_since_mi of the wrong type: {value!r}", {**HEART_ATTACK, "chest_pain_since_mi": value})
        for value in ("Yes", " yes", True, 1, ["yes"], "unsure")
    ),
]


def ids(entries: tuple[ActNow, ...]) -> tuple[str, ...]:
    return tuple(entry.id for entry in entries)


def urgent_flags(values: dict[str, Any]) -> list[rules.Flag]:
    return [flag for flag in rules.evaluate(values, today=TODAY) if flag.severity is Severity.URGENT]


@pytest.mark.parametrize(("changes", "expected"), [case[1:] for case in TRIGGERS], ids=[case[0] for case in TRIGGERS])
def test_act_now_answer_triggers_its_interstitial(changes: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert ids(for_answers(answers(**changes))) == expected


@pytest.mark.parametrize("changes", [case[1] for case in NOT_ACT_NOW], ids=[case[0] for case in NOT_ACT_NOW])
def test_other_answers_never_trigger_an_interstitial(changes: dict[str, Any]) -> None:
    assert for_answers(answers(**changes)) == ()


@pytest.mark.parametrize(("changes", "expected"), [case[1:] for case in TRIGGERS], ids=[case[0] for case in TRIGGERS])
def test_act_now_answer_also_fires_an_urgent_rule_on_the_same_answer(
    changes: dict[str, Any], expected: tuple[str, ...]
) -> None:
    values = answers(**changes)
    for entry in for_answers(values):
        shorts = [QUESTIONS[question].short for question in entry.questions]
        assert any(short in flag.evidence for flag in urgent_flags(values) for short in shorts), entry.id


def test_every_act_now_question_is_read_by_an_urgent_rule() -> None:
    urgent_questions = {
        condition.question
        for rule in RULES
        if rule.severity is Severity.URGENT
        for condition in rule.trigger.conditions()
    }
    for entry in ACT_NOW:
        assert entry.questions <= urgent_questions, entry.id


def test_every_act_now_condition_is_itself_an_urgent_rule_condition() -> None:
    # Stronger than reading the same question: the very answer that stops the patient fires an urgent rule.
    urgent_conditions = {
        condition for rule in RULES if rule.severity is Severity.URGENT for condition in rule.trigger.conditions()
    }
    for entry in ACT_NOW:
        assert set(entry.condition) <= urgent_conditions, entry.id


def test_chest_pain_triggers_on_either_heart_question() -> None:
    chest = next(entry for entry in ACT_NOW if entry.id == "chest_pain")
    assert chest.condition.behavior == "any"
    assert chest.questions == {"angina_unstable", "chest_pain_since_mi"}


# --- the step filter: only the answers on the step just saved stop the patient ------------------------------------
def step_questions(step_id: str) -> list[str]:
    return [question.id for question in STEP_BY_ID[step_id]]


def test_act_now_with_questions_only_reports_the_step_just_saved() -> None:
    values = answers(**{**CORONARY, "angina_unstable": "yes", **SUPPORT_NO, "self_harm_recent_attempt": "yes"})
    assert ids(for_answers(values, questions=step_questions("health"))) == ("chest_pain",)
    assert ids(for_answers(values, questions=step_questions("support"))) == ("self_harm",)
    assert for_answers(values, questions=step_questions("mood")) == ()
    assert for_answers(values, questions=[]) == ()
    assert for_answers(values, questions=iter(QUESTIONS)) == for_answers(values)


def test_every_act_now_question_is_asked_on_one_step() -> None:
    steps = {step_id for step_id in STEP_BY_ID for entry in ACT_NOW if entry.questions & set(step_questions(step_id))}
    assert steps == {"health", "support"}


# --- a property over many answer sets: the oracle is the sources' list, not the module ---------------------------
def oracle(values: dict[str, Any]) -> tuple[str, ...]:
    """What the sources say stops the patient, with the questionnaire's rule that a hidden follow-up is unanswered."""
    found = []
    heart = values.get("heart_conditions") or []
    if ("coronary_disease" in heart and values.get("angina_unstable") == "yes") or (
        "heart_attack" in heart and values.get("chest_pain_since_mi") == "yes"
    ):
        found.append("chest_pain")
    item9 = values.get("phq9_9")
    if (
        isinstance(item9, int)
        and not isinstance(item9, bool)
        and 1 <= item9 <= 3
        and "yes" in (values.get("self_harm_intent"), values.get("self_harm_recent_attempt"))
    ):
        found.append("self_harm")
    return tuple(found)


YES_NO_MISSING = st.sampled_from(["yes", "no", None, "Yes", True])
HEART = st.lists(
    st.sampled_from(["high_blood_pressure", "heart_attack", "coronary_disease", "arrhythmia"]), unique=True, max_size=3
).map(lambda codes: codes or ["none"])


@settings(max_examples=400, deadline=None)
@given(
    heart=HEART,
    angina=YES_NO_MISSING,
    recent_mi=YES_NO_MISSING,
    since_mi=YES_NO_MISSING,
    item9=st.sampled_from([0, 1, 2, 3, None, "3"]),
    intent=YES_NO_MISSING,
    attempt=YES_NO_MISSING,
)
def test_act_now_matches_the_sources_and_always_has_an_urgent_rule(
    heart: list[str], angina: Any, recent_mi: Any, since_mi: Any, item9: Any, intent: Any, attempt: Any
) -> None:
    values = answers(
        heart_conditions=heart,
        angina_unstable=angina,
        heart_attack_recent=recent_mi,
        chest_pain_since_mi=since_mi,
        phq9_9=item9,
        self_harm_intent=intent,
        self_harm_recent_attempt=attempt,
    )
    found = for_answers(values)
    assert ids(found) == oracle(values)
    if found:
        assert urgent_flags(values), "an act-now answer without an urgent flag would never reach a person"


# --- the words the patient reads -------------------------------------------------------------------------------------
def text_of(entry: ActNow) -> str:
    return " ".join((f"{entry.heading}.", *entry.paragraphs))


JARGON = (
    "acute coronary",
    "acs",
    "myocard",
    "infarct",
    "ischaem",
    "unstable angina",
    "suicid",
    "ideation",
    "overdose",
    "risk",
    "c-ssrs",
    "assessment",
)
ALARMING = ("danger", "dangerous", "die", "dying", "death", "fatal", "heart attack", "warning", "alarm", "must")


@pytest.mark.parametrize("entry", ACT_NOW, ids=ids(ACT_NOW))
def test_act_now_words_name_the_emergency_number_once_and_format_cleanly(entry: ActNow) -> None:
    text = " ".join(entry.paragraphs)
    assert text.count("{emergency}") == 1
    formatted = [paragraph.format(emergency="999") for paragraph in (entry.heading, *entry.paragraphs)]
    assert not any("{" in part or "}" in part for part in formatted)


@pytest.mark.parametrize("entry", ACT_NOW, ids=ids(ACT_NOW))
def test_act_now_words_are_plain_calm_and_short(entry: ActNow) -> None:
    text = text_of(entry).replace("{emergency}", "999")
    lowered = f" {text.lower()} "
    assert not [word for word in JARGON if re.search(rf"\b{re.escape(word)}", lowered)]
    assert not [word for word in ALARMING if re.search(rf"\b{re.escape(word)}\b", lowered)]
    assert "!" not in text and not re.search(r"\b[A-Z]{3,}\b", text), "no shouting"
    assert readability.grade(text) <= 7.0, "reading age about 12"
    assert readability.longest_sentence(text) <= 22
    assert entry.heading.startswith("Please"), "a kind request, not an order"


@pytest.mark.parametrize("entry", ACT_NOW, ids=ids(ACT_NOW))
def test_act_now_tells_the_patient_not_to_wait_for_the_clinic(entry: ActNow) -> None:
    # The clinic sees nothing until the form is sent (the page around the words says so): never imply it will call.
    text = " ".join(entry.paragraphs).lower()
    assert re.search(r"(do not|not have to) wait for us", text)
    assert not re.search(r"\bwe will (call|contact|ring)\b", text)


def test_chest_pain_says_what_to_do_now_and_today() -> None:
    chest = next(entry for entry in ACT_NOW if entry.id == "chest_pain")
    text = " ".join(chest.paragraphs)
    assert "chest pain now, call {emergency} straight away" in text  # CG95 1.2.1.7: pain now is an emergency
    assert "today" in text  # 1.2.1.8: otherwise the same day
    assert not chest.crisis_lines  # crisis lines are for mental-health crises


def test_chest_pain_words_fit_both_questions_that_trigger_them() -> None:
    # Shown for angina_unstable or chest_pain_since_mi: a patient who ticked only a heart attack may have no angina.
    chest = next(entry for entry in ACT_NOW if entry.id == "chest_pain")
    text = " ".join((chest.heading, *chest.paragraphs)).lower()
    assert "angina" not in text
    assert "chest pain when resting" in text and "new or getting worse" in text


def test_self_harm_thanks_the_patient_and_lists_the_crisis_lines() -> None:
    support = next(entry for entry in ACT_NOW if entry.id == "self_harm")
    assert support.paragraphs[0].startswith("Thank you for telling us")
    assert support.crisis_lines


# --- the catalogue check -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (ActNow("x", When((Condition("no_such", "=", "yes"),)), "Please", ("{emergency}",)), "unknown questions"),
        (ActNow("x", When((Condition("angina_unstable", "=", "Yes"),)), "Please", ("{emergency}",)), "does not suit"),
        (
            ActNow("x", When((Condition("heart_conditions", "has", "gout"),)), "Please", ("{emergency}",)),
            "does not suit",
        ),
    ],
)
def test_check_entries_refuses_a_condition_that_could_never_trigger(entry: ActNow, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        act_now.check_entries((entry,))


def test_check_entries_refuses_a_repeated_id() -> None:
    with pytest.raises(ValueError, match="repeated"):
        act_now.check_entries((ACT_NOW[0], ACT_NOW[0]))
