"""notification events count failed fan-outs: a failing event no longer holds up the others

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:55:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification_events") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("notification_events") as batch:
        batch.drop_column("last_error")
        batch.drop_column("attempts")
