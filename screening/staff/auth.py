"""Staff authentication rules: password policy and argon2id hashing, TOTP MFA with replay protection,
per-account lockout with capped back-off and per-address throttling.

Policy (ASVS 5.0 L2, NIST SP 800-63B): passwords of 12-256 characters, checked against a shipped list of
common passwords and the account's own email and name, no composition rules, verified exactly as typed.
Five wrong passwords lock an account for 1 minute, doubling to at most 15 minutes, so an attacker cannot
lock a colleague out for long; more than 20 failures from one address in 15 minutes are refused for the
rest of the window. Unknown accounts get the same message, status and (a dummy hash verify) timing.
"""

from __future__ import annotations

import functools
import hmac
import io
import re
import secrets
import string
from datetime import datetime, timedelta
from importlib import resources

import pyotp
import segno
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
LOCK_AFTER_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_MAX_FAILURES = 20
TOTP_STEP_SECONDS = 30
IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
MFA_PENDING_TIMEOUT = timedelta(minutes=5)
ONE_TIME_PASSWORD_LIFETIME = timedelta(hours=72)  # from an administrator's hand-over to first sign-in
_PADDING = string.digits + string.punctuation + " "

# argon2id, t=2, m=19 MiB, p=1: the OWASP / ASVS Appendix C minimum for argon2id.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), ``data/common-passwords.txt``."""
    text = resources.files("screening.staff").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` may not be used (a message for the person choosing it), or None if it is fine."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Enter a password that is {PASSWORD_MIN_LENGTH} characters or more"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Enter a password that is {PASSWORD_MAX_LENGTH} characters or fewer"
    if _guessable(password.lower(), email=email.lower(), name=name.lower()):
        return "Choose a password that is harder to guess: this one is too common or contains your name or email"
    return None


def _guessable(lowered: str, *, email: str, name: str) -> bool:
    """A common password, one with digits or symbols only added around a common one ("password1234",
    "!qwerty2026"), one of fewer than 4 different characters, or one containing the person's email or name."""
    common = common_passwords()
    core = lowered.strip(_PADDING)
    local = email.split("@")[0]
    personal = [part for part in (local, *re.split(r"[._+-]", local), *name.split()) if len(part) >= 4]
    return lowered in common or core in common or len(set(lowered)) < 4 or any(part in lowered for part in personal)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. With no hash (unknown account) a dummy hash is still verified, so
    the time taken does not reveal whether the account exists."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


def lock_duration(failed_logins: int) -> timedelta | None:
    """How long an account stays locked after ``failed_logins`` consecutive failures (None: not locked)."""
    if failed_logins < LOCK_AFTER_FAILURES:
        return None
    doublings = min(failed_logins - LOCK_AFTER_FAILURES, 10)  # bounded: a timedelta overflows past 2**40 minutes
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


# --- TOTP -------------------------------------------------------------------------------------------------
def new_mfa_secret() -> str:
    """A random base32 TOTP seed (160 bits, from the CSPRNG)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an SVG QR code, served same-origin (a data: URL is blocked by the CSP) as an image: a
    standalone SVG document, so with its namespace (without it browsers draw nothing) and a viewBox instead of a
    size (the <img> sets the size, and the code scales to it rather than being cropped)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, title="QR code for your authenticator app", xmldecl=False, omitsize=True, nl=False
    )
    return out.getvalue().decode("utf-8")


def verify_totp(secret: str, code: str, *, last_step: int, now: datetime) -> int | None:
    """The time step ``code`` belongs to (this one or a neighbour, for clock drift), or None when it is
    wrong or was already used (its step is not after ``last_step``): a code works once."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
