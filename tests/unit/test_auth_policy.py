"""The staff password policy (length 12-256, a shipped list of common passwords, nothing personal, no
composition rules, no truncation), the argon2id parameters, the lockout back-off and TOTP verification."""

from __future__ import annotations

import configparser
import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pyotp
import pytest

from screening.staff import auth

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "ada.lovelace@clinic.example.org"
NAME = "Ada Lovelace"
# Words unlikely to be in any list of common passwords, cut to the length a test needs.
PHRASE = "plum kettle orbit saffron quartz lagoon fennel " * 8


def _passphrase(length: int) -> str:
    return PHRASE[: length - 1] + "x"


def _problem(password: str) -> str | None:
    return auth.password_problem(password, email=EMAIL, name=NAME)


def _list_text() -> str:
    return resources.files("screening.staff").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")


# --- length -----------------------------------------------------------------------------------------
def test_password_policy_11_characters_rejected() -> None:
    assert _problem(_passphrase(11)) == "Enter a password that is 12 characters or more"


@pytest.mark.parametrize("length", [12, 64, 128, 256])
def test_password_policy_12_to_256_characters_accepted(length: int) -> None:
    password = _passphrase(length)
    assert len(password) == length
    assert _problem(password) is None


def test_password_policy_257_characters_rejected() -> None:
    assert _problem(_passphrase(257)) == "Enter a password that is 256 characters or fewer"


# --- guessable passwords --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password", ["password1234", "Password1234!", "startfinding", "justinbieber", "qwertyuiop12", "!!monkey2026!!"]
)
def test_password_policy_common_password_rejected(password: str) -> None:
    assert _problem(password) is not None and "too common" in str(_problem(password))


def test_password_policy_every_listed_password_of_12_or_more_characters_rejected() -> None:
    long_ones = [word for word in auth.common_passwords() if len(word) >= 12]
    assert len(long_ones) >= 30
    assert [word for word in long_ones if _problem(word) is None] == []
    assert [word for word in long_ones if _problem(word.upper()) is None] == []  # case does not help


@pytest.mark.parametrize(
    "password", ["ada.lovelace rules 99", "my lovelace password", "ADA.LOVELACE!!!!", "xx ada.lovelace xx"]
)
def test_password_policy_email_local_part_or_name_rejected(password: str) -> None:
    assert _problem(password) is not None


def test_password_policy_too_few_different_characters_rejected() -> None:
    assert _problem("abababababababab") is not None


@pytest.mark.parametrize(
    "password",
    [
        "lantern orchard velvet",
        "alllowercaseletters",
        "ALLUPPERCASELETTERS",
        "123456789 lantern orchard",
        "no digits or symbols at all here",
    ],
)
def test_password_policy_no_composition_rules_accepted(password: str) -> None:
    assert _problem(password) is None


# --- hashing --------------------------------------------------------------------------------------
def test_hash_password_73_bytes_differing_in_last_byte_are_different() -> None:
    first, second = "a" * 72 + "1", "a" * 72 + "2"
    assert len(first.encode()) == len(second.encode()) == 73
    stored = auth.hash_password(first)
    assert auth.verify_password(stored, first)
    assert not auth.verify_password(stored, second)


def test_hash_password_long_multibyte_password_verified_exactly() -> None:
    password = "é" * 200  # 400 bytes
    stored = auth.hash_password(password)
    assert auth.verify_password(stored, password)
    assert not auth.verify_password(stored, password[:-1])


@pytest.mark.production_password_hashing
def test_hash_password_stored_hash_is_argon2id_with_owasp_minimum_parameters() -> None:
    stored = auth.hash_password("lantern orchard velvet")
    match = re.fullmatch(r"\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", stored)
    assert match, stored
    version, memory, time_cost, parallelism = (int(part) for part in match.groups())
    assert version == 19
    assert memory >= 19456 and time_cost >= 2 and parallelism == 1
    assert not auth.needs_rehash(stored)


def test_hash_password_same_password_salted_differently() -> None:
    assert auth.hash_password("lantern orchard velvet") != auth.hash_password("lantern orchard velvet")


def test_verify_password_no_hash_is_false() -> None:
    assert auth.verify_password(None, "anything at all here") is False


