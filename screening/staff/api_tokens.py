"""API tokens for integration engines (the read-only FHIR API): issuing, recognising, revoking and listing them.

A token is ``scr_`` + ``secrets.token_urlsafe(32)`` (256 random bits). It is returned once, by ``create_token``, for
the administrator to hand over; only its SHA-256 (hex) is stored, with a prefix that tells tokens apart. A fast hash
is right for a 256-bit random secret (nothing to guess, unlike a password), and recognising one is a lookup by hash
in the database: no comparison of secrets in Python, so nothing to time. Creating and revoking are audited
(``api_token.created``, ``api_token.revoked``) and committed here. Imports the models and ``audit``; no Flask request.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from screening import clock
from screening.audit import audit
from screening.extensions import db
from screening.models import ApiToken, StaffUser

TOKEN_PREFIX = "scr_"  # noqa: S105 (the public start of every token, not a secret)
READ_SCOPE = "fhir.read"
#: How many characters of a token are shown to tell it apart (``scr_`` and 8 more: 48 bits, not enough to use it).
SHOWN = 12
#: What a well-formed token looks like (anything else is refused before the database is asked).
TOKEN_SHAPE = re.compile(r"scr_[A-Za-z0-9_-]{43}")
NAME_TAKEN = "A token with that name already exists: choose another name"


class TokenError(ValueError):
    """A token cannot be created or revoked as asked (the message says why, in words for the administrator)."""


def token_hash(secret: str) -> str:
    """The SHA-256 (hex) of a token, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(name: str, *, actor: StaffUser, remote_addr: str | None = None) -> tuple[ApiToken, str]:
    """A new read-only token named ``name`` (unique), issued by ``actor``. Returns the row and the token itself,
    which exists nowhere else: show it once. Audited (``api_token.created``) and committed."""
    name = name.strip()
    if db.session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(NAME_TAKEN)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:SHOWN],
        scope=READ_SCOPE,
        created_at=clock.now(),
        created_by_id=actor.id,
    )
    db.session.add(token)
    try:
        db.session.flush()
    except IntegrityError:  # the same name given at the same moment by another administrator
        db.session.rollback()
        raise TokenError(NAME_TAKEN) from None
    audit("api_token.created", staff_id=actor.id, remote_addr=remote_addr, token=token.id, token_name=name)
    db.session.commit()
    return token, secret


def bearer_secret(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case), or None."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value if TOKEN_SHAPE.fullmatch(value) else None


def authenticate(authorization: str | None, *, scope: str = READ_SCOPE) -> ApiToken | None:
    """The live token of an ``Authorization`` header holding ``scope``; None for no header, another scheme, an
    unknown or malformed token, or a revoked one."""
    secret = bearer_secret(authorization)
    if secret is None:
        return None
    token: ApiToken | None = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None or token.revoked_at is not None or token.scope != scope:
        return None
    return token


def mark_used(token: ApiToken) -> None:
    """Note that ``token`` was just used (``last_used_at``; committed with the caller's audit event)."""
    token.last_used_at = clock.now()


def revoke_token(token: ApiToken, *, actor: StaffUser, remote_addr: str | None = None) -> None:
    """Revoke ``token`` at once, for good (the row stays, for the audit trail). Audited and committed."""
    if token.revoked_at is not None:
        raise TokenError(f"The token {token.name} is already revoked")
    token.revoked_at = clock.now()
    token.revoked_by_id = actor.id
    audit("api_token.revoked", staff_id=actor.id, remote_addr=remote_addr, token=token.id, token_name=token.name)
    db.session.commit()


def list_tokens() -> list[ApiToken]:
    """Every token, live ones first, then by name."""
    order = (ApiToken.revoked_at.is_not(None), ApiToken.name, ApiToken.id)
    return list(db.session.scalars(select(ApiToken).order_by(*order)))


def find_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)
