"""The service reports' numbers (the staff reports page): submissions per ISO week in the clinic's time zone, the time
from submission to first review and to a decision (median and 90th percentile), the open queue by severity and age,
the share of submissions with each flag, and the status outcomes. Also the date range a report covers, read from the
query string, and its limits. Pure: the standard library and the pure modules only; the rows come from
``reports_queries`` and the charts are drawn by ``reports_views`` (pygal).

Two ways to the same ``Report``: ``build`` from every submission's ``SubmissionFacts`` (the reference, small sets),
and ``build_counted`` from what the page reads at any size: one narrow ``Moments`` row per submission in the range
(streamed; only the waiting times are kept) and the counts the database made (by status, by flag, the open queue by
severity and age band, ``Counted``). Both use the same helpers below, so they give the same numbers.

Percentiles use ``statistics.quantiles(..., method="inclusive")`` (linear interpolation between the closest ranks,
the spreadsheet PERCENTILE.INC); the median is ``statistics.median``. A single value is its own median and 90th
percentile.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from screening.clinical import dates

#: Statuses that are a decision about the patient (the end of "time to a decision").
DECISIONS = frozenset({"consult_offered", "not_suitable", "withdrawn"})
#: Statuses of submissions still waiting for the clinic (the open queue).
OPEN_STATUSES = ("new", "in_review", "awaiting_patient")
STATUS_ORDER = ("new", "in_review", "awaiting_patient", "consult_offered", "not_suitable", "withdrawn")
SEVERITY_ORDER = ("urgent", "discuss", "caution", "info", "none")
#: Age bands of the open queue: (label, up to this many days, exclusive; None for no upper limit).
AGE_BANDS: tuple[tuple[str, float | None], ...] = (
    ("Less than 1 day", 1),
    ("1 to 3 days", 3),
    ("3 to 7 days", 7),
    ("More than 7 days", None),
)
DEFAULT_DAYS = 30
MAX_RANGE_DAYS = 731  # two years, a leap day included


# --- the rows a report reads ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    """What the reports need of one submission: when it came, where it is, its highest severity (``"none"`` when
    unflagged), when it was picked up, its status changes and notes (``(at, to_status or None)``, any order) and its
    flags (``(rule_id, title)``)."""

    submitted_at: datetime
    status: str
    severity: str
    picked_up_at: datetime | None = None
    events: tuple[tuple[datetime, str | None], ...] = ()
    flags: tuple[tuple[str, str], ...] = ()


# --- the date range ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DateRange:
    """A report's days, both included, in the clinic's calendar."""

    start: date
    end: date

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """The aware moments [start of the first day, start of the day after the last) in ``zone``."""
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def as_params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def words(self) -> str:
        return f"{dates.short_date(self.start)} to {dates.short_date(self.end)}"


def default_range(today: date) -> DateRange:
    """The last 30 days, today included."""
    return DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


def last_full_month(today: date) -> DateRange:
    """The calendar month before this one."""
    end = today.replace(day=1) - timedelta(days=1)
    return DateRange(end.replace(day=1), end)


def iso_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def parse_range(params: Mapping[str, str], today: date) -> tuple[DateRange, dict[str, str]]:
    """The range from ``from`` and ``to`` (``YYYY-MM-DD``; a missing end is today, a missing start 30 days before
    the end), and messages for the fields that could not be used (keyed by parameter name). With any error the
    default range (the last 30 days) is reported instead."""
    raw = {key: (params.get(key) or "").strip() for key in ("from", "to")}
    read = {key: iso_date(value) for key, value in raw.items()}
    errors = {key: "Enter a real date, for example 2026-11-24" for key in raw if raw[key] and read[key] is None}
    end = read["to"] or today
    start = read["from"] or end - timedelta(days=DEFAULT_DAYS - 1)
    if not errors and start > end:
        errors["to"] = "The end date must be the same as or after the start date"
    elif not errors and (end - start).days + 1 > MAX_RANGE_DAYS:
        errors["to"] = "Choose a range of 2 years or less"
    if errors:
        return default_range(today), errors
    return DateRange(start, end), errors


# --- submissions per week ---------------------------------------------------------------------------------------------
def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def weekly_counts(submitted: Iterable[datetime], period: DateRange, zone: tzinfo) -> list[tuple[date, int]]:
    """(Monday of the ISO week, submissions that week) for every week the range touches, empty weeks included; a
    submission's day is its day in the clinic's time zone. Only submissions inside the range are counted."""
    counts = Counter(
        week_start(local)
        for local in (moment.astimezone(zone).date() for moment in submitted)
        if period.start <= local <= period.end
    )
    return weeks_of(counts, period)


def weeks_of(counts: Mapping[date, int], period: DateRange) -> list[tuple[date, int]]:
    """(Monday, count) for every week ``period`` touches, from counts keyed by Monday (missing weeks are 0)."""
    weeks, monday = [], week_start(period.start)
    while monday <= period.end:
        weeks.append((monday, counts.get(monday, 0)))
        monday += timedelta(days=7)
    return weeks


def week_label(monday: date) -> str:
    """ "Week 45 (from 2 Nov 2026)": the ISO week number and its Monday."""
    return f"Week {monday.isocalendar().week} (from {dates.short_date(monday)})"


# --- waiting times ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Spread:
    """Durations in hours: how many, their median and 90th percentile (None when there are none)."""

    count: int
    median: float | None
    p90: float | None


def percentile_90(values: Sequence[float]) -> float:
    """The 90th percentile, ``statistics.quantiles`` inclusive method (a single value is its own percentile)."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def spread(hours: Sequence[float]) -> Spread:
    if not hours:
        return Spread(0, None, None)
    return Spread(len(hours), float(statistics.median(hours)), percentile_90(hours))


