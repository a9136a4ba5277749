"""Tests of ``screening.clinical.scoring`` against the published algorithms (clinical-rules.md, "Instruments").

Answers go through ``questionnaire.clean_answers`` as they would in the app, so a wrong type, an unknown
code or an out-of-range number is simply unanswered. A missing item is never filled with 0.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.clinical import scoring
from screening.clinical.questionnaire import Answers, clean_answers
from screening.clinical.scoring import (
    INSTRUMENTS,
    Score,
    age,
    age_on,
    auditc,
    auditc_threshold,
    bmi,
    bmi_exact,
    describe,
    describe_all,
    gad7,
    peg,
    phq9,
    score_all,
    stopbang,
)

TODAY = date(2024, 6, 15)
KEYS = ["peg", "phq9", "gad7", "auditc", "stopbang", "age", "bmi"]
WRONG_TYPES: list[object] = ["3", "2", 2.0, True, False, 4, -1, [1], {"v": 1}]


def clean(**raw: object) -> Answers:
    return clean_answers(raw)


def items(prefix: str, values: list[int | None]) -> dict[str, object]:
    return {f"{prefix}_{n}": v for n, v in enumerate(values, 1) if v is not None}


def summing_to(total: int, count: int) -> list[int | None]:
    """``count`` likert items (0-3) that add up to ``total``."""
    return [min(3, max(0, total - 3 * n)) for n in range(count)]


# --- PEG ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pain", "enjoyment", "activity", "expected"),
    [
        (6, 5, 5, 5.3),  # 16/3 = 5.333
        (7, 7, 8, 7.3),  # 22/3 = 7.333
        (1, 2, 2, 1.7),  # 5/3 = 1.667
        (0, 0, 1, 0.3),
        (0, 0, 0, 0.0),
        (10, 10, 10, 10.0),
        (4, 5, 6, 5.0),
    ],
)
def test_peg_all_items_answered_is_mean_to_one_decimal(
    pain: int, enjoyment: int, activity: int, expected: float
) -> None:
    score = peg(clean(peg_pain=pain, peg_enjoyment=enjoyment, peg_activity=activity))
    assert score == Score(expected, None, complete=True, lower_bound=False)


@pytest.mark.parametrize("missing", ["peg_pain", "peg_enjoyment", "peg_activity"])
def test_peg_one_item_missing_is_none(missing: str) -> None:
    raw = {"peg_pain": 9, "peg_enjoyment": 9, "peg_activity": 9}
    del raw[missing]
    score = peg(clean_answers(raw))
    assert (score.value, score.band, score.complete, score.lower_bound) == (None, None, False, False)
    assert score.unknown == (missing,)


@pytest.mark.parametrize("junk", [*(j for j in WRONG_TYPES if j != 4), 11, 5.5])
def test_peg_wrong_type_counts_as_unanswered(junk: object) -> None:
    assert peg(clean(peg_pain=junk, peg_enjoyment=5, peg_activity=5)).value is None


# --- PHQ-9 and GAD-7 ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_boundaries(total: int, band: str) -> None:
    assert phq9(clean_answers(items("phq9", summing_to(total, 9)))) == Score(total, band, True, False)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(total: int, band: str) -> None:
    assert gad7(clean_answers(items("gad7", summing_to(total, 7)))) == Score(total, band, True, False)


def test_phq9_hand_computed_example_is_sum() -> None:
    score = phq9(clean_answers(items("phq9", [1, 2, 0, 3, 1, 0, 2, 1, 1])))
    assert score == Score(11, "moderate", complete=True, lower_bound=False)
    assert describe("phq9", score) == "PHQ-9 11 (moderate)"


def test_phq9_two_items_unanswered_is_lower_bound_without_band() -> None:
    score = phq9(clean_answers(items("phq9", [3, 3, None, 3, 2, None, 0, 0, 0])))
    assert score == Score(11, None, complete=False, lower_bound=True, unknown=("phq9_3", "phq9_6"))
    assert describe("phq9", score) == "PHQ-9 at least 11 (2 items unanswered)"


def test_gad7_one_item_unanswered_is_lower_bound_without_band() -> None:
    score = gad7(clean_answers(items("gad7", [3, 3, 3, 3, 3, 3, None])))
    assert (score.value, score.band, score.complete, score.lower_bound) == (18, None, False, True)
    assert describe("gad7", score) == "GAD-7 at least 18 (1 item unanswered)"


@pytest.mark.parametrize("scorer", [phq9, gad7])
def test_sum_scores_nothing_answered_is_none(scorer: Any) -> None:
    assert scorer(clean()) == Score(None, None, False, False, unknown=scorer(clean()).unknown)
    assert len(scorer(clean()).unknown) in (7, 9)


@pytest.mark.parametrize("junk", WRONG_TYPES)
def test_phq9_wrong_type_item_counts_as_unanswered(junk: object) -> None:
    raw = items("phq9", [1] * 9) | {"phq9_1": junk}
    assert phq9(clean_answers(raw)) == Score(8, None, False, True, unknown=("phq9_1",))


# --- AUDIT-C --------------------------------------------------------------------------------------
@pytest.mark.parametrize("sex", ["male", "female", "intersex", "not_say", None])
def test_auditc_never_drinks_is_complete_zero(sex: str | None) -> None:
    score = auditc(clean(auditc_1="0", auditc_2="4", auditc_3="4", sex_at_birth=sex))
    assert (score.value, score.band, score.complete, score.lower_bound) == (0, "negative", True, False)


# The US version (en-US; Bush 1998, Bradley 2003): positive at 4 for men, 3 for women. The UK version (en-GB, OHID,
# positive at 5 whatever the sex) and both versions at every cut-off: tests/unit/test_stopbang_auditc.py.
@pytest.mark.parametrize(
    ("sex", "codes", "value", "band"),
    [
        ("male", ("1", "1", "1"), 3, "negative"),
        ("male", ("2", "1", "1"), 4, "positive"),
        ("male", ("4", "4", "4"), 12, "positive"),
        ("female", ("1", "1", "0"), 2, "negative"),
        ("female", ("1", "1", "1"), 3, "positive"),
        ("female", ("2", "1", "1"), 4, "positive"),
        ("intersex", ("1", "1", "1"), 3, "positive"),
        ("not_say", ("1", "1", "1"), 3, "positive"),
        (None, ("1", "1", "1"), 3, "positive"),
        (None, ("1", "1", "0"), 2, "negative"),
    ],
)
def test_auditc_us_cut_off_by_sex(sex: str | None, codes: tuple[str, str, str], value: int, band: str) -> None:
    score = auditc(clean(auditc_1=codes[0], auditc_2=codes[1], auditc_3=codes[2], sex_at_birth=sex), "en-US")
    assert (score.value, score.band, score.complete, score.lower_bound) == (value, band, True, False)
    assert score.version == "AUDIT-C (US)"


@pytest.mark.parametrize(
    ("sex", "cutoff"), [("male", 4), ("female", 3), ("intersex", 3), ("not_say", 3), (None, 3), ("MALE", 3)]
)
def test_auditc_us_threshold_lower_unless_male(sex: str | None, cutoff: int) -> None:
    assert auditc_threshold(clean(sex_at_birth=sex), "en-US") == cutoff


@pytest.mark.parametrize("sex", ["male", "female", "intersex", "not_say", None])
def test_auditc_uk_threshold_is_five_whatever_the_sex(sex: str | None) -> None:
    assert auditc_threshold(clean(sex_at_birth=sex), "en-GB") == 5
    assert auditc_threshold(clean(sex_at_birth=sex)) == 5  # en-GB is the default locale


def test_auditc_item_missing_is_lower_bound_without_band() -> None:
    score = auditc(clean(auditc_1="2", auditc_2="1", sex_at_birth="male"), "en-US")
    assert score == Score(
        3, None, complete=False, lower_bound=True, unknown=("auditc_3",), cutoff=4, version="AUDIT-C (US)"
    )
    assert describe("auditc", score) == "AUDIT-C (US) at least 3 (cut-off 4; 1 item unanswered)"


@pytest.mark.parametrize("first", [None, 2, "5", "never", True])
def test_auditc_first_item_unanswered_hides_the_rest_and_is_none(first: object) -> None:
    score = auditc(clean(auditc_1=first, auditc_2="4", auditc_3="4"))
    assert (score.value, score.band, score.complete, score.lower_bound) == (None, None, False, False)


def test_auditc_positive_describe_names_version_and_cut_off_once() -> None:
    answers = clean(auditc_1="3", auditc_2="1", auditc_3="1", sex_at_birth="male")
    assert describe("auditc", auditc(answers, "en-US")) == "AUDIT-C (US) 5 (positive, cut-off 4)"
    assert describe("auditc", auditc(answers, "en-GB")) == "AUDIT-C (UK) 5 (positive, cut-off 5)"


# --- STOP-Bang ------------------------------------------------------------------------------------
NO_RISK: dict[str, object] = {
    "snoring_loud": "no",
    "daytime_tiredness": "no",
    "observed_apnoea": "no",
    "heart_conditions": ["none"],
    "height_cm": 170,
    "weight_kg": 70,
    "date_of_birth": "1990-01-01",
    "neck_large": "no",
    "sex_at_birth": "female",
}
ONE_POINT: dict[str, dict[str, object]] = {
    "snoring": {"snoring_loud": "yes"},
    "tiredness": {"daytime_tiredness": "yes"},
    "apnoea": {"observed_apnoea": "yes"},
    "pressure": {"heart_conditions": ["high_blood_pressure", "heart_attack"]},
    "bmi": {"height_cm": 160, "weight_kg": 100},
    "age": {"date_of_birth": "1970-01-01"},
    "neck": {"neck_large": "yes", "neck_43cm": "yes"},  # 43 cm or more: large for a man as for a woman
    "male": {"sex_at_birth": "male"},
}


def stop(*points: str, **overrides: object) -> Score:
    raw = dict(NO_RISK)
    for point in points:
        raw.update(ONE_POINT[point])
    raw.update(overrides)
    return stopbang(clean_answers({k: v for k, v in raw.items() if v is not None}), today=TODAY)


@pytest.mark.parametrize("point", ONE_POINT)
def test_stopbang_each_item_scores_one(point: str) -> None:
    assert stop(point) == Score(1, "low", complete=True, lower_bound=False)


@pytest.mark.parametrize(
    ("points", "band", "routes"),
    [
        ((), "low", ()),
        (("snoring", "tiredness"), "low", ()),
        (("snoring", "tiredness", "apnoea"), "intermediate", ()),
        (
            ("snoring", "tiredness", "apnoea", "pressure"),
            "intermediate",
            (),
        ),  # 4 STOP items, but female, BMI and neck no
        (("snoring", "age", "neck", "bmi"), "intermediate", ()),  # 1 STOP item only
        (("snoring", "tiredness", "apnoea", "pressure", "age"), "high", ("items_5_8",)),
        (("snoring", "tiredness", "apnoea", "pressure", "bmi"), "high", ("items_5_8", "stop_bmi")),
        (tuple(ONE_POINT), "high", ("items_5_8", "stop_male", "stop_bmi", "stop_neck")),
    ],
)
def test_stopbang_band_boundaries(points: tuple[str, ...], band: str, routes: tuple[str, ...]) -> None:
    assert stop(*points) == Score(len(points), band, complete=True, lower_bound=False, routes=routes)


def test_stopbang_pressure_is_the_diagnosis_not_a_reading() -> None:
    assert stop(bp_systolic=200, bp_diastolic=120).value == 0


@pytest.mark.parametrize(
    ("overrides", "unknown"),
    [
        ({"snoring_loud": None}, ("snoring_loud",)),
        ({"daytime_tiredness": None}, ("daytime_tiredness",)),
        ({"observed_apnoea": None}, ("observed_apnoea",)),
        ({"heart_conditions": None}, ("heart_conditions",)),
        ({"height_cm": None}, ("height_cm",)),
        ({"weight_kg": "80"}, ("weight_kg",)),
        ({"date_of_birth": None}, ("date_of_birth",)),
        ({"date_of_birth": "2030-01-01"}, ("date_of_birth",)),
        ({"neck_large": "unsure"}, ("neck_large",)),
        ({"neck_large": None}, ("neck_large",)),
        ({"sex_at_birth": "not_say"}, ("sex_at_birth",)),
        ({"sex_at_birth": None}, ("sex_at_birth",)),
    ],
)
def test_stopbang_unknown_item_counts_zero_as_lower_bound(
    overrides: dict[str, object], unknown: tuple[str, ...]
) -> None:
    point = "snoring" if "sex_at_birth" in overrides else "male"
    assert stop(point, **overrides) == Score(1, "at least low", complete=False, lower_bound=True, unknown=unknown)


def test_stopbang_intersex_is_an_answer_not_unknown() -> None:
    assert stop(sex_at_birth="intersex") == Score(0, "low", complete=True, lower_bound=False)


@pytest.mark.parametrize(
    ("points", "overrides", "band", "text"),
    [
        (
            ("snoring", "tiredness", "apnoea"),
            {"height_cm": None, "neck_large": "unsure"},
            "at least intermediate",
            "STOP-Bang at least 3 (at least intermediate; BMI and neck size unknown)",
        ),
        (
            ("snoring", "tiredness", "apnoea"),
            {"height_cm": None},
            "at least intermediate",
            "STOP-Bang at least 3 (at least intermediate; BMI unknown)",
        ),
        (
            ("snoring", "tiredness"),
            {"neck_large": None},
            "at least low",
            "STOP-Bang at least 2 (at least low; neck size unknown)",
        ),
        (("snoring",), {"neck_large": None}, "at least low", "STOP-Bang at least 1 (at least low; neck size unknown)"),
        (
            ("snoring", "tiredness", "apnoea", "pressure", "male"),
            {"height_cm": None, "weight_kg": None},
            "at least high",
            "STOP-Bang at least 5 (at least high: 5 or more of the 8 items, or 2 or more STOP items with male sex; BMI "
            "unknown)",
        ),
    ],
)
def test_stopbang_unknown_items_band_reads_at_least(
    points: tuple[str, ...], overrides: dict[str, object], band: str, text: str
) -> None:
    score = stop(*points, **overrides)
    assert (score.value, score.band, score.complete, score.lower_bound) == (len(points), band, False, True)
    assert describe("stopbang", score) == text


def test_stopbang_nothing_known_is_none() -> None:
    score = stopbang(clean(sex_at_birth="not_say", neck_large="unsure"), today=TODAY)
    assert (score.value, score.band, score.complete, score.lower_bound) == (None, None, False, False)


@pytest.mark.parametrize(
    ("height", "weight", "shown", "point"),
    [
        (200, 140, 35.0, False),  # exactly 35
        (169, 100, 35.0, True),  # 35.013
        (163, 93, 35.0, True),  # 35.003: shown as 35.0 but above 35
        (154, 83, 35.0, False),  # 34.997: shown as 35.0 but below 35
        (170, 70, 24.2, False),
    ],
)
def test_stopbang_bmi_compared_unrounded(height: int, weight: int, shown: float, point: bool) -> None:
    assert bmi(clean(height_cm=height, weight_kg=weight)).value == shown
    assert stop(height_cm=height, weight_kg=weight).value == int(point)


@pytest.mark.parametrize(
    ("born", "point"),
    [
        ("1974-06-15", False),  # 50 today
        ("1973-06-16", False),  # 51 tomorrow
        ("1973-06-15", True),  # 51 today
        ("1900-01-01", True),
    ],
)
def test_stopbang_age_over_50(born: str, point: bool) -> None:
    assert stop(date_of_birth=born).value == int(point)


# --- age and BMI ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("born", "today", "years"),
    [
        (date(1980, 3, 15), date(2024, 3, 15), 44),  # birthday
        (date(1980, 3, 15), date(2024, 3, 14), 43),  # the day before
        (date(1980, 3, 15), date(1980, 3, 15), 0),
        (date(2000, 2, 29), date(2023, 2, 28), 22),  # no 29 Feb this year: not yet
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2024, 2, 28), 23),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(1999, 3, 1), date(2024, 2, 29), 24),
        (date(1999, 12, 31), date(2000, 1, 1), 0),
    ],
)
def test_age_on_counts_whole_years(born: date, today: date, years: int) -> None:
    assert age_on(born, today) == years


def test_age_on_before_birth_raises() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(date(2024, 1, 2), date(2024, 1, 1))


@pytest.mark.parametrize(
    ("born", "years"),
    [
        ("1974-06-15", 50),
        ("1973-06-16", 50),
        ("2024-06-15", 0),
        ("2024-06-16", None),
        ("2999-01-01", None),
        ("1980-02-30", None),
        ("15/06/1980", None),
        (19800615, None),
        (None, None),
    ],
)
def test_age_from_date_of_birth_or_none(born: object, years: int | None) -> None:
    score = age(clean(date_of_birth=born), today=TODAY)
    assert (score.value, score.complete, score.lower_bound) == (years, years is not None, False)
    assert score.band is None


def test_age_accepts_a_datetime_as_today() -> None:
    assert age(clean(date_of_birth="1974-06-15"), today=datetime(2024, 6, 15, 23, 59)).value == 50


@pytest.mark.parametrize(
    ("height", "weight", "rounded", "exact"),
    [
        (170, 70, 24.2, 70 / 2.89),
        (180, 81, 25.0, 25.0),
        (200, 141, 35.3, 35.25),  # half up, where round(35.25, 1) gives 35.2
        (100, 30, 30.0, 30.0),
        (250, 350, 56.0, 56.0),
        (170.2, 77.6, 26.8, 77.6 / 1.702**2),  # decimals (issue 13): 5 ft 7 in and 12 st 3 lb, converted
        (160, 64.1, 25.0, 25.0390625),  # 64.1 / 2.56 = 25.039...: read as the decimal 64.1, not its binary float
        (200, 141.9, 35.5, 35.475),  # half up from the exact decimal ratio
    ],
)
def test_bmi_weight_over_height_squared(height: int, weight: int, rounded: float, exact: float) -> None:
    answers = clean(height_cm=height, weight_kg=weight)
    assert bmi(answers) == Score(rounded, None, complete=True, lower_bound=False)
    assert bmi_exact(answers) == pytest.approx(exact)


@pytest.mark.parametrize(
    ("height", "weight"),
    [(170, None), (None, 70), (None, None), ("170", 70), (170, float("nan")), (99.9, 70), (170, 350.1), (True, 70)],
)
def test_bmi_needs_both_valid_measures(height: object, weight: object) -> None:
    answers = clean(height_cm=height, weight_kg=weight)
    assert bmi(answers).value is None
    assert bmi_exact(answers) is None
    assert describe("bmi", bmi(answers)) == "BMI not calculated (height or weight not given)"


def test_bmi_hand_built_answers_out_of_range_is_none() -> None:
    assert bmi_exact(Answers({"height_cm": 0, "weight_kg": 70})) is None


# --- describe -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "score", "text"),
    [
        ("peg", Score(5.3, None, True, False), "PEG 5.3"),
        ("peg", Score(5.0, None, True, False), "PEG 5.0"),
        ("peg", Score(None, None, False, False, ("peg_pain",)), "PEG not scored (incomplete)"),
        ("phq9", Score(12, "moderate", True, False), "PHQ-9 12 (moderate)"),
        ("phq9", Score(None, None, False, False), "PHQ-9 not scored (not answered)"),
        ("gad7", Score(15, "severe", True, False), "GAD-7 15 (severe)"),
        ("auditc", Score(2, "negative", True, False, cutoff=3), "AUDIT-C 2 (negative, cut-off 3)"),
        ("stopbang", Score(5, "high", True, False), "STOP-Bang 5 (high)"),
        ("age", Score(52, None, True, False), "Age 52"),
        ("age", Score(None, None, False, False), "Age unknown (no valid date of birth)"),
        ("bmi", Score(31.2, None, True, False), "BMI 31.2"),
        # Scores built without ``unknown`` (e.g. read back from older storage) still read sensibly.
        ("phq9", Score(11, None, False, True), "PHQ-9 at least 11 (some items unanswered)"),
        (
            "stopbang",
            Score(3, "at least intermediate", False, True),
            "STOP-Bang at least 3 (at least intermediate; some items unknown)",
        ),
    ],
)
def test_describe_reads_short_clinician_text(key: str, score: Score, text: str) -> None:
    assert describe(key, score) == text


def test_describe_unknown_key_raises() -> None:
    with pytest.raises(ValueError, match="no score"):
        describe("dast10", Score(1, None, True, False))


def test_describe_all_covers_every_key() -> None:
    texts = describe_all(score_all({}, today=TODAY))
    assert list(texts) == KEYS
    assert texts["stopbang"] == "STOP-Bang not scored (not answered)"


# --- score_all ------------------------------------------------------------------------------------
FULL: dict[str, object] = {
    **NO_RISK,
    "peg_pain": 6,
    "peg_enjoyment": 5,
    "peg_activity": 5,
    **items("phq9", [1] * 9),
    **items("gad7", [2] * 7),
    "auditc_1": "2",
    "auditc_2": "1",
    "auditc_3": "0",
    "snoring_loud": "yes",
}


def test_score_all_keys_exactly() -> None:
    assert list(score_all(FULL, today=TODAY)) == KEYS
    assert set(INSTRUMENTS) == set(KEYS) - {"age", "bmi"}


def test_score_all_full_answers_hand_computed() -> None:
    scores = score_all(FULL, today=TODAY)
    assert {key: (s.value, s.band, s.complete) for key, s in scores.items()} == {
        "peg": (5.3, None, True),
        "phq9": (9, "mild", True),
        "gad7": (14, "moderate", True),
        "auditc": (3, "negative", True),
        "stopbang": (1, "low", True),
        "age": (34, None, True),
        "bmi": (24.2, None, True),
    }  # AUDIT-C 3 for a woman: negative in the UK version (en-GB, the default; cut-off 5), positive in the US one
    assert score_all(FULL, today=TODAY, locale="en-US")["auditc"] == Score(
        3, "positive", True, False, cutoff=3, version="AUDIT-C (US)"
    )


def test_score_all_raw_and_cleaned_answers_agree() -> None:
    assert score_all(FULL, today=TODAY) == score_all(clean_answers(FULL), today=TODAY)


def test_score_all_cleaned_answers_are_not_cleaned_again(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = clean_answers(FULL)

    def must_not_run(raw: object) -> Answers:
        raise AssertionError("cleaned twice")

    monkeypatch.setattr(scoring, "clean_answers", must_not_run)
    assert score_all(answers, today=TODAY)["phq9"].value == 9


def test_score_all_today_defaults_to_date_today() -> None:
    assert score_all(FULL) == score_all(FULL, today=date.today())


@pytest.mark.parametrize(
    "junk", [None, [], [("phq9_1", 3)], "phq9_1", 42, {"phq9_1": {"x": [None]}}, Answers(values=None)]
)  # type: ignore[arg-type]
def test_score_all_junk_never_raises(junk: Any) -> None:
    assert list(score_all(junk, today=TODAY)) == KEYS


# --- properties -----------------------------------------------------------------------------------
LIKERT = st.integers(0, 3)
YESNO = st.sampled_from(["yes", "no"])
VALID: dict[str, st.SearchStrategy[Any]] = {
    **{qid: st.integers(0, 10) for qid in ("peg_pain", "peg_enjoyment", "peg_activity")},
    **{f"phq9_{n}": LIKERT for n in range(1, 10)},
    **{f"gad7_{n}": LIKERT for n in range(1, 8)},
    **{f"auditc_{n}": st.sampled_from(["0", "1", "2", "3", "4"]) for n in range(1, 4)},
    "snoring_loud": YESNO,
    "daytime_tiredness": YESNO,
    "observed_apnoea": YESNO,
    "neck_large": st.sampled_from(["yes", "no", "unsure"]),
    "neck_43cm": st.sampled_from(["yes", "no", "unsure"]),
    "sex_at_birth": st.sampled_from(["female", "male", "intersex", "not_say"]),
    "heart_conditions": st.sampled_from([["none"], ["high_blood_pressure"], ["heart_attack"]]),
    "height_cm": st.integers(100, 250),
    "weight_kg": st.integers(30, 350),
    "date_of_birth": st.dates(date(1900, 1, 1), date(2030, 1, 1)).map(date.isoformat),
}
PARTIAL = st.fixed_dictionaries({}, optional=VALID)
RANGES = {"peg": (0, 10), "phq9": (0, 27), "gad7": (0, 21), "auditc": (0, 12), "stopbang": (0, 8)}
BANDS = {"phq9": scoring.PHQ9_BANDS, "gad7": scoring.GAD7_BANDS, "stopbang": scoring.STOPBANG_BANDS}


@given(PARTIAL)
def test_score_all_valid_answers_stay_in_range_and_consistent(raw: dict[str, Any]) -> None:
    scores = score_all(raw, today=TODAY)
    for key, (low, high) in RANGES.items():
        score = scores[key]
        assert score.value is None or low <= score.value <= high
        assert not (score.lower_bound and score.complete)
        assert score.value is not None or not (score.complete or score.lower_bound)
        if score.complete and key in BANDS:
            assert isinstance(score.value, int)
            assert score.band == (
                "high" if key == "stopbang" and score.routes else scoring._band(score.value, BANDS[key])
            )
        if key == "stopbang":  # a high-risk criterion is met exactly when the band is (at least) high
            assert bool(score.routes) == (score.band in ("high", "at least high"))
        if score.complete and key == "auditc":
            assert score.value is not None
            assert score.band == ("positive" if score.value >= auditc_threshold(clean_answers(raw)) else "negative")
        if not score.complete and key != "stopbang":
            assert score.band is None


@given(PARTIAL, st.data())
def test_score_all_adding_an_answer_never_lowers_a_sum(raw: dict[str, Any], data: st.DataObject) -> None:
    missing = sorted(set(VALID) - set(raw))
    if not missing:
        return
    qid = data.draw(st.sampled_from(missing))
    before = score_all(raw, today=TODAY)
    after = score_all({**raw, qid: data.draw(VALID[qid])}, today=TODAY)
    for key in ("phq9", "gad7", "auditc", "stopbang"):
        old, new = before[key].value, after[key].value
        if old is not None and before[key].lower_bound:
            assert new is not None and new >= old


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(sorted(VALID)) | st.text(max_size=8), JUNK, max_size=20) | JUNK)
def test_score_all_never_raises_on_junk(raw: Any) -> None:
    scores = score_all(raw, today=TODAY)
    assert list(scores) == KEYS
    for key, (low, high) in RANGES.items():
        value = scores[key].value
        assert value is None or low <= value <= high
    assert all(describe(key, score) for key, score in scores.items())
