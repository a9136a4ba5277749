"""The tour's records pages (issue 14; ``ENTRIES``, added to ``tour.TOUR``): the audit log in English filtered by an
action family and a date range, with a run of repeated views grouped into one row; the export page with its filters
and the audit log export, and each form's error state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from screening.extensions import db
from screening.models import AuditEvent, Role
from tests.e2e import staff

Check = Callable[[Page, str], object]


def _views(account: staff.Account) -> None:
    """Four views of one submission within 5 minutes, two days ago."""
    start = datetime.now(UTC).replace(hour=10, minute=2, second=0, microsecond=0) - timedelta(days=2)
    with staff.app().app_context():
        for minute in range(4):
            db.session.add(
                AuditEvent(
                    at=start + timedelta(minutes=minute),
                    staff_id=account.id,
                    action="submission.viewed",
                    reference="KT-7Q83-FKVK",
                    remote_addr="192.0.2.7",
                    details={},
                )
            )
        db.session.commit()


def visit_admin_audit_filtered(page: Page, check: Check) -> None:
    account = staff.sign_in(page, Role.ADMIN)
    _views(account)
    page.goto("/staff/admin/audit")
    page.get_by_label("Action").select_option("submission.*")
    page.get_by_label("Staff member").select_option(str(account.id))  # the live server is shared by both widths
    day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    page.get_by_label("From", exact=True).fill(day)
    staff.press(page, "Filter")
    expect(page.get_by_text("viewed KT-7Q83-FKVK 4 times between")).to_be_visible()
    check(page, "admin-audit-filtered")


def visit_admin_export_error(page: Page, check: Check) -> None:
    staff.sign_in(page, Role.ADMIN)
    page.goto("/staff/admin/export")
    page.get_by_label("Submitted from").fill("2026-07-02")
    page.get_by_label("Submitted to").fill("2026-07-01")
    page.get_by_label("Codes, like").check()
    staff.press(page, "Download CSV")
    expect(page.get_by_role("link", name="The end date must be the same as or after the start date")).to_be_visible()
    expect(page.get_by_label("Codes, like")).to_be_checked()  # the choices are kept
    check(page, "admin-export-error")
    page.goto("/staff/admin/export")
    staff.press(page, "Download audit log CSV")
    expect(page.get_by_role("link", name="Enter the first day to export")).to_be_visible()
    check(page, "admin-export-audit-error")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "admin-audit-filtered": visit_admin_audit_filtered,
    "admin-export-error": visit_admin_export_error,
}
