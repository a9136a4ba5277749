"""The alert worker (``flask --app screening worker``): a long-running sender that, every few seconds, escalates
urgent submissions nobody has picked up in time (``escalation``) and sends every alert that is due, retrying
failed ones with back-off (``notifications``). Run one or several beside the web servers (docs/deploy.md has a
systemd unit); they share the outbox safely. Imports Flask's app context helpers and the standard library.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from screening import notifications
from screening.extensions import db
from screening.security import describe_without_data
from screening.staff import escalation

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 5.0
BATCH = 100


def run_once() -> tuple[list[str], notifications.Outcome]:
    """One pass: raise the escalations that are due, then send every alert that is due. Returns the escalated
    references and what was sent."""
    escalated = escalation.escalate_due()
    outcome = notifications.send_pending(limit=BATCH)
    while outcome.sent + outcome.failed == BATCH:  # a backlog: keep going while it moves
        more = notifications.send_pending(limit=BATCH)
        outcome = notifications.Outcome(outcome.sent + more.sent, outcome.failed + more.failed, more.pending)
        if more.sent + more.failed < BATCH:
            break
    return escalated, outcome


def run_forever(
    stop: threading.Event, *, interval: float = DEFAULT_INTERVAL_SECONDS, report: Callable[[str], None] | None = None
) -> int:
    """Pass after pass until ``stop`` is set. A failing pass (the database down, say) is logged without data and
    tried again after the interval: the worker never dies of one. Returns the number of passes made."""
    passes = 0
    while not stop.is_set():
        try:
            escalated, outcome = run_once()
        except Exception as error:
            log.error("alert worker pass failed:\n%s", describe_without_data(error))
            with contextlib.suppress(Exception):
                db.session.rollback()
        else:
            if report and (escalated or outcome.sent or outcome.failed):
                report(
                    f"escalated {len(escalated)}, sent {outcome.sent}, failed {outcome.failed}; "
                    f"{outcome.pending} waiting"
                )
        finally:
            db.session.remove()
        passes += 1
        stop.wait(interval)
    return passes


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd stop) and SIGINT (Ctrl+C) end the loop after the current pass."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
