"""Phone numbers: whether a typed number is one we can call, and whether it can get text messages, read with the
``phonenumbers`` library (Google's libphonenumber metadata) for the clinic's region (``SCREENING_LOCALE``: en-GB is
GB, en-US is US). ``phone_kind`` is the rule the step forms and submit give ``clinical.validation`` (which, being
pure, cannot import ``phonenumbers``), as ``fields.email_valid`` is for email addresses.

A number may be national ("01632 960 001", "(201) 555-0123") or international ("+44 808 157 0192", "00 1 201 555
0123"), with spaces, brackets, dots, dashes or slashes, and an extension ("ext. 123", "extension 123", "x123",
"#123"). Letters are refused (``phonenumbers`` would read "0800 FLOWERS" as a number; a patient typing letters has
made a mistake). The number is stored as the patient typed it (trimmed): it has been checked as a number that can
be dialled from the clinic's country, staff read it as the patient wrote it, extension included, and the patient
sees on the check page exactly what they typed.

Ofcom's drama ranges (01632 960000-960999 for landlines, 07700 900000-900999 for mobiles) are never given to anyone,
so no patient has one; ``phonenumbers`` calls them invalid, but they are this service's examples (the hint, the
demo, the tests) and are accepted as the kind of number they stand for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import phonenumbers
from flask import current_app, has_app_context
from phonenumbers import NumberParseException, PhoneNumberType

from screening.clinical.validation import PhoneKind

DEFAULT_LOCALE = "en-GB"
#: What may be typed: digits and the usual separators, an optional leading "+", and an optional extension.
_TYPED = re.compile(r"\+?[0-9 ()\-./]+(?:(?:ext\.?|extension|x|#)\s*[0-9]{1,7})?", re.IGNORECASE)
_KINDS: Mapping[int, PhoneKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile_or_landline",  # the US and Canada: no way to tell
    PhoneNumberType.FIXED_LINE: "landline",
}
#: Ofcom's drama numbers (national significant numbers of +44 starting so, 10 digits): see the module docstring.
_DRAMA: Mapping[str, PhoneKind] = {"1632960": "landline", "7700900": "mobile"}


def region_of(locale: str) -> str:
    """The ``phonenumbers`` region of a locale: "en-GB" -> "GB", "en-US" -> "US"."""
    return locale.rpartition("-")[2].upper() or "GB"


def phone_kind_in(region: str, text: str) -> PhoneKind | None:
    """The kind of the number ``text`` dialled from ``region`` ("mobile", "mobile_or_landline", "landline" or
    "other": free, shared-cost, VoIP and so on), or None when it is not a valid phone number there."""
    typed = text.strip()
    if not _TYPED.fullmatch(typed) or sum(character.isdigit() for character in typed) < 3:
        return None
    try:
        number = phonenumbers.parse(typed, region)
    except NumberParseException:
        return None
    national = str(number.national_number)
    if number.country_code == 44 and len(national) == 10 and national[:7] in _DRAMA:
        return _DRAMA[national[:7]]
    if not phonenumbers.is_valid_number(number):
        return None
    return _KINDS.get(phonenumbers.number_type(number), "other")


def clinic_region() -> str:
    """The clinic's region, from ``SCREENING_LOCALE`` (en-GB outside an application)."""
    locale = current_app.config["SCREENING"]["LOCALE"] if has_app_context() else DEFAULT_LOCALE
    return region_of(str(locale))


def phone_kind(text: str) -> PhoneKind | None:
    """``phone_kind_in`` the clinic's region: the phone rule of the step forms and submit."""
    return phone_kind_in(clinic_region(), text)
