"""screening.clinical.dates: the one home for dates in words and dates read from text (expected values written
from the GOV.UK style: "14 March 1985", short months "24 Nov 2026", 24-hour times)."""

from __future__ import annotations

import locale
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from screening.clinical import dates

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("day", "order", "expected"),
    [
        (date(1985, 3, 14), "dmy", "14 March 1985"),
        (date(1985, 3, 14), "mdy", "March 14, 1985"),
        (date(2001, 12, 1), "dmy", "1 December 2001"),
        (date(2001, 12, 1), "mdy", "December 1, 2001"),
    ],
)
def test_date_words_in_the_locales_order(day: date, order: str, expected: str) -> None:
    assert dates.date_words(day, order) == expected


def test_date_words_passes_the_month_through_translate() -> None:
    assert dates.date_words(date(1985, 3, 14), translate=str.upper) == "14 MARCH 1985"


def test_moments_are_shown_in_the_clinics_zone_with_summer_time() -> None:
    winter = datetime(2026, 11, 24, 14, 5, 9, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert dates.moment_words(winter, LONDON) == "24 Nov 2026, 14:05"
    assert dates.moment_words(summer, LONDON) == "1 Jul 2026, 09:00"
    assert dates.moment_words(winter, NEW_YORK) == "24 Nov 2026, 09:05"
    assert dates.moment_words(winter, LONDON, seconds=True) == "24 Nov 2026 14:05:09 GMT"
    assert dates.moment_words(summer, LONDON, seconds=True) == "1 Jul 2026 09:00:00 BST"


def test_month_names_never_come_from_the_servers_c_locale() -> None:
    try:
        previous = locale.setlocale(locale.LC_TIME)
        locale.setlocale(locale.LC_TIME, "C.UTF-8")
    except locale.Error:  # pragma: no cover - a machine without the locale
        pytest.skip("no C.UTF-8 locale")
    try:
        assert dates.short_date(date(2026, 5, 4)) == "4 May 2026"
    finally:
        locale.setlocale(locale.LC_TIME, previous)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1985-03-14", date(1985, 3, 14)), ("1985-02-30", None), ("19850314", None), ("", None), (None, None), (3, None)],
)
def test_parse_date_reads_only_a_stored_iso_date(value: object, expected: date | None) -> None:
    assert dates.parse_date(value) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("14", "3", "1985"), date(1985, 3, 14)),
        (("14", "03", "1985"), date(1985, 3, 14)),
        (("14", "Mar", "1985"), date(1985, 3, 14)),
        (("14", "march", "1985"), date(1985, 3, 14)),
        ((" 14 ", " 3 ", " 1985 "), date(1985, 3, 14)),
        (("14", "Ma", "1985"), None),  # too short to tell March from May
        (("31", "4", "1985"), None),
        (("14", "3", "85"), None),
        (("14", "13", "1985"), None),
        (("", "3", "1985"), None),
        (("١٤", "3", "1985"), None),  # digits of another script are not typed numbers here
    ],
)
def test_date_from_the_three_boxes(parts: tuple[str, str, str], expected: date | None) -> None:
    assert dates.date_from_parts(parts) == expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("14/03/1985", "dmy", date(1985, 3, 14)),
        ("03/14/1985", "mdy", date(1985, 3, 14)),
        ("1985-03-14", "mdy", date(1985, 3, 14)),
        ("14.3.1985", "dmy", date(1985, 3, 14)),
        ("14 3 1985", "dmy", date(1985, 3, 14)),
        ("14/03/85", "dmy", None),
        ("31/02/1985", "dmy", None),
        ("Jo Bloggs", "dmy", None),
    ],
)
def test_a_date_typed_in_one_box(text: str, order: str, expected: date | None) -> None:
    assert dates.typed_date(text, order) == expected
