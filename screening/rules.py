"""The rule catalogue of clinical-rules.md (rule set 2026.2) and ``evaluate(answers)``.

A rule only flags an answer for a clinician to discuss; nothing here decides eligibility. Rules are
data: an id, a severity, a trigger (``triggers``), the clinician-facing rationale and its sources, the
rules that suppress it, and for a few a calm message for the patient. The catalogue is checked against
``questionnaire`` at import. Pure: standard library and the other pure modules only.
``python -m screening.rules`` prints the catalogue for clinical review.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from screening.clinical import medications, scoring
from screening.clinical.conditions import When, any_of, when
from screening.clinical.questionnaire import QUESTIONS, Answers, check_condition, clean_answers
from screening.clinical.triggers import (
    Age,
    AllOf,
    Answered,
    AnyOf,
    BloodPressure,
    Facts,
    GradedCodes,
    MedicineClass,
    MedicineLines,
    RuleConfig,
    ScoreAtLeast,
    StopBangHigh,
    Trigger,
    Unanswered,
    UnrecognisedMedicine,
    stored_locale,
)

RULESET_VERSION = "2026.3"
__all__ = [
    "RETIRED_RULE_IDS",
    "RULES",
    "RULESET_VERSION",
    "SOURCES",
    "Assessment",
    "Flag",
    "Rule",
    "RuleConfig",
    "Severity",
    "assess",
    "check_catalogue",
    "evaluate",
    "fingerprint",
    "stored_locale",
]


class Severity(StrEnum):
    """Highest first. ``rank`` is the queue priority (urgent 3 ... info 0)."""

    URGENT = "urgent"
    DISCUSS = "discuss"
    CAUTION = "caution"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"urgent": 3, "discuss": 2, "caution": 1, "info": 0}[self.value]


SOURCES: Mapping[str, str] = {
    "ASRA2018": "Cohen SP et al. Consensus guidelines on the use of intravenous ketamine infusions for chronic "
    "pain (ASRA, AAPM, ASA). Reg Anesth Pain Med 2018;43(5):521-546",
    "SPRAVATO": "SPRAVATO (esketamine) nasal spray, US Prescribing Information and REMS, Janssen",
    "KETALAR": "Ketamine hydrochloride injection (Ketalar) US labelling, and the UK SmPC (Pfizer, MHRA 2019)",
    "KETAMIN-CH": "Swiss product information (Swissmedic): Ketamin Sintetica, Ketamin Labatec, Esketamin Sintetica",
    "KETAMIN-DE": "German product information (Fachinformation): Ketamin-hameln 50 mg/ml",
    "MILLER": "Miller's Anesthesia, nonbarbiturate intravenous anaesthetics: side effects and contraindications",
    "KETAMAX-PI": "Ketamine product information: interactions with CNS depressants, thyroid hormones, "
    "theophylline, CYP3A4 inhibitors and inducers",
    "COTTER2021": "Cotter S et al. Repeated or continuous medically supervised ketamine administration "
    "associated with hepatobiliary adverse events. Drug Saf 2021",
    "CHAN2022": "Chan EOT et al. Systematic review and meta-analysis of ketamine-associated uropathy. Hong Kong "
    "Med J 2022;28(6):466-74",
    "PK-STUDIES": "Hagelberg 2010 (clarithromycin), Peltoniemi 2011 (ticlopidine, itraconazole), 2012 "
    "(rifampicin; St John's wort): oral S-ketamine interaction studies",
    "BENZO2023": "Andrashko 2020, Front Psychiatry 11:844; Feeney 2023, J Clin Psychiatry 84(1) - "
    "benzodiazepines dampen ketamine's antidepressant effect",
    "ANAND2000": "Anand A et al. Attenuation of the neuropsychiatric effects of ketamine with lamotrigine. Arch "
    "Gen Psychiatry 2000;57:270-6",
    "PEG2009": "Krebs EE et al. Development and initial validation of the PEG. J Gen Intern Med 2009;24(6):733-8",
    "PHQ9-2001": "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9. J Gen Intern Med 2001;16:606-13",
    "SIMON2013": "Simon GE et al. Does response on the PHQ-9 predict subsequent suicide attempt or death? "
    "Psychiatr Serv 2013",
    "GAD7-2006": "Spitzer RL et al. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch "
    "Intern Med 2006;166:1092-7",
    "AUDITC1998": "Bush K et al. The AUDIT alcohol consumption questions (AUDIT-C). Arch Intern Med "
    "1998;158:1789-95; Bradley 2003 (women)",
    "AUDITC-UK": "OHID (formerly PHE). Alcohol use screening tests: AUDIT-C, UK version (units; positive at 5 "
    "or more). GOV.UK",
    "STOPBANG2008": "Chung F et al. STOP questionnaire. Anesthesiology 2008;108:812-21; Chung 2012 Br J Anaesth "
    "108:768-75",
    "STOPBANG-ALT": "Chung F et al. Alternative scoring models of STOP-Bang. J Clin Sleep Med 2014;10:951-8; "
    "Chung F et al. Chest 2016;149:631-8; stopbang.ca scoring sheet",
    "ASA-OSA2014": "ASA practice guidelines for perioperative management of obstructive sleep apnea. "
    "Anesthesiology 2014;120:268-86",
    "IASP2019": "Treede RD et al. Chronic pain as a symptom or a disease: the IASP classification for ICD-11. "
    "Pain 2019;160:19-27",
    "BP-SERIES": "Blood pressure during subanaesthetic ketamine infusions: 684-infusion report (J Affect "
    "Disord) and Yale series, Gen Hosp Psychiatry 2024",
    "NICE-CG95": "NICE CG95. Recent-onset chest pain of suspected cardiac origin: assessment and diagnosis "
    "(2010, updated 2016)",
    "POSNER2011": "Posner K et al. The Columbia-Suicide Severity Rating Scale: initial validity and internal "
    "consistency findings. Am J Psychiatry 2011;168(12):1266-77",
    "BURKE2016": "Burke TA et al. Suicide risk characteristics among aborted, interrupted, and actual suicide "
    "attempters. Psychiatry Res 2016;242:357-64",
    "NICE-NG225": "NICE NG225. Self-harm: assessment, management and preventing recurrence (2022)",
    "NICE-NG193": "NICE NG193. Chronic pain (primary and secondary) in over 16s: assessment of all chronic pain "
    "and management of chronic primary pain (2021)",
    "NYHA": "New York Heart Association functional classes (9th ed. 1994): III, symptoms on less than ordinary "
    "activity; IV, symptoms at rest",
    "MEMANTINE-SMPC": "Memantine (Ebixa) Summary of Product Characteristics, section 4.4",
    "FDA-OPIOID-BZD-2016": "FDA Drug Safety Communication, 31 Aug 2016: boxed warnings on opioids with benzodiazepines "
    "or other CNS depressants",
    "FDA-GABAPENTINOID-2019": "FDA Drug Safety Communication, 19 Dec 2019: breathing difficulties with gabapentin or "
    "pregabalin",
    "NALTREXONE-PI": "Naltrexone hydrochloride (REVIA) US Prescribing Information",
    "PORPHYRIA-UK": "NHS Specialist Pharmacy Service and UK Porphyria Medicines Information Service (UKPMIS): "
    "medicines in the acute porphyrias",
}

#: What the longer sources say where the rules rely on them, for clinical review (``make rules`` prints them). The
#: citations above stay short: the staff page and the one-page summary print them in full as a legend.
SOURCE_NOTES: Mapping[str, str] = {
    "NICE-CG95": "NICE CG95. Recent-onset chest pain of suspected cardiac origin: assessment and diagnosis "
    "(2010, updated 2016). 1.2.1.3: symptoms that may indicate an ACS include 'new onset chest "
    "pain, or abrupt deterioration in previously stable angina, with recurrent chest pain "
    "occurring frequently and with little or no exertion'; 1.2.1.7: refer as an emergency if an "
    "ACS is suspected and there is chest pain now, or pain in the last 12 hours with a resting "
    "12-lead ECG abnormal or not available; 1.2.1.8: otherwise urgent same-day assessment if the "
    "last pain was within 72 hours; 1.2.1.11: 'Refer people to hospital as an emergency if they "
    "have a recent (confirmed or suspected) ACS and develop further chest pain'",
    "STOPBANG-ALT": "Chung F et al. Alternative scoring models of STOP-Bang questionnaire improve specificity to "
    "detect undiagnosed obstructive sleep apnea. J Clin Sleep Med 2014;10(9):951-8; Chung F, "
    "Abdullah HR, Liao P. STOP-Bang questionnaire: a practical approach to screen for obstructive "
    "sleep apnea. Chest 2016;149(3):631-8; scoring sheet (stopbang.ca, for general population): "
    "'High Risk of OSA: Yes to 5-8 questions or Yes to 2 or more of 4 STOP questions + male "
    "gender or Yes to 2 or more of 4 STOP questions + BMI > 35 kg/m2 or Yes to 2 or more of 4 "
    'STOP questions + neck circumference (17"/43cm in male, 16"/41cm in female)\'',
    "KETAMIN-CH": "Swiss product information (Swissmedic Fachinformation): Ketamin Sintetica (contraindicated: "
    "hypertension over 180/100 mmHg at rest, a previous cerebrovascular event, pre-eclampsia, "
    "untreated hyperthyroidism; caution: unstable angina or infarction within six months, cardiac "
    "decompensation); Ketamin Labatec (no driving for 24 h; leave with a responsible adult); "
    "Esketamin Sintetica (caution: heart failure, severe psychiatric disorders, past ones "
    "included)",
    "AUDITC-UK": "Office for Health Improvement and Disparities (formerly Public Health England), Alcohol use "
    "screening tests (GOV.UK): the UK AUDIT-C. 'How many units of alcohol do you drink on a "
    "typical day when you are drinking?'; 'How often have you had 6 or more units if female, or 8 "
    "or more if male, on a single occasion in the last year?'; 'An overall total score of 5 or "
    "above is AUDIT-C positive'",
    "POSNER2011": "Posner K et al. The Columbia-Suicide Severity Rating Scale: initial validity and internal "
    "consistency findings from three multisite studies with adolescents and adults. Am J "
    "Psychiatry 2011;168(12):1266-77 (suicidal behaviour includes interrupted and aborted "
    "attempts and preparatory acts; intent, or intent with a plan, predicted attempts)",
    "KETAMIN-DE": "German product information, Ketamin-hameln 50 mg/ml (contraindicated: hypertension over "
    "180/100 mmHg at rest, untreated hyperthyroidism; caution: unstable angina or infarction "
    "within six months, heart failure, raised intracranial or eye pressure, severe psychiatric "
    "disorders past ones included, alcohol)",
    "NICE-NG225": "NICE NG225. Self-harm: assessment, management and preventing recurrence (2022). Self-harm is "
    "'intentional self-poisoning or injury, irrespective of the apparent purpose'; risk "
    "assessment tools and scales are not to be used to predict suicide or to decide who is "
    "offered treatment",
    "PORPHYRIA-UK": "NHS Specialist Pharmacy Service with UKPMIS (Welsh Medicines Advice Service), acute "
    "porphyrias: induction agents 'Unsafe (avoid): Esketamine, Etomidate, Ketamine, Thiopental'; "
    "most medicines are safe in the non-acute porphyrias; advice: UKPMIS, National Acute "
    "Porphyria Service",
    "NICE-NG193": "NICE NG193. Chronic pain (primary and secondary) in over 16s (2021): 'Do not initiate any of "
    "the following to manage chronic primary pain in people aged 16 years and over: ... ketamine "
    "...'; chronic primary pain includes complex regional pain syndrome and fibromyalgia",
    "MEMANTINE-SMPC": "Memantine (Ebixa) SmPC 4.4: 'Concomitant use of N-methyl-D-aspartate (NMDA)-antagonists such "
    "as amantadine, ketamine or dextromethorphan should be avoided' (CNS adverse reactions may be "
    "more frequent or more pronounced)",
    "BURKE2016": "Burke TA et al. Suicide risk characteristics among aborted, interrupted, and actual suicide "
    "attempters. Psychiatry Res 2016;242:357-64 (few clinically meaningful differences from "
    "people who carried out an attempt)",
    "FDA-OPIOID-BZD-2016": "FDA Drug Safety Communication, 31 Aug 2016 (boxed warnings): opioids combined "
    "with benzodiazepines or other CNS depressants 'resulted in serious side effects, "
    "including slowed or difficult breathing and deaths'",
    "NALTREXONE-PI": "Naltrexone (REVIA) US label: patients 'may not benefit from opioid containing medicines'; "
    "opioid analgesia needs more opioid and 'the resulting respiratory depression may be deeper "
    "and more prolonged'",
    "FDA-GABAPENTINOID-2019": "FDA Drug Safety Communication, 19 Dec 2019: 'serious breathing difficulties may "
    "occur' with gabapentin or pregabalin and respiratory risk factors: opioids and "
    "other CNS depressants, COPD, older age",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One catalogue entry. ``not_with`` names earlier rules that suppress this one when they fire."""

    id: str
    severity: Severity
    title: str
    trigger: Trigger
    rationale: str
    sources: tuple[str, ...] = ()
    not_with: tuple[str, ...] = ()
    patient_message: str | None = None
    support_contacts: bool = False  # the confirmation page shows the clinic's crisis contacts with it


