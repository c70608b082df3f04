"""members: approval, profiles, editions, invitations, site settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:40:00

"""

import sqlalchemy as sa
from alembic import op

from brain.ops.text import skeleton

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("username_skeleton", sa.String(64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("bio_html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("spoken_languages", sa.String(120), nullable=True))
        batch_op.add_column(sa.Column("expertise", sa.String(300), nullable=True))
        batch_op.create_index("ix_users_username_skeleton", ["username_skeleton"], unique=False)

    # Everyone who registered before approval existed is approved; skeletons for old names.
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("username", sa.String),
        sa.column("created_at", sa.DateTime()),
        sa.column("approved_at", sa.DateTime()),
        sa.column("username_skeleton", sa.String),
    )
    connection = op.get_bind()
    connection.execute(users.update().values(approved_at=users.c.created_at))
    for user_id, username in connection.execute(sa.select(users.c.id, users.c.username)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(username_skeleton=skeleton(username))
        )

    op.create_table(
        "member_editions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("edition", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_member_editions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "edition", name=op.f("pk_member_editions")),
    )
    op.create_index("ix_member_editions_edition", "member_editions", ["edition"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_used_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code", name=op.f("uq_invitations_code")),
    )
    op.create_table(
        "site_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_settings")),
    )


def downgrade():
    op.drop_table("site_settings")
    op.drop_table("invitations")
    op.drop_index("ix_member_editions_edition", table_name="member_editions")
    op.drop_table("member_editions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_username_skeleton")
        batch_op.drop_column("expertise")
        batch_op.drop_column("spoken_languages")
        batch_op.drop_column("bio_html")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("username_skeleton")
