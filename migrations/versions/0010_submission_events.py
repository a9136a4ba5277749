"""Submission events for the submission webhook share the alert outbox.

``notification.event_key`` (not null, empty for alerts) tells apart a submission's many webhook events (created,
each status change), and ``notification.payload`` (JSON, nullable) keeps the status and severity at the event. The
unique constraint ``uq_notification_kind`` widens from (kind, reference, channel) to (kind, reference, channel,
event_key): an urgent alert still exists once per channel. Downgrade deletes the webhook events (their rows would
break the narrower constraint) and drops both columns.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 (reviewed by hand)

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_key', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('event_key', existing_type=sa.String(length=40), server_default=None)
        batch_op.drop_constraint(batch_op.f('uq_notification_kind'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_notification_kind'), ['kind', 'reference', 'channel', 'event_key']
        )


def downgrade():
    op.execute("DELETE FROM notification WHERE event_key <> ''")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notification_kind'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_notification_kind'), ['kind', 'reference', 'channel'])
        batch_op.drop_column('payload')
        batch_op.drop_column('event_key')
