"""Backups and the restore check (issue 15 item 7): ``flask backup PATH`` writes an owner-only copy taken with the
SQLite online backup API (consistent while another connection writes) or ``pg_dump -Fc``; ``flask restore-check
PATH`` passes when every submission in both has the same answers, reports rows added or deleted since, and fails on a
changed answer, a damaged file or something that is not a backup. The PostgreSQL tests run when the test database is
PostgreSQL (``SCREENING_TEST_DATABASE_URL``)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url, text
from sqlalchemy.exc import ProgrammingError

from screening import backup, private_files, restore_check
from screening.extensions import db
from tests.app.admin_helpers import add_submission, flask_command
from tests.conftest import TEST_DATABASE_URL

ON_POSTGRESQL = make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql" if TEST_DATABASE_URL else False
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite backup path")
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs SCREENING_TEST_DATABASE_URL (PostgreSQL)")


PAIR_ROW = "INSERT INTO audit_event (at, action, details) VALUES ('2030-01-01 00:00:00', 'test.pair', '{}')"


def live_file(app: Flask) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or "")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def two(app: Flask) -> list[str]:
    """Two submissions, their references."""
    return [add_submission(app), add_submission(app, full_name="Second Patient", peg_pain=9)]


def test_backup_then_restore_check_matches(app: Flask, two: list[str], tmp_path: Path) -> None:
    target = tmp_path / "nightly.backup"
    made = flask_command(app, "backup", str(target))
    assert made.exit_code == 0, made.output
    assert mode(target) == 0o600
    checked = flask_command(app, "restore-check", str(target))
    assert checked.exit_code == 0, checked.output
    assert "Backup has 2 submissions, live has 2: 2 in both, 0 added since the backup, 0 deleted" in checked.output
    assert "Restore check passed" in checked.output
    backup_hash, live_hash = (
        line.split()[-1] for line in checked.output.splitlines() if line[:9] in ("  backup ", "  live   ")
    )
    assert backup_hash == live_hash and len(backup_hash) == 64
    assert "submission" in checked.output and "audit_event" in checked.output  # the table of counts


def test_restore_check_passes_an_older_backup_and_says_what_was_added(
    app: Flask, two: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "older.backup"
    assert flask_command(app, "backup", str(target)).exit_code == 0
    add_submission(app, full_name="Third Patient")
    checked = flask_command(app, "restore-check", str(target))
    assert checked.exit_code == 0, checked.output
    assert "Backup has 2 submissions, live has 3: 2 in both, 1 added since the backup" in checked.output


@sqlite_only
def test_restore_check_fails_on_a_changed_answer(app: Flask, two: list[str], tmp_path: Path) -> None:
    target = tmp_path / "tampered.backup"
    assert flask_command(app, "backup", str(target)).exit_code == 0
    with sqlite3.connect(target) as tamper:
        changed = tamper.execute(
            "UPDATE submission SET answers = json_set(answers, '$.peg_pain', 2) WHERE reference = ?", (two[1],)
        )
        assert changed.rowcount == 1
    checked = flask_command(app, "restore-check", str(target))
    assert checked.exit_code == 1
    assert f"Restore check FAILED: 1 submission(s) differ between the backup and the live database: {two[1]}" in (
        checked.output
    )
    assert two[0] not in checked.output.split("FAILED", 1)[1]


def test_restore_check_fails_on_what_is_not_a_backup(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("not a backup")
    checked = flask_command(app, "restore-check", str(target))
    assert checked.exit_code == 1
    assert "neither an SQLite database nor a pg_dump custom-format archive" in checked.output
    missing = flask_command(app, "restore-check", str(tmp_path / "missing.backup"))
    assert missing.exit_code == 1 and "cannot open" in missing.output


@sqlite_only
def test_restore_check_fails_on_a_damaged_sqlite_backup(app: Flask, two: list[str], tmp_path: Path) -> None:
    target = tmp_path / "damaged.backup"
    assert flask_command(app, "backup", str(target)).exit_code == 0
    data = bytearray(target.read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # zero the second half of the pages
    target.write_bytes(bytes(data))
    checked = flask_command(app, "restore-check", str(target))
    assert checked.exit_code == 1
    assert "Restore check FAILED" in checked.output


def test_backup_refuses_to_overwrite_unless_forced(app: Flask, two: list[str], tmp_path: Path) -> None:
    target = tmp_path / "existing.backup"
    target.write_text("yesterday's")
    refused = flask_command(app, "backup", str(target))
    assert refused.exit_code == 1
    assert "already exists" in refused.output and "--force" in refused.output
    assert target.read_text() == "yesterday's"
    forced = flask_command(app, "backup", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert mode(target) == 0o600
    assert restore_check.backup_kind(target) in ("sqlite", "pg_dump")
    assert list(tmp_path.glob(".existing.backup*")) == []  # no partial file left behind


def test_backup_refuses_a_missing_or_unusable_directory(app: Flask, tmp_path: Path) -> None:
    missing = flask_command(app, "backup", str(tmp_path / "no-such-dir" / "x.backup"))
    assert missing.exit_code == 1 and "does not exist" in missing.output
    (tmp_path / "a-file").write_text("")
    under_file = flask_command(app, "backup", str(tmp_path / "a-file" / "x.backup"))
    assert under_file.exit_code == 1 and "does not exist" in under_file.output
    directory = flask_command(app, "backup", str(tmp_path))
    assert directory.exit_code != 0


def test_backup_into_an_unwritable_directory_says_so(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**_: Any) -> tuple[int, str]:  # as for a directory without write permission (the tests run as root)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(private_files.tempfile, "mkstemp", refused)
    result = flask_command(app, "backup", str(tmp_path / "x.backup"))
    assert result.exit_code == 1
    assert f"cannot write in {tmp_path}: Permission denied" in result.output


def test_backup_onto_a_file_system_without_hard_links(
    app: Flask, two: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: Any) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(backup.os, "link", no_links)
    target = tmp_path / "vfat.backup"
    assert flask_command(app, "backup", str(target)).exit_code == 0
    assert mode(target) == 0o600 and restore_check.backup_kind(target) in ("sqlite", "pg_dump")
    assert list(tmp_path.glob(".vfat.backup*")) == []
    assert flask_command(app, "backup", str(target)).exit_code == 1  # still never replaced without --force


def test_backup_is_owner_only_whatever_the_umask(app: Flask, two: list[str], tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        assert flask_command(app, "backup", str(tmp_path / "open-umask.backup")).exit_code == 0
    finally:
        os.umask(previous)
    assert mode(tmp_path / "open-umask.backup") == 0o600


@sqlite_only
def test_backup_while_another_connection_writes_is_consistent(app: Flask, two: list[str], tmp_path: Path) -> None:
    """A writer commits pairs of rows (in its write-ahead log, never checkpointed: it stays open) while the backup
    runs; the backup holds whole pairs only, at least as many as were committed before it started."""
    stop, started = threading.Event(), threading.Event()
    pairs = {"committed": 0}

    def write() -> None:
        with sqlite3.connect(live_file(app), timeout=5) as writer:
            while not stop.is_set():
                with writer:
                    for _ in range(2):
                        writer.execute(PAIR_ROW)
                pairs["committed"] += 1
                started.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert started.wait(5)
        before = pairs["committed"]
        written = backup.backup_sqlite(live_file(app), tmp_path / "busy.backup")
    finally:
        stop.set()
        thread.join(5)
    with sqlite3.connect(f"{written.path.as_uri()}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
        rows = copy.execute("SELECT count(*) FROM audit_event WHERE action = 'test.pair'").fetchone()[0]
        assert copy.execute("SELECT count(*) FROM submission").fetchone()[0] == 2
    assert rows % 2 == 0 and rows >= 2 * before > 0


def test_pg_dump_gets_the_password_in_its_environment_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(command: list[str], **options: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append((command, options["env"]))
        options["stdout"].write(b"PGDMP...")
        return subprocess.CompletedProcess(command, 0, b"", b"")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    url = "postgresql+psycopg://clinic:canary-s3cret@db.example.org:6543/screening?sslmode=verify-full"
    written = backup.backup_postgresql(url, tmp_path / "pg.backup")
    [(command, env)] = calls
    assert command == ["/usr/bin/pg_dump", "--format=custom", "--no-password"]
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.example.org",
        "6543",
        "clinic",
        "screening",
    )
    assert env["PGPASSWORD"] == "canary-s3cret" and env["PGSSLMODE"] == "verify-full"
    assert "canary" not in written.how and "db.example.org:6543 as clinic" in written.how
    assert mode(written.path) == 0o600 and written.path.read_bytes() == b"PGDMP..."


def test_pg_dump_missing_or_failing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump was not found on PATH: install the PostgreSQL client"):
        backup.backup_postgresql("postgresql+psycopg://u:p@h/d", tmp_path / "x.backup")
    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        backup.subprocess, "run", lambda command, **_: subprocess.CompletedProcess(command, 1, b"", b"no such host")
    )
    with pytest.raises(backup.BackupError, match="pg_dump failed: no such host"):
        backup.backup_postgresql("postgresql+psycopg://u:p@h/d", tmp_path / "x.backup")
    assert list(tmp_path.iterdir()) == []  # nothing half-written left


@postgresql_only
def test_postgresql_backup_runs_pg_dump_and_restore_check_restores_it(
    app: Flask, two: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "pg.backup"
    made = flask_command(app, "backup", str(target))
    assert made.exit_code == 0, made.output
    assert "pg_dump -Fc" in made.output and mode(target) == 0o600
    assert restore_check.backup_kind(target) == "pg_dump"  # (test_backup_then_restore_check_matches: it passes)
    with app.app_context():  # change a stored answer in the live database
        db.session.execute(
            text("UPDATE submission SET answers = CAST(:answers AS json) WHERE reference = :reference"),
            {"answers": '{"peg_pain": 1}', "reference": two[0]},
        )
        db.session.commit()
    changed = flask_command(app, "restore-check", str(target))
    assert changed.exit_code == 1
    assert f"differ between the backup and the live database: {two[0]}" in changed.output
    assert "pg_restore into a scratch database" in changed.output
    with app.app_context():  # the scratch database was dropped
        left = db.session.execute(
            text("SELECT count(*) FROM pg_database WHERE datname LIKE 'screening_restore_check_%'")
        )
        assert left.scalar() == 0


@postgresql_only
def test_postgresql_restore_check_without_createdb_lists_and_fails(
    app: Flask, two: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pg.backup"
    assert flask_command(app, "backup", str(target)).exit_code == 0
    real = restore_check._execute

    def no_createdb(engine: Any, statement: str) -> None:
        if statement.startswith("CREATE DATABASE"):  # as for an account without CREATEDB
            raise ProgrammingError(statement, {}, Exception("permission denied to create database"))
        real(engine, statement)

    monkeypatch.setattr(restore_check, "_execute", no_createdb)
    checked = flask_command(app, "restore-check", str(target))
    assert checked.exit_code == 1
    assert "the archive is readable (" in checked.output and "but was NOT compared" in checked.output


def test_answer_digest_is_the_same_for_stored_text_and_parsed_answers_in_any_key_order() -> None:
    parsed = {"peg_pain": 6, "full_name": "Zoë Example", "pain_locations": ["legs", "back"]}
    stored = '{"pain_locations": ["legs", "back"], "full_name": "Zo\\u00eb Example", "peg_pain": 6}'
    assert restore_check.answer_digest("KT-AAAA-BBBB", parsed) == restore_check.answer_digest("KT-AAAA-BBBB", stored)
    assert restore_check.answer_digest("KT-AAAA-BBBB", parsed) != restore_check.answer_digest("KT-AAAA-BBBC", parsed)
    assert restore_check.answer_digest("KT-AAAA-BBBB", parsed) != restore_check.answer_digest(
        "KT-AAAA-BBBB", {**parsed, "pain_locations": ["back", "legs"]}
    )
