"""The one writer of audit events: ``audit()`` adds an append-only ``AuditEvent`` (ids and codes, never answers) to
the current transaction, so the event commits or rolls back with the change it records."""

from __future__ import annotations

from typing import Any

from screening.extensions import db
from screening.models import AuditEvent


def audit(
    action: str,
    *,
    reference: str | None = None,
    staff_id: int | None = None,
    remote_addr: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits). ``details`` hold ids only."""
    event = AuditEvent(action=action, reference=reference, staff_id=staff_id, remote_addr=remote_addr, details=details)
    db.session.add(event)
    return event
