"""The one place the application asks the time, so tests can control it (idle timeouts, lockouts, TOTP)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Now, timezone-aware in UTC. Tests replace this function (``monkeypatch.setattr(clock, "now", ...)``)."""
    return datetime.now(UTC)
