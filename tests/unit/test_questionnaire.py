"""Tests of ``screening.clinical.questionnaire`` against the specification ``questionnaire.md`` (version 1).

``SPEC`` below is transcribed by hand from questionnaire.md, independently of questionnaire.py: where the
two disagree the test follows the specification. Conditions are written as ``(question, operator, value)``;
"in (a, b, c)" is written as ``("any", [(q, "=", a), (q, "=", b), ...])`` and "not given" as
``(q, "exists", False)``, which is how FHIR-style conditions spell them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.clinical import questionnaire as qn
from screening.clinical.conditions import Condition, When
from screening.clinical.questionnaire import (
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    STEP_BY_ID,
    STEPS,
    Answers,
    Option,
    QType,
    Question,
    check_condition,
    clean_answers,
    question_is_shown,
    valid_value,
)
from tests.unit import readability

# --- the specification, transcribed ---------------------------------------------------------------
WHEN_SHOWN = "when shown"  # required whenever the question's condition holds (it is only asked then)
YN = ("yes", "no")
YNU = ("yes", "no", "unsure")
AUDIT_CODES = ("0", "1", "2", "3", "4")
INTEGERS = None  # scale / likert4: integer answers, see SPEC_RANGES

SPEC_STEP_IDS = (
    "start",
    "about_you",
    "pain",
    "treatments",
    "medications",
    "health",
    "mood",
    "experiences",
    "support",
    "substances",
    "alcohol",
    "practicalities",
)
# Version 4 (issue 13), not yet in questionnaire.md: a follow-up of several options of its page is asked on a page of
# its own, shown only when its condition holds ("experiences", "alcohol"), or on a later page (referrer_name).
SPEC_STEP_WHEN: dict[str, Any] = {
    "support": ("phq9_9", ">=", 1),
    "experiences": (
        "any",
        [("psychosis_ever", "=", "yes"), ("mental_health_history", "has", "schizophrenia_psychosis")],
    ),
    "alcohol": ("auditc_1", "!=", "0"),
}

# (step, question id, type, required, codes in order, condition)
SPEC: list[tuple[str, str, str, bool | str, tuple[str, ...] | None, Any]] = [
    # 0. start
    ("start", "consent_store", "consent", True, (), None),
    # 1. about_you
    ("about_you", "full_name", "text", True, (), None),
    ("about_you", "date_of_birth", "date", True, (), None),
    ("about_you", "sex_at_birth", "choice", True, ("female", "male", "intersex", "not_say"), None),
    ("about_you", "email", "email", False, (), None),  # one of email/phone: a step check
    ("about_you", "phone", "tel", False, (), None),  # one of email/phone: a step check
    ("about_you", "preferred_contact", "choice", True, ("email", "phone", "text"), None),
    (
        "about_you",
        "referral_source",
        "choice",
        True,
        ("self", "primary_care", "pain_specialist", "mental_health", "other"),
        None,
    ),
    # 2. pain
    (
        "pain",
        "pain_conditions",
        "multi",
        True,
        (
            "crps",
            "neuropathic",
            "post_herpetic",
            "phantom_limb",
            "spinal_cord_injury",
            "fibromyalgia",
            "back_neck",
            "migraine",
            "arthritis",
            "cancer",
            "ischaemic",
            "pelvic",
            "other",
            "undiagnosed",
        ),
        None,
    ),
    ("pain", "pain_conditions_other", "text", WHEN_SHOWN, (), ("pain_conditions", "has", "other")),
    (
        "pain",
        "pain_locations",
        "multi",
        True,
        ("head_face", "neck", "arms", "upper_back", "lower_back", "chest_abdomen", "pelvis", "legs", "widespread"),
        None,
    ),
    ("pain", "pain_duration", "choice", True, ("lt_3m", "3_6m", "6_12m", "1_5y", "gt_5y"), None),
    ("pain", "peg_pain", "scale", True, INTEGERS, None),
    ("pain", "peg_enjoyment", "scale", True, INTEGERS, None),
    ("pain", "peg_activity", "scale", True, INTEGERS, None),
    ("pain", "pain_description", "textarea", False, (), None),
    # 3. treatments
    (
        "treatments",
        "treatments_tried",
        "multi",
        True,
        (
            "physio",
            "talking_therapy",
            "nerve_pain_medicines",
            "anti_inflammatories",
            "opioids",
            "injections",
            "spinal_cord_stimulator",
            "surgery",
            "acupuncture",
            "none",
        ),
        None,
    ),
    ("treatments", "previous_ketamine", "yesnounsure", True, YNU, None),
    (
        "treatments",
        "previous_ketamine_effect",
        "choice",
        WHEN_SHOWN,
        ("helped_a_lot", "helped_a_little", "no_difference", "worse"),
        ("previous_ketamine", "=", "yes"),
    ),
    ("treatments", "previous_ketamine_bad_reaction", "yesno", WHEN_SHOWN, YN, ("previous_ketamine", "=", "yes")),
    ("treatments", "previous_ketamine_notes", "textarea", False, (), ("previous_ketamine", "=", "yes")),
    # Version 3 (issue 11), not yet in questionnaire.md: nested under the one option "not sure".
    ("treatments", "previous_ketamine_unsure_reaction", "yesno", WHEN_SHOWN, YN, ("previous_ketamine", "=", "unsure")),
    # 4. medications
    ("medications", "no_medications", "checkbox", False, (), None),
    ("medications", "current_medications", "textarea", WHEN_SHOWN, (), ("no_medications", "exists", False)),
    (
        "medications",
        "medication_checklist",
        "multi",
        True,
        (
            "benzodiazepine",
            "sleeping_tablet",
            "gabapentinoid",
            "lamotrigine",
            "maoi",
            "opioid",
            "opioid_addiction_treatment",
            "stimulant",
            "theophylline",
            "thyroid_hormone",
            "antipsychotic",
            "st_johns_wort",
            "none",
        ),
        None,
    ),
    ("medications", "opioid_daily", "yesno", WHEN_SHOWN, YN, ("medication_checklist", "has", "opioid")),
    ("medications", "allergy_ketamine", "yesnounsure", True, YNU, None),
    ("medications", "other_allergies", "textarea", False, (), None),
    # 5. health
    (
        "health",
        "heart_conditions",
        "multi",
        True,
        (
            "high_blood_pressure",
            "heart_attack",
            "coronary_disease",
            "heart_failure",
            "valve_disease",
            "arrhythmia",
            "stroke_tia",
            "aneurysm_or_brain_bleed",
            "none",
        ),
        None,
    ),
    ("health", "bp_controlled", "yesnounsure", WHEN_SHOWN, YNU, ("heart_conditions", "has", "high_blood_pressure")),
    ("health", "bp_crisis_recent", "yesno", WHEN_SHOWN, YN, ("heart_conditions", "has", "high_blood_pressure")),
    ("health", "bp_systolic", "int", False, (), None),
    ("health", "bp_diastolic", "int", False, (), None),
    ("health", "heart_attack_recent", "yesno", WHEN_SHOWN, YN, ("heart_conditions", "has", "heart_attack")),
    # Version 2, hazard H2 of docs/clinical-safety.md (NICE CG95 1.2.1.11), not yet in questionnaire.md.
    ("health", "chest_pain_since_mi", "yesno", WHEN_SHOWN, YN, ("heart_conditions", "has", "heart_attack")),
    ("health", "angina_unstable", "yesno", WHEN_SHOWN, YN, ("heart_conditions", "has", "coronary_disease")),
    # Version 3 (issue 11): breathless at rest or on light activity, one follow-up under each tick.
    (
        "health",
        "heart_failure_breathless",
        "yesnounsure",
        WHEN_SHOWN,
        YNU,
        ("heart_conditions", "has", "heart_failure"),
    ),
    ("health", "valve_breathless", "yesnounsure", WHEN_SHOWN, YNU, ("heart_conditions", "has", "valve_disease")),
    (
        "health",
        "other_conditions",
        "multi",
        True,
        (
            "liver_disease",
            "kidney_disease",
            "bladder_symptoms",
            "ketamine_bladder",
            "epilepsy",
            "raised_brain_pressure",
            "head_injury_recent",
            "glaucoma",
            "eye_injury_recent",
            "overactive_thyroid",
            "sleep_apnoea",
            "lung_disease",
            "porphyria",
            "none",
        ),
        None,
    ),
    (
        "health",
        "liver_severity",
        "choice",
        WHEN_SHOWN,
        ("severe", "moderate", "unsure"),
        ("other_conditions", "has", "liver_disease"),
    ),
    ("health", "thyroid_controlled", "yesnounsure", WHEN_SHOWN, YNU, ("other_conditions", "has", "overactive_thyroid")),
    ("health", "uses_cpap", "yesno", WHEN_SHOWN, YN, ("other_conditions", "has", "sleep_apnoea")),
    # Version 4 (issue 13 item 6), not yet in questionnaire.md: a decimal in a unit of the patient's choice, stored in
    # metric ("measure"); the ranges below are unchanged and apply after converting.
    ("health", "height_cm", "measure", False, (), None),
    ("health", "weight_kg", "measure", False, (), None),
    ("health", "neck_large", "yesnounsure", True, YNU, None),
    # Version 3 (issue 11), not yet in questionnaire.md: STOP-Bang's neck item is 43 cm for men (stopbang.ca).
    ("health", "neck_43cm", "yesnounsure", WHEN_SHOWN, YNU, ("neck_large", "=", "yes")),
    ("health", "snoring_loud", "yesno", True, YN, None),
    ("health", "daytime_tiredness", "yesno", True, YN, None),
    ("health", "observed_apnoea", "yesno", True, YN, None),
    (
        "health",
        "pregnancy_status",
        "choice",
        WHEN_SHOWN,
        ("pregnant", "might_be", "breastfeeding", "planning", "none"),
        ("any", [("sex_at_birth", "=", "female"), ("sex_at_birth", "=", "intersex"), ("sex_at_birth", "=", "not_say")]),
    ),
    # 6. mood
    (
        "mood",
        "mental_health_history",
        "multi",
        True,
        (
            "depression",
            "anxiety",
            "ptsd",
            "bipolar",
            "schizophrenia_psychosis",
            "personality_disorder",
            "eating_disorder",
            "dissociative_disorder",
            "none",
        ),
        None,
    ),
    ("mood", "dissociation_frequent", "yesno", WHEN_SHOWN, YN, ("mental_health_history", "has", "ptsd")),
    ("mood", "psychosis_ever", "yesnounsure", True, YNU, None),
    ("mood", "psychosis_family", "yesnounsure", True, YNU, None),
    ("mood", "mania_recent", "yesno", True, YN, None),
    *[("mood", f"phq9_{n}", "likert4", True, INTEGERS, None) for n in range(1, 10)],
    *[("mood", f"gad7_{n}", "likert4", True, INTEGERS, None) for n in range(1, 8)],
    # Version 4 (issue 13): on a page of its own after the mood page (SPEC_STEP_WHEN), as its condition is.
    (
        "experiences",
        "psychosis_current",
        "yesno",
        WHEN_SHOWN,
        YN,
        ("any", [("psychosis_ever", "=", "yes"), ("mental_health_history", "has", "schizophrenia_psychosis")]),
    ),
    # 6b. support (the whole step is shown only when phq9_9 >= 1: SPEC_STEP_WHEN)
    ("support", "self_harm_intent", "yesno", True, YN, None),
    ("support", "self_harm_recent_attempt", "yesno", True, YN, None),
    ("support", "contact_phone_today", "tel", WHEN_SHOWN, (), ("phone", "exists", False)),
    # 7. substances
    ("substances", "auditc_1", "choice", True, AUDIT_CODES, None),
    (
        "substances",
        "drugs_past_year",
        "multi",
        True,
        (
            "cannabis",
            "cocaine",
            "ketamine",
            "pcp",
            "psychedelics",
            "mdma",
            "amphetamines",
            "opioids",
            "sedatives",
            "other",
            "none",
        ),
        None,
    ),
    # Version 3 (issue 11): the distressing-reaction question after ketamine use too.
    ("substances", "ketamine_use_bad_reaction", "yesno", WHEN_SHOWN, YN, ("drugs_past_year", "has", "ketamine")),
    ("substances", "prescribed_misuse", "yesno", True, YN, None),
    ("substances", "substance_treatment_ever", "yesno", True, YN, None),
    (
        "substances",
        "substance_treatment_for",
        "multi",
        WHEN_SHOWN,
        ("alcohol", "opioids", "ketamine", "stimulants", "cannabis", "other"),
        ("substance_treatment_ever", "=", "yes"),
    ),
    # 7a. alcohol (Version 4, issue 13: only when auditc_1 != "0", SPEC_STEP_WHEN; AUDIT-C items 2-3 count 0 unasked)
    ("alcohol", "auditc_2", "choice", WHEN_SHOWN, AUDIT_CODES, ("auditc_1", "!=", "0")),
    ("alcohol", "auditc_3", "choice", WHEN_SHOWN, AUDIT_CODES, ("auditc_1", "!=", "0")),
    # 8. practicalities
    ("practicalities", "has_escort", "yesno", True, YN, None),
    ("practicalities", "can_avoid_driving", "yesno", True, YN, None),
    ("practicalities", "contact_times", "multi", False, ("mornings", "afternoons", "evenings"), None),
    # Version 4 (issue 13): asked here, once "Who suggested you contact us?" (about_you) is known.
    ("practicalities", "referrer_name", "text", False, (), ("referral_source", "!=", "self")),
    ("practicalities", "consent_not_decision", "consent", True, (), None),
]
SPEC_BY_ID = {row[1]: row for row in SPEC}
SPEC_IDS = [row[1] for row in SPEC]

SPEC_MAX_LENGTHS = {
    "full_name": 200,
    "pain_conditions_other": 200,
    "referrer_name": 200,
    "pain_description": 2000,
    "previous_ketamine_notes": 1000,
    "current_medications": 3000,
    "other_allergies": 500,
}
SPEC_RANGES = {
    "bp_systolic": (60, 260),
    "bp_diastolic": (30, 160),
    "height_cm": (100, 250),
    "weight_kg": (30, 350),
    **dict.fromkeys(("peg_pain", "peg_enjoyment", "peg_activity"), (0, 10)),
    **{f"phq9_{n}": (0, 3) for n in range(1, 10)},
    **{f"gad7_{n}": (0, 3) for n in range(1, 8)},
}

# medication_checklist: "with everyday examples in the hint of each"
SPEC_MEDICATION_EXAMPLES = {
    "benzodiazepine": ("diazepam", "alprazolam", "lorazepam", "clonazepam", "temazepam"),
    "sleeping_tablet": ("zopiclone", "zolpidem"),
    "gabapentinoid": ("pregabalin", "gabapentin"),
    "maoi": ("phenelzine", "tranylcypromine", "selegiline", "moclobemide"),
    "opioid": ("tramadol", "codeine", "co-codamol", "oxycodone", "morphine", "fentanyl", "buprenorphine"),
    "opioid_addiction_treatment": ("buprenorphine", "methadone", "naltrexone"),
    "stimulant": ("methylphenidate", "lisdexamfetamine", "amphetamine", "modafinil"),
    "thyroid_hormone": ("levothyroxine",),
    "antipsychotic": ("olanzapine", "quetiapine"),
}

# published instrument wording (questionnaire.md: "word for word"); compared ignoring case and punctuation
PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so fidgety "
    "or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
GAD7_ITEMS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)
LIKERT_LABELS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
PEG_LABELS = {
    "peg_pain": "What number best describes your pain on average in the past week?",
    "peg_enjoyment": "What number best describes how, during the past week, pain has interfered with your "
    "enjoyment of life?",
    "peg_activity": "What number best describes how, during the past week, pain has interfered with your "
    "general activity?",
}
PEG_ANCHORS = {
    "peg_pain": ("no pain", "pain as bad as you can imagine"),
    "peg_enjoyment": ("does not interfere", "completely interferes"),
    "peg_activity": ("does not interfere", "completely interferes"),
}
# The US version (en-US: Bush 1998, NIAAA / VA: standard drinks) and the UK version (en-GB: OHID, "Alcohol use
# screening tests": units), one set of questions worded by locale (questionnaire.LOCALE_WORDS).
AUDITC_LABELS = {
    "auditc_1": "How often do you have a drink containing alcohol?",
    "auditc_2": "How many standard drinks containing alcohol do you have on a typical day?",
    "auditc_3": "How often do you have six or more drinks on one occasion?",
}
AUDITC_OPTIONS = {
    "auditc_1": ("Never", "Monthly or less", "2-4 times a month", "2-3 times a week", "4 or more times a week"),
    "auditc_2": ("1 or 2", "3 or 4", "5 or 6", "7-9", "10 or more"),
    "auditc_3": ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
}
AUDITC_UK_LABELS = {
    "auditc_1": "How often do you have a drink containing alcohol?",
    "auditc_2": "How many units of alcohol do you drink on a typical day when you are drinking?",
    "auditc_3": "How often have you had 6 or more units if female, or 8 or more if male, on a single occasion in "
    "the last year?",
}
AUDITC_UK_OPTIONS = {**AUDITC_OPTIONS, "auditc_2": ("0-2", "3-4", "5-6", "7-9", "10 or more")}
CONSENT_TEXTS = {
    "consent_store": "I agree that the clinic stores my answers and that its staff review them.",
    "consent_not_decision": "I understand this questionnaire does not decide whether ketamine therapy is "
    "right for me: a clinician will discuss it with me",
}


# --- helpers ----------------------------------------------------------------------------------------
def _normalise_when(when: When | None) -> Any:
    """A comparable form of a ``When``: behavior (irrelevant for one condition) and the set of
    (question, operator, value, type of value)."""
    if when is None:
        return None
    conditions = frozenset((c.question, c.operator, c.value, type(c.value)) for c in when)
    return ("all" if len(conditions) == 1 else when.behavior, conditions)


def _spec_when(spec: Any) -> Any:
    if spec is None:
        return None
    if spec[0] in ("any", "all"):
        behavior, conditions = spec
        triples = frozenset((q, op, value, type(value)) for q, op, value in conditions)
        return (behavior if len(triples) > 1 else "all", triples)
    question, op, value = spec
    return ("all", frozenset({(question, op, value, type(value))}))


def _words(text: str) -> str:
    """Text without case or punctuation, "2-4" read as "2 to 4": for comparing published wording."""
    text = re.sub(r"(\d)\s*-\s*(\d)", r"\1 to \2", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _question(qid: str) -> Question:
    assert qid in QUESTIONS, f"{qid} is in questionnaire.md but not defined"
    return QUESTIONS[qid]


def _all_conditions_in_order() -> Iterator[tuple[str, Condition, list[str]]]:
    """(where, condition, ids of the questions before it) for step and question conditions."""
    earlier: list[str] = []
    for step in STEPS:
        for condition in step.enable_when or ():
            yield f"step {step.id}", condition, list(earlier)
        for question in step:
            for condition in question.enable_when or ():
                yield question.id, condition, list(earlier)
            earlier.append(question.id)


def _base_answers(**overrides: Any) -> dict[str, Any]:
    return {"sex_at_birth": "female", "phq9_9": 0, **overrides}


# --- structure: steps, ids, types, codes, required, conditions ----------------------------------------
def test_questionnaire_version_is_four() -> None:
    # 2: self_harm_recent_attempt also asks about started, stopped and prepared attempts (a meaning changed);
    # 3: issue 11's new questions and options (lung disease, porphyria, breathlessness, distressing reactions);
    # 4: issue 13's follow-ups on their own pages (experiences, alcohol), height and weight in a unit the patient
    #    chooses, and texts only to a mobile number
    assert QUESTIONNAIRE_VERSION == "4"
    assert QUESTIONS["self_harm_recent_attempt"].label.endswith("or got ready to?"), "version 2's words are kept"


def test_steps_in_order_match_spec() -> None:
    assert [step.id for step in STEPS] == list(SPEC_STEP_IDS)
    assert list(STEP_BY_ID) == list(SPEC_STEP_IDS)


@pytest.mark.parametrize("step_id", SPEC_STEP_IDS)
def test_step_question_ids_in_order_match_spec(step_id: str) -> None:
    expected = [row[1] for row in SPEC if row[0] == step_id]
    assert [q.id for q in STEP_BY_ID[step_id]] == expected


def test_questions_all_ids_in_order_match_spec_no_more_no_fewer() -> None:
    defined = list(QUESTIONS)
    assert sorted(set(SPEC_IDS) - set(defined)) == [], "in the spec but not defined"
    assert sorted(set(defined) - set(SPEC_IDS)) == [], "defined but not in the spec"
    assert defined == SPEC_IDS
    assert len(SPEC_IDS) == len(set(SPEC_IDS))


@pytest.mark.parametrize("row", SPEC, ids=SPEC_IDS)
def test_question_type_matches_spec(row: tuple[Any, ...]) -> None:
    step_id, qid, qtype, *_ = row
    question = _question(qid)
    assert question.type == qtype
    assert isinstance(question.type, QType)
    assert qn.STEP_OF[qid].id == step_id


@pytest.mark.parametrize("row", SPEC, ids=SPEC_IDS)
def test_question_codes_in_order_match_spec(row: tuple[Any, ...]) -> None:
    qid, codes = row[1], row[4]
    question = _question(qid)
    if codes is INTEGERS:
        low, high = SPEC_RANGES[qid]
        assert [int(code) for code in question.codes] == list(range(low, high + 1))
    else:
        assert question.codes == codes


@pytest.mark.parametrize("row", SPEC, ids=SPEC_IDS)
def test_question_required_flag_matches_spec(row: tuple[Any, ...]) -> None:
    qid, required, spec_when = row[1], row[3], row[5]
    question = _question(qid)
    if required == WHEN_SHOWN:
        assert spec_when is not None
        assert question.required is True, f"{qid} is required when shown"
        assert question.enable_when is not None, f"{qid} is only shown when its condition holds"
    else:
        assert question.required is required


@pytest.mark.parametrize("row", SPEC, ids=SPEC_IDS)
def test_question_condition_matches_spec(row: tuple[Any, ...]) -> None:
    qid, spec_when = row[1], row[5]
    assert _normalise_when(_question(qid).enable_when) == _spec_when(spec_when)


@pytest.mark.parametrize("step_id", SPEC_STEP_IDS)
def test_step_condition_matches_spec(step_id: str) -> None:
    assert _normalise_when(STEP_BY_ID[step_id].enable_when) == _spec_when(SPEC_STEP_WHEN.get(step_id))


def test_support_step_condition_is_phq9_item_9_at_least_one() -> None:
    support = STEP_BY_ID["support"].enable_when
    assert support is not None
    assert list(support) == [Condition("phq9_9", ">=", 1)]


@pytest.mark.parametrize(("qid", "max_length"), SPEC_MAX_LENGTHS.items())
def test_question_max_length_matches_spec(qid: str, max_length: int) -> None:
    assert _question(qid).max_length == max_length


@pytest.mark.parametrize(("qid", "bounds"), SPEC_RANGES.items())
def test_question_numeric_range_matches_spec(qid: str, bounds: tuple[int, int]) -> None:
    question = _question(qid)
    assert (question.min_value, question.max_value) == bounds


@pytest.mark.parametrize(("qid", "bounds"), SPEC_RANGES.items())
def test_valid_value_on_spec_range_bounds_accepts_inside_rejects_outside(qid: str, bounds: tuple[int, int]) -> None:
    question = _question(qid)
    low, high = bounds
    assert valid_value(question, low) == low
    assert valid_value(question, high) == high
    assert valid_value(question, low - 1) is None
    assert valid_value(question, high + 1) is None


def test_multi_questions_with_none_have_it_last() -> None:
    for question in QUESTIONS.values():
        if question.type is QType.MULTI and "none" in question.codes:
            assert question.codes[-1] == "none", question.id


def test_spec_multi_questions_with_none_have_it_last() -> None:
    for _, qid, qtype, _, codes, _ in SPEC:
        if qtype == "multi" and codes and "none" in codes:
            assert _question(qid).codes[-1] == "none", qid


def test_conditions_refer_to_earlier_questions_only() -> None:
    for where, condition, earlier in _all_conditions_in_order():
        assert condition.question in earlier, f"{where}: {condition} names a question that is not earlier"


def test_conditions_pass_check_condition_against_earlier_questions() -> None:
    for _, condition, earlier in _all_conditions_in_order():
        check_condition(condition, known=earlier)


def test_conditions_values_are_codes_or_in_range_of_their_question() -> None:
    for where, condition, _ in _all_conditions_in_order():
        question = QUESTIONS[condition.question]
        if condition.operator == "exists":
            assert isinstance(condition.value, bool), where
        elif question.type in (QType.INT, QType.SCALE, QType.LIKERT4):
            assert isinstance(condition.value, int) and not isinstance(condition.value, bool), where
            assert question.min_value <= condition.value <= question.max_value, where  # type: ignore[operator]
        else:
            assert condition.value in question.codes, where


def test_step_checks_name_questions_of_their_step_and_conditions_of_earlier_or_same_step() -> None:
    earlier: list[str] = []
    for step in STEPS:
        ids = [q.id for q in step]
        earlier += ids
        for check in step.checks:
            assert set(check.questions) <= set(ids), (step.id, check)
            assert check.message.strip(), (step.id, check)
            for condition in check.condition or ():
                assert condition.question in earlier, (step.id, check)


# --- wording ------------------------------------------------------------------------------------------
SPEC_REQUIRED_IDS = [row[1] for row in SPEC if row[3] is not False]


@pytest.mark.parametrize("qid", SPEC_REQUIRED_IDS)
def test_required_question_error_message_is_govuk_style(qid: str) -> None:
    error = _question(qid).error
    assert error.startswith(("Enter", "Select", "Tick")), f"{qid}: {error!r}"


def test_questions_labels_and_short_names_are_non_empty_and_trimmed() -> None:
    for question in QUESTIONS.values():
        for text in (question.label, question.short):
            assert text.strip(), question.id
            assert text == text.strip(), f"{question.id}: {text!r}"


def test_questions_hints_and_errors_have_no_surrounding_whitespace() -> None:
    for question in QUESTIONS.values():
        for text in (question.hint, question.error):
            assert text == text.strip(), f"{question.id}: {text!r}"


def test_options_labels_are_non_empty_and_trimmed() -> None:
    for question in QUESTIONS.values():
        for option in question.options:
            assert option.label.strip(), (question.id, option.code)
            assert option.label == option.label.strip(), (question.id, option.code)
            assert option.hint == option.hint.strip(), (question.id, option.code)


def test_steps_have_title_and_one_line_intro() -> None:
    for step in STEPS:
        assert step.title.strip(), step.id
        assert step.intro.strip(), step.id
        assert "\n" not in step.intro, step.id


@pytest.mark.parametrize(("code", "examples"), SPEC_MEDICATION_EXAMPLES.items())
def test_medication_checklist_option_hint_gives_everyday_examples(code: str, examples: tuple[str, ...]) -> None:
    options = {option.code: option for option in _question("medication_checklist").options}
    hint = options[code].hint.lower()
    missing = [example for example in examples if example not in hint]
    assert not missing, f"{code}: hint {options[code].hint!r} lacks {missing}"


@pytest.mark.parametrize(("qid", "text"), CONSENT_TEXTS.items())
def test_consent_label_matches_spec_text(qid: str, text: str) -> None:
    assert _question(qid).label.rstrip(".") == text.rstrip(".")


def test_consent_version_is_set() -> None:
    assert isinstance(qn.CONSENT_VERSION, str)
    assert qn.CONSENT_VERSION


def test_max_age_is_110_years() -> None:
    assert qn.MAX_AGE_YEARS == 110


@pytest.mark.parametrize(
    ("qid", "item"),
    [(f"phq9_{n}", text) for n, text in enumerate(PHQ9_ITEMS, 1)]
    + [(f"gad7_{n}", text) for n, text in enumerate(GAD7_ITEMS, 1)],
)
def test_phq9_gad7_item_label_is_published_wording(qid: str, item: str) -> None:
    question = _question(qid)
    assert _words(question.label) == _words(item)
    assert [_words(option.label) for option in question.options] == [_words(label) for label in LIKERT_LABELS]
    assert re.search(r"\b(2|two) weeks\b", question.hint + " " + question.label), qid


@pytest.mark.parametrize(("qid", "label"), PEG_LABELS.items())
def test_peg_item_label_and_anchors_are_published_wording(qid: str, label: str) -> None:
    question = _question(qid)
    assert _words(question.label) == _words(label)
    low, high = PEG_ANCHORS[qid]
    assert _words(low) in _words(question.hint)
    assert _words(high) in _words(question.hint)


@pytest.mark.parametrize(
    ("locale", "labels", "options"),
    [("en-US", AUDITC_LABELS, AUDITC_OPTIONS), ("en-GB", AUDITC_UK_LABELS, AUDITC_UK_OPTIONS)],
)
@pytest.mark.parametrize("qid", AUDITC_LABELS)
def test_auditc_item_label_and_options_are_published_wording(
    qid: str, locale: str, labels: dict[str, str], options: dict[str, tuple[str, ...]]
) -> None:
    question = _question(qid)
    assert _words(question.label_in(locale)) == _words(labels[qid])
    expected = [_words(text) for text in options[qid]]
    assert [_words(question.option_label(code, locale)) for code in question.codes] == expected


@pytest.mark.parametrize("qid", ["auditc_2", "auditc_3"])
@pytest.mark.parametrize(("locale", "grams"), [("en-US", "14 g"), ("en-GB", "8 g")])
def test_auditc_drink_hint_on_locale_says_which_standard_drink(qid: str, locale: str, grams: str) -> None:
    hint = _question(qid).hint
    assert "{standard_drink}" in hint
    assert grams in hint.format(standard_drink=qn.STANDARD_DRINK[locale])


@pytest.mark.parametrize(
    ("step_id", "names"), [("pain", ("PEG",)), ("mood", ("PHQ-9", "GAD-7")), ("substances", ("AUDIT-C",))]
)
def test_instrument_step_keeps_attribution_line(step_id: str, names: tuple[str, ...]) -> None:
    attribution = STEP_BY_ID[step_id].attribution
    for name in names:
        assert name in attribution, step_id


# --- cross-field checks of the spec ----------------------------------------------------------------------
def _checks(step_id: str, kind: str) -> list[qn.Check]:
    return [check for check in STEP_BY_ID[step_id].checks if check.kind == kind]


def test_about_you_check_one_of_email_or_phone_exists() -> None:
    assert [set(check.questions) for check in _checks("about_you", "one_of_required")] == [{"email", "phone"}]


def test_about_you_check_email_required_when_preferred_contact_email_exists() -> None:
    found = [
        _normalise_when(check.condition)
        for check in _checks("about_you", "required_when")
        if check.questions == ("email",)
    ]
    assert found == [_spec_when(("preferred_contact", "=", "email"))]


def test_about_you_check_phone_required_when_preferred_contact_phone_or_text_exists() -> None:
    found = [
        _normalise_when(check.condition)
        for check in _checks("about_you", "required_when")
        if check.questions == ("phone",)
    ]
    expected = ("any", [("preferred_contact", "=", "phone"), ("preferred_contact", "=", "text")])
    assert found == [_spec_when(expected)]


def test_health_check_blood_pressure_both_or_neither_exists() -> None:
    assert [set(check.questions) for check in _checks("health", "both_or_neither")] == [{"bp_systolic", "bp_diastolic"}]


def test_health_check_diastolic_below_systolic_exists() -> None:
    assert [check.questions for check in _checks("health", "less_than")] == [("bp_diastolic", "bp_systolic")]


def test_medications_check_no_medications_and_list_not_both_exists() -> None:
    assert [set(check.questions) for check in _checks("medications", "not_both")] == [
        {"no_medications", "current_medications"}
    ]


# --- valid_value ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("qid", ["full_name", "pain_description", "email", "phone"])
def test_valid_value_text_types_on_padded_string_returns_trimmed(qid: str) -> None:
    assert valid_value(QUESTIONS[qid], "  Ann Smith \n") == "Ann Smith"


@pytest.mark.parametrize("qid", ["full_name", "pain_description", "email", "phone"])
@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_valid_value_text_types_on_empty_string_returns_none(qid: str, value: str) -> None:
    assert valid_value(QUESTIONS[qid], value) is None


@pytest.mark.parametrize("value", [None, 5, True, ["Ann"], {"a": "b"}])
def test_valid_value_text_on_non_string_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["full_name"], value) is None


@pytest.mark.parametrize("value", ["1980-03-27", "2024-02-29", "2000-12-31"])
def test_valid_value_date_on_real_iso_date_returns_it(value: str) -> None:
    assert valid_value(QUESTIONS["date_of_birth"], value) == value


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-30",
        "2023-02-29",
        "2023-13-01",
        "20230101",
        "2023-1-01",
        "27/03/1980",
        "1980-03-27T00:00",
        " 1980-03-27",
        "",
        "yesterday",
        19800327,
        None,
        ["1980-03-27"],
    ],
)
def test_valid_value_date_on_malformed_or_unreal_date_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["date_of_birth"], value) is None


@pytest.mark.parametrize("value", [True, False, "120", 120.0, 120.5, None, [120]])
def test_valid_value_int_on_bool_str_float_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["bp_systolic"], value) is None


def test_valid_value_int_in_range_returns_int() -> None:
    assert valid_value(QUESTIONS["bp_systolic"], 120) == 120
    assert valid_value(QUESTIONS["weight_kg"], 75) == 75


@pytest.mark.parametrize("value", [0, 5, 10])
def test_valid_value_scale_in_range_returns_int(value: int) -> None:
    assert valid_value(QUESTIONS["peg_pain"], value) == value


@pytest.mark.parametrize("value", [-1, 11, "5", 5.0, True])
def test_valid_value_scale_out_of_range_or_wrong_type_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["peg_pain"], value) is None


@pytest.mark.parametrize("value", [4, -1, "0", "3", False])
def test_valid_value_likert_out_of_range_or_wrong_type_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["phq9_9"], value) is None


def test_valid_value_choice_on_known_code_returns_it() -> None:
    assert valid_value(QUESTIONS["sex_at_birth"], "intersex") == "intersex"
    assert valid_value(QUESTIONS["auditc_1"], "0") == "0"


@pytest.mark.parametrize("value", ["Female", "alien", "", 0, None, ["female"], True])
def test_valid_value_choice_on_unknown_code_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["sex_at_birth"], value) is None


def test_valid_value_auditc_on_int_code_returns_none() -> None:
    assert valid_value(QUESTIONS["auditc_1"], 0) is None


def test_valid_value_yesno_on_unsure_returns_none() -> None:
    assert valid_value(QUESTIONS["has_escort"], "unsure") is None
    assert valid_value(QUESTIONS["has_escort"], True) is None
    assert valid_value(QUESTIONS["has_escort"], "no") == "no"


def test_valid_value_yesnounsure_on_unsure_returns_it() -> None:
    assert valid_value(QUESTIONS["previous_ketamine"], "unsure") == "unsure"
    assert valid_value(QUESTIONS["previous_ketamine"], "maybe") is None


def test_valid_value_multi_on_codes_out_of_order_returns_definition_order() -> None:
    value = valid_value(QUESTIONS["heart_conditions"], ["stroke_tia", "high_blood_pressure", "heart_attack"])
    assert value == ["high_blood_pressure", "heart_attack", "stroke_tia"]


def test_valid_value_multi_on_tuple_returns_list() -> None:
    assert valid_value(QUESTIONS["contact_times"], ("evenings", "mornings")) == ["mornings", "evenings"]


def test_valid_value_multi_on_unknown_items_drops_them_keeps_known() -> None:
    value = valid_value(QUESTIONS["heart_conditions"], ["bogus", "heart_attack", 3, None, ["x"], {"a": 1}])
    assert value == ["heart_attack"]


def test_valid_value_multi_on_duplicates_returns_each_code_once() -> None:
    assert valid_value(QUESTIONS["contact_times"], ["evenings", "evenings"]) == ["evenings"]


@pytest.mark.parametrize("value", [[], ["bogus"], [1, 2], "heart_attack", None, {"heart_attack": True}, 3])
def test_valid_value_multi_on_nothing_known_returns_none(value: object) -> None:
    assert valid_value(QUESTIONS["heart_conditions"], value) is None


def test_valid_value_multi_on_none_with_other_code_never_stores_both() -> None:
    # questionnaire.md: `none` is exclusive (cannot be ticked with another)
    value = valid_value(QUESTIONS["heart_conditions"], ["heart_attack", "none"])
    assert value is None or "none" not in value or value == ["none"]


@pytest.mark.parametrize("qid", ["consent_store", "consent_not_decision", "no_medications"])
def test_valid_value_consent_and_checkbox_on_true_returns_true(qid: str) -> None:
    assert valid_value(QUESTIONS[qid], True) is True


@pytest.mark.parametrize("qid", ["consent_store", "consent_not_decision", "no_medications"])
@pytest.mark.parametrize("value", [False, 1, "true", "yes", "on", None, [True]])
def test_valid_value_consent_and_checkbox_on_anything_but_true_returns_none(qid: str, value: object) -> None:
    assert valid_value(QUESTIONS[qid], value) is None


# --- is_shown -------------------------------------------------------------------------------------------
def test_is_shown_unconditional_question_always_shown() -> None:
    assert question_is_shown(QUESTIONS["full_name"], {})
    assert question_is_shown(QUESTIONS["heart_conditions"], {"anything": 1})


def test_is_shown_follow_up_on_parent_code_ticked_shown() -> None:
    assert question_is_shown(QUESTIONS["bp_controlled"], {"heart_conditions": ["high_blood_pressure"]})
    assert not question_is_shown(QUESTIONS["bp_controlled"], {"heart_conditions": ["heart_attack"]})
    assert not question_is_shown(QUESTIONS["bp_controlled"], {})


@pytest.mark.parametrize(
    ("sex", "shown"),
    [("female", True), ("intersex", True), ("not_say", True), ("male", False), (None, False)],
)
def test_is_shown_pregnancy_status_on_sex_at_birth_follows_spec(sex: str | None, shown: bool) -> None:
    values = {} if sex is None else {"sex_at_birth": sex}
    assert question_is_shown(QUESTIONS["pregnancy_status"], values) is shown


@pytest.mark.parametrize(("phq9_9", "shown"), [(None, False), (0, False), (1, True), (3, True)])
def test_is_shown_support_questions_on_phq9_item_9_follow_step_condition(phq9_9: int | None, shown: bool) -> None:
    values = {} if phq9_9 is None else {"phq9_9": phq9_9}
    for qid in ("self_harm_intent", "self_harm_recent_attempt"):
        assert question_is_shown(QUESTIONS[qid], values) is shown


def test_is_shown_contact_phone_today_only_when_support_shown_and_no_phone() -> None:
    question = QUESTIONS["contact_phone_today"]
    assert question_is_shown(question, {"phq9_9": 2})
    assert not question_is_shown(question, {"phq9_9": 2, "phone": "01632 960 001"})
    assert not question_is_shown(question, {"phq9_9": 0})


@pytest.mark.parametrize(("auditc_1", "shown"), [("0", False), ("1", True), ("4", True), (None, False)])
def test_is_shown_auditc_follow_ups_on_drinking_follow_spec(auditc_1: str | None, shown: bool) -> None:
    values = {} if auditc_1 is None else {"auditc_1": auditc_1}
    assert question_is_shown(QUESTIONS["auditc_2"], values) is shown
    assert question_is_shown(QUESTIONS["auditc_3"], values) is shown


def test_is_shown_current_medications_on_no_medications_ticked_hidden() -> None:
    assert question_is_shown(QUESTIONS["current_medications"], {})
    assert not question_is_shown(QUESTIONS["current_medications"], {"no_medications": True})


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"psychosis_ever": "yes"}, True),
        ({"mental_health_history": ["schizophrenia_psychosis"]}, True),
        ({"psychosis_ever": "no", "mental_health_history": ["depression"]}, False),
        ({"psychosis_ever": "unsure"}, False),
    ],
)
def test_is_shown_psychosis_current_on_either_parent_follows_spec(values: dict[str, Any], shown: bool) -> None:
    assert question_is_shown(QUESTIONS["psychosis_current"], values) is shown


# --- clean_answers --------------------------------------------------------------------------------------
def test_clean_answers_on_hidden_follow_up_drops_it_into_hidden() -> None:
    result = clean_answers({"heart_conditions": ["heart_attack"], "bp_controlled": "yes"})
    assert result.values == {"heart_conditions": ["heart_attack"]}
    assert result.hidden == {"bp_controlled"}
    assert result.get("bp_controlled") is None


def test_clean_answers_on_shown_follow_up_keeps_it() -> None:
    result = clean_answers({"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes"})
    assert result.values == {"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes"}
    assert result.hidden == frozenset()


def test_clean_answers_on_follow_up_of_invalid_parent_drops_it_into_hidden() -> None:
    result = clean_answers({"heart_conditions": "high_blood_pressure", "bp_controlled": "yes"})
    assert result.values == {}
    assert result.invalid == {"heart_conditions"}
    assert result.hidden == {"bp_controlled"}


@pytest.mark.parametrize("phq9_9", [None, 0])
def test_clean_answers_on_support_answers_without_phq9_item_9_drops_them(phq9_9: int | None) -> None:
    raw = {"self_harm_intent": "no", "self_harm_recent_attempt": "no", "contact_phone_today": "01632 960 001"}
    if phq9_9 is not None:
        raw["phq9_9"] = phq9_9  # type: ignore[assignment]
    result = clean_answers(raw)
    assert result.hidden == {"self_harm_intent", "self_harm_recent_attempt", "contact_phone_today"}
    assert not set(result.values) & result.hidden


def test_clean_answers_on_support_answers_with_phq9_item_9_keeps_them() -> None:
    raw = {
        "phq9_9": 1,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "yes",
        "contact_phone_today": " 01632 960 001 ",
    }
    result = clean_answers(raw)
    assert result.values == {
        "phq9_9": 1,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "yes",
        "contact_phone_today": "01632 960 001",
    }


def test_clean_answers_on_contact_phone_today_when_phone_given_drops_it() -> None:
    result = clean_answers({"phone": "01632 960 001", "phq9_9": 2, "contact_phone_today": "01632 960 002"})
    assert "contact_phone_today" in result.hidden
    assert result.values == {"phone": "01632 960 001", "phq9_9": 2}


def test_clean_answers_on_pregnancy_status_for_male_drops_it() -> None:
    result = clean_answers({"sex_at_birth": "male", "pregnancy_status": "pregnant"})
    assert result.values == {"sex_at_birth": "male"}
    assert result.hidden == {"pregnancy_status"}


def test_clean_answers_on_pregnancy_status_for_female_keeps_it() -> None:
    result = clean_answers({"sex_at_birth": "female", "pregnancy_status": "breastfeeding"})
    assert result.values == {"sex_at_birth": "female", "pregnancy_status": "breastfeeding"}


def test_clean_answers_on_unknown_keys_reports_them_as_unknown() -> None:
    result = clean_answers({"full_name": "Ann", "favourite_colour": "blue", "phq9_10": 1})
    assert result.values == {"full_name": "Ann"}
    assert result.unknown == {"favourite_colour", "phq9_10"}


def test_clean_answers_on_invalid_values_reports_them_as_invalid() -> None:
    raw = {
        "phq9_9": "3",
        "peg_pain": 11,
        "sex_at_birth": "alien",
        "date_of_birth": "2023-02-30",
        "heart_conditions": ["bogus"],
        "consent_store": "yes",
        "full_name": " Ann ",
    }
    result = clean_answers(raw)
    assert result.values == {"full_name": "Ann"}
    assert result.invalid == {
        "phq9_9",
        "peg_pain",
        "sex_at_birth",
        "date_of_birth",
        "heart_conditions",
        "consent_store",
    }


def test_clean_answers_on_null_values_treats_them_as_unanswered() -> None:
    result = clean_answers({"full_name": None, "phq9_9": None})
    assert result.values == {}


def test_clean_answers_on_full_valid_answers_keeps_them_all() -> None:
    raw = _base_answers(full_name="Ann", heart_conditions=["none"], pregnancy_status="none", auditc_1="0")
    result = clean_answers(raw)
    assert result.values == raw
    assert (result.invalid, result.hidden, result.unknown) == (frozenset(), frozenset(), frozenset())


@pytest.mark.parametrize("raw", [None, [], ["full_name", "Ann"], "full_name", 42, 1.5, True, b"x", object()])
def test_clean_answers_on_non_mapping_returns_no_answers(raw: object) -> None:
    result = clean_answers(raw)
    assert isinstance(result, Answers)
    assert result.values == {}


def test_clean_answers_on_non_string_keys_does_not_raise() -> None:
    result = clean_answers({1: "x", None: "y", (1, 2): [], 2.5: False, "full_name": "Ann"})
    assert result.values == {"full_name": "Ann"}
    assert result.unknown == {1, None, (1, 2), 2.5}


def test_clean_answers_on_nested_junk_values_does_not_raise() -> None:
    junk: dict[Any, Any] = {
        "heart_conditions": [["high_blood_pressure"], {"a": [1, {"b": None}]}],
        "bp_controlled": {"yes": "yes"},
        "full_name": {"first": "Ann"},
        "phq9_9": [1],
        "mental_health_history": [[["ptsd"]]],
        "date_of_birth": {"year": 1980},
    }
    result = clean_answers(junk)
    assert result.values == {}


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON_LIKE = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=16,
)
ALL_CODES = sorted({code for question in QUESTIONS.values() for code in question.codes})
PLAUSIBLE = (
    st.sampled_from(ALL_CODES)
    | st.lists(st.sampled_from(ALL_CODES), max_size=4)
    | st.integers(-5, 400)
    | st.just(True)
    | st.sampled_from(["1980-03-27", "2023-02-30", "  Ann  ", ""])
)
RAW_ANSWERS = st.one_of(
    JSON_LIKE,
    st.dictionaries(st.sampled_from(SPEC_IDS) | st.text(max_size=8), PLAUSIBLE | JSON_LIKE, max_size=30),
    st.dictionaries(st.integers() | st.none() | st.booleans() | st.tuples(st.integers()), JSON_LIKE, max_size=4),
)


@settings(database=None, deadline=None, max_examples=300)
@given(raw=RAW_ANSWERS)
def test_clean_answers_on_arbitrary_json_like_input_never_raises_and_keeps_only_valid_shown(
    raw: object,
) -> None:
    result = clean_answers(raw)
    assert isinstance(result, Answers)
    assert set(result.values) <= set(QUESTIONS)
    assert not set(result.values) & result.invalid
    assert not set(result.values) & result.hidden
    assert not result.invalid & result.hidden
    for qid, value in result.values.items():
        assert valid_value(QUESTIONS[qid], value) == value
        assert question_is_shown(QUESTIONS[qid], result.values)
    assert clean_answers(dict(result.values)).values == result.values
    if isinstance(raw, Mapping):
        assert result.unknown == {key for key in raw if key not in QUESTIONS}
        answered = {key for key, value in raw.items() if key in QUESTIONS and value is not None}
        assert answered == set(result.values) | result.invalid | result.hidden
    else:
        assert result.values == {}


# --- check_condition --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "condition",
    [
        Condition("no_such_question", "=", "yes"),
        Condition("sex_at_birth", "=", "alien"),
        Condition("sex_at_birth", "!=", "Female"),
        Condition("sex_at_birth", "has", "female"),
        Condition("has_escort", "has", "yes"),
        Condition("auditc_1", ">=", "1"),
        Condition("sex_at_birth", ">", "female"),
        Condition("heart_conditions", "has", "bogus"),
        Condition("heart_conditions", "=", "none"),
        Condition("phq9_9", ">=", 4),
        Condition("phq9_9", ">=", -1),
        Condition("peg_pain", ">", 11),
        Condition("bp_systolic", ">=", 300),
        Condition("phq9_9", ">=", "1"),
        Condition("phq9_9", ">=", True),
        Condition("full_name", "=", "Ann"),
    ],
    ids=str,
)
def test_check_condition_on_bad_condition_raises(condition: Condition) -> None:
    with pytest.raises(ValueError):
        check_condition(condition)


def test_check_condition_on_later_question_with_known_raises() -> None:
    with pytest.raises(ValueError):
        check_condition(Condition("phq9_9", ">=", 1), known=["full_name", "sex_at_birth"])


@pytest.mark.parametrize(
    "condition",
    [
        Condition("phq9_9", ">=", 1),
        Condition("sex_at_birth", "=", "female"),
        Condition("referral_source", "!=", "self"),
        Condition("heart_conditions", "has", "none"),
        Condition("phone", "exists", False),
        Condition("full_name", "exists", True),
        Condition("bp_systolic", ">", 180),
        Condition("auditc_1", "!=", "0"),
    ],
    ids=str,
)
def test_check_condition_on_good_condition_passes(condition: Condition) -> None:
    check_condition(condition)
    check_condition(condition, known=list(QUESTIONS))


def test_check_condition_on_known_earlier_question_passes() -> None:
    check_condition(Condition("sex_at_birth", "=", "male"), known=["full_name", "sex_at_birth"])


# --- Option / Question ------------------------------------------------------------------------------------
def test_option_default_hint_is_empty_and_instance_is_frozen() -> None:
    option = Option("a", "Apple")
    assert (option.code, option.label, option.hint) == ("a", "Apple", "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        option.label = "Pear"  # type: ignore[misc]


def test_question_option_label_on_known_code_returns_label() -> None:
    question = Question(
        "fruit",
        QType.CHOICE,
        "Fruit?",
        "Fruit",
        "Select a fruit",
        options=(Option("a", "Apple"), Option("p", "Pear", "green")),
    )
    assert question.option_label("p") == "Pear"
    assert question.codes == ("a", "p")


def test_question_option_label_on_unknown_code_returns_code() -> None:
    question = Question("fruit", QType.CHOICE, "Fruit?", "Fruit", "Select a fruit", options=(Option("a", "Apple"),))
    assert question.option_label("zz") == "zz"


def test_question_option_label_on_defined_questions_matches_options() -> None:
    for question in QUESTIONS.values():
        for option in question.options:
            assert question.option_label(option.code) == option.label


# --- version 3 (issue 11): the new questions ----------------------------------------------------------------------
V3_FOLLOW_UPS = {  # follow-up: (parent question, the one option it is nested under)
    "previous_ketamine_unsure_reaction": ("previous_ketamine", "unsure"),
    "heart_failure_breathless": ("heart_conditions", "heart_failure"),
    "valve_breathless": ("heart_conditions", "valve_disease"),
    "ketamine_use_bad_reaction": ("drugs_past_year", "ketamine"),
}


@pytest.mark.parametrize("qid", V3_FOLLOW_UPS)
def test_v3_follow_up_is_asked_under_exactly_one_option_of_its_parent(qid: str) -> None:
    parent, code = V3_FOLLOW_UPS[qid]
    condition = QUESTIONS[qid].enable_when
    assert condition is not None and len(condition.conditions) == 1, "a follow-up on two options is not nested"
    (only,) = condition.conditions
    assert (only.question, only.value) == (parent, code)
    assert only.operator == ("has" if QUESTIONS[parent].type is QType.MULTI else "=")


@pytest.mark.parametrize("qid", V3_FOLLOW_UPS)
def test_v3_follow_up_is_in_plain_words(qid: str) -> None:
    question = QUESTIONS[qid]
    words = f"{question.label} {question.hint}".strip()
    assert readability.grade(words) <= 7.0, "reading age about 12"
    assert readability.longest_sentence(words) <= 20
    assert question.error.startswith("Select yes if")


@pytest.mark.parametrize("code", ["lung_disease", "porphyria"])
def test_v3_other_conditions_options_are_in_plain_words(code: str) -> None:
    option = QUESTIONS["other_conditions"].options[QUESTIONS["other_conditions"].codes.index(code)]
    words = f"{option.label}. {option.hint}"
    assert readability.grade(words) <= 7.0 and readability.longest_sentence(words) <= 20
