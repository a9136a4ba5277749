"""The on-call alert about repeated staff sign-in failures: when one account, or one client address, has had
``THRESHOLD`` failed sign-ins (passwords or codes) within ``WINDOW``, an alert goes on the urgent-alert route
(``notifications``, kind ``sign_in_failures``), at most once per UTC hour: its reference is the hour, "YYYYMMDDHH",
and the outbox holds each (kind, reference, channel) once. The alert names no account or address (the audit log,
``staff.sign_in_alert``, does: ids and addresses only). Commits; never raises into the sign-in it follows.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from screening import notifications
from screening.audit import audit
from screening.extensions import db
from screening.models import AuditEvent, LoginFailure, Notification

log = logging.getLogger(__name__)

THRESHOLD = 10
WINDOW = timedelta(minutes=15)
ALERTED = "staff.sign_in_alert"


def hour_bucket(now: datetime) -> str:
    """The alert's reference: the UTC hour of ``now`` as "YYYYMMDDHH" (10 characters, within the 20 allowed)."""
    return now.astimezone(UTC).strftime("%Y%m%d%H")


def failures(*, account: int | None, remote_addr: str, now: datetime) -> tuple[int, int]:
    """Failed sign-ins within ``WINDOW`` before ``now``: for ``account`` (0 without one; attempts while it was locked
    included) and from ``remote_addr``."""
    since = now - WINDOW
    by_address = db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.remote_addr == remote_addr, LoginFailure.at >= since)
    )
    by_account: int | None = 0
    if account is not None:
        by_account = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.staff_id == account, AuditEvent.at >= since, AuditEvent.action == "staff.login_failed")
        )
    return int(by_account or 0), int(by_address or 0)


def _raised(bucket: str) -> bool:
    query = select(Notification.id).where(
        Notification.kind == notifications.SIGN_IN_FAILURES, Notification.reference == bucket
    )
    return db.session.scalar(query.limit(1)) is not None


def after_failure(*, account: int | None, remote_addr: str, now: datetime) -> bool:
    """Called once a failed sign-in is committed: raise the alert if a count has reached ``THRESHOLD`` and none was
    raised this hour. True when this call raised it. With no alert route configured nothing is raised (the audit log
    still has every failure)."""
    if not notifications.channels(current_app.config["SCREENING"]):
        return False
    try:
        by_account, by_address = failures(account=account, remote_addr=remote_addr, now=now)
        bucket = hour_bucket(now)
        if max(by_account, by_address) < THRESHOLD or _raised(bucket):
            return False
        rows = notifications.enqueue(notifications.SIGN_IN_FAILURES, bucket, now=now)
        audit(
            ALERTED,
            remote_addr=remote_addr,
            account=account,
            account_failures=by_account,
            address_failures=by_address,
            channels=sorted(row.channel for row in rows),
        )
        db.session.commit()
        return True
    except IntegrityError:  # another server raised this hour's alert a moment before
        db.session.rollback()
        return False
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("sign-in failure alert not raised: the database refused")
        return False
