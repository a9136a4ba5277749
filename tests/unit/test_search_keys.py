"""Search keys (``screening.search_keys``): names, phone numbers, emails and references normalised for search."""

from __future__ import annotations

import pytest

from screening import search_keys


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Devendra 'Dev' Patel-O'Neill", " dev devendra neill o oneill patel "),
        ("Zoë  ÅNGSTRÖM", " angstrom zoe "),
        ("Łukasz Søren Straße", " lukasz soren strasse "),
        ("Patel Dev", " dev patel "),
        ("dev patel dev", " dev patel "),
        ("!!!", ""),
        ("D’Arcy_Smith", " arcy d darcy smith "),
    ],
)
def test_name_key(name: str, key: str) -> None:
    assert search_keys.name_key(name) == key


def test_same_words_in_any_order_give_the_same_key() -> None:
    assert search_keys.name_key("Bloggs, Jo") == search_keys.name_key("jo BLOGGS")


def test_name_tokens_keep_an_inner_apostrophe_joined() -> None:
    assert search_keys.name_tokens("O'Neill-Patel  dev") == ["oneill", "patel", "dev"]


@pytest.mark.parametrize(
    ("typed", "region", "key"),
    [
        ("020 7946 0123", "GB", "2079460123"),
        ("+44 20 7946 0123", "GB", "2079460123"),
        ("+442079460123", "US", "2079460123"),  # E.164 is the same in any region
        ("0044 (0)20 7946 0123", "GB", "2079460123"),
        ("020 7946 0123 ext. 45", "GB", "2079460123"),
        ("+442079460123;ext=45", "GB", "2079460123"),
        ("(415) 555-0100", "US", "4155550100"),
        ("1 415 555 0100", "US", "4155550100"),
        ("+1 415 555 0100", "GB", "4155550100"),
        ("12345", "GB", None),
        ("", "GB", None),
        (None, "GB", None),
    ],
)
def test_phone_key(typed: str | None, region: str, key: str | None) -> None:
    assert search_keys.phone_key(typed, region) == key


def test_phone_fallback_when_phonenumbers_cannot_read_it() -> None:
    assert search_keys._digits_key("+44 20 7946 0123", "GB") == "2079460123"
    assert search_keys._digits_key("020 7946 0123", "GB") == "2079460123"
    assert search_keys._digits_key("1 415 555 0100", "US") == "4155550100"


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("KT-7Q4M-9XHD", "KT-7Q4M-9XHD"),
        ("kt7q4m9xhd", "KT-7Q4M-9XHD"),
        ("kt 7q4m 9xhd", "KT-7Q4M-9XHD"),
        ("KT-7Q4M-9XHO", "KT-7Q4M-9XH0"),  # O for 0
        ("KT-I0LM-9XHD", "KT-101M-9XHD"),  # I and L for 1
        ("KT-7Q4M-9XH", None),
        ("KT-7Q4M-9XHU", None),  # U is not in the alphabet
        ("Katherine", None),
    ],
)
def test_reference_key(typed: str, reference: str | None) -> None:
    assert search_keys.reference_key(typed) == reference


def test_looks_like_phone() -> None:
    assert search_keys.looks_like_phone("+44 (0)20 7946-0123")
    assert search_keys.looks_like_phone("020 7946 0123 ext 4")
    assert not search_keys.looks_like_phone("Jo 0207946")
    assert not search_keys.looks_like_phone("12 34")


def test_email_key_and_region() -> None:
    assert search_keys.email_key("  Jo.Bloggs@Example.ORG ") == "jo.bloggs@example.org"
    assert search_keys.email_key("") is None
    assert (search_keys.region_of("en-GB"), search_keys.region_of("en-US"), search_keys.region_of("fr")) == (
        "GB",
        "US",
        "GB",
    )
