"""Opening hours and the escalation deadline: counted on the clinic's wall clock, waiting for the next opening when
the deadline falls outside opening hours (issue 10, "outside them, at the next opening")."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.staff.opening_hours import OpeningHours, OpeningHoursError, escalate_at, parse

LONDON = "Europe/London"
WEEKDAYS = parse("Mon-Fri 09:00-17:00")


def local(text: str, zone: str = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_parse_reads_day_ranges_lists_and_several_periods() -> None:
    hours = parse("Mon-Fri 09:00-17:00; Sat 09:00-12:00, 13:00-14:30; Sun,Wed 18:00-20:00")
    assert hours.periods[0] == ((time(9), time(17)),)
    assert hours.periods[2] == ((time(9), time(17)), (time(18), time(20)))
    assert hours.periods[5] == ((time(9), time(12)), (time(13), time(14, 30)))
    assert hours.periods[6] == ((time(18), time(20)),)
    assert parse("Fri-Mon 08:00-24:00").periods[0][0][1] == time.max  # a range wraps the weekend
    assert [bool(day) for day in parse("Fri-Mon 08:00-10:00").periods] == [True, False, False, False, True, True, True]
    assert parse("always").always and parse("24/7").always


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mon-Fri",
        "Mon-Fri 9-5",
        "Mon-Fri 17:00-09:00",
        "Funday 09:00-17:00",
        "Mon 25:00-26:00",
        "Mon 09:00-09:00",
        "Mon 09:60-10:00",
    ],
)
def test_parse_refuses_what_it_cannot_read_and_says_how(text: str) -> None:
    with pytest.raises(OpeningHoursError):
        parse(text)


def test_is_open_and_next_open() -> None:
    assert WEEKDAYS.is_open(local("2026-12-01 09:00"))  # a Tuesday
    assert not WEEKDAYS.is_open(local("2026-12-01 17:00"))  # closing time is closed
    assert WEEKDAYS.next_open(local("2026-12-01 12:00")) == local("2026-12-01 12:00")
    assert WEEKDAYS.next_open(local("2026-12-01 17:30")) == local("2026-12-02 09:00")
    assert WEEKDAYS.next_open(local("2026-12-04 18:00")) == local("2026-12-07 09:00")  # Friday evening -> Monday
    assert WEEKDAYS.next_open(local("2026-12-05 03:00")) == local("2026-12-07 09:00")  # Saturday night
    assert OpeningHours().next_open(local("2026-12-05 03:00")) is None


def test_escalation_during_opening_hours_is_the_deadline_itself() -> None:
    sent = local("2026-12-01 10:15").astimezone(UTC)
    assert escalate_at(sent, minutes=60, hours=WEEKDAYS, zone=LONDON) == local("2026-12-01 11:15")


def test_escalation_whose_deadline_falls_after_closing_waits_for_the_next_opening() -> None:
    sent = local("2026-12-01 16:30")
    assert escalate_at(sent, minutes=60, hours=WEEKDAYS, zone=LONDON) == local("2026-12-02 09:00")


def test_escalation_of_a_submission_sent_at_the_weekend_waits_for_monday_morning() -> None:
    sent = local("2026-12-05 22:40")
    assert escalate_at(sent, minutes=60, hours=WEEKDAYS, zone=LONDON) == local("2026-12-07 09:00")


def test_escalation_sent_before_opening_with_a_deadline_after_opening_keeps_the_deadline() -> None:
    sent = local("2026-12-01 08:30")
    assert escalate_at(sent, minutes=60, hours=WEEKDAYS, zone=LONDON) == local("2026-12-01 09:30")


def test_a_clinic_open_around_the_clock_escalates_at_the_deadline() -> None:
    sent = local("2026-12-05 03:00")
    assert escalate_at(sent, minutes=45, hours=parse("always"), zone=LONDON) == local("2026-12-05 03:45")


def test_opening_hours_are_wall_clock_times_across_a_change_of_summer_time() -> None:
    sent = local("2026-03-27 16:30")  # Friday before the clocks go forward (Sunday 29 March 2026)
    due = escalate_at(sent, minutes=60, hours=WEEKDAYS, zone=LONDON)
    assert due == local("2026-03-30 09:00") and due.astimezone(UTC).hour == 8  # 09:00 BST is 08:00 UTC


def test_us_clinic_hours_are_in_its_own_zone() -> None:
    sent = local("2026-12-01 16:30", "America/New_York")
    assert escalate_at(sent, minutes=60, hours=WEEKDAYS, zone="America/New_York") == local(
        "2026-12-02 09:00", "America/New_York"
    )


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    st.integers(min_value=1, max_value=24 * 60),
)
def test_escalation_is_never_before_the_deadline_and_always_while_open(naive: datetime, minutes: int) -> None:
    sent = naive.replace(tzinfo=UTC)
    due = escalate_at(sent, minutes=minutes, hours=WEEKDAYS, zone=LONDON)
    assert due >= sent + timedelta(minutes=minutes)
    assert WEEKDAYS.is_open(due.astimezone(ZoneInfo(LONDON)))
    assert due - (sent + timedelta(minutes=minutes)) < timedelta(days=3, hours=17)  # at most a weekend away
