"""The restore check (``flask --app screening restore-check PATH``): open a backup and compare it with the live
database, table by table (row counts) and submission by submission (a SHA-256 of each one's reference and answers).

The decision, for an operator's weekly check: a backup **passes** when every submission present in both has the same
answers hash. Counts may differ: rows added since the backup are expected, and so are submissions deleted since it
by the retention purge; the report says how many of each ("backup has N submissions, live has M"). It **fails**
(exit status 1) when the backup cannot be opened or restored, or a submission in both differs.

- An SQLite backup is opened read-only, after SQLite's ``quick_check``.
- A PostgreSQL custom-format dump is restored with ``pg_restore`` into a scratch database that the check creates next
  to the live one and always drops (the database account needs CREATEDB). If it cannot create one, it reads the
  archive's table of contents (``pg_restore --list``), says that the contents were not compared, and fails.

The comparison (``take_snapshot``, ``compare``, ``report``) is pure: it reads rows through a query function.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy import table as sql_table
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from screening.backup import BackupError, describe_pg, pg_environment, pg_tool

Query = Callable[[str], Iterable[Sequence[Any]]]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
HASH_NOTE = "SHA-256 over each submission's reference and canonical JSON answers, in id order"
_SHOWN_DIFFERENCES = 20


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One database as the check sees it: rows per table (None: the table is missing) and, per submission
    reference, its id and answers digest."""

    counts: dict[str, int | None]
    answers: dict[str, tuple[int, str]]


@dataclass(frozen=True, slots=True)
class Comparison:
    backup: Snapshot
    live: Snapshot
    in_both: tuple[str, ...]  # references, in the live database's id order
    differing: tuple[str, ...]
    only_backup: int
    only_live: int

    @property
    def passed(self) -> bool:
        return not self.differing

    def combined_hash(self, side: Snapshot) -> str:
        """SHA-256 over the digests of the submissions in both, in id order."""
        digest = hashlib.sha256()
        for reference in self.in_both:
            digest.update(side.answers[reference][1].encode())
        return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """Answers as one canonical text: keys sorted, no spaces, characters as themselves."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def answer_digest(reference: str, answers: Any) -> str:
    """The SHA-256 of a submission's reference and answers (given parsed, or as the JSON text SQLite stores)."""
    parsed = json.loads(answers) if isinstance(answers, str | bytes) else answers
    return hashlib.sha256(f"{reference}\x00{canonical_json(parsed)}".encode()).hexdigest()


def take_snapshot(query: Query, tables: Sequence[str], present: set[str]) -> Snapshot:
    """Count the rows of each of ``tables`` found in ``present``, and digest every submission's answers."""
    if "submission" not in present:
        raise BackupError("it has no submission table: it is not a Screening database")
    counts: dict[str, int | None] = dict.fromkeys(tables)
    for table in present.intersection(tables):
        counts[table] = next(iter(query(str(select(func.count()).select_from(sql_table(table))))))[0]
    answers = {
        reference: (identifier, answer_digest(reference, value))
        for identifier, reference, value in query("SELECT id, reference, answers FROM submission ORDER BY id")
    }
    return Snapshot(counts, answers)


def compare(backup: Snapshot, live: Snapshot) -> Comparison:
    in_both = tuple(sorted(set(backup.answers) & set(live.answers), key=lambda reference: live.answers[reference][0]))
    differing = tuple(ref for ref in in_both if backup.answers[ref][1] != live.answers[ref][1])
    return Comparison(
        backup=backup,
        live=live,
        in_both=in_both,
        differing=differing,
        only_backup=len(set(backup.answers) - set(live.answers)),
        only_live=len(set(live.answers) - set(backup.answers)),
    )


