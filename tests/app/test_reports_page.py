"""The reports page against a seeded data set with known answers: submissions sent through the real submit path at
chosen times (two just outside the range in the clinic's time zone), review events and pick-ups at chosen delays,
and the page's tables checked number by number. Also: who may see it, the audit event, a bad range (error next to the
field, typed value kept), and the charts as SVG images (no script can run; they say what the tables say)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission, SubmissionStatus
from tests.app.auth import sign_in
from tests.app.staff_helpers import audit_events, make_submission
from tests.conftest import Browser

RANGE = "/staff/reports?from=2026-10-05&to=2026-10-18"  # Monday 5 to Sunday 18 October: ISO weeks 41 and 42
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def table(page: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, each as its cells' text."""
    start = page.index(caption)
    body = page[page.index("<tbody", start) : page.index("</tbody>", start)]
    return [[re.sub(r"\s+", " ", cell).strip() for cell in CELL.findall(row)] for row in body.split("<tr")[1:]]


def _events(app: Flask, reference: str, staff_id: int, changes: list[tuple[float, SubmissionStatus | None]]) -> None:
    """Review events ``hours`` after the submission was sent (a status change, or a note for None), and the status."""
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        for hours, to_status in changes:
            at = submission.submitted_at + timedelta(hours=hours)
            db.session.add(ReviewEvent(submission=submission, staff_id=staff_id, at=at, to_status=to_status, note="n"))
            if to_status is not None:
                submission.status = to_status
        db.session.commit()


def _flag_titles(app: Flask, reference: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(FlagRecord.title).join(Submission).where(Submission.reference == reference)).all()
        )


@pytest.fixture
def seeded(app: Flask, browser: Browser) -> dict[str, str]:
    """Four submissions in range (three in week 41, one in week 42), two just outside it, two recent open ones."""
    staff = sign_in(browser, app, "admin")
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    made = {
        "a": make_submission(app, priority=2, submitted_at=at(2026, 10, 5, 9)),
        "b": make_submission(app, priority=2, submitted_at=at(2026, 10, 6, 9)),
        "c": make_submission(app, priority=1, submitted_at=at(2026, 10, 7, 9)),
        "f": make_submission(app, submitted_at=at(2026, 10, 18, 22, 30)),  # Sunday 23:30 in London: in range
        "before": make_submission(app, priority=2, submitted_at=at(2026, 10, 4, 22, 30)),  # Sunday 4th, 23:30 BST
        "after": make_submission(app, priority=2, submitted_at=at(2026, 10, 18, 23, 30)),  # Monday 19th, 00:30 BST
        "urgent_now": make_submission(app, priority=3, submitted_at=datetime.now(UTC) - timedelta(hours=2)),
        "discuss_now": make_submission(app, priority=2, submitted_at=datetime.now(UTC) - timedelta(days=2)),
    }
    _events(app, made["a"], staff.id, [(2, SubmissionStatus.IN_REVIEW), (26, SubmissionStatus.CONSULT_OFFERED)])
    _events(app, made["b"], staff.id, [(4, None), (50, SubmissionStatus.NOT_SUITABLE)])
    _events(app, made["discuss_now"], staff.id, [(1, SubmissionStatus.AWAITING_PATIENT)])
    _events(app, made["after"], staff.id, [(0.5, SubmissionStatus.WITHDRAWN)])  # outside: must not count
    with app.app_context():
        db.session.execute(
            update(Submission)
            .where(Submission.reference == made["c"])
            .values(picked_up_at=at(2026, 10, 7, 10))  # reviewed 1 hour after sending, by a pick-up
        )
        db.session.commit()
    assert len(_flag_titles(app, made["a"])) == len(_flag_titles(app, made["c"])) == 1  # the answers' one flag each
    assert _flag_titles(app, made["f"]) == []
    return made


