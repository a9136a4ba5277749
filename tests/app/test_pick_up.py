"""Picking up an urgent submission ("I'm calling the patient", clinicians only, audited), the counter of urgent
submissions nobody has picked up on every staff page, and the warnings about the alert route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from screening.extensions import db, utcnow
from screening.models import Notification, Role, Submission
from screening.staff.views import waited
from tests.app.admin_helpers import add_submission
from tests.app.alert_helpers import URGENT, configure
from tests.app.auth import sign_in
from tests.app.staff_helpers import audit_events, get_submission, second_browser, url, version_on
from tests.conftest import Browser

PICK_UP = "I&#39;m calling the patient"
COUNTER = re.compile(r"(\d+) urgent submissions? not picked up: the oldest has waited ([^.]+)\.")


def urgent(app: Flask, *, minutes_ago: int = 65, **changes: object) -> str:
    return add_submission(app, submitted_at=utcnow() - timedelta(minutes=minutes_ago), **{**URGENT, **changes})


def counter(page: str) -> tuple[int, str] | None:
    match = COUNTER.search(" ".join(page.split()))
    return (int(match.group(1)), match.group(2)) if match else None


def test_a_clinician_picks_up_an_urgent_submission(app: Flask, browser: Browser) -> None:
    reference = urgent(app, phone="01632 960 123", contact_phone_today=None)
    staff = sign_in(browser, app, Role.CLINICIAN, name="Dr Cleo Clinician")
    page = browser.get(url(reference))
    assert "Nobody has picked this up yet." in page and PICK_UP in page
    assert 'href="tel:01632960123"' in page
    assert counter(page) is not None and counter(page)[0] == 1
    browser.post(url(reference, "pick-up"), {"version": version_on(page, url(reference, "pick-up"))})
    assert browser.status == 302 and browser.location.endswith(url(reference) + "#pick-up")
    page = browser.get(url(reference))
    assert "Picked up by Dr Cleo Clinician at" in page and PICK_UP not in page
    assert counter(page) is None  # nobody is waiting any more
    state = get_submission(app, reference)
    assert state["status"] == "in_review"
    assert state["events"] == [("Dr Cleo Clinician", "new", "in_review", "Picked up: calling the patient")]
    [event] = audit_events(app, "submission.picked_up")
    assert (event["reference"], event["staff_id"], event["details"]["from_status"]) == (reference, staff.id, "new")


def test_reception_sees_the_panel_but_only_a_clinician_may_pick_up(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    sign_in(browser, app, Role.RECEPTION)
    page = browser.get(url(reference))
    assert "A clinician must pick this up and call the patient today." in page and PICK_UP not in page
    browser.post(url(reference, "pick-up"), {"version": 1})
    assert browser.status == 403
    assert get_submission(app, reference)["status"] == "new"


def test_two_clinicians_picking_up_at_once_the_second_is_told_who_did(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    sign_in(browser, app, Role.CLINICIAN, name="Dr First")
    page = browser.get(url(reference))
    other = second_browser(app)
    sign_in(other, app, Role.CLINICIAN, name="Dr Second")
    other_page = other.get(url(reference))
    browser.post(url(reference, "pick-up"), {"version": version_on(page, url(reference, "pick-up"))})
    other.post(url(reference, "pick-up"), {"version": version_on(other_page, url(reference, "pick-up"))})
    assert other.status == 409
    assert "Dr First changed this at" in other.page and "Picked up by Dr First" in other.page
    assert [name for name, *_ in get_submission(app, reference)["events"]] == ["Dr First"]


def test_a_submission_that_is_not_urgent_has_no_panel_and_cannot_be_picked_up(app: Flask, browser: Browser) -> None:
    reference = add_submission(app, pregnancy_status="breastfeeding")
    sign_in(browser, app, Role.CLINICIAN)
    page = browser.get(url(reference))
    assert 'id="pick-up"' not in page and "Urgent: contact the patient today" not in page
    browser.post(url(reference, "pick-up"), {"version": 1})
    assert browser.status == 400


def test_the_counter_is_on_every_staff_page_with_the_oldest_wait(app: Flask, browser: Browser) -> None:
    urgent(app, minutes_ago=65)
    urgent(app, minutes_ago=10)
    add_submission(app, pregnancy_status="breastfeeding")
    sign_in(browser, app, Role.ADMIN)
    for page_url in ("/staff/", "/staff/admin/audit", "/staff/admin/staff", "/staff/admin/export"):
        page = browser.get(page_url)
        found = counter(page)
        assert found is not None, page_url
        assert found[0] == 2 and re.fullmatch(r"1 hour (5|6) minutes", found[1]), found
        assert 'href="/staff/?severity=urgent"' in page


def test_a_submission_acted_on_no_longer_counts(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.reference == reference).values(status="withdrawn"))
        db.session.commit()
    sign_in(browser, app, Role.CLINICIAN)
    page = browser.get("/staff/")
    assert counter(page) is None
    assert "no longer waiting to be picked up" in browser.get(url(reference))


def test_admins_are_told_when_alerts_are_switched_off(app: Flask, browser: Browser) -> None:
    app.config["SCREENING"]["URGENT_ALERTS"] = False
    sign_in(browser, app, Role.ADMIN)
    assert "Urgent alerts are switched off" in browser.get("/staff/")
    clinician = second_browser(app)
    sign_in(clinician, app, Role.CLINICIAN)
    assert "Urgent alerts are switched off" not in clinician.get("/staff/")


def test_every_staff_member_is_told_when_alerts_are_not_going_out(app: Flask, browser: Browser) -> None:
    configure(app, ALERT_FILE="/nonexistent/dir/alerts.log")
    reference = urgent(app, minutes_ago=0)
    sign_in(browser, app, Role.RECEPTION)
    assert "not going out" not in browser.get("/staff/")  # due now: the worker has five minutes to send it
    with app.app_context():
        db.session.execute(update(Notification).values(last_error="ConnectionRefusedError"))
        db.session.commit()
        assert db.session.scalar(select(Notification.reference)) == reference
    assert "1 urgent alert is not going out" in browser.get("/staff/")
    with app.app_context():  # no error, but waiting for over five minutes: no worker is running
        db.session.execute(
            update(Notification).values(last_error=None, next_attempt_at=utcnow() - timedelta(minutes=6))
        )
        db.session.commit()
    assert "1 urgent alert is not going out" in browser.get("/staff/")


def test_waited_reads_as_words() -> None:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert waited(start, start + timedelta(seconds=30)) == "less than a minute"
    assert waited(start, start + timedelta(minutes=1)) == "1 minute"
    assert waited(start, start + timedelta(minutes=80)) == "1 hour 20 minutes"
    assert waited(start, start + timedelta(hours=2)) == "2 hours"
    assert waited(start, start + timedelta(days=2, hours=3, minutes=5)) == "2 days 3 hours"
    assert waited(start, start - timedelta(minutes=5)) == "less than a minute"  # a clock a little behind
