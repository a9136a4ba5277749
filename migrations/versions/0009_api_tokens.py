"""API tokens for the read-only FHIR API used by integration engines.

``api_token`` holds one row per token an administrator issued: its name, the SHA-256 (hex) of the secret (the
secret itself is shown once and never stored), a short prefix to tell tokens apart, its scope, who created and who
revoked it and when, and when it was last used. Downgrade drops the table: every issued token stops working.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 (reviewed by hand)

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=12), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_api_token_created_by_id_staff_user')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_user.id'], name=op.f('fk_api_token_revoked_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('name', name=op.f('uq_api_token_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )


def downgrade():
    op.drop_table('api_token')
