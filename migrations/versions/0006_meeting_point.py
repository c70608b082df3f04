"""meeting point: cooperation details, tags, status history, interest

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cooperations",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_cooperations_topic_id_topics"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("topic_id", name=op.f("pk_cooperations")),
    )
    op.create_index("ix_cooperations_status_kind", "cooperations", ["status", "kind"])
    op.create_index(op.f("ix_cooperations_modality"), "cooperations", ["modality"])
    op.create_table(
        "cooperation_tags",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(16), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["cooperations.topic_id"], name=op.f("fk_cooperation_tags_topic_id_cooperations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("topic_id", "facet", "value", name=op.f("pk_cooperation_tags")),
    )
    op.create_index("ix_cooperation_tags_facet_value", "cooperation_tags", ["facet", "value", "topic_id"])
    op.create_table(
        "cooperation_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.String(16), nullable=True),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_cooperation_status_changes_actor_id_users")),
        sa.ForeignKeyConstraint(["topic_id"], ["cooperations.topic_id"], name=op.f("fk_cooperation_status_changes_topic_id_cooperations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_status_changes")),
    )
    op.create_index(op.f("ix_cooperation_status_changes_topic_id"), "cooperation_status_changes", ["topic_id"])
    op.create_table(
        "cooperation_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_cooperation_interests_member_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["cooperations.topic_id"], name=op.f("fk_cooperation_interests_topic_id_cooperations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_interests")),
        sa.UniqueConstraint("topic_id", "member_id", name=op.f("uq_cooperation_interests_topic_id")),
    )
    op.create_index(op.f("ix_cooperation_interests_topic_id"), "cooperation_interests", ["topic_id"])


def downgrade():
    op.drop_table("cooperation_interests")
    op.drop_table("cooperation_status_changes")
    op.drop_index("ix_cooperation_tags_facet_value", table_name="cooperation_tags")
    op.drop_table("cooperation_tags")
    op.drop_index(op.f("ix_cooperations_modality"), table_name="cooperations")
    op.drop_index("ix_cooperations_status_kind", table_name="cooperations")
    op.drop_table("cooperations")
