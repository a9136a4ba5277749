"""Ten full-answer vignettes for rule set 2026.3 (issue 11), each with its exact flag set.

Each vignette is the healthy baseline of clinical-rules.md with the stated changes, every follow-up its answers show
answered, evaluated on 2026-11-24 by an en-GB clinic (the default). The expected flags were written from the labels
and guidelines the rules cite (the reason is beside each vignette), before running the code, not copied from its
output. Medicine lines use only names the medicine list knows, so that no "unrecognised medicine" flag appears.
"""

from __future__ import annotations

from typing import Any

import pytest

from screening.rules import RULESET_VERSION, Severity, evaluate
from tests.answer_sets import TODAY, answers, born, phq9

VIGNETTES: dict[str, tuple[dict[str, Any], set[str]]] = {
    # 67-year-old man with COPD, on modified-release morphine and diazepam at night: an opioid with a
    # benzodiazepine (FDA 2016 boxed warning) is a combined sedation load (discuss), on top of each medicine's own
    # caution; COPD is less respiratory reserve (esketamine label: respiratory depression); 65+; back pain has weak
    # or no evidence (ASRA). STOP-Bang 2 (male, over 50): not high.
    "W1 COPD, morphine and diazepam": (
        {
            "date_of_birth": born(67),
            "sex_at_birth": "male",
            "pain_conditions": ["back_neck"],
            "pain_duration": "gt_5y",
            "other_conditions": ["lung_disease"],
            "medicines": ["MST Continus 30mg bd", "diazepam 5mg at night", "salbutamol inhaler"],
        },
        {
            "age_65_plus",
            "resp_lung_disease",
            "med_sedation_load",
            "med_opioid",
            "med_benzodiazepine",
            "pain_condition_evidence",
        },
    ),
    # 72-year-old woman on memantine: the memantine SmPC says avoid other NMDA antagonists such as ketamine
    # (caution); her blood pressure is treated but she is not sure it is controlled, which counts as not controlled
    # (the "not sure" policy), so the uncontrolled-hypertension rule replaces the plain hypertension caution;
    # post-herpetic pain has weak or no evidence.
    "W2 memantine, blood pressure control not sure": (
        {
            "date_of_birth": born(72),
            "pain_conditions": ["post_herpetic"],
            "heart_conditions": ["high_blood_pressure"],
            "bp_controlled": "unsure",
            "bp_crisis_recent": "no",
            "bp_systolic": 150,
            "bp_diastolic": 85,
            "medicines": ["memantine 10mg", "amlodipine 5mg"],
        },
        {"age_65_plus", "med_nmda_antagonist", "cv_hypertension_uncontrolled", "pain_condition_evidence"},
    ),
    # 40-year-old woman with fibromyalgia on low-dose naltrexone and amitriptyline, PHQ-9 11: naltrexone blocks
    # opioid analgesia on the day (REVIA label), but it is neither an opioid nor opioid-addiction treatment (issue 11
    # item 4); PHQ-9 >= 10; fibromyalgia: weak or no evidence, and NICE NG193 (en-GB) advises not to initiate
    # ketamine for chronic primary pain.
    "W3 low-dose naltrexone, fibromyalgia": (
        {
            "date_of_birth": born(40),
            "pain_conditions": ["fibromyalgia"],
            "pain_locations": ["widespread"],
            "medicines": ["low dose naltrexone 4.5mg", "amitriptyline 10mg at night"],
            **phq9(2, 2, 2, 1, 1, 1, 1, 1, 0),
        },
        {"med_opioid_antagonist", "psych_scores_elevated", "pain_condition_evidence"},
    ),
    # 61-year-old man with heart failure (not sure whether he is breathless at rest or on light activity), valve
    # disease without breathlessness, and atrial fibrillation: "not sure" counts as yes, and NYHA III-IV is severe
    # myocardial disease, a UK Ketalar SmPC contraindication (discuss), which replaces the heart-failure caution;
    # arrhythmia is a listed adverse reaction; neuropathic pain: weak or no evidence.
    "W4 heart failure, breathlessness not sure": (
        {
            "date_of_birth": born(61),
            "sex_at_birth": "male",
            "pain_conditions": ["neuropathic"],
            "heart_conditions": ["heart_failure", "valve_disease", "arrhythmia"],
            "heart_failure_breathless": "unsure",
            "valve_breathless": "no",
            "medicines": ["bisoprolol 2.5mg", "furosemide 40mg", "apixaban 5mg bd"],
        },
        {"cv_heart_failure_or_valve_severe", "cv_arrhythmia", "pain_condition_evidence"},
    ),
    # 28-year-old woman with CRPS and porphyria who used ketamine and cannabis this year and had a frightening
    # reaction to ketamine: ketamine is "unsafe (avoid)" in the acute porphyrias (UK list, discuss); a previous
    # adverse reaction to ketamine is a listed contraindication; ketamine misuse (abuse, bladder); cannabis is
    # context only; the drug-use rule does not repeat the ketamine answer; CRPS: moderate evidence up to 12 weeks.
    "W5 porphyria, ketamine use with a bad reaction": (
        {
            "date_of_birth": born(28),
            "pain_conditions": ["crps"],
            "pain_duration": "6_12m",
            "other_conditions": ["porphyria"],
            "drugs_past_year": ["cannabis", "ketamine"],
            "ketamine_use_bad_reaction": "yes",
        },
        {
            "metab_porphyria",
            "psych_prior_adverse_reaction_ketamine",
            "sub_ketamine_or_pcp_misuse",
            "sub_cannabis_use",
            "pain_condition_evidence",
        },
    ),
    # 49-year-old man, not sure whether he has had ketamine, who was very frightened by a medicine given in an
    # ambulance, and who had treatment for alcohol in the past (now does not drink): a possible previous adverse
    # reaction to ketamine (check the records); a history of substance use disorder (esketamine label: careful
    # consideration); phantom limb pain: weak or no evidence.
    "W6 not sure about ketamine, past alcohol treatment": (
        {
            "date_of_birth": born(49),
            "sex_at_birth": "male",
            "pain_conditions": ["phantom_limb"],
            "previous_ketamine": "unsure",
            "previous_ketamine_unsure_reaction": "yes",
            "substance_treatment_ever": "yes",
            "substance_treatment_for": ["alcohol"],
        },
        {"psych_prior_adverse_reaction_ketamine", "sub_substance_use_history", "pain_condition_evidence"},
    ),
    # 55-year-old woman with arthritis, liver disease of unknown severity and an overactive thyroid she is not sure
    # is settled: both "not sure" answers count as the higher answer, so severe liver disease (avoid in severe
    # impairment) and hyperthyroidism not known to be controlled (a label contraindication), and not the milder
    # liver caution; arthritis has no ASRA grade, so no pain-evidence flag.
    "W7 liver and thyroid, both not sure": (
        {
            "date_of_birth": born(55),
            "other_conditions": ["liver_disease", "overactive_thyroid"],
            "liver_severity": "unsure",
            "thyroid_controlled": "unsure",
        },
        {"hep_severe_liver_disease", "endo_hyperthyroidism_uncontrolled"},
    ),
    # 38-year-old man on Buvidal (buprenorphine for opioid addiction) and gabapentin, who used cocaine this year:
    # buprenorphine is an opioid and with a gabapentinoid a combined sedation load (FDA 2019); opioid-use disorder
    # from the product and his own answers; non-prescribed drug use in the past year (one use is enough); cocaine
    # and the BP effect; the opioid and the gabapentinoid each keep their own caution; neuropathic pain: weak.
    "W8 Buvidal, gabapentin and cocaine": (
        {
            "date_of_birth": born(38),
            "sex_at_birth": "male",
            "pain_conditions": ["neuropathic"],
            "medicines": ["Buvidal 128mg", "gabapentin 600mg tds"],
            "medication_checklist": ["gabapentinoid", "opioid_addiction_treatment"],
            "drugs_past_year": ["cocaine"],
            "substance_treatment_ever": "yes",
            "substance_treatment_for": ["opioids"],
        },
        {
            "sub_active_substance_misuse",
            "med_sedation_load",
            "sub_opioid_use_disorder",
            "med_opioid",
            "med_other_cns_depressant",
            "med_psychostimulant",
            "pain_condition_evidence",
        },
    ),
    # 33-year-old breastfeeding woman with CRPS on pregabalin, with no one to take her home: breastfeeding is not
    # advised (esketamine label); accompanied discharge is required; a gabapentinoid adds CNS depression (but no
    # opioid, so no combined load); CRPS: moderate evidence, and NICE NG193 for an en-GB clinic.
    "W9 breastfeeding, CRPS, no escort": (
        {
            "date_of_birth": born(33),
            "pain_conditions": ["crps"],
            "pain_duration": "1_5y",
            "pregnancy_status": "breastfeeding",
            "has_escort": "no",
            "medicines": ["pregabalin 150mg bd", "paracetamol 1g qds"],
        },
        {"preg_breastfeeding", "prac_no_escort_home", "med_other_cns_depressant", "pain_condition_evidence"},
    ),
    # 70-year-old man with valve disease, breathless on light activity, a past stroke, taking dextromethorphan for a
    # cough: NYHA III-IV valve disease (discuss); a previous stroke is a listed contraindication (a BP surge);
    # dextromethorphan is another NMDA antagonist (memantine label, extrapolated); 65+; ischaemic pain: weak.
    "W10 symptomatic valve disease, stroke, dextromethorphan": (
        {
            "date_of_birth": born(70),
            "sex_at_birth": "male",
            "pain_conditions": ["ischaemic"],
            "heart_conditions": ["valve_disease", "stroke_tia"],
            "valve_breathless": "yes",
            "medicines": ["clopidogrel 75mg", "dextromethorphan 15mg"],
        },
        {
            "cv_heart_failure_or_valve_severe",
            "cv_stroke_or_tia",
            "age_65_plus",
            "med_nmda_antagonist",
            "pain_condition_evidence",
        },
    ),
}