def report(comparison: Comparison) -> list[str]:
    """The check's printed report: a table of row counts, the submissions in each, the hashes and the verdict."""
    backup, live = comparison.backup, comparison.live
    width = max(len(table) for table in live.counts)
    lines = [f"{'table':<{width}}  {'backup':>8}  {'live':>8}"]
    for table, count in live.counts.items():
        shown = "missing" if backup.counts.get(table) is None else str(backup.counts[table])
        lines.append(f"{table:<{width}}  {shown:>8}  {count if count is not None else 'missing':>8}")
    lines += [
        "",
        f"Backup has {len(backup.answers)} submissions, live has {len(live.answers)}: {len(comparison.in_both)} in "
        f"both, {comparison.only_live} added since the backup, {comparison.only_backup} deleted since it "
        "(e.g. by the retention purge).",
        f"Answers hash ({HASH_NOTE}) of the {len(comparison.in_both)} in both:",
        f"  backup {comparison.combined_hash(backup)}",
        f"  live   {comparison.combined_hash(live)}",
    ]
    if comparison.passed:
        lines.append("Restore check passed: every submission in both has the same answers.")
        return lines
    shown = ", ".join(comparison.differing[:_SHOWN_DIFFERENCES])
    more = len(comparison.differing) - _SHOWN_DIFFERENCES
    lines.append(
        f"Restore check FAILED: {len(comparison.differing)} submission(s) differ between the backup and the live "
        f"database: {shown}{f' and {more} more' if more > 0 else ''}"
    )
    return lines


# --- reading each side ---------------------------------------------------------------------------------------------
def backup_kind(path: Path) -> str:
    """``sqlite`` or ``pg_dump`` (custom format), from the file's first bytes."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot open {path}: {error.strerror or error}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise BackupError(f"{path} is neither an SQLite database nor a pg_dump custom-format archive")


def _connection_query(connection: Connection) -> Query:
    return lambda sql: connection.exec_driver_sql(sql).all()


def live_snapshot(connection: Connection, tables: Sequence[str]) -> Snapshot:
    """The live database, read through the app's engine (on PostgreSQL in one REPEATABLE READ transaction)."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    present = {name for (name,) in connection.exec_driver_sql(sql)}
    return take_snapshot(_connection_query(connection), tables, present)


def sqlite_snapshot(path: Path, tables: Sequence[str]) -> Snapshot:
    """An SQLite backup, opened read-only after ``PRAGMA quick_check``."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{path} is damaged (SQLite quick_check: {check})")
            present = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return take_snapshot(lambda sql: connection.execute(sql).fetchall(), tables, present)
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite cannot read {path}: {error}") from None


def _execute(engine: Engine, statement: str) -> None:
    with engine.connect() as connection:
        connection.execute(text(statement))


def _read_postgresql(url: URL, tables: Sequence[str]) -> Snapshot:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return live_snapshot(connection, tables)
    finally:
        engine.dispose()


def _pg_restore(path: Path, url: URL) -> None:
    command = [pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
    result = subprocess.run(  # noqa: S603 (fixed arguments; the connection is in the environment)
        [*command, "--no-password", "--dbname", url.database or "", str(path)],
        capture_output=True,
        env=pg_environment(url, os.environ),
        check=False,
    )
    if result.returncode != 0:
        # only pg_restore's own error lines: the server's DETAIL/CONTEXT lines may quote stored answers
        errors = [line for line in result.stderr.decode("utf-8", "replace").splitlines() if "error:" in line]
        raise BackupError(f"pg_restore could not restore {path}: {' / '.join(errors)[:300] or 'no message'}")


def _table_of_contents(path: Path) -> int:
    """How many tables' data ``pg_restore --list`` finds in the archive (a BackupError if it cannot read it)."""
    result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [pg_tool("pg_restore"), "--list", str(path)], capture_output=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore cannot read {path}: {result.stderr.decode('utf-8', 'replace').strip()}")
    return sum(" TABLE DATA " in line for line in result.stdout.decode("utf-8", "replace").splitlines())


def pg_dump_snapshot(path: Path, live_url: str, tables: Sequence[str]) -> tuple[Snapshot, str]:
    """Restore a pg_dump archive into a scratch database beside the live one, read it and drop it (whatever
    happens). Returns the snapshot and a sentence saying how it was read."""
    url = make_url(live_url)
    name = f"screening_restore_check_{secrets.token_hex(6)}"  # no input in it: safe to put in the statements
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        try:
            _execute(admin, f'CREATE DATABASE "{name}"')
        except SQLAlchemyError as error:
            data = _table_of_contents(path)
            raise BackupError(
                f"the archive is readable ({data} tables with data) but was NOT compared: no scratch database could "
                f"be created ({type(getattr(error, 'orig', None) or error).__name__}); give the database account "
                "CREATEDB"
            ) from None
        scratch = url.set(database=name)
        try:
            _pg_restore(path, scratch)
            snapshot = _read_postgresql(scratch, tables)
        finally:
            _execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
    return snapshot, f"pg_restore into a scratch database ({name} on {describe_pg(url).split(' on ', 1)[1]}), dropped"
