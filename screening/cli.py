"""Flask commands: ``create-staff`` (an account with a one-time password), ``purge-expired`` (drafts past
their lifetime), ``purge`` (submissions past the retention period), ``worker`` (sends urgent alerts, retries
and escalates), ``send-test-alert`` (checks the alert routes), ``demo-data`` (sample submissions and staff
accounts for a development database), ``demo-accounts`` (show and reset those accounts), ``rules`` (print the
rule catalogue), ``backup`` and ``restore-check`` (a backup of the database; its check against the live one), and
``export-fhir`` (the submissions of a period as FHIR NDJSON files)."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from screening import backup, clock, notifications, restore_check
from screening.models import Role
from screening.patient import drafts as services
from screening.staff import accounts, auth, fhir_bulk, retention, worker


@click.command("create-staff")
@click.option("--email", required=True, help="The person's work email address (their sign-in name).")
@click.option("--name", required=True, help="Their full name, as colleagues will see it.")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice([role.value for role in Role]),
    help="Repeat for more than one role, e.g. --role admin --role clinician.",
)
@with_appcontext  # added with add_command (not app.cli.command), so also under app.test_cli_runner()
def create_staff(email: str, name: str, roles: tuple[str, ...]) -> None:
    """Create a staff account and print its one-time password (changed at first sign-in, after MFA)."""
    try:
        user, one_time = accounts.create_staff(email=email, name=name, roles={Role(role) for role in roles})
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    hours = int(auth.ONE_TIME_PASSWORD_LIFETIME.total_seconds() // 3600)
    click.echo(
        f"Created {user.email} ({', '.join(user.role_names)}). One-time password (give it to them privately; it "
        f"works for {hours} hours): {one_time}"
    )


@click.command("purge-expired")
def purge_expired() -> None:
    """Delete drafts past their lifetime (SCREENING_DRAFT_DAYS). Run it daily, e.g. from cron."""
    click.echo(f"Deleted {services.purge_expired_drafts()} expired draft(s).")


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=None,
    metavar="DAYS",
    help="Delete submissions submitted more than DAYS days ago (default: SCREENING_RETENTION_DAYS).",
)
@click.option("--yes-really", is_flag=True, help=f"Allow a period shorter than {retention.MINIMUM_DAYS} days.")
@click.option("--dry-run", is_flag=True, help="Only say how many submissions would be deleted.")
def purge(days: int | None, yes_really: bool, dry_run: bool) -> None:
    """Delete submissions past the clinic's retention period, with their flags and review history, leaving
    an audit tombstone (reference and submission day only) for each. Run it daily, e.g. from cron."""
    days = days or current_app.config["SCREENING"]["RETENTION_DAYS"]
    if days is None:
        raise click.UsageError("Give --older-than DAYS, or set SCREENING_RETENTION_DAYS")
    if days < retention.MINIMUM_DAYS and not yes_really:
        raise click.ClickException(
            f"Refusing to delete submissions younger than {retention.MINIMUM_DAYS} days: "
            f"check the number of days, and add --yes-really if {days} is right"
        )
    if dry_run:
        click.echo(f"Would delete {retention.count_older_than(days)} submission(s) older than {days} days.")
        return
    result = retention.purge_older_than(days)
    click.echo(
        f"Deleted {result.deleted} submission(s) submitted before "
        f"{result.cutoff.isoformat(timespec='seconds')} ({days} days)."
    )


@click.command("worker")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1, max=300),
    default=worker.DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between passes.",
)
@click.option("--once", is_flag=True, help="Make one pass and exit (status 1 when a send failed).")
def run_worker(interval: float, once: bool) -> None:
    """Send urgent alerts and escalate urgent submissions nobody has picked up, retrying failed alerts with
    back-off, until stopped (SIGTERM or Ctrl+C). Run it beside the web server, e.g. as a systemd service."""
    routes = notifications.channels(current_app.config["SCREENING"])
    if once:
        escalated, outcome = worker.run_once()
        click.echo(
            f"Escalated {len(escalated)}; sent {outcome.sent}, failed {outcome.failed}; "
            f"{outcome.pending} still waiting."
        )
        if outcome.failed:
            raise click.exceptions.Exit(1)
        return
    click.echo(
        f"Alert worker started: routes {', '.join(routes) or 'none (urgent alerts are off)'}; "
        f"a pass every {interval:g} s. Stop with Ctrl+C."
    )
    stop = threading.Event()
    worker.stop_on_signals(stop)
    worker.run_forever(stop, interval=interval, report=lambda line: click.echo(f"[worker] {line}"))
    click.echo("Alert worker stopped.")


@click.command("send-test-alert")
def send_test_alert() -> None:
    """Send a test alert through every configured route (reference KT-TEST-ALERT, no patient data), and a signed
    ``submission.test`` event when SCREENING_SUBMISSION_WEBHOOK_URL is set, to check the settings before go-live.
    Exits with status 1 unless every route delivered it."""
    routes = notifications.channels(current_app.config["SCREENING"])
    if not routes:
        raise click.ClickException(
            "No alert route is configured (SCREENING_ONCALL_EMAIL, "
            "SCREENING_ALERT_WEBHOOK_URL) or SCREENING_URGENT_ALERTS is off"
        )
    outcome = notifications.send_test()
    for route, problem in outcome.items():
        click.echo(f"  {route}: {'delivered' if problem is None else 'FAILED: ' + problem}")
    if any(problem is not None for problem in outcome.values()):
        raise click.exceptions.Exit(1)


@click.command("demo-data")
def demo_data() -> None:
    """Add sample submissions (the vignettes of clinical-rules.md) to a development database."""
    if current_app.config["SCREENING"]["ENV"] == "production":
        raise click.ClickException("demo-data is for development databases only")
    from screening.demo import add_demo_staff, add_demo_submissions

    for reference, flags in add_demo_submissions():
        click.echo(f"  submission {reference}: {flags} flag(s)")
    click.echo("Demo staff accounts (development only; each sets up an authenticator app at first sign-in):")
    for email, role, password in add_demo_staff():
        click.echo(f"  {role:10} {email}  password: {password}")


@click.command("demo-accounts")
def demo_accounts() -> None:
    """Show the demo staff accounts again, resetting their passwords and authenticators so they work as printed."""
    if current_app.config["SCREENING"]["ENV"] == "production":
        raise click.ClickException("demo-accounts is for development databases only")
    from screening.demo import reset_demo_staff

    click.echo(
        "Demo staff accounts (development only; passwords reset, each sets up an authenticator app again at its "
        "next sign-in):"
    )
    for email, role, password in reset_demo_staff():
        click.echo(f"  {role:10} {email}  password: {password}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_database(path: Path, force: bool) -> None:
    """Back up the database to PATH (readable by its owner only): SQLite with its online backup API, safe while
    the app runs; PostgreSQL with pg_dump -Fc. Check it with restore-check."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        if backup.backend(url) == "postgresql":
            click.echo("PostgreSQL: running pg_dump -Fc (custom format) ...")
            written = backup.backup_postgresql(url, path, force=force)
        else:
            written = backup.backup_sqlite(backup.sqlite_path(url), path, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up: {written.how}.\nWrote {written.path} ({written.size} bytes, mode 0600).")


@click.command("restore-check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def restore_check_command(path: Path) -> None:
    """Open the backup at PATH and compare it with the live database: rows per table, and a hash of every
    submission's answers. Exits 1 if it cannot be opened or a submission in both differs."""
    from screening.extensions import db

    tables = [table.name for table in db.metadata.sorted_tables]
    try:
        if restore_check.backup_kind(path) == "sqlite":
            saved, how = restore_check.sqlite_snapshot(path, tables), "SQLite database, opened read-only"
        else:
            saved, how = restore_check.pg_dump_snapshot(path, current_app.config["SQLALCHEMY_DATABASE_URI"], tables)
        with db.engine.connect() as connection:
            live = restore_check.live_snapshot(connection, tables)
    except backup.BackupError as error:
        raise click.ClickException(f"Restore check FAILED: {path}: {error}") from error
    click.echo(f"Backup {path} ({how}) against the live database:")
    comparison = restore_check.compare(saved, live)
    for line in restore_check.report(comparison):
        click.echo(line)
    if not comparison.passed:
        raise click.exceptions.Exit(1)


class _Moment(click.ParamType[datetime]):
    """A date (midnight UTC) or an ISO 8601 time, as an aware UTC datetime (``fhir_bulk.parse_moment``)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return fhir_bulk.parse_moment(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


@click.command("export-fhir")
@click.option("--since", required=True, type=_Moment(), help="Submissions sent from this date or time on (UTC).")
@click.option("--until", type=_Moment(), help="...and before this date or time (UTC; not included). Default: now.")
@click.option("--force", is_flag=True, help="Replace the files of an earlier export in OUT_DIR.")
@click.argument("out_dir", metavar="OUT_DIR", type=click.Path(file_okay=False, path_type=Path))
def export_fhir(since: datetime, until: datetime | None, force: bool, out_dir: Path) -> None:
    """Write the submissions sent in a period as FHIR R4 NDJSON files (Bulk Data layout: one file per resource
    type and manifest.json) into OUT_DIR, readable by their owner only. Dates are UTC days: --since 2026-11-01
    --until 2026-12-01 is November."""
    until = until or clock.now()
    if until <= since:
        raise click.UsageError(f"--until ({fhir_bulk.iso(until)}) must be later than --since ({fhir_bulk.iso(since)})")
    started = time.perf_counter()
    try:
        result = fhir_bulk.export(out_dir, since, until, locale=current_app.config["SCREENING"]["LOCALE"], force=force)
    except fhir_bulk.BulkExportError as error:
        raise click.ClickException(str(error)) from error
    noun = "submission" if result.submissions == 1 else "submissions"
    click.echo(
        f"Exported {result.submissions} {noun} sent from {fhir_bulk.iso(since)} to before {fhir_bulk.iso(until)} "
        f"into {out_dir} in {time.perf_counter() - started:.1f} s (files mode 0600):"
    )
    for kind in fhir_bulk.RESOURCE_TYPES:
        click.echo(f"  {fhir_bulk.file_name(kind):30} {result.counts[kind]:>9} resource(s)")
    click.echo(f"  {fhir_bulk.MANIFEST}")


@click.command("rules")
def print_rules() -> None:
    """Print the rule catalogue as a table for clinical review."""
    from screening.rules import catalogue_table

    click.echo(catalogue_table())


def register(app: Flask) -> None:
    for command in (
        create_staff,
        purge_expired,
        purge,
        run_worker,
        send_test_alert,
        demo_data,
        demo_accounts,
        print_rules,
        backup_database,
        restore_check_command,
        export_fhir,
    ):
        app.cli.add_command(command)
