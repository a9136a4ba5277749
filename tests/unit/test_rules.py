"""Every rule of the catalogue: an answer set that fires it and a near miss that does not,
plus the boundary values of clinical-rules.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from screening.clinical.questionnaire import QUESTIONS
from screening.clinical.triggers import Unanswered
from screening.rules import RULES, RULES_BY_ID, SOURCE_NOTES, SOURCES, evaluate
from tests.answer_sets import TODAY, answers, auditc, born, gad7, phq9
from tests.unit import readability

HIGH_BP = {"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes", "bp_crisis_recent": "no"}
NO_SELF_HARM = {"self_harm_intent": "no", "self_harm_recent_attempt": "no"}


def fired(**changes: Any) -> set[str]:
    return {flag.rule_id for flag in evaluate(answers(**changes), today=TODAY)}


# rule id -> (changes that fire it, near-miss changes that do not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "cv_bp_severely_elevated": ({"bp_systolic": 180, "bp_diastolic": 90}, {"bp_systolic": 179, "bp_diastolic": 99}),
    "cv_hypertension_uncontrolled": ({**HIGH_BP, "bp_controlled": "no"}, {**HIGH_BP, "bp_controlled": "yes"}),
    "cv_hypertension": ({"bp_systolic": 140, "bp_diastolic": 80}, {"bp_systolic": 139, "bp_diastolic": 89}),
    "cv_unstable_angina": (
        {"heart_conditions": ["coronary_disease"], "angina_unstable": "yes"},
        {"heart_conditions": ["coronary_disease"], "angina_unstable": "no"},
    ),
    "cv_recent_mi": (
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes"},
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no"},
    ),
    "cv_coronary_disease_stable": (
        {"heart_conditions": ["coronary_disease"], "angina_unstable": "no"},
        {"heart_conditions": ["heart_failure"]},
    ),
    "cv_stroke_or_tia": ({"heart_conditions": ["stroke_tia"]}, {"heart_conditions": ["arrhythmia"]}),
    "cv_aneurysm_avm_or_ich": ({"heart_conditions": ["aneurysm_or_brain_bleed"]}, {"heart_conditions": ["none"]}),
    "cv_heart_failure_or_valve_severe": (
        {"heart_conditions": ["heart_failure"], "heart_failure_breathless": "yes"},
        {"heart_conditions": ["heart_failure"], "heart_failure_breathless": "no"},
    ),
    "cv_heart_failure_or_valve_disease": (
        {"heart_conditions": ["valve_disease"], "valve_breathless": "no"},
        {"heart_conditions": ["arrhythmia"]},
    ),
    "cv_arrhythmia": ({"heart_conditions": ["arrhythmia"]}, {"heart_conditions": ["valve_disease"]}),
    "endo_hyperthyroidism_uncontrolled": (
        {"other_conditions": ["overactive_thyroid"], "thyroid_controlled": "unsure"},
        {"other_conditions": ["overactive_thyroid"], "thyroid_controlled": "yes"},
    ),
    "preg_pregnant": ({"pregnancy_status": "might_be"}, {"pregnancy_status": "planning"}),
    "preg_planning": ({"pregnancy_status": "planning"}, {"pregnancy_status": "none"}),
    "preg_breastfeeding": ({"pregnancy_status": "breastfeeding"}, {"pregnancy_status": "none"}),
    "psych_psychosis_current": (
        {"psychosis_ever": "yes", "psychosis_current": "yes"},
        {"psychosis_ever": "yes", "psychosis_current": "no"},
    ),
    "psych_psychosis_history": ({"psychosis_family": "yes"}, {"psychosis_family": "unsure"}),
    "psych_mania_current": ({"mania_recent": "yes"}, {"mental_health_history": ["depression"]}),
    "psych_bipolar_history": ({"mental_health_history": ["bipolar"]}, {"mental_health_history": ["depression"]}),
    "psych_suicide_risk_urgent": ({"phq9_9": 3, **NO_SELF_HARM}, {"phq9_9": 2, **NO_SELF_HARM}),
    "psych_suicidal_ideation": ({"phq9_9": 1, **NO_SELF_HARM}, {"phq9_9": 0}),
    "psych_dissociative_disorder": (
        {"mental_health_history": ["dissociative_disorder"]},
        {"mental_health_history": ["ptsd"], "dissociation_frequent": "no"},
    ),
    "psych_prior_adverse_reaction_ketamine": (
        {"previous_ketamine": "yes", "previous_ketamine_bad_reaction": "yes"},
        {"previous_ketamine": "yes", "previous_ketamine_bad_reaction": "no"},
    ),
    "psych_scores_elevated": (
        phq9(2, 2, 2, 1, 1, 1, 1, 0, 0),
        {**phq9(2, 2, 2, 1, 1, 1, 0, 0, 0), **gad7(2, 2, 2, 1, 1, 1, 0)},
    ),
    "sub_ketamine_or_pcp_misuse": ({"drugs_past_year": ["pcp"]}, {"drugs_past_year": ["cannabis"]}),
    "sub_active_substance_misuse": ({"prescribed_misuse": "yes"}, {"drugs_past_year": ["cannabis"]}),
    "sub_cannabis_use": ({"drugs_past_year": ["cannabis"]}, {"drugs_past_year": ["none"]}),
    "sub_alcohol_unhealthy": (auditc(2, 2, 1), auditc(2, 1, 1)),  # UK AUDIT-C (en-GB, the default): 5 vs 4
    "sub_opioid_use_disorder": (
        {"medication_checklist": ["opioid_addiction_treatment"]},
        {"medication_checklist": ["opioid"], "opioid_daily": "yes"},
    ),
    "sub_substance_use_history": (
        {"substance_treatment_ever": "yes", "substance_treatment_for": ["alcohol"]},
        {"substance_treatment_ever": "yes", "substance_treatment_for": ["opioids"]},
    ),
    "hep_severe_liver_disease": (
        {"other_conditions": ["liver_disease"], "liver_severity": "severe"},
        {"other_conditions": ["liver_disease"], "liver_severity": "moderate"},
    ),
    "hep_liver_disease_or_risk": (
        {"other_conditions": ["liver_disease"], "liver_severity": "moderate"},
        {"other_conditions": ["liver_disease"], "liver_severity": "unsure"},
    ),
    "uro_ketamine_cystitis_history": (
        {"other_conditions": ["ketamine_bladder"]},
        {"other_conditions": ["bladder_symptoms"]},
    ),
    "uro_lower_urinary_symptoms": (
        {"other_conditions": ["bladder_symptoms"]},
        {"other_conditions": ["kidney_disease"]},
    ),
    "neuro_raised_icp_or_mass": ({"other_conditions": ["raised_brain_pressure"]}, {"other_conditions": ["epilepsy"]}),
    "neuro_recent_head_injury": ({"other_conditions": ["head_injury_recent"]}, {"other_conditions": ["none"]}),
    "neuro_epilepsy": ({"other_conditions": ["epilepsy"]}, {"other_conditions": ["raised_brain_pressure"]}),
    "eye_glaucoma_or_raised_iop": (
        {"other_conditions": ["eye_injury_recent"]},
        {"other_conditions": ["kidney_disease"]},
    ),
    "resp_osa_risk": (
        {"other_conditions": ["sleep_apnoea"], "uses_cpap": "yes"},
        {"snoring_loud": "yes", "daytime_tiredness": "yes", "observed_apnoea": "yes"},
    ),
    "resp_lung_disease": (
        {"other_conditions": ["lung_disease"]},
        {"other_conditions": ["sleep_apnoea"], "uses_cpap": "yes"},
    ),
    "metab_porphyria": ({"other_conditions": ["porphyria"]}, {"other_conditions": ["kidney_disease"]}),
    "allergy_ketamine": ({"allergy_ketamine": "yes"}, {"allergy_ketamine": "unsure"}),
    "allergy_ketamine_unsure": ({"allergy_ketamine": "unsure"}, {"allergy_ketamine": "no"}),
    "age_under_18": ({"date_of_birth": born(17)}, {"date_of_birth": born(18)}),
    "age_65_plus": ({"date_of_birth": born(65)}, {"date_of_birth": born(64, birthday_passed=False)}),
    "med_benzodiazepine": ({"medicines": ["diazepam 5mg"]}, {"medicines": ["amitriptyline 10mg at night"]}),
    "med_other_cns_depressant": ({"medicines": ["zopiclone 7.5mg"]}, {"medicines": ["paracetamol 1g"]}),
    "med_opioid": ({"medicines": ["tramadol 50mg"]}, {"medicines": ["naltrexone 50mg"]}),
    "med_sedation_load": (
        {"medicines": ["oxycodone 10mg", "diazepam 2mg"]},
        {"medicines": ["oxycodone 10mg", "amitriptyline 10mg at night"]},
    ),
    "med_opioid_antagonist": ({"medicines": ["naltrexone 4.5mg at night"]}, {"medicines": ["naloxone"]}),
    "med_nmda_antagonist": ({"medicines": ["memantine 20mg"]}, {"medicines": ["donepezil 10mg"]}),
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
    "pain_condition_evidence": (
        {"pain_conditions": ["crps"]},
        {"pain_conditions": ["pelvic", "other"], "pain_conditions_other": "endometriosis"},
    ),
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


@pytest.mark.parametrize(
    ("systolic", "diastolic", "severe", "raised"),
    [
        (179, 99, False, True),
        (180, 60, True, False),
        (120, 100, True, False),
        (120, 99, False, True),
        (139, 89, False, False),
        (140, 70, False, True),
        (110, 90, False, True),
    ],
)
def test_blood_pressure_thresholds_at_their_boundaries(
    systolic: int, diastolic: int, severe: bool, raised: bool
) -> None:
    ids = fired(bp_systolic=systolic, bp_diastolic=diastolic)
    assert ("cv_bp_severely_elevated" in ids) is severe
    assert ("cv_hypertension" in ids) is raised


@pytest.mark.parametrize(
    ("date_of_birth", "expected"),
    [
        (born(65), True),
        (born(64, birthday_passed=False), False),
        (born(64), False),
        (born(80), True),
    ],
)
def test_age_65_is_counted_on_the_day(date_of_birth: str, expected: bool) -> None:
    assert ("age_65_plus" in fired(date_of_birth=date_of_birth)) is expected


@pytest.mark.parametrize(
    ("sex", "items", "expected"),
    [
        ("male", (2, 0, 1), False),
        ("male", (2, 1, 1), True),
        ("female", (2, 0, 1), True),
        ("female", (1, 0, 1), False),
        ("intersex", (2, 0, 1), True),
        ("not_say", (2, 0, 1), True),
        ("male", (0,), False),
        (None, (2, 0, 1), True),
    ],
)
def test_alcohol_cut_off_depends_on_sex_at_birth(sex: str | None, items: tuple[int, ...], expected: bool) -> None:
    # The US AUDIT-C (en-US); the UK one (en-GB) is 5 for everyone: tests/unit/test_stopbang_auditc.py.
    changes: dict[str, Any] = {"sex_at_birth": sex, **auditc(*items)}
    if sex != "male":
        changes["pregnancy_status"] = "none"
    ids = {flag.rule_id for flag in evaluate(answers(**changes), today=TODAY, locale="en-US")}
    assert ("sub_alcohol_unhealthy" in ids) is expected


# One STOP item only, so that no alternative route (2+ STOP items with male sex, BMI > 35 or a large neck) applies
# and the count alone decides: snoring, male, age, BMI and a collar of 43 cm or more are 5
# (tests/unit/test_stopbang_auditc.py has the alternative routes).
_FIVE = {
    "snoring_loud": "yes",
    "sex_at_birth": "male",
    "date_of_birth": born(51),
    "height_cm": 170,
    "weight_kg": 102,
    "neck_large": "yes",
    "neck_43cm": "yes",
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (_FIVE, True),
        ({**_FIVE, "date_of_birth": born(50)}, False),  # 50 is not over 50
        ({**_FIVE, "weight_kg": 101}, False),  # BMI 34.95, not over 35 (102 kg: 35.29)
        ({**_FIVE, "neck_43cm": "no"}, False),  # 41-42 cm is not a large neck for a man
    ],
)
def test_stop_bang_4_versus_5(changes: dict[str, Any], expected: bool) -> None:
    assert ("resp_osa_risk" in fired(**changes)) is expected


@pytest.mark.parametrize(
    ("item9", "urgent", "ideation"), [(0, False, False), (1, False, True), (2, False, True), (3, True, False)]
)
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


@pytest.mark.parametrize("line", ["naltrexone 50mg", "low dose naltrexone 4.5mg at night", "LDN 3mg"])
def test_naltrexone_is_neither_an_opioid_nor_addiction_treatment_but_blocks_opioids(line: str) -> None:
    ids = fired(medicines=[line])  # issue 11 item 4: OUD treatment only from OUD products or the patient's answer
    assert "med_opioid" not in ids
    assert "sub_opioid_use_disorder" not in ids
    assert "med_opioid_antagonist" in ids


@pytest.mark.parametrize(
    "changes",
    [
        {"medicines": ["Suboxone 8/2mg"]},
        {"medication_checklist": ["opioid_addiction_treatment"]},
        {"substance_treatment_ever": "yes", "substance_treatment_for": ["opioids"]},
    ],
)
def test_opioid_use_disorder_comes_from_oud_products_or_the_patients_own_answer(changes: dict[str, Any]) -> None:
    assert "sub_opioid_use_disorder" in fired(**changes)


def test_opioid_addiction_tick_tells_patients_on_low_dose_naltrexone_not_to_tick_it() -> None:
    hint = (
        QUESTIONS["medication_checklist"]
        .options[QUESTIONS["medication_checklist"].codes.index("opioid_addiction_treatment")]
        .hint
    )
    assert "low-dose naltrexone" in hint and "Do not tick" in hint


def test_ketamine_use_fires_its_own_rule_and_not_the_drug_use_rule_again() -> None:
    ids = fired(drugs_past_year=["ketamine"], ketamine_use_bad_reaction="no")
    assert ids == {"sub_ketamine_or_pcp_misuse"}
    assert fired(drugs_past_year=["pcp"]) == {"sub_ketamine_or_pcp_misuse"}
    both = evaluate(answers(drugs_past_year=["ketamine", "mdma"], ketamine_use_bad_reaction="no"), today=TODAY)
    evidence = {flag.rule_id: flag.evidence for flag in both}
    assert evidence["sub_active_substance_misuse"] == "Drugs in past 12 months (not prescribed): MDMA or ecstasy"
    assert "Ketamine" not in evidence["sub_active_substance_misuse"]


def test_drug_use_rule_is_titled_for_what_it_measures() -> None:
    rule = RULES_BY_ID["sub_active_substance_misuse"]
    assert rule.title == "Non-prescribed drug use or prescribed-medicine misuse in the past 12 months"
    assert "even once" in rule.rationale
    assert "sub_active_substance_misuse" in fired(drugs_past_year=["psychedelics"])  # one use is enough


# --- issue 11: the new rules --------------------------------------------------------------------------------------
SEDATION = {  # each route into the combined sedation load: an opioid plus one of the three, list and/or checklist
    "opioid + benzodiazepine (list)": {"medicines": ["co-codamol 30/500", "lorazepam 1mg"]},
    "opioid + Z-drug (list)": {"medicines": ["morphine sulfate 10mg", "zolpidem 10mg"]},
    "opioid + gabapentinoid (list)": {"medicines": ["tapentadol 50mg", "gabapentin 300mg tds"]},
    "opioid tick + benzodiazepine tick": {"medication_checklist": ["benzodiazepine", "opioid"], "opioid_daily": "no"},
    "opioid tick + sleeping tablet tick": {
        "medication_checklist": ["sleeping_tablet", "opioid"],
        "opioid_daily": "yes",
    },
    "opioid list + gabapentinoid tick": {"medicines": ["codeine 30mg"], "medication_checklist": ["gabapentinoid"]},
    "opioid tick + gabapentinoid list": {
        "medicines": ["pregabalin 75mg"],
        "medication_checklist": ["opioid"],
        "opioid_daily": "yes",
    },
}
NOT_SEDATION = {  # near misses: either half alone, or an opioid with another CNS depressant outside the three
    "opioid alone": {"medicines": ["oxycodone 5mg"]},
    "benzodiazepine and gabapentinoid, no opioid": {"medicines": ["diazepam 5mg", "pregabalin 150mg"]},
    "opioid + antipsychotic": {"medicines": ["tramadol 50mg", "quetiapine 25mg"]},
    "naltrexone + benzodiazepine": {"medicines": ["naltrexone 50mg", "diazepam 2mg"]},
}


@pytest.mark.parametrize("name", SEDATION)
def test_sedation_load_fires_for_an_opioid_with_a_benzodiazepine_z_drug_or_gabapentinoid(name: str) -> None:
    result = {flag.rule_id: flag for flag in evaluate(answers(**SEDATION[name]), today=TODAY)}
    flag = result["med_sedation_load"]
    assert flag.severity.value == "discuss"
    assert "FDA-OPIOID-BZD-2016" in (flag.source or "") and "FDA-GABAPENTINOID-2019" in (flag.source or "")
    assert len(flag.evidence.split("; ")) >= 2, "the evidence names the opioid and the other medicine"


@pytest.mark.parametrize("name", NOT_SEDATION)
def test_sedation_load_near_miss_does_not_fire(name: str) -> None:
    assert "med_sedation_load" not in fired(**NOT_SEDATION[name])


def test_sedation_load_keeps_the_single_medicine_flags_beside_it() -> None:
    assert {"med_sedation_load", "med_opioid", "med_benzodiazepine"} <= fired(medicines=["Oramorph", "Valium"])


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({"medicines": ["memantine 10mg"]}, True),
        ({"medicines": ["amantadine 100mg bd"]}, True),
        ({"medicines": ["dextromethorphan cough syrup"]}, True),
        ({"medicines": ["donepezil 10mg"]}, False),
    ],
)
def test_nmda_antagonist_fires_for_memantine_amantadine_and_dextromethorphan(
    changes: dict[str, Any], fires: bool
) -> None:
    assert ("med_nmda_antagonist" in fired(**changes)) is fires


def test_nmda_antagonist_cites_the_memantine_label_avoid_with_ketamine() -> None:
    rule = RULES_BY_ID["med_nmda_antagonist"]
    assert rule.severity.value == "caution" and rule.sources[0] == "MEMANTINE-SMPC"
    assert "such as amantadine, ketamine or dextromethorphan should be avoided" in SOURCE_NOTES["MEMANTINE-SMPC"]


def test_opioid_antagonist_says_opioid_analgesia_is_blocked_on_the_day() -> None:
    rule = RULES_BY_ID["med_opioid_antagonist"]
    assert rule.severity.value == "caution" and rule.sources == ("NALTREXONE-PI",)
    assert "may not benefit from opioid containing medicines" in SOURCE_NOTES["NALTREXONE-PI"]
    assert "med_opioid_antagonist" not in fired(medicines=["naloxone nasal spray"])  # a rescue kit is not a blocker


REACTIONS = {  # each route into the distressing-reaction rule: (answers that fire it, the near miss)
    "after ketamine treatment": (
        {"previous_ketamine": "yes", "previous_ketamine_bad_reaction": "yes"},
        {"previous_ketamine": "yes", "previous_ketamine_bad_reaction": "no"},
    ),
    "not sure about ketamine": (
        {"previous_ketamine": "unsure", "previous_ketamine_unsure_reaction": "yes"},
        {"previous_ketamine": "unsure", "previous_ketamine_unsure_reaction": "no"},
    ),
    "after ketamine use": (
        {"drugs_past_year": ["ketamine"], "ketamine_use_bad_reaction": "yes"},
        {"drugs_past_year": ["ketamine"], "ketamine_use_bad_reaction": "no"},
    ),
}


@pytest.mark.parametrize("route", REACTIONS)
def test_distressing_reaction_is_asked_after_treatment_not_sure_and_use(route: str) -> None:
    yes, no = REACTIONS[route]
    assert "psych_prior_adverse_reaction_ketamine" in fired(**yes)
    assert "psych_prior_adverse_reaction_ketamine" not in fired(**no)


@pytest.mark.parametrize(
    ("changes", "follow_up"),
    [
        ({"previous_ketamine": "unsure"}, "previous_ketamine_unsure_reaction"),
        ({"drugs_past_year": ["ketamine"]}, "ketamine_use_bad_reaction"),
        ({"previous_ketamine": "yes"}, "previous_ketamine_bad_reaction"),
    ],
)
def test_distressing_reaction_unanswered_fires_the_rule(changes: dict[str, Any], follow_up: str) -> None:
    flag = next(
        f for f in evaluate(answers(**changes), today=TODAY) if f.rule_id == "psych_prior_adverse_reaction_ketamine"
    )
    assert flag.evidence.endswith(f"{QUESTIONS[follow_up].short}: not answered")


def test_distressing_reaction_follow_ups_are_hidden_for_no() -> None:
    assert "psych_prior_adverse_reaction_ketamine" not in fired(
        previous_ketamine="no",
        previous_ketamine_unsure_reaction="yes",
        drugs_past_year=["cocaine"],
        ketamine_use_bad_reaction="yes",
    )


@pytest.mark.parametrize(
    ("treated_for", "history", "opioid", "ketamine"),
    [
        (["alcohol"], True, False, False),
        (["stimulants"], True, False, False),
        (["cannabis"], True, False, False),
        (["other"], True, False, False),
        (["opioids"], False, True, False),
        (["ketamine"], False, False, True),
        (["alcohol", "opioids"], True, True, False),
    ],
)
def test_past_treatment_for_any_substance_is_a_history_of_substance_use_disorder(
    treated_for: list[str], history: bool, opioid: bool, ketamine: bool
) -> None:
    ids = fired(substance_treatment_ever="yes", substance_treatment_for=treated_for)
    assert ("sub_substance_use_history" in ids) is history
    assert ("sub_opioid_use_disorder" in ids) is opioid
    assert ("sub_ketamine_or_pcp_misuse" in ids) is ketamine


def test_past_treatment_unanswered_fires_the_history_rule_and_no_treatment_fires_nothing() -> None:
    assert "sub_substance_use_history" in fired(substance_treatment_ever="yes")
    assert fired(substance_treatment_ever="no") == set()


def test_lung_disease_and_porphyria_rules_and_their_words() -> None:
    result = {
        flag.rule_id: flag for flag in evaluate(answers(other_conditions=["lung_disease", "porphyria"]), today=TODAY)
    }
    assert result["resp_lung_disease"].severity.value == "caution"
    assert result["metab_porphyria"].severity.value == "discuss"
    assert "Unsafe (avoid): Esketamine, Etomidate, Ketamine, Thiopental" in SOURCE_NOTES["PORPHYRIA-UK"]
    assert "COPD" in SOURCE_NOTES["FDA-GABAPENTINOID-2019"]
    options = dict(zip(QUESTIONS["other_conditions"].codes, QUESTIONS["other_conditions"].options, strict=True))
    assert "oxygen at home" in options["lung_disease"].hint
    for code in ("lung_disease", "porphyria"):
        words = f"{options[code].label}. {options[code].hint}"
        assert readability.grade(words) <= 7.0 and readability.longest_sentence(words) <= 20


@pytest.mark.parametrize(
    ("ticked", "follow_up"), [("heart_failure", "heart_failure_breathless"), ("valve_disease", "valve_breathless")]
)
@pytest.mark.parametrize(("answer", "severe"), [("yes", True), ("unsure", True), ("no", False), (None, True)])
def test_breathlessness_decides_between_severe_heart_disease_and_caution(
    ticked: str, follow_up: str, answer: str | None, severe: bool
) -> None:
    ids = fired(heart_conditions=[ticked], **{follow_up: answer})
    assert ("cv_heart_failure_or_valve_severe" in ids) is severe
    assert ("cv_heart_failure_or_valve_disease" in ids) is not severe


@pytest.mark.parametrize("follow_up", ["heart_failure_breathless", "valve_breathless"])
def test_breathlessness_question_is_plain_and_nested_under_one_tick(follow_up: str) -> None:
    question = QUESTIONS[follow_up]
    assert question.enable_when is not None and len(question.enable_when.conditions) == 1
    assert question.codes == ("yes", "no", "unsure")
    words = f"{question.label} {question.hint}"
    assert readability.grade(words) <= 7.0 and readability.longest_sentence(words) <= 20
    assert not re.search(r"\b(dyspnoea|nyha|exertion|cardiac)\b", words.lower())


# --- the "not sure" policy (docs/clinical-safety.md): "I'm not sure" on a deciding follow-up is the higher answer ----
NOT_SURE = {  # follow-up: (answers with it "I'm not sure", the higher rule, the lower rule or None)
    "bp_controlled": ({**HIGH_BP, "bp_controlled": "unsure"}, "cv_hypertension_uncontrolled", "cv_hypertension"),
    "thyroid_controlled": (
        {"other_conditions": ["overactive_thyroid"], "thyroid_controlled": "unsure"},
        "endo_hyperthyroidism_uncontrolled",
        None,
    ),
    "liver_severity": (
        {"other_conditions": ["liver_disease"], "liver_severity": "unsure"},
        "hep_severe_liver_disease",
        "hep_liver_disease_or_risk",
    ),
    "heart_failure_breathless": (
        {"heart_conditions": ["heart_failure"], "heart_failure_breathless": "unsure"},
        "cv_heart_failure_or_valve_severe",
        "cv_heart_failure_or_valve_disease",
    ),
    "valve_breathless": (
        {"heart_conditions": ["valve_disease"], "valve_breathless": "unsure"},
        "cv_heart_failure_or_valve_severe",
        "cv_heart_failure_or_valve_disease",
    ),
}


@pytest.mark.parametrize("follow_up", NOT_SURE)
def test_not_sure_on_a_deciding_follow_up_fires_the_higher_rule_and_says_not_sure(follow_up: str) -> None:
    changes, higher, lower = NOT_SURE[follow_up]
    result = {flag.rule_id: flag for flag in evaluate(answers(**changes), today=TODAY)}
    assert higher in result
    assert f"{QUESTIONS[follow_up].short}: I'm not sure" in result[higher].evidence
    assert "not answered" not in result[higher].evidence
    assert lower not in result


def _unanswered_follow_ups(trigger: Any) -> Iterator[str]:
    if isinstance(trigger, Unanswered):
        yield trigger.follow_up
    for part in getattr(trigger, "parts", ()):
        yield from _unanswered_follow_ups(part)


def test_not_sure_policy_covers_every_deciding_follow_up_that_offers_not_sure() -> None:
    deciding = {qid for rule in RULES for qid in _unanswered_follow_ups(rule.trigger)}
    with_not_sure = {qid for qid in deciding if "unsure" in QUESTIONS[qid].codes}
    assert with_not_sure == set(NOT_SURE)


def test_sources_are_short_citations_and_their_notes_name_known_sources() -> None:
    """The staff page and the one-page summary print every cited source in full as a legend: a citation, not a
    quotation (what a source says, for clinical review, goes in SOURCE_NOTES)."""
    from screening.rules import SOURCE_NOTES

    assert {key: len(text) for key, text in SOURCES.items() if len(text) > 160} == {}
    assert set(SOURCE_NOTES) <= set(SOURCES)
    assert all(len(note) > len(SOURCES[key]) for key, note in SOURCE_NOTES.items())
