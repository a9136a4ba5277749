"""Rule set 2026.2, written from the sources: unstable angina is its own urgent rule (NICE CG95 1.2.1.3, 1.2.1.7,
1.2.1.8), and so is further chest pain after a heart attack (CG95 1.2.1.11: "Refer people to hospital as an emergency
if they have a recent (confirmed or suspected) ACS and develop further chest pain"), asked of everyone who ticks a
heart attack (``chest_pain_since_mi``); a heart attack in the past 6 months stays a discuss rule, the stable-coronary
caution gives way to both, and the self-harm follow-up that now asks about started, stopped and prepared attempts
(Posner 2011; Burke 2016; NICE NG225) feeds the urgent suicide-risk rule. Plus the invariants every urgent rule
keeps, and retired rule ids."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import rules
from screening.clinical.conditions import when
from screening.clinical.questionnaire import QUESTIONS, QType, question_is_shown
from screening.clinical.triggers import Answered
from screening.rules import RETIRED_RULE_IDS, RULES, RULES_BY_ID, SOURCE_NOTES, Rule, Severity, evaluate
from tests.answer_sets import TODAY, answers, born
from tests.unit import readability

ROOT = Path(__file__).resolve().parents[2]
SINCE_MI = QUESTIONS["chest_pain_since_mi"]


def flags(**changes: Any) -> dict[str, rules.Flag]:
    return {flag.rule_id: flag for flag in evaluate(answers(**changes), today=TODAY)}


# --- vignettes: each is the healthy baseline with these changes, evaluated on 2026-11-24 --------------------------
CARDIAC_VIGNETTES: dict[str, tuple[dict[str, Any], list[str]]] = {
    # 61, a stent, now chest pain at rest; controlled hypertension: the urgent flag comes first.
    "A1 rest pain with a stent": (
        {
            "date_of_birth": born(61),
            "sex_at_birth": "male",
            "heart_conditions": ["high_blood_pressure", "coronary_disease"],
            "bp_controlled": "yes",
            "bp_crisis_recent": "no",
            "angina_unstable": "yes",
            "bp_systolic": 134,
            "bp_diastolic": 82,
        },
        ["cv_unstable_angina", "cv_hypertension"],
    ),
    # 70, a heart attack 3 months ago and angina getting worse: both cardiac flags, urgent first.
    "A2 recent heart attack and worsening angina": (
        {
            "date_of_birth": born(70),
            "heart_conditions": ["heart_attack", "coronary_disease"],
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "yes",
            "angina_unstable": "yes",
        },
        ["cv_unstable_angina", "cv_recent_mi", "age_65_plus"],
    ),
    # 55, a heart attack years ago, stable angina, no chest pain since: only the baseline-ECG caution.
    "A3 old heart attack, stable angina": (
        {
            "date_of_birth": born(55),
            "heart_conditions": ["heart_attack", "coronary_disease"],
            "heart_attack_recent": "no",
            "chest_pain_since_mi": "no",
            "angina_unstable": "no",
        },
        ["cv_coronary_disease_stable"],
    ),
    # 48, a heart attack 2 months ago, no angina ticked and no chest pain since: discuss, never urgent.
    "A4 recent heart attack alone": (
        {
            "date_of_birth": born(48),
            "heart_conditions": ["heart_attack"],
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "no",
        },
        ["cv_recent_mi"],
    ),
    # Stable angina, nothing recent.
    "A5 stable angina": (
        {"heart_conditions": ["coronary_disease"], "angina_unstable": "no"},
        ["cv_coronary_disease_stable"],
    ),
    # CG95 1.2.1.11, the case the coronary-only question missed: 57, ticks only "A heart attack" (2 years ago),
    # now chest pain at rest. Never asked angina_unstable; the heart-attack follow-up makes it urgent.
    "A6 old heart attack only, chest pain at rest since": (
        {
            "date_of_birth": born(57),
            "sex_at_birth": "male",
            "heart_conditions": ["heart_attack"],
            "heart_attack_recent": "no",
            "chest_pain_since_mi": "yes",
        },
        ["cv_unstable_angina"],
    ),
    # CG95 1.2.1.11 word for word: a recent ACS (a heart attack 6 weeks ago) and further chest pain.
    "A7 recent heart attack only, further chest pain": (
        {
            "date_of_birth": born(52),
            "heart_conditions": ["heart_attack"],
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "yes",
        },
        ["cv_unstable_angina", "cv_recent_mi"],
    ),
    # 60, a heart attack years ago, no chest pain since: the stable caution (baseline ECG), nothing urgent.
    "A8 old heart attack only, no chest pain since": (
        {
            "date_of_birth": born(60),
            "heart_conditions": ["heart_attack"],
            "heart_attack_recent": "no",
            "chest_pain_since_mi": "no",
        },
        ["cv_coronary_disease_stable"],
    ),
    # Both ticked: a stent says the angina is stable, but since the heart attack the pain is new. Either is enough.
    "A9 both ticked, new pain since the heart attack": (
        {
            "heart_conditions": ["heart_attack", "coronary_disease"],
            "heart_attack_recent": "no",
            "chest_pain_since_mi": "yes",
            "angina_unstable": "no",
        },
        ["cv_unstable_angina"],
    ),
}


@pytest.mark.parametrize("name", CARDIAC_VIGNETTES)
def test_cardiac_vignette_gives_exactly_the_expected_flags_in_order(name: str) -> None:
    changes, expected = CARDIAC_VIGNETTES[name]
    assert [flag.rule_id for flag in evaluate(answers(**changes), today=TODAY)] == expected


def test_unstable_angina_is_urgent_with_nice_cg95_and_a_calm_patient_message() -> None:
    flag = flags(heart_conditions=["coronary_disease"], angina_unstable="yes")["cv_unstable_angina"]
    assert flag.severity is Severity.URGENT
    assert flag.evidence == "Unstable angina: Yes"
    assert flag.source and flag.source.split(", ")[0] == "NICE-CG95"
    for number in ("1.2.1.3", "1.2.1.7", "1.2.1.8"):
        assert number in flag.rationale and number in SOURCE_NOTES["NICE-CG95"]
    assert "abrupt deterioration in previously stable angina" in SOURCE_NOTES["NICE-CG95"]
    message = flag.patient_message or ""
    assert "If you have chest pain now, call the emergency number straight away" in message
    assert "contact your doctor today" in message
    assert not re.search(r"\b(heart attack|acute coronary|unstable|danger|die)\b", message.lower())


@pytest.mark.parametrize("recent", ["yes", "no"])
def test_chest_pain_since_a_heart_attack_is_urgent_with_nice_cg95_1_2_1_11(recent: str) -> None:
    flag = flags(heart_conditions=["heart_attack"], heart_attack_recent=recent, chest_pain_since_mi="yes")[
        "cv_unstable_angina"
    ]
    assert flag.severity is Severity.URGENT
    assert flag.evidence == f"{SINCE_MI.short}: Yes"
    assert "1.2.1.11" in flag.rationale and "1.2.1.11" in SOURCE_NOTES["NICE-CG95"]
    assert "recent (confirmed or suspected) ACS and develop further chest pain" in SOURCE_NOTES["NICE-CG95"]
    message = flag.patient_message or ""
    assert "If you have chest pain now, call the emergency number straight away" in message
    assert "angina" not in message.lower(), "a patient who ticked only a heart attack may not know the word"


def test_chest_pain_since_a_heart_attack_is_asked_under_the_heart_attack_tick_in_plain_words() -> None:
    # One `has` condition on one option: the form nests it under "A heart attack" (a GOV.UK conditional reveal),
    # so a patient who did not tick it never sees it.
    assert SINCE_MI.type is QType.YESNO and SINCE_MI.required
    assert SINCE_MI.enable_when == when("heart_conditions", "has", "heart_attack")
    assert question_is_shown(SINCE_MI, {"heart_conditions": ["heart_attack"]})
    assert not question_is_shown(SINCE_MI, {"heart_conditions": ["coronary_disease"]})
    label = SINCE_MI.label.lower()
    assert label.startswith("since your heart attack")
    assert "chest pain when resting" in label and "new or getting worse" in label  # CG95 1.2.1.3 in plain words
    assert not re.search(r"\b(angina|acs|acute|coronary|myocardial|infarct\w*|unstable|ischaem\w*)\b", label)
    assert readability.grade(SINCE_MI.label) <= 7.0, "reading age about 12"
    assert readability.longest_sentence(SINCE_MI.label) <= 22
    assert SINCE_MI.error.startswith("Select yes if") and "since your heart attack" in SINCE_MI.error
    assert "since heart attack" in SINCE_MI.short.lower() and len(SINCE_MI.short) <= 60


def test_recent_heart_attack_stays_discuss_and_is_never_urgent() -> None:
    result = flags(heart_conditions=["heart_attack"], heart_attack_recent="yes", chest_pain_since_mi="no")
    assert result["cv_recent_mi"].severity is Severity.DISCUSS
    assert not [flag for flag in result.values() if flag.severity is Severity.URGENT]


@pytest.mark.parametrize(
    "changes",
    [
        {
            "heart_conditions": ["heart_attack", "coronary_disease"],
            "heart_attack_recent": "yes",
            "angina_unstable": "yes",
            "chest_pain_since_mi": "no",
        },
        {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes", "chest_pain_since_mi": "yes"},
    ],
)
def test_both_heart_rules_give_the_patient_one_message(changes: dict[str, Any]) -> None:
    fired = flags(**changes)
    messages = {fired[rule_id].patient_message for rule_id in ("cv_unstable_angina", "cv_recent_mi")}
    assert len(messages) == 1, "the confirmation page shows each distinct message once"


# --- suppression and fail-safes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "suppressor"),
    [
        ({"heart_conditions": ["coronary_disease"], "angina_unstable": "yes"}, "cv_unstable_angina"),
        (
            {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes", "chest_pain_since_mi": "no"},
            "cv_recent_mi",
        ),
        (
            {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no", "chest_pain_since_mi": "yes"},
            "cv_unstable_angina",
        ),
        (
            {
                "heart_conditions": ["heart_attack", "coronary_disease"],
                "heart_attack_recent": "no",
                "chest_pain_since_mi": "no",
                "angina_unstable": "yes",
            },
            "cv_unstable_angina",
        ),
        (
            {
                "heart_conditions": ["heart_attack", "coronary_disease"],
                "heart_attack_recent": "yes",
                "chest_pain_since_mi": "no",
                "angina_unstable": "no",
            },
            "cv_recent_mi",
        ),
    ],
)
def test_stable_coronary_caution_gives_way_to_either_heart_rule(changes: dict[str, Any], suppressor: str) -> None:
    fired = flags(**changes)
    assert suppressor in fired
    assert "cv_coronary_disease_stable" not in fired


# Fail-safe (clinical-rules.md): the parent answer holds and the follow-up that decides between the higher and the
# lower severity is unanswered or not valid, so the higher one fires, saying so. For angina_unstable and
# chest_pain_since_mi the higher one is urgent: a same-day call to a patient whose answer went missing costs little;
# a missed acute coronary syndrome does not. In the live form both follow-ups are required, so this fires only on bad
# or old stored answers.
HEART = "Heart and circulation"
ATTACK_NOT_ANSWERED = f"{HEART}: A heart attack; {SINCE_MI.short}: not answered"


@pytest.mark.parametrize(
    ("changes", "evidence"),
    [
        (
            {"heart_conditions": ["coronary_disease"]},
            {"cv_unstable_angina": f"{HEART}: Angina, a stent or a heart bypass; Unstable angina: not answered"},
        ),
        (
            {"heart_conditions": ["coronary_disease"], "angina_unstable": "maybe"},
            {"cv_unstable_angina": f"{HEART}: Angina, a stent or a heart bypass; Unstable angina: answer not valid"},
        ),
        (
            {"heart_conditions": ["coronary_disease"], "angina_unstable": True},
            {"cv_unstable_angina": f"{HEART}: Angina, a stent or a heart bypass; Unstable angina: answer not valid"},
        ),
        (
            {"heart_conditions": ["heart_attack"]},
            {
                "cv_unstable_angina": ATTACK_NOT_ANSWERED,
                "cv_recent_mi": f"{HEART}: A heart attack; Heart attack in past 6 months: not answered",
            },
        ),
        (
            {"heart_conditions": ["heart_attack"], "chest_pain_since_mi": "no"},
            {"cv_recent_mi": f"{HEART}: A heart attack; Heart attack in past 6 months: not answered"},
        ),
        (
            {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no"},
            {"cv_unstable_angina": ATTACK_NOT_ANSWERED},
        ),
        (
            {"heart_conditions": ["heart_attack"], "heart_attack_recent": "no", "chest_pain_since_mi": "unsure"},
            {"cv_unstable_angina": f"{HEART}: A heart attack; {SINCE_MI.short}: answer not valid"},
        ),
        (
            {"heart_conditions": ["heart_attack"], "heart_attack_recent": "yes", "chest_pain_since_mi": ["yes"]},
            {
                "cv_unstable_angina": f"{HEART}: A heart attack; {SINCE_MI.short}: answer not valid",
                "cv_recent_mi": "Heart attack in past 6 months: Yes",
            },
        ),
        (
            {"heart_conditions": ["heart_attack", "coronary_disease"]},
            {"cv_unstable_angina": None, "cv_recent_mi": None},
        ),
        (
            {"heart_conditions": ["heart_attack", "coronary_disease"], "heart_attack_recent": "no"},
            {"cv_unstable_angina": None},
        ),
        (
            {
                "heart_conditions": ["heart_attack", "coronary_disease"],
                "heart_attack_recent": "no",
                "chest_pain_since_mi": "no",
            },
            {"cv_unstable_angina": None},
        ),
        (
            {
                "heart_conditions": ["heart_attack", "coronary_disease"],
                "heart_attack_recent": "no",
                "angina_unstable": "no",
            },
            {"cv_unstable_angina": ATTACK_NOT_ANSWERED},
        ),
        (
            {"heart_conditions": ["heart_attack", "coronary_disease"], "angina_unstable": "no"},
            {"cv_unstable_angina": None, "cv_recent_mi": None},
        ),
        (
            {
                "heart_conditions": ["heart_attack", "coronary_disease"],
                "angina_unstable": "no",
                "chest_pain_since_mi": "no",
            },
            {"cv_recent_mi": None},
        ),
    ],
)
def test_unanswered_heart_follow_up_fires_the_higher_rule(
    changes: dict[str, Any], evidence: dict[str, str | None]
) -> None:
    fired = flags(**changes)
    cardiac = {rule_id for rule_id in fired if rule_id.startswith("cv_")}
    assert cardiac == set(evidence)
    for rule_id, expected in evidence.items():  # None: a fail-safe, whatever else the evidence names
        if expected is None:
            assert "not answered" in fired[rule_id].evidence or "answer not valid" in fired[rule_id].evidence
        else:
            assert fired[rule_id].evidence == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"angina_unstable": "yes"},  # hidden: no heart condition ticked
        {"chest_pain_since_mi": "yes"},  # hidden: no heart condition ticked
        {
            "heart_conditions": ["heart_attack"],
            "heart_attack_recent": "no",
            "chest_pain_since_mi": "no",
            "angina_unstable": "yes",
        },  # hidden: coronary disease not ticked
        {
            "heart_conditions": ["coronary_disease"],
            "angina_unstable": "no",
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "yes",
        },  # hidden: a heart attack not ticked (only the stable caution fires)
        {
            "heart_conditions": ["high_blood_pressure"],
            "bp_controlled": "yes",
            "bp_crisis_recent": "no",
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "yes",
            "angina_unstable": "yes",
        },
        {
            "heart_conditions": ["none"],
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "yes",
            "angina_unstable": "yes",
        },
    ],
)
def test_hidden_heart_follow_up_never_fires(changes: dict[str, Any]) -> None:
    assert not {"cv_unstable_angina", "cv_recent_mi"} & set(flags(**changes))


HEART_CODES = st.lists(
    st.sampled_from(["high_blood_pressure", "heart_attack", "coronary_disease", "arrhythmia"]), unique=True, max_size=4
).map(lambda codes: codes or ["none"])
FOLLOW_UP = st.sampled_from(["yes", "no", None, "maybe", 1])


@settings(max_examples=400, deadline=None)
@given(heart=HEART_CODES, angina=FOLLOW_UP, recent=FOLLOW_UP, since_mi=FOLLOW_UP)
def test_heart_rules_follow_the_catalogue_for_every_combination(
    heart: list[str], angina: Any, recent: Any, since_mi: Any
) -> None:
    fired = set(
        flags(
            heart_conditions=heart,
            angina_unstable=angina,
            heart_attack_recent=recent,
            chest_pain_since_mi=since_mi,
            bp_controlled="yes",
            bp_crisis_recent="no",
        )
    )
    coronary, attack = "coronary_disease" in heart, "heart_attack" in heart
    # yes, unanswered or not valid (fail-safe): each question counts only when its own tick shows it
    unstable = (coronary and angina != "no") or (attack and since_mi != "no")
    recent_mi = attack and recent != "no"
    assert ("cv_unstable_angina" in fired) is unstable
    assert ("cv_recent_mi" in fired) is recent_mi
    assert ("cv_coronary_disease_stable" in fired) is ((coronary or attack) and not unstable and not recent_mi)


# --- self-harm: the follow-up's words and the urgent rule it feeds ---------------------------------------------------
ATTEMPT = QUESTIONS["self_harm_recent_attempt"]


def test_self_harm_follow_up_asks_about_attempts_stopped_attempts_and_preparations() -> None:
    label, hint = ATTEMPT.label.lower(), ATTEMPT.hint.lower()
    assert ATTEMPT.type is QType.YESNO and ATTEMPT.required
    assert "past 3 months" in label
    assert "tried to end your life or harm yourself" in label  # an attempt, with or without intent to die (NG225)
    assert "got ready to" in label  # preparations (Posner 2011)
    assert "you stopped" in hint and "someone stopped you" in hint  # aborted and interrupted attempts
    assert "saving up tablets" in hint  # a plain example of getting ready
    assert ATTEMPT.error.startswith("Select yes if") and "got ready to" in ATTEMPT.error


def test_self_harm_follow_up_staff_name_is_precise() -> None:
    short = ATTEMPT.short.lower()
    assert all(word in short for word in ("attempt", "stopped", "interrupted", "preparations", "3 months"))


def test_self_harm_follow_up_is_our_own_words_and_plain() -> None:
    words = f"{ATTEMPT.label} {ATTEMPT.hint}".lower()
    # The licensed C-SSRS is not embedded: none of its screener's turns of phrase.
    assert not any(
        phrase in words
        for phrase in ("started to do anything", "prepared to do anything", "suicidal behavior", "wish you were dead")
    )
    assert not re.search(r"\b(suicid\w*|overdose|interrupted|aborted|preparatory)\b", words), "no clinical words"
    assert readability.grade(f"{ATTEMPT.label} {ATTEMPT.hint}") <= 7.0
    assert readability.longest_sentence(f"{ATTEMPT.label} {ATTEMPT.hint}") <= 20


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_stopped_or_prepared_attempt_fires_the_urgent_rule(item9: int) -> None:
    fired = flags(phq9_9=item9, self_harm_intent="no", self_harm_recent_attempt="yes")
    flag = fired["psych_suicide_risk_urgent"]
    assert flag.severity is Severity.URGENT
    assert flag.evidence.endswith(f"{ATTEMPT.short}: Yes")  # after item 9 when that alone is urgent (= 3)
    assert "psych_suicidal_ideation" not in fired
    for source in ("POSNER2011", "BURKE2016", "NICE-NG225"):
        assert source in (flag.source or "")
    assert all(word in flag.rationale for word in ("interrupted", "aborted", "preparations"))


SUPPORT_ANSWER = st.sampled_from(["yes", "no", None, "Yes", 0])


@settings(max_examples=300, deadline=None)
@given(item9=st.sampled_from([0, 1, 2, 3]), intent=SUPPORT_ANSWER, attempt=SUPPORT_ANSWER)
def test_suicide_risk_rules_follow_the_catalogue_for_every_combination(item9: int, intent: Any, attempt: Any) -> None:
    fired = set(flags(phq9_9=item9, self_harm_intent=intent, self_harm_recent_attempt=attempt))
    shown = item9 >= 1
    valid = ("yes", "no")
    urgent = shown and (item9 == 3 or "yes" in (intent, attempt) or intent not in valid or attempt not in valid)
    assert ("psych_suicide_risk_urgent" in fired) is urgent
    assert ("psych_suicidal_ideation" in fired) is (shown and not urgent)


# --- invariants of every urgent rule and of the catalogue's stored columns -------------------------------------------
URGENT_RULES = [rule for rule in RULES if rule.severity is Severity.URGENT]


def test_urgent_rules_are_exactly_suicide_risk_and_unstable_angina() -> None:
    assert [rule.id for rule in URGENT_RULES] == ["cv_unstable_angina", "psych_suicide_risk_urgent"]


@pytest.mark.parametrize("rule", URGENT_RULES, ids=[rule.id for rule in URGENT_RULES])
def test_every_urgent_rule_cites_a_source_says_same_day_and_tells_the_patient_what_to_do(rule: Rule) -> None:
    assert rule.sources
    assert re.search(r"same-day|today", rule.rationale)
    assert rule.patient_message and "emergency number" in rule.patient_message


@pytest.mark.parametrize(
    "rule", [rule for rule in RULES if rule.patient_message], ids=[rule.id for rule in RULES if rule.patient_message]
)
def test_patient_messages_are_plain(rule: Rule) -> None:
    message = rule.patient_message or ""
    assert readability.grade(message) <= 7.0
    assert readability.longest_sentence(message) <= 30
    assert not re.search(r"\b(acute coronary|myocardial|suicid\w*|ideation|risk)\b", message.lower())


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_words_fit_the_stored_flag_columns(rule: Rule) -> None:
    # models.FlagRecord: rule_id String(64), title String(200), source String(200); PostgreSQL refuses longer values.
    assert len(rule.id) <= 64 and len(rule.title) <= 200 and len(", ".join(rule.sources)) <= 200


# --- retired rule ids --------------------------------------------------------------------------------------------
def test_retired_rule_ids_are_not_in_the_catalogue_and_cannot_come_back() -> None:
    assert RETIRED_RULE_IDS and not set(RETIRED_RULE_IDS) & set(RULES_BY_ID)
    for retired in RETIRED_RULE_IDS:
        with pytest.raises(ValueError, match="retired"):
            rules.check_catalogue((Rule(retired, Severity.INFO, "t", Answered("has_escort", "=", "no"), "r"),))


def test_retired_rule_ids_are_used_nowhere_but_in_the_history() -> None:
    allowed = {ROOT / "screening" / "rules.py", ROOT / "docs" / "clinical-safety.md"}
    found = []
    for folder in ("screening", "tests", "templates", "docs", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html", ".md", ".txt", ".csv") or path in allowed:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.relative_to(ROOT)}: {retired}" for retired in RETIRED_RULE_IDS if retired in text]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [f"README.md: {retired}" for retired in RETIRED_RULE_IDS if retired in readme]
    assert found == []
