"""task turns: a periodic task that writes mail (immediate mail, digests) takes its row first,
so that the same task on another server at the same minute waits for it and then finds the
work done, instead of writing the same mail again

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 16:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_turns",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade():
    op.drop_table("task_turns")
