"""How many submissions have each status, kept by the database itself: triggers on ``submission`` (a new row, a
status change, a deleted row) keep ``submission_status_count`` (``models.SubmissionStatusCount``) in step, in the
same transaction as the change, whichever code path (or SQL) makes it. The queue's status counts then read six rows
instead of every submission (issue 17).

``TRIGGERS`` is the DDL for each database (SQLite, PostgreSQL), run after every ``create_all`` (``models``; so it
may run again on a database that has them) and by
migration 0011 (which holds its own copy, as migrations must). On PostgreSQL the function touches the two rows of a
status change in the order of their status names, so two opposite changes cannot deadlock. A migration that rebuilds
the ``submission`` table on SQLite (``batch_alter_table`` copies it) drops its triggers: it must create them again
(``tests/app/test_status_counts.py`` fails until it does).
"""

from __future__ import annotations

SQLITE = (
    """CREATE TRIGGER IF NOT EXISTS submission_status_count_insert AFTER INSERT ON submission BEGIN
    INSERT INTO submission_status_count (status, total) VALUES (NEW.status, 1)
    ON CONFLICT (status) DO UPDATE SET total = total + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS submission_status_count_update AFTER UPDATE OF status ON submission
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE submission_status_count SET total = total - 1 WHERE status = OLD.status;
    INSERT INTO submission_status_count (status, total) VALUES (NEW.status, 1)
    ON CONFLICT (status) DO UPDATE SET total = total + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS submission_status_count_delete AFTER DELETE ON submission BEGIN
    UPDATE submission_status_count SET total = total - 1 WHERE status = OLD.status;
END""",
)

POSTGRESQL = (
    """CREATE OR REPLACE FUNCTION submission_status_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status < OLD.status THEN
        INSERT INTO submission_status_count (status, total) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET total = submission_status_count.total + 1;
        UPDATE submission_status_count SET total = total - 1 WHERE status = OLD.status;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE submission_status_count SET total = total - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO submission_status_count (status, total) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET total = submission_status_count.total + 1;
    END IF;
    RETURN NULL;
END
$$""",
    "DROP TRIGGER IF EXISTS submission_status_count_insert_delete ON submission",
    "DROP TRIGGER IF EXISTS submission_status_count_update ON submission",
    """CREATE TRIGGER submission_status_count_insert_delete AFTER INSERT OR DELETE ON submission
FOR EACH ROW EXECUTE FUNCTION submission_status_count_keep()""",
    """CREATE TRIGGER submission_status_count_update AFTER UPDATE OF status ON submission
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION submission_status_count_keep()""",
)

TRIGGERS = {"sqlite": SQLITE, "postgresql": POSTGRESQL}
