"""Search keys: how a name, a phone number, an email address and a reference are normalised so that staff find a
person however the details were typed. One place, used when a submission is stored (``models``' insert hook), by the
migration that fills the keys of older submissions (0006), by the staff search and by the repeat-submission match.

Standard library and ``phonenumbers`` only (no web or database library), so it is shared by both sides.

- Name: lower case (``casefold``), accents removed (NFKD, combining marks dropped, a few letters that do not
  decompose spelled out), any other punctuation a space. An apostrophe inside a word gives both spellings
  ("O'Neill" -> ``oneill`` and ``o neill``), so "ONeill", "O'Neill" and "O Neill" all find it. The key holds the
  tokens sorted and once each, with a space at each end, so ``LIKE '% dev%'`` finds a token starting "dev" and two
  keys are equal when the names have the same words in any order.
- Phone: the national significant number's digits (``phonenumbers``, in the clinic's region), so "07700 900123",
  "+44 7700 900123", "+447700900123" and "0044 7700 900 123" are the same; an extension is ignored. A number
  ``phonenumbers`` cannot read falls back to its digits with an international prefix ("00" or "+") and the
  region's country code, or the national "0" (GB) / "1" (US) trunk prefix, taken off.
- Email: trimmed and lower case.
- Reference: letters and digits only, upper case, Crockford's misreadings (O -> 0, I and L -> 1) mended, then
  written in the stored form (``models.REFERENCE_PATTERN``); so "kt7q4m9xhd" and "KT 7Q4M 9XHD" both find
  ``KT-7Q4M-9XHD``.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

#: ``LOCALE`` setting -> the region phone numbers are read in (ISO 3166 code, as ``phonenumbers`` wants it).
REGIONS = {"en-GB": "GB", "en-US": "US"}
DEFAULT_REGION = "GB"
NAME_KEY_MAX_LENGTH = 600
PHONE_KEY_MAX_LENGTH = 20
EMAIL_KEY_MAX_LENGTH = 254
MIN_PHONE_DIGITS = 6

_SPELLED_OUT = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ß": "ss", "ħ": "h"}
)
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])['’‘`ʼ](?=[^\W_])")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_PHONE_CHARACTERS = re.compile(r"[\d\s+\-().]+(?:\s*(?:ext\.?|x|#)\s*\d+)?", re.IGNORECASE)
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_BODY = re.compile(f"[{_REFERENCE_ALPHABET}]{{8}}")
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TRUNK_PREFIX = {"GB": "0", "US": "1"}


def region_of(locale: str) -> str:
    return REGIONS.get(locale, DEFAULT_REGION)


# --- names -----------------------------------------------------------------------------------------------------------
def _plain(text: str) -> str:
    """Lower case, without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED_OUT))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _tokens(text: str) -> list[str]:
    return [token for token in _NOT_ALPHANUMERIC.split(text) if token]


def name_tokens(text: str) -> list[str]:
    """The words of a typed name or search, in order, as the key holds them ("O'Neill" is one word: ``oneill``)."""
    return _tokens(_INNER_APOSTROPHE.sub("", _plain(text)))


def name_key(name: str) -> str:
    """``" devendra dev neill o oneill patel "``: every word once, sorted, both spellings of an apostrophe; the
    empty string for a name without letters or digits."""
    plain = _plain(name)
    words = set(_tokens(_INNER_APOSTROPHE.sub("", plain))) | set(_tokens(plain))
    if not words:
        return ""
    return f" {' '.join(sorted(words))} "[:NAME_KEY_MAX_LENGTH]


# --- phone numbers ---------------------------------------------------------------------------------------------------
def looks_like_phone(text: str) -> bool:
    """Whether a search term is a phone number: digits, spaces, "+", "-", "()" or "." (and an extension), with at
    least ``MIN_PHONE_DIGITS`` digits."""
    return bool(_PHONE_CHARACTERS.fullmatch(text.strip())) and sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS


def _digits_key(text: str, region: str) -> str:
    """The fallback: digits, without an international prefix and the region's country code, or the trunk prefix."""
    text = re.split(r"(?i)\s*(?:ext\.?|x|#)\s*\d+\s*$", text.strip())[0]
    digits = "".join(char for char in text if char.isdigit())
    country = str(phonenumbers.country_code_for_region(region) or "")
    international = text.lstrip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    if international and country and digits.startswith(country):
        return digits[len(country) :]
    trunk = _TRUNK_PREFIX.get(region, "0")
    if not international and digits.startswith(trunk) and len(digits) > 7:
        return digits[len(trunk) :]
    return digits


def phone_key(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The national significant number's digits, or None when there are too few digits to be a number."""
    if not text or sum(char.isdigit() for char in text) < MIN_PHONE_DIGITS:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        key = _digits_key(text, region)
    else:
        key = phonenumbers.national_significant_number(number) or _digits_key(text, region)
    return key[:PHONE_KEY_MAX_LENGTH] or None


# --- email and references --------------------------------------------------------------------------------------------
def email_key(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email[:EMAIL_KEY_MAX_LENGTH] or None


def reference_key(text: str) -> str | None:
    """The reference in its stored form (``models.REFERENCE_PATTERN``) when ``text`` is a reference typed in any
    case, with or without hyphens or spaces (and with O, I or L for 0, 1); otherwise None."""
    squeezed = "".join(char for char in text.upper() if char.isalnum())
    if not squeezed.startswith("KT"):
        return None
    body = squeezed[2:].translate(_MISREAD)
    if not _REFERENCE_BODY.fullmatch(body):
        return None
    return f"KT-{body[:4]}-{body[4:]}"
