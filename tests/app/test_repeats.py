"""Repeat submissions (issue 14, item 3): a submission whose person matches an earlier one (same date of birth and
the same email, phone or normalised name) lists the others ("Also submitted") and is marked "Repeat" in the queue;
clinicians and administrators mark one as superseded by another (audited, undoable, refused for reception)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from tests.app.auth import sign_in
from tests.app.staff_helpers import audit_events, get_submission, make_submission, url, version_on
from tests.conftest import Browser

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PERSON = {"full_name": "Jo Bloggs", "date_of_birth": "1970-05-06", "email": "jo@example.org", "phone": "020 7946 0001"}
_ALSO = re.compile(r"Also submitted: (.*?)</p>", re.S)


def submit(app: Flask, hours: int, **changes: str) -> str:
    return make_submission(app, priority=-1, submitted_at=T0 + timedelta(hours=hours), **{**PERSON, **changes})


def also_submitted(page: str) -> list[str]:
    match = _ALSO.search(page)
    return re.findall(r">(KT-[0-9A-Z]{4}-[0-9A-Z]{4})<", match.group(1)) if match else []


def queue_row(page: str, reference: str) -> str:
    return page[page.index(f">{reference}<") :].split("</tr>")[0]


@pytest.fixture
def signed_in(app: Flask, browser: Browser) -> Browser:
    sign_in(browser, app, "clinician")
    return browser


@pytest.mark.parametrize(
    ("changes", "same_person"),
    [
        ({"full_name": "J Bloggs", "phone": "020 7946 0999"}, True),  # same email
        ({"email": "other@example.org", "full_name": "Joanne B"}, True),  # same phone, typed differently below
        ({"email": "other@example.org", "phone": "020 7946 0999", "full_name": "bloggs,  JO"}, True),  # same name
        ({"email": "JO@Example.org", "full_name": "X", "phone": "020 7946 0999"}, True),  # email in another case
        ({"date_of_birth": "1970-05-07"}, False),  # another date of birth: never the same person
        ({"email": "other@example.org", "phone": "020 7946 0999", "full_name": "Jo Blogs"}, False),  # nothing equal
    ],
)
def test_same_date_of_birth_and_email_phone_or_name_is_the_same_person(
    app: Flask, signed_in: Browser, changes: dict[str, str], same_person: bool
) -> None:
    first = submit(app, 0)
    second = submit(app, 1, **({"phone": "+44 20 7946 0001", **changes} if "phone" not in changes else changes))
    page = signed_in.get(url(second))
    assert also_submitted(page) == ([first] if same_person else [])
    assert also_submitted(signed_in.get(url(first))) == ([second] if same_person else [])
    queue = signed_in.get("/staff/?status=all")
    assert ("Repeat</strong>" in queue_row(queue, second)) is same_person
    assert "Repeat</strong>" not in queue_row(queue, first)  # the first of them is not a repeat


def test_four_submissions_of_one_person_list_each_other_oldest_first(app: Flask, signed_in: Browser) -> None:
    made = [submit(app, hours) for hours in (3, 0, 2, 1)]
    oldest_first = [made[1], made[3], made[2], made[0]]
    page = signed_in.get(url(made[2]))
    assert also_submitted(page) == [ref for ref in oldest_first if ref != made[2]]
    for reference in also_submitted(page):
        assert f'href="/staff/submissions/{reference}"' in page
    queue = signed_in.get("/staff/")
    assert [("Repeat</strong>" in queue_row(queue, ref)) for ref in oldest_first] == [False, True, True, True]


def test_a_clinician_marks_a_submission_superseded_and_undoes_it(app: Flask, signed_in: Browser) -> None:
    old, new = submit(app, 0), submit(app, 1)
    page = signed_in.get(url(old))
    action = url(old, "superseded-by")
    signed_in.post(action, {"by": new, "version": str(version_on(page, action))})
    assert signed_in.status == 302
    page = signed_in.get(url(old))
    assert "Marked as superseded by" in page and "Superseded by <a" in page
    assert "This submission supersedes" in signed_in.get(url(new))
    assert "Superseded</strong>" in queue_row(signed_in.get("/staff/"), old)
    [event] = audit_events(app, "submission.superseded")
    assert event["reference"] == old and event["details"]["by"] == new and event["staff_id"]

    page = signed_in.get(url(old))
    signed_in.post(action, {"by": "none", "version": str(version_on(page, action))})
    assert signed_in.status == 302
    assert "Superseded by <a" not in signed_in.get(url(old))
    assert [event["reference"] for event in audit_events(app, "submission.supersede_cleared")] == [old]


def test_marking_needs_a_choice_among_the_same_persons_submissions(app: Flask, signed_in: Browser) -> None:
    old, new = submit(app, 0), submit(app, 1)
    stranger = make_submission(app, priority=-1, full_name="Someone Else", date_of_birth="1999-01-01")
    page = signed_in.get(url(old))
    action = url(old, "superseded-by")
    version = str(version_on(page, action))
    page = signed_in.post(action, {"version": version})
    assert signed_in.status == 400 and "Select the submission that replaces this one" in page
    assert 'href="#repeat-by"' in page
    for by in (stranger, old, "KT-0000-0000"):
        page = signed_in.post(action, {"by": by, "version": version})
        assert signed_in.status == 400 and "Select one of this person&#39;s other submissions" in page
    page = signed_in.post(action, {"by": new, "version": str(int(version) - 1)})
    assert signed_in.status == 409 and "Your change was not saved: check and save again" in page
    assert audit_events(app, "submission.superseded") == []


def test_no_loops_the_superseding_one_cannot_be_superseded_by_the_other(app: Flask, signed_in: Browser) -> None:
    old, new = submit(app, 0), submit(app, 1)
    page = signed_in.get(url(old))
    signed_in.post(url(old, "superseded-by"), {"by": new, "version": str(version_on(page, url(old, "superseded-by")))})
    page = signed_in.get(url(new))
    assert f'value="{old}"' not in page and url(new, "superseded-by") not in page  # nothing to offer
    signed_in.post(url(new, "superseded-by"), {"by": old, "version": str(get_submission(app, new)["version"])})
    assert signed_in.status == 400


def test_reception_sees_the_others_but_may_not_mark(app: Flask, browser: Browser) -> None:
    old, new = submit(app, 0), submit(app, 1)
    sign_in(browser, app, "reception")
    page = browser.get(url(old))
    assert also_submitted(page) == [new] and "superseded-by" not in page
    browser.post(url(old, "superseded-by"), {"by": new, "version": "1"})
    assert browser.status == 403
    assert audit_events(app, "submission.superseded") == []
