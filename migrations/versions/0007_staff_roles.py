"""A staff account may hold several roles (e.g. an administrator who is also a clinician).

``staff_role`` holds one row per (account, role), the pair unique (its primary key); each account's old
``staff_user.role`` is copied into it and the column is dropped, so the roles have one home. Downgrade puts back
one role per account: ``admin`` if it held that, else ``clinician``, else ``reception`` (an account left with no
role row gets ``reception``, the least privileged).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 (reviewed by hand)

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _role_type():
    return sa.Enum('reception', 'clinician', 'admin', name='role', native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        'staff_role',
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('role', _role_type(), nullable=False),
        sa.ForeignKeyConstraint(
            ['staff_id'], ['staff_user.id'], name=op.f('fk_staff_role_staff_id_staff_user'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('staff_id', 'role', name=op.f('pk_staff_role')),
    )
    op.execute("INSERT INTO staff_role (staff_id, role) SELECT id, role FROM staff_user")
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_staff_user_role'), type_='check')
        batch_op.drop_column('role')


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE staff_user SET role = COALESCE("
        "(SELECT MIN(CASE staff_role.role WHEN 'admin' THEN '1admin' WHEN 'clinician' THEN '2clinician'"
        " ELSE '3reception' END) FROM staff_role WHERE staff_role.staff_id = staff_user.id), '3reception')"
    )
    op.execute("UPDATE staff_user SET role = SUBSTR(role, 2)")
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=20), type_=_role_type(), nullable=False)
    op.drop_table('staff_role')