def _flags(name: str) -> dict[str, Any]:
    return {flag.rule_id: flag for flag in evaluate(answers(**VIGNETTES[name][0]), today=TODAY)}


def test_vignettes_are_ten_for_rule_set_2026_3() -> None:
    assert len(VIGNETTES) == 10
    assert RULESET_VERSION == "2026.3"


@pytest.mark.parametrize("name", VIGNETTES)
def test_vignette_2026_3_gives_exactly_the_expected_flags(name: str) -> None:
    assert set(_flags(name)) == VIGNETTES[name][1]


@pytest.mark.parametrize("name", VIGNETTES)
def test_vignette_2026_3_flags_are_ordered_by_severity(name: str) -> None:
    ranks = [flag.severity.rank for flag in evaluate(answers(**VIGNETTES[name][0]), today=TODAY)]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize(
    ("name", "rule_id", "words"),
    [
        (
            "W2 memantine, blood pressure control not sure",
            "cv_hypertension_uncontrolled",
            "BP well controlled: I'm not sure",
        ),
        (
            "W3 low-dose naltrexone, fibromyalgia",
            "pain_condition_evidence",
            "Fibromyalgia: weak or no evidence, even short-term (NICE NG193: do not initiate ketamine for chronic "
            "primary pain)",
        ),
        ("W4 heart failure, breathlessness not sure", "cv_heart_failure_or_valve_severe", "I'm not sure"),
        (
            "W5 porphyria, ketamine use with a bad reaction",
            "psych_prior_adverse_reaction_ketamine",
            "Ketamine use (not prescribed): distressing reaction: Yes",
        ),
        (
            "W6 not sure about ketamine, past alcohol treatment",
            "sub_substance_use_history",
            "Substance treatment for: Alcohol",
        ),
        ("W7 liver and thyroid, both not sure", "hep_severe_liver_disease", "Liver disease severity: I'm not sure"),
        (
            "W8 Buvidal, gabapentin and cocaine",
            "med_sedation_load",
            "'gabapentin 600mg tds' - gabapentin (gabapentinoid)",
        ),
        (
            "W8 Buvidal, gabapentin and cocaine",
            "sub_active_substance_misuse",
            "Drugs in past 12 months (not prescribed): Cocaine or crack",
        ),
        ("W9 breastfeeding, CRPS, no escort", "pain_condition_evidence", "moderate evidence, benefit up to 12 weeks"),
        ("W10 symptomatic valve disease, stroke, dextromethorphan", "med_nmda_antagonist", "dextromethorphan"),
    ],
)
def test_vignette_2026_3_evidence_names_what_decided_it(name: str, rule_id: str, words: str) -> None:
    assert words in _flags(name)[rule_id].evidence


def test_vignette_severities_follow_the_issue() -> None:
    severity = {rule_id: flag.severity for name in VIGNETTES for rule_id, flag in _flags(name).items()}
    assert severity["med_sedation_load"] is Severity.DISCUSS
    assert severity["metab_porphyria"] is Severity.DISCUSS
    assert severity["cv_heart_failure_or_valve_severe"] is Severity.DISCUSS
    assert severity["med_nmda_antagonist"] is Severity.CAUTION
    assert severity["resp_lung_disease"] is Severity.CAUTION
    assert severity["sub_substance_use_history"] is Severity.CAUTION
