"""Phone numbers by the clinic's region (``screening.patient.phones``, the ``phonenumbers`` library): which numbers we
can call, with extensions, and which can get text messages (hazard H46). Examples are Ofcom's numbers for drama and
examples where they exist (01632 960xxx, 020 7946 0xxx, 07700 900xxx), the NANP's fictional 555-01xx, and numbers
the library's metadata types (an 07400 mobile, an 0808 freephone)."""

from __future__ import annotations

import pytest

from screening.clinical import validation
from screening.patient.phones import phone_kind, phone_kind_in, region_of


@pytest.mark.parametrize(("locale", "region"), [("en-GB", "GB"), ("en-US", "US")])
def test_the_region_follows_the_locale(locale: str, region: str) -> None:
    assert region_of(locale) == region


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("020 7946 0000", "landline"),
        ("0161 496 0000", "landline"),
        ("01632 960 001", "landline"),  # Ofcom's drama range, the hint's example
        ("01632 960000 ext. 123", "landline"),
        ("01632960000 x123", "landline"),
        ("020 7946 0000 extension 12", "landline"),
        ("+44 20 7946 0000 #9", "landline"),
        ("(020) 7946-0000", "landline"),
        ("020.7946.0000", "landline"),
        ("+44 (0)20 7946 0000", "landline"),
        ("07700 900123", "mobile"),  # Ofcom's drama range for mobiles
        ("07400 123456", "mobile"),
        ("+44 7400 123456", "mobile"),
        ("0808 157 0192", "other"),  # freephone: we can call it; it cannot get texts
        ("+44 808 157 0192", "other"),
        ("+1 201 555 0123", "mobile_or_landline"),  # an international number, valid where it is
        ("00 1 201 555 0123", "mobile_or_landline"),
        ("12345", None),
        ("999", None),
        ("0800 FLOWERS", None),  # letters are a mistake, not a vanity number
        ("+44 20 7946", None),  # too short
        ("020 7946 0000 x", None),  # an extension marker without its number
        ("020 7946 0000 x12345678", None),  # an extension longer than 7 digits
        ("01632 960 001 or 07700 900123", None),
        ("+1 555 555 5555", None),
        ("call me", None),
        ("", None),
    ],
)
def test_phone_kinds_in_the_uk(number: str, kind: str | None) -> None:
    assert phone_kind_in("GB", number) == kind


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("(201) 555-0123", "mobile_or_landline"),  # US numbers do not say whether they are mobiles
        ("201-555-0123 ext 45", "mobile_or_landline"),
        ("+1 (201) 555-0123 #45", "mobile_or_landline"),
        ("212 555 0100", "mobile_or_landline"),
        ("011 44 20 7946 0000", "landline"),  # dialled from the US
        ("+44 7400 123456", "mobile"),
        ("020 7946 0000", None),  # a UK national number is not a US one
        ("555 0123", None),  # no area code
    ],
)
def test_phone_kinds_in_the_us(number: str, kind: str | None) -> None:
    assert phone_kind_in("US", number) == kind


def test_outside_an_application_the_region_is_the_uk() -> None:
    assert phone_kind("020 7946 0000") == "landline"
    assert phone_kind("(212) 555-0100") is None  # a US number without +1 is not a UK one


@pytest.mark.parametrize(
    ("kind", "texts"),
    [("mobile", True), ("mobile_or_landline", True), ("landline", False), ("other", False), ("unknown", True)],
)
def test_which_kinds_can_get_text_messages(kind: validation.PhoneKind, texts: bool) -> None:
    """ "unknown" is the pure core's own rule (``looks_like_phone``), which cannot tell: it never refuses."""
    assert (kind in validation.TEXTABLE) is texts


@pytest.mark.parametrize(
    ("number", "preferred", "problem"),
    [
        ("020 7946 0000", "text", "mobile_when"),
        ("0808 157 0192", "text", "mobile_when"),
        ("07700 900123", "text", None),
        ("07400 123456 x2", "text", None),
        ("020 7946 0000", "phone", None),
        ("020 7946 0000", "email", None),
        ("12345", "text", "phone"),  # not a number: its own problem, not the text-message one on top
    ],
)
def test_texts_need_a_mobile_and_the_core_asks_the_injected_rule(
    number: str, preferred: str, problem: str | None
) -> None:
    from screening.clinical.questionnaire import STEP_BY_ID
    from tests.answer_sets import TODAY, answers

    given = answers(phone=number, preferred_contact=preferred)
    result = validation.check_step(
        STEP_BY_ID["about_you"],
        given,
        given,
        today=TODAY,
        min_age=18,
        phone_kind=lambda text: phone_kind_in("GB", text),
    )
    assert {qid: p.code for qid, p in result.problems.items()} == ({"phone": problem} if problem else {})
    if problem == "mobile_when":
        assert result.problems["phone"].text() == (
            "Enter a mobile number to get text messages, or choose another way for us to contact you"
        )
    assert validation.first_invalid_step(
        given, today=TODAY, min_age=18, phone_kind=lambda text: phone_kind_in("GB", text)
    ) == ("about_you" if problem else None)
