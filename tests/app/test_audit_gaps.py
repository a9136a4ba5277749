"""What used to go unrecorded is audited (security-bar §4 cases 19 and 27; issue 15 item 5): the losing writer of a
concurrent change gets a 409 and a ``submission.conflict`` (or ``intake.conflict``) row, and a staff lookup of a
reference that does not exist gets a 404 and an ``access.not_found`` row, each committed although the request
fails. Ids, versions and addresses only: never the note that was not saved."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from screening.extensions import db
from screening.models import AuditEvent, FlagRecord, ReviewEvent, Submission
from screening.staff import retention
from tests.app.auth import sign_in, sign_in_admin
from tests.app.staff_helpers import audit_events, get_submission, make_submission, second_browser, url, version_on
from tests.app.test_intake_pause import PAUSE, REOPEN, revision
from tests.conftest import Browser

UNSAVED_NOTE = "Unsaved words that must never reach the audit trail"


def _changed_at(app: Flask, reference: str) -> str:
    """The clinic-time HH:MM of the submission's latest review event (what the 409 page names)."""
    with app.app_context():
        at = db.session.scalar(
            select(ReviewEvent.at)
            .join(Submission)
            .where(Submission.reference == reference)
            .order_by(ReviewEvent.at.desc())
            .limit(1)
        )
        assert at is not None
        return at.astimezone(ZoneInfo(app.config["SCREENING"]["TIMEZONE"])).strftime("%H:%M")


def _audit_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


