"""Dates and times in words, and dates read from text: the one home for both (pure, standard library only).

Formatting: a date in words in the locale's order ("14 March 1985" or "March 14, 1985"), a short date ("24 Nov 2026")
and a moment in the clinic's time zone ("24 Nov 2026, 14:05"). Month names are English from this module, never from
``strftime`` (which follows the server's C locale); the web layer translates them where it renders.

Parsing: a stored answer's ISO date, a date typed as day, month and year boxes (the month as a number or an English
name), and a date typed in one box for staff search ("14/03/1985" in the locale's order, or "1985-03-14").

Why not ``babel.dates``: the clinical core imports only the standard library (tests/unit/test_purity.py), and the
service is English only; en-GB and en-US differ here only in the order of day and month (``DATE_ORDERS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo

Translate = Callable[[str], str]
#: Date orders of ``SCREENING_DATE_ORDER`` (config.py): day month year (en-GB) or month day, year (en-US).
DATE_ORDERS = ("dmy", "mdy")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TYPED_DATE = re.compile(r"(\d{1,4})[\s/.-]+(\d{1,2})[\s/.-]+(\d{1,4})")


# --- formatting --------------------------------------------------------------------------------------------------
def date_words(day: date, order: str = "dmy", translate: Translate = str) -> str:
    """A date in words in the locale's order: "14 March 1985" (``dmy``) or "March 14, 1985" (``mdy``)."""
    month = translate(MONTHS[day.month - 1])
    return f"{day.day} {month} {day.year}" if order == "dmy" else f"{month} {day.day}, {day.year}"


def short_date(day: date) -> str:
    """A date with the month's first three letters: "24 Nov 2026" (staff tables and times)."""
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def moment_words(moment: datetime, zone: tzinfo, *, seconds: bool = False) -> str:
    """An aware moment in ``zone`` (the clinic's): "24 Nov 2026, 14:05"; with ``seconds`` (the audit log, where
    order within a minute matters) "24 Nov 2026 14:05:09 GMT"."""
    here = moment.astimezone(zone)
    if seconds:
        return f"{short_date(here)} {here:%H:%M:%S} {here.tzname() or ''}".rstrip()
    return f"{short_date(here)}, {here:%H:%M}"


# --- parsing -----------------------------------------------------------------------------------------------------
def parse_date(value: object) -> date | None:
    """A ``date`` from a stored ``"YYYY-MM-DD"`` string; None for anything else."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def month_number(text: str) -> int | None:
    """A month typed as a number ("3", "03") or as an English name of at least three letters ("Mar", "march")."""
    if text.isascii() and text.isdigit() and len(text) <= 2:
        return int(text)
    lowered = text.lower()
    if len(lowered) >= 3:
        for number, name in enumerate(MONTHS, start=1):
            if name.lower().startswith(lowered):
                return number
    return None


def date_from_parts(parts: Sequence[str]) -> date | None:
    """A date from day, month and year as typed in three boxes (a 4-digit year), or None."""
    day_text, month_text, year_text = (part.strip() for part in parts)
    day = int(day_text) if day_text.isascii() and day_text.isdigit() and len(day_text) <= 2 else None
    month = month_number(month_text)
    if day is None or month is None or not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        return None
    try:
        return date(int(year_text), month, day)
    except ValueError:
        return None


def typed_date(text: str, order: str = "dmy") -> date | None:
    """A date typed in one box: "14/03/1985" (or with spaces, dots or hyphens) in the locale's ``order``, or a
    year first ("1985-03-14"); None for anything else, including a year of fewer than four digits."""
    match = _TYPED_DATE.fullmatch(text.strip())
    if match is None:
        return None
    first, second, third = (int(part) for part in match.groups())
    if len(match.group(1)) == 4:
        year, month, day = first, second, third
    elif order == "mdy":
        month, day, year = first, second, third
    else:
        day, month, year = first, second, third
    if year < 1000:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
