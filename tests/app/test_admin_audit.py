"""The audit log page: newest first, in English, in the clinic's time zone, filtered by action (or action family),
staff member, reference and dates (the queue's date pickers), keyset-paginated, repeated views grouped; viewing it is
audited; nothing edits or deletes an event."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import AuditEvent, Role
from screening.staff.records_views import PAGE_SIZE
from tests.app.auth import create_account, sign_in_admin
from tests.conftest import Browser

AUDIT = "/staff/admin/audit"
_ROW_ACTION = re.compile(r'<tr class="govuk-table__row" data-action="([a-z_]+\.[a-z_]+)">')
_ROW_DETAILS = re.compile(r"Seq:</span> (\d+)")
_LINK = re.compile(
    r'<a class="[^"]*govuk-pagination__link" href="([^"]+)".*?'
    r'<span class="govuk-pagination__link-title[^"]*">\s*(Newer|Older) events',
    re.S,
)


def add_events(app: Flask, *events: dict[str, Any]) -> None:
    with app.app_context():
        for event in events:
            db.session.add(AuditEvent(**{"details": {}, **event}))
        db.session.commit()


def audit_page(client: FlaskClient, **params: Any) -> str:
    response = client.get(f"{AUDIT}?{urlencode(params, doseq=True)}" if params else AUDIT)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_audit_lists_events_newest_first_with_clinic_time_who_and_details(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    add_events(
        app,
        {
            "at": datetime(2020, 7, 1, 12, 0, tzinfo=UTC),
            "action": "submission.viewed",
            "staff_id": admin_id,
            "reference": "KT-AAAA-BBBB",
            "remote_addr": "192.0.2.7",
            "details": {"flag": 3},
        },
        {"at": datetime(2020, 7, 1, 11, 0, tzinfo=UTC), "action": "submission.created", "reference": "KT-AAAA-BBBB"},
    )
    page = audit_page(client)
    # the account was created, then signed in (today); audit.viewed is written after the page is built
    assert _ROW_ACTION.findall(page) == ["staff.logged_in", "staff.created", "submission.viewed", "submission.created"]
    assert "1 Jul 2020 13:00:00 BST" in page  # Europe/London in summer, dates as on every staff page
    assert "192.0.2.7" in page and "Flag:</span> 3" in page
    assert "Ada Admin viewed KT-AAAA-BBBB" in page and "A patient sent KT-AAAA-BBBB" in page
    table = page[page.index("<table") : page.index("</table>")]
    assert "submission.viewed" not in table.replace('data-action="submission.viewed"', "")  # no raw codes shown
    assert f'href="{AUDIT}?reference=KT-AAAA-BBBB"' in page


def test_viewing_the_audit_log_is_itself_audited_with_its_filters(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    audit_page(client)
    audit_page(client, action="staff.logged_in", reference="kt-aaaa-bbbb", date_from="2026-07-01")
    with app.app_context():
        viewed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit.viewed").order_by(AuditEvent.id)
        ).all()
        assert [(event.staff_id, event.remote_addr) for event in viewed] == [(admin_id, "127.0.0.1")] * 2
        assert viewed[0].details == {}
        assert viewed[1].details == {
            "filter_action": "staff.logged_in",
            "filter_reference": "KT-AAAA-BBBB",
            "filter_date_from": "2026-07-01",
        }


def test_audit_filters_by_action_staff_reference_and_clinic_dates(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in_admin(client, app)
    other_id, _ = create_account(app, role=Role.CLINICIAN, email="cleo@example.org", name="Cleo Clinician")
    add_events(
        app,
        {
            "at": datetime(2026, 6, 30, 22, 30, tzinfo=UTC),
            "action": "flag.acknowledged",
            "staff_id": other_id,
            "reference": "KT-1111-1111",
            "details": {"seq": 1},
        },  # 30 June 23:30 BST
        {
            "at": datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
            "action": "flag.acknowledged",
            "staff_id": other_id,
            "reference": "KT-2222-2222",
            "details": {"seq": 2},
        },  # 1 July 00:30 BST
        {
            "at": datetime(2026, 7, 2, 22, 59, tzinfo=UTC),
            "action": "submission.viewed",
            "staff_id": admin_id,
            "reference": "KT-2222-2222",
            "details": {"seq": 3},
        },  # 2 July 23:59 BST
        {
            "at": datetime(2026, 7, 2, 23, 0, tzinfo=UTC),
            "action": "submission.viewed",
            "staff_id": other_id,
            "reference": "KT-1111-1111",
            "details": {"seq": 4},
        },
    )  # 3 July 00:00 BST

    def seqs(**params: Any) -> list[str]:
        return _ROW_DETAILS.findall(audit_page(client, **params))

    assert seqs(action="flag.acknowledged") == ["2", "1"]
    assert seqs(staff=str(other_id), action="submission.viewed") == ["4"]
    assert seqs(reference="KT-2222-2222") == ["3", "2"]
    assert seqs(reference=" kt-1111-1111 ") == ["4", "1"]
    assert seqs(date_from="2026-07-01", date_to="2026-07-02") == ["3", "2"]
    assert seqs(date_to="2026-06-30") == ["1"]
    assert seqs(action="submission.*") == ["4", "3"]  # an action family
    assert seqs(action="flag.*", staff=str(other_id)) == ["2", "1"]
    assert seqs(action="no.such_action") == []
    page = audit_page(client, action="flag.acknowledged")
    assert '<option value="flag.acknowledged" selected>' in page
    assert "Cleo Clinician (cleo@example.org)" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-02-31"}, "Enter a real date, for example 2026-11-24"),
        ({"date_from": "1/7/2026"}, "Enter a real date, for example 2026-11-24"),
        ({"date_to": "26-01-01"}, "Enter a real date, for example 2026-11-24"),
        (
            {"date_from": "2026-07-02", "date_to": "2026-07-01"},
            "The end date must be the same as or after the start date",
        ),
        ({"reference": "' OR 1=1--"}, "Enter a reference like KT-7Q4M-9XHD"),
        ({"staff": "1 OR 1=1"}, "Select a staff member"),
    ],
)
def test_audit_filter_mistakes_are_explained_gov_uk_style(
    app: Flask, client: FlaskClient, params: dict[str, Any], message: str
) -> None:
    sign_in_admin(client, app)
    page = audit_page(client, **params)
    assert page.count(message) >= 2  # in the error summary and by the field
    assert "<title>Error: " in page
    assert _ROW_ACTION.findall(page) == []


def test_audit_pages_by_keyset_newer_and_older_without_gaps_or_repeats(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    total = 2 * PAGE_SIZE + 20
    # many events share a time (a frozen clock, a busy second): the id breaks the tie
    add_events(
        app,
        *(
            {"at": moment + timedelta(minutes=number // 7), "action": "submission.viewed", "details": {"seq": number}}
            for number in range(total)
        ),
    )
    params = {"action": "submission.viewed"}
    seen: list[int] = []
    pages: list[str] = []
    url = f"{AUDIT}?{urlencode(params)}"
    while url:
        page = Browser(client).get(url)
        pages.append(url)
        seen += [int(value) for value in _ROW_DETAILS.findall(page)]
        links = {direction: href.replace("&amp;", "&") for href, direction in _LINK.findall(page)}
        assert ("Newer" in links) == (len(pages) > 1)
        assert all("action=submission.viewed" in href for href in links.values())  # the filters are kept
        url = links.get("Older", "")
    assert seen == list(range(total - 1, -1, -1))
    assert len(pages) == 3
    last = Browser(client).get(pages[-1])
    newer = {direction: href.replace("&amp;", "&") for href, direction in _LINK.findall(last)}["Newer"]
    back = [int(value) for value in _ROW_DETAILS.findall(Browser(client).get(newer))]
    assert back == list(range(total - 1 - PAGE_SIZE, total - 1 - 2 * PAGE_SIZE, -1))


@pytest.mark.parametrize("cursor", ["before=999999", "before=-1", "after=abc", "before=99999999999999999999"])
def test_audit_ignores_an_unknown_cursor(app: Flask, client: FlaskClient, cursor: str) -> None:
    sign_in_admin(client, app)
    response = client.get(f"{AUDIT}?{cursor}")
    assert response.status_code == 200
    assert "staff.logged_in" in response.get_data(as_text=True)


def test_audit_log_is_append_only(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule or "audit" in rule.endpoint]
    methods = {rule.endpoint: rule.methods for rule in audit_rules}
    assert methods == {"admin.audit": {"GET", "HEAD", "OPTIONS"}, "admin.audit_csv": {"POST", "OPTIONS"}}
    browser = Browser(client)
    browser.get("/staff/admin/export")
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)(AUDIT, data={"csrf_token": browser.csrf_token()})
        assert response.status_code == 405
    with app.app_context():
        assert (
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.not_in(["staff.created", "staff.logged_in"]))
            ).all()
            == []
        )


def test_audit_rows_read_as_english_with_labelled_details_in_words(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    cleo_id, _ = create_account(app, role=Role.CLINICIAN, email="cleo@example.org", name="Dr Cleo Clinician")
    add_events(
        app,
        {
            "at": datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
            "action": "submission.status_changed",
            "staff_id": cleo_id,
            "reference": "KT-7Q83-FKVK",
            "details": {"event": 5, "from_status": "new", "to_status": "in_review", "with_note": True},
        },
        {
            "at": datetime(2026, 7, 1, 9, 5, tzinfo=UTC),
            "action": "draft.resume_failed",
            "remote_addr": "192.0.2.9",
            "details": {"reason": "date_of_birth", "via": "code"},
        },
    )
    page = audit_page(client)
    assert "Dr Cleo Clinician changed the status of KT-7Q83-FKVK from New to In review" in page
    assert "From:</span> New" in page and "To:</span> In review" in page and "With a note:</span> Yes" in page
    assert "Someone tried a wrong resume code" in page
    assert "Reason:</span> Wrong date of birth" in page and "Using:</span> Resume code" in page
    assert "in_review" not in page and "date_of_birth" not in page


def test_repeated_views_within_five_minutes_show_as_one_row_but_every_event_is_kept(
    app: Flask, client: FlaskClient
) -> None:
    sign_in_admin(client, app)
    cleo_id, _ = create_account(app, role=Role.CLINICIAN, email="cleo@example.org", name="Dr Cleo Clinician")
    start = datetime(2026, 1, 5, 10, 2, tzinfo=UTC)  # GMT: clinic time is UTC
    view = {"action": "submission.viewed", "staff_id": cleo_id, "reference": "KT-7Q83-FKVK"}
    add_events(
        app,
        *({**view, "at": start + timedelta(minutes=minute)} for minute in (0, 1, 2, 3)),
        {**view, "at": start + timedelta(minutes=20)},  # later: its own row
        {**view, "at": start + timedelta(minutes=21), "reference": "KT-2222-2222"},  # another reference
    )
    page = audit_page(client, staff=str(cleo_id))
    assert "Dr Cleo Clinician viewed KT-7Q83-FKVK 4 times between 10:02 and 10:05" in page
    assert _ROW_ACTION.findall(page) == ["submission.viewed"] * 3
    with app.app_context():
        stored = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.viewed")).all()
        assert len(stored) == 6


def test_audit_action_filter_offers_families_and_actions_in_words(app: Flask, client: FlaskClient) -> None:
    sign_in_admin(client, app)
    page = audit_page(client)
    assert '<option value="submission.*">Submissions: every action</option>' in page
    assert '<option value="submission.viewed">Submissions: viewed a submission</option>' in page
