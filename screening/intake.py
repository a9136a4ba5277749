"""Whether the clinic takes new forms: an administrator can pause them, with a message the clinic writes for patients
("We are not taking new referrals until 3 March"), and open them again. Forms already started carry on and can be
sent; only starting a new form is refused while paused (``patient.views.start``).

The state is one ``ClinicSetting`` row (``KEY``; no row means open), read with one primary-key lookup. Every change
is audited and committed here: ``intake.paused``, ``intake.message_changed`` and ``intake.reopened``. Their details
hold the message's length, never the message: the audit trail keeps ids, codes and counts only and can never be
edited or purged, while the message is free text an administrator typed (it could name a colleague, say). The
message in use is in the setting row, and the admin page shows it.

Each change moves the setting's ``revision`` on, so a page that offered a change on an older state is told someone
else changed it meanwhile (``StaleChange``) rather than undoing that change unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from screening import clock
from screening.audit import audit
from screening.extensions import db
from screening.models import ClinicSetting, StaffUser

KEY = "intake_paused"
#: The longest message a clinic may write (the admin form's character count says so).
MESSAGE_MAX_LENGTH = 500


def paragraphs(message: str) -> list[str]:
    """A message as the patient sees it: one paragraph per line that is not blank (shown as text, never markup)."""
    return [line.strip() for line in message.splitlines() if line.strip()]


@dataclass(frozen=True, slots=True)
class Pause:
    """New forms are paused: the clinic's message, since when, and by which account (None: an account since gone)."""

    message: str
    since: datetime
    by_id: int | None

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.message)


@dataclass(frozen=True, slots=True)
class State:
    """The setting as the admin page shows it: paused or not, the last change (when, by whom) and its revision."""

    pause: Pause | None
    revision: int
    changed_at: datetime | None
    changed_by_id: int | None


class StaleChange(ValueError):
    """The change was offered on an older state: someone changed it meanwhile (``state`` is the state now)."""

    def __init__(self, state: State) -> None:
        super().__init__("New forms were changed by someone else meanwhile")
        self.state = state


def _row() -> ClinicSetting | None:
    return db.session.get(ClinicSetting, KEY)


def _pause_of(row: ClinicSetting | None) -> Pause | None:
    value: dict[str, Any] = row.value if row is not None and isinstance(row.value, dict) else {}
    message = value.get("message")
    if row is None or value.get("paused") is not True or not isinstance(message, str) or not message.strip():
        return None
    return Pause(message=message, since=row.updated_at, by_id=row.updated_by_id)


def _revision(row: ClinicSetting | None) -> int:
    revision = row.value.get("revision") if row is not None and isinstance(row.value, dict) else None
    return revision if isinstance(revision, int) and not isinstance(revision, bool) else 0


def paused() -> Pause | None:
    """The pause in force, or None when new forms are open (one primary-key lookup)."""
    return _pause_of(_row())


def state() -> State:
    """The whole setting, for the admin page."""
    row = _row()
    return State(
        pause=_pause_of(row),
        revision=_revision(row),
        changed_at=row.updated_at if row is not None else None,
        changed_by_id=row.updated_by_id if row is not None else None,
    )


def _write(paused_now: bool, message: str | None, *, staff: StaffUser, revision: int) -> ClinicSetting:
    row = _row()
    if _revision(row) != revision:
        raise StaleChange(state())
    if row is None:
        row = ClinicSetting(key=KEY)
        db.session.add(row)
    value: dict[str, Any] = {"paused": paused_now, "revision": revision + 1}
    if message is not None:
        value["message"] = message
    row.value = value
    row.updated_at = clock.now()
    row.updated_by_id = staff.id
    return row


def pause(message: str, staff: StaffUser, remote_addr: str | None, *, revision: int) -> Pause:
    """Pause new forms with ``message`` (or change the message of the pause in force), as of ``revision`` (the state
    the administrator saw). Audited; commits. Raises ``StaleChange`` when the state moved on meanwhile, and
    ``ValueError`` for a blank or too long message."""
    message = message.strip()
    if not message or len(message) > MESSAGE_MAX_LENGTH:
        raise ValueError(f"the message must be 1 to {MESSAGE_MAX_LENGTH} characters")
    was_paused = paused() is not None
    row = _write(True, message, staff=staff, revision=revision)
    action = "intake.message_changed" if was_paused else "intake.paused"
    audit(action, staff_id=staff.id, remote_addr=remote_addr, message_length=len(message))
    db.session.commit()
    found = _pause_of(row)
    assert found is not None  # noqa: S101 (narrows the type: the row was just written)
    return found


def record_conflict(
    staff: StaffUser, remote_addr: str | None, stale: StaleChange, *, attempt: str, had_revision: int | None
) -> None:
    """A change refused because another administrator changed new forms first (the 409 the page answers):
    ``intake.conflict`` with what was tried (``pause`` or ``reopen``) and both revisions. Commits."""
    audit(
        "intake.conflict",
        staff_id=staff.id,
        remote_addr=remote_addr,
        attempt=attempt,
        had_revision=had_revision,
        current_revision=stale.state.revision,
    )
    db.session.commit()


def reopen(staff: StaffUser, remote_addr: str | None, *, revision: int) -> bool:
    """Open new forms again, as of ``revision``. Audited; commits. False (nothing changed, nothing audited) when
    they were open already; raises ``StaleChange`` when the state moved on meanwhile."""
    current = state()
    if current.revision != revision:
        raise StaleChange(current)
    if current.pause is None:
        return False
    _write(False, None, staff=staff, revision=revision)
    audit("intake.reopened", staff_id=staff.id, remote_addr=remote_addr)
    db.session.commit()
    return True
