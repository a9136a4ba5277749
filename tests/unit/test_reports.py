"""The reports' numbers (``screening.staff.reports``) against hand-worked answers: the percentile method, ISO weeks
in the clinic's time zone (a late Sunday evening in UTC is Monday in London in summer), time to first review and to a
decision, the open queue's age bands, flag shares counted once per submission, and the date range's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from screening.staff import reports
from screening.staff.reports import DateRange, SubmissionFacts

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def facts(hours_after_t0: float = 0, status: str = "new", **kwargs: object) -> SubmissionFacts:
    return SubmissionFacts(
        submitted_at=T0 + timedelta(hours=hours_after_t0),
        status=status,
        severity=str(kwargs.pop("severity", "none")),
        **kwargs,  # type: ignore[arg-type]
    )


# --- percentiles -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9.1),  # rank 1 + 0.9 * 9 = 9.1: between 9 and 10
        ([4], 4, 4),  # a single value is its own median and percentile
        ([1, 2], 1.5, 1.9),
        ([10, 0, 5], 5, 9),  # order does not matter: rank 1 + 0.9 * 2 = 2.8, 5 + 0.8 * 5 = 9
    ],
)
def test_spread_median_and_inclusive_90th_percentile(values: list[float], median: float, p90: float) -> None:
    result = reports.spread(values)
    assert result.count == len(values)
    assert result.median == pytest.approx(median)
    assert result.p90 == pytest.approx(p90)


def test_spread_of_nothing_is_no_data() -> None:
    assert reports.spread([]) == reports.Spread(0, None, None)
    assert reports.duration_words(None) == "No data"


@pytest.mark.parametrize(
    ("hours", "words"), [(0.5, "30 minutes"), (5.5, "5.5 hours"), (47.9, "47.9 hours"), (60, "2.5 days")]
)
def test_duration_words(hours: float, words: str) -> None:
    assert reports.duration_words(hours) == words


# --- weeks ------------------------------------------------------------------------------------------------------------
def test_weekly_counts_use_iso_weeks_in_the_clinic_zone_and_keep_empty_weeks() -> None:
    period = DateRange(date(2026, 6, 29), date(2026, 7, 19))  # Monday 29 June .. Sunday 19 July: three weeks
    submitted = [
        datetime(2026, 6, 29, 8, 0, tzinfo=UTC),  # week of 29 June
        datetime(2026, 7, 5, 22, 30, tzinfo=UTC),  # Sunday 23:30 in London (BST): still the week of 29 June
        datetime(2026, 7, 12, 23, 30, tzinfo=UTC),  # Sunday in UTC, Monday 00:30 in London: the week of 13 July
    ]
    assert reports.weekly_counts(submitted, period, LONDON) == [
        (date(2026, 6, 29), 2),
        (date(2026, 7, 6), 0),
        (date(2026, 7, 13), 1),
    ]


def test_weekly_counts_start_at_the_monday_of_the_first_day_and_ignore_days_outside() -> None:
    period = DateRange(date(2026, 7, 1), date(2026, 7, 1))  # a Wednesday
    submitted = [datetime(2026, 6, 30, 12, tzinfo=UTC), datetime(2026, 7, 1, 12, tzinfo=UTC)]
    assert reports.weekly_counts(submitted, period, LONDON) == [(date(2026, 6, 29), 1)]
    assert reports.week_label(date(2026, 6, 29)) == "Week 27 (from 29 Jun 2026)"


# --- review and decision times ---------------------------------------------------------------------------------------
def test_first_review_is_the_earliest_event_or_pick_up_and_decision_the_first_decision() -> None:
    reviewed = facts(
        events=((T0 + timedelta(hours=5), "in_review"), (T0 + timedelta(hours=2), None)),  # a note came first
        picked_up_at=T0 + timedelta(hours=3),
    )
    assert reports.first_review_at(reviewed) == T0 + timedelta(hours=2)
    picked = facts(events=((T0 + timedelta(hours=5), "in_review"),), picked_up_at=T0 + timedelta(hours=1))
    assert reports.first_review_at(picked) == T0 + timedelta(hours=1)
    decided = facts(
        events=(
            (T0 + timedelta(hours=30), "consult_offered"),
            (T0 + timedelta(hours=10), "awaiting_patient"),
            (T0 + timedelta(hours=50), "withdrawn"),
        )
    )
    assert reports.decided_at(decided) == T0 + timedelta(hours=30)
    assert reports.decided_at(facts()) is None and reports.first_review_at(facts()) is None


def test_times_count_only_submissions_that_reached_the_step() -> None:
    rows = [
        facts(0, events=((T0 + timedelta(hours=2), "in_review"), (T0 + timedelta(hours=24), "not_suitable"))),
        facts(1, events=((T0 + timedelta(hours=5), "in_review"),)),  # 4 hours to review, no decision yet
        facts(2),  # not reviewed
    ]
    first = reports.time_to_first_review(rows)
    assert (first.count, first.median) == (2, pytest.approx(3))
    decision = reports.time_to_decision(rows)
    assert (decision.count, decision.median, decision.p90) == (1, 24, 24)


# --- the open queue ---------------------------------------------------------------------------------------------------
def test_open_queue_by_severity_and_age_band_ignores_closed_submissions() -> None:
    now = T0 + timedelta(days=10)
    rows = [
        facts(24 * 10 - 1, severity="urgent"),  # 1 hour old
        facts(24 * 9, severity="urgent"),  # exactly 1 day: "1 to 3 days"
        facts(24 * 5, status="in_review", severity="caution"),  # 5 days
        facts(24 * 7, status="awaiting_patient"),  # exactly 3 days: "3 to 7 days"
        facts(0, severity="discuss"),  # 10 days
        facts(0, status="consult_offered", severity="urgent"),  # decided: not waiting
    ]
    queue = reports.open_queue(rows, now)
    assert queue["urgent"] == {"Less than 1 day": 1, "1 to 3 days": 1, "3 to 7 days": 0, "More than 7 days": 0}
    assert queue["caution"]["3 to 7 days"] == 1
    assert queue["none"]["3 to 7 days"] == 1
    assert queue["discuss"]["More than 7 days"] == 1
    assert sum(sum(bands.values()) for bands in queue.values()) == 5
    assert list(queue) == ["urgent", "discuss", "caution", "info", "none"]


def test_band_starts_put_each_submission_in_its_age_band() -> None:
    """The bands the database counts with (sent after ``now`` less the band's limit) are ``age_band``'s, at the
    edges too: exactly 1 day old is "1 to 3 days", a microsecond less is "Less than 1 day"."""
    now = T0 + timedelta(days=10)
    starts = reports.band_starts(now)

    def band(sent: datetime) -> str:
        return next(label for label, after in starts if after is None or sent > after)

    for age in (timedelta(0), timedelta(days=1), timedelta(days=3), timedelta(days=7), timedelta(days=40)):
        for nudge in (timedelta(microseconds=-1), timedelta(0), timedelta(microseconds=1)):
            sent = now - age + nudge
            assert band(sent) == reports.age_band(sent, now), (age, nudge)


# --- flags and outcomes -----------------------------------------------------------------------------------------------
def test_flag_shares_count_each_submission_once_and_sort_by_count() -> None:
    escort, allergy = ("no_escort", "No escort"), ("allergy", "Possible allergy")
    rows = [facts(flags=(escort, allergy)), facts(flags=(escort, escort)), facts(flags=(escort,)), facts()]
    shares = reports.flag_shares(rows)
    assert [(share.rule_id, share.title, share.count) for share in shares] == [
        ("no_escort", "No escort", 3),
        ("allergy", "Possible allergy", 1),
    ]
    assert [share.percent for share in shares] == [75, 25]
    assert reports.flag_shares([]) == []


def test_flag_title_is_the_newest_wording_and_ties_sort_by_rule() -> None:
    rows = [
        facts(1, flags=(("escort", "Older wording"), ("a_rule", "Same"))),
        facts(5, flags=(("escort", "No escort"),)),
        facts(3, flags=(("escort", "Middle wording"), ("b_rule", "Same"))),
    ]
    shares = reports.flag_shares(rows)
    assert [(share.rule_id, share.title) for share in shares] == [
        ("escort", "No escort"),
        ("a_rule", "Same"),
        ("b_rule", "Same"),
    ]


def test_build_counted_is_build_from_the_same_submissions() -> None:
    """The page's way (narrow rows and counts) and the reference (every submission's facts) agree; the database's
    side of it is tested against real rows in tests/app/test_reports_scale.py."""
    period = DateRange(date(2026, 6, 29), date(2026, 7, 12))
    now = T0 + timedelta(days=4)
    rows = [
        facts(
            1, "consult_offered", severity="urgent", picked_up_at=T0 + timedelta(hours=2), events=((T0, "in_review"),)
        ),
        facts(30, "in_review", severity="caution", events=((T0 + timedelta(hours=40), None),)),
        facts(50, "not_suitable", events=((T0 + timedelta(hours=51), "not_suitable"),), flags=(("x", "X"),)),
        facts(-24 * 3, "new", severity="discuss"),  # 29 June: the range's first day, in London
    ]
    expected = reports.build(rows, rows, period, zone=LONDON, now=now)
    moments = [reports.Moments(row.submitted_at, reports.first_review_at(row), reports.decided_at(row)) for row in rows]
    queue = [
        (severity, band, count)
        for severity, bands in reports.open_queue(rows, now).items()
        for band, count in bands.items()
    ]
    counted = reports.Counted(
        outcomes=reports.status_outcomes(rows),
        flags=[(share.rule_id, share.title, share.count) for share in reports.flag_shares(rows)],
        queue=queue,
    )
    assert reports.build_counted(iter(moments), counted, period, zone=LONDON) == expected


def test_status_outcomes_list_every_status() -> None:
    rows = [facts(status="new"), facts(status="withdrawn"), facts(status="withdrawn")]
    assert reports.status_outcomes(rows) == {
        "new": 1,
        "in_review": 0,
        "awaiting_patient": 0,
        "consult_offered": 0,
        "not_suitable": 0,
        "withdrawn": 2,
    }


# --- the date range ---------------------------------------------------------------------------------------------------
TODAY = date(2026, 12, 1)


def test_range_defaults_to_the_last_30_days() -> None:
    assert reports.parse_range({}, TODAY) == (DateRange(date(2026, 11, 2), TODAY), {})
    assert reports.parse_range({"to": "2026-11-30"}, TODAY) == (DateRange(date(2026, 11, 1), date(2026, 11, 30)), {})
    assert reports.last_full_month(TODAY) == DateRange(date(2026, 11, 1), date(2026, 11, 30))
    assert reports.last_full_month(date(2026, 1, 15)) == DateRange(date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-13-01"}, "from", "Enter a real date, for example 2026-11-24"),
        ({"to": "yesterday"}, "to", "Enter a real date, for example 2026-11-24"),
        ({"from": "2026-11-10", "to": "2026-11-09"}, "to", "The end date must be the same as or after the start date"),
        ({"from": "2024-11-29", "to": "2026-11-30"}, "to", "Choose a range of 2 years or less"),
    ],
)
def test_range_errors_fall_back_to_the_default(params: dict[str, str], field: str, message: str) -> None:
    period, errors = reports.parse_range(params, TODAY)
    assert errors == {field: message}
    assert period == reports.default_range(TODAY)


def test_range_of_exactly_two_years_is_allowed() -> None:
    period, errors = reports.parse_range({"from": "2024-12-01", "to": "2026-11-30"}, TODAY)
    assert errors == {} and period == DateRange(date(2024, 12, 1), date(2026, 11, 30))


def test_range_bounds_are_local_midnights() -> None:
    start, end = DateRange(date(2026, 7, 1), date(2026, 7, 31)).bounds(LONDON)
    assert start.astimezone(UTC) == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 7, 31, 23, tzinfo=UTC)


# --- the charts (pygal) -----------------------------------------------------------------------------------------------
def test_charts_count_in_whole_numbers_and_label_long_ranges_with_years() -> None:
    from screening.staff import reports_charts

    period = DateRange(date(2024, 12, 2), date(2026, 11, 29))
    rows = [facts(status="new", severity="urgent"), facts(status="withdrawn")]
    report = reports.build(rows, rows, period, zone=LONDON, now=T0 + timedelta(hours=1))
    weekly = reports_charts.render("weekly", report)
    assert weekly.startswith("<svg") and "30 Jun 2025" in weekly  # 104 weeks: labels carry the year
    assert reports_charts._whole_numbers(3) == [0, 1, 2, 3]
    assert reports_charts._whole_numbers(12) == [0, 3, 6, 9, 12]
    assert reports_charts._whole_numbers(0) == [0, 1]
    assert ">0.5<" not in reports_charts.render("outcomes", report)  # no half a submission on the axis


def test_charts_leave_no_finder_that_breaks_failed_imports() -> None:
    """pygal's map-plugin finder has no ``find_spec``: a missing optional module would raise ImportWarning (an
    error here) instead of ModuleNotFoundError once pygal is loaded."""
    import importlib

    from screening.staff import reports_charts  # noqa: F401 (imports pygal)

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("no_such_module_for_the_reports_test")
