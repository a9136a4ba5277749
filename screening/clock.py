"""The one place the application asks the time, so tests can control it (idle timeouts, lockouts, TOTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


def now() -> datetime:
    """Now, timezone-aware in UTC. Tests replace this function (``monkeypatch.setattr(clock, "now", ...)``)."""
    return datetime.now(UTC)


def today(zone: tzinfo) -> date:
    """Today's date in ``zone`` (the clinic's time zone), from ``now()``, so a test that moves ``now`` moves it."""
    return now().astimezone(zone).date()