def test_verify_password_corrupt_hash_is_false() -> None:
    assert auth.verify_password("$argon2id$garbage", "anything at all here") is False


# --- lockout back-off ---------------------------------------------------------------------------------
def test_lock_duration_first_four_failures_not_locked() -> None:
    assert [auth.lock_duration(count) for count in range(5)] == [None] * 5


def test_lock_duration_doubles_from_one_minute_capped_at_15() -> None:
    minutes = [auth.lock_duration(count) for count in range(5, 12)]
    assert minutes == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15)]


def test_lock_duration_many_failures_capped_without_overflow() -> None:
    assert auth.lock_duration(10_000) == timedelta(minutes=15)


# --- TOTP -----------------------------------------------------------------------------------------
NOW = datetime(2026, 3, 2, 9, 0, 3, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30
SECRET = pyotp.random_base32(32)


def _code(step: int) -> str:
    return pyotp.TOTP(SECRET).generate_otp(step)


def test_verify_totp_current_code_accepted_with_its_step() -> None:
    assert auth.verify_totp(SECRET, _code(STEP), last_step=0, now=NOW) == STEP


def test_verify_totp_replayed_code_rejected() -> None:
    assert auth.verify_totp(SECRET, _code(STEP), last_step=STEP, now=NOW) is None
    assert auth.verify_totp(SECRET, _code(STEP), last_step=STEP, now=NOW + timedelta(seconds=20)) is None


@pytest.mark.parametrize("offset", [-1, 1])
def test_verify_totp_neighbouring_step_accepted_once(offset: int) -> None:
    step = auth.verify_totp(SECRET, _code(STEP + offset), last_step=0, now=NOW)
    assert step == STEP + offset
    assert auth.verify_totp(SECRET, _code(STEP + offset), last_step=step, now=NOW) is None


def test_verify_totp_older_step_after_newer_one_rejected() -> None:
    assert auth.verify_totp(SECRET, _code(STEP - 1), last_step=STEP, now=NOW) is None


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_verify_totp_code_outside_the_window_rejected(offset: int) -> None:
    assert auth.verify_totp(SECRET, _code(STEP + offset), last_step=0, now=NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_verify_totp_malformed_code_rejected(code: str) -> None:
    assert auth.verify_totp(SECRET, code, last_step=0, now=NOW) is None


def test_verify_totp_code_with_spaces_accepted() -> None:
    code = _code(STEP)
    assert auth.verify_totp(SECRET, f" {code[:3]} {code[3:]} ", last_step=0, now=NOW) == STEP


def test_new_mfa_secret_is_160_bits_of_base32_and_random() -> None:
    secrets = {auth.new_mfa_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(re.fullmatch(r"[A-Z2-7]{32}", secret) for secret in secrets)


def test_qr_svg_is_an_svg_of_the_provisioning_uri() -> None:
    uri = auth.provisioning_uri(SECRET, email=EMAIL, issuer="Example Pain Clinic")
    assert uri.startswith("otpauth://totp/") and f"secret={SECRET}" in uri
    svg = auth.qr_svg(uri)
    assert svg.lstrip().startswith("<svg") and "</svg>" in svg


# --- the shipped list -------------------------------------------------------------------------------
def test_common_password_list_header_names_source_commit_and_licence() -> None:
    header = "\n".join(line for line in _list_text().splitlines() if line.startswith("#"))
    assert "danielmiessler/SecLists" in header
    assert "Passwords/Common-Credentials/10-million-password-list-top-10000.txt" in header
    assert "74d9d3259d82c441c1217104cb7debd5912178b6" in header
    assert "MIT" in header


def test_common_password_list_lower_case_unique_and_complete() -> None:
    entries = [line for line in _list_text().splitlines() if line and not line.startswith("#")]
    assert len(entries) == len(set(entries)) >= 9900
    assert all(entry == entry.lower() and entry == entry.strip() for entry in entries)
    assert {"123456", "password", "qwerty", "iloveyou", "brady"} <= set(entries)  # first and last of the source
    assert auth.common_passwords() == frozenset(entries)


def test_common_password_list_shipped_as_package_data() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "data/*.txt" in config["options.package_data"]["screening.staff"].split()