# --- case 19: concurrent writes ---------------------------------------------------------------------------------------
def test_case_19_concurrent_status_change_one_wins_the_other_gets_409_and_both_are_audited(
    app: Flask, browser: Browser
) -> None:
    """Two staff load version 1 and post at the same moment (two threads): exactly one change is saved, the other
    is told who changed it and when, and both attempts are in the audit trail."""
    reference = make_submission(app, priority=2)
    rae = sign_in(browser, app, "reception", name="Rae Reception")
    other = second_browser(app)
    cleo = sign_in(other, app, "clinician", name="Dr Cleo Clinician")
    posts = {}
    for who, staff_browser, target in (("rae", browser, "in_review"), ("cleo", other, "awaiting_patient")):
        staff_browser.get(url(reference))
        version = version_on(staff_browser.page, url(reference, "status"))
        assert version == 1
        posts[who] = (staff_browser, {"status": target, "note": UNSAVED_NOTE, "version": "1"})
    barrier = threading.Barrier(2)

    def post(who: str) -> None:
        staff_browser, data = posts[who]
        data = {**data, "csrf_token": staff_browser.csrf_token()}
        barrier.wait(timeout=5)
        staff_browser.post(url(reference, "status"), data, csrf=False)

    threads = [threading.Thread(target=post, args=(who,)) for who in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert sorted([browser.status, other.status]) == [302, 409]
    winner, loser = (browser, other) if browser.status == 302 else (other, browser)
    (won, won_status), (lost, lost_status) = (
        ((rae, "in_review"), (cleo, "awaiting_patient"))
        if winner is browser
        else ((cleo, "awaiting_patient"), (rae, "in_review"))
    )
    label = {"in_review": "In review", "awaiting_patient": "Awaiting patient"}[won_status]
    assert (
        f"{won.name} changed this at {_changed_at(app, reference)} (status: {label}). "
        "Your change was not saved: check and save again"
    ) in loser.page
    assert get_submission(app, reference)["status"] == won_status  # the winner's change, never overwritten
    [changed] = audit_events(app, "submission.status_changed")
    assert changed["staff_id"] == won.id and changed["details"]["to_status"] == won_status
    [conflict] = audit_events(app, "submission.conflict")
    assert conflict == {
        "reference": reference,
        "staff_id": lost.id,
        "remote_addr": "127.0.0.1",
        "details": {"attempt": "status", "had_version": 1, "current_version": 2, "to_status": lost_status},
    }
    assert UNSAVED_NOTE not in repr(conflict)


def test_a_losing_note_and_a_losing_acknowledgement_are_audited_without_their_text(
    app: Flask, browser: Browser
) -> None:
    reference = make_submission(app, priority=2)
    with app.app_context():
        rule_id = db.session.scalar(
            select(FlagRecord.rule_id).join(Submission).where(Submission.reference == reference)
        )
    sign_in(browser, app, "clinician", name="Dr Cleo Clinician")
    other = second_browser(app)
    late = sign_in(other, app, "clinician", name="Dr Lee Late")
    browser.get(url(reference))
    other.get(url(reference))
    stale = version_on(other.page, url(reference, "notes"))
    browser.post(url(reference, "notes"), {"note": "Booked a call", "version": str(stale)})
    assert browser.status == 302
    other.post(url(reference, "notes"), {"note": UNSAVED_NOTE, "version": str(stale)})
    assert other.status == 409
    other.post(
        url(reference, f"flags/{rule_id}"), {"acknowledgement": "discussed", "note": UNSAVED_NOTE, "version": "1"}
    )
    assert other.status == 409
    rows = audit_events(app, "submission.conflict")
    assert [row["details"] for row in rows] == [
        {"attempt": "note", "had_version": 1, "current_version": 2},
        {"attempt": "acknowledgement", "had_version": 1, "current_version": 2, "rule_id": rule_id},
    ]
    assert {row["staff_id"] for row in rows} == {late.id} and {row["reference"] for row in rows} == {reference}
    assert UNSAVED_NOTE not in repr(rows)


def test_a_losing_change_to_new_forms_is_audited(app: Flask, browser: Browser) -> None:
    sign_in_admin(browser, app)
    other = second_browser(app)
    second = sign_in(other, app, "admin", name="Bo Admin")
    browser.get("/staff/admin/intake")
    other.get("/staff/admin/intake")
    browser.post(PAUSE, {"message": "Closed until Monday.", "revision": revision(browser.page)})
    assert browser.status == 302
    other.post(PAUSE, {"message": "Closed all week.", "revision": revision(other.page)})
    assert other.status == 409
    other.post(REOPEN, {"revision": "0"})  # a reopen offered on the state before the pause
    assert other.status == 409
    rows = audit_events(app, "intake.conflict")
    assert {(row["staff_id"], row["remote_addr"]) for row in rows} == {(second.id, "127.0.0.1")}
    assert [row["details"] for row in rows] == [
        {"attempt": "pause", "had_revision": 0, "current_revision": 1},
        {"attempt": "reopen", "had_revision": 0, "current_revision": 1},
    ]
    assert "Closed all week" not in repr(rows)


# --- case 27: references that do not exist ----------------------------------------------------------------------------
def test_case_27_unknown_reference_is_404_and_audited_a_sequential_number_is_404(app: Flask, browser: Browser) -> None:
    """A random reference (well-formed, never issued), a purged one, and a sequential row number: each 404; the
    first two reach the view and are audited as ``access.not_found`` with the reference, staff id and address."""
    staff = sign_in(browser, app, "clinician")
    old = make_submission(app, submitted_at=datetime.now(UTC) - timedelta(days=60))
    with app.app_context():
        assert retention.purge_older_than(30).deleted == 1
    random_reference = "KT-7Q4M-9XHD"
    for reference in (random_reference, old):
        for path in (
            url(reference),
            f"/staff/submissions/{reference}/summary",
            f"/staff/submissions/{reference}/summary.pdf",
        ):
            assert browser.client.get(path).status_code == 404, path
    browser.get("/staff/")
    browser.post(url(random_reference, "status"), {"status": "in_review", "note": "", "version": "1"})
    assert browser.status == 404
    rows = audit_events(app, "access.not_found")
    assert [(row["reference"], row["details"]["endpoint"]) for row in rows] == [
        (random_reference, "staff.submission"),
        (random_reference, "summary.print_view"),
        (random_reference, "summary.pdf_download"),
        (old, "staff.submission"),
        (old, "summary.print_view"),
        (old, "summary.pdf_download"),
        (random_reference, "staff.change_status"),
    ]
    assert {(row["staff_id"], row["remote_addr"]) for row in rows} == {(staff.id, "127.0.0.1")}
    before = _audit_count(app)
    for path in ("/staff/submissions/1", "/staff/submissions/2/summary", "/staff/submissions/kt-7q4m-9xhd"):
        assert browser.client.get(path).status_code == 404, path  # not a reference: never reaches a view
    assert _audit_count(app) == before


def test_an_unknown_flag_of_a_real_submission_is_404_and_audited(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "clinician")
    browser.get(url(reference))
    browser.post(url(reference, "flags/no_such_rule"), {"acknowledgement": "discussed", "version": "1"})
    assert browser.status == 404
    [row] = audit_events(app, "access.not_found")
    assert row["reference"] == reference and row["details"]["rule_id"] == "no_such_rule"


def test_a_signed_out_lookup_is_sent_to_sign_in_and_writes_nothing(app: Flask, browser: Browser) -> None:
    response = browser.client.get(url("KT-7Q4M-9XHD"))
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert audit_events(app, "access.not_found") == []
