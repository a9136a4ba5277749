"""The read API's search parameters (``screening.clinical.fhir_search``): ``_lastUpdated`` periods at each precision
and in the clinic's time zone, ``_count``, and the opaque cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from screening.clinical.fhir_search import (
    Bound,
    SearchError,
    decode_cursor,
    encode_cursor,
    last_updated_bounds,
    page_size,
    parse_search,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def test_a_date_is_the_whole_day_in_the_clinic_time_zone() -> None:
    assert last_updated_bounds("eq2026-07-01", LONDON) == (
        Bound(">=", datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # BST: midnight is 23:00 UTC the day before
        Bound("<", datetime(2026, 7, 1, 23, 0, tzinfo=UTC)),
    )
    assert last_updated_bounds("ge2026-12-01", NEW_YORK) == (Bound(">=", datetime(2026, 12, 1, 5, 0, tzinfo=UTC)),)


def test_the_day_the_clocks_change_is_23_hours_long() -> None:
    start, end = last_updated_bounds("2026-03-29", LONDON)
    assert (end.moment - start.moment).total_seconds() == 23 * 3600


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        ("gt2026-12", (Bound(">=", datetime(2027, 1, 1, tzinfo=UTC)),)),
        ("le2026", (Bound("<", datetime(2027, 1, 1, tzinfo=UTC)),)),
        ("lt2026-12-01T10:00:00.5Z", (Bound("<", datetime(2026, 12, 1, 10, 0, 0, 500000, tzinfo=UTC)),)),
        ("gt2026-12-01T10:00:00.5Z", (Bound(">=", datetime(2026, 12, 1, 10, 0, 0, 600000, tzinfo=UTC)),)),
        ("ge2026-12-01T10:00:00-05:00", (Bound(">=", datetime(2026, 12, 1, 15, 0, tzinfo=UTC)),)),
    ],
)
def test_each_precision_is_its_own_period(value: str, bounds: tuple[Bound, ...]) -> None:
    assert last_updated_bounds(value, UTC) == bounds


@pytest.mark.parametrize(
    "value",
    [
        "ne2026",
        "2026-1-1",
        "2026-12-01T10Z",
        "2026-12-01T25:00Z",
        "20261201",
        "ge",
        "2026-02-29",
        "9999-12",  # its end is beyond the last year a datetime holds
        "ge9999-12-31T23:59:59Z",
        "ge0001-01-01T00:00:00+01:00",  # before the first
        "2026-12-01T10:00:00+24:00",
    ],
)
def test_values_we_cannot_read_are_refused(value: str) -> None:
    with pytest.raises(SearchError):
        last_updated_bounds(value, UTC)


def test_count_defaults_caps_and_refuses() -> None:
    assert (page_size([]), page_size(["7"]), page_size(["201"])) == (50, 7, 200)
    for bad in (["0"], ["x"], ["1", "2"], ["-3"]):
        with pytest.raises(SearchError):
            page_size(bad)


def test_cursor_round_trips_to_the_microsecond_and_says_nothing_readable() -> None:
    moment = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
    cursor = encode_cursor(moment, 4711)
    assert decode_cursor(cursor) == (moment, 4711)
    assert "2026" not in cursor and "4711" not in cursor
    for bad in ("", "!!", "x" * 65, "QUJD"):
        with pytest.raises(SearchError):
            decode_cursor(bad)


def test_parse_search_refuses_unknown_parameters_and_keeps_the_values_for_the_links() -> None:
    search = parse_search({"_lastUpdated": ["ge2026-12-01", "lt2026-12-02"], "_count": ["10"]}, UTC)
    assert search.last_updated == ("ge2026-12-01", "lt2026-12-02") and search.count == 10 and search.after is None
    with pytest.raises(SearchError):
        parse_search({"subject": ["x"]}, UTC)
