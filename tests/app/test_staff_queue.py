"""The review queue: order (urgent, then severity, then oldest), what each row shows, filters, counts per status,
search by each key through a POST (no patient data in any URL), keyset pagination without duplicates or gaps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from screening.clinical.scoring import age_on
from screening.extensions import db
from screening.models import Submission, SubmissionStatus
from screening.staff.queue import PAGE_SIZE
from tests.app.auth import csrf_token, sign_in
from tests.app.staff_helpers import make_submission
from tests.conftest import Browser

_ROW_REFERENCE = re.compile(
    r'<th scope="row" class="govuk-table__header"><a class="govuk-link app-reference" '
    r'href="/staff/submissions/(KT-[0-9A-Z]{4}-[0-9A-Z]{4})">'
)
_HREFS = re.compile(r'(?:href|action)="([^"]*)"')
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def references(page: str) -> list[str]:
    return _ROW_REFERENCE.findall(page)


def set_status(app: Flask, reference: str, status: SubmissionStatus) -> None:
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.reference == reference).values(status=status))
        db.session.commit()


@pytest.fixture
def signed_in(app: Flask, browser: Browser) -> Browser:
    sign_in(browser, app, "reception")
    return browser


# --- order and rows ---------------------------------------------------------------------------------------------------
def test_queue_urgent_first_then_severity_then_oldest(app: Flask, signed_in: Browser) -> None:
    made = {
        (priority, hours): make_submission(app, priority=priority, submitted_at=T0 + timedelta(hours=hours))
        for priority, hours in [(1, 0), (3, 2), (2, 1), (3, 1), (-1, 0), (0, 3), (2, 0), (-1, 5)]
    }
    expected = [made[key] for key in [(3, 1), (3, 2), (2, 0), (2, 1), (1, 0), (0, 3), (-1, 0), (-1, 5)]]
    assert references(signed_in.get("/staff/")) == expected


def test_queue_row_shows_reference_age_clinic_time_severity_flags_and_status(app: Flask, signed_in: Browser) -> None:
    reference = make_submission(
        app, priority=2, submitted_at=datetime(2026, 7, 1, 13, 5, tzinfo=UTC), pain_duration="lt_3m"
    )
    page = signed_in.get("/staff/")
    row = page[page.index(reference) :].split("</tr>")[0]
    today = datetime.now(UTC).date()
    assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{age_on(date(1985, 3, 14), today)}</td>' in row
    assert "1 Jul 2026, 14:05" in row  # Europe/London in summer: UTC+1
    assert "app-severity-tag--discuss" in row and ">Discuss<" in row
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">2</td>' in row  # discuss + info
    assert ">New<" in row
    # issue 14: who it is (name, date of birth, phone), and how long it has waited next to the age in years
    assert '<td class="govuk-table__cell">Alex Example</td>' in row
    assert '<td class="govuk-table__cell app-nowrap">14 Mar 1985</td>' in row
    assert "Age (years)</th>" in page and "Waiting</th>" in page
    waited = (datetime.now(UTC) - datetime(2026, 7, 1, 13, 5, tzinfo=UTC)).days
    assert f'<td class="govuk-table__cell app-nowrap">{waited} days</td>' in row


def test_queue_page_is_not_cached(signed_in: Browser) -> None:
    response = signed_in.client.get("/staff/")
    assert response.headers["Cache-Control"] == "no-store"


# --- filters and counts -----------------------------------------------------------------------------------------------
@pytest.fixture
def mixed(app: Flask) -> dict[str, str]:
    refs = {
        "urgent_new": make_submission(app, priority=3, submitted_at=datetime(2026, 11, 1, 10, tzinfo=UTC)),
        "discuss_review": make_submission(app, priority=2, submitted_at=datetime(2026, 11, 3, 23, 30, tzinfo=UTC)),
        "caution_awaiting": make_submission(app, priority=1, submitted_at=datetime(2026, 11, 5, 10, tzinfo=UTC)),
        "none_withdrawn": make_submission(app, priority=-1, submitted_at=datetime(2026, 11, 6, 10, tzinfo=UTC)),
        "info_offered": make_submission(app, priority=0, submitted_at=datetime(2026, 11, 7, 10, tzinfo=UTC)),
    }
    set_status(app, refs["discuss_review"], SubmissionStatus.IN_REVIEW)
    set_status(app, refs["caution_awaiting"], SubmissionStatus.AWAITING_PATIENT)
    set_status(app, refs["none_withdrawn"], SubmissionStatus.WITHDRAWN)
    set_status(app, refs["info_offered"], SubmissionStatus.CONSULT_OFFERED)
    return refs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["urgent_new", "discuss_review", "caution_awaiting"]),  # open by default
        ("?status=all", ["urgent_new", "discuss_review", "caution_awaiting", "info_offered", "none_withdrawn"]),
        ("?status=withdrawn", ["none_withdrawn"]),
        ("?status=in_review", ["discuss_review"]),
        ("?status=all&severity=urgent", ["urgent_new"]),
        ("?status=all&severity=none", ["none_withdrawn"]),
        ("?status=all&severity=info", ["info_offered"]),
        ("?status=all&from=2026-11-05", ["caution_awaiting", "info_offered", "none_withdrawn"]),
        ("?status=all&to=2026-11-03", ["urgent_new", "discuss_review"]),  # 23:30 UTC on 3 Nov: still 3 Nov in London
        ("?status=all&from=2026-11-03&to=2026-11-05", ["discuss_review", "caution_awaiting"]),
        ("?severity=caution&status=open", ["caution_awaiting"]),
    ],
)
def test_queue_filters(signed_in: Browser, mixed: dict[str, str], query: str, expected: list[str]) -> None:
    page = signed_in.get("/staff/" + query)
    assert signed_in.status == 200
    assert references(page) == [mixed[key] for key in expected]


def test_queue_date_filter_uses_the_clinics_day(app: Flask, signed_in: Browser) -> None:
    late_summer_evening = make_submission(app, priority=0, submitted_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    assert references(signed_in.get("/staff/?from=2026-07-02&to=2026-07-02")) == [late_summer_evening]  # BST
    assert references(signed_in.get("/staff/?to=2026-07-01")) == []


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?status=approved", "urgent_new"),
        ("?severity=deadly", "urgent_new"),
        ("?from=2026-13-40", "urgent_new"),
        ("?from=2026-11-05&to=2026-11-01", "caution_awaiting"),  # the end date is dropped, the start date kept
    ],
)
def test_queue_bad_filter_is_explained_and_ignored(
    signed_in: Browser, mixed: dict[str, str], query: str, shown: str
) -> None:
    page = signed_in.get("/staff/" + query)
    assert signed_in.status == 200
    assert "There is a problem" in page and "Error: " in page
    assert references(page)[0] == mixed[shown]


def test_queue_counts_per_status(signed_in: Browser, mixed: dict[str, str]) -> None:
    page = signed_in.get("/staff/")
    counts = {
        label: int(count)
        for count, label in re.findall(
            r'<span class="app-status-counts__count">(\d+)</span> ([A-Za-z ]+?)\s*</a>', page
        )
    }
    assert counts == {
        "Open": 3,
        "New": 1,
        "In review": 1,
        "Awaiting patient": 1,
        "Consultation offered": 1,
        "Not suitable": 0,
        "Withdrawn": 1,
        "All": 5,
    }


# --- search -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def people(app: Flask) -> dict[str, str]:
    return {
        "jo": make_submission(
            app, priority=1, full_name="Jo Bloggs-Smith", date_of_birth="1970-05-06", email="Jo.Bloggs@Example.org"
        ),
        "sam": make_submission(
            app, priority=2, full_name="Sam Taylor", date_of_birth="1990-12-01", email="sam@example.org"
        ),
    }


def search(browser: Browser, text: str, **extra: str) -> str:
    browser.get("/staff/")
    return browser.post("/staff/search", {"q": text, **extra})


def assert_no_patient_data_in_urls(page: str, *terms: str) -> None:
    for url in _HREFS.findall(page):
        for term in terms:
            assert term.lower() not in url.lower(), url


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("reference:jo", "jo"),
        ("bloggs", "jo"),
        ("  sam  TAYLOR ", "sam"),
        ("06/05/1970", "jo"),
        ("6.5.1970", "jo"),
        ("1990-12-01", "sam"),
        ("jo.bloggs@example.ORG", "jo"),
    ],
)
def test_search_by_each_key_is_posted_and_answered_without_patient_data_in_urls(
    signed_in: Browser, people: dict[str, str], term: str, who: str
) -> None:
    if term.startswith("reference:"):
        term = people[term.split(":")[1]].lower().replace("-", " - ")
    page = search(signed_in, term)
    assert signed_in.status == 200 and signed_in.location == ""  # answered directly: no redirect, nothing in a URL
    assert references(page) == [people[who]]
    assert "Search results" in page
    assert_no_patient_data_in_urls(page, "bloggs", "taylor", "1970", "1990", "@example")


def test_search_with_no_match_says_so(signed_in: Browser, people: dict[str, str]) -> None:
    page = search(signed_in, "Nobody Here")
    assert references(page) == [] and "No submissions match your search." in page


def test_search_respects_the_filters_it_was_posted_with(app: Flask, signed_in: Browser, people: dict[str, str]) -> None:
    set_status(app, people["jo"], SubmissionStatus.WITHDRAWN)
    assert references(search(signed_in, "bloggs")) == []  # open by default
    assert references(search(signed_in, "bloggs", status="all")) == [people["jo"]]


def test_search_needs_a_term_and_a_csrf_token(signed_in: Browser, people: dict[str, str]) -> None:
    page = search(signed_in, "   ")
    assert signed_in.status == 400 and "Enter a reference, name, date of birth, phone number or email address" in page
    signed_in.post("/staff/search", {"q": "bloggs"}, csrf=False)
    assert signed_in.status == 400
    assert signed_in.client.get("/staff/search").status_code == 405


def test_search_name_is_matched_literally(signed_in: Browser, people: dict[str, str]) -> None:
    assert references(search(signed_in, "%")) == []
    assert references(search(signed_in, "_o")) == []


def test_search_term_with_markup_is_shown_escaped(app: Flask, signed_in: Browser) -> None:
    reference = make_submission(app, priority=0, full_name="<script>alert(1)</script> Smith")
    page = search(signed_in, "<script>alert(1)</script>")
    assert references(page) == [reference]
    assert "<script>alert(1)</script>" not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


# --- pagination -------------------------------------------------------------------------------------------------------
@pytest.fixture
def many(app: Flask) -> list[str]:
    """60 submissions: priorities in a cycle, several sharing a submission time (so the reference breaks ties)."""
    made = []
    for n in range(60):
        priority = (3, 2, 1, 0, -1)[n % 5]
        made.append(
            (
                priority,
                T0 + timedelta(minutes=n // 3),
                make_submission(
                    app, priority=priority, submitted_at=T0 + timedelta(minutes=n // 3), full_name="Quincy Manyfold"
                ),
            )
        )
    made.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [reference for _, _, reference in made]


@pytest.fixture
def statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _link(page: str, rel: str) -> str | None:
    match = re.search(rf'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="{rel}"', page)
    return match.group(1).replace("&amp;", "&") if match else None


def test_pages_walk_every_row_once_in_order_without_offset(
    signed_in: Browser, many: list[str], statements: list[tuple[str, Any]]
) -> None:
    seen, pages, url = [], [], "/staff/"
    while url:
        page = signed_in.get(url)
        rows = references(page)
        assert len(rows) <= PAGE_SIZE
        seen += rows
        pages.append(url)
        url = _link(page, "next")
    assert seen == many and len(pages) == 3
    queue_queries = [(sql, params) for sql, params in statements if "FROM submission" in sql and "ORDER BY" in sql]
    assert len(queue_queries) == 3
    for sql, params in queue_queries:  # SQLite's dialect always writes "OFFSET ?", with 0: the keyset does the work
        assert "OFFSET" not in sql or (sql.rstrip().endswith("OFFSET ?") and params[-1] == 0)
    assert all("submission.priority <" in sql for sql, _ in queue_queries[1:])
    # and back again: "previous" from the last page gives exactly the page before it
    last = signed_in.get(pages[-1])
    assert references(signed_in.get(_link(last, "prev") or "")) == many[PAGE_SIZE : 2 * PAGE_SIZE]
    first = signed_in.get(pages[1])
    assert references(signed_in.get(_link(first, "prev") or "")) == many[:PAGE_SIZE]
    assert _link(signed_in.page, "prev") is None


def test_page_links_keep_the_filters_and_carry_no_row_id(signed_in: Browser, many: list[str]) -> None:
    page = signed_in.get("/staff/?severity=urgent&status=all")
    assert references(page) == many[:12]
    assert _link(page, "next") is None
    page = signed_in.get("/staff/?status=all")
    following = _link(page, "next") or ""
    assert "status=all" in following and "page=" in following
    token = re.search(r"page=([^&]+)", following)
    assert token and "KT-" not in token.group(1) and not token.group(1).isdigit()


def test_a_tampered_page_token_shows_the_first_page(signed_in: Browser, many: list[str]) -> None:
    assert references(signed_in.get("/staff/?page=not-a-cursor")) == many[:PAGE_SIZE]


def test_search_results_page_by_post(signed_in: Browser, many: list[str]) -> None:
    page = search(signed_in, "quincy manyfold")
    seen = references(page)
    while token := re.search(
        r'<input type="hidden" name="page" value="([^"]+)">\s*'
        r'(?:<input[^>]*>\s*)*<button type="submit" class="app-link-button">Next page',
        page,
    ):
        page = signed_in.post(
            "/staff/search", {"q": "quincy manyfold", "page": token.group(1), "csrf_token": csrf_token(page)}
        )
        assert signed_in.status == 200
        seen += references(page)
    assert seen == many
    assert_no_patient_data_in_urls(page, "quincy", "manyfold")
