"""The tour's pages for API tokens (tour.py's ``TOUR`` takes ``ENTRIES``): the list (empty, then with a live and a
revoked token), creating a token (with an error, then the page showing it once) and the confirmation asked before
revoking one."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from screening.models import Role
from tests.e2e import staff

Check = Callable[[Page, str], object]


def visit_admin_api_tokens(page: Page, check: Check) -> None:
    """From the navigation: no tokens; create one (a mistake first: no name), see it once; revoke another after
    confirming; the list then shows both."""
    staff.sign_in(page, Role.ADMIN)
    with page.expect_navigation():
        page.get_by_role("link", name="API tokens", exact=True).click()
    expect(page.get_by_text("No tokens have been created.")).to_be_visible()
    check(page, "admin-api-tokens-empty")
    with page.expect_navigation():
        page.get_by_role("link", name="Create a token", exact=True).click()
    staff.press(page, "Create token")
    expect(page.get_by_role("link", name="Enter a name for the token")).to_be_visible()
    check(page, "admin-api-token-new-error")
    for name in ("Old engine", "Records integration engine"):
        page.goto("/staff/admin/api-tokens/new")
        page.get_by_label("Name", exact=True).fill(name)
        staff.press(page, "Create token")
        expect(page.get_by_role("heading", name="API token created")).to_be_visible()
    check(page, "admin-api-token-created")
    page.goto("/staff/admin/api-tokens")
    with page.expect_navigation():
        page.get_by_role("link", name="Revoke Old engine", exact=True).click()
    expect(page.get_by_text("Are you sure you want to revoke the token Old engine?")).to_be_visible()
    check(page, "admin-api-token-revoke")
    staff.press(page, "Revoke token")
    expect(page.get_by_text("The token Old engine is revoked")).to_be_visible()
    check(page, "admin-api-tokens")


ENTRIES: dict[str, Callable[[Page, Check], None]] = {"admin-api-tokens": visit_admin_api_tokens}
