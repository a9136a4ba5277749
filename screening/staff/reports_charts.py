"""The reports page's charts, drawn by pygal as SVG documents on the server. Each chart is served as its own
``image/svg+xml`` response and shown with ``<img>`` beside a table of the same numbers, so the page needs no
JavaScript and no inline script or style (pygal's SVG carries a ``<style>`` and a config ``<script>``; inside an
image neither can run script, and the chart response has its own strict policy, ``CHART_CSP``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pygal
from pygal.style import Style

from screening.staff import display as staff_display
from screening.staff import reports

# pygal appends to ``sys.meta_path`` a finder for its map plugins (not used here) that has no ``find_spec``: every
# import that fails afterwards (an optional dependency tried and missing, e.g. by the PDF library's fonts) would then
# raise an ImportWarning, an error where warnings are errors. Take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)]

#: The chart responses' Content-Security-Policy: nothing loads, no script runs; the SVG's own ``<style>`` applies.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_FONT = "Arial, Helvetica, sans-serif"
#: GOV.UK colours: blue, then the severities' red, orange, yellow, light blue and grey.
_BLUE = "#1d70b8"
_SEVERITY_COLOURS = ("#d4351c", "#f47738", "#ffdd00", "#5694ca", "#505a5f")
_STYLE_OPTIONS: dict[str, Any] = {
    "background": "#ffffff",
    "plot_background": "#ffffff",
    "foreground": "#0b0c0c",
    "foreground_strong": "#0b0c0c",
    "foreground_subtle": "#505a5f",
    "font_family": _FONT,
    "label_font_size": 14,
    "major_label_font_size": 14,
    "legend_font_size": 14,
    "value_font_size": 14,
    "title_font_size": 16,
    "no_data_font_size": 24,
    "opacity": "1",
    "opacity_hover": "1",
    "transition": "0s",
    "value_colors": ("#0b0c0c",),
}


def _chart(kind: type[Any], colours: tuple[str, ...] = (_BLUE,), **options: Any) -> Any:
    """A pygal chart configured for the page: no script, no tooltips, no XML declaration, GOV.UK colours."""
    settings: dict[str, Any] = {
        "style": Style(colors=colours, **_STYLE_OPTIONS),
        "js": [],
        "tooltips": False,
        "disable_xml_declaration": True,
        "no_prefix": True,
        "width": 800,
        "height": 400,
        "explicit_size": False,
        "print_values": True,
        "print_values_position": "top",
        "print_zeroes": False,
        "truncate_label": -1,
        "no_data_text": "No submissions",
    }
    return kind(**(settings | options))


def _whole_numbers(highest: int) -> list[int]:
    """Y-axis labels for counts: whole numbers from 0, about five of them."""
    step = max(1, -(-highest // 5))
    return list(range(0, max(highest, 1) + step, step))


def weekly(report: reports.Report) -> Any:
    chart = _chart(
        pygal.Bar,
        show_legend=False,
        x_label_rotation=30 if len(report.weeks) > 6 else 0,
        # a long range: a label every few weeks, so they do not overlap (the table names every week)
        x_labels_major_every=-(-len(report.weeks) // 12),
        show_minor_x_labels=len(report.weeks) <= 12,
        print_values=len(report.weeks) <= 26,
        y_labels=_whole_numbers(max((count for _, count in report.weeks), default=0)),
    )
    label = "%d %b %Y" if len(report.weeks) > 26 else "%d %b"
    chart.x_labels = [monday.strftime(label) for monday, _ in report.weeks]
    chart.add("Submissions", [count for _, count in report.weeks])
    return chart


def waiting_times(report: reports.Report) -> Any:
    chart = _chart(pygal.Bar, colours=(_BLUE, "#003078"), legend_at_bottom=True, y_title="Hours")
    chart.x_labels = ["To first review", "To a decision"]
    spreads = (report.first_review, report.decision)
    chart.add("Median", [round(value.median, 1) if value.median is not None else None for value in spreads])
    chart.add("90th percentile", [round(value.p90, 1) if value.p90 is not None else None for value in spreads])
    return chart


def queue(report: reports.Report) -> Any:
    highest = max((sum(bands[label] for bands in report.queue.values()) for label, _ in reports.AGE_BANDS), default=0)
    chart = _chart(
        pygal.StackedBar,
        colours=_SEVERITY_COLOURS,
        legend_at_bottom=True,
        print_values=False,
        y_labels=_whole_numbers(highest),
    )
    chart.x_labels = [label for label, _ in reports.AGE_BANDS]
    for severity in reports.SEVERITY_ORDER:
        chart.add(staff_display.SEVERITY_LABELS[severity], list(report.queue[severity].values()))
    return chart


def flags(report: reports.Report) -> Any:
    chart = _chart(pygal.HorizontalBar, show_legend=False, height=max(200, 60 + 40 * len(report.flags)), range=(0, 100))
    chart.x_labels = [share.title for share in reversed(report.flags)]
    chart.add("Percent of submissions", [round(share.percent, 1) for share in reversed(report.flags)])
    return chart


def outcomes(report: reports.Report) -> Any:
    chart = _chart(pygal.Bar, show_legend=False, y_labels=_whole_numbers(max(report.outcomes.values(), default=0)))
    chart.x_labels = [staff_display.STATUS_LABELS[status] for status in report.outcomes]
    chart.add("Submissions", list(report.outcomes.values()))
    return chart


#: Chart name (in its URL) -> how to draw it.
CHARTS: dict[str, Callable[[reports.Report], Any]] = {
    "weekly": weekly,
    "waiting-times": waiting_times,
    "queue": queue,
    "flags": flags,
    "outcomes": outcomes,
}

#: The charts drawn only from what the database counts (the open queue, the flags, the outcomes and the total), not
#: from the range's rows (weeks, waiting times): their requests skip reading the rows (``reports_views``).
FROM_COUNTS = frozenset({"queue", "flags", "outcomes"})


def render(name: str, report: reports.Report) -> str:
    """The SVG document of chart ``name`` (a key of ``CHARTS``)."""
    svg: str = CHARTS[name](report).render(is_unicode=True)
    return svg
