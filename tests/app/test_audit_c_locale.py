"""The clinic's locale (SCREENING_LOCALE) through the app: the AUDIT-C is asked in its version's words (UK: units,
OHID; US: standard drinks, NIAAA / VA) on the form, in its error messages and on check-your-answers; submit scores
it with that version's cut-off and stores the locale (rule_config) and the version (scores); the staff page and the
summary show the version, and "today's rules would flag differently" re-evaluates in the locale the submission was
scored with (en-US, as it was, for a submission of rule set 2026.2 stored without one)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import Submission
from tests.answer_sets import answers, submit_answers
from tests.app.auth import sign_in
from tests.app.form_posts import form_data
from tests.app.test_patient_flow import fill_every_step, start, submit
from tests.conftest import Browser

UK = {
    "auditc_2": "How many units of alcohol do you drink on a typical day when you are drinking?",
    "auditc_3": "How often have you had 6 or more units if female, or 8 or more if male, on a single occasion in the "
    "last year?",
    "lowest": "0 to 2",
    "hint": "One unit is 8 g of alcohol",
    "error": "Select how many units of alcohol you drink on a typical day when you are drinking",
}
US = {
    "auditc_2": "How many standard drinks containing alcohol do you have on a typical day?",
    "auditc_3": "How often do you have six or more drinks on one occasion?",
    "lowest": "1 or 2",
    "hint": "One drink is one US standard drink (14 g of alcohol)",
    "error": "Select how many drinks you have on a typical day",
}
WORDS = {"en-GB": UK, "en-US": US}
# A woman who drinks 2 to 4 times a month (2), 3 or 4 on a typical day (1) and monthly 6+ (2): AUDIT-C 5,
# positive in both versions; and one who scores 4 (2, 1, 1): positive in the US version only (cut-off 3).
FIVE = {"auditc_1": "2", "auditc_2": "1", "auditc_3": "2"}
FOUR = {"auditc_1": "2", "auditc_2": "1", "auditc_3": "1"}
LOWEST = {"auditc_1": "1", "auditc_2": "0", "auditc_3": "0"}


@pytest.fixture(params=["en-GB", "en-US"])
def locale(request: pytest.FixtureRequest, app: Flask) -> str:
    """The clinic's SCREENING_LOCALE (the AUDIT-C reads it at request time and at submit)."""
    app.config["SCREENING"]["LOCALE"] = request.param
    return str(request.param)


def other(locale: str) -> dict[str, str]:
    return WORDS["en-US" if locale == "en-GB" else "en-GB"]


def html(text: str) -> str:
    return text.replace("'", "&#39;")


def test_the_substances_page_asks_the_locales_version(app: Flask, browser: Browser, locale: str) -> None:
    """Item 1 on the substances page; items 2 and 3, worded by locale, on the next page (issue 13: only after an
    answer other than "Never")."""
    start(browser)
    fill_every_step(browser, answers(**LOWEST))
    pages = {step_id: browser.get(f"/questionnaire/{step_id}") for step_id in ("substances", "alcohol")}
    page = pages["alcohol"]
    assert browser.status == 200
    for key in ("auditc_2", "auditc_3", "lowest", "hint"):
        assert html(WORDS[locale][key]) in page, key
    assert html(other(locale)["auditc_2"]) not in page and html(other(locale)["auditc_3"]) not in page
    for shown in pages.values():
        assert "{" not in shown[shown.index("<main") : shown.index("</main>")]
    # one question per item, the same codes whatever the wording
    for step_id, qid in (("substances", "auditc_1"), ("alcohol", "auditc_2"), ("alcohol", "auditc_3")):
        radios = [value for value in range(5) if f'name="{qid}" type="radio" value="{value}"' in pages[step_id]]
        assert radios == [0, 1, 2, 3, 4]


def test_a_missing_answer_is_asked_for_in_the_locales_words(app: Flask, browser: Browser, locale: str) -> None:
    start(browser)
    fill_every_step(browser, answers(**LOWEST))
    browser.get("/questionnaire/alcohol")
    data = {key: value for key, value in form_data("alcohol", answers(**LOWEST)).items() if key != "auditc_2"}
    page = browser.post("/questionnaire/alcohol", data)
    assert browser.status == 200
    assert html(WORDS[locale]["error"]) in page and "{" not in page[page.index("<main") : page.index("</main>")]


def test_check_your_answers_shows_the_locales_words(app: Flask, browser: Browser, locale: str) -> None:
    start(browser)
    fill_every_step(browser, answers(**LOWEST))
    page = browser.get("/questionnaire/check")
    assert html(WORDS[locale]["auditc_2"]) in page and WORDS[locale]["lowest"] in page
    assert html(other(locale)["auditc_2"]) not in page


