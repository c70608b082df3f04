"""postgres search: the table PostgreSQL full-text search answers from
(brain.search.postgres), on PostgreSQL only; SQLite deployments search with Whoosh

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:10:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _postgresql():
        return
    op.create_table(
        "search_posts",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("opening", sa.Boolean(), nullable=False),
        sa.Column("cooperation", sa.Boolean(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("words", postgresql.TSVECTOR(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("analysed", sa.String(length=40), nullable=False),
        # A post removed from the database leaves no row behind, even before the outbox's
        # row for it is applied (and emptying the posts empties this table).
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_search_posts_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_search_posts")),
    )
    op.create_index(
        op.f("ix_search_posts_words"), "search_posts", ["words"], postgresql_using="gin"
    )
    # The Meeting Point searches its cooperation posts only: a tenth of the posts or less.
    op.create_index(
        op.f("ix_search_posts_cooperation_words"),
        "search_posts",
        ["words"],
        postgresql_using="gin",
        postgresql_where=sa.text("cooperation"),
    )
    op.create_table(
        "search_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_state")),
    )
    # Every post is queued: the table fills as the outbox is applied (or `brain search
    # rebuild`).
    op.execute("INSERT INTO search_outbox (post_id, enqueued_at) SELECT id, now() FROM posts")


def downgrade():
    if not _postgresql():
        return
    op.drop_table("search_state")
    op.drop_index(op.f("ix_search_posts_cooperation_words"), table_name="search_posts")
    op.drop_index(op.f("ix_search_posts_words"), table_name="search_posts")
    op.drop_table("search_posts")
