"""The reports page at scale gives the same numbers as reading every submission: over a varied seeded data set
(``bulk_seed`` over two and a half years, with extra notes, second decisions, events before sending, pick-ups,
flags whose wording changed and rules that flagged a submission twice), the report the page builds from database
counts and streamed narrow rows (``reports_queries``, ``reports.build_counted``) equals, number for number, the
reference: every submission's full facts read into Python and ``reports.build`` (the page's reading before it was
made to scale, kept here). For several ranges, the longest included. And the page runs as many statements for the
longest range with many rows as with few. On SQLite and, in the PostgreSQL pass, on PostgreSQL."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update

from screening import bulk_seed
from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission, SubmissionStatus
from screening.staff import display as staff_display
from screening.staff import reports, reports_charts, reports_queries
from screening.staff.views import clinic_zone
from tests.app import query_helpers
from tests.app.auth import sign_in

NOW = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
TODAY = date(2026, 11, 24)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


# --- the reference: every submission's facts, read into Python (the page's reading before) ---------------------------
def _facts(where: Any) -> list[reports.SubmissionFacts]:
    rows = db.session.execute(
        select(
            Submission.id, Submission.submitted_at, Submission.status, Submission.priority, Submission.picked_up_at
        ).where(where)
    ).all()
    ids = select(Submission.id).where(where).scalar_subquery()
    events: dict[int, list[tuple[datetime, str | None]]] = defaultdict(list)
    for submission_id, at, to_status in db.session.execute(
        select(ReviewEvent.submission_id, ReviewEvent.at, ReviewEvent.to_status).where(
            ReviewEvent.submission_id.in_(ids)
        )
    ):
        events[submission_id].append((at, to_status.value if to_status is not None else None))
    flags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for submission_id, rule_id, title in db.session.execute(
        select(FlagRecord.submission_id, FlagRecord.rule_id, FlagRecord.title)
        .where(FlagRecord.submission_id.in_(ids))
        .order_by(FlagRecord.submission_id, FlagRecord.position)
    ):
        flags[submission_id].append((rule_id, title))
    return [
        reports.SubmissionFacts(
            submitted_at=row.submitted_at,
            status=row.status.value,
            severity=staff_display.severity_of_priority(row.priority),
            picked_up_at=row.picked_up_at,
            events=tuple(events[row.id]),
            flags=tuple(flags[row.id]),
        )
        for row in rows
    ]


def _reference(period: reports.DateRange, now: datetime) -> reports.Report:
    zone = clinic_zone()
    start, end = period.bounds(zone)
    in_range = _facts((Submission.submitted_at >= start) & (Submission.submitted_at < end))
    still_open = _facts(Submission.status.in_([SubmissionStatus(status) for status in reports.OPEN_STATUSES]))
    return reports.build(in_range, still_open, period, zone=zone, now=now)


def _counted(period: reports.DateRange, now: datetime) -> reports.Report:
    zone = clinic_zone()
    start, end = period.bounds(zone)
    counted = reports_queries.counted(start, end, now)
    return reports.build_counted(reports_queries.moments(start, end), counted, period, zone=zone)


# --- a varied data set -----------------------------------------------------------------------------------------------
def _vary(staff_id: int, chance: random.Random) -> None:
    """On top of ``bulk_seed``'s rows: notes (some dated before the submission was sent), second and third
    decisions, pick-ups, a flag's wording changed on some submissions, and a rule flagging a submission twice."""
    rows = db.session.execute(select(Submission.id, Submission.submitted_at)).all()
    events = []
    for submission_id, sent in chance.sample(rows, len(rows) // 2):
        for _ in range(chance.randint(1, 3)):
            status = chance.choice([None, None, *SubmissionStatus])
            at = sent + timedelta(minutes=chance.randint(-90, 60 * 24 * 20), microseconds=chance.randint(0, 999_999))
            events.append(
                {"submission_id": submission_id, "staff_id": staff_id, "at": at, "to_status": status, "note": "n"}
            )
    db.session.execute(insert(ReviewEvent.__table__), events)
    for submission_id, sent in chance.sample(rows, len(rows) // 5):
        picked = sent + timedelta(minutes=chance.randint(-5, 60 * 30))
        db.session.execute(update(Submission).where(Submission.id == submission_id).values(picked_up_at=picked))
    flags = db.session.execute(select(FlagRecord.id, FlagRecord.submission_id, FlagRecord.rule_id)).all()
    for flag_id, _submission_id, _rule_id in chance.sample(flags, len(flags) // 4):
        db.session.execute(
            update(FlagRecord).where(FlagRecord.id == flag_id).values(title=f"Older wording {chance.randint(1, 3)}")
        )
    doubled = [
        query_helpers.flag_row(submission_id, 90 + number, 1, rule_id=rule_id, title=f"Twice {chance.randint(1, 2)}")
        for number, (_flag_id, submission_id, rule_id) in enumerate(chance.sample(flags, len(flags) // 10))
    ]
    db.session.execute(insert(FlagRecord.__table__), doubled)
    db.session.commit()


@pytest.fixture
def varied(app: Flask, client: FlaskClient) -> FlaskClient:
    staff = sign_in(client, app, "clinician")
    with app.app_context():
        bulk_seed.seed_submissions(900, reviewer_id=staff.id, end=NOW, days=900, rng_seed=3)
        _vary(staff.id, random.Random(5))
        query_helpers.analyze()
    return client


RANGES = {
    "the default range": reports.default_range(TODAY),
    "the longest range": reports.DateRange(TODAY - timedelta(days=reports.MAX_RANGE_DAYS - 1), TODAY),
    "a month across the clocks going back": reports.DateRange(date(2025, 10, 12), date(2025, 11, 8)),
    "the last full month": reports.last_full_month(TODAY),
    "one day": reports.DateRange(date(2026, 3, 29), date(2026, 3, 29)),
    "a range with no submissions": reports.DateRange(date(2020, 1, 1), date(2020, 6, 30)),
}


@pytest.mark.parametrize("name", RANGES)
def test_counted_report_is_the_reference_report(app: Flask, varied: FlaskClient, name: str) -> None:
    period = RANGES[name]
    with app.test_request_context():
        expected = _reference(period, NOW)
        got = _counted(period, NOW)
    assert got == expected
    if name in ("the default range", "the longest range"):  # the data set exercises what it should
        assert expected.total > 0 and expected.first_review.count > 0 and expected.decision.count > 0
        assert expected.flags and any(count for bands in expected.queue.values() for count in bands.values())


def test_the_data_set_is_varied(app: Flask, varied: FlaskClient) -> None:
    """The longest range holds what makes the two ways differ if either is wrong: open submissions of each age band,
    rules with several wordings, a submission flagged twice by one rule, notes before sending."""
    with app.test_request_context():
        report = _counted(RANGES["the longest range"], NOW)
        bands = {band for row in report.queue.values() for band, count in row.items() if count}
        assert bands == {label for label, _ in reports.AGE_BANDS}
        doubled = db.session.scalar(
            select(FlagRecord.submission_id)
            .group_by(FlagRecord.submission_id, FlagRecord.rule_id)
            .having(db.func.count() > 1)
            .limit(1)
        )
        assert doubled is not None
        wordings = db.session.execute(
            select(FlagRecord.rule_id)
            .group_by(FlagRecord.rule_id)
            .having(db.func.count(FlagRecord.title.distinct()) > 2)
        ).all()
        assert wordings
    assert report.first_review.count < report.total  # some never reviewed
    assert len(report.weeks) > 100


def test_reports_page_statements_do_not_grow_with_the_rows(app: Flask, client: FlaskClient) -> None:
    """The longest range: as many statements with a few submissions as with many (each with flags and events)."""
    staff = sign_in(client, app, "clinician")
    today = date.today()
    path = f"/staff/reports?from={today - timedelta(days=reports.MAX_RANGE_DAYS - 1)}&to={today}"

    def count() -> int:
        client.get(path)  # warm-up: what a process reads once is not the page's
        with app.app_context():
            engine = db.engine
        with query_helpers.recording(engine) as recorded:
            response = client.get(path)
        assert response.status_code == 200
        return len(recorded.statements)

    with app.app_context():
        bulk_seed.seed_submissions(3, reviewer_id=staff.id, days=600, rng_seed=1)
    few = count()
    with app.app_context():
        bulk_seed.seed_submissions(400, reviewer_id=staff.id, days=600, rng_seed=2)
    many = count()
    assert few == many


# --- the charts drawn from counts alone -------------------------------------------------------------------------------
def _drawn(chart: str, report: reports.Report) -> str:
    """The chart's SVG without pygal's random chart id (a new uuid at every render)."""
    return re.sub(
        r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "chart-id",
        reports_charts.render(chart, report),
    )


@pytest.mark.parametrize("chart", sorted(reports_charts.FROM_COUNTS))
def test_a_chart_drawn_from_counts_is_the_chart_of_the_whole_report(
    app: Flask, varied: FlaskClient, chart: str
) -> None:
    """A chart whose request skips the range's rows draws exactly what it draws from the page's whole report."""
    period = RANGES["the longest range"]
    with app.test_request_context():
        zone = clinic_zone()
        start, end = period.bounds(zone)
        counted = reports_queries.counted(start, end, NOW)
        whole = reports.build_counted(reports_queries.moments(start, end), counted, period, zone=zone)
        from_counts = reports.build_counted(iter(()), counted, period, zone=zone)
    assert from_counts.total == whole.total > 0 and from_counts.flags == whole.flags
    assert _drawn(chart, from_counts) == _drawn(chart, whole)
    if chart != "queue":  # the comparison can fail: another range's counts draw another chart (the queue is now's)
        one_day = RANGES["one day"]
        with app.test_request_context():
            other = reports_queries.counted(*one_day.bounds(zone), NOW)
        assert _drawn(chart, reports.build_counted(iter(()), other, one_day, zone=zone)) != _drawn(chart, whole)


def test_only_the_charts_that_need_the_rows_read_them(app: Flask, client: FlaskClient) -> None:
    """The page reads the range's rows once; of its five chart requests only the weekly and waiting-time charts do
    (each chart is a request of its own, so reading the rows for every one would cost six times the page)."""
    staff = sign_in(client, app, "clinician")
    with app.app_context():
        bulk_seed.seed_submissions(30, reviewer_id=staff.id, days=20, rng_seed=4)
        engine = db.engine

    def reads_rows(path: str) -> bool:
        client.get(path)  # warm-up
        with query_helpers.recording(engine) as recorded:
            assert client.get(path).status_code == 200
        return any("from review_event" in sql.lower() and "min(" in sql.lower() for sql, _ in recorded.statements)

    assert reads_rows("/staff/reports")
    read = {chart for chart in reports_charts.CHARTS if reads_rows(f"/staff/reports/chart/{chart}.svg")}
    assert read == {"weekly", "waiting-times"} == set(reports_charts.CHARTS) - reports_charts.FROM_COUNTS