@pytest.mark.parametrize(
    ("items", "flagged"),
    [
        (FIVE, {"en-GB": True, "en-US": True}),
        (FOUR, {"en-GB": False, "en-US": True}),
    ],
)
def test_submit_scores_with_the_locales_version_and_stores_it(
    app: Flask, browser: Browser, locale: str, items: dict[str, str], flagged: dict[str, bool]
) -> None:
    start(browser)
    fill_every_step(browser, answers(**items))
    submit(browser)
    version, cutoff = {"en-GB": ("AUDIT-C (UK)", 5), "en-US": ("AUDIT-C (US)", 3)}[locale]
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.rule_config["locale"] == locale
        stored = submission.scores["auditc"]
        assert (stored["version"], stored["cutoff"]) == (version, cutoff)
        alcohol = [flag for flag in submission.flags if flag.rule_id == "sub_alcohol_unhealthy"]
        assert bool(alcohol) is flagged[locale]
        for flag in alcohol:
            assert flag.evidence.startswith(version) and flag.evidence.count("cut-off") == 1


def _submitted(app: Flask, **changes: Any) -> str:
    with app.app_context():
        return submit_answers(answers(**changes)).reference


def test_staff_page_and_summary_show_the_version_and_the_patients_words(
    app: Flask, browser: Browser, locale: str
) -> None:
    reference = _submitted(app, **FIVE)
    sign_in(browser, app, "clinician")
    version = {"en-GB": "AUDIT-C (UK)", "en-US": "AUDIT-C (US)"}[locale]
    page = browser.get(f"/staff/submissions/{reference}")
    scores = page[page.index('id="scores-heading"') : page.index('id="medicines-heading"')]
    assert f'<dt class="govuk-summary-list__key">{version}</dt>' in scores
    answered = page[page.index('id="answers-heading"') :]
    assert html(WORDS[locale]["auditc_2"]) in answered and html(other(locale)["auditc_2"]) not in answered
    assert "The current rule set would flag this differently" not in page
    summary = browser.get(f"/staff/submissions/{reference}/summary")
    assert browser.status == 200 and version in summary


def _as_if_from_2026_2(app: Flask, reference: str) -> None:
    """What rule set 2026.2 stored: no locale in the rule config, no version in the scores (its AUDIT-C was the US
    version: standard drinks; cut-off 4 for men, 3 otherwise)."""
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        submission.rule_config = {key: value for key, value in submission.rule_config.items() if key != "locale"}
        submission.scores = {
            key: {k: v for k, v in score.items() if k not in ("version", "routes")}
            for key, score in submission.scores.items()
        }
        submission.ruleset_version = "2026.2"
        db.session.commit()


def test_an_old_submission_reads_and_is_re_evaluated_as_it_was_scored(app: Flask, browser: Browser) -> None:
    app.config["SCREENING"]["LOCALE"] = "en-US"  # scored the US way, as 2026.2 did in every clinic
    reference = _submitted(app, **FOUR)  # a woman with AUDIT-C 4: positive in the US version, not in the UK one
    _as_if_from_2026_2(app, reference)
    app.config["SCREENING"]["LOCALE"] = "en-GB"  # the clinic is a UK one today
    sign_in(browser, app, "clinician")
    page = browser.get(f"/staff/submissions/{reference}")
    scores = page[page.index('id="scores-heading"') : page.index('id="medicines-heading"')]
    assert '<dt class="govuk-summary-list__key">AUDIT-C</dt>' in scores and "4 (positive, cut-off 3)" in scores
    assert 'id="flag-sub_alcohol_unhealthy"' in page
    assert html(US["auditc_2"]) in page[page.index('id="answers-heading"') :]  # the words the patient was asked
    notice = page[page.index("The current rule set") :] if "The current rule set" in page else ""
    assert "sub_alcohol_unhealthy" not in notice.split("</div>")[0]  # same locale (en-US): no spurious difference
    summary = browser.get(f"/staff/submissions/{reference}/summary")
    assert '<th scope="row">AUDIT-C</th>' in summary
    line = summary.split("Flags are as submitted", 1)[1].split("</p>")[0] if "Flags are as submitted" in summary else ""
    assert "Unhealthy alcohol use" not in line


def test_a_new_submission_is_re_evaluated_in_its_own_locale_not_the_clinics_current_one(
    app: Flask, browser: Browser
) -> None:
    app.config["SCREENING"]["LOCALE"] = "en-US"
    reference = _submitted(app, **FOUR)
    app.config["SCREENING"]["LOCALE"] = "en-GB"
    sign_in(browser, app, "clinician")
    page = browser.get(f"/staff/submissions/{reference}")
    assert "The current rule set would flag this differently" not in page
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        submission.rule_config = {**submission.rule_config, "locale": "en-GB"}  # had it been scored in the UK
        db.session.commit()
    page = browser.get(f"/staff/submissions/{reference}")
    notice = page[page.index("The current rule set would flag this differently") :].split("</div>")[0]
    assert "no longer flag" in notice and "sub_alcohol_unhealthy" in notice
