"""meeting point indexes: topics by activity, and the hidden ones

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HIDDEN = sa.text("hidden_at IS NOT NULL")


def upgrade():
    op.create_index("ix_topics_activity", "topics", ["last_activity_at"])
    op.create_index(
        "ix_topics_hidden", "topics", ["id"], sqlite_where=HIDDEN, postgresql_where=HIDDEN
    )


def downgrade():
    op.drop_index("ix_topics_hidden", table_name="topics")
    op.drop_index("ix_topics_activity", table_name="topics")
