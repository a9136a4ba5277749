"""Come back from any device, and settings an administrator changes in the app.

A draft can carry a resume code and an emailed link's token (each stored only as a SHA-256), with a count of wrong
tries and a lock; wrong tries are also kept per address (``resume_failure``) for a short while. ``clinic_setting``
holds settings changed in the app, such as pausing new forms with the clinic's message. Existing drafts have no code.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 (reviewed by hand)

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('resume_link_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('resume_failures', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resume_locked_until', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE draft SET resume_failures = 0")
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.alter_column('resume_failures', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_draft_resume_code_hash'), ['resume_code_hash'])
        batch_op.create_unique_constraint(batch_op.f('uq_draft_resume_link_hash'), ['resume_link_hash'])

    op.create_table(
        'resume_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('remote_addr', sa.String(length=45), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resume_failure')),
    )
    with op.batch_alter_table('resume_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resume_failure_remote_addr'), ['remote_addr'], unique=False)
        batch_op.create_index(batch_op.f('ix_resume_failure_at'), ['at'], unique=False)

    op.create_table(
        'clinic_setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_clinic_setting_updated_by_id_staff_user')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_clinic_setting')),
    )


def downgrade():
    op.drop_table('clinic_setting')
    with op.batch_alter_table('resume_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resume_failure_at'))
        batch_op.drop_index(batch_op.f('ix_resume_failure_remote_addr'))
    op.drop_table('resume_failure')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_draft_resume_link_hash'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_draft_resume_code_hash'), type_='unique')
        batch_op.drop_column('resume_locked_until')
        batch_op.drop_column('resume_failures')
        batch_op.drop_column('resume_link_hash')
        batch_op.drop_column('resume_code_hash')
