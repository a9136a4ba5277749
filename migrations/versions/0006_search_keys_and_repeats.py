"""Finding people and repeat submissions: search keys on each submission, and "superseded by".

``name_key``, ``phone_key`` and ``email_key`` hold the patient's name, phone number and email address normalised
for search (``screening/search_keys.py``); existing submissions get theirs here, read in the clinic's region (the
``LOCALE`` setting of the app running the upgrade). Names are searched with ``LIKE '% token%'``: on PostgreSQL a
trigram GIN index (extension ``pg_trgm``, created if missing; trusted, so the database owner may create it), a
plain index elsewhere. ``superseded_by_id`` is a later submission of the same person that staff marked as
replacing this one. Downgrade drops the columns and indexes and leaves the extension (other things may use it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 (reviewed by hand)

"""
from alembic import op
import sqlalchemy as sa

from screening import search_keys


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _region():
    try:
        from flask import current_app

        return search_keys.region_of(current_app.config.get('SCREENING', {}).get('LOCALE', ''))
    except RuntimeError:  # outside an app context
        return search_keys.DEFAULT_REGION


def _backfill():
    submission = sa.table(
        'submission',
        sa.column('id', sa.Integer()),
        sa.column('full_name', sa.String()),
        sa.column('email', sa.String()),
        sa.column('answers', sa.JSON()),
        sa.column('name_key', sa.String()),
        sa.column('phone_key', sa.String()),
        sa.column('email_key', sa.String()),
    )
    connection = op.get_bind()
    region = _region()
    rows = connection.execute(sa.select(submission.c.id, submission.c.full_name, submission.c.email, submission.c.answers))
    for row_id, full_name, email, answers in rows.all():
        phone = answers.get('phone') if isinstance(answers, dict) else None
        connection.execute(
            submission.update()
            .where(submission.c.id == row_id)
            .values(
                name_key=search_keys.name_key(full_name or ''),
                phone_key=search_keys.phone_key(phone if isinstance(phone, str) else None, region),
                email_key=search_keys.email_key(email),
            )
        )


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=600), nullable=True))
        batch_op.add_column(sa.Column('phone_key', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('email_key', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
    _backfill()
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=600), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_submission_superseded_by_id_submission'),
            'submission',
            ['superseded_by_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index(batch_op.f('ix_submission_phone_key'), ['phone_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_email_key'), ['email_key'], unique=False)
        batch_op.create_index(
            'ix_submission_name_key',
            ['name_key'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'name_key': 'gin_trgm_ops'},
        )


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_name_key')
        batch_op.drop_index(batch_op.f('ix_submission_email_key'))
        batch_op.drop_index(batch_op.f('ix_submission_phone_key'))
        batch_op.drop_constraint(batch_op.f('fk_submission_superseded_by_id_submission'), type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('email_key')
        batch_op.drop_column('phone_key')
        batch_op.drop_column('name_key')
