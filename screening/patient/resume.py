""" "Save and come back later": resume codes, emailed links, and the limits on tries to resume a draft.

A resume code is 12 characters of Crockford base 32 (``models.REFERENCE_ALPHABET``: 60 bits from the CSPRNG), shown
once in groups of four (``7Q4M-9XHD-K2PA``) and stored only as a SHA-256 of its normal form; asking again issues a
new code that replaces the old one. An emailed link carries a separate random token (256 bits), also stored only as
a hash. Either one resumes a draft only with the patient's date of birth (the ``date_of_birth`` answer).

Limits: every wrong try (an unknown code or link, a wrong date of birth, a try while locked) is a ``ResumeFailure``
for the address, and an address with ``ADDRESS_MAX_FAILURES`` in ``ADDRESS_WINDOW`` is refused until the window
moves on; a wrong date of birth also counts against the draft, which after ``DRAFT_MAX_FAILURES`` is locked for
``DRAFT_LOCK`` (and again after each further wrong date of birth) until a success resets its count. Audit events
hold ids only (the draft's id, the reason), never a code, a token or an answer.

No Flask request here: the views pass the address and the date typed. Each function that commits says so.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select

from screening.audit import audit
from screening.clinical import dates
from screening.extensions import db
from screening.models import REFERENCE_ALPHABET, AuditEvent, Draft, ResumeFailure

CODE_LENGTH = 12  # 12 x 5 bits = 60 bits
CODE_GROUP = 4
LINK_TOKEN_BYTES = 32
DRAFT_MAX_FAILURES = 5
DRAFT_LOCK = timedelta(minutes=15)
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_MAX_FAILURES = 10
#: Link emails one address may ask for in ``EMAIL_WINDOW`` (a form can name anyone's email address).
EMAIL_MAX_PER_ADDRESS = 5
EMAIL_WINDOW = timedelta(hours=1)
#: Crockford's reading of look-alike characters; spaces and hyphens are ignored.
_CROCKFORD = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "-": None})
#: What ``issue_link`` makes (``secrets.token_urlsafe(32)``: 43 characters), with room to spare.
LINK_TOKEN_PATTERN = r"[A-Za-z0-9_-]{40,64}"  # noqa: S105 (a pattern, not a secret)
_LINK_TOKEN = re.compile(LINK_TOKEN_PATTERN)
_UNKNOWN_ADDRESS = "unknown"

Outcome = Literal["ok", "wrong", "locked", "throttled"]


@dataclass(frozen=True)
class Attempt:
    """What a try to resume came to: ``ok`` (with the draft), ``wrong`` (code, link or date of birth: never which),
    ``locked`` (the draft, after too many wrong dates of birth) or ``throttled`` (the address)."""

    outcome: Outcome
    draft: Draft | None = None


# --- codes and tokens (pure) ------------------------------------------------------------------------------------------
def hash_secret(value: str) -> str:
    """SHA-256 (hex) of a code's normal form or a token: what the database keeps."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_code() -> str:
    """A new resume code, normal form (12 characters of ``REFERENCE_ALPHABET``, no separators)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """A code as shown: groups of four joined by hyphens, ``7Q4M-9XHD-K2PA``."""
    return "-".join(code[start : start + CODE_GROUP] for start in range(0, len(code), CODE_GROUP))


def normalise_code(typed: str) -> str | None:
    """A typed code in normal form (any case, with or without spaces or hyphens, O read as 0 and I or L as 1), or
    None when it cannot be a code (the wrong length or another character)."""
    if not isinstance(typed, str) or len(typed) > 4 * CODE_LENGTH:
        return None
    code = typed.upper().translate(_CROCKFORD)
    if len(code) != CODE_LENGTH or any(char not in REFERENCE_ALPHABET for char in code):
        return None
    return code


def link_token_looks_right(token: object) -> bool:
    """Whether ``token`` could be one that ``issue_link`` made (anything else is never looked up)."""
    return isinstance(token, str) and bool(_LINK_TOKEN.fullmatch(token))


def date_of_birth(draft: Draft) -> date | None:
    """The draft's date of birth answer, or None before the "About you" page is answered."""
    return dates.parse_date((draft.answers or {}).get("date_of_birth"))


def can_save(draft: Draft) -> bool:
    """A draft can be saved with a code or a link once it holds a date of birth (the second thing asked to resume)."""
    return date_of_birth(draft) is not None


def is_resumable(draft: Draft) -> bool:
    """Whether its owner can come back to it elsewhere: it has a code or an emailed link."""
    return draft.resume_code_hash is not None or draft.resume_link_hash is not None


def email_address(draft: Draft) -> str | None:
    """The email address the patient gave, if any (where a link may be sent)."""
    email = (draft.answers or {}).get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


def link_email_text(*, link: str, until: str, clinic: str) -> tuple[str, str]:
    """(subject, text) of the link email: the link and its date only, never an answer or the code."""
    subject = f"Continue your form for {clinic}"
    text = (
        f"You can continue your form for {clinic} at this link until {until}:\n\n"
        f"{link}\n\n"
        "You will need your date of birth.\n\n"
        "If you did not ask for this email, you can ignore it.\n"
    )
    return subject, text


# --- issuing ----------------------------------------------------------------------------------------------------------
def issue_code(draft: Draft, *, remote_addr: str | None) -> str:
    """A new code for ``draft``, replacing any earlier one (which stops working). Commits. Returns the code as shown,
    for this response only: it is not kept anywhere else."""
    code = new_code()
    draft.resume_code_hash = hash_secret(code)
    audit("draft.resume_code_issued", remote_addr=remote_addr, draft=draft.id)
    db.session.commit()
    return format_code(code)


