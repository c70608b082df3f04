"""member glance: the partial index of unread notifications names the post too, so "is a
notification about a post on this page unread?" is a few index lookups, however many other
notifications a member has not read

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UNREAD = sa.text("read_at IS NULL")


def upgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_unread")
        batch_op.create_index(
            "ix_notifications_unread",
            ["user_id", "post_id"],
            sqlite_where=UNREAD,
            postgresql_where=UNREAD,
        )


def downgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_unread")
        batch_op.create_index(
            "ix_notifications_unread", ["user_id"], sqlite_where=UNREAD, postgresql_where=UNREAD
        )
