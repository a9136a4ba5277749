"""THE definition of the questionnaire (version 2): steps, question ids, types, answer codes and labels,
hints, required, conditions between questions, and which stored answers are valid.

Pure: imports only the standard library and ``conditions``. Everything else (web forms, check-your-
answers, staff pages, summary, exports, rules, scores) is generated from or checked against this module,
so a question is written once. Question ids and answer codes are permanent (``questionnaire.md``).
The file is long because it is the whole questionnaire as plain data; the logic is at the end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Literal

from screening.clinical.conditions import Condition, When, any_of, when
from screening.clinical.dates import parse_date

#: 2: self_harm_recent_attempt also asks about started, stopped and prepared attempts. 3 (issue 11): lung disease
#: and porphyria ticks; breathlessness with heart failure or valve disease; the distressing-reaction question also
#: after "not sure" to previous ketamine and after ketamine use; the opioid-addiction tick excludes low-dose
#: naltrexone for pain.
QUESTIONNAIRE_VERSION = "4"
CONSENT_VERSION = "1"
MAX_AGE_YEARS = 110


class QType(StrEnum):
    """Answer types of questionnaire.md, with the stored value described in ``valid_value``."""

    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    TEL = "tel"
    DATE = "date"
    INT = "int"
    MEASURE = "measure"  # a height or weight: a number to one decimal in the metric ``unit`` (cm, kg)
    CHOICE = "choice"
    MULTI = "multi"
    YESNO = "yesno"
    YESNOUNSURE = "yesnounsure"
    SCALE = "scale"
    LIKERT4 = "likert4"
    CONSENT = "consent"
    CHECKBOX = "checkbox"


TEXT_TYPES = frozenset({QType.TEXT, QType.TEXTAREA, QType.EMAIL, QType.TEL})
CODED_TYPES = frozenset({QType.CHOICE, QType.MULTI, QType.YESNO, QType.YESNOUNSURE})
INTEGER_TYPES = frozenset({QType.INT, QType.SCALE, QType.LIKERT4})
EXCLUSIVE_CODE = "none"


class Topic(StrEnum):
    """Where the doctor's one-page summary prints a question: among the facts at its top (``CONTACT``) or as a key
    answer under the heading that is the topic's value, the headings in this order. A question without a topic is not
    on the summary; ``summary.LEFT_OUT`` says why for each (a test makes every new question take a side)."""

    CONTACT = "Contact"
    PAIN = "Pain"
    TREATMENTS = "Treatments and allergies"
    HEALTH = "Heart and other conditions"
    MENTAL_HEALTH = "Mental health"
    SUBSTANCES = "Substances"
    PRACTICALITIES = "Practicalities"


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option: the permanent ``code`` that is stored, and the words the patient sees."""

    code: str
    label: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One question. ``short`` is the clinician-facing name (staff pages, summary, CSV headings);
    ``error`` is the message when a required answer is missing ("Enter ...", "Select yes if ..."); ``unit`` follows
    a number in words ("170 cm"); ``topic`` puts the answer on the doctor's summary (``Topic``)."""

    id: str
    type: QType
    label: str
    short: str
    error: str = ""
    hint: str = ""
    required: bool = True
    options: tuple[Option, ...] = ()
    enable_when: When | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    name: str = ""  # patient-facing name that starts built messages ("Your height must be between ...")
    unit: str = ""
    topic: Topic | None = None
    codes: tuple[str, ...] = field(init=False, repr=False, compare=False)  # the option codes, in order

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", tuple(option.code for option in self.options))

    def option_label(self, code: str, locale: str | None = None) -> str:
        """The patient-facing label of ``code`` (the code itself if unknown); with ``locale``, in its words
        (``localise``: a label may say ``{name}``)."""
        for option in self.options:
            if option.code == code:
                return option.label if locale is None else localise(option.label, locale)
        return code

    def label_in(self, locale: str) -> str:
        """The label in ``locale``'s words (``localise``)."""
        return localise(self.label, locale)


CheckKind = Literal["one_of_required", "required_when", "both_or_neither", "less_than", "not_both", "mobile_when"]


