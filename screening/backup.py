"""Taking backups (``flask --app screening backup PATH``): SQLite through its online backup API (a consistent
snapshot even while the app writes; never a file copy), PostgreSQL through ``pg_dump -Fc``. The file appears at PATH
only when complete (written beside it, then renamed) and is readable by its owner only (0600).

The PostgreSQL connection (host, port, user, database, TLS options) is given to ``pg_dump`` and ``pg_restore`` in
PG* environment variables, the password in PGPASSWORD: nothing of it appears on a command line (``ps``) or in the
output. Imports the standard library and SQLAlchemy's URL parser only (no Flask).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from screening import private_files

# Query parameters of a PostgreSQL URL that libpq also reads from the environment.
_PG_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "options": "PGOPTIONS",
}


class BackupError(Exception):
    """A backup or restore check cannot be done; the message says why and what to do (no secrets in it)."""


@dataclass(frozen=True, slots=True)
class Written:
    """What a backup wrote: the file, its size and a sentence for the operator."""

    path: Path
    size: int
    how: str


def backend(url: str) -> str:
    """``sqlite`` or ``postgresql`` (the two databases the settings accept)."""
    return make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    """The database file of an SQLite URL (an in-memory database cannot be backed up)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the database is in memory: there is nothing on disk to back up")
    return Path(database)


def pg_environment(url: str | URL, base: Mapping[str, str]) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: ``base`` with the URL's connection in PG* variables (the password in
    PGPASSWORD). Parts the URL leaves out keep libpq's own defaults and ``base``'s PG* values, as the app's driver
    (also libpq) does."""
    parsed = make_url(url) if isinstance(url, str) else url
    env = dict(base)
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", str(parsed.port) if parsed.port else None),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value:
            env[key] = str(value)
    for name, variable in _PG_QUERY_ENV.items():
        given = parsed.query.get(name)
        value = given[-1] if isinstance(given, tuple) else given
        if value:
            env[variable] = value
    return env


def describe_pg(url: str | URL) -> str:
    """``database screening on db.example.org:5432 as screening`` (no password)."""
    parsed = make_url(url) if isinstance(url, str) else url
    where = parsed.host or parsed.query.get("host") or "the local socket"
    port = f":{parsed.port}" if parsed.port else ""
    user = f" as {parsed.username}" if parsed.username else ""
    return f"database {parsed.database} on {where}{port}{user}"


def pg_tool(name: str) -> str:
    """The full path of ``pg_dump``/``pg_restore``, or a BackupError saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools matching the server's version "
            "(Debian: apt install postgresql-client)"
        )
    return found


# --- the target file -------------------------------------------------------------------------------------------------
def check_target(target: Path, *, force: bool) -> None:
    """Refuse a PATH that is a directory, exists (unless ``force``) or whose directory does not exist."""
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give a file name, e.g. {target / 'screening-backup'}")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists: give a new file name, or add --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")


def _partial(target: Path) -> Path:
    """An empty 0600 file beside ``target`` to write the backup into (renamed to ``target`` when complete)."""
    try:
        return private_files.partial_file(target.parent, target.name)
    except OSError as error:
        raise BackupError(f"cannot write in {target.parent}: {error.strerror or error}") from None


def _publish(partial: Path, target: Path, *, force: bool) -> int:
    """Move the finished backup to ``target`` (refusing to replace one that appeared meanwhile, unless ``force``)."""
    try:
        private_files.publish(partial, target, force=force)
    except FileExistsError:
        raise BackupError(f"{target} already exists: give a new file name, or add --force to replace it") from None
    return target.stat().st_size


# --- SQLite --------------------------------------------------------------------------------------------------------
def backup_sqlite(database: Path, target: Path, *, force: bool = False) -> Written:
    """Copy ``database`` to ``target`` with SQLite's online backup API, in one step: a consistent snapshot that
    includes every committed transaction (the write-ahead log too) while the app keeps writing. The copy uses a
    rollback journal (not WAL), so it is one self-contained file."""
    check_target(target, force=force)
    if not database.is_file():
        raise BackupError(f"the database file {database} does not exist")
    partial = _partial(target)
    try:
        source = sqlite3.connect(database)  # only read (a read-only open of a WAL file can fail)
        copy = sqlite3.connect(partial)
        try:
            source.execute("PRAGMA busy_timeout = 10000")
            source.backup(copy)  # pages=-1: all pages in one step, under one read transaction
            copy.execute("PRAGMA journal_mode = DELETE")
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
            source.close()
        size = _publish(partial, target, force=force)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not back up {database}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Written(target, size, f"SQLite online backup of {database} ({pages} pages)")


# --- PostgreSQL ----------------------------------------------------------------------------------------------------
def backup_postgresql(url: str, target: Path, *, force: bool = False) -> Written:
    """Run ``pg_dump -Fc`` (the custom format ``pg_restore`` reads) for the URL's database into ``target``."""
    check_target(target, force=force)
    command = [pg_tool("pg_dump"), "--format=custom", "--no-password"]
    partial = _partial(target)
    try:
        with partial.open("wb") as output:
            result = subprocess.run(  # noqa: S603 (fixed arguments; the connection is in the environment)
                command, stdout=output, stderr=subprocess.PIPE, env=pg_environment(url, os.environ), check=False
            )
        if result.returncode != 0:
            problem = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
            raise BackupError(f"pg_dump failed: {problem}")
        size = _publish(partial, target, force=force)
    finally:
        partial.unlink(missing_ok=True)
    return Written(target, size, f"pg_dump -Fc (custom format) of {describe_pg(url)}")
