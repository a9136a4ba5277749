"""The review workflow: who may set which status (every role x every target), moves back with a note, notes
(append-only), optimistic locking (the second writer gets "X changed this at HH:MM (status: ...)", nothing is
overwritten and their note is kept), audit events, mass assignment, escaping. Flag acknowledgement:
test_staff_submission.py."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from screening.extensions import db
from screening.models import ReviewEvent, Role, StaffUser, Submission, SubmissionStatus
from screening.staff import review
from tests.app.auth import Staff, sign_in
from tests.app.staff_helpers import (
    audit_events,
    get_submission,
    make_submission,
    second_browser,
    url,
    version_on,
)
from tests.conftest import Browser

SCRIPT = "<script>alert(1)</script>"
ALLOWED = {
    "reception": {"in_review", "awaiting_patient", "withdrawn"},
    "admin": {"in_review", "awaiting_patient", "withdrawn"},
    "clinician": {"in_review", "awaiting_patient", "consult_offered", "not_suitable", "withdrawn"},
}


def post_status(
    browser: Browser, reference: str, status: str, note: str = "", extra: dict[str, str] | None = None
) -> str:
    """Post the status form of the page the browser is on (opening it first if need be)."""
    if f'action="{url(reference)}' not in browser.page:
        browser.get(url(reference))
    data = {
        "status": status,
        "note": note,
        "version": str(version_on(browser.page, url(reference, "status"))),
        **(extra or {}),
    }
    return browser.post(url(reference, "status"), data)


# --- who may set what -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["reception", "clinician", "admin"])
@pytest.mark.parametrize("target", [status.value for status in SubmissionStatus])
def test_status_matrix(app: Flask, browser: Browser, role: str, target: str) -> None:
    reference = make_submission(app, priority=1)
    staff = sign_in(browser, app, role)
    post_status(browser, reference, target)
    stored = get_submission(app, reference)
    if target in ALLOWED[role]:
        assert browser.status == 302
        assert stored["status"] == target
        assert stored["events"] == [(staff.name, SubmissionStatus.NEW, SubmissionStatus(target), None)]
        assert audit_events(app, "submission.status_changed")[0]["details"]["to_status"] == target
    else:
        assert browser.status == 403
        assert stored["status"] == "new" and stored["events"] == [] and stored["version"] == 1
        denied = audit_events(app, "access.denied")
        assert denied == [
            {
                "reference": reference,
                "staff_id": staff.id,
                "remote_addr": "127.0.0.1",
                "details": {"endpoint": "staff.change_status", "to_status": target},
            }
        ]


@pytest.mark.parametrize("role", ["reception", "clinician", "admin"])
def test_the_form_offers_only_what_the_role_may_set(app: Flask, browser: Browser, role: str) -> None:
    reference = make_submission(app)
    sign_in(browser, app, role)
    page = browser.get(url(reference))
    form = page[page.index(f'action="{url(reference, "status")}"') :].split("</form>")[0]
    assert set(re.findall(r'name="status" type="radio" value="(\w+)"', form)) == ALLOWED[role]


def test_only_a_clinician_changes_a_clinical_outcome(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "clinician")
    post_status(browser, reference, "consult_offered")
    reception = second_browser(app)
    sign_in(reception, app, "reception")
    page = reception.get(url(reference))
    assert "only a clinician can change it" in page and f'action="{url(reference, "status")}"' not in page
    reception.post(url(reference, "status"), {"status": "withdrawn", "note": "Patient rang", "version": "2"})
    assert reception.status == 403
    assert get_submission(app, reference)["status"] == "consult_offered"


# --- moving back, no change, bad input -------------------------------------------------------------------------------
def test_a_move_back_needs_a_note(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    staff = sign_in(browser, app, "clinician")
    post_status(browser, reference, "not_suitable")
    page = post_status(browser, reference, "in_review")
    assert browser.status == 400
    assert "Enter a note to say why you are moving this back from Not suitable to In review" in page
    assert 'href="#status-note"' in page
    assert get_submission(app, reference)["status"] == "not_suitable"
    post_status(browser, reference, "in_review", note="GP letter changes the picture")
    assert browser.status == 302
    assert get_submission(app, reference)["events"][-1] == (
        staff.name,
        SubmissionStatus.NOT_SUITABLE,
        SubmissionStatus.IN_REVIEW,
        "GP letter changes the picture",
    )
    page = browser.get(url(reference))
    assert "Status changed from Not suitable to In review" in page and "GP letter changes the picture" in page


def test_reception_reopens_a_withdrawn_submission_with_a_note(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception")
    post_status(browser, reference, "withdrawn")
    page = browser.get(url(reference))
    assert "Moving back: add a note to say why" in page
    post_status(browser, reference, "in_review")
    assert browser.status == 400
    post_status(browser, reference, "in_review", note="Patient changed their mind")
    assert browser.status == 302 and get_submission(app, reference)["status"] == "in_review"


def test_setting_the_current_status_again_is_refused(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception")
    post_status(browser, reference, "in_review")
    page = post_status(browser, reference, "in_review")
    assert browser.status == 400 and "Select a different status" in page
    assert len(get_submission(app, reference)["events"]) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": ""}, "Select a new status"),
        ({"status": "approved"}, "Select a new status"),
        ({"status": "in_review", "note": "x" * 2001}, "Enter a note of 2000 characters or fewer"),
        ({"status": "in_review", "note": "bad\x00byte"}, "Remove the hidden characters"),
    ],
)
def test_bad_status_form_is_explained(app: Flask, browser: Browser, data: dict[str, str], message: str) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "reception")
    page = post_status(browser, reference, data["status"], data.get("note", ""))
    assert browser.status == 400 and message in page and page.startswith("<!DOCTYPE html>")
    assert "<title>Error: " in page
    assert get_submission(app, reference)["status"] == "new"


def test_extra_post_fields_are_ignored(app: Flask, browser: Browser) -> None:
    reference = make_submission(app, priority=1)
    sign_in(browser, app, "reception")
    post_status(
        browser,
        reference,
        "in_review",
        extra={
            "priority": "3",
            "full_name": "Mallory",
            "reference": "KT-AAAA-AAAA",
            "version_id": "99",
            "staff_id": "1",
            "role": "admin",
            "acknowledgement": "discussed",
            "submitted_at": "2000-01-01",
        },
    )
    assert browser.status == 302
    browser.get(url(reference))
    browser.post(
        url(reference, "notes"),
        {
            "note": "Called",
            "version": str(version_on(browser.page, url(reference, "notes"))),
            "status": "withdrawn",
            "to_status": "consult_offered",
        },
    )
    assert browser.status == 302
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert (submission.status, submission.priority, submission.full_name) == (
            SubmissionStatus.IN_REVIEW,
            1,
            "Alex Example",
        )
        assert [event.to_status for event in submission.events] == [SubmissionStatus.IN_REVIEW, None]
        assert all(flag.acknowledgement is None for flag in submission.flags)


@pytest.mark.parametrize("action", ["status", "notes", "flags/allergy_ketamine_unsure"])
def test_posts_need_a_csrf_token(app: Flask, browser: Browser, action: str) -> None:
    reference = make_submission(app, priority=1)
    sign_in(browser, app, "clinician")
    browser.post(
        url(reference, action),
        {"status": "in_review", "note": "n", "acknowledgement": "discussed", "version": "1"},
        csrf=False,
    )
    assert browser.status == 400
    assert get_submission(app, reference)["version"] == 1


# --- optimistic locking -----------------------------------------------------------------------------------------------
def _changed_at(app: Flask, reference: str) -> str:
    with app.app_context():
        event = db.session.scalars(
            select(ReviewEvent)
            .join(Submission)
            .where(Submission.reference == reference)
            .order_by(ReviewEvent.id.desc())
        ).first()
        assert event is not None
        return event.at.astimezone(ZoneInfo(app.config["SCREENING"]["TIMEZONE"])).strftime("%H:%M")


def two_staff(app: Flask, browser: Browser) -> tuple[Staff, Browser, Staff, Browser]:
    first = sign_in(browser, app, "reception", name="Rae Reception")
    other = second_browser(app)
    second = sign_in(other, app, "clinician", name="Dr Cleo Clinician")
    return first, browser, second, other


def test_concurrent_status_change_gives_the_second_writer_a_conflict(app: Flask, browser: Browser) -> None:
    reference = make_submission(app, priority=2)
    _first, rae, _second, cleo = two_staff(app, browser)
    rae.get(url(reference))
    cleo.get(url(reference))
    post_status(rae, reference, "in_review")
    assert rae.status == 302
    page = post_status(cleo, reference, "awaiting_patient", note="Left a voicemail <b>twice</b>")
    assert cleo.status == 409
    assert (
        f"Rae Reception changed this at {_changed_at(app, reference)} (status: In review). "
        "Your change was not saved: check and save again"
    ) in page
    assert "Left a voicemail &lt;b&gt;twice&lt;/b&gt;</textarea>" in page  # their note is kept, escaped
    assert 'value="awaiting_patient" checked' in page
    stored = get_submission(app, reference)
    assert stored["status"] == "in_review" and len(stored["events"]) == 1  # nothing overwritten
    assert "Status changed from New to In review" in page  # the page shows the latest
    # the form now carries the latest version: sending again is a deliberate choice, and it works
    post_status(cleo, reference, "awaiting_patient", note="Left a voicemail twice")
    assert cleo.status == 302 and get_submission(app, reference)["status"] == "awaiting_patient"


def test_concurrent_note_gives_the_second_writer_a_conflict(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    _first, rae, _second, cleo = two_staff(app, browser)
    rae.get(url(reference))
    cleo.get(url(reference))
    stale = version_on(cleo.page, url(reference, "notes"))
    rae.post(url(reference, "notes"), {"note": "Booked a call", "version": str(stale)})
    assert rae.status == 302
    page = cleo.post(url(reference, "notes"), {"note": "My own note", "version": str(stale)})
    assert cleo.status == 409 and "Rae Reception changed this at" in page and "(status: New)" in page
    assert "My own note</textarea>" in page
    assert [event[3] for event in get_submission(app, reference)["events"]] == ["Booked a call"]


def test_a_writer_who_commits_between_read_and_write_still_causes_a_conflict(app: Flask) -> None:
    """The version check is also in the UPDATE itself: a change committed after our read is never overwritten."""
    reference = make_submission(app)
    staff = sign_in(app.test_client(), app, "reception", name="Rae Reception")
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        actor = db.session.get(StaffUser, staff.id)
        assert submission is not None and actor is not None
        with db.engine.begin() as other:  # another worker's committed change
            other.execute(
                update(Submission)
                .where(Submission.id == submission.id)
                .values(status=SubmissionStatus.WITHDRAWN, version_id=2)
            )
        with pytest.raises(review.Conflict) as raised:
            review.change_status(submission, SubmissionStatus.IN_REVIEW, actor=actor, expected_version=1)
        assert raised.value.version == 2
    stored = get_submission(app, reference)
    assert stored["status"] == "withdrawn" and stored["events"] == []
    assert audit_events(app, "submission.status_changed") == []


# --- notes and history ------------------------------------------------------------------------------------------------
def test_notes_are_appended_audited_by_id_and_escaped(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    staff = sign_in(browser, app, "reception")
    for note in ("First call: no answer", SCRIPT):
        browser.get(url(reference))
        browser.post(
            url(reference, "notes"), {"note": note, "version": str(version_on(browser.page, url(reference, "notes")))}
        )
        assert browser.status == 302
    page = browser.get(url(reference))
    assert "Note added" in page
    history = page[page.index('id="history"') :]
    assert history.index("&lt;script&gt;alert(1)&lt;/script&gt;") < history.index("First call: no answer")
    assert SCRIPT not in page
    assert history.index("Submitted by the patient") > history.index("First call")
    rows = audit_events(app, "submission.note_added")
    assert [(row["reference"], row["staff_id"]) for row in rows] == [(reference, staff.id)] * 2
    assert "First call" not in repr(rows) and "script" not in repr(rows)
    assert all(isinstance(row["details"]["event"], int) for row in rows)


@pytest.mark.parametrize(
    ("note", "message"), [("   ", "Enter a note"), ("x" * 2001, "Enter a note of 2000 characters or fewer")]
)
def test_a_bad_note_is_explained(app: Flask, browser: Browser, note: str, message: str) -> None:
    reference = make_submission(app)
    sign_in(browser, app, "admin")
    browser.get(url(reference))
    page = browser.post(url(reference, "notes"), {"note": note, "version": "1"})
    assert browser.status == 400 and message in page and 'href="#note-note"' in page
    assert get_submission(app, reference)["events"] == []


def test_status_change_is_audited_with_codes_only(app: Flask, browser: Browser) -> None:
    reference = make_submission(app)
    staff = sign_in(browser, app, "clinician")
    post_status(browser, reference, "consult_offered", note="Discussed with Dr Who: fine")
    [row] = audit_events(app, "submission.status_changed")
    assert row["reference"] == reference and row["staff_id"] == staff.id
    assert row["details"]["from_status"] == "new" and row["details"]["to_status"] == "consult_offered"
    assert row["details"]["with_note"] is True and "Dr Who" not in repr(row)


def test_roles_match_design() -> None:
    assert {role.value: {status.value for status in review.settable_statuses(role)} for role in Role} == ALLOWED
    assert [role for role in Role if review.may_acknowledge(role)] == [Role.CLINICIAN]


def test_signed_out_posts_change_nothing(app: Flask, client: FlaskClient) -> None:
    reference = make_submission(app)
    response = client.post(url(reference, "status"), data={"status": "withdrawn", "version": "1"})
    assert response.status_code in (302, 400)
    assert get_submission(app, reference)["status"] == "new"


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("status", {"status": "in_review"}),
        ("notes", {"note": "Called"}),
        ("flags/prac_no_escort_home", {"acknowledgement": "discussed"}),
    ],
)
@pytest.mark.parametrize("version", [None, "", "two"])
def test_a_form_without_a_readable_version_is_refused(
    app: Flask, browser: Browser, action: str, data: dict[str, str], version: str | None
) -> None:
    reference = make_submission(app, priority=2)
    sign_in(browser, app, "clinician")
    browser.get(url(reference))
    page = browser.post(url(reference, action), data if version is None else {**data, "version": version})
    assert browser.status == 400 and "This form is out of date: reload the page and try again" in page
    stored = get_submission(app, reference)
    assert stored["version"] == 1 and stored["events"] == []