@dataclass(frozen=True, slots=True)
class Check:
    """A rule between several answers of one step, with the message shown next to ``questions[0]``.

    one_of_required: at least one of ``questions``; required_when: ``questions[0]`` when ``condition``;
    both_or_neither; less_than: ``questions[0] < questions[1]``; not_both: never both answered; mobile_when: the
    phone number ``questions[0]`` can get text messages when ``condition`` (the web layer tells, with phonenumbers).
    """

    kind: CheckKind
    questions: tuple[str, ...]
    message: str
    condition: When | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One page of the questionnaire. ``intro`` says in one line why the clinic asks."""

    id: str
    title: str
    intro: str
    questions: tuple[Question, ...]
    enable_when: When | None = None
    checks: tuple[Check, ...] = ()
    attribution: str = ""

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)


# --- answer option sets -------------------------------------------------------------------------
YES_NO = (Option("yes", "Yes"), Option("no", "No"))
YES_NO_UNSURE = (*YES_NO, Option("unsure", "I'm not sure"))
NONE_OF_THESE = Option(EXCLUSIVE_CODE, "None of these")
LIKERT4 = (
    Option("0", "Not at all"),
    Option("1", "Several days"),
    Option("2", "More than half the days"),
    Option("3", "Nearly every day"),
)
SCALE_0_10 = tuple(Option(str(n), str(n)) for n in range(11))
PHQ_STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
GAD_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
PEG_INTERFERE_HINT = "0 means it does not interfere. 10 means it completely interferes."

#: Standard drink wording by locale (``SCREENING_LOCALE``): the AUDIT-C hints say ``{standard_drink}``.
STANDARD_DRINK = {
    "en-GB": "One unit is 8 g of alcohol, such as half a pint of ordinary-strength beer, lager or cider, or a "
    "single 25 ml measure of spirits. A 175 ml glass of wine is about 2 units.",
    "en-US": "One drink is one US standard drink (14 g of alcohol), such as a 12 oz can of "
    "regular beer, a 5 oz glass of wine or a 1.5 oz shot of spirits.",
}
DEFAULT_LOCALE = "en-GB"  # SCREENING_LOCALE's default (config.py)
#: Words that differ by locale, filled in where a label, hint, error or option label says ``{name}``
#: (``localise``; the web layer translates each piece). The AUDIT-C is one set of questions with one set of
#: stored codes ("0"-"4", scored by code), worded as the UK version in en-GB (OHID, "Alcohol use screening
#: tests": units, binge item at 6 units for women and 8 for men) and as the US version in en-US (Bush 1998,
#: NIAAA / VA: standard drinks, "six or more drinks"); ``scoring.auditc`` applies the version's cut-off.
LOCALE_WORDS: Mapping[str, Mapping[str, str]] = {
    "en-GB": {
        "standard_drink": STANDARD_DRINK["en-GB"],
        "auditc_2_label": "How many units of alcohol do you drink on a typical day when you are drinking?",
        "auditc_2_error": "how many units of alcohol you drink on a typical day when you are drinking",
        "auditc_2_0": "0 to 2",
        "auditc_2_1": "3 to 4",
        "auditc_2_2": "5 to 6",
        "auditc_3_label": "How often have you had 6 or more units if female, or 8 or more if male, on a single "
        "occasion in the last year?",
        "auditc_3_error": "how often you have had 6 or more units if female, or 8 or more if male, on a single "
        "occasion in the last year",
    },
    "en-US": {
        "standard_drink": STANDARD_DRINK["en-US"],
        "auditc_2_label": "How many standard drinks containing alcohol do you have on a typical day?",
        "auditc_2_error": "how many drinks you have on a typical day",
        "auditc_2_0": "1 or 2",
        "auditc_2_1": "3 or 4",
        "auditc_2_2": "5 or 6",
        "auditc_3_label": "How often do you have six or more drinks on one occasion?",
        "auditc_3_error": "how often you have six or more drinks on one occasion",
    },
}
LOCALES = tuple(LOCALE_WORDS)
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def localise(text: str, locale: str, translate: Callable[[str], str] = str) -> str:
    """``text`` with each ``{name}`` of ``LOCALE_WORDS[locale]`` filled in (``translate``d: the web layer passes
    gettext); an unknown locale reads as ``DEFAULT_LOCALE``. Text without placeholders comes back as it is."""
    if "{" not in text:
        return text
    words = LOCALE_WORDS.get(locale, LOCALE_WORDS[DEFAULT_LOCALE])
    return _PLACEHOLDER.sub(lambda found: translate(words[found[1]]) if found[1] in words else found[0], text)


def _options(*pairs: tuple[str, str] | tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(*pair) for pair in pairs)


def _yesno(
    qid: str,
    label: str,
    short: str,
    error: str,
    hint: str = "",
    enable_when: When | None = None,
    topic: Topic | None = None,
) -> Question:
    return Question(qid, QType.YESNO, label, short, error, hint, options=YES_NO, enable_when=enable_when, topic=topic)


def _yesnounsure(
    qid: str,
    label: str,
    short: str,
    error: str,
    hint: str = "",
    enable_when: When | None = None,
    topic: Topic | None = None,
) -> Question:
    return Question(
        qid, QType.YESNOUNSURE, label, short, error, hint, options=YES_NO_UNSURE, enable_when=enable_when, topic=topic
    )


def _likert(qid: str, label: str, stem: str, short: str = "") -> Question:
    instrument, item = qid.split("_")
    short = short or f"{'PHQ-9' if instrument == 'phq9' else 'GAD-7'} item {item}"
    return Question(
        qid,
        QType.LIKERT4,
        label,
        short,
        f"Select how often you have been bothered by “{label}”",
        stem,
        options=LIKERT4,
        min_value=0,
        max_value=3,
    )


def _scale(qid: str, label: str, short: str, hint: str, error: str) -> Question:
    return Question(qid, QType.SCALE, label, short, error, hint, options=SCALE_0_10, min_value=0, max_value=10)


def _optional_text(
    qid: str,
    qtype: QType,
    label: str,
    short: str,
    max_length: int,
    hint: str = "",
    enable_when: When | None = None,
    name: str = "",
    topic: Topic | None = None,
) -> Question:
    return Question(
        qid,
        qtype,
        label,
        short,
        hint=hint,
        required=False,
        max_length=max_length,
        enable_when=enable_when,
        name=name,
        topic=topic,
    )


# --- 0. start ----------------------------------------------------------------------------------
START = Step(
    "start",
    "Before you start",
    "Nothing you type is kept until you agree to this.",
    (
        Question(
            "consent_store",
            QType.CONSENT,
            "I agree that the clinic stores my answers and that its staff review them",
            "Consent to store answers",
            "Tick the box to agree that the clinic stores your answers, so that you can start",
        ),
    ),
)

# --- 1. about you ------------------------------------------------------------------------------
ABOUT_YOU = Step(
    "about_you",
    "About you",
    "We need to know who you are and how to reach you.",
    (
        Question(
            "full_name", QType.TEXT, "Full name", "Name", "Enter your full name", max_length=200, name="Your full name"
        ),
        Question(
            "date_of_birth",
            QType.DATE,
            "Date of birth",
            "Date of birth",
            "Enter your date of birth",
            "For example, 27 3 1980",
        ),
        Question(
            "sex_at_birth",
            QType.CHOICE,
            "What sex were you registered at birth?",
            "Sex at birth",
            "Select the sex you were registered at birth",
            "We ask because some medicines affect people differently, and a few questions only apply to some people.",
            options=_options(
                ("female", "Female"), ("male", "Male"), ("intersex", "Intersex"), ("not_say", "I'd rather not say")
            ),
        ),
        _optional_text(
            "email",
            QType.EMAIL,
            "Email address",
            "Email",
            254,
            "We will only use it to contact you about this request.",
            name="Your email address",
            topic=Topic.CONTACT,
        ),
        _optional_text(
            "phone",
            QType.TEL,
            "Phone number",
            "Phone",
            30,
            "Include the area code, for example 01632 960 001.",
            name="Your phone number",
            topic=Topic.CONTACT,
        ),
        Question(
            "preferred_contact",
            QType.CHOICE,
            "How would you like us to contact you?",
            "Preferred contact",
            "Select how you would like us to contact you",
            options=_options(("email", "Email"), ("phone", "Phone call"), ("text", "Text message")),
            topic=Topic.CONTACT,
        ),
        Question(
            "referral_source",
            QType.CHOICE,
            "Who suggested you contact us?",
            "Referred by",
            "Select who suggested you contact us",
            options=_options(
                ("self", "No one, I found you myself"),
                ("primary_care", "My GP or family doctor"),
                ("pain_specialist", "A pain specialist"),
                ("mental_health", "A mental health professional"),
                ("other", "Someone else"),
            ),
        ),
        # Version 4 (issue 13): referrer_name follows four of the five options, and a GOV.UK reveal sits under one
        # option only, so it is asked on the last page ("practicalities"), once this answer is known.
    ),
    checks=(
        Check(
            "one_of_required",
            ("email", "phone"),
            "Enter an email address or a phone number, so that we can contact you",
        ),
        Check(
            "required_when",
            ("email",),
            "Enter your email address, or choose another way for us to contact you",
            when("preferred_contact", "=", "email"),
        ),
        Check(
            "required_when",
            ("phone",),
            "Enter your phone number, or choose another way for us to contact you",
            any_of("preferred_contact", "=", ("phone", "text")),
        ),
        Check(
            "mobile_when",
            ("phone",),
            "Enter a mobile number to get text messages, or choose another way for us to contact you",
            when("preferred_contact", "=", "text"),
        ),
    ),
)

# --- 2. pain -----------------------------------------------------------------------------------
PAIN = Step(
    "pain",
    "Your pain",
    "This helps us understand your pain and what is known about ketamine for it.",
    (
        Question(
            "pain_conditions",
            QType.MULTI,
            "What has your pain been diagnosed as?",
            "Pain conditions",
            "Select what your pain has been diagnosed as, or that you do not have a diagnosis yet",
            "Select all that apply.",
            options=_options(
                ("crps", "Complex regional pain syndrome (CRPS)"),
                ("neuropathic", "Nerve pain, such as neuropathy or sciatica"),
                ("post_herpetic", "Pain after shingles"),
                ("phantom_limb", "Phantom limb pain"),
                ("spinal_cord_injury", "Pain after a spinal cord injury"),
                ("fibromyalgia", "Fibromyalgia"),
                ("back_neck", "Long-term back or neck pain"),
                ("migraine", "Headache or migraine"),
                ("arthritis", "Arthritis"),
                ("cancer", "Pain from cancer or its treatment"),
                ("ischaemic", "Pain from poor blood flow (circulation)"),
                ("pelvic", "Pelvic pain"),
                ("other", "Something else"),
                ("undiagnosed", "I do not have a diagnosis yet"),
            ),
            topic=Topic.PAIN,
        ),
        Question(
            "pain_conditions_other",
            QType.TEXT,
            "What else has your pain been diagnosed as?",
            "Other pain condition",
            "Enter what else your pain has been diagnosed as",
            max_length=200,
            enable_when=when("pain_conditions", "has", "other"),
            name="Your other diagnosis",
            topic=Topic.PAIN,
        ),
        Question(
            "pain_locations",
            QType.MULTI,
            "Where do you feel the pain?",
            "Pain locations",
            "Select where you feel the pain",
            "Select all that apply.",
            options=_options(
                ("head_face", "Head or face"),
                ("neck", "Neck"),
                ("arms", "Arms or hands"),
                ("upper_back", "Upper back"),
                ("lower_back", "Lower back"),
                ("chest_abdomen", "Chest or tummy"),
                ("pelvis", "Pelvis or hips"),
                ("legs", "Legs or feet"),
                ("widespread", "All over my body"),
            ),
            topic=Topic.PAIN,
        ),
        Question(
            "pain_duration",
            QType.CHOICE,
            "How long have you had this pain?",
            "Pain duration",
            "Select how long you have had this pain",
            options=_options(
                ("lt_3m", "Less than 3 months"),
                ("3_6m", "3 to 6 months"),
                ("6_12m", "6 to 12 months"),
                ("1_5y", "1 to 5 years"),
                ("gt_5y", "More than 5 years"),
            ),
            topic=Topic.PAIN,
        ),
        _scale(
            "peg_pain",
            "What number best describes your pain on average in the past week?",
            "PEG 1: average pain (past week)",
            "0 means no pain. 10 means pain as bad as you can imagine.",
            "Select a number from 0 to 10 for your pain on average in the past week",
        ),
        _scale(
            "peg_enjoyment",
            "What number best describes how, during the past week, pain has interfered with your enjoyment of life?",
            "PEG 2: interference with enjoyment of life",
            PEG_INTERFERE_HINT,
            "Select a number from 0 to 10 for how pain has interfered with your enjoyment of life",
        ),
        _scale(
            "peg_activity",
            "What number best describes how, during the past week, pain has interfered with your general activity?",
            "PEG 3: interference with general activity",
            PEG_INTERFERE_HINT,
            "Select a number from 0 to 10 for how pain has interfered with your general activity",
        ),
        _optional_text(
            "pain_description",
            QType.TEXTAREA,
            "Tell us about your pain in your own words (optional)",
            "Pain in own words",
            2000,
            "For example, what it feels like and what makes it better or worse.",
            name="What you wrote about your pain",
            topic=Topic.PAIN,
        ),
    ),
    attribution="The PEG scale is from Krebs EE et al., J Gen Intern Med 2009, and is derived from "
    "the Brief Pain Inventory.",
)

# --- 3. treatments -----------------------------------------------------------------------------
_HAD_KETAMINE = when("previous_ketamine", "=", "yes")
TREATMENTS = Step(
    "treatments",
    "Treatments you have tried",
    "Knowing what you have tried helps the clinician plan your consultation.",
    (
        Question(
            "treatments_tried",
            QType.MULTI,
            "Which of these have you tried for your pain?",
            "Treatments tried",
            "Select the treatments you have tried, or select 'None of these'",
            "Select all that apply.",
            options=(
                *_options(
                    ("physio", "Physiotherapy or an exercise programme"),
                    ("talking_therapy", "Talking therapy, such as CBT or a pain management programme"),
                    (
                        "nerve_pain_medicines",
                        "Nerve pain medicines",
                        "such as amitriptyline, duloxetine, gabapentin or pregabalin",
                    ),
                    ("anti_inflammatories", "Anti-inflammatory painkillers", "such as ibuprofen or naproxen"),
                    ("opioids", "Opioid painkillers", "such as codeine, tramadol, morphine or oxycodone"),
                    ("injections", "Injections", "such as nerve blocks or steroid injections"),
                    ("spinal_cord_stimulator", "A spinal cord stimulator"),
                    ("surgery", "Surgery"),
                    ("acupuncture", "Acupuncture"),
                ),
                NONE_OF_THESE,
            ),
            topic=Topic.TREATMENTS,
        ),
        _yesnounsure(
            "previous_ketamine",
            "Have you had ketamine or esketamine as a treatment before?",
            "Previous ketamine treatment",
            "Select yes if you have had ketamine or esketamine as a treatment before",
            "Esketamine is a nasal spray, also called Spravato.",
            topic=Topic.TREATMENTS,
        ),
        Question(
            "previous_ketamine_effect",
            QType.CHOICE,
            "How well did it work for you?",
            "Previous ketamine: effect",
            "Select how well ketamine worked for you",
            options=_options(
                ("helped_a_lot", "It helped a lot"),
                ("helped_a_little", "It helped a little"),
                ("no_difference", "It made no difference"),
                ("worse", "It made things worse"),
            ),
            enable_when=_HAD_KETAMINE,
            topic=Topic.TREATMENTS,
        ),
        _yesno(
            "previous_ketamine_bad_reaction",
            "Did you have a frightening or upsetting reaction to it?",
            "Previous ketamine: distressing reaction",
            "Select yes if you had a frightening or upsetting reaction to ketamine",
            "For example, seeing or hearing things that were not there, or panic.",
            enable_when=_HAD_KETAMINE,
            topic=Topic.TREATMENTS,
        ),
        _optional_text(
            "previous_ketamine_notes",
            QType.TEXTAREA,
            "Anything else about your ketamine treatment? (optional)",
            "Previous ketamine: notes",
            1000,
            enable_when=_HAD_KETAMINE,
            name="What you wrote about your ketamine treatment",
            topic=Topic.TREATMENTS,
        ),
        # Version 3: "not sure" has its own follow-up, nested under that one option (a follow-up on two options
        # could not be nested and would be shown to everyone). It asks about any medicine given where ketamine is used.
        _yesno(
            "previous_ketamine_unsure_reaction",
            "Has a medicine ever made you feel very scared or upset?",
            "Not sure about ketamine: a medicine (hospital, ambulance, operation) made them scared or upset",
            "Select yes if a medicine has ever made you feel very scared or upset",
            "Think of times in hospital, in an ambulance or at an operation. Ketamine is sometimes used there. You "
            "may have seen or heard things that were not there, or felt panic.",
            enable_when=when("previous_ketamine", "=", "unsure"),
            topic=Topic.TREATMENTS,
        ),
    ),
)

# --- 4. medicines ------------------------------------------------------------------------------
MEDICATIONS = Step(
    "medications",
    "Your medicines",
    "Some medicines change how ketamine works or how safe it is, so we need them all.",
    (
        Question("no_medications", QType.CHECKBOX, "I don't take any medicines", "No medicines", required=False),
        Question(
            "current_medications",
            QType.TEXTAREA,
            "Which medicines do you take?",
            "Current medicines",
            "Enter the medicines you take, or tick 'I don't take any medicines'",
            "Put each medicine on its own line, with the dose if you know it. Include medicines "
            "you buy yourself, herbal remedies and patches.",
            max_length=3000,
            enable_when=when("no_medications", "exists", False),
            name="Your list of medicines",
        ),
        Question(
            "medication_checklist",
            QType.MULTI,
            "Do you take any of these?",
            "Medicine checklist",
            "Select the medicines you take from the list, or select 'None of these'",
            "Select all that apply, even if you have listed them already.",
            options=(
                *_options(
                    (
                        "benzodiazepine",
                        "Benzodiazepines",
                        "such as diazepam, alprazolam, lorazepam, clonazepam or temazepam",
                    ),
                    ("sleeping_tablet", "Sleeping tablets", "such as zopiclone or zolpidem"),
                    ("gabapentinoid", "Gabapentinoids", "such as pregabalin or gabapentin"),
                    ("lamotrigine", "Lamotrigine"),
                    ("maoi", "MAOI antidepressants", "such as phenelzine, tranylcypromine, selegiline or moclobemide"),
                    (
                        "opioid",
                        "Opioid painkillers",
                        "such as tramadol, codeine, co-codamol, "
                        "oxycodone, morphine, or a fentanyl or buprenorphine patch",
                    ),
                    (
                        "opioid_addiction_treatment",
                        "Treatment for opioid addiction",
                        "such as buprenorphine, methadone or naltrexone. Do not tick this for low-dose naltrexone "
                        "taken for pain.",
                    ),
                    ("stimulant", "Stimulants", "such as methylphenidate, lisdexamfetamine, amphetamine or modafinil"),
                    ("theophylline", "Theophylline or aminophylline", "for asthma or COPD"),
                    ("thyroid_hormone", "Thyroid hormone", "such as levothyroxine"),
                    ("antipsychotic", "Antipsychotics", "such as olanzapine or quetiapine"),
                    ("st_johns_wort", "St John's wort", "a herbal remedy for low mood"),
                ),
                NONE_OF_THESE,
            ),
        ),
        _yesno(
            "opioid_daily",
            "Do you take opioid painkillers every day?",
            "Opioids daily",
            "Select yes if you take opioid painkillers every day",
            enable_when=when("medication_checklist", "has", "opioid"),
            topic=Topic.TREATMENTS,
        ),
        _yesnounsure(
            "allergy_ketamine",
            "Have you ever had an allergic reaction to ketamine or esketamine?",
            "Allergy to ketamine",
            "Select yes if you have had an allergic reaction to ketamine or esketamine",
            topic=Topic.TREATMENTS,
        ),
        _optional_text(
            "other_allergies",
            QType.TEXTAREA,
            "Do you have any other allergies? (optional)",
            "Other allergies",
            500,
            "For example, to medicines, plasters or foods. Say what happened.",
            name="Your list of other allergies",
            topic=Topic.TREATMENTS,
        ),
    ),
    checks=(
        Check(
            "not_both",
            ("current_medications", "no_medications"),
            "You ticked 'I don't take any medicines' and also listed medicines. Remove the medicines or untick the box",
        ),
    ),
)

# --- 5. health ---------------------------------------------------------------------------------
_HIGH_BP = when("heart_conditions", "has", "high_blood_pressure")
_LIGHT_THINGS = "Light things are things like getting dressed, or a slow walk on flat ground for a minute or two."
HEALTH = Step(
    "health",
    "Your health",
    "Ketamine can raise blood pressure and affect the heart, "
    "brain, liver, bladder and breathing, so we ask about each.",
    (
        Question(
            "heart_conditions",
            QType.MULTI,
            "Have you ever had any of these heart or circulation conditions?",
            "Heart and circulation",
            "Select the heart or circulation conditions you have had, or select 'None of these'",
            "Select all that apply.",
            options=(
                *_options(
                    ("high_blood_pressure", "High blood pressure"),
                    ("heart_attack", "A heart attack"),
                    ("coronary_disease", "Angina, a stent or a heart bypass"),
                    ("heart_failure", "Heart failure (a weak heart)"),
                    ("valve_disease", "Heart valve disease"),
                    ("arrhythmia", "An irregular heartbeat, a pacemaker or a defibrillator"),
                    ("stroke_tia", "A stroke or mini-stroke (TIA)"),
                    (
                        "aneurysm_or_brain_bleed",
                        "An aneurysm, an AVM, or bleeding in or around the brain",
                        "An aneurysm is a bulge in a blood vessel anywhere in the body. An AVM is a "
                        "tangle of blood vessels.",
                    ),
                ),
                NONE_OF_THESE,
            ),
            topic=Topic.HEALTH,
        ),
        _yesnounsure(
            "bp_controlled",
            "Is your blood pressure well controlled?",
            "BP well controlled",
            "Select yes if your blood pressure is well controlled",
            "For example, your readings are usually normal with treatment.",
            enable_when=_HIGH_BP,
            topic=Topic.HEALTH,
        ),
        _yesno(
            "bp_crisis_recent",
            "In the past 3 months, has a doctor or nurse told you that your blood pressure was dangerously high?",
            "Hypertensive crisis in past 3 months",
            "Select yes if you have been told your blood pressure was dangerously high in the past 3 months",
            enable_when=_HIGH_BP,
            topic=Topic.HEALTH,
        ),
        Question(
            "bp_systolic",
            QType.INT,
            "Your last blood pressure reading: top number (optional)",
            "BP systolic (mmHg)",
            hint="If you know it. In 130/85, the top number is 130.",
            required=False,
            min_value=60,
            max_value=260,
            name="The top number",
            topic=Topic.HEALTH,
            unit="mmHg",
        ),
        Question(
            "bp_diastolic",
            QType.INT,
            "Your last blood pressure reading: bottom number (optional)",
            "BP diastolic (mmHg)",
            hint="In 130/85, the bottom number is 85.",
            required=False,
            min_value=30,
            max_value=160,
            name="The bottom number",
            topic=Topic.HEALTH,
            unit="mmHg",
        ),
        _yesno(
            "heart_attack_recent",
            "Have you had a heart attack in the past 6 months?",
            "Heart attack in past 6 months",
            "Select yes if you have had a heart attack in the past 6 months",
            enable_when=when("heart_conditions", "has", "heart_attack"),
            topic=Topic.HEALTH,
        ),
        # Version 2 (unreleased): angina_unstable is asked only with coronary_disease, and a follow-up on two options
        # could not be nested under either, so a heart attack has its own chest-pain question (NICE CG95 1.2.1.11: a
        # recent ACS with further chest pain is an emergency referral; hazard H2 in docs/clinical-safety.md).
        _yesno(
            "chest_pain_since_mi",
            "Since your heart attack, have you had chest pain when resting, or chest "
            "pain that is new or getting worse?",
            "Chest pain since heart attack (at rest, new or worsening)",
            "Select yes if, since your heart attack, you have had chest pain when resting, or chest pain that "
            "is new or getting worse",
            enable_when=when("heart_conditions", "has", "heart_attack"),
            topic=Topic.HEALTH,
        ),
        _yesno(
            "angina_unstable",
            "Do you get chest pain when resting, or is your angina new or getting worse?",
            "Unstable angina",
            "Select yes if you get chest pain when resting, or your angina is new or getting worse",
            enable_when=when("heart_conditions", "has", "coronary_disease"),
            topic=Topic.HEALTH,
        ),
        # Version 3: breathless at rest or on light activity (NYHA class III-IV) is severe heart disease, a label
        # contraindication. One follow-up per tick, each nested under its own option (a follow-up on two options could
        # not be nested and would be shown to everyone); "I'm not sure" counts as yes (docs/clinical-safety.md).
        _yesnounsure(
            "heart_failure_breathless",
            "Does your heart failure make you out of breath when you rest, or when you do light things?",
            "Heart failure: breathless at rest or on light activity (NYHA III-IV)",
            "Select yes if your heart failure makes you out of breath when you rest or do light things",
            _LIGHT_THINGS,
            enable_when=when("heart_conditions", "has", "heart_failure"),
            topic=Topic.HEALTH,
        ),
        _yesnounsure(
            "valve_breathless",
            "Does your heart valve problem make you out of breath when you rest, or when you do light things?",
            "Valve disease: breathless at rest or on light activity (NYHA III-IV)",
            "Select yes if your heart valve problem makes you out of breath when you rest or do light things",
            _LIGHT_THINGS,
            enable_when=when("heart_conditions", "has", "valve_disease"),
            topic=Topic.HEALTH,
        ),
        Question(
            "other_conditions",
            QType.MULTI,
            "Do you have, or have you had, any of these?",
            "Other conditions",
            "Select the conditions you have had, or select 'None of these'",
            "Select all that apply.",
            options=(
                *_options(
                    ("liver_disease", "Liver disease"),
                    ("kidney_disease", "Kidney disease"),
                    (
                        "bladder_symptoms",
                        "Bladder problems",
                        "such as pain when you pee, needing to "
                        "pee very often or urgently, blood in your pee, or bladder pain",
                    ),
                    ("ketamine_bladder", "Bladder damage caused by ketamine"),
                    ("epilepsy", "Epilepsy or seizures"),
                    (
                        "raised_brain_pressure",
                        "A brain tumour, hydrocephalus or a shunt, or raised pressure in the brain",
                    ),
                    (
                        "head_injury_recent",
                        "A head injury in the past 3 months",
                        "such as concussion or being knocked out",
                    ),
                    ("glaucoma", "Glaucoma or raised pressure in the eye"),
                    ("eye_injury_recent", "An eye injury or eye surgery in the past 3 months"),
                    ("overactive_thyroid", "An overactive thyroid"),
                    ("sleep_apnoea", "Sleep apnoea", "when your breathing stops and starts while you sleep"),
                    (
                        "lung_disease",
                        "COPD or another long-term lung condition that makes you short of breath",
                        "such as emphysema or scarring of the lungs. Tick this too if you use oxygen at home.",
                    ),
                    (
                        "porphyria",
                        "Porphyria",
                        "a rare condition that often runs in families. It can cause attacks of very bad tummy pain, or "
                        "skin that blisters in sunlight.",
                    ),
                ),
                NONE_OF_THESE,
            ),
            topic=Topic.HEALTH,
        ),
        Question(
            "liver_severity",
            QType.CHOICE,
            "Which best describes your liver disease?",
            "Liver disease severity",
            "Select which best describes your liver disease",
            options=_options(
                (
                    "severe",
                    "Severe liver disease",
                    "such as cirrhosis with yellow skin or eyes, "
                    "fluid in the tummy, varices or confusion; liver failure; or being on a "
                    "transplant list",
                ),
                (
                    "moderate",
                    "Other liver problems",
                    "such as hepatitis B or C, fatty liver, or abnormal liver blood tests",
                ),
                ("unsure", "I'm not sure"),
            ),
            enable_when=when("other_conditions", "has", "liver_disease"),
            topic=Topic.HEALTH,
        ),
        _yesnounsure(
            "thyroid_controlled",
            "Has your overactive thyroid been treated, and is it settled now?",
            "Thyroid treated and settled",
            "Select yes if your overactive thyroid has been treated and is settled now",
            enable_when=when("other_conditions", "has", "overactive_thyroid"),
            topic=Topic.HEALTH,
        ),
        _yesno(
            "uses_cpap",
            "Do you use a CPAP machine most nights?",
            "Uses CPAP",
            "Select yes if you use a CPAP machine most nights",
            "A machine with a mask that helps you breathe while you sleep.",
            enable_when=when("other_conditions", "has", "sleep_apnoea"),
            topic=Topic.HEALTH,
        ),
        # Given in cm or feet and inches, weight in kg or stones and pounds (pounds in en-US): the form converts
        # to the metric unit stored (units.py); the range applies after converting.
        Question(
            "height_cm",
            QType.MEASURE,
            "Your height (optional)",
            "Height (cm)",
            hint="Choose the unit you know it in.",
            required=False,
            min_value=100,
            max_value=250,
            name="Your height",
            unit="cm",
        ),
        Question(
            "weight_kg",
            QType.MEASURE,
            "Your weight (optional)",
            "Weight (kg)",
            hint="Choose the unit you know it in.",
            required=False,
            min_value=30,
            max_value=350,
            name="Your weight",
            unit="kg",
        ),
        _yesnounsure(
            "neck_large",
            "Is your shirt collar size 16 inches (41 cm) or more?",
            "Neck 41 cm or more",
            "Select yes if your shirt collar size is 16 inches (41 cm) or more",
        ),
        # STOP-Bang's neck item is 43 cm for men and 41 cm for women (stopbang.ca): everyone at 41 cm or more is
        # asked the same follow-up (the page does not change with the sex answer); scoring uses it for men only.
        _yesnounsure(
            "neck_43cm",
            "Is your shirt collar size 17 inches (43 cm) or more?",
            "Neck 43 cm or more",
            "Select yes if your shirt collar size is 17 inches (43 cm) or more",
            enable_when=when("neck_large", "=", "yes"),
        ),
        _yesno(
            "snoring_loud",
            "Do you snore loudly?",
            "Loud snoring",
            "Select yes if you snore loudly",
            "Loud enough to be heard through a closed door, or people have told you so.",
        ),
        _yesno(
            "daytime_tiredness",
            "Do you often feel tired or sleepy during the day?",
            "Daytime tiredness",
            "Select yes if you often feel tired or sleepy during the day",
        ),
        _yesno(
            "observed_apnoea",
            "Has anyone seen you stop breathing, or choke or gasp, in your sleep?",
            "Observed apnoea",
            "Select yes if someone has seen you stop breathing, or choke or gasp, in your sleep",
        ),
        Question(
            "pregnancy_status",
            QType.CHOICE,
            "Are you pregnant, breastfeeding or planning a pregnancy?",
            "Pregnancy",
            "Select if you are pregnant, breastfeeding or planning a pregnancy, or select 'None of these'",
            "Ketamine may not be suitable during pregnancy or breastfeeding.",
            options=(
                *_options(
                    ("pregnant", "I am pregnant"),
                    ("might_be", "I might be pregnant"),
                    ("breastfeeding", "I am breastfeeding"),
                    ("planning", "I am planning a pregnancy in the next 6 months"),
                ),
                NONE_OF_THESE,
            ),
            enable_when=any_of("sex_at_birth", "=", ("female", "intersex", "not_say")),
            topic=Topic.HEALTH,
        ),
    ),
    checks=(
        Check(
            "both_or_neither",
            ("bp_systolic", "bp_diastolic"),
            "Enter both numbers of your blood pressure reading, or leave both empty",
        ),
        Check(
            "less_than",
            ("bp_diastolic", "bp_systolic"),
            "The bottom number of your blood pressure must be lower than the top number",
        ),
    ),
)

# --- 6. mood -----------------------------------------------------------------------------------
MOOD = Step(
    "mood",
    "Your mood",
    "Pain and mood affect each other. We ask everyone these standard "
    "questions so that the clinician can support you well.",
    (
        Question(
            "mental_health_history",
            QType.MULTI,
            "Have you ever been diagnosed with any of these?",
            "Mental health history",
            "Select the conditions you have been diagnosed with, or select 'None of these'",
            "Select all that apply.",
            options=(
                *_options(
                    ("depression", "Depression"),
                    ("anxiety", "Anxiety"),
                    ("ptsd", "Post-traumatic stress disorder (PTSD)"),
                    ("bipolar", "Bipolar disorder"),
                    ("schizophrenia_psychosis", "Schizophrenia or psychosis"),
                    ("personality_disorder", "A personality disorder"),
                    ("eating_disorder", "An eating disorder"),
                    ("dissociative_disorder", "A dissociative disorder"),
                ),
                NONE_OF_THESE,
            ),
            topic=Topic.MENTAL_HEALTH,
        ),
        _yesno(
            "dissociation_frequent",
            "Do you often feel detached from yourself, or as if things around you are not real?",
            "Frequent dissociation",
            "Select yes if you often feel detached from yourself or as if things are not real",
            enable_when=when("mental_health_history", "has", "ptsd"),
            topic=Topic.MENTAL_HEALTH,
        ),
        _yesnounsure(
            "psychosis_ever",
            "Have you ever seen or heard things that other people could "
            "not, or had beliefs that others found very strange, when you were not using "
            "drugs or alcohol?",
            "Psychotic experiences ever",
            "Select yes if you have ever seen or heard things others could not, or had "
            "beliefs others found very strange",
            topic=Topic.MENTAL_HEALTH,
        ),
        # Version 4 (issue 13): psychosis_current follows either of two answers of this page, so no reveal can hold
        # it: it is asked on the next page, "experiences" (below), once both answers are known.
        _yesnounsure(
            "psychosis_family",
            "Has a parent, brother, sister or child of yours had schizophrenia or psychosis?",
            "Psychosis in a first-degree relative",
            "Select yes if a parent, brother, sister or child has had schizophrenia or psychosis",
            topic=Topic.MENTAL_HEALTH,
        ),
        _yesno(
            "mania_recent",
            "In the past 2 weeks, have you had a spell of feeling very high, "
            "'wired' or irritable, with much less need for sleep or racing thoughts?",
            "Manic symptoms in past 2 weeks",
            "Select yes if you have had a spell like this in the past 2 weeks",
            topic=Topic.MENTAL_HEALTH,
        ),
        _likert("phq9_1", "Little interest or pleasure in doing things", PHQ_STEM),
        _likert("phq9_2", "Feeling down, depressed, or hopeless", PHQ_STEM),
        _likert("phq9_3", "Trouble falling or staying asleep, or sleeping too much", PHQ_STEM),
        _likert("phq9_4", "Feeling tired or having little energy", PHQ_STEM),
        _likert("phq9_5", "Poor appetite or overeating", PHQ_STEM),
        _likert(
            "phq9_6",
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
            PHQ_STEM,
        ),
        _likert(
            "phq9_7", "Trouble concentrating on things, such as reading the newspaper or watching television", PHQ_STEM
        ),
        _likert(
            "phq9_8",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot more "
            "than usual",
            PHQ_STEM,
        ),
        _likert(
            "phq9_9",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
            PHQ_STEM,
            "PHQ-9 item 9 (thoughts of death or self-harm)",
        ),
        _likert("gad7_1", "Feeling nervous, anxious or on edge", GAD_STEM),
        _likert("gad7_2", "Not being able to stop or control worrying", GAD_STEM),
        _likert("gad7_3", "Worrying too much about different things", GAD_STEM),
        _likert("gad7_4", "Trouble relaxing", GAD_STEM),
        _likert("gad7_5", "Being so restless that it is hard to sit still", GAD_STEM),
        _likert("gad7_6", "Becoming easily annoyed or irritable", GAD_STEM),
        _likert("gad7_7", "Feeling afraid as if something awful might happen", GAD_STEM),
    ),
    attribution="PHQ-9 and GAD-7 were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, "
    "Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No "
    "permission required to reproduce, translate, display or distribute.",
)

# --- 6a. experiences (only after psychotic experiences or a diagnosis of psychosis on the mood page) ----------
_PSYCHOSIS_EVER = When(
    (
        Condition("psychosis_ever", "=", "yes"),
        Condition("mental_health_history", "has", "schizophrenia_psychosis"),
    ),
    "any",
)
EXPERIENCES = Step(
    "experiences",
    "Your experiences",
    "You told us that you have seen or heard things that other people could not, or had beliefs that others found "
    "very strange, or that you have been diagnosed with schizophrenia or psychosis.",
    (
        _yesno(
            "psychosis_current",
            "Is this happening now, or did it happen in the past month?",
            "Psychotic experiences now or past month",
            "Select yes if this is happening now or happened in the past month",
            "For example, seeing or hearing things that other people cannot, or having beliefs that others find very "
            "strange.",
            enable_when=_PSYCHOSIS_EVER,
            topic=Topic.MENTAL_HEALTH,
        ),
    ),
    enable_when=_PSYCHOSIS_EVER,
)

# --- 6b. support (only when PHQ-9 item 9 is above 0) --------------------------------------------
SUPPORT = Step(
    "support",
    "Support for you",
    "Thank you for telling us how you have been feeling. You are not alone, and you can get help now.",
    (
        _yesno(
            "self_harm_intent",
            "Do you have a plan, or do you intend to act on these thoughts?",
            "Self-harm: plan or intent",
            "Select yes if you have a plan or intend to act on these thoughts",
            topic=Topic.MENTAL_HEALTH,
        ),
        # Version 2, in our own words (not the C-SSRS, which needs a licence): interrupted and aborted attempts and
        # preparations carry risk too (Posner 2011; Burke 2016), so the question and its hint ask about them.
        _yesno(
            "self_harm_recent_attempt",
            "In the past 3 months, have you tried to end your life or harm yourself, or got ready to?",
            "Self-harm attempt (incl. stopped or interrupted) or preparations in past 3 months",
            "Select yes if, in the past 3 months, you have tried to end your life or harm yourself, or got ready to",
            "Answer yes even if you stopped, or someone stopped you. Getting ready could be saving up tablets "
            "or writing a goodbye note.",
            topic=Topic.MENTAL_HEALTH,
        ),
        Question(
            "contact_phone_today",
            QType.TEL,
            "A phone number we can call you on",
            "Phone to call back",
            "Enter a phone number we can call you on",
            "We will use it to call you about your answers. If you need help before we call, use the numbers "
            "at the top of this page.",
            max_length=30,
            enable_when=when("phone", "exists", False),
            name="The phone number",
            topic=Topic.CONTACT,
        ),
    ),
    enable_when=when("phq9_9", ">=", 1),
)

# --- 7. substances -----------------------------------------------------------------------------
_DRINKS = when("auditc_1", "!=", "0")
_AUDITC_ATTRIBUTION = (
    "AUDIT-C: Bush K et al., Arch Intern Med 1998 (public domain). UK version: Office for Health "
    "Improvement and Disparities (Open Government Licence)."
)
SUBSTANCES = Step(
    "substances",
    "Alcohol and drugs",
    "Your answers are confidential. Alcohol and "
    "other drugs change how ketamine affects you, so honest answers keep you safe.",
    (
        Question(
            "auditc_1",
            QType.CHOICE,
            "How often do you have a drink containing alcohol?",
            "AUDIT-C 1: how often",
            "Select how often you have a drink containing alcohol",
            options=_options(
                ("0", "Never"),
                ("1", "Monthly or less"),
                ("2", "2 to 4 times a month"),
                ("3", "2 to 3 times a week"),
                ("4", "4 or more times a week"),
            ),
        ),
        # Version 4 (issue 13): items 2 and 3 follow four of the five answers to item 1, and a GOV.UK reveal sits
        # under one option only, so they are asked on the next page, "alcohol" (below), only when item 1 is not
        # "Never": the published scoring counts them 0 then, unasked (Bush 1998; clinical-rules.md, AUDIT-C).
        Question(
            "drugs_past_year",
            QType.MULTI,
            "In the past 12 months, have you used any of these drugs that were not prescribed to you?",
            "Drugs in past 12 months (not prescribed)",
            "Select the drugs you have used, or select 'None of these'",
            "Select all that apply. This includes taking someone else's medicine.",
            options=(
                *_options(
                    ("cannabis", "Cannabis", "such as weed or hash"),
                    ("cocaine", "Cocaine or crack"),
                    ("ketamine", "Ketamine"),
                    ("pcp", "PCP (angel dust)"),
                    ("psychedelics", "Psychedelics", "such as LSD or magic mushrooms"),
                    ("mdma", "MDMA or ecstasy"),
                    ("amphetamines", "Amphetamines", "such as speed or crystal meth"),
                    ("opioids", "Opioids", "such as heroin, or painkillers not prescribed to you"),
                    ("sedatives", "Sedatives", "such as benzodiazepines or sleeping pills not prescribed to you"),
                    ("other", "Something else"),
                ),
                NONE_OF_THESE,
            ),
            topic=Topic.SUBSTANCES,
        ),
        # Version 3: the distressing-reaction question after ketamine use too (nested under that one option).
        _yesno(
            "ketamine_use_bad_reaction",
            "When you used ketamine, did you have a frightening or upsetting reaction?",
            "Ketamine use (not prescribed): distressing reaction",
            "Select yes if you had a frightening or upsetting reaction when you used ketamine",
            "For example, seeing or hearing things that were not there, or panic.",
            enable_when=when("drugs_past_year", "has", "ketamine"),
            topic=Topic.SUBSTANCES,
        ),
        _yesno(
            "prescribed_misuse",
            "In the past 12 months, have you taken a prescribed medicine in "
            "larger amounts or more often than prescribed?",
            "Prescribed medicine misuse",
            "Select yes if you have taken a prescribed medicine in larger amounts or more often than prescribed",
            topic=Topic.SUBSTANCES,
        ),
        _yesno(
            "substance_treatment_ever",
            "Have you ever had treatment or support for alcohol or drug use?",
            "Substance treatment ever",
            "Select yes if you have ever had treatment or support for alcohol or drug use",
            topic=Topic.SUBSTANCES,
        ),
        Question(
            "substance_treatment_for",
            QType.MULTI,
            "What was the treatment or support for?",
            "Substance treatment for",
            "Select what the treatment or support was for",
            "Select all that apply.",
            options=_options(
                ("alcohol", "Alcohol"),
                ("opioids", "Opioids"),
                ("ketamine", "Ketamine"),
                ("stimulants", "Stimulants", "such as cocaine or amphetamines"),
                ("cannabis", "Cannabis"),
                ("other", "Something else"),
            ),
            enable_when=when("substance_treatment_ever", "=", "yes"),
            topic=Topic.SUBSTANCES,
        ),
    ),
    attribution=_AUDITC_ATTRIBUTION,
)

# --- 7a. alcohol (only when the answer to AUDIT-C item 1 is not "Never") ------------------------------------
ALCOHOL = Step(
    "alcohol",
    "Your drinking",
    "You told us that you drink alcohol. These 2 questions are about how much.",
    (
        # Items 2 and 3 are worded by locale (LOCALE_WORDS: UK units or US standard drinks); the codes are the same.
        Question(
            "auditc_2",
            QType.CHOICE,
            "{auditc_2_label}",
            "AUDIT-C 2: amount on a typical day",
            "Select {auditc_2_error}",
            "{standard_drink}",
            options=_options(
                ("0", "{auditc_2_0}"),
                ("1", "{auditc_2_1}"),
                ("2", "{auditc_2_2}"),
                ("3", "7 to 9"),
                ("4", "10 or more"),
            ),
            enable_when=_DRINKS,
        ),
        Question(
            "auditc_3",
            QType.CHOICE,
            "{auditc_3_label}",
            "AUDIT-C 3: heavy drinking occasions",
            "Select {auditc_3_error}",
            "{standard_drink}",
            options=_options(
                ("0", "Never"),
                ("1", "Less than monthly"),
                ("2", "Monthly"),
                ("3", "Weekly"),
                ("4", "Daily or almost daily"),
            ),
            enable_when=_DRINKS,
        ),
    ),
    enable_when=_DRINKS,
    attribution=_AUDITC_ATTRIBUTION,
)

# --- 8. practicalities -------------------------------------------------------------------------
PRACTICALITIES = Step(
    "practicalities",
    "Practicalities and consent",
    "You will feel drowsy or spaced out for a few hours after each treatment, so you will need some help.",
    (
        _yesno(
            "has_escort",
            "Can an adult take you home after each treatment?",
            "Escort home",
            "Select yes if an adult can take you home after each treatment",
            topic=Topic.PRACTICALITIES,
        ),
        _yesno(
            "can_avoid_driving",
            "Can you avoid driving, using machinery or doing safety-critical work until the day after each treatment?",
            "Can avoid driving until next day",
            "Select yes if you can avoid driving, machinery and safety-critical work until the day "
            "after each treatment",
            topic=Topic.PRACTICALITIES,
        ),
        Question(
            "contact_times",
            QType.MULTI,
            "When is it best to contact you? (optional)",
            "Best contact times",
            hint="Select all that apply.",
            required=False,
            options=_options(("mornings", "Mornings"), ("afternoons", "Afternoons"), ("evenings", "Evenings")),
            topic=Topic.PRACTICALITIES,
        ),
        # Version 4: asked here, after "Who suggested you contact us?" on the first page is known (see about_you).
        _optional_text(
            "referrer_name",
            QType.TEXT,
            "Name of the person or service who suggested us (optional)",
            "Referrer",
            200,
            "You told us that someone suggested you contact us.",
            enable_when=when("referral_source", "!=", "self"),
            name="The name of who suggested us",
        ),
        Question(
            "consent_not_decision",
            QType.CONSENT,
            "I understand this questionnaire does not "
            "decide whether ketamine therapy is right for me: a clinician will discuss it with me",
            "Understands a clinician decides",
            "Tick the box to confirm you understand that a clinician will discuss it with you",
        ),
    ),
)

#: The questionnaire in order. ``START`` holds the consent given before anything is stored.
STEPS: tuple[Step, ...] = (
    START,
    ABOUT_YOU,
    PAIN,
    TREATMENTS,
    MEDICATIONS,
    HEALTH,
    MOOD,
    EXPERIENCES,
    SUPPORT,
    SUBSTANCES,
    ALCOHOL,
    PRACTICALITIES,
)

# --- lookups -----------------------------------------------------------------------------------
STEP_BY_ID: Mapping[str, Step] = {step.id: step for step in STEPS}
QUESTIONS: Mapping[str, Question] = {q.id: q for step in STEPS for q in step}
STEP_OF: Mapping[str, Step] = {q.id: step for step in STEPS for q in step}


@dataclass(frozen=True, slots=True)
class Answers:
    """Answers after cleaning: ``values`` holds only shown questions with valid values.

    ``invalid`` names answers given with the wrong type, an unknown code or out of range; ``hidden``
    answers to questions that their conditions hide; ``unknown`` keys that are not question ids.
    All three are treated as unanswered.
    """

    values: Mapping[str, Any]
    invalid: frozenset[str] = field(default_factory=frozenset)
    hidden: frozenset[str] = field(default_factory=frozenset)
    unknown: frozenset[str] = field(default_factory=frozenset)

    def get(self, question_id: str) -> Any:
        return self.values.get(question_id)


def _valid_int(question: Question, value: object) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if question.min_value is not None and value < question.min_value:
        return None
    if question.max_value is not None and value > question.max_value:
        return None
    return value


def _valid_measure(question: Question, value: object) -> int | float | None:
    """A height or weight in its metric unit, rounded half up to one decimal (a whole number stays an int, as
    stored before decimals were allowed), within the question's range."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    tenths = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if question.min_value is not None and tenths < question.min_value:
        return None
    if question.max_value is not None and tenths > question.max_value:
        return None
    return int(tenths) if tenths == tenths.to_integral_value() else float(tenths)


