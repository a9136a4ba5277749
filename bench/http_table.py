"""The table ``bench_http.py`` prints from its results: each figure next to its same-run reference, the ratio, and the
issue's target with "ok" or "MISSED"."""

from __future__ import annotations

from typing import Any

#: (row, app scenario, reference scenario, target ratio of app/reference throughput, at least)
THROUGHPUT = (
    ("start page GET", "start GET", "bare GET", None),
    ("start page GET", "start GET", "plain template: start", None),
    ("start page POST (consent, new draft)", "start POST", "bare POST (start body)", None),
    ("step page GET (mood: 21 questions)", "step GET", "bare GET", 0.35),
    ("step page GET (mood: 21 questions)", "step GET", "plain template: step", 0.8),
    ("step page POST (saved, redirect)", "step POST", "bare POST (step body)", None),
    ("final submit POST", "submit POST", "bare WTForms insert POST", 0.5),
)
STAFF = ("queue", "search", "submission page")
STAFF_TARGET = 1.3
PDF_TARGET = 1.2
MEMORY_TARGET_MB = 200


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISSED")


def _throughput(rows: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    print(
        f"{'':40} {'app req/s':>10} {'p50 ms':>7} {'p95 ms':>7}   {'reference':<26} {'req/s':>8} {'ratio':>6}  target"
    )
    for label, app_key, reference_key, target in THROUGHPUT:
        app, reference = rows[app_key], rows[reference_key]
        ratio = app["rps"] / reference["rps"] if reference["rps"] else 0.0
        ok = None if target is None else ratio >= target
        if target is not None:
            targets.append({"what": f"{label} vs {reference_key}", "ratio": ratio, "target": f">= {target}", "ok": ok})
        errors = f"  ({app['errors']} errors)" if app["errors"] else ""
        print(
            f"{label:40} {app['rps']:10.1f} {app['p50_ms']:7.1f} {app['p95_ms']:7.1f}   {reference_key:<26} "
            f"{reference['rps']:8.1f} {ratio:5.2f}x  {'>= ' + str(target) if target else '':7} {_verdict(ok)}{errors}"
        )


def _staff(rows: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    sizes = sorted(int(key.rsplit("@", 1)[1]) for key in rows if key.startswith("queue @"))
    small, large = sizes[0], sizes[-1]
    print(
        f"\n{'staff page':40} {'p50 @' + format(small, ','):>11} {'p95':>7} {'p50 @' + format(large, ','):>13} "
        f"{'p95':>7} {'p95 ratio':>10}  target"
    )
    for page in STAFF:
        a, b = rows[f"{page} @{small}"], rows[f"{page} @{large}"]
        ratio = b["p95_ms"] / a["p95_ms"] if a["p95_ms"] else 0.0
        ok = ratio <= STAFF_TARGET
        targets.append(
            {"what": f"{page} p95 {large}/{small}", "ratio": ratio, "target": f"<= {STAFF_TARGET}", "ok": ok}
        )
        print(
            f"{page:40} {a['p50_ms']:9.1f}ms {a['p95_ms']:7.1f} {b['p50_ms']:11.1f}ms {b['p95_ms']:7.1f} "
            f"{ratio:9.2f}x  <= {STAFF_TARGET} {_verdict(ok)}"
        )


def _pdf_and_exports(rows: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    app, bare = rows["summary PDF"], rows["bare WeasyPrint PDF"]
    ratio = app["p50_ms"] / bare["p50_ms"] if bare["p50_ms"] else 0.0
    ok = ratio <= PDF_TARGET
    targets.append(
        {"what": "summary PDF p50 / bare WeasyPrint p50", "ratio": ratio, "target": f"<= {PDF_TARGET}", "ok": ok}
    )
    label = f"summary PDF (p50 ms, {app['requests']} interleaved)"
    print(
        f"\n{label:40} {app['p50_ms']:10.1f}   bare WeasyPrint {bare['p50_ms']:8.1f}   "
        f"{ratio:5.2f}x  <= {PDF_TARGET} {_verdict(ok)}"
    )
    for key in ("CSV export (100k, default columns)", "FHIR NDJSON export (100k)"):
        row = rows.get(key, {"not_available": True})
        if row.get("not_available"):
            print(f"{key:40} not available")
            continue
        ok = row["peak_rss_mb"] < MEMORY_TARGET_MB
        targets.append({"what": f"{key} peak RSS MB", "ratio": row["peak_rss_mb"], "target": "< 200", "ok": ok})
        print(
            f"{key:40} {row['seconds']:8.1f} s  peak RSS {row['peak_rss_mb']:6.0f} MB  {row['megabytes']:7.1f} MB "
            f"written   < {MEMORY_TARGET_MB} MB {_verdict(ok)}"
        )


def print_header(report: dict[str, Any]) -> None:
    machine = report["machine"]
    print(
        f"\nScreening HTTP benchmark: {machine['cpus']} CPUs ({machine['cpu_model']}), Python {machine['python']}, "
        f"gunicorn 2 workers, wrk 1 thread 4 connections, {report['seconds_per_scenario']:g} s per scenario"
    )
    core = report["clinical_core"]
    print(
        f"clinical core per submission (rules.assess, warm, in-process): p50 {core['p50_ms']:.2f} ms, "
        f"p95 {core['p95_ms']:.2f} ms"
    )


def print_run(run: dict[str, Any]) -> None:
    """One database's table; the verdicts are kept in ``run["targets"]``."""
    targets: list[dict[str, Any]] = []
    print(f"\n== {run['database']} ==")
    rows = run["rows"]
    if "start GET" in rows:  # not with BENCH_ONLY=staff
        _throughput(rows, targets)
    if any(key.startswith("queue @") for key in rows):  # not with BENCH_ONLY=pdf
        _staff(rows, targets)
    if "summary PDF" in rows:
        _pdf_and_exports(rows, targets)
    seeding = run["seeding"]
    more = f", 99,000 more in {seeding['large_seconds']:.1f} s" if "large_seconds" in seeding else ""
    print(f"(seeding: 1,000 in {seeding['small_seconds']:.1f} s{more})")
    run["targets"] = targets
