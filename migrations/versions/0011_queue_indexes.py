"""Indexes for the queue, its filters and the audit log (issue 17): pages read in index order.

The queue is ordered by priority (highest first), then submitted_at, then reference. Three indexes hold that order:
``ix_submission_queue`` (every status; also the urgent counter), ``ix_submission_status_queue`` (one status, led by
status; also the status counts) and ``ix_submission_open_queue``, partial, over the open statuses only (new, in
review, awaiting patient: the default queue). The two composite ones replace the single-column indexes on status
and priority, which they begin with. The urgent counter gets (priority, picked_up_at, status,
submitted_at), which answers it from the index; ``superseded_by_id`` a partial index (a submission's page lists the
ones it supersedes; almost every row has none). The audit log's action filter gets (action, at, id)
in place of the index on action alone.

``submission_status_count`` holds how many submissions have each status, filled here and kept by triggers on
``submission`` (``screening/status_counts.py``), so the queue's counts read six rows, not every submission.

Plain CREATE INDEX inside the migration's transaction, on both databases (CONCURRENTLY cannot run in a
transaction): on PostgreSQL it blocks writes to the table while it builds, a few seconds at 100,000 submissions.
Downgrade restores the old single-column indexes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 (reviewed by hand)

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OPEN_STATUSES_SQL = "status IN ('new', 'in_review', 'awaiting_patient')"  # as screening.models has it

#: The triggers that keep submission_status_count (a copy of screening/status_counts.py as it was for 0011).
SQLITE_TRIGGERS = (
    """CREATE TRIGGER submission_status_count_insert AFTER INSERT ON submission BEGIN
    INSERT INTO submission_status_count (status, total) VALUES (NEW.status, 1)
    ON CONFLICT (status) DO UPDATE SET total = total + 1;
END""",
    """CREATE TRIGGER submission_status_count_update AFTER UPDATE OF status ON submission
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE submission_status_count SET total = total - 1 WHERE status = OLD.status;
    INSERT INTO submission_status_count (status, total) VALUES (NEW.status, 1)
    ON CONFLICT (status) DO UPDATE SET total = total + 1;
END""",
    """CREATE TRIGGER submission_status_count_delete AFTER DELETE ON submission BEGIN
    UPDATE submission_status_count SET total = total - 1 WHERE status = OLD.status;
END""",
)

POSTGRESQL_TRIGGERS = (
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
    """CREATE TRIGGER submission_status_count_insert_delete AFTER INSERT OR DELETE ON submission
FOR EACH ROW EXECUTE FUNCTION submission_status_count_keep()""",
    """CREATE TRIGGER submission_status_count_update AFTER UPDATE OF status ON submission
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION submission_status_count_keep()""",
)


def upgrade():
    op.create_table(
        'submission_status_count',
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('status', name=op.f('pk_submission_status_count')),
    )
    op.execute(
        'INSERT INTO submission_status_count (status, total) SELECT status, count(*) FROM submission GROUP BY status'
    )
    dialect = op.get_bind().dialect.name
    for statement in {'sqlite': SQLITE_TRIGGERS, 'postgresql': POSTGRESQL_TRIGGERS}.get(dialect, ()):
        op.execute(statement)
    op.create_index('ix_submission_queue', 'submission', [sa.text('priority DESC'), 'submitted_at', 'reference'])
    op.create_index(
        'ix_submission_status_queue', 'submission', ['status', sa.text('priority DESC'), 'submitted_at', 'reference']
    )
    op.create_index(
        'ix_submission_open_queue',
        'submission',
        [sa.text('priority DESC'), 'submitted_at', 'reference'],
        sqlite_where=sa.text(OPEN_STATUSES_SQL),
        postgresql_where=sa.text(OPEN_STATUSES_SQL),
    )
    op.drop_index('ix_submission_status', table_name='submission')
    op.drop_index('ix_submission_priority', table_name='submission')
    op.create_index(
        'ix_submission_urgent_waiting', 'submission', ['priority', 'picked_up_at', 'status', 'submitted_at']
    )
    op.create_index(
        'ix_submission_superseded_by_id',
        'submission',
        ['superseded_by_id'],
        sqlite_where=sa.text('superseded_by_id IS NOT NULL'),
        postgresql_where=sa.text('superseded_by_id IS NOT NULL'),
    )
    op.create_index('ix_audit_event_action_at', 'audit_event', ['action', 'at', 'id'])
    op.drop_index('ix_audit_event_action', table_name='audit_event')


def downgrade():
    for trigger in (
        'submission_status_count_insert',
        'submission_status_count_update',
        'submission_status_count_delete',
        'submission_status_count_insert_delete',
    ):
        op.execute(
            f'DROP TRIGGER IF EXISTS {trigger} ON submission'
            if op.get_bind().dialect.name == 'postgresql'
            else f'DROP TRIGGER IF EXISTS {trigger}'
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS submission_status_count_keep()')
    op.drop_table('submission_status_count')
    op.create_index('ix_audit_event_action', 'audit_event', ['action'])
    op.drop_index('ix_audit_event_action_at', table_name='audit_event')
    op.drop_index('ix_submission_superseded_by_id', table_name='submission')
    op.drop_index('ix_submission_urgent_waiting', table_name='submission')
    op.create_index('ix_submission_priority', 'submission', ['priority'])
    op.create_index('ix_submission_status', 'submission', ['status'])
    op.drop_index('ix_submission_open_queue', table_name='submission')
    op.drop_index('ix_submission_status_queue', table_name='submission')
    op.drop_index('ix_submission_queue', table_name='submission')
