"""Flask commands: ``purge-expired`` (drafts past their lifetime), ``demo-data`` (sample submissions for
a development database) and ``rules`` (print the rule catalogue)."""

from __future__ import annotations

import click
from flask import Flask, current_app

from screening import services


@click.command("purge-expired")
def purge_expired() -> None:
    """Delete drafts past their lifetime (SCREENING_DRAFT_DAYS). Run it daily, e.g. from cron."""
    click.echo(f"Deleted {services.purge_expired_drafts()} expired draft(s).")


@click.command("demo-data")
def demo_data() -> None:
    """Add sample submissions (the vignettes of clinical-rules.md) to a development database."""
    if current_app.config["SCREENING"]["ENV"] == "production":
        raise click.ClickException("demo-data is for development databases only")
    from screening.demo import add_demo_submissions

    for reference, flags in add_demo_submissions():
        click.echo(f"  {reference}: {flags} flag(s)")


@click.command("rules")
def print_rules() -> None:
    """Print the rule catalogue as a table for clinical review."""
    from screening.rules import catalogue_table

    click.echo(catalogue_table())


def register(app: Flask) -> None:
    for command in (purge_expired, demo_data, print_rules):
        app.cli.add_command(command)
