"""The urgent pathway: alert channels with back-off, picked-up urgent submissions, steps skipped by sending early.

Each outbox row is now one alert on one channel (email, webhook or file) with the time it may next be tried;
an alert exists once per (kind, reference, channel). Existing rows are email alerts, due now. A submission
records who picked it up (a clinician calling the patient) and when, and the steps the patient skipped by
sending early (none for existing submissions).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 (reviewed by hand)

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notification SET channel = 'email', next_attempt_at = created_at")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_notification_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_notification_kind'), ['kind', 'reference', 'channel'])

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped_steps', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('picked_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('picked_up_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submission_picked_up_by_id_staff_user'), 'staff_user', ['picked_up_by_id'], ['id'])
    op.execute("UPDATE submission SET skipped_steps = '[]'")
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('skipped_steps', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submission_picked_up_by_id_staff_user'), type_='foreignkey')
        batch_op.drop_column('picked_up_by_id')
        batch_op.drop_column('picked_up_at')
        batch_op.drop_column('skipped_steps')

    # an alert on several channels becomes one email alert again (the old outbox had one row per alert)
    op.execute("DELETE FROM notification WHERE channel <> 'email'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notification_kind'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_notification_next_attempt_at'))
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('channel')
