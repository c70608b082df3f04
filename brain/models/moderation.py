"""What moderators did, and what members reported."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from brain.extensions import db
from brain.models.forum import Board, Post, Topic
from brain.models.types import UTCDateTime, utcnow
from brain.models.users import User


class ModerationAction(enum.StrEnum):
    """What a moderation log entry records: the moderators' verbs and the administrators'.
    Their words for people are in brain.vocabulary.moderation."""

    PIN = "pin"
    UNPIN = "unpin"
    LOCK = "lock"
    UNLOCK = "unlock"
    MOVE = "move"
    MERGE = "merge"
    SPLIT = "split"
    HIDE_POST = "hide_post"
    RESTORE_POST = "restore_post"
    HIDE_TOPIC = "hide_topic"
    RESTORE_TOPIC = "restore_topic"
    AUTO_HIDE = "auto_hide"  # by members' reports; the actor is the last reporter
    RESOLVE_REPORTS = "resolve_reports"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    BAN = "ban"
    UNBAN = "unban"
    APPROVE = "approve"
    SET_ROLE = "set_role"
    CREATE_BOARD = "create_board"
    EDIT_BOARD = "edit_board"
    REORDER_BOARDS = "reorder_boards"
    TRANSLATE_BOARD = "translate_board"
    ADD_MODERATOR = "add_moderator"
    REMOVE_MODERATOR = "remove_moderator"


class ActionColumn(TypeDecorator):
    """A ModerationAction kept as its value in a VARCHAR(32). Writing anything else fails at
    once; a stored value this version does not know (written by a newer one) loads as the
    plain string, so the log still shows, with the value itself for words."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else ModerationAction(value).value

    def process_result_value(self, value, dialect):
        try:
            return None if value is None else ModerationAction(value)
        except ValueError:
            return value


class ModerationLog(db.Model):
    """One moderation action: who did what to which post, topic or member, when and why."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_board_created", "board_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[ModerationAction] = mapped_column(ActionColumn)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(String(255), default="")

    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    board: Mapped[Board | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    member: Mapped[User | None] = relationship(foreign_keys=[member_id])


class Report(db.Model):
    """A member's report of a post, open until a moderator resolves it."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_open", "resolved_at", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(32))

    post: Mapped[Post] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolver: Mapped[User | None] = relationship(foreign_keys=[resolver_id])