def first_review_at(facts: SubmissionFacts) -> datetime | None:
    """The first time anyone acted on it: its first review event (a status change or a note) or its pick-up."""
    return earliest(min((at for at, _ in facts.events), default=None), facts.picked_up_at)


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments given (None ignored), or None."""
    return min((moment for moment in moments if moment is not None), default=None)


def decided_at(facts: SubmissionFacts) -> datetime | None:
    """When it was first given a decision (consultation offered, not suitable, withdrawn)."""
    return min((at for at, to_status in facts.events if to_status in DECISIONS), default=None)


def _hours(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0) / 3600


def time_to_first_review(submissions: Iterable[SubmissionFacts]) -> Spread:
    """Over the submissions that have been reviewed (the others are still in the open queue)."""
    return spread(
        [_hours(facts.submitted_at, at) for facts in submissions if (at := first_review_at(facts)) is not None]
    )


def time_to_decision(submissions: Iterable[SubmissionFacts]) -> Spread:
    """Over the submissions that have a decision."""
    return spread([_hours(facts.submitted_at, at) for facts in submissions if (at := decided_at(facts)) is not None])


def duration_words(hours: float | None) -> str:
    """ "No data", "45 minutes", "5.5 hours", "2.3 days": one unit, to one decimal place."""
    if hours is None:
        return "No data"
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


# --- the open queue ---------------------------------------------------------------------------------------------------
def age_band(submitted_at: datetime, now: datetime) -> str:
    days = (now - submitted_at).total_seconds() / 86400
    for label, limit in AGE_BANDS:
        if limit is None or days < limit:
            return label
    return AGE_BANDS[-1][0]  # pragma: no cover (the last band has no limit)


def band_starts(now: datetime) -> list[tuple[str, datetime | None]]:
    """Each age band with the moment its submissions were sent after (None for the last, open-ended band), in
    ``AGE_BANDS`` order: a submission sent after the first moment is in the first band, and so on. The same bands
    as ``age_band`` (less than ``limit`` days old is sent after ``now - limit days``), for counting in SQL."""
    return [(label, None if limit is None else now - timedelta(days=limit)) for label, limit in AGE_BANDS]


def queue_table(counts: Iterable[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """``open_queue``'s table from (severity, age band, count) rows counted elsewhere (severity not known: "none")."""
    table = {severity: dict.fromkeys((label for label, _ in AGE_BANDS), 0) for severity in SEVERITY_ORDER}
    for severity, band, count in counts:
        table[severity if severity in table else "none"][band] += count
    return table


def open_queue(submissions: Iterable[SubmissionFacts], now: datetime) -> dict[str, dict[str, int]]:
    """{severity: {age band: count}} of the submissions still open (new, in review, awaiting patient), every
    severity and band present (zeros included)."""
    table = {severity: dict.fromkeys((label for label, _ in AGE_BANDS), 0) for severity in SEVERITY_ORDER}
    for facts in submissions:
        if facts.status in OPEN_STATUSES:
            table[facts.severity if facts.severity in table else "none"][age_band(facts.submitted_at, now)] += 1
    return table


# --- flags and outcomes -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FlagShare:
    rule_id: str
    title: str
    count: int
    percent: float


