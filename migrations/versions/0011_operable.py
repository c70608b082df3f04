"""operable: deleted (anonymised) accounts, and a column for posts hidden by members' reports

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

AUTO_HIDE_MARKER = "[auto:reports]"  # how 0004-0010 marked such posts, in hidden_reason


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("posts") as batch:
        batch.add_column(
            sa.Column(
                "hidden_by_reports", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    posts = sa.table(
        "posts",
        sa.column("hidden_reason", sa.Text()),
        sa.column("hidden_by_reports", sa.Boolean()),
    )
    op.execute(
        posts.update()
        .where(posts.c.hidden_reason == AUTO_HIDE_MARKER)
        .values(hidden_by_reports=True, hidden_reason=None)
    )


def downgrade():
    posts = sa.table(
        "posts",
        sa.column("hidden_reason", sa.Text()),
        sa.column("hidden_by_reports", sa.Boolean()),
    )
    op.execute(
        posts.update()
        .where(posts.c.hidden_by_reports == sa.true())
        .values(hidden_reason=AUTO_HIDE_MARKER)
    )
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("hidden_by_reports")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
