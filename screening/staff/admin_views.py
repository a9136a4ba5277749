"""The admin blueprint (``/staff/admin``, admins only) and the helpers of its modules (``account_views``: staff
accounts; ``intake_views``: pausing new forms; ``records_views``: the audit log and the exports; ``api_token_views``:
API tokens for the FHIR read API).

Every write goes through ``accounts`` and ``screening.audit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, render_template, request
from flask_login import current_user

from screening.clinical import dates
from screening.models import StaffUser
from screening.staff import accounts, auth

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")


# --- helpers ----------------------------------------------------------------------------------------
def _settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def clinic_time(moment: datetime | None) -> str:
    """A UTC moment in the clinic's time zone, e.g. "24 Nov 2026 14:05:09 GMT"."""
    if moment is None:
        return ""
    return dates.moment_words(moment, ZoneInfo(_settings()["TIMEZONE"]), seconds=True)


def _page(template: str, **context: Any) -> str:
    g.no_store = True
    context.setdefault("reissued", False)
    hours = int(auth.ONE_TIME_PASSWORD_LIFETIME.total_seconds() // 3600)
    return render_template(template, clinic_time=clinic_time, one_time_hours=hours, **context)


def _actor() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _record(action: str, **details: Any) -> None:
    """An audit event for what the signed-in admin just looked at or downloaded (committed by ``accounts``)."""
    accounts.record_access(_actor(), action, remote_addr=request.remote_addr, **details)


# Staff accounts (``account_views``), pausing new forms (``intake_views``), the audit log and the exports
# (``records_views``), API tokens (``api_token_views``): routes of ``bp`` in their own modules, which import the helpers
# above, so they are imported last (Flask's pattern for views split over modules).
from screening.staff import account_views, api_token_views, intake_views, records_views  # noqa: E402, F401
