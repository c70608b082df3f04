"""search forms: the PostgreSQL backend's rows keep each post's words by index term, as the
Whoosh index does (brain.search.shown), so a result's excerpt needs no analysis; rows written
before have none and are analysed as before, until `brain search rebuild`

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():  # the table exists on PostgreSQL only (0016)
        op.add_column("search_posts", sa.Column("forms", sa.Text(), nullable=True))


def downgrade():
    if _postgresql():
        op.drop_column("search_posts", "forms")