@dataclass(frozen=True, slots=True)
class Flag:
    """A rule that fired for one submission: a snapshot of the rule's words and the evidence."""

    rule_id: str
    severity: Severity
    title: str
    evidence: str
    rationale: str
    source: str | None
    patient_message: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything computed from one answer set, each part once: flags, scores, medicine matches."""

    flags: list[Flag]
    scores: dict[str, scoring.Score]
    medicines: MedicineLines
    config: RuleConfig
    answers: Answers


# --- catalogue-writing helpers -------------------------------------------------------------------
def _has(question: str, *codes: str) -> Trigger:
    parts = tuple(Answered(question, "has", code) for code in codes)
    return parts[0] if len(parts) == 1 else AnyOf(parts)


def _is(question: str, *values: str) -> Trigger:
    parts = tuple(Answered(question, "=", value) for value in values)
    return parts[0] if len(parts) == 1 else AnyOf(parts)


def _any(*parts: Trigger) -> AnyOf:
    return AnyOf(parts)


def _checklist(*codes: str) -> Trigger:
    return _has("medication_checklist", *codes)


def _med(*classes: str) -> MedicineClass:
    return MedicineClass(frozenset(classes))


def _unanswered(parent: When, *follow_ups: str) -> Trigger:
    parts = tuple(Unanswered(parent, follow_up) for follow_up in follow_ups)
    return parts[0] if len(parts) == 1 else AnyOf(parts)


def _shown_when(question: str) -> When:
    """The condition under which a follow-up is asked (its parent answer, for a fail-safe)."""
    condition = QUESTIONS[question].enable_when
    if condition is None:
        raise ValueError(f"{question} is always asked: it has no parent answer")
    return condition


_HIGH_BP = when("heart_conditions", "has", "high_blood_pressure")
_PHQ9_ITEM9 = when("phq9_9", ">=", 1)
# Ketamine and PCP have their own rule (sub_ketamine_or_pcp_misuse), cannabis its own information flag.
_OTHER_DRUGS = tuple(c for c in QUESTIONS["drugs_past_year"].codes if c not in ("cannabis", "ketamine", "pcp", "none"))
_WEAK = "weak or no evidence, even short-term"  # ASRA 2018: "weak or no evidence ... for immediate improvement"
_PAIN_GRADES = (
    ("crps", "moderate evidence, benefit up to 12 weeks"),
    ("spinal_cord_injury", "weak evidence, short-term benefit only"),
    *(
        (code, _WEAK)
        for code in (
            "neuropathic",
            "post_herpetic",
            "phantom_limb",
            "fibromyalgia",
            "cancer",
            "ischaemic",
            "migraine",
            "back_neck",
        )
    ),
)
_NG193 = "NICE NG193: do not initiate ketamine for chronic primary pain"
_PAIN_LOCALE_NOTES = (("en-GB", "crps", _NG193), ("en-GB", "fibromyalgia", _NG193))
_BREATHLESS = ("heart_failure_breathless", "valve_breathless")
_KETAMINE_REACTIONS = (
    "previous_ketamine_bad_reaction",
    "previous_ketamine_unsure_reaction",
    "ketamine_use_bad_reaction",
)
# A checklist tick or a listed medicine of the class, for the combined sedation load.
_OPIOID = _any(_checklist("opioid"), _med("opioid"))
_OTHER_SEDATIVE = _any(
    _checklist("benzodiazepine", "sleeping_tablet", "gabapentinoid"), _med("benzodiazepine", "z_drug", "gabapentinoid")
)
_SUPPORT_NOW = (
    "Thank you for telling us how you have been feeling. You do not have to wait for us. If you "
    "feel you might act on these thoughts, or you are not safe right now, please call the "
    "emergency number or one of the support lines below now. They can help, day or night."
)
_SUPPORT_IF_WORSE = (
    "Thank you for telling us how you have been feeling. If these thoughts get stronger, or "
    "you feel you might act on them, please call one of the support lines below or the "
    "emergency number. You do not have to wait for us."
)
# One message for both heart rules, so a patient for whom both fire reads it once (the confirmation page shows
# each distinct message once). Calm and plain: what to do, not what it might be.
_CHEST_PAIN = (
    "If you have chest pain now, call the emergency number straight away. If your chest pain is new "
    "or getting worse, please contact your doctor today. You do not have to wait for us to call you."
)
_CORONARY = when("heart_conditions", "has", "coronary_disease")
_HEART_ATTACK = when("heart_conditions", "has", "heart_attack")

URGENT, DISCUSS, CAUTION, INFO = Severity.URGENT, Severity.DISCUSS, Severity.CAUTION, Severity.INFO

RULES: tuple[Rule, ...] = (
    # --- cardiovascular ---
    Rule(
        "cv_bp_severely_elevated",
        DISCUSS,
        "Severely raised blood pressure",
        _any(BloodPressure("severe"), _is("bp_crisis_recent", "yes"), _unanswered(_HIGH_BP, "bp_crisis_recent")),
        "Ketamine raises blood pressure; a significant rise is a serious hazard at this baseline",
        ("ASRA2018", "KETALAR", "KETAMIN-CH"),
    ),
    # "I'm not sure" on a deciding follow-up counts as the higher-severity answer (docs/clinical-safety.md,
    # "Not sure" policy): here, and for thyroid control, liver severity and heart-failure or valve breathlessness.
    Rule(
        "cv_hypertension_uncontrolled",
        DISCUSS,
        "Uncontrolled hypertension (or not known to be controlled)",
        _any(
            AllOf((_has("heart_conditions", "high_blood_pressure"), _is("bp_controlled", "no", "unsure"))),
            _unanswered(_HIGH_BP, "bp_controlled"),
        ),
        "Poorly controlled or untreated hypertension is a listed contraindication; 'not sure' counts as not "
        "controlled until a reading or the GP record says otherwise",
        ("KETAMIN-CH", "KETAMIN-DE", "ASRA2018"),
        not_with=("cv_bp_severely_elevated",),
    ),
    Rule(
        "cv_hypertension",
        CAUTION,
        "Hypertension",
        _any(_has("heart_conditions", "high_blood_pressure"), BloodPressure("raised")),
        "Hypertensive patients have larger peaks during dosing; check BP on the day",
        ("SPRAVATO", "BP-SERIES"),
        not_with=("cv_bp_severely_elevated", "cv_hypertension_uncontrolled"),
    ),
    # Unstable angina and a recent heart attack were one discuss rule until 2026.2 (RETIRED_RULE_IDS). Two
    # questions feed it: angina_unstable (asked with coronary disease) and chest_pain_since_mi (asked with a heart
    # attack), each with its fail-safe: the follow-up decides between urgent and a lower rule, so unanswered fires.
    Rule(
        "cv_unstable_angina",
        URGENT,
        "Possible unstable angina: same-day assessment",
        _any(
            _is("angina_unstable", "yes"),
            _is("chest_pain_since_mi", "yes"),
            _unanswered(_CORONARY, "angina_unstable"),
            _unanswered(_HEART_ATTACK, "chest_pain_since_mi"),
        ),
        "Rest pain, or new or worsening angina, may be an acute coronary syndrome (NICE CG95 1.2.1.3); a "
        "recent ACS with further chest pain needs emergency referral (1.2.1.11). Call today to ask when the "
        "last pain was: pain now, or in the last 12 h without a normal ECG, needs emergency referral "
        "(1.2.1.7); pain within 72 h needs same-day assessment (1.2.1.8). Ketamine also increases myocardial "
        "oxygen demand",
        ("NICE-CG95", "ASRA2018", "KETALAR"),
        patient_message=_CHEST_PAIN,
    ),
    Rule(
        "cv_recent_mi",
        DISCUSS,
        "Heart attack in the past 6 months",
        _any(_is("heart_attack_recent", "yes"), _unanswered(_HEART_ATTACK, "heart_attack_recent")),
        "Recent myocardial infarction: ketamine increases myocardial oxygen demand and blood pressure; the Swiss "
        "and German labels advise special caution within six months of an infarction",
        ("ASRA2018", "KETALAR", "MILLER", "KETAMIN-CH", "KETAMIN-DE"),
        patient_message=_CHEST_PAIN,
    ),
    Rule(
        "cv_coronary_disease_stable",
        CAUTION,
        "Coronary disease or previous heart attack",
        _has("heart_conditions", "heart_attack", "coronary_disease"),
        "Baseline ECG advised with known or suspected cardiovascular disease",
        ("ASRA2018",),
        not_with=("cv_unstable_angina", "cv_recent_mi"),
    ),
    Rule(
        "cv_stroke_or_tia",
        DISCUSS,
        "Previous stroke or TIA",
        _has("heart_conditions", "stroke_tia"),
        "Prior cerebrovascular event is a listed contraindication: a BP surge could be harmful",
        ("KETALAR", "KETAMIN-CH"),
    ),
    Rule(
        "cv_aneurysm_avm_or_ich",
        DISCUSS,
        "Aneurysm, AVM or intracranial bleed",
        _has("heart_conditions", "aneurysm_or_brain_bleed"),
        "A BP rise could cause rupture or re-bleeding (esketamine label contraindication)",
        ("SPRAVATO", "MILLER"),
    ),
    # The breathlessness follow-ups decide between discuss and caution: yes, "not sure" or unanswered fire discuss.
    Rule(
        "cv_heart_failure_or_valve_severe",
        DISCUSS,
        "Heart failure or valve disease with breathlessness at rest or on light activity",
        _any(
            *(_is(question, "yes", "unsure") for question in _BREATHLESS),
            *(_unanswered(_shown_when(question), question) for question in _BREATHLESS),
        ),
        "Breathless at rest or on light activity (NYHA class III-IV) is severe heart disease: the UK Ketalar SmPC "
        "says not to use ketamine with 'severe coronary or myocardial disease' (severe valve disease "
        "extrapolated). Ketamine raises heart rate, blood pressure and myocardial oxygen demand and has a direct "
        "negative inotropic effect. 'Not sure' counts as yes; ask about symptoms and the latest echo",
        ("KETALAR", "NYHA", "KETAMIN-CH", "KETAMIN-DE"),
    ),
    Rule(
        "cv_heart_failure_or_valve_disease",
        CAUTION,
        "Heart failure or valve disease",
        _has("heart_conditions", "heart_failure", "valve_disease"),
        "Direct negative inotropic effect: the labels advise caution or cardiac monitoring in heart failure "
        "and cardiac decompensation",
        ("KETALAR", "KETAMIN-CH", "KETAMIN-DE"),
        not_with=("cv_heart_failure_or_valve_severe",),
    ),
    Rule(
        "cv_arrhythmia",
        CAUTION,
        "Arrhythmia or cardiac device",
        _has("heart_conditions", "arrhythmia"),
        "Arrhythmia is a listed adverse reaction",
        ("KETALAR", "SPRAVATO"),
    ),
    # --- endocrine, pregnancy ---
    Rule(
        "endo_hyperthyroidism_uncontrolled",
        DISCUSS,
        "Overactive thyroid not known to be controlled",
        _any(
            AllOf((_has("other_conditions", "overactive_thyroid"), Answered("thyroid_controlled", "!=", "yes"))),
            _unanswered(when("other_conditions", "has", "overactive_thyroid"), "thyroid_controlled"),
        ),
        "Untreated or insufficiently treated hyperthyroidism is a listed contraindication: thyrotoxicosis adds "
        "sympathetic stimulation. 'Not sure' counts as not settled",
        ("KETALAR", "KETAMIN-CH", "KETAMIN-DE"),
    ),
    Rule(
        "preg_pregnant",
        DISCUSS,
        "Pregnant or might be pregnant",
        _any(
            _is("pregnancy_status", "pregnant", "might_be"),
            _unanswered(any_of("sex_at_birth", "=", ("female", "intersex", "not_say")), "pregnancy_status"),
        ),
        "Pregnancy is a relative contraindication; esketamine may cause fetal harm",
        ("ASRA2018", "SPRAVATO"),
    ),
    Rule(
        "preg_planning",
        INFO,
        "Planning a pregnancy",
        _is("pregnancy_status", "planning"),
        "Discuss contraception and timing: pregnancy is a relative contraindication",
        ("ASRA2018", "SPRAVATO"),
    ),
    Rule(
        "preg_breastfeeding",
        DISCUSS,
        "Breastfeeding",
        _is("pregnancy_status", "breastfeeding"),
        "Passes into milk; breastfeeding not advised during treatment",
        ("SPRAVATO",),
    ),
    # --- psychiatric ---
    Rule(
        "psych_psychosis_current",
        DISCUSS,
        "Current psychotic symptoms",
        _any(_is("psychosis_current", "yes"), _unanswered(_shown_when("psychosis_current"), "psychosis_current")),
        "Active psychosis is a relative contraindication; ketamine can worsen it",
        ("ASRA2018", "SPRAVATO", "MILLER"),
    ),
    Rule(
        "psych_psychosis_history",
        CAUTION,
        "Past psychosis or family history of schizophrenia",
        _any(
            _is("psychosis_ever", "yes", "unsure"),
            _has("mental_health_history", "schizophrenia_psychosis"),
            _is("psychosis_family", "yes"),
        ),
        "Past psychosis or a first-degree relative with schizophrenia raises risk; the Swiss and German labels "
        "advise special caution with severe psychiatric disorders, past ones included",
        ("SPRAVATO", "KETAMIN-CH", "KETAMIN-DE"),
        not_with=("psych_psychosis_current",),
    ),
    Rule(
        "psych_mania_current",
        DISCUSS,
        "Recent manic symptoms",
        _is("mania_recent", "yes"),
        "Current mania is a common exclusion; manic symptoms have been reported (weak evidence)",
        ("SPRAVATO",),
    ),
    Rule(
        "psych_bipolar_history",
        CAUTION,
        "Bipolar disorder",
        _has("mental_health_history", "bipolar"),
        "Check mood stability (weak evidence)",
        ("SPRAVATO",),
    ),
    Rule(
        "psych_suicide_risk_urgent",
        URGENT,
        "Suicide risk: same-day assessment",
        _any(
            Answered("phq9_9", "=", 3),
            _is("self_harm_intent", "yes"),
            _is("self_harm_recent_attempt", "yes"),
            _unanswered(_PHQ9_ITEM9, "self_harm_intent", "self_harm_recent_attempt"),
        ),
        "Intent, a plan, daily thoughts, or in the past 3 months an attempt, a started, interrupted or aborted "
        "attempt, or preparations (all carry risk) need same-day assessment by a person, not a score",
        ("SIMON2013", "PHQ9-2001", "POSNER2011", "BURKE2016", "NICE-NG225"),
        patient_message=_SUPPORT_NOW,
        support_contacts=True,
    ),
    Rule(
        "psych_suicidal_ideation",
        DISCUSS,
        "Thoughts of death or self-harm (PHQ-9 item 9)",
        Answered("phq9_9", ">=", 1),
        "Any positive item 9 needs a structured suicide-risk assessment before treatment planning",
        ("SIMON2013",),
        not_with=("psych_suicide_risk_urgent",),
        patient_message=_SUPPORT_IF_WORSE,
        support_contacts=True,
    ),
    Rule(
        "psych_dissociative_disorder",
        CAUTION,
        "Dissociative disorder or frequent dissociation",
        _any(
            _has("mental_health_history", "dissociative_disorder"),
            _is("dissociation_frequent", "yes"),
            _unanswered(when("mental_health_history", "has", "ptsd"), "dissociation_frequent"),
        ),
        "Dissociation occurs in most esketamine-treated patients and may distress people with pre-existing "
        "dissociation (extrapolated)",
        ("SPRAVATO",),
    ),
    # Asked after ketamine treatment, after "not sure" to it (any medicine given in hospital, an ambulance or an
    # operation) and after non-prescribed ketamine use: each decides between this rule and none, so unanswered fires.
    Rule(
        "psych_prior_adverse_reaction_ketamine",
        DISCUSS,
        "Previous distressing reaction to ketamine",
        _any(
            *(_is(question, "yes") for question in _KETAMINE_REACTIONS),
            *(_unanswered(_shown_when(question), question) for question in _KETAMINE_REACTIONS),
        ),
        "A previous adverse reaction to ketamine is a listed contraindication. The evidence says which question: "
        "after ketamine treatment, after non-prescribed use, or a reaction to a medicine given in hospital, an "
        "ambulance or an operation by a patient not sure they had ketamine (check the records)",
        ("MILLER",),
    ),
    Rule(
        "psych_scores_elevated",
        INFO,
        "PHQ-9 or GAD-7 at or above 10",
        _any(ScoreAtLeast("phq9", 10), ScoreAtLeast("gad7", 10)),
        "Validated cut-points for probable depression / anxiety disorder",
        ("PHQ9-2001", "GAD7-2006"),
    ),
    # --- substances ---
    Rule(
        "sub_ketamine_or_pcp_misuse",
        DISCUSS,
        "Ketamine or PCP misuse",
        _any(_has("drugs_past_year", "ketamine", "pcp"), _has("substance_treatment_for", "ketamine")),
        "Abuse potential; chronic use harms bladder and liver",
        ("ASRA2018", "SPRAVATO", "CHAN2022"),
    ),
    # Until 2026.2 titled "Active substance misuse"; one use is enough, so the title says what it measures.
    Rule(
        "sub_active_substance_misuse",
        DISCUSS,
        "Non-prescribed drug use or prescribed-medicine misuse in the past 12 months",
        _any(_has("drugs_past_year", *_OTHER_DRUGS), _is("prescribed_misuse", "yes")),
        "Any use in the past 12 months counts, even once: ask about the pattern and current use. Serial "
        "infusions should not be given with active substance misuse (ASRA); the esketamine label advises "
        "careful consideration with a history of substance use disorder. Ketamine and PCP have their own rule",
        ("ASRA2018", "SPRAVATO"),
    ),
    Rule(
        "sub_cannabis_use",
        INFO,
        "Cannabis use",
        _has("drugs_past_year", "cannabis"),
        "Context for sedation and dissociation on the day",
    ),
    # The AUDIT-C version (and so its cut-off) is the clinic's locale's: UK (units, >= 5) or US (drinks, >= 4 / 3).
    Rule(
        "sub_alcohol_unhealthy",
        CAUTION,
        "Unhealthy alcohol use (AUDIT-C)",
        ScoreAtLeast("auditc"),
        "Adds sedation; reason for baseline liver tests",
        ("AUDITC1998", "AUDITC-UK", "ASRA2018"),
    ),
    Rule(
        "sub_opioid_use_disorder",
        CAUTION,
        "Opioid use disorder or its treatment",
        _any(
            _has("substance_treatment_for", "opioids"), _checklist("opioid_addiction_treatment"), _med("oud_treatment")
        ),
        "From the patient's own answers or a product licensed for opioid addiction (such as Suboxone, Subutex, "
        "Buvidal); plain methadone or buprenorphine (also given for pain) and naltrexone do not count. Universal "
        "precautions; opioids add CNS depression",
        ("ASRA2018", "SPRAVATO"),
    ),
    # Treatment for ketamine or opioids has its own rule above; this one is every other past treatment.
    Rule(
        "sub_substance_use_history",
        CAUTION,
        "Past treatment for alcohol or drug use",
        _any(
            _has("substance_treatment_for", "alcohol", "stimulants", "cannabis", "other"),
            _unanswered(_shown_when("substance_treatment_for"), "substance_treatment_for"),
        ),
        "A history of substance use disorder: the esketamine label advises careful consideration before "
        "treatment and monitoring for abuse or dependence; ketamine has abuse potential",
        ("SPRAVATO", "ASRA2018"),
    ),
    # --- liver, bladder, neurological, eye, airway, allergy, age ---
    Rule(
        "hep_severe_liver_disease",
        DISCUSS,
        "Severe liver disease (or severity not known)",
        _any(
            _is("liver_severity", "severe", "unsure"),
            _unanswered(when("other_conditions", "has", "liver_disease"), "liver_severity"),
        ),
        "Hepatic clearance; avoid in severe impairment. 'Not sure' counts as severe until liver tests or the "
        "records say otherwise",
        ("ASRA2018", "KETALAR"),
    ),
    Rule(
        "hep_liver_disease_or_risk",
        CAUTION,
        "Liver disease",
        _is("liver_severity", "moderate"),
        "Repeated dosing is associated with cholestatic injury: baseline liver tests",
        ("ASRA2018", "COTTER2021"),
        not_with=("hep_severe_liver_disease",),
    ),
    Rule(
        "uro_ketamine_cystitis_history",
        DISCUSS,
        "Previous ketamine bladder damage",
        _has("other_conditions", "ketamine_bladder"),
        "Ketamine uropathy relapses on re-exposure",
        ("CHAN2022", "KETALAR"),
    ),
    Rule(
        "uro_lower_urinary_symptoms",
        CAUTION,
        "Lower urinary tract symptoms",
        _has("other_conditions", "bladder_symptoms"),
        "Typical presentation of ketamine uropathy: record a baseline",
        ("CHAN2022", "KETALAR"),
    ),
    Rule(
        "neuro_raised_icp_or_mass",
        DISCUSS,
        "Raised intracranial pressure or mass",
        _has("other_conditions", "raised_brain_pressure"),
        "Ketamine can raise intracranial pressure",
        ("ASRA2018", "MILLER", "KETAMAX-PI"),
    ),
    Rule(
        "neuro_recent_head_injury",
        DISCUSS,
        "Head injury in the past 3 months",
        _has("other_conditions", "head_injury_recent"),
        "Cerebral trauma: ICP effects and confounded neurological assessment (the 3-month window is a product "
        "choice; no source gives one)",
        ("KETALAR", "MILLER"),
    ),
    Rule(
        "neuro_epilepsy",
        CAUTION,
        "Epilepsy or seizures",
        _has("other_conditions", "epilepsy"),
        "Seizure-like movements; some co-medicines lower the threshold (weak evidence)",
        ("KETALAR", "KETAMAX-PI"),
    ),
    Rule(
        "eye_glaucoma_or_raised_iop",
        DISCUSS,
        "Glaucoma, raised eye pressure or recent eye injury",
        _has("other_conditions", "glaucoma", "eye_injury_recent"),
        "Raised intraocular pressure: avoid or use extreme caution",
        ("ASRA2018", "KETALAR"),
    ),
    Rule(
        "resp_osa_risk",
        CAUTION,
        "Obstructive sleep apnoea or high STOP-Bang",
        _any(_has("other_conditions", "sleep_apnoea"), StopBangHigh()),
        "Airway obstruction risk with sedating drugs",
        ("STOPBANG2008", "STOPBANG-ALT", "ASA-OSA2014"),
    ),
    Rule(
        "resp_lung_disease",
        CAUTION,
        "COPD or other significant lung disease",
        _has("other_conditions", "lung_disease"),
        "Less respiratory reserve: the esketamine label warns of respiratory depression (monitor breathing, "
        "with pulse oximetry, for at least 2 hours), and COPD is a named risk factor when sedating medicines "
        "are combined. Record baseline oxygen saturation; home oxygen needs planning for the day",
        ("SPRAVATO", "FDA-GABAPENTINOID-2019"),
    ),
    Rule(
        "metab_porphyria",
        DISCUSS,
        "Porphyria: ketamine is listed unsafe in the acute porphyrias",
        _has("other_conditions", "porphyria"),
        "Ketamine and esketamine are listed 'unsafe (avoid)' in the acute porphyrias (acute intermittent, "
        "variegate, hereditary coproporphyria): they may provoke an acute attack. Ask which type: most medicines "
        "are safe in the non-acute (skin) porphyrias. The evidence is case reports and laboratory models; ask "
        "UKPMIS or the National Acute Porphyria Service before any dose",
        ("PORPHYRIA-UK",),
    ),
    Rule(
        "allergy_ketamine",
        DISCUSS,
        "Allergy to ketamine or esketamine",
        _is("allergy_ketamine", "yes"),
        "Hypersensitivity is a label contraindication",
        ("SPRAVATO", "KETALAR"),
    ),
    Rule(
        "allergy_ketamine_unsure",
        CAUTION,
        "Possible allergy to ketamine",
        _is("allergy_ketamine", "unsure"),
        "Possible previous reaction: check records before any dose",
        ("SPRAVATO", "KETALAR"),
    ),
    Rule(
        "age_under_18",
        DISCUSS,
        "Under 18",
        Age("<", 18),
        "Not established below 16-18; the guideline concerns adults (defensive: the form stops minors)",
        ("SPRAVATO", "KETALAR"),
    ),
    Rule(
        "age_65_plus",
        CAUTION,
        "Aged 65 or over",
        Age(">=", 65),
        "Larger BP rises; cautious dosing in older adults. Dizziness, vertigo and sedation after a dose make "
        "falls more likely, and a fall harms an older person more: plan the walk out and the journey home",
        ("BP-SERIES", "KETALAR", "SPRAVATO"),
    ),
    # --- medicines ---
    Rule(
        "med_benzodiazepine",
        CAUTION,
        "Benzodiazepine",
        _any(_checklist("benzodiazepine"), _med("benzodiazepine")),
        "Added sedation; may blunt ketamine's effect",
        ("BENZO2023", "SPRAVATO"),
    ),
    Rule(
        "med_other_cns_depressant",
        CAUTION,
        "Other CNS depressant",
        _any(
            _checklist("sleeping_tablet", "gabapentinoid", "antipsychotic"),
            _med(
                "z_drug", "gabapentinoid", "muscle_relaxant", "sedating_antihistamine", "antipsychotic", "barbiturate"
            ),
        ),
        "Potentiates CNS and respiratory depression",
        ("KETAMAX-PI", "SPRAVATO"),
    ),
    Rule(
        "med_opioid",
        CAUTION,
        "Opioid",
        _any(_checklist("opioid"), _med("opioid")),
        "More sedation, longer recovery",
        ("SPRAVATO", "KETALAR"),
    ),
    # From the checklist ticks and/or the medicine list: an opioid plus any of the three, each named in the evidence.
    Rule(
        "med_sedation_load",
        DISCUSS,
        "Opioid with a benzodiazepine, Z-drug or gabapentinoid",
        AllOf((_OPIOID, _OTHER_SEDATIVE)),
        "Combined sedation load: an opioid with a benzodiazepine or another CNS depressant (a boxed warning since "
        "2016), or with a gabapentinoid (FDA 2019), has caused slowed or difficult breathing and deaths; a "
        "sedating treatment adds to it. Plan monitoring (pulse oximetry), dose timing on the day and who "
        "watches the patient overnight",
        ("FDA-OPIOID-BZD-2016", "FDA-GABAPENTINOID-2019", "SPRAVATO"),
    ),
    Rule(
        "med_opioid_antagonist",
        CAUTION,
        "Opioid blocker (naltrexone)",
        MedicineClass(frozenset({"opioid_antagonist"})),
        "Naltrexone (low-dose for pain included) blocks opioids: opioid analgesia on the treatment day may not "
        "work, and enough opioid to overcome the block may cause deeper, longer respiratory depression. Plan "
        "analgesia without opioids and ask when the last dose was",
        ("NALTREXONE-PI",),
    ),
    Rule(
        "med_nmda_antagonist",
        CAUTION,
        "Other NMDA antagonist (memantine, amantadine, dextromethorphan)",
        MedicineClass(frozenset({"nmda_antagonist"})),
        "Same receptor as ketamine: the memantine label says to avoid other NMDA antagonists such as amantadine, "
        "ketamine or dextromethorphan, as CNS adverse reactions may be more frequent or more pronounced (the "
        "same is assumed for amantadine and dextromethorphan with ketamine)",
        ("MEMANTINE-SMPC",),
    ),
    Rule(
        "med_maoi",
        CAUTION,
        "MAO inhibitor",
        _any(_checklist("maoi"), _med("maoi")),
        "May raise blood pressure: close BP monitoring",
        ("SPRAVATO",),
    ),
    Rule(
        "med_psychostimulant",
        CAUTION,
        "Psychostimulant",
        _any(_checklist("stimulant"), _med("stimulant"), _has("drugs_past_year", "cocaine", "amphetamines")),
        "Enhances the blood-pressure effect",
        ("SPRAVATO", "KETALAR"),
    ),
    Rule(
        "med_theophylline",
        DISCUSS,
        "Theophylline or aminophylline",
        _any(_checklist("theophylline"), _med("theophylline")),
        "Lowers the seizure threshold; extensor-type seizures reported",
        ("KETAMAX-PI",),
    ),
    Rule(
        "med_lamotrigine",
        INFO,
        "Lamotrigine",
        _any(_checklist("lamotrigine"), _med("lamotrigine")),
        "Attenuated ketamine's perceptual effects; effect on benefit unknown",
        ("ANAND2000",),
    ),
    Rule(
        "med_cyp_inhibitor",
        CAUTION,
        "CYP3A4 inhibitor",
        _med("cyp3a4_inhibitor"),
        "Clarithromycin raised oral S-ketamine exposure 2.6-fold (itraconazole did not)",
        ("PK-STUDIES",),
    ),
    Rule(
        "med_cyp_inducer",
        INFO,
        "CYP inducer",
        _any(_checklist("st_johns_wort"), _med("cyp_inducer")),
        "Rifampicin -86%, St John's wort -58% oral S-ketamine exposure",
        ("PK-STUDIES", "KETAMAX-PI"),
    ),
    Rule(
        "med_thyroid_hormone",
        INFO,
        "Thyroid hormone",
        _any(_checklist("thyroid_hormone"), _med("thyroid_hormone")),
        "Higher risk of hypertension and tachycardia",
        ("KETAMAX-PI",),
    ),
    Rule(
        "med_ketamine_current",
        INFO,
        "Already taking ketamine or esketamine",
        _med("ketamine"),
        "Already receiving ketamine or esketamine",
    ),
    Rule(
        "med_unrecognised",
        INFO,
        "Unrecognised medicine",
        UnrecognisedMedicine(),
        'Listed verbatim: an unrecognised medicine is never read as "no interaction"',
    ),
    # --- practicalities, pain ---
    Rule(
        "prac_no_escort_home",
        DISCUSS,
        "No escort home",
        _is("has_escort", "no"),
        "Patients must be accompanied home after treatment",
        ("SPRAVATO", "KETALAR", "KETAMIN-CH"),
    ),
    Rule(
        "prac_cannot_avoid_driving_24h",
        DISCUSS,
        "Cannot avoid driving for 24 hours",
        _is("can_avoid_driving", "no"),
        "No driving or machinery for 24 h / until the next day",
        ("KETAMIN-CH", "SPRAVATO"),
    ),
    Rule(
        "pain_duration_under_3_months",
        INFO,
        "Pain for less than 3 months",
        _is("pain_duration", "lt_3m"),
        "Chronic pain persists or recurs for more than 3 months",
        ("IASP2019",),
    ),
    Rule(
        "pain_condition_evidence",
        INFO,
        "Evidence for ketamine in this pain condition",
        GradedCodes("pain_conditions", _PAIN_GRADES, _PAIN_LOCALE_NOTES),
        "Strength of evidence varies by condition (ASRA 2018 grades; 'weak or no evidence' includes short-term "
        "relief); the evidence names each condition and its grade. In en-GB clinics, NICE NG193 advises not to "
        "initiate ketamine for chronic primary pain (such as CRPS or fibromyalgia)",
        ("ASRA2018", "NICE-NG193"),
    ),
)
RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in RULES}
_ORDER = {rule.id: index for index, rule in enumerate(RULES)}

#: Rule ids no longer in the catalogue, with why (stored flags keep them): an id is never reused.
RETIRED_RULE_IDS: Mapping[str, str] = {
    "cv_recent_mi_or_unstable_angina": "2026.2: split into cv_unstable_angina (urgent) and cv_recent_mi (discuss)",
}


# --- evaluation ------------------------------------------------------------------------------------
def _flag(rule: Rule, evidence: list[str]) -> Flag:
    return Flag(
        rule.id,
        rule.severity,
        rule.title,
        "; ".join(dict.fromkeys(evidence)),
        rule.rationale,
        ", ".join(rule.sources) or None,
        rule.patient_message,
    )


def assess(
    answers: Mapping[str, Any] | Answers,
    *,
    today: date | None = None,
    config: RuleConfig | None = None,
    locale: str | None = None,
) -> Assessment:
    """Clean ``answers`` once, then compute scores, medicine matches and flags from them.

    Unknown keys, answers of the wrong type and hidden follow-ups are treated as unanswered; a
    comparison on an unanswered question is false, except the documented fail-safes (a deciding
    follow-up left unanswered fires the higher-severity rule, with the evidence "not answered").
    ``config`` defaults to ``RuleConfig()``; ``locale`` (the clinic's SCREENING_LOCALE, which worded the
    questionnaire) replaces its ``locale``: it picks the AUDIT-C version (UK in en-GB, US in en-US). The
    ``Assessment.config`` is what was used, to be stored. Never raises on bad input (a locale other than
    en-GB or en-US raises ValueError).
    """
    today = today or date.today()
    config = config or RuleConfig()
    if locale is not None and locale != config.locale:
        config = replace(config, locale=locale)
    cleaned = answers if isinstance(answers, Answers) else clean_answers(answers)
    medicines = medications.match_list(cleaned.get("current_medications") or "")
    scores = scoring.score_all(cleaned, today=today, locale=config.locale)
    facts = Facts(cleaned, scores, medicines, config, today)
    fired: dict[str, Flag] = {}
    for rule in RULES:
        if rule.not_with and not fired.keys().isdisjoint(rule.not_with):
            continue
        evidence = rule.trigger.evidence(facts)
        if evidence:
            fired[rule.id] = _flag(rule, evidence)
    flags = sorted(fired.values(), key=lambda flag: (-flag.severity.rank, _ORDER[flag.rule_id]))
    return Assessment(flags, scores, medicines, config, cleaned)


def evaluate(
    answers: Mapping[str, Any],
    *,
    today: date | None = None,
    config: RuleConfig | None = None,
    locale: str | None = None,
) -> list[Flag]:
    """The flags for one answer set, ordered by severity (urgent, discuss, caution, info) then by
    catalogue order. Each flag names the answers that fired it. See ``assess`` for the semantics."""
    return assess(answers, today=today, config=config, locale=locale).flags


def fingerprint() -> str:
    """A digest of the catalogue, the config defaults and the medicine vocabulary: a change to any
    of them without a new RULESET_VERSION fails the pinned test."""
    catalogue = [
        [
            rule.id,
            rule.severity.value,
            rule.title,
            rule.trigger.describe(),
            rule.rationale,
            list(rule.sources),
            list(rule.not_with),
            rule.patient_message,
            rule.support_contacts,
        ]
        for rule in RULES
    ]
    payload = json.dumps(
        [catalogue, asdict(RuleConfig()), dict(SOURCES), medications.vocabulary_fingerprint()],
        sort_keys=True,
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- checks on the catalogue itself, run at import -------------------------------------------------
_RULE_ID = re.compile(r"[a-z]+_[a-z0-9_]+")


def check_catalogue(catalogue: tuple[Rule, ...]) -> None:
    """Raise ValueError unless every rule has a unique id that was never retired, known sources,
    suppressors that come before it, and conditions that name questions and codes ``questionnaire``
    defines."""
    seen: set[str] = set()
    for rule in catalogue:
        if not _RULE_ID.fullmatch(rule.id) or rule.id in seen:
            raise ValueError(f"bad or repeated rule id {rule.id!r}")
        if rule.id in RETIRED_RULE_IDS:
            raise ValueError(f"{rule.id} is retired ({RETIRED_RULE_IDS[rule.id]}): rule ids are never reused")
        if not set(rule.not_with) <= seen:
            raise ValueError(f"{rule.id}: suppressing rules must come earlier in the catalogue")
        if unknown := set(rule.sources) - set(SOURCES):
            raise ValueError(f"{rule.id}: unknown sources {sorted(unknown)}")
        for condition in rule.trigger.conditions():
            check_condition(condition)
        seen.add(rule.id)


check_catalogue(RULES)


# --- python -m screening.rules -------------------------------------------------------------------------
def catalogue_table(width: int = 160) -> str:
    """The catalogue as a fixed-width table a clinician can review, with sources and defaults."""
    id_width = max(len(rule.id) for rule in RULES)
    free = max(width, 100) - id_width - 8 - 4 * 2
    widths = [id_width, 8, free * 4 // 9, free * 3 // 9, free * 2 // 9]
    lines = [
        f"Screening rule set {RULESET_VERSION}: {len(RULES)} rules (fingerprint {fingerprint()[:12]}).",
        "Each rule flags an answer for a clinician to discuss; none decides eligibility.",
        "",
    ]

    def row(cells: list[str]) -> None:
        wrapped = [
            textwrap.wrap(cell, w, break_long_words=False) or [""] for cell, w in zip(cells, widths, strict=True)
        ]
        for i in range(max(len(w) for w in wrapped)):
            cells_i = [(w[i] if i < len(w) else "").ljust(n) for w, n in zip(wrapped, widths, strict=True)]
            lines.append("  ".join(cells_i).rstrip())

    row(["id", "severity", "trigger", "rationale", "source"])
    row(["-" * w for w in widths])
    for rule in RULES:
        trigger = rule.trigger.describe()
        if rule.not_with:
            trigger += f"; not with {', '.join(rule.not_with)}"
        row([rule.id, rule.severity.value, trigger, rule.rationale, ", ".join(rule.sources) or "-"])
        lines.append("")
    lines.append(
        "Configurable thresholds (defaults): "
        + ", ".join(f"{key} = {value}" for key, value in asdict(RuleConfig()).items())
    )
    lines.extend(["", "Sources:", *(f"  {key}: {text}" for key, text in SOURCES.items())])
    lines.extend(["", "What the sources say:", *(f"  {key}: {text}" for key, text in SOURCE_NOTES.items())])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the catalogue (``--width N`` to fit a wider or narrower terminal)."""
    args = sys.argv[1:] if argv is None else argv
    width = int(args[1]) if len(args) == 2 and args[0] == "--width" and args[1].isdigit() else 160
    print(catalogue_table(width))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
