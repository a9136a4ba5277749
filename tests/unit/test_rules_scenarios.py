"""The vignettes of clinical-rules.md, suppression pairs, fail-safes, ordering, evidence wording,
bad input, configuration, the pinned fingerprint and the printed catalogue."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import rules
from screening.clinical.conditions import when
from screening.clinical.triggers import Answered, MedicineClass, Unanswered
from screening.rules import RULES, RULESET_VERSION, Rule, RuleConfig, Severity, evaluate
from tests.answer_sets import TODAY, answers, auditc, born, gad7, phq9

HIGH_BP = {"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes", "bp_crisis_recent": "no"}


def flags(**changes: Any) -> list[rules.Flag]:
    return evaluate(answers(**changes), today=TODAY)


def fired(**changes: Any) -> set[str]:
    return {flag.rule_id for flag in flags(**changes)}


def evidence_of(rule_id: str, **changes: Any) -> str:
    return next(flag.evidence for flag in flags(**changes) if flag.rule_id == rule_id)


VIGNETTES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "V1": (
        {
            "date_of_birth": born(45),
            "pain_conditions": ["crps"],
            "bp_systolic": 128,
            "bp_diastolic": 82,
            "medicines": ["Lyrica 150mg twice a day"],
            **phq9(1, 1, 1, 1, 1, 1, 1, 1, 0),
            **gad7(1, 1, 1, 1, 1, 1, 0),
            **auditc(1, 1, 0),
        },
        {"med_other_cns_depressant", "pain_condition_evidence"},
    ),
    "V2": (
        {
            "date_of_birth": born(58),
            "sex_at_birth": "male",
            "pain_conditions": ["back_neck"],
            "pain_duration": "gt_5y",
            "heart_conditions": ["high_blood_pressure", "heart_attack", "heart_failure"],
            "bp_controlled": "unsure",
            "bp_crisis_recent": "no",
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "no",
            "heart_failure_breathless": "no",
            "bp_systolic": 186,
            "bp_diastolic": 104,
            "other_conditions": ["liver_disease"],
            "liver_severity": "moderate",
            "snoring_loud": "yes",
            "daytime_tiredness": "yes",
            "observed_apnoea": "yes",
            "height_cm": 170,
            "weight_kg": 107,
            "neck_large": "yes",
            **auditc(2, 1, 2),
            "medicines": ["amlodipine", "lisinopril", "aspirin", "atorvastatin"],
        },
        {
            "cv_bp_severely_elevated",
            "cv_recent_mi",
            "cv_heart_failure_or_valve_disease",
            "hep_liver_disease_or_risk",
            "resp_osa_risk",
            "sub_alcohol_unhealthy",
            "pain_condition_evidence",
        },
    ),
    "V3": (
        {
            "date_of_birth": born(31),
            "pain_conditions": ["crps"],
            "pain_duration": "6_12m",
            "pregnancy_status": "breastfeeding",
            "mental_health_history": ["bipolar"],
            "mania_recent": "yes",
            "medicines": ["Lamictal 200", "Klonopin 0.5 at night"],
            **phq9(1, 1, 1, 1, 1, 1, 1, 2, 0),
        },
        {
            "preg_breastfeeding",
            "psych_mania_current",
            "psych_bipolar_history",
            "med_lamotrigine",
            "med_benzodiazepine",
            "pain_condition_evidence",
        },
    ),
    "V6": (
        {
            "date_of_birth": born(67),
            "sex_at_birth": "male",
            "pain_conditions": ["neuropathic"],
            "heart_conditions": ["high_blood_pressure", "coronary_disease", "arrhythmia", "aneurysm_or_brain_bleed"],
            "bp_controlled": "yes",
            "bp_crisis_recent": "no",
            "angina_unstable": "no",
            "bp_systolic": 138,
            "bp_diastolic": 84,
            "other_conditions": ["sleep_apnoea"],
            "uses_cpap": "yes",
            "medicines": ["Uniphyllin Continus 400", "zydol", "apixaban", "ramipril"],
        },
        {
            "age_65_plus",
            "cv_arrhythmia",
            "cv_coronary_disease_stable",
            "cv_aneurysm_avm_or_ich",
            "cv_hypertension",
            "med_theophylline",
            "med_opioid",
            "resp_osa_risk",
            "pain_condition_evidence",
        },
    ),
    "V8": (
        {
            "date_of_birth": born(36),
            "sex_at_birth": "male",
            "pain_conditions": ["crps"],
            "mental_health_history": ["schizophrenia_psychosis"],
            "psychosis_current": "yes",
            "other_conditions": ["epilepsy"],
            "medicines": ["olanzapine 10mg", "levetiracetam"],
            "has_escort": "no",
        },
        {
            "psych_psychosis_current",
            "neuro_epilepsy",
            "med_other_cns_depressant",
            "prac_no_escort_home",
            "pain_condition_evidence",
        },
    ),
    "V12": (
        {
            "date_of_birth": born(62),
            "pain_conditions": ["arthritis"],
            **HIGH_BP,
            "heart_conditions": ["high_blood_pressure", "stroke_tia"],
            "bp_systolic": 132,
            "bp_diastolic": 80,
            "medicines": ["Klaricid 500 bd", "levothyroxine 50mcg", "St John's wort", "Zimovane 7.5 at night"],
            "snoring_loud": "yes",
        },
        {
            "cv_stroke_or_tia",
            "cv_hypertension",
            "med_cyp_inhibitor",
            "med_cyp_inducer",
            "med_thyroid_hormone",
            "med_other_cns_depressant",
        },
    ),
}


@pytest.mark.parametrize("name", VIGNETTES)
def test_vignette_gives_exactly_the_expected_rules(name: str) -> None:
    changes, expected = VIGNETTES[name]
    assert fired(**changes) == expected


def test_vignette_v12_stop_bang_is_three() -> None:
    assessment = rules.assess(answers(**VIGNETTES["V12"][0]), today=TODAY)
    assert assessment.scores["stopbang"].value == 3


SUPPRESSIONS = {  # (suppressed, suppressor): an answer set where both triggers hold
    ("cv_hypertension_uncontrolled", "cv_bp_severely_elevated"): {
        **HIGH_BP,
        "bp_controlled": "no",
        "bp_systolic": 190,
        "bp_diastolic": 95,
    },
    ("cv_hypertension", "cv_bp_severely_elevated"): {"bp_systolic": 185, "bp_diastolic": 95},
    ("cv_hypertension", "cv_hypertension_uncontrolled"): {**HIGH_BP, "bp_controlled": "no"},
    ("cv_coronary_disease_stable", "cv_unstable_angina"): {
        "heart_conditions": ["coronary_disease"],
        "angina_unstable": "yes",
    },
    ("cv_coronary_disease_stable", "cv_recent_mi"): {
        "heart_conditions": ["heart_attack"],
        "heart_attack_recent": "yes",
    },
    ("psych_psychosis_history", "psych_psychosis_current"): {"psychosis_ever": "yes", "psychosis_current": "yes"},
    ("psych_suicidal_ideation", "psych_suicide_risk_urgent"): {
        "phq9_9": 3,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
    },
    ("hep_liver_disease_or_risk", "hep_severe_liver_disease"): {"other_conditions": ["liver_disease"]},
    ("cv_heart_failure_or_valve_disease", "cv_heart_failure_or_valve_severe"): {
        "heart_conditions": ["heart_failure", "valve_disease"],
        "heart_failure_breathless": "no",
        "valve_breathless": "yes",
    },
}


def test_suppression_pairs_are_exactly_those_of_the_catalogue() -> None:
    declared = {(rule.id, other) for rule in RULES for other in rule.not_with}
    assert declared == set(SUPPRESSIONS)


@pytest.mark.parametrize(("suppressed", "suppressor"), SUPPRESSIONS)
def test_suppressed_rule_gives_way_to_its_suppressor(suppressed: str, suppressor: str) -> None:
    ids = fired(**SUPPRESSIONS[(suppressed, suppressor)])
    assert suppressor in ids
    assert suppressed not in ids


FAIL_SAFES = [  # (changes with the deciding follow-up missing, the higher rule, the lower rule or None)
    (
        {"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes"},
        "cv_bp_severely_elevated",
        "cv_hypertension",
    ),
    (
        {"heart_conditions": ["high_blood_pressure"], "bp_crisis_recent": "no"},
        "cv_hypertension_uncontrolled",
        "cv_hypertension",
    ),
    ({"heart_conditions": ["heart_attack"]}, "cv_recent_mi", "cv_coronary_disease_stable"),
    (
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no"},
        "cv_unstable_angina",
        "cv_coronary_disease_stable",
    ),
    ({"heart_conditions": ["coronary_disease"]}, "cv_unstable_angina", "cv_coronary_disease_stable"),
    ({"other_conditions": ["overactive_thyroid"]}, "endo_hyperthyroidism_uncontrolled", None),
    ({"other_conditions": ["liver_disease"]}, "hep_severe_liver_disease", "hep_liver_disease_or_risk"),
    ({"pregnancy_status": None}, "preg_pregnant", "preg_planning"),
    ({"psychosis_ever": "yes"}, "psych_psychosis_current", "psych_psychosis_history"),
    ({"mental_health_history": ["schizophrenia_psychosis"]}, "psych_psychosis_current", "psych_psychosis_history"),
    ({"phq9_9": 1}, "psych_suicide_risk_urgent", "psych_suicidal_ideation"),
    ({"phq9_9": 2, "self_harm_intent": "no"}, "psych_suicide_risk_urgent", "psych_suicidal_ideation"),
    ({"phq9_9": 1, "self_harm_recent_attempt": "no"}, "psych_suicide_risk_urgent", "psych_suicidal_ideation"),
    ({"mental_health_history": ["ptsd"]}, "psych_dissociative_disorder", None),
    ({"previous_ketamine": "yes"}, "psych_prior_adverse_reaction_ketamine", None),
    ({"previous_ketamine": "unsure"}, "psych_prior_adverse_reaction_ketamine", None),
    ({"drugs_past_year": ["ketamine"]}, "psych_prior_adverse_reaction_ketamine", None),
    ({"heart_conditions": ["heart_failure"]}, "cv_heart_failure_or_valve_severe", "cv_heart_failure_or_valve_disease"),
    ({"heart_conditions": ["valve_disease"]}, "cv_heart_failure_or_valve_severe", "cv_heart_failure_or_valve_disease"),
    ({"substance_treatment_ever": "yes"}, "sub_substance_use_history", None),
]


@pytest.mark.parametrize(("changes", "higher", "lower"), FAIL_SAFES)
def test_unanswered_deciding_follow_up_fires_the_higher_severity(
    changes: dict[str, Any], higher: str, lower: str | None
) -> None:
    result = {flag.rule_id: flag for flag in flags(**changes)}
    assert higher in result
    assert "not answered" in result[higher].evidence
    assert lower not in result


def test_fail_safe_evidence_says_when_an_answer_was_not_valid() -> None:
    evidence = evidence_of(
        "endo_hyperthyroidism_uncontrolled", other_conditions=["overactive_thyroid"], thyroid_controlled=5
    )
    assert evidence == "Other conditions: An overactive thyroid; Thyroid treated and settled: answer not valid"


def test_flags_are_ordered_by_severity_then_catalogue_order() -> None:
    result = flags(
        phq9_9=3,
        has_escort="no",
        pain_conditions=["crps"],
        allergy_ketamine="unsure",
        can_avoid_driving="no",
        self_harm_intent="no",
        self_harm_recent_attempt="no",
    )
    assert [f.rule_id for f in result] == [
        "psych_suicide_risk_urgent",
        "prac_no_escort_home",
        "prac_cannot_avoid_driving_24h",
        "allergy_ketamine_unsure",
        "pain_condition_evidence",
    ]
    ranks = [f.severity.rank for f in result]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize(
    ("rule_id", "changes", "expected"),
    [
        (
            "cv_bp_severely_elevated",
            {"bp_systolic": 186, "bp_diastolic": 104},
            "blood pressure 186/104 (threshold 180/100)",
        ),
        ("med_benzodiazepine", {"medicines": ["zanax 0.5mg"]}, "'zanax 0.5mg' - possibly alprazolam (benzodiazepine)"),
        (
            "cv_stroke_or_tia",
            {"heart_conditions": ["stroke_tia"]},
            "Heart and circulation: A stroke or mini-stroke (TIA)",
        ),
        ("med_unrecognised", {"medicines": ["paracetamol", "wibblezorp 5mg"]}, "not recognised: 'wibblezorp 5mg'"),
        ("age_65_plus", {"date_of_birth": born(70)}, "age 70 on 2026-11-24"),
        (
            "pain_condition_evidence",
            {"pain_conditions": ["crps", "fibromyalgia", "arthritis"]},
            "Complex regional pain syndrome (CRPS): moderate evidence, benefit up to 12 weeks (NICE NG193: do not "
            "initiate ketamine for chronic primary pain); Fibromyalgia: weak or no evidence, even short-term "
            "(NICE NG193: do not initiate ketamine for chronic primary pain)",
        ),
        (
            "pain_condition_evidence",
            {"pain_conditions": ["spinal_cord_injury", "neuropathic"]},
            "Pain after a spinal cord injury: weak evidence, short-term benefit only; "
            "Nerve pain, such as neuropathy or sciatica: weak or no evidence, even short-term",
        ),
        (
            "med_benzodiazepine",
            {"medicines": ["diazepam"], "medication_checklist": ["benzodiazepine"]},
            "Medicine checklist: Benzodiazepines; 'diazepam' - diazepam (benzodiazepine)",
        ),
    ],
)
def test_evidence_names_the_answers_that_fired_it(rule_id: str, changes: dict[str, Any], expected: str) -> None:
    assert evidence_of(rule_id, **changes) == expected


@pytest.mark.parametrize(("locale", "nice"), [("en-GB", True), ("en-US", False)])
def test_nice_ng193_is_in_the_pain_evidence_for_en_gb_clinics_only(locale: str, nice: bool) -> None:
    result = evaluate(
        answers(pain_conditions=["crps", "fibromyalgia", "neuropathic"]), today=TODAY, config=RuleConfig(locale=locale)
    )
    evidence = next(flag.evidence for flag in result if flag.rule_id == "pain_condition_evidence")
    assert evidence.count("NICE NG193: do not initiate ketamine for chronic primary pain") == (2 if nice else 0)
    assert "Nerve pain, such as neuropathy or sciatica: weak or no evidence, even short-term" in evidence
    neuropathic = next(part for part in evidence.split("; ") if part.startswith("Nerve pain"))
    assert "NICE" not in neuropathic, "neuropathic pain is chronic secondary pain: NG193 does not apply"


def test_pain_evidence_never_understates_asra() -> None:
    described = rules.RULES_BY_ID["pain_condition_evidence"].trigger.describe()
    assert "lasting benefit" not in described
    assert "'Fibromyalgia' (weak or no evidence, even short-term)" in described
    assert "in en-GB clinics 'Complex regional pain syndrome (CRPS)' also: NICE NG193" in described


def test_flag_carries_rationale_source_and_patient_message() -> None:
    flag = next(
        f for f in flags(heart_conditions=["heart_attack"], heart_attack_recent="yes") if f.rule_id == "cv_recent_mi"
    )
    assert flag.severity is Severity.DISCUSS
    assert flag.source == "ASRA2018, KETALAR, MILLER, KETAMIN-CH, KETAMIN-DE"
    assert flag.patient_message and "emergency number" in flag.patient_message


def test_patient_messages_belong_to_the_four_documented_rules() -> None:
    with_message = {rule.id for rule in RULES if rule.patient_message}
    assert with_message == {
        "psych_suicide_risk_urgent",
        "psych_suicidal_ideation",
        "cv_unstable_angina",
        "cv_recent_mi",
    }
    assert {rule.id for rule in RULES if rule.support_contacts} == {
        "psych_suicide_risk_urgent",
        "psych_suicidal_ideation",
    }


def test_rule_config_thresholds_change_what_fires_and_show_in_evidence() -> None:
    config = RuleConfig(bp_severe_systolic=170, bp_severe_diastolic=105)
    result = evaluate(answers(bp_systolic=172, bp_diastolic=90), today=TODAY, config=config)
    assert [(f.rule_id, f.evidence) for f in result] == [
        ("cv_bp_severely_elevated", "blood pressure 172/90 (threshold 170/105)")
    ]


JUNK = [None, "", "three", 3.0, True, [], {}, ["yes"], {"a": 1}, -1, 10**9, b"yes", "\x00", "yes\u202e"]


@pytest.mark.parametrize("value", JUNK)
def test_evaluate_treats_wrong_types_as_unanswered(value: object) -> None:
    junk = dict.fromkeys(rules.QUESTIONS, value)
    result = evaluate({**answers(), **junk, "not_a_question": value}, today=TODAY)
    assert all(isinstance(flag, rules.Flag) for flag in result)


def test_evaluate_a_string_where_a_number_is_expected_is_unanswered() -> None:
    assert fired(bp_systolic="190", bp_diastolic="110") == set()
    assert "psych_suicide_risk_urgent" not in fired(phq9_9="3")


@pytest.mark.parametrize("raw", [None, [], "answers", 42, {}, {1: 2}, {"phq9_9": [3]}])
def test_evaluate_never_raises_on_malformed_input(raw: Any) -> None:
    assert isinstance(evaluate(raw, today=TODAY), list)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(rules.QUESTIONS)) | st.text(max_size=8), _json, max_size=30))
def test_evaluate_never_raises_on_arbitrary_json(raw: dict[str, Any]) -> None:
    for flag in evaluate({**answers(), **raw}, today=TODAY):
        assert flag.evidence


def test_unknown_question_or_code_in_a_rule_fails_the_catalogue_check() -> None:
    with pytest.raises(ValueError, match="no such"):
        rules.check_catalogue((Rule("x_bad_question", Severity.INFO, "t", Answered("no_such", "=", "yes"), "r"),))
    with pytest.raises(ValueError, match="does not suit"):
        rules.check_catalogue(
            (Rule("x_bad_code", Severity.INFO, "t", Answered("heart_conditions", "has", "gout"), "r"),)
        )
    with pytest.raises(ValueError, match="does not suit"):
        rules.check_catalogue(
            (
                Rule(
                    "x_bad_parent",
                    Severity.INFO,
                    "t",
                    Unanswered(when("liver_severity", "=", "mild"), "liver_severity"),
                    "r",
                ),
            )
        )
    with pytest.raises(ValueError, match="unknown medicine classes"):
        MedicineClass(frozenset({"antibiotic"}))
    with pytest.raises(ValueError, match="earlier"):
        rules.check_catalogue(
            (Rule("x_late", Severity.INFO, "t", Answered("has_escort", "=", "no"), "r", not_with=("x_later",)),)
        )
    with pytest.raises(ValueError, match="sources"):
        rules.check_catalogue(
            (Rule("x_src", Severity.INFO, "t", Answered("has_escort", "=", "no"), "r", sources=("NOPE",)),)
        )


# Pinned: a change to the catalogue, the RuleConfig defaults or the medicine vocabulary changes the
# fingerprint. Bump RULESET_VERSION, then update both values here in the same commit.
PINNED = ("2026.3", "cf63cf626d73c6ee8c97de41e545193afc8d6b2c9a3d5f9b7ccfe8a4477e0fab")


def test_ruleset_version_pins_the_catalogue_config_and_vocabulary() -> None:
    assert (RULESET_VERSION, rules.fingerprint()) == PINNED, (
        "The rules, RuleConfig defaults or medicine vocabulary changed: bump RULESET_VERSION and update PINNED"
    )


def test_python_dash_m_screening_rules_prints_the_catalogue() -> None:
    result = subprocess.run([sys.executable, "-m", "screening.rules"], capture_output=True, text=True, check=True)
    for rule in RULES:
        assert rule.id in result.stdout
    table = rules.catalogue_table(width=400)
    assert "Pregnancy is 'I am pregnant' OR Pregnancy is 'I might be pregnant' OR Pregnancy not answered" not in table
    assert "Pregnancy is 'I am pregnant' OR Pregnancy is 'I might be pregnant' OR Sex at birth" in table
    assert "ASRA2018: Cohen SP et al." in result.stdout
    assert "bp_severe_systolic = 180" in result.stdout


NEW_IN_2026_3 = (
    "cv_heart_failure_or_valve_severe",
    "sub_substance_use_history",
    "resp_lung_disease",
    "metab_porphyria",
    "med_sedation_load",
    "med_opioid_antagonist",
    "med_nmda_antagonist",
)


def test_python_dash_m_screening_rules_shows_every_rule_new_in_2026_3_with_its_sources() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "screening.rules", "--width", "400"], capture_output=True, text=True, check=True
    )
    assert "Screening rule set 2026.3" in result.stdout
    for rule_id in NEW_IN_2026_3:
        assert rule_id in result.stdout
        for source in rules.RULES_BY_ID[rule_id].sources:
            assert f"  {source}: " in result.stdout


# Questionnaire 2 answers (before issue 11) never had the new follow-ups: re-evaluated with rule set 2026.3 the
# deciding ones fire their higher rule as "not answered", which asks a person to check (clinical-safety.md H10).
QUESTIONNAIRE_2 = {
    "heart failure": ({"heart_conditions": ["heart_failure"]}, "cv_heart_failure_or_valve_severe"),
    "not sure about ketamine": ({"previous_ketamine": "unsure"}, "psych_prior_adverse_reaction_ketamine"),
    "ketamine use": ({"drugs_past_year": ["ketamine"]}, "psych_prior_adverse_reaction_ketamine"),
}


@pytest.mark.parametrize("name", QUESTIONNAIRE_2)
def test_questionnaire_2_answers_re_evaluated_ask_a_person_to_check_the_new_follow_up(name: str) -> None:
    changes, rule_id = QUESTIONNAIRE_2[name]
    assert evidence_of(rule_id, **changes).endswith(": not answered")


@pytest.mark.parametrize(
    ("rule_id", "swiss", "german"),
    [
        ("cv_bp_severely_elevated", True, False),
        ("cv_hypertension_uncontrolled", True, True),
        ("cv_recent_mi", True, True),
        ("cv_stroke_or_tia", True, False),
        ("cv_heart_failure_or_valve_disease", True, True),
        ("endo_hyperthyroidism_uncontrolled", True, True),
        ("psych_psychosis_history", True, True),
        ("prac_no_escort_home", True, False),
        ("prac_cannot_avoid_driving_24h", True, False),
    ],
)
def test_swiss_and_german_labels_are_cited_where_each_holds_the_claim(rule_id: str, swiss: bool, german: bool) -> None:
    sources = rules.RULES_BY_ID[rule_id].sources
    assert ("KETAMIN-CH" in sources) is swiss
    assert ("KETAMIN-DE" in sources) is german


def test_swiss_and_german_label_sources_name_their_documents_and_claims() -> None:
    swiss, german = rules.SOURCE_NOTES["KETAMIN-CH"], rules.SOURCE_NOTES["KETAMIN-DE"]
    assert "Swissmedic" in swiss and "Ketamin Labatec" in swiss and "24 h" in swiss and "responsible adult" in swiss
    assert "Ketamin-hameln" in german and "heart failure" in german and "six months" in german
    assert "24 h" not in german and "responsible adult" not in german


def test_age_65_rationale_names_falls() -> None:
    assert "falls" in rules.RULES_BY_ID["age_65_plus"].rationale
