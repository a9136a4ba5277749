"""The tour's pages for staff accounts (tour.py's ``TOUR`` takes ``ENTRIES``): editing an account (as it is, and with
an error), and the confirmation pages asked before deactivating an account, giving a new one-time password and
resetting an authenticator, plus the page saying why a change cannot be made (deactivating yourself)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from screening.models import Role
from tests.e2e import staff

Check = Callable[[Page, str], object]


def visit_admin_staff_edit(page: Page, check: Check) -> None:
    """Edit a colleague's account from the list: the form with their roles ticked, then a mistake (no role)."""
    colleague = staff.create_account(Role.CLINICIAN)
    staff.sign_in(page, Role.ADMIN)
    page.goto("/staff/admin/staff")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Edit {colleague.name}", exact=True).click()
    expect(page.get_by_role("checkbox", name="Clinician", exact=True)).to_be_checked()
    check(page, "admin-staff-edit")
    page.get_by_role("checkbox", name="Clinician", exact=True).uncheck()
    staff.press(page, "Save changes")
    expect(page.get_by_role("link", name="Select at least one role")).to_be_visible()
    check(page, "admin-staff-edit-error")


def _confirmation(path: str, name: str, button: str) -> Callable[[Page, Check], None]:
    def visit(page: Page, check: Check) -> None:
        colleague = staff.create_account(Role.RECEPTION)
        staff.sign_in(page, Role.ADMIN)
        page.goto(f"/staff/admin/staff/{colleague.id}/{path}")
        expect(page.get_by_role("button", name=button)).to_be_visible()
        expect(page.get_by_text(re.compile("^Are you sure"))).to_be_visible()
        check(page, name)

    return visit


def visit_admin_staff_refused(page: Page, check: Check) -> None:
    """Deactivating your own account: the page says why instead of asking."""
    account = staff.sign_in(page, Role.ADMIN)
    page.goto(f"/staff/admin/staff/{account.id}/deactivate")
    expect(page.get_by_text("You cannot deactivate your own account")).to_be_visible()
    check(page, "admin-staff-confirm-refused")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "admin-staff-edit": visit_admin_staff_edit,
    "admin-staff-deactivate": _confirmation("deactivate", "admin-staff-deactivate", "Deactivate account"),
    "admin-staff-one-time-password": _confirmation(
        "one-time-password", "admin-staff-one-time-password", "Give a new one-time password"
    ),
    "admin-staff-reset-mfa": _confirmation("reset-mfa", "admin-staff-reset-mfa", "Reset authenticator"),
    "admin-staff-confirm-refused": visit_admin_staff_refused,
}
