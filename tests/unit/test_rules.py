"""Every rule of the catalogue: an answer set that fires it and a near miss that does not,
plus the boundary values of clinical-rules.md."""

from __future__ import annotations

from typing import Any

import pytest

from screening.rules import RULES, evaluate
from tests.answer_sets import TODAY, answers, auditc, born, gad7, phq9

HIGH_BP = {"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes", "bp_crisis_recent": "no"}
NO_SELF_HARM = {"self_harm_intent": "no", "self_harm_recent_attempt": "no"}


def fired(**changes: Any) -> set[str]:
    return {flag.rule_id for flag in evaluate(answers(**changes), today=TODAY)}


# rule id -> (changes that fire it, near-miss changes that do not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "cv_bp_severely_elevated": ({"bp_systolic": 180, "bp_diastolic": 90},
                                {"bp_systolic": 179, "bp_diastolic": 99}),
    "cv_hypertension_uncontrolled": ({**HIGH_BP, "bp_controlled": "no"}, {**HIGH_BP, "bp_controlled": "unsure"}),
    "cv_hypertension": ({"bp_systolic": 140, "bp_diastolic": 80}, {"bp_systolic": 139, "bp_diastolic": 89}),
    "cv_unstable_angina": ({"heart_conditions": ["coronary_disease"], "angina_unstable": "yes"},
                           {"heart_conditions": ["coronary_disease"], "angina_unstable": "no"}),
    "cv_recent_mi": ({"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes"},
                     {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no"}),
    "cv_coronary_disease_stable": ({"heart_conditions": ["coronary_disease"], "angina_unstable": "no"},
                                   {"heart_conditions": ["heart_failure"]}),
    "cv_stroke_or_tia": ({"heart_conditions": ["stroke_tia"]}, {"heart_conditions": ["arrhythmia"]}),
    "cv_aneurysm_avm_or_ich": ({"heart_conditions": ["aneurysm_or_brain_bleed"]}, {"heart_conditions": ["none"]}),
    "cv_heart_failure_or_valve_disease": ({"heart_conditions": ["valve_disease"]},
                                          {"heart_conditions": ["arrhythmia"]}),
    "cv_arrhythmia": ({"heart_conditions": ["arrhythmia"]}, {"heart_conditions": ["valve_disease"]}),
    "endo_hyperthyroidism_uncontrolled": (
        {"other_conditions": ["overactive_thyroid"], "thyroid_controlled": "unsure"},
        {"other_conditions": ["overactive_thyroid"], "thyroid_controlled": "yes"}),
    "preg_pregnant": ({"pregnancy_status": "might_be"}, {"pregnancy_status": "planning"}),
    "preg_planning": ({"pregnancy_status": "planning"}, {"pregnancy_status": "none"}),
    "preg_breastfeeding": ({"pregnancy_status": "breastfeeding"}, {"pregnancy_status": "none"}),
    "psych_psychosis_current": ({"psychosis_ever": "yes", "psychosis_current": "yes"},
                                {"psychosis_ever": "yes", "psychosis_current": "no"}),
    "psych_psychosis_history": ({"psychosis_family": "yes"}, {"psychosis_family": "unsure"}),
    "psych_mania_current": ({"mania_recent": "yes"}, {"mental_health_history": ["depression"]}),
    "psych_bipolar_history": ({"mental_health_history": ["bipolar"]}, {"mental_health_history": ["depression"]}),
    "psych_suicide_risk_urgent": ({"phq9_9": 3, **NO_SELF_HARM}, {"phq9_9": 2, **NO_SELF_HARM}),
    "psych_suicidal_ideation": ({"phq9_9": 1, **NO_SELF_HARM}, {"phq9_9": 0}),
    "psych_dissociative_disorder": ({"mental_health_history": ["dissociative_disorder"]},
                                    {"mental_health_history": ["ptsd"], "dissociation_frequent": "no"}),
    "psych_prior_adverse_reaction_ketamine": (
        {"previous_ketamine": "yes", "previous_ketamine_bad_reaction": "yes"},
        {"previous_ketamine": "yes", "previous_ketamine_bad_reaction": "no"}),
    "psych_scores_elevated": (phq9(2, 2, 2, 1, 1, 1, 1, 0, 0), {**phq9(2, 2, 2, 1, 1, 1, 0, 0, 0),
                                                                 **gad7(2, 2, 2, 1, 1, 1, 0)}),
    "sub_ketamine_or_pcp_misuse": ({"drugs_past_year": ["pcp"]}, {"drugs_past_year": ["cannabis"]}),
    "sub_active_substance_misuse": ({"prescribed_misuse": "yes"}, {"drugs_past_year": ["cannabis"]}),
    "sub_cannabis_use": ({"drugs_past_year": ["cannabis"]}, {"drugs_past_year": ["none"]}),
    "sub_alcohol_unhealthy": (auditc(2, 0, 1), auditc(1, 0, 1)),
    "sub_opioid_use_disorder": ({"medication_checklist": ["opioid_addiction_treatment"]},
                                {"medication_checklist": ["opioid"], "opioid_daily": "yes"}),
    "hep_severe_liver_disease": ({"other_conditions": ["liver_disease"], "liver_severity": "severe"},
                                 {"other_conditions": ["liver_disease"], "liver_severity": "moderate"}),
    "hep_liver_disease_or_risk": ({"other_conditions": ["liver_disease"], "liver_severity": "unsure"},
                                  {"other_conditions": ["kidney_disease"]}),
    "uro_ketamine_cystitis_history": ({"other_conditions": ["ketamine_bladder"]},
                                      {"other_conditions": ["bladder_symptoms"]}),
    "uro_lower_urinary_symptoms": ({"other_conditions": ["bladder_symptoms"]},
                                   {"other_conditions": ["kidney_disease"]}),
    "neuro_raised_icp_or_mass": ({"other_conditions": ["raised_brain_pressure"]},
                                 {"other_conditions": ["epilepsy"]}),
    "neuro_recent_head_injury": ({"other_conditions": ["head_injury_recent"]}, {"other_conditions": ["none"]}),
    "neuro_epilepsy": ({"other_conditions": ["epilepsy"]}, {"other_conditions": ["raised_brain_pressure"]}),
    "eye_glaucoma_or_raised_iop": ({"other_conditions": ["eye_injury_recent"]},
                                   {"other_conditions": ["kidney_disease"]}),
    "resp_osa_risk": ({"other_conditions": ["sleep_apnoea"], "uses_cpap": "yes"},
                      {"snoring_loud": "yes", "daytime_tiredness": "yes", "observed_apnoea": "yes"}),
    "allergy_ketamine": ({"allergy_ketamine": "yes"}, {"allergy_ketamine": "unsure"}),
    "allergy_ketamine_unsure": ({"allergy_ketamine": "unsure"}, {"allergy_ketamine": "no"}),
    "age_under_18": ({"date_of_birth": born(17)}, {"date_of_birth": born(18)}),
    "age_65_plus": ({"date_of_birth": born(65)}, {"date_of_birth": born(64, birthday_passed=False)}),
    "med_benzodiazepine": ({"medicines": ["diazepam 5mg"]}, {"medicines": ["amitriptyline 10mg at night"]}),
    "med_other_cns_depressant": ({"medicines": ["zopiclone 7.5mg"]}, {"medicines": ["paracetamol 1g"]}),
    "med_opioid": ({"medicines": ["tramadol 50mg"]}, {"medicines": ["naltrexone 50mg"]}),
    "med_maoi": ({"medication_checklist": ["maoi"]}, {"medicines": ["sertraline 50mg"]}),
    "med_psychostimulant": ({"drugs_past_year": ["cocaine"]}, {"drugs_past_year": ["mdma"]}),
    "med_theophylline": ({"medicines": ["theophylline 200mg bd"]}, {"medicines": ["salbutamol"]}),
    "med_lamotrigine": ({"medication_checklist": ["lamotrigine"]}, {"medicines": ["levetiracetam 500mg"]}),
    "med_cyp_inhibitor": ({"medicines": ["clarithromycin 500mg bd"]}, {"medicines": ["itraconazole"]}),
    "med_cyp_inducer": ({"medicines": ["rifampicin"]}, {"medicines": ["omeprazole 20mg"]}),
    "med_thyroid_hormone": ({"medicines": ["levothyroxine 100mcg"]}, {"medicines": ["metformin 500mg"]}),
    "med_ketamine_current": ({"medicines": ["esketamine"]}, {"medicines": ["paracetamol"]}),
    "med_unrecognised": ({"medicines": ["wibblezorp 5mg"]}, {"medicines": ["paracetamol 1g qds"]}),
    "prac_no_escort_home": ({"has_escort": "no"}, {"can_avoid_driving": "no"}),
    "prac_cannot_avoid_driving_24h": ({"can_avoid_driving": "no"}, {"has_escort": "no"}),
    "pain_duration_under_3_months": ({"pain_duration": "lt_3m"}, {"pain_duration": "3_6m"}),
    "pain_condition_evidence": ({"pain_conditions": ["crps"]},
                                {"pain_conditions": ["pelvic", "other"], "pain_conditions_other": "endometriosis"}),
}


def test_cases_cover_every_rule_of_the_catalogue() -> None:
    assert set(CASES) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule_id", CASES)
def test_rule_fires_on_its_trigger(rule_id: str) -> None:
    assert rule_id in fired(**CASES[rule_id][0])


@pytest.mark.parametrize("rule_id", CASES)
def test_rule_near_miss_does_not_fire(rule_id: str) -> None:
    assert rule_id not in fired(**CASES[rule_id][1])


@pytest.mark.parametrize("sex", ["female", "male", "intersex", "not_say"])
def test_evaluate_healthy_answer_set_fires_nothing(sex: str) -> None:
    assert fired(sex_at_birth=sex) == set()


@pytest.mark.parametrize(("systolic", "diastolic", "severe", "raised"), [
    (179, 99, False, True), (180, 60, True, False), (120, 100, True, False), (120, 99, False, True),
    (139, 89, False, False), (140, 70, False, True), (110, 90, False, True),
])
def test_blood_pressure_thresholds_at_their_boundaries(systolic: int, diastolic: int, severe: bool,
                                                       raised: bool) -> None:
    ids = fired(bp_systolic=systolic, bp_diastolic=diastolic)
    assert ("cv_bp_severely_elevated" in ids) is severe
    assert ("cv_hypertension" in ids) is raised


@pytest.mark.parametrize(("date_of_birth", "expected"), [
    (born(65), True), (born(64, birthday_passed=False), False), (born(64), False), (born(80), True),
])
def test_age_65_is_counted_on_the_day(date_of_birth: str, expected: bool) -> None:
    assert ("age_65_plus" in fired(date_of_birth=date_of_birth)) is expected


@pytest.mark.parametrize(("sex", "items", "expected"), [
    ("male", (2, 0, 1), False), ("male", (2, 1, 1), True), ("female", (2, 0, 1), True),
    ("female", (1, 0, 1), False), ("intersex", (2, 0, 1), True), ("not_say", (2, 0, 1), True),
    ("male", (0,), False), (None, (2, 0, 1), True),
])
def test_alcohol_cut_off_depends_on_sex_at_birth(sex: str | None, items: tuple[int, ...], expected: bool) -> None:
    changes: dict[str, Any] = {"sex_at_birth": sex, **auditc(*items)}
    if sex != "male":
        changes["pregnancy_status"] = "none"
    assert ("sub_alcohol_unhealthy" in fired(**changes)) is expected


@pytest.mark.parametrize(("changes", "expected"), [
    ({"snoring_loud": "yes", "daytime_tiredness": "yes", "observed_apnoea": "yes", "neck_large": "yes",
      "date_of_birth": born(50)}, False),
    ({"snoring_loud": "yes", "daytime_tiredness": "yes", "observed_apnoea": "yes", "neck_large": "yes",
      "date_of_birth": born(51)}, True),
    ({"snoring_loud": "yes", "daytime_tiredness": "yes", "sex_at_birth": "male", "height_cm": 170,
      "weight_kg": 102, "neck_large": "yes"}, True),   # BMI 35.29 > 35
    ({"snoring_loud": "yes", "daytime_tiredness": "yes", "sex_at_birth": "male", "height_cm": 170,
      "weight_kg": 101, "neck_large": "yes"}, False),  # BMI 34.95
])
def test_stop_bang_4_versus_5(changes: dict[str, Any], expected: bool) -> None:
    assert ("resp_osa_risk" in fired(**changes)) is expected


@pytest.mark.parametrize(("item9", "urgent", "ideation"), [(0, False, False), (1, False, True), (2, False, True),
                                                           (3, True, False)])
def test_phq9_item9_two_versus_three(item9: int, urgent: bool, ideation: bool) -> None:
    ids = fired(phq9_9=item9, **NO_SELF_HARM)
    assert ("psych_suicide_risk_urgent" in ids) is urgent
    assert ("psych_suicidal_ideation" in ids) is ideation


@pytest.mark.parametrize("follow_up", ["self_harm_intent", "self_harm_recent_attempt"])
def test_self_harm_follow_up_yes_is_urgent(follow_up: str) -> None:
    ids = fired(phq9_9=1, **{**NO_SELF_HARM, follow_up: "yes"})
    assert "psych_suicide_risk_urgent" in ids
    assert "psych_suicidal_ideation" not in ids


def test_incomplete_phq9_fires_once_its_minimum_reaches_the_cut_off() -> None:
    items = phq9(3, 3, 3, 1, 0, 0, 0, 0, 0)
    assert "psych_scores_elevated" in fired(**{**items, "phq9_8": None})
    assert "psych_scores_elevated" not in fired(**{**phq9(3, 3, 3, 0, 0, 0, 0, 0, 0), "phq9_8": None})


def test_opioid_rule_reads_the_checklist_or_the_medicine_list() -> None:
    assert "med_opioid" in fired(medication_checklist=["opioid"], opioid_daily="no")
    assert "med_opioid" in fired(medicines=["co-codamol 30/500 two tablets qds"])


def test_naltrexone_is_not_an_opioid_but_is_addiction_treatment() -> None:
    ids = fired(medicines=["naltrexone 50mg"])
    assert "med_opioid" not in ids
    assert "sub_opioid_use_disorder" in ids


def test_ketamine_in_drug_use_fires_ketamine_and_active_misuse() -> None:
    assert {"sub_ketamine_or_pcp_misuse", "sub_active_substance_misuse"} <= fired(drugs_past_year=["ketamine"])