def issue_link(draft: Draft) -> str:
    """A new link token for ``draft``, replacing any earlier link. Commits. Returns the token (for the email only)."""
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    draft.resume_link_hash = hash_secret(token)
    db.session.commit()
    return token


def record_link_emailed(draft: Draft, *, remote_addr: str | None) -> None:
    """The link email was handed to the mail server. Commits."""
    audit("draft.resume_link_emailed", remote_addr=remote_addr, draft=draft.id)
    db.session.commit()


def may_email(remote_addr: str | None, *, now: datetime) -> bool:
    """Whether the address may ask for another link email (at most ``EMAIL_MAX_PER_ADDRESS`` an hour)."""
    sent = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "draft.resume_link_emailed",
            AuditEvent.remote_addr == remote_addr,
            AuditEvent.at >= now - EMAIL_WINDOW,
        )
    )
    return int(sent or 0) < EMAIL_MAX_PER_ADDRESS


def forget_on_device(draft: Draft) -> None:
    """ "This isn't me" on a draft its owner can resume elsewhere: the browser token stops working (the draft and its
    code or link stay). Commits."""
    draft.token_hash = hash_secret(secrets.token_urlsafe(32))
    db.session.commit()


# --- resuming ---------------------------------------------------------------------------------------------------------
def resume_by_code(typed_code: str, born: date, *, remote_addr: str | None, now: datetime) -> Attempt:
    """Try a typed code with a date of birth. On ``ok`` call ``resume_here``. Commits."""
    code = normalise_code(typed_code)
    return _attempt(Draft.resume_code_hash, hash_secret(code) if code else None, born, remote_addr, now, via="code")


def resume_by_link(token: str, born: date, *, remote_addr: str | None, now: datetime) -> Attempt:
    """Try an emailed link's token with a date of birth. On ``ok`` call ``resume_here``. Commits."""
    hashed = hash_secret(token) if link_token_looks_right(token) else None
    return _attempt(Draft.resume_link_hash, hashed, born, remote_addr, now, via="link")


def resume_here(draft: Draft, *, remote_addr: str | None, via: str) -> str:
    """A right code or link and date of birth: a new browser token for this device (the draft's earlier token stops
    working), the draft's count of wrong tries reset; the code and link are kept, to resume again elsewhere.
    Commits. Returns the token for the session cookie."""
    token = secrets.token_urlsafe(32)
    draft.token_hash = hash_secret(token)
    draft.resume_failures = 0
    draft.resume_locked_until = None
    audit("draft.resumed", remote_addr=remote_addr, draft=draft.id, via=via)
    db.session.commit()
    return token


def _attempt(
    column: object, hashed: str | None, born: date, remote_addr: str | None, now: datetime, via: str
) -> Attempt:
    address = remote_addr or _UNKNOWN_ADDRESS
    if address_failures(address, now=now) >= ADDRESS_MAX_FAILURES:
        audit("draft.resume_failed", remote_addr=remote_addr, reason="throttled", via=via)
        db.session.commit()
        return Attempt("throttled")
    draft = _live_draft(column, hashed, now) if hashed else None
    if draft is None:
        _record_failure(None, address, remote_addr, now=now, reason="unknown", via=via)
        return Attempt("wrong")
    if draft.resume_locked_until is not None and draft.resume_locked_until > now:
        _record_failure(None, address, remote_addr, now=now, reason="locked", via=via, draft_id=draft.id)
        return Attempt("locked", draft)
    expected = date_of_birth(draft)
    if expected is None or not hmac.compare_digest(expected.isoformat(), born.isoformat()):
        _record_failure(draft, address, remote_addr, now=now, reason="date_of_birth", via=via)
        locked = draft.resume_locked_until is not None and draft.resume_locked_until > now
        return Attempt("locked" if locked else "wrong", draft)
    return Attempt("ok", draft)


def _live_draft(column: object, hashed: str, now: datetime) -> Draft | None:
    draft: Draft | None = db.session.scalar(select(Draft).where(column == hashed))  # type: ignore[arg-type]
    if draft is None or draft.expires_at <= now:
        return None
    return draft


def _record_failure(
    draft: Draft | None,
    address: str,
    remote_addr: str | None,
    *,
    now: datetime,
    reason: str,
    via: str,
    draft_id: int | None = None,
) -> None:
    """Count a wrong try for the address and, for a wrong date of birth, for the draft (locking it). Commits."""
    db.session.add(ResumeFailure(remote_addr=address, at=now))
    if draft is not None:
        draft.resume_failures += 1
        if draft.resume_failures >= DRAFT_MAX_FAILURES:
            draft.resume_locked_until = now + DRAFT_LOCK
    named = draft.id if draft is not None else draft_id
    if named is None:
        audit("draft.resume_failed", remote_addr=remote_addr, reason=reason, via=via)
    else:
        audit("draft.resume_failed", remote_addr=remote_addr, reason=reason, via=via, draft=named)
    db.session.commit()


def address_failures(address: str, *, now: datetime) -> int:
    """Wrong tries from ``address`` within the last ``ADDRESS_WINDOW``."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(ResumeFailure)
            .where(ResumeFailure.remote_addr == address, ResumeFailure.at >= now - ADDRESS_WINDOW)
        )
        or 0
    )


def purge_old_failures(*, now: datetime) -> int:
    """Delete the wrong tries older than ``ADDRESS_WINDOW`` (they no longer count). The caller commits."""
    result = db.session.execute(delete(ResumeFailure).where(ResumeFailure.at < now - ADDRESS_WINDOW))
    return int(getattr(result, "rowcount", 0) or 0)
