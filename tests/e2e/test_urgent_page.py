"""An urgent submission's page in the browser (issue 14): the contact panel at the top, and a page of 22 flags whose
acknowledgement forms fold into one compact control each (a details element: no JavaScript needed). Measured at
1280 px wide: the whole page went from 32,654 px to 25,889 px and the flags from 21,803 px to 14,763 px (the rest is
each flag's evidence, rationale and cited sources, and every answer below)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from screening import rules
from screening.extensions import db
from screening.models import FlagRecord, Role, Submission
from tests.e2e import staff

FLAG_COUNT = 22
FLAGS_HEIGHT = "document.getElementById('flags-heading').parentElement.getBoundingClientRect().height"


def with_flags(reference: str, count: int) -> None:
    """Store flags for the catalogue's rules until the submission has ``count`` flags."""
    with staff.app().app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        have = {flag.rule_id for flag in submission.flags}
        position = len(submission.flags)
        for rule in rules.RULES:
            if position >= count:
                break
            if rule.id in have:
                continue
            position += 1
            db.session.add(
                FlagRecord(
                    submission=submission,
                    position=position,
                    rule_id=rule.id,
                    severity=rule.severity.value,
                    title=rule.title,
                    evidence=f"Evidence of {rule.title.lower()} from the patient's answers.",
                    rationale=rule.rationale,
                    source=", ".join(rule.sources),
                    ruleset_version=rules.RULESET_VERSION,
                )
            )
        db.session.commit()
        assert len(submission.flags) == count


def flagged_page(page: Page) -> None:
    reference = staff.submit(**staff.FLAGGED, contact_times=["mornings", "evenings"], preferred_contact="phone")
    with_flags(reference, FLAG_COUNT)
    staff.sign_in(page, Role.CLINICIAN)
    page.goto(f"/staff/submissions/{reference}")


def test_a_22_flag_page_folds_its_acknowledgement_forms(desktop_page: Page) -> None:
    page = desktop_page
    flagged_page(page)
    expect(page.locator(".app-flag")).to_have_count(FLAG_COUNT)
    # two folds per flag: why it matters with its sources, and the acknowledgement form
    expect(page.locator(".app-flag details.app-flag__why")).to_have_count(FLAG_COUNT)
    expect(page.locator(".app-flag details.govuk-details")).to_have_count(2 * FLAG_COUNT)
    folded = page.evaluate(FLAGS_HEIGHT)
    page.evaluate("document.querySelectorAll('.app-flag details').forEach(details => { details.open = true })")
    unfolded = page.evaluate(FLAGS_HEIGHT)
    assert folded < 0.5 * unfolded, (folded, unfolded)
    # the page leads with what to do: the numbers to call are on the first screen
    expect(page.get_by_role("region", name="Urgent: contact the patient today")).to_be_in_viewport()
    expect(page.get_by_role("link", name="01632 960 001")).to_be_in_viewport()


def test_a_flag_is_acknowledged_without_javascript(nojs_page: Page) -> None:
    page = nojs_page
    flagged_page(page)
    flag = page.locator(".app-flag").first
    expect(flag.get_by_role("radio", name="Discussed", exact=True)).to_be_hidden()
    flag.locator("summary", has_text="Acknowledge this flag").click()
    flag.get_by_role("radio", name="Discussed", exact=True).check()
    with page.expect_navigation():
        flag.get_by_role("button", name=re.compile("^Save acknowledgement")).click()
    acknowledged = page.locator(".app-flag").first.locator("summary", has_text="Acknowledged:")
    expect(acknowledged).to_contain_text("Acknowledged: Discussed, by")
