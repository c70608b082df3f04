"""Boards, topics, posts and post revisions.

Threading: the opening post of a topic has no parent; every reply stores the post it answers
(``parent_id``; a reply "to the topic" answers the opening post) and a materialised path
(``tree_path``): the zero-padded ids of its ancestors and itself. Ordering a topic's posts by
that path gives the conversation tree in depth-first order straight from the database, and
siblings in the order they were written (ids only grow).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brain.extensions import db
from brain.models.types import UTCDateTime, utcnow
from brain.models.users import User

PATH_SEGMENT = 10  # digits per ancestor in tree_path: ids up to 9,999,999,999
MAX_TREE_DEPTH = 48  # deeper replies are stored as the last sibling at this depth
TITLE_MIN, TITLE_MAX = 3, 200  # characters of a topic title, after normalisation


class Board(db.Model):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    members_only: Mapped[bool] = mapped_column(Boolean, default=False)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)

    translations: Mapped[list[BoardTranslation]] = relationship(
        back_populates="board", cascade="all, delete-orphan", lazy="selectin"
    )

    def name_in(self, locale: str) -> str:
        for tr in self.translations:
            if tr.locale == locale and tr.name:
                return tr.name
        return self.name

    def description_in(self, locale: str) -> str:
        for tr in self.translations:
            if tr.locale == locale and tr.description:
                return tr.description
        return self.description


class BoardTranslation(db.Model):
    __tablename__ = "board_translations"
    __table_args__ = (UniqueConstraint("board_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")

    board: Mapped[Board] = relationship(back_populates="translations")


class Topic(db.Model):
    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_board_listing", "board_id", "is_pinned", "last_activity_at"),
        # The Meeting Point lists across the board by activity, and leaves out the (few)
        # hidden topics by their ids.
        Index("ix_topics_activity", "last_activity_at"),
        Index(
            "ix_topics_hidden",
            "id",
            sqlite_where=text("hidden_at IS NOT NULL"),
            postgresql_where=text("hidden_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    slug: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Derived from the topic's posts by ops.recount_topic, in the transaction that changes them.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    last_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    # Hidden by a moderator: listed for moderators and the author only, with the reason.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    board: Mapped[Board] = relationship()
    author: Mapped[User] = relationship()
    last_post: Mapped[Post | None] = relationship(foreign_keys=[last_post_id], post_update=True)
    # Meeting Point details when this topic is an offer, a request or an experience.
    cooperation: Mapped[Cooperation | None] = relationship(  # noqa: F821
        back_populates="topic", uselist=False, lazy="select"
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_topic_path", "topic_id", "tree_path"),
        # A member's unread posts in a topic: the ids above their place (brain.ops.reading).
        Index("ix_posts_topic_ids", "topic_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    # Zero-padded ids from the thread's root to this post; see the module docstring.
    tree_path: Mapped[str] = mapped_column(String(PATH_SEGMENT * MAX_TREE_DEPTH), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(8))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    renderer_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by a moderator: a placeholder for others; the author sees the reason.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    # Hidden automatically because enough members reported it (no moderator gave a reason).
    hidden_by_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optimistic concurrency: every UPDATE of a post says which version it started from and
    # moves it on, so of two edits made at the same moment one is refused (StaleDataError)
    # instead of silently overwriting the other. Edit forms carry the version they showed.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    topic: Mapped[Topic] = relationship(foreign_keys=[topic_id])
    author: Mapped[User] = relationship()
    parent: Mapped[Post | None] = relationship(remote_side=[id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    @property
    def is_opening(self) -> bool:
        """The topic's first post; every other post answers it or one of its replies."""
        return self.parent_id is None


class PostRevision(db.Model):
    """An earlier version of a post's source, kept when the post is edited."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the version shown here was replaced.
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User] = relationship()


class Submission(db.Model):
    """A one-time token carried by a form that creates content, and what it created: a form
    sent twice (a second press of "Post", a browser's retry) lands on the first result."""

    __tablename__ = "submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def path_segment(post_id: int) -> str:
    return f"{post_id:0{PATH_SEGMENT}d}"
