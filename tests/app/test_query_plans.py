"""Every query of the staff pages can use an index (issue 17): each page that lists rows (the queue with each filter,
its next page, searches, the audit log and its filters, the staff accounts, the reports) and a submission's page and
printable summary is requested by a signed-in member of staff over ``ROWS`` submissions (flags, review events, an
audit event each); every SELECT it really ran (``before_cursor_execute``) is explained on the database it ran on.

- SQLite: ``EXPLAIN QUERY PLAN`` may not read a large table (submission, flag, review_event, audit_event,
  notification) with a bare ``SCAN <table>``: each is a SEARCH, or, in a statement with a LIMIT, a SCAN in index
  order (``USING INDEX``: a page read in the index's order stops after its rows). A SCAN of an index without a
  LIMIT reads all of it, and fails too.
- PostgreSQL: ``EXPLAIN (FORMAT JSON)`` after ``VACUUM ANALYZE`` (the statistics autovacuum keeps), with the
  planner free to choose (sequential scans allowed): no "Seq Scan" of a large table. A realistic plan, not one
  forced with ``enable_seqscan = off``: what the live database would run.

The exceptions, each with its reason, are ``ALLOWED_SCANS``. Runs on SQLite and, in the PostgreSQL pass, on
PostgreSQL (``SCREENING_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening.extensions import db
from screening.models import Role
from screening.staff import queue as review_queue
from tests.app import query_helpers
from tests.app.auth import csrf_token, sign_in

ROWS = 10_000
LARGE = ("submission", "flag", "review_event", "audit_event", "notification")
#: (page, table) pairs where reading the whole table is the right plan, and why (none at present).
ALLOWED_SCANS: dict[tuple[str, str], str] = {}
_PAGE_LINK = re.compile(r'href="(/staff/\?[^"]*page=[^"]+)"')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> FlaskClient:
    staff = sign_in(client, app, Role.ADMIN, also=(Role.CLINICIAN,))
    with app.app_context():
        query_helpers.seed(ROWS, staff_id=staff.id)
    return client


def _pages(client: FlaskClient) -> Iterator[tuple[str, Callable[[], Any]]]:
    reference = query_helpers.submission_row(ROWS // 2, random.Random(0))["reference"]
    token = csrf_token(client.get("/staff/password").get_data(as_text=True))

    def search(term: str) -> Callable[[], Any]:
        return lambda: client.post("/staff/search", data={"q": term, "csrf_token": token})

    first = client.get("/staff/").get_data(as_text=True)
    following = _PAGE_LINK.search(first)
    assert following is not None, "the open queue has a next page"
    yield "queue", lambda: client.get("/staff/")
    yield "queue, next page", lambda: client.get(following.group(1).replace("&amp;", "&"))
    yield "queue, every status", lambda: client.get("/staff/?status=all")
    yield "queue, one status", lambda: client.get("/staff/?status=not_suitable")
    yield "queue, severity", lambda: client.get("/staff/?severity=discuss")
    yield "queue, every status and severity", lambda: client.get("/staff/?status=all&severity=urgent")
    yield "queue, dates", lambda: client.get("/staff/?from=2026-01-03&to=2026-01-04")
    yield "search by name", search("belcor")
    yield "search by reference", search(reference)
    yield "search by email", search(f"person{ROWS // 2}@example.org")
    yield "search by phone", search("020 7946 0123")
    yield "search by date of birth", search("1970-05-05")
    yield "submission page", lambda: client.get(f"/staff/submissions/{reference}")
    yield "printable summary", lambda: client.get(f"/staff/submissions/{reference}/summary")
    yield "audit log", lambda: client.get("/staff/admin/audit")
    yield "audit log, by action", lambda: client.get("/staff/admin/audit?action=submission.created")
    yield "audit log, by family", lambda: client.get("/staff/admin/audit?action=submission.*")
    yield "audit log, by reference", lambda: client.get(f"/staff/admin/audit?reference={reference}")
    yield "audit log, by date", lambda: client.get("/staff/admin/audit?date_from=2026-01-05&date_to=2026-01-05")
    yield "staff accounts", lambda: client.get("/staff/admin/staff")


def _sqlite_scans(plan: str, sql: str) -> list[str]:
    """The large tables a SQLite plan reads whole: ``SCAN table``, or a SCAN of one of its indexes in a statement
    without a LIMIT (a page read in index order stops after its rows; anything else reads the whole index)."""
    paged = " LIMIT " in sql
    return [
        table
        for line in plan.splitlines()
        for table in LARGE
        if re.fullmatch(rf"SCAN {table}(?: AS \w+)?", line.strip())
        or (not paged and re.fullmatch(rf"SCAN {table}(?: AS \w+)? USING .*", line.strip()))
    ]


def _postgresql_scans(plan: str) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in LARGE:
                found.append(node["Relation Name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(plan))
    return found


def _outline(plan: str) -> str:
    lines: list[str] = []

    def walk(node: Any, depth: int) -> None:
        name = " ".join(str(node.get(key, "")) for key in ("Node Type", "Relation Name", "Index Name", "Index Cond"))
        lines.append("  " * depth + name)
        for child in node.get("Plans", []):
            walk(child, depth + 1)

    walk(json.loads(plan)[0]["Plan"], 0)
    return "\n".join(lines)


def test_every_query_of_the_staff_pages_can_use_an_index(app: Flask, seeded: FlaskClient) -> None:
    with app.app_context():
        engine = db.engine
    postgresql = engine.dialect.name == "postgresql"
    problems: list[str] = []
    explained = 0
    for name, request in _pages(seeded):
        with query_helpers.recording(engine) as recorded:
            response = request()
        assert response.status_code == 200, (name, response.status_code)
        with app.app_context():
            for sql, parameters in recorded.selects:
                plan = query_helpers.plan(sql, parameters)
                explained += 1
                scans = _postgresql_scans(plan) if postgresql else _sqlite_scans(plan, sql)
                scans = [table for table in scans if (name, table) not in ALLOWED_SCANS]
                if scans:
                    problems.append(f"{name}: reads {', '.join(scans)} whole\n  {sql}\n  {plan}")
                if os.environ.get("SHOW_PLANS"):  # SHOW_PLANS=1 pytest -s: every plan, to read
                    sys.stdout.write(f"== {name}\n{sql[:300]}\n{plan if not postgresql else _outline(plan)}\n")
    assert explained > 40
    assert not problems, "\n\n".join(problems)


def _page_plan(app: Flask, request: Callable[[], Any], marker: str) -> str:
    with app.app_context():
        engine = db.engine
    with query_helpers.recording(engine) as recorded:
        assert request().status_code == 200
    found = [(sql, parameters) for sql, parameters in recorded.selects if " LIMIT " in sql and marker in sql]
    assert len(found) == 1, recorded.listing()
    with app.app_context():
        return query_helpers.plan(*found[0])


def test_a_later_page_starts_at_its_cursor(app: Flask, seeded: FlaskClient) -> None:
    """The queue's next page and the audit log's older page seek to the cursor in the index (``paging.seek``)
    instead of reading it from the start: on SQLite a SEARCH with a range, on PostgreSQL an index condition."""
    first = seeded.get("/staff/?status=all").get_data(as_text=True)
    following = _PAGE_LINK.search(first)
    assert following is not None
    queue_plan = _page_plan(app, lambda: seeded.get(following.group(1).replace("&amp;", "&")), "flag_count")
    older = re.search(
        r'href="(/staff/admin/audit\?before=\d+)"', seeded.get("/staff/admin/audit").get_data(as_text=True)
    )
    assert older is not None
    audit_plan = _page_plan(app, lambda: seeded.get(older.group(1)), "audit_event.details")
    for plan in (queue_plan, audit_plan):
        if db_is_postgresql(app):
            assert '"Index Cond"' in plan and "Seq Scan" not in plan, plan
        else:
            assert plan.startswith("SEARCH") and ("<" in plan or ">" in plan), plan


def db_is_postgresql(app: Flask) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_the_open_queue_reads_its_partial_index(app: Flask, seeded: FlaskClient) -> None:
    """The default queue (the open statuses) is read from ``ix_submission_open_queue`` in its order: no sort."""
    with app.app_context():
        engine = db.engine
    with query_helpers.recording(engine) as recorded:
        assert seeded.get("/staff/").status_code == 200
    queue_sql = [(sql, parameters) for sql, parameters in recorded.selects if "LIMIT" in sql and "flag_count" in sql]
    assert len(queue_sql) == 1, recorded.listing()
    with app.app_context():
        plan = query_helpers.plan(*queue_sql[0])
    assert "ix_submission_open_queue" in plan, plan
    assert "TEMP B-TREE" not in plan and '"Node Type": "Sort"' not in plan, plan


def test_the_partial_index_condition_is_the_open_statuses() -> None:
    """The partial index's condition (``models.OPEN_STATUSES_SQL``) names the queue's open statuses."""
    from screening.models import OPEN_STATUSES_SQL

    assert OPEN_STATUSES_SQL == "status IN ({})".format(
        ", ".join(f"'{status.value}'" for status in review_queue.OPEN_STATUSES)
    )
