"""The staff blueprint's reports page: how the service is doing over a chosen date range (``from`` and ``to`` in the
query string: dates, not patient data), as charts with a table of the same numbers under each, and the charts
themselves as same-origin SVG images. Admins and clinicians. Numbers are ``reports``'; rows ``reports_queries``';
drawing ``reports_charts``'. Viewing the page is audited (``reports.viewed``, with the range)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, request
from flask.typing import ResponseReturnValue

from screening import clock
from screening.access import roles
from screening.audit import audit
from screening.extensions import db
from screening.models import Role
from screening.staff import reports, reports_charts, reports_queries
from screening.staff.views import bp, clinic_today, clinic_zone, current_staff, render_no_store

REPORT_ROLES = (Role.ADMIN, Role.CLINICIAN)
_CHART_NAMES = ", ".join(f"'{name}'" for name in reports_charts.CHARTS)


def _report(period: reports.DateRange, *, rows: bool = True) -> reports.Report:
    """The report for ``period``. ``rows=False``: from the database's counts alone, without streaming the range's
    rows (its weeks and waiting times are then empty): what a chart in ``reports_charts.FROM_COUNTS`` draws."""
    zone = clinic_zone()
    start, end = period.bounds(zone)
    counted = reports_queries.counted(start, end, clock.now())
    moments = reports_queries.moments(start, end) if rows else iter(())
    return reports.build_counted(moments, counted, period, zone=zone)


def _typed(params: Mapping[str, str]) -> dict[str, str]:
    """The dates as typed, to show again with an error; a value that is not a real date is left out (a date field
    cannot hold it: only an edited address can send one)."""
    raw = {key: params.get(key, "").strip() for key in ("from", "to")}
    return {key: value if reports.iso_date(value) else "" for key, value in raw.items()}


@bp.get("/reports")
@roles(*REPORT_ROLES)
def reports_page() -> ResponseReturnValue:
    """The reports for ``from``..``to`` (default: the last 30 days); a range that cannot be read shows the default
    with an error next to the field (400)."""
    today = clinic_today()
    period, errors = reports.parse_range(request.args, today)
    report = _report(period)
    audit("reports.viewed", staff_id=current_staff().id, remote_addr=request.remote_addr, **period.as_params())
    db.session.commit()
    return render_no_store(
        "staff/reports.html",
        400 if errors else 200,
        report=report,
        typed=_typed(request.args) if errors else period.as_params(),
        field_errors=errors,
        errors=[{"text": message, "href": f"#report-{key}"} for key, message in errors.items()],
        last_30_days=reports.default_range(today),
        last_month=reports.last_full_month(today),
        duration_words=reports.duration_words,
        week_label=reports.week_label,
        age_bands=[label for label, _ in reports.AGE_BANDS],
        severities=reports.SEVERITY_ORDER,
    )


@bp.get(f"/reports/chart/<any({_CHART_NAMES}):chart>.svg")
@roles(*REPORT_ROLES)
def report_chart(chart: str) -> ResponseReturnValue:
    """One chart of the reports page as an SVG image, for the same range (the default when it cannot be read). Each
    of the page's five charts is a request of its own: those drawn from counts do not read the range's rows."""
    period, _ = reports.parse_range(request.args, clinic_today())
    report = _report(period, rows=chart not in reports_charts.FROM_COUNTS)
    response = Response(reports_charts.render(chart, report), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = reports_charts.CHART_CSP
    return response
