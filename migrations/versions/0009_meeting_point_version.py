"""meeting point version: a second counter row, for changes to what the Meeting Point counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 13:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

counters = sa.table("content_version", sa.column("id", sa.Integer), sa.column("value", sa.Integer))


def upgrade():
    op.bulk_insert(counters, [{"id": 2, "value": 0}])


def downgrade():
    op.execute(counters.delete().where(counters.c.id == 2))
