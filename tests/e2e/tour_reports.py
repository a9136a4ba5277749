"""The tour's reports page (issue 14; ``ENTRIES``, added to ``tour.TOUR``): an administrator opens "Reports" from the
staff navigation, reaches "Last full month" with the keyboard alone, and sees last month's numbers as charts (SVG
images, each loaded, with no Content-Security-Policy error in the console) and tables; then a range with an error.

Last month's submissions are made once per live server through the real submit path, back-dated, with review events
at chosen delays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from playwright.sync_api import ConsoleMessage, Page, expect

from screening.extensions import db
from screening.models import ReviewEvent, Role, Submission, SubmissionStatus
from tests.answer_sets import answers, submit_answers
from tests.e2e import staff

Check = Callable[[Page, str], object]
#: (day of last month, answer changes, [(hours after sending, new status or None for a note)]).
_LAST_MONTH: list[tuple[int, dict[str, object], list[tuple[float, SubmissionStatus | None]]]] = [
    (2, {"has_escort": "no"}, [(3, SubmissionStatus.IN_REVIEW), (30, SubmissionStatus.CONSULT_OFFERED)]),
    (3, {}, [(5, SubmissionStatus.IN_REVIEW), (52, SubmissionStatus.CONSULT_OFFERED)]),
    (5, {"allergy_ketamine": "unsure"}, [(20, None), (70, SubmissionStatus.NOT_SUITABLE)]),
    (9, {"pain_duration": "lt_3m"}, [(2, SubmissionStatus.AWAITING_PATIENT), (200, SubmissionStatus.WITHDRAWN)]),
    (10, {"has_escort": "no"}, [(8, SubmissionStatus.IN_REVIEW)]),
    (16, {}, [(1, SubmissionStatus.IN_REVIEW), (26, SubmissionStatus.CONSULT_OFFERED)]),
    (17, {"has_escort": "no", "allergy_ketamine": "unsure"}, [(4, SubmissionStatus.AWAITING_PATIENT)]),
    (23, {}, []),
    (24, {"pain_duration": "lt_3m"}, [(6, SubmissionStatus.IN_REVIEW), (48, SubmissionStatus.CONSULT_OFFERED)]),
    (26, {"has_escort": "no"}, []),
]
_seeded = False


def _last_month_start() -> date:
    return (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)


def _seed_last_month(author: staff.Account) -> None:
    """Last month's submissions and their reviews (once per live server)."""
    global _seeded
    if _seeded:
        return
    first = _last_month_start()
    with staff.app().app_context():
        for day, changes, events in _LAST_MONTH:
            sent = datetime.combine(first.replace(day=day), time(10, 15), tzinfo=UTC)
            submission = submit_answers(answers(**changes), today=sent.date(), now=sent)
            submission = db.session.get(Submission, submission.id) or submission
            for hours, to_status in events:
                at = sent + timedelta(hours=hours)
                db.session.add(
                    ReviewEvent(submission=submission, staff_id=author.id, at=at, to_status=to_status, note="Seen")
                )
                if to_status is not None:
                    submission.status = to_status
        db.session.commit()
    _seeded = True


def _tab_to(page: Page, name: str, *, limit: int = 80) -> None:
    """Press Tab until the link called ``name`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"{name!r} never took the focus")


def visit_staff_reports(page: Page, check: Check) -> None:
    policy_errors: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            policy_errors.append(message.text)

    page.on("console", watch)
    author = staff.sign_in(page, Role.ADMIN)
    _seed_last_month(author)
    page.get_by_role("navigation", name="Staff workspace").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    _tab_to(page, "Last full month")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    start = _last_month_start()
    expect(page.get_by_label("Sent from")).to_have_value(start.isoformat())
    expect(page.get_by_role("table", name="Submissions sent in these dates, by status now")).to_contain_text(
        "Consultation offered"
    )
    expect(page.get_by_role("table", name="Time to first review and to a decision")).to_contain_text("To a decision")
    charts = page.locator("img.app-report-chart")
    expect(charts).to_have_count(5)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("image => image.naturalWidth") > 0, chart.get_attribute("src")
    assert policy_errors == [], policy_errors
    check(page, "staff-reports")
    page.goto("/staff/reports?from=2026-03-02&to=2026-03-01")
    expect(page.get_by_role("link", name="The end date must be the same as or after the start date")).to_be_visible()
    check(page, "staff-reports-error")
    assert policy_errors == [], policy_errors


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "staff-reports": visit_staff_reports,
}
