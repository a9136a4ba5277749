"""STOP-Bang's high-risk criteria and the AUDIT-C's UK and US versions, written from the published instruments.

STOP-Bang (Chung 2008; Chung 2012 Br J Anaesth 108:768-75; Chung 2014 J Clin Sleep Med 10:951-8; Chung 2016 Chest
149:631-8; the scoring sheet of stopbang.ca "for general population"): "High Risk of OSA: Yes to 5-8 questions or Yes
to 2 or more of 4 STOP questions + male gender or Yes to 2 or more of 4 STOP questions + BMI > 35 kg/m2 or Yes to 2
or more of 4 STOP questions + neck circumference (17"/43cm in male, 16"/41cm in female)"; 0-2 low, 3-4 intermediate.
The STOP items are loud snoring, daytime tiredness, observed apnoea and high blood pressure (diagnosed or treated).

AUDIT-C, UK version (OHID "Alcohol use screening tests"): "How many units of alcohol do you drink on a typical day
when you are drinking?" (0 to 2, 3 to 4, 5 to 6, 7 to 9, 10+), "How often have you had 6 or more units if female, or
8 or more if male, on a single occasion in the last year?"; "An overall total score of 5 or above is AUDIT-C
positive". US version (Bush 1998; Bradley 2003; NIAAA / VA): standard drinks, "six or more drinks on one occasion",
positive at 4 or more for men and 3 or more for women. Each item scores its options 0-4 in both.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from screening import rules
from screening.clinical import questionnaire, scoring
from screening.clinical.questionnaire import QUESTIONS, clean_answers, localise
from screening.clinical.scoring import Score, auditc, describe, stopbang
from screening.rules import RuleConfig, assess, evaluate, stored_locale
from screening.staff import display as staff_display
from tests.answer_sets import TODAY, answers, born

# --- STOP-Bang ---------------------------------------------------------------------------------------------------
# A woman of 40 with a BMI of 24.2, no STOP item and a collar under 41 cm: STOP-Bang 0.
BASE: dict[str, Any] = {
    "snoring_loud": "no",
    "daytime_tiredness": "no",
    "observed_apnoea": "no",
    "heart_conditions": ["none"],
    "height_cm": 170,
    "weight_kg": 70,
    "date_of_birth": born(40),
    "neck_large": "no",
    "sex_at_birth": "female",
}
STOP_ITEMS: dict[str, dict[str, Any]] = {
    "S": {"snoring_loud": "yes"},
    "T": {"daytime_tiredness": "yes"},
    "O": {"observed_apnoea": "yes"},
    "P": {"heart_conditions": ["high_blood_pressure"]},
}
BMI_OVER_35 = {"height_cm": 170, "weight_kg": 102}  # 35.29
BMI_35_OR_LESS = {"height_cm": 170, "weight_kg": 101}  # 34.95
AGE_OVER_50 = {"date_of_birth": born(51)}
COLLAR_41_42 = {"neck_large": "yes", "neck_43cm": "no"}  # 16 in (41 cm) or more, under 17 in (43 cm)
COLLAR_43_UP = {"neck_large": "yes", "neck_43cm": "yes"}


def merged(*stop: str, **changes: Any) -> dict[str, Any]:
    """BASE with the STOP items ``stop`` and ``changes`` (None: the question left unanswered)."""
    given = dict(BASE)
    for item in stop:
        given.update(STOP_ITEMS[item])
    given.update(changes)
    return given


def score(*stop: str, **changes: Any) -> Score:
    given = {key: value for key, value in merged(*stop, **changes).items() if value is not None}
    return stopbang(clean_answers(given), today=TODAY)


def osa_flag(*stop: str, **changes: Any) -> rules.Flag | None:
    """resp_osa_risk for the whole baseline answer set (clinical-rules.md) with BASE, ``stop`` and ``changes``."""
    found = [
        flag for flag in evaluate(answers(**merged(*stop, **changes)), today=TODAY) if flag.rule_id == "resp_osa_risk"
    ]
    return found[0] if found else None


# Each alternative criterion with a count below 5, so only that criterion makes it high.
@pytest.mark.parametrize(
    ("stop", "changes", "value", "route", "words"),
    [
        (("S", "T"), {"sex_at_birth": "male"}, 3, "stop_male", "2 or more STOP items with male sex"),
        (("O", "P"), {"sex_at_birth": "male"}, 3, "stop_male", "2 or more STOP items with male sex"),
        (("O", "P"), BMI_OVER_35, 3, "stop_bmi", "2 or more STOP items with BMI over 35"),
        (("S", "T"), COLLAR_41_42, 3, "stop_neck", "2 or more STOP items with a large neck"),  # a woman: 41 cm
        (("T", "P"), {**COLLAR_41_42, **AGE_OVER_50}, 4, "stop_neck", "2 or more STOP items with a large neck"),
    ],
)
def test_each_alternative_route_is_high_with_fewer_than_5_items(
    stop: tuple[str, ...], changes: dict[str, Any], value: int, route: str, words: str
) -> None:
    result = score(*stop, **changes)
    assert (result.value, result.band, result.complete, result.routes) == (value, "high", True, (route,))
    flag = osa_flag(*stop, **changes)
    assert flag is not None
    assert flag.evidence == f"STOP-Bang {value} (high: {words})"


@pytest.mark.parametrize(
    ("stop", "changes", "value", "band"),
    [
        (("S",), {"sex_at_birth": "male", **BMI_OVER_35, **AGE_OVER_50}, 4, "intermediate"),  # 1 STOP item + male, BMI
        (("S",), {"sex_at_birth": "male", **COLLAR_43_UP, **AGE_OVER_50}, 4, "intermediate"),  # 1 STOP item + neck
        (("S", "T"), {}, 2, "low"),  # 2 STOP items, a woman, BMI 24, collar under 41 cm
        (("O", "P"), BMI_35_OR_LESS, 2, "low"),  # BMI 34.95 is not over 35
        (("O", "P"), {"height_cm": 200, "weight_kg": 140}, 2, "low"),  # BMI exactly 35 is not over 35
        (("S", "T", "O", "P"), AGE_OVER_50, 5, "high"),  # control: 5 items is high (not a near miss)
    ],
)
def test_near_misses_of_the_alternative_routes(
    stop: tuple[str, ...], changes: dict[str, Any], value: int, band: str
) -> None:
    result = score(*stop, **changes)
    assert (result.value, result.band, result.complete) == (value, band, True)
    assert (osa_flag(*stop, **changes) is not None) is (band == "high")


def test_5_to_8_items_is_high_and_names_every_criterion_met() -> None:
    result = score("S", "T", "O", "P", sex_at_birth="male", **BMI_OVER_35, **COLLAR_43_UP, **AGE_OVER_50)
    assert (result.value, result.band) == (8, "high")
    assert result.routes == ("items_5_8", "stop_male", "stop_bmi", "stop_neck")
    assert describe("stopbang", result) == (
        "STOP-Bang 8 (high: 5 or more of the 8 items, or 2 or more STOP items with male sex, or 2 or more STOP "
        "items with BMI over 35, or 2 or more STOP items with a large neck)"
    )


def test_four_items_without_a_route_stay_intermediate() -> None:
    # S, age, BMI and neck (a woman at 41 cm): 4 items, 1 STOP item: intermediate, as before the criteria.
    result = score("S", **AGE_OVER_50, **BMI_OVER_35, **COLLAR_41_42)
    assert (result.value, result.band, result.routes) == (4, "intermediate", ())


# The neck threshold by sex (stopbang.ca: 17 in / 43 cm for a man, 16 in / 41 cm for a woman).
@pytest.mark.parametrize(
    ("sex", "collar", "point"),
    [
        ("female", {"neck_large": "no"}, False),
        ("female", COLLAR_41_42, True),
        ("female", COLLAR_43_UP, True),
        ("female", {"neck_large": "yes"}, True),  # 41 cm is enough for a woman: the 43 cm answer is not needed
        ("male", {"neck_large": "no"}, False),
        ("male", COLLAR_41_42, False),  # 41-42 cm is not large for a man
        ("male", COLLAR_43_UP, True),
        ("intersex", COLLAR_41_42, True),  # the lower (more sensitive) size for anyone not registered male
    ],
)
def test_neck_threshold_by_sex(sex: str, collar: dict[str, Any], point: bool) -> None:
    with_collar, without = score(sex_at_birth=sex, **collar), score(sex_at_birth=sex)
    assert with_collar.complete and without.complete
    assert with_collar.value - without.value == int(point)


def test_a_man_over_41_cm_who_is_not_sure_about_43_cm_has_an_unknown_neck() -> None:
    result = score("S", sex_at_birth="male", neck_large="yes", neck_43cm="unsure", **AGE_OVER_50, **BMI_OVER_35)
    assert (result.value, result.band, result.lower_bound, result.unknown) == (
        4,
        "at least intermediate",
        True,
        ("neck_43cm",),
    )
    assert describe("stopbang", result) == "STOP-Bang at least 4 (at least intermediate; neck size unknown)"
    assert (
        osa_flag("S", sex_at_birth="male", neck_large="yes", neck_43cm="unsure", **AGE_OVER_50, **BMI_OVER_35) is None
    )  # could be 5 (high) with 43 cm: a minimum fires only once it is high


def test_sex_withheld_with_a_41_42_cm_collar_counts_the_point_either_way() -> None:
    # If female the neck scores, if male the sex does: 2 STOP items are high either way, and "at least" says so.
    result = score("S", "T", sex_at_birth="not_say", **COLLAR_41_42)
    assert (result.value, result.band, result.routes, result.unknown) == (
        3,
        "at least high",
        ("stop_neck",),
        ("sex_at_birth",),
    )


# "At least" semantics: unknown items count 0; high by any route once the items known already meet it.
@pytest.mark.parametrize(
    ("stop", "changes", "band", "fires"),
    [
        (("S", "T"), {"sex_at_birth": "male", "height_cm": None}, "at least high", True),  # male route, BMI unknown
        (("S", "T"), {"sex_at_birth": "male", "neck_large": "unsure"}, "at least high", True),
        (("O", "P"), {**BMI_OVER_35, "neck_large": None}, "at least high", True),  # BMI route, neck unknown
        (("S", "T"), {**COLLAR_41_42, "weight_kg": None}, "at least high", True),  # neck route, BMI unknown
        (("S", "T", "O", "P"), {**AGE_OVER_50, "height_cm": None}, "at least high", True),  # 5 items, BMI unknown
        (("S", "T"), {"sex_at_birth": "not_say"}, "at least low", False),  # could be high if male: a minimum is low
        (("S", "T"), {"height_cm": None, "neck_large": "unsure"}, "at least low", False),
        (("S",), {"sex_at_birth": "male", "daytime_tiredness": None}, "at least low", False),  # 2nd STOP unknown
        (("S", "T", "O"), {"height_cm": None}, "at least intermediate", False),
    ],
)
def test_at_least_cases(stop: tuple[str, ...], changes: dict[str, Any], band: str, fires: bool) -> None:
    result = score(*stop, **changes)
    assert (result.band, result.complete, result.lower_bound) == (band, False, True)
    flag = osa_flag(*stop, **changes)
    assert (flag is not None) is fires
    if flag is not None:
        assert flag.evidence.startswith("STOP-Bang at least ") and "(at least high: " in flag.evidence


def test_sleep_apnoea_diagnosis_and_a_high_score_give_both_pieces_of_evidence() -> None:
    flag = osa_flag("S", "T", sex_at_birth="male", other_conditions=["sleep_apnoea"], uses_cpap="yes")
    assert flag is not None
    assert flag.evidence == ("Other conditions: Sleep apnoea; STOP-Bang 3 (high: 2 or more STOP items with male sex)")


def test_neck_follow_up_is_asked_of_everyone_over_41_cm_and_nested_under_yes() -> None:
    question = QUESTIONS["neck_43cm"]
    assert question.enable_when is not None
    assert [(c.question, c.operator, c.value) for c in question.enable_when] == [("neck_large", "=", "yes")]
    assert "43 cm" in question.label and "17 inches" in question.label
    assert questionnaire.STEP_OF["neck_43cm"] is questionnaire.STEP_OF["neck_large"]


# --- AUDIT-C -------------------------------------------------------------------------------------------------------
def audit(*codes: str, sex: str | None = "female") -> dict[str, Any]:
    given: dict[str, Any] = {f"auditc_{n}": code for n, code in enumerate(codes, 1)}
    if sex is not None:
        given["sex_at_birth"] = sex
    return given


# (sex, codes, total): totals just below and at each version's cut-off.
@pytest.mark.parametrize(
    ("locale", "sex", "codes", "total", "band", "cutoff"),
    [
        # UK (en-GB): 5 or more is positive, for men and women alike.
        ("en-GB", "male", ("2", "1", "1"), 4, "negative", 5),
        ("en-GB", "male", ("2", "2", "1"), 5, "positive", 5),
        ("en-GB", "female", ("2", "1", "1"), 4, "negative", 5),
        ("en-GB", "female", ("3", "1", "1"), 5, "positive", 5),
        ("en-GB", "female", ("1", "1", "1"), 3, "negative", 5),  # positive for a woman in the US version
        ("en-GB", "intersex", ("4", "1", "0"), 5, "positive", 5),
        ("en-GB", "not_say", ("4", "0", "0"), 4, "negative", 5),
        ("en-GB", "male", ("4", "4", "4"), 12, "positive", 5),
        # US (en-US): 4 or more for men, 3 or more for women (and, as the safer reading, anyone not registered male).
        ("en-US", "male", ("1", "1", "1"), 3, "negative", 4),
        ("en-US", "male", ("2", "1", "1"), 4, "positive", 4),
        ("en-US", "female", ("1", "1", "0"), 2, "negative", 3),
        ("en-US", "female", ("1", "1", "1"), 3, "positive", 3),
        ("en-US", "intersex", ("2", "1", "0"), 3, "positive", 3),
        ("en-US", "not_say", ("2", "0", "0"), 2, "negative", 3),
    ],
)
def test_auditc_uk_and_us_at_each_cut_off(
    locale: str, sex: str, codes: tuple[str, ...], total: int, band: str, cutoff: int
) -> None:
    version = {"en-GB": "AUDIT-C (UK)", "en-US": "AUDIT-C (US)"}[locale]
    result = auditc(clean_answers(audit(*codes, sex=sex)), locale)
    assert result == Score(total, band, True, False, cutoff=cutoff, version=version)
    flags = [
        flag
        for flag in evaluate(answers(**audit(*codes, sex=sex)), today=TODAY, locale=locale)
        if flag.rule_id == "sub_alcohol_unhealthy"
    ]
    assert bool(flags) is (band == "positive")
    if flags:  # the cut-off printed once, with the version that applied it
        assert flags[0].evidence == f"{version} {total} (positive, cut-off {cutoff})"
        assert flags[0].evidence.count("cut-off") == 1


@pytest.mark.parametrize("locale", ["en-GB", "en-US"])
def test_auditc_never_drinking_scores_zero_in_both_versions(locale: str) -> None:
    result = auditc(clean_answers(audit("0", "4", "4", sex="male")), locale)
    assert (result.value, result.band, result.complete) == (0, "negative", True)


@pytest.mark.parametrize(
    ("locale", "codes", "fires", "text"),
    [
        ("en-GB", ("4", "1"), True, "AUDIT-C (UK) at least 5 (cut-off 5; 1 item unanswered)"),
        ("en-GB", ("4", "0"), False, None),
        ("en-US", ("3", "0"), True, "AUDIT-C (US) at least 3 (cut-off 3; 1 item unanswered)"),
    ],
)
def test_auditc_incomplete_fires_once_its_minimum_reaches_the_cut_off(
    locale: str, codes: tuple[str, ...], fires: bool, text: str | None
) -> None:
    flags = [
        flag
        for flag in evaluate(answers(**audit(*codes)), today=TODAY, locale=locale)
        if flag.rule_id == "sub_alcohol_unhealthy"
    ]
    assert [flag.evidence for flag in flags] == ([text] if fires else [])


def test_the_version_follows_the_locale_and_the_config_records_it() -> None:
    given = answers(**audit("2", "1", "0"))  # a woman scoring 3
    uk, us = assess(given, today=TODAY), assess(given, today=TODAY, locale="en-US")
    assert (uk.config.locale, uk.scores["auditc"].version, uk.scores["auditc"].band) == (
        "en-GB",
        "AUDIT-C (UK)",
        "negative",
    )
    assert (us.config.locale, us.scores["auditc"].version, us.scores["auditc"].band) == (
        "en-US",
        "AUDIT-C (US)",
        "positive",
    )
    assert asdict(us.config)["locale"] == "en-US"  # what submit stores as rule_config
    assert assess(given, today=TODAY, config=RuleConfig(locale="en-US")).scores["auditc"].version == "AUDIT-C (US)"


def test_an_unknown_locale_is_refused_by_the_config() -> None:
    with pytest.raises(ValueError, match="locale"):
        RuleConfig(locale="fr-FR")


@pytest.mark.parametrize(
    ("stored", "locale"),
    [
        ({"locale": "en-GB", "bp_severe_systolic": 180}, "en-GB"),
        ({"locale": "en-US"}, "en-US"),
        ({"bp_severe_systolic": 180, "bp_severe_diastolic": 100}, "en-US"),  # rule set 2026.2: no locale, US AUDIT-C
        ({"locale": "xx"}, "en-US"),
        (None, "en-US"),
    ],
)
def test_stored_locale_reads_old_submissions_as_the_us_version_they_were_scored_with(stored: Any, locale: str) -> None:
    assert stored_locale(stored) == locale


class _Flag:
    def __init__(self, rule_id: str, title: str = "") -> None:
        self.rule_id, self.title = rule_id, title


def test_todays_rules_are_compared_in_the_locale_the_submission_was_scored_with() -> None:
    given = answers(**audit("2", "1", "0"))  # a woman scoring 3: US positive, UK negative
    us_flags = [_Flag(flag.rule_id, flag.title) for flag in evaluate(given, today=TODAY, locale="en-US")]
    assert "sub_alcohol_unhealthy" in {flag.rule_id for flag in us_flags}
    for rule_config in ({"locale": "en-US"}, {"bp_severe_systolic": 180}):  # new, and stored without a locale
        difference = staff_display.compare_with_current_rules(
            given, us_flags, submitted_on=TODAY, submitted_version="2026.2", rule_config=rule_config
        )
        assert "sub_alcohol_unhealthy" not in {rule_id for rule_id, _ in difference.removed}
    difference = staff_display.compare_with_current_rules(
        given, us_flags, submitted_on=TODAY, submitted_version="2026.2", rule_config={"locale": "en-GB"}
    )
    assert "sub_alcohol_unhealthy" in {rule_id for rule_id, _ in difference.removed}


def test_stored_scores_show_their_version_and_old_ones_read_as_before() -> None:
    scores = scoring.score_all(answers(**audit("3", "1", "1")), today=TODAY, locale="en-GB")
    stored = {key: asdict(value) for key, value in scores.items()}
    view = {score.key: score for score in staff_display.score_views(stored)}["auditc"]
    assert (view.name, view.text) == ("AUDIT-C (UK)", "5 (positive, cut-off 5)")
    old = {"auditc": {"value": 5, "band": "positive", "complete": True, "lower_bound": False, "cutoff": 4}}
    view = staff_display.score_views(old)[0]
    assert (view.name, view.text) == ("AUDIT-C", "5 (positive, cut-off 4)")


# --- the AUDIT-C questions per locale: one definition, one set of codes, words filled when shown -----------------
UK_WORDS = {
    "auditc_1": "How often do you have a drink containing alcohol?",
    "auditc_2": "How many units of alcohol do you drink on a typical day when you are drinking?",
    "auditc_3": "How often have you had 6 or more units if female, or 8 or more if male, on a single occasion in the "
    "last year?",
}
US_WORDS = {
    "auditc_1": "How often do you have a drink containing alcohol?",
    "auditc_2": "How many standard drinks containing alcohol do you have on a typical day?",
    "auditc_3": "How often do you have six or more drinks on one occasion?",
}
OPTIONS = {
    "en-GB": ("0 to 2", "3 to 4", "5 to 6", "7 to 9", "10 or more"),
    "en-US": ("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
}


@pytest.mark.parametrize(("locale", "words"), [("en-GB", UK_WORDS), ("en-US", US_WORDS)])
def test_auditc_questions_are_worded_as_the_locales_version(locale: str, words: dict[str, str]) -> None:
    for qid, label in words.items():
        assert QUESTIONS[qid].label_in(locale) == label
    assert (
        tuple(QUESTIONS["auditc_2"].option_label(code, locale) for code in QUESTIONS["auditc_2"].codes)
        == (OPTIONS[locale])
    )
    for qid in ("auditc_2", "auditc_3"):
        error = localise(QUESTIONS[qid].error, locale)
        assert error.startswith("Select ") and "{" not in error
        assert ("unit" in error) is (locale == "en-GB")


def test_auditc_is_one_question_per_item_with_the_same_codes_in_every_locale() -> None:
    ids = [qid for qid in QUESTIONS if qid.startswith("auditc")]
    assert ids == ["auditc_1", "auditc_2", "auditc_3"]
    for qid in ids:
        assert QUESTIONS[qid].codes == ("0", "1", "2", "3", "4")


def test_every_placeholder_is_filled_in_every_locale() -> None:
    for locale in questionnaire.LOCALES:
        for question in QUESTIONS.values():
            texts = [
                question.label_in(locale),
                localise(question.error, locale),
                localise(question.hint, locale),
                *(question.option_label(code, locale) for code in question.codes),
            ]
            assert not any("{" in text for text in texts), (locale, question.id)


def test_the_uk_hint_explains_a_unit_and_the_us_hint_a_standard_drink() -> None:
    assert "8 g" in localise(QUESTIONS["auditc_2"].hint, "en-GB") and "unit" in localise(
        QUESTIONS["auditc_2"].hint, "en-GB"
    )
    assert "14 g" in localise(QUESTIONS["auditc_2"].hint, "en-US")