def test_reports_numbers_match_the_seeded_data(app: Flask, browser: Browser, seeded: dict[str, str]) -> None:
    page = browser.get(RANGE)
    assert browser.status == 200
    assert "Submissions sent from 5 Oct 2026 to 18 Oct 2026: <strong>4</strong>" in page
    assert table(page, "Submissions per week") == [
        ["Week 41 (from 5 Oct 2026)", "3"],
        ["Week 42 (from 12 Oct 2026)", "1"],
    ]
    # first review: 2 h (a), 4 h (b, a note), 1 h (c, a pick-up); inclusive 90th percentile of 1, 2, 4 is 3.6
    # decision: 26 h (a), 50 h (b): median 38, 90th percentile 26 + 0.9 * 24 = 47.6
    assert table(page, "Time to first review and to a decision</caption>") == [
        ["To first review", "3", "2.0 hours", "3.6 hours"],
        ["To a decision", "2", "38.0 hours", "47.6 hours"],
    ]
    escort, allergy = _flag_titles(app, seeded["a"])[0], _flag_titles(app, seeded["c"])[0]
    assert table(page, "Submissions with each flag") == [[escort, "2", "50%"], [allergy, "1", "25%"]]
    assert table(page, "by status now") == [
        ["New", "2"],
        ["In review", "0"],
        ["Awaiting patient", "0"],
        ["Consultation offered", "1"],
        ["Not suitable", "1"],
        ["Withdrawn", "0"],
    ]
    # waiting now, whenever sent: c (caution) and f (no flags) over 7 days, "before" (discuss) too; the urgent one
    # 2 hours old; the discuss one awaiting the patient, 2 days old ("after" was withdrawn)
    assert table(page, "Waiting submissions by highest severity") == [
        ["Urgent", "1", "0", "0", "0"],
        ["Discuss", "0", "1", "0", "1"],
        ["Caution", "0", "0", "0", "1"],
        ["Info", "0", "0", "0", "0"],
        ["No flags", "0", "0", "0", "1"],
    ]


def test_reports_page_is_audited_with_its_range(app: Flask, browser: Browser) -> None:
    staff = sign_in(browser, app, "clinician")
    browser.get(RANGE)
    assert browser.status == 200
    [event] = audit_events(app, "reports.viewed")
    assert event["staff_id"] == staff.id
    assert event["details"] == {"from": "2026-10-05", "to": "2026-10-18"}


def test_reports_page_defaults_to_the_last_30_days(app: Flask, browser: Browser) -> None:
    sign_in(browser, app, "admin")
    page = browser.get("/staff/reports")
    today = datetime.now(UTC).astimezone().date()
    assert browser.status == 200
    to_value = re.search(r'id="report-to" name="to" type="date" value="([0-9-]+)"', page)
    from_value = re.search(r'id="report-from" name="from" type="date" value="([0-9-]+)"', page)
    assert to_value and from_value, page
    days = (datetime.fromisoformat(to_value.group(1)) - datetime.fromisoformat(from_value.group(1))).days
    assert days == 29 and abs((datetime.fromisoformat(to_value.group(1)).date() - today).days) <= 1
    assert 'href="/staff/reports"' in page  # the navigation link


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-02-30&to=2026-03-01", "from", "Enter a real date, for example 2026-11-24"),
        ("from=2026-03-02&to=2026-03-01", "to", "The end date must be the same as or after the start date"),
        ("from=2020-01-01&to=2026-03-01", "to", "Choose a range of 2 years or less"),
    ],
)
def test_reports_page_bad_range_shows_the_error_and_keeps_what_was_typed(
    app: Flask, browser: Browser, query: str, field: str, message: str
) -> None:
    sign_in(browser, app, "admin")
    page = browser.get(f"/staff/reports?{query}")
    assert browser.status == 400
    assert "There is a problem" in page and f'href="#report-{field}"' in page
    assert page.count(message) == 2  # in the summary and next to the field
    typed = dict(part.split("=") for part in query.split("&"))
    if field == "from":  # not a real date: a date field cannot show it, so it is left empty
        assert 'id="report-from" name="from" type="date" value=""' in page
    else:
        assert f'value="{typed["from"]}"' in page and f'value="{typed["to"]}"' in page


def test_reports_page_refused_for_reception(app: Flask, browser: Browser) -> None:
    sign_in(browser, app, "reception")
    browser.get(RANGE)
    assert browser.status == 403
    browser.get("/staff/reports/chart/weekly.svg")
    assert browser.status == 403
    assert 'href="/staff/reports"' not in browser.get("/staff/")


@pytest.mark.parametrize("chart", ["weekly", "waiting-times", "queue", "flags", "outcomes"])
def test_reports_charts_are_svg_images_without_script(
    app: Flask, browser: Browser, seeded: dict[str, str], chart: str
) -> None:
    page = browser.get(RANGE)
    src = f"/staff/reports/chart/{chart}.svg?from=2026-10-05&amp;to=2026-10-18"
    assert f'src="{src}"' in page or chart == "flags" and "No submission sent" in page
    response = browser.client.get(src.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")  # no script may run
    assert "no-store" in response.headers["Cache-Control"]
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "pygal" in svg


def test_reports_weekly_chart_draws_the_weeks(app: Flask, browser: Browser, seeded: dict[str, str]) -> None:
    svg = browser.client.get("/staff/reports/chart/weekly.svg?from=2026-10-05&to=2026-10-18").get_data(as_text=True)
    assert "05 Oct" in svg and "12 Oct" in svg and "19 Oct" not in svg
    assert browser.client.get("/staff/reports/chart/nonsense.svg").status_code == 404
