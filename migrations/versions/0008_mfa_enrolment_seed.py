"""The authenticator seed shown during enrolment is kept on the server, not in the session cookie.

``staff_user.pending_mfa_secret`` (nullable) holds the seed from the moment the set-up page is offered until the
first code proves it (it then becomes ``mfa_secret`` and this column is cleared). Before, the seed travelled in the
signed but readable session cookie. Downgrade drops the column: an enrolment in progress then starts again at the
next sign-in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 (reviewed by hand)

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_mfa_secret', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('pending_mfa_secret')