def _valid_multi(question: Question, value: object) -> list[str] | None:
    if not isinstance(value, list | tuple):
        return None
    given = {item for item in value if isinstance(item, str)}
    # Known codes are kept (in the order of the definition) even beside an unknown one: dropping a
    # whole answer for one bad code could hide a contraindication.
    kept = [code for code in question.codes if code in given]
    if EXCLUSIVE_CODE in kept and len(kept) > 1:
        kept.remove(EXCLUSIVE_CODE)  # "none" is exclusive: the conditions ticked beside it win
    return kept or None


def _valid_text(question: Question, value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _valid_date(question: Question, value: object) -> object:
    return value if parse_date(value) else None


def _valid_code(question: Question, value: object) -> str | None:
    return value if isinstance(value, str) and value in question.codes else None


def _valid_tick(question: Question, value: object) -> bool | None:
    return True if value is True else None


_VALIDATORS: dict[QType, Callable[[Question, object], Any]] = {
    **dict.fromkeys(TEXT_TYPES, _valid_text),
    **dict.fromkeys(INTEGER_TYPES, _valid_int),
    QType.MEASURE: _valid_measure,
    **dict.fromkeys(CODED_TYPES, _valid_code),
    QType.MULTI: _valid_multi,
    QType.DATE: _valid_date,
    QType.CONSENT: _valid_tick,
    QType.CHECKBOX: _valid_tick,
}


def valid_value(question: Question, value: object) -> Any:
    """The value as stored if it is valid for ``question`` (questionnaire.md, "How answers are
    stored"), else None. Text is trimmed; an empty text is unanswered; a string where a number is
    expected, a number out of range, an unknown code or a non-ISO date is invalid; a consent or
    checkbox is only ever ``True``."""
    return _VALIDATORS[question.type](question, value)


def answer_text(question: Question, value: Any, locale: str | None = None) -> str:
    """A stored answer in the terse words of flag evidence (``triggers``): option labels (never codes; in ``locale``'s
    words when given, see ``localise``), numbers, text. Evidence is stored with each flag, so this wording stays as
    the rules left it; every page and export that shows answers words them with ``presenter`` instead."""
    if question.type is QType.MULTI and isinstance(value, list | tuple):
        return "; ".join(question.option_label(str(code), locale) for code in value)
    if question.type in (QType.CONSENT, QType.CHECKBOX):
        return "Yes" if value is True else "No"
    if question.options and not isinstance(value, bool):
        return question.option_label(str(value), locale)
    return str(value)


_SHOWN_WHEN: Mapping[str, tuple[When, ...]] = {
    q.id: tuple(w for w in (STEP_OF[q.id].enable_when, q.enable_when) if w is not None) for q in QUESTIONS.values()
}


def question_is_shown(question: Question, values: Mapping[str, Any]) -> bool:
    """Whether ``question`` is asked, given (cleaned) earlier answers: its step's condition and its
    own both hold."""
    return all(condition.holds(values) for condition in _SHOWN_WHEN[question.id])


_CLEANING_PLAN = tuple((q.id, q, _VALIDATORS[q.type], _SHOWN_WHEN[q.id]) for q in QUESTIONS.values())


def clean_answers(raw: object) -> Answers:
    """Keep only answers to questions that are shown, with valid values (see ``valid_value``).

    Never raises: anything that is not a mapping is treated as no answers at all.
    """
    if not isinstance(raw, Mapping):
        return Answers({})
    values: dict[str, Any] = {}
    invalid: set[str] = set()
    hidden: set[str] = set()
    for qid, question, validate, shown_when in _CLEANING_PLAN:
        given = raw.get(qid)
        if given is None:
            continue
        if shown_when and not all(condition.holds(values) for condition in shown_when):
            hidden.add(qid)
            continue
        value = validate(question, given)
        if value is None:
            invalid.add(qid)
        else:
            values[qid] = value
    unknown = frozenset(key for key in raw if key not in QUESTIONS)
    return Answers(values, frozenset(invalid), frozenset(hidden), unknown)


# --- checks on the definition itself, run at import ---------------------------------------------
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")


def check_condition(condition: Condition, known: Iterable[str] | None = None) -> None:
    """Raise ValueError unless ``condition`` names a defined question (among ``known`` if given)
    with an operator that suits its type and a value it can take."""
    question = QUESTIONS.get(condition.question)
    if question is None or (known is not None and condition.question not in set(known)):
        raise ValueError(f"{condition}: no such (earlier) question {condition.question!r}")
    op, value, qtype = condition.operator, condition.value, question.type
    if op == "exists":
        return
    if op == "has":
        ok = qtype is QType.MULTI and value in question.codes
    elif qtype in INTEGER_TYPES:
        ok = _valid_int(question, value) is not None
    else:
        ok = op in ("=", "!=") and qtype in CODED_TYPES - {QType.MULTI} and value in question.codes
    if not ok:
        raise ValueError(f"{condition}: operator or value does not suit a {qtype} question")


def _check_question(question: Question, earlier: list[str]) -> None:
    if not _SNAKE.fullmatch(question.id) or question.id in earlier:
        raise ValueError(f"bad or repeated question id {question.id!r}")
    codes = question.codes
    has_options = question.type in CODED_TYPES or question.type in (QType.SCALE, QType.LIKERT4)
    if len(set(codes)) != len(codes) or bool(codes) != has_options:
        raise ValueError(f"{question.id}: options do not suit a {question.type} question")
    if question.type is QType.MULTI and EXCLUSIVE_CODE in codes and codes[-1] != EXCLUSIVE_CODE:
        raise ValueError(f"{question.id}: 'none' must be the last option")
    if question.required and not question.error:
        raise ValueError(f"{question.id}: a required question needs its error message")
    for condition in question.enable_when or ():
        check_condition(condition, earlier)


def _check_definition() -> None:
    earlier: list[str] = []
    for step in STEPS:
        for condition in step.enable_when or ():
            check_condition(condition, earlier)
        step_ids = [q.id for q in step]
        for question in step:
            _check_question(question, earlier)
            earlier.append(question.id)
        for check in step.checks:
            if not set(check.questions) <= set(step_ids):
                raise ValueError(f"{step.id}: check {check.kind} names a question of another step")
            for condition in check.condition or ():
                check_condition(condition, earlier)


def _check_locale_words() -> None:
    """Every locale fills the same placeholders, and every ``{name}`` in the definition is one of them."""
    names = {frozenset(words) for words in LOCALE_WORDS.values()}
    if len(names) != 1:
        raise ValueError("LOCALE_WORDS: every locale must fill the same placeholders")
    known = next(iter(names))
    for question in QUESTIONS.values():
        texts = [
            question.label,
            question.short,
            question.error,
            question.hint,
            question.name,
            *(text for option in question.options for text in (option.label, option.hint)),
        ]
        for text in texts:
            if unknown := set(_PLACEHOLDER.findall(text)) - known:
                raise ValueError(f"{question.id}: no locale fills {sorted(unknown)}")


_check_definition()
_check_locale_words()
