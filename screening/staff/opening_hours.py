"""The clinic's opening hours (``SCREENING_OPENING_HOURS``) and when an urgent submission that nobody has picked up
is escalated. Pure: standard library only.

Opening hours are written as ``"Mon-Fri 09:00-17:00; Sat 09:00-12:00"`` (days as ranges or lists, one or more
periods per day: ``"Mon,Wed 08:00-12:00,13:00-18:00"``), or ``"always"`` for a service staffed around the clock.
Times are wall-clock times in the clinic's time zone, so a change of summer time moves nothing.

Escalation (``escalate_at``): the deadline is the submission time plus the allowed minutes; when the deadline falls
outside opening hours, the escalation waits for the next opening (nobody would read it before then, and an alert
at 3 a.m. to an empty office helps no one: the on-call route has already been told at submission).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "always"
_PERIOD = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


class OpeningHoursError(ValueError):
    """The opening hours could not be read; the message says how to write them."""


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """For each weekday (Monday 0), the open periods as (start, end) wall-clock times; ``always``: never closed."""

    periods: tuple[tuple[tuple[time, time], ...], ...] = ((),) * 7
    always: bool = False

    def is_open(self, local: datetime) -> bool:
        """Whether the clinic is open at ``local`` (a time in the clinic's zone)."""
        if self.always:
            return True
        moment = local.time().replace(tzinfo=None)
        return any(start <= moment < end for start, end in self.periods[local.weekday()])

    def next_open(self, local: datetime) -> datetime | None:
        """``local`` itself when open, else the start of the next open period (None: never open)."""
        if self.is_open(local):
            return local
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for start, _end in sorted(self.periods[day.weekday()]):
                candidate = datetime.combine(day, start, tzinfo=local.tzinfo)
                if candidate > local:
                    return candidate
        return None

    def describe(self) -> str:
        """The hours in words, for staff pages and logs."""
        if self.always:
            return "always open"
        parts = []
        for index, day in enumerate(DAYS):
            if self.periods[index]:
                spans = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.periods[index])
                parts.append(f"{day.title()} {spans}")
        return "; ".join(parts)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for item in text.lower().split(","):
        first, _, last = item.strip().partition("-")
        if first[:3] not in DAYS or (last and last.strip()[:3] not in DAYS):
            raise OpeningHoursError(f"unknown day in {text!r}: write days as Mon, Tue, ... Sun or Mon-Fri")
        start = DAYS.index(first[:3])
        end = DAYS.index(last.strip()[:3]) if last else start
        days.extend(DAYS.index(day) for day in (DAYS * 2)[start : start + (end - start) % 7 + 1])
    return days


def _periods(text: str) -> list[tuple[time, time]]:
    periods = []
    for item in text.split(","):
        match = _PERIOD.fullmatch(item.strip())
        if match is None:
            raise OpeningHoursError(f"write opening times as 09:00-17:00, not {item.strip()!r}")
        hour1, minute1, hour2, minute2 = (int(group) for group in match.groups())
        if hour1 > 23 or hour2 > 24 or minute1 > 59 or minute2 > 59 or (hour2 == 24 and minute2):
            raise OpeningHoursError(f"{item.strip()!r} is not a time of day")
        start = time(hour1, minute1)
        end = time.max if hour2 == 24 else time(hour2, minute2)
        if end <= start:
            raise OpeningHoursError(f"{item.strip()!r} closes before it opens")
        periods.append((start, end))
    return periods


def parse(text: str) -> OpeningHours:
    """``"Mon-Fri 09:00-17:00; Sat 09:00-12:00"`` or ``"always"`` -> ``OpeningHours``."""
    if text.strip().lower() in (ALWAYS, "24/7"):
        return OpeningHours(always=True)
    week: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        days, _, spans = part.partition(" ")
        if not spans.strip():
            raise OpeningHoursError(f"write each part as 'Mon-Fri 09:00-17:00', not {part!r}")
        for day in _days(days):
            week[day].extend(_periods(spans))
    if not any(week):
        raise OpeningHoursError("give at least one opening period, e.g. 'Mon-Fri 09:00-17:00', or 'always'")
    return OpeningHours(tuple(tuple(sorted(day)) for day in week))


def escalate_at(submitted_at: datetime, *, minutes: int, hours: OpeningHours, zone: str) -> datetime:
    """When an urgent submission sent at ``submitted_at`` (aware) is escalated if nobody has picked it up (UTC):
    ``minutes`` after it was sent, or the next opening when that falls outside opening hours."""
    deadline = (submitted_at + timedelta(minutes=minutes)).astimezone(ZoneInfo(zone))
    opening = hours.next_open(deadline)
    return (opening or deadline).astimezone(UTC)
