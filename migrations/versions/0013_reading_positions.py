"""reading positions: an index on posts (topic_id, id) for counting a member's unread posts
per topic, and read tracking starting now for the members who already exist

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # A topic's unread posts are those above the member's place: a range of this index,
    # whatever the length of the conversation before it.
    with op.batch_alter_table("posts") as batch:
        batch.create_index("ix_posts_topic_ids", ["topic_id", "id"], unique=False)
    # Members who joined before read tracking existed have no places yet: what the forum
    # holds today is read for them ("mark everything as read" at the start), or every topic
    # since they joined would say it is new.
    users, posts = (
        sa.table("users", sa.column("read_all_up_to")),
        sa.table("posts", sa.column("id")),
    )
    newest = sa.select(sa.func.max(posts.c.id)).scalar_subquery()
    op.execute(users.update().where(users.c.read_all_up_to.is_(None)).values(read_all_up_to=newest))


def downgrade():
    # The marks set above stay: the column belongs to 0012, and they say nothing wrong.
    with op.batch_alter_table("posts") as batch:
        batch.drop_index("ix_posts_topic_ids")
