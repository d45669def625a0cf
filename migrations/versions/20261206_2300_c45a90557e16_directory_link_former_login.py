"""directory_link.former_login: a link the sync ended gives its login up, kept for the record

Revision ID: c45a90557e16
Revises: c8f2d6a4e1b3
Create Date: 2026-12-06 23:00:00.000000

Universities give a login to someone else once its person has left. A link the sync ended
(its entry gone, `is_gone`) kept its login, unique: the newcomer with that login could not be
linked, or was matched to the former person's account. `login` becomes nullable: an ended
link gives it up, and keeps it in `former_login` (audit, the person's data export), which
nothing looks up to sign anyone in. The links already ended give theirs up here.

The downgrade puts a placeholder no CAS returns ("#released-<user id>") in the login of
links that have none, as the older code needs one, and drops `former_login`: putting the
former login back would hand the former person's account to the newcomer again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c45a90557e16"
down_revision = "c8f2d6a4e1b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("directory_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("former_login", sa.String(length=128), nullable=True))
        batch_op.alter_column("login", existing_type=sa.String(length=128), nullable=True)
    # A placeholder a downgrade wrote is no login anybody had: it is given up, not recorded.
    op.execute(
        sa.text(
            "UPDATE directory_link SET former_login = CASE WHEN login LIKE '#released-%' "
            "THEN NULL ELSE login END, login = NULL "
            "WHERE (is_gone = TRUE AND login IS NOT NULL) OR login LIKE '#released-%'"
        )
    )


def downgrade():
    op.execute(
        sa.text(
            "UPDATE directory_link SET login = '#released-' || CAST(user_id AS VARCHAR(20)) "
            "WHERE login IS NULL"
        )
    )
    with op.batch_alter_table("directory_link", schema=None) as batch_op:
        batch_op.alter_column("login", existing_type=sa.String(length=128), nullable=False)
        batch_op.drop_column("former_login")
