"""The tour's pages for pausing new forms (tour.py's ``TOUR`` takes ``ENTRIES``): the admin page open, with an error,
with a preview and paused; and the start page a patient sees while new forms are paused. Every visit leaves new
forms open again, whatever happens, so the rest of the tour (one live server per process) sees the start page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, expect

from screening import intake
from screening.extensions import db
from screening.models import Role, StaffUser
from tests.e2e import staff

Check = Callable[[Page, str], object]
MESSAGE = "We are not taking new referrals until 3 March.\n\nIf your GP has already referred you, we will contact you."


def _admin() -> StaffUser:
    account = staff.create_account(Role.ADMIN)
    user = db.session.get(StaffUser, account.id)
    assert user is not None
    return user


def _reopen() -> None:
    with staff.app().app_context():
        now = intake.state()
        if now.pause is not None:
            intake.reopen(_admin(), None, revision=now.revision)


@contextmanager
def _paused_meanwhile() -> Iterator[None]:
    """New forms paused (straight in the live server's database) for the ``with`` block, then open again."""
    with staff.app().app_context():
        intake.pause(MESSAGE, _admin(), None, revision=intake.state().revision)
    try:
        yield
    finally:
        _reopen()


def visit_admin_intake(page: Page, check: Check) -> None:
    """The admin page: open, an empty message refused, a preview, then paused (the flash, what patients see)."""
    try:
        staff.sign_in(page, Role.ADMIN)
        page.goto("/staff/admin/intake")
        expect(page.get_by_role("heading", level=1)).to_have_text("Pause new forms")
        check(page, "admin-intake")
        staff.press(page, "Pause new forms")
        expect(page.get_by_role("link", name="Enter a message for patients")).to_be_visible()
        check(page, "admin-intake-error")
        page.get_by_label("Message for patients", exact=True).fill(MESSAGE)
        staff.press(page, "Preview")
        expect(page.get_by_role("heading", name="Preview: what patients will see")).to_be_visible()
        check(page, "admin-intake-preview")
        staff.press(page, "Pause new forms")
        expect(page.get_by_text("New forms are paused.", exact=False).first).to_be_visible()
        expect(page.get_by_role("button", name="Reopen new forms")).to_be_visible()
        check(page, "admin-intake-paused")
        page.goto("/staff/")
        expect(page.locator("#intake-paused")).to_contain_text("New forms are paused")
        page.goto("/staff/admin/intake")
        staff.press(page, "Reopen new forms")
        expect(page.get_by_text("New forms are open again", exact=False)).to_be_visible()
    finally:
        _reopen()


def visit_patient_paused(page: Page, check: Check) -> None:
    """The start page while new forms are paused, for someone who has not started a form."""
    with _paused_meanwhile():
        response = page.goto("/")
        assert response is not None and response.status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text("We are not taking new forms at the moment")
        expect(page.get_by_text("We are not taking new referrals until 3 March.")).to_be_visible()
        check(page, "start-paused")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "admin-intake": visit_admin_intake,
    "start-paused": visit_patient_paused,
}
