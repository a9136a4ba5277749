"""Acknowledgement history and one-time password expiry.

Every flag acknowledgement is kept as a review event (the flag keeps only the latest). Existing acknowledgements are copied into review events, so the history shows them as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 (reviewed by hand)

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ACKNOWLEDGEMENTS = ('discussed', 'not_relevant', 'needs_follow_up')


def upgrade():
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('acknowledgement', sa.Enum(*ACKNOWLEDGEMENTS, name='event_acknowledgement', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_review_event_flag_id'), ['flag_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_review_event_flag_id_flag'), 'flag', ['flag_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_expires_at', sa.DateTime(timezone=True), nullable=True))

    op.execute(
        "INSERT INTO review_event (submission_id, staff_id, at, note, flag_id, acknowledgement) "
        "SELECT submission_id, acknowledged_by_id, acknowledged_at, acknowledgement_note, id, acknowledgement "
        "FROM flag WHERE acknowledged_at IS NOT NULL AND acknowledged_by_id IS NOT NULL"
    )


def downgrade():
    op.execute("DELETE FROM review_event WHERE flag_id IS NOT NULL")

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('password_expires_at')

    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_event_flag_id_flag'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_review_event_event_acknowledgement'), type_='check')
        batch_op.drop_index(batch_op.f('ix_review_event_flag_id'))
        batch_op.drop_column('acknowledgement')
        batch_op.drop_column('flag_id')