def flag_shares(submissions: Sequence[SubmissionFacts]) -> list[FlagShare]:
    """For each rule that flagged any submission: how many submissions it flagged (once each) and what percent of
    all the submissions that is; most common first, then by title, then rule id. A rule's title is the one on the
    most recently sent submission it flagged (its wording then; the greatest title when that submission has two)."""
    counts = Counter(rule_id for facts in submissions for rule_id in dict(facts.flags))
    titles = newest_titles(
        (rule_id, title, facts.submitted_at) for facts in submissions for rule_id, title in facts.flags
    )
    return shares_of(((rule_id, titles[rule_id], count) for rule_id, count in counts.items()), len(submissions))


def newest_titles(titles: Iterable[tuple[str, str, datetime]]) -> dict[str, str]:
    """{rule id: title} from (rule id, title, the latest time a submission flagged with that title was sent) rows:
    ``flag_shares``' choice of title."""
    newest: dict[str, tuple[datetime, str]] = {}
    for rule_id, title, at in titles:
        newest[rule_id] = max(newest.get(rule_id, (at, title)), (at, title))
    return {rule_id: title for rule_id, (_, title) in newest.items()}


def shares_of(counts: Iterable[tuple[str, str, int]], total: int) -> list[FlagShare]:
    """``flag_shares`` from (rule id, title, submissions flagged) rows and the number of submissions."""
    shares = [FlagShare(rule_id, title, count, 100 * count / total) for rule_id, title, count in counts]
    return sorted(shares, key=lambda share: (-share.count, share.title, share.rule_id))


def status_outcomes(submissions: Iterable[SubmissionFacts]) -> dict[str, int]:
    """{status: count} of the submissions by where they are now, every status present."""
    return outcomes_of(Counter(facts.status for facts in submissions))


def outcomes_of(counts: Mapping[str, int]) -> dict[str, int]:
    """``status_outcomes`` from {status: count} counted elsewhere."""
    return {status: counts.get(status, 0) for status in STATUS_ORDER}


# --- the whole report -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Report:
    period: DateRange
    total: int
    weeks: list[tuple[date, int]]
    first_review: Spread
    decision: Spread
    queue: dict[str, dict[str, int]]
    flags: list[FlagShare]
    outcomes: dict[str, int]


def build(
    in_range: Sequence[SubmissionFacts],
    still_open: Sequence[SubmissionFacts],
    period: DateRange,
    *,
    zone: tzinfo,
    now: datetime,
) -> Report:
    """The report of the submissions sent in ``period`` (``in_range``), with the open queue as it is ``now``
    (``still_open``: every open submission, whenever sent)."""
    return Report(
        period=period,
        total=len(in_range),
        weeks=weekly_counts((facts.submitted_at for facts in in_range), period, zone),
        first_review=time_to_first_review(in_range),
        decision=time_to_decision(in_range),
        queue=open_queue(still_open, now),
        flags=flag_shares(in_range),
        outcomes=status_outcomes(in_range),
    )


# --- the whole report from counts -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Moments:
    """One submission of the range as the waiting times and weekly counts need it: when it was sent, first reviewed
    (``first_review_at``) and first given a decision (``decided_at``)."""

    submitted_at: datetime
    first_review_at: datetime | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Counted:
    """What the database counted for a report: submissions by status (in the range), flags (rule id, title,
    submissions flagged; in the range) and the open queue (severity, age band, count; whenever sent)."""

    outcomes: Mapping[str, int]
    flags: Sequence[tuple[str, str, int]]
    queue: Sequence[tuple[str, str, int]]


def build_counted(moments: Iterable[Moments], counted: Counted, period: DateRange, *, zone: tzinfo) -> Report:
    """The same report as ``build``, from one pass over narrow rows (``moments``, which may be streamed: only the
    waiting times are kept, as hours) and counts made by the database, in memory that does not hold the rows. The
    total is the count by status; with no ``moments`` the weeks are zero and the waiting times empty (a chart drawn
    from the counts alone needs no rows)."""
    weeks: Counter[date] = Counter()
    first_review: list[float] = []
    decision: list[float] = []
    total = sum(counted.outcomes.values())
    for row in moments:
        local = row.submitted_at.astimezone(zone).date()
        if period.start <= local <= period.end:
            weeks[week_start(local)] += 1
        if row.first_review_at is not None:
            first_review.append(_hours(row.submitted_at, row.first_review_at))
        if row.decided_at is not None:
            decision.append(_hours(row.submitted_at, row.decided_at))
    return Report(
        period=period,
        total=total,
        weeks=weeks_of(weeks, period),
        first_review=spread(first_review),
        decision=spread(decision),
        queue=queue_table(counted.queue),
        flags=shares_of(counted.flags, total),
        outcomes=outcomes_of(counted.outcomes),
    )
