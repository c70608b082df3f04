"""Staying in touch: where each member is in each topic, what they watch, what they are told
and how, and the mail on its way to them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brain.extensions import db
from brain.models.forum import Post, Topic
from brain.models.types import UTCDateTime, str_enum, utcnow
from brain.models.users import User

# --- read and unread ----------------------------------------------------------------------


class TopicRead(db.Model):
    """How far a member has read a topic: every post with an id up to ``post_id`` is read.

    Post ids grow with time, so "unread" is "newer than this", whatever the thread's shape. A
    board's or the whole forum's "mark all as read" is a single row of BoardRead or the
    member's ``read_all_up_to``, not one row per topic; a topic's unread posts are those above
    the greatest of the three."""

    __tablename__ = "topic_reads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    post_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BoardRead(db.Model):
    """ "Mark all as read" in one board: its posts up to ``post_id`` are read."""

    __tablename__ = "board_reads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(Integer)


# --- watching -----------------------------------------------------------------------------


class WatchLevel(enum.StrEnum):
    WATCHING = "watching"  # tell me about every new post (in a board: every new topic)
    NORMAL = "normal"  # only when someone answers, quotes or mentions me
    MUTED = "muted"  # never, and keep the topic out of my recent activity


class Watch(db.Model):
    """A member's choice for one topic or one board. No row means the default: normal.

    Starting a topic watches it; replying makes it "tracked" (a NORMAL row, so the member's
    choice is remembered); the Meeting Point's author and interested members watch it."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "topic_id", name="uq_watches_user_topic"),
        UniqueConstraint("user_id", "board_id", name="uq_watches_user_board"),
        CheckConstraint("(topic_id IS NULL) <> (board_id IS NULL)", name="one_topic_or_one_board"),
        # Who watches this topic / board: the fan-out's question.
        Index("ix_watches_topic_level", "topic_id", "level"),
        Index("ix_watches_board_level", "board_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    level: Mapped[WatchLevel] = mapped_column(str_enum(WatchLevel), default=WatchLevel.NORMAL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- notifications ------------------------------------------------------------------------


class NotificationKind(enum.StrEnum):
    REPLY = "reply"  # a reply to your post
    WATCHED_REPLY = "watched_reply"  # a new post in a topic you watch
    WATCHED_TOPIC = "watched_topic"  # a new topic in a board you watch
    MENTION = "mention"  # @you in a post
    QUOTE = "quote"  # your post quoted
    INTEREST = "interest"  # interest expressed in your Meeting Point post
    INTEREST_ACCEPTED = "interest_accepted"  # your interest accepted
    STATUS = "status"  # a Meeting Point post you are interested in changed status
    MATCH = "match"  # a new open offer matching your open request
    MODERATION = "moderation"  # your post hidden or restored (with the reason)
    APPROVED = "approved"  # your account approved


class NotificationEvent(db.Model):
    """Something that may notify members, recorded in the transaction that made it happen.

    The fan-out into Notification rows (who watches, who was mentioned, who may still read
    it) runs in the task queue after the commit; an event not yet fanned out (``done_at``
    NULL) is taken up again by a periodic sweep, so a crash between the commit and the queue
    loses nothing, and a reply in a topic 700 members watch costs its request one row."""

    __tablename__ = "notification_events"
    __table_args__ = (
        Index(
            "ix_notification_events_pending",
            "created_at",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # what happened (new_post, interest, ...)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(  # the one member concerned, when there is one
        ForeignKey("users.id", ondelete="CASCADE")
    )
    detail: Mapped[str] = mapped_column(Text, default="")  # a status, a reason...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A fan-out that failed: counted, its error kept, and the event passed over after a few
    # tries so that it never holds up the events behind it (brain doctor shows it).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Notification(db.Model):
    """What one member is told, in the site (and by mail, as their settings say).

    ``key`` names what it is about (``post:<id>`` for every rule a new post matches), unique
    per member: several rules matching one post give one notification."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index(
            "ix_notifications_unread",
            "user_id",
            "post_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 32))
    key: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Mail: immediate mail goes out at ``mail_after`` unless read by then; digests take the
    # rest. ``mailed_at`` is set once it went into a mail (or was skipped for good).
    mail_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    topic: Mapped[Topic | None] = relationship()


# --- mail -----------------------------------------------------------------------------------


class MailFrequency(enum.StrEnum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class MailPreference(db.Model):
    """A member's choice of mail for one kind of notification; no row: the default."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 32), primary_key=True)
    frequency: Mapped[MailFrequency] = mapped_column(str_enum(MailFrequency))


class DigestRun(db.Model):
    """When a member's last daily or weekly digest covered activity up to."""

    __tablename__ = "digest_runs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[MailFrequency] = mapped_column(str_enum(MailFrequency), primary_key=True)
    covered_until: Mapped[datetime] = mapped_column(UTCDateTime)


class OutgoingMail(db.Model):
    """A message on its way: written before it is sent, so a failing or unreachable SMTP
    server delays it (retried with back-off) but never loses it; administrators see what
    failed and why."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index(
            "ix_outgoing_mail_due",
            "next_attempt_at",
            sqlite_where=text("sent_at IS NULL AND gave_up_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND gave_up_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # a NotificationKind, "digest", "reset"...
    recipient: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)  # the whole RFC 5322 message, as sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


__all__ = [
    "BoardRead",
    "DigestRun",
    "MailFrequency",
    "MailPreference",
    "Notification",
    "NotificationEvent",
    "NotificationKind",
    "OutgoingMail",
    "TopicRead",
    "Watch",
    "WatchLevel",
]
