"""How people join, and the settings an administrator changes without a deploy."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brain.extensions import db
from brain.models.types import UTCDateTime, utcnow
from brain.models.users import User


class Invitation(db.Model):
    """A single-use code that lets one person register while registration is by invitation."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id], lazy="joined")

    def usable(self, now: datetime | None = None) -> bool:
        return (
            self.used_at is None and self.revoked_at is None and self.expires_at > (now or utcnow())
        )


class SiteSetting(db.Model):
    """One setting an administrator changes on the settings page (see brain.settings)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class Counter(enum.IntEnum):
    """The rows of ``content_version``, by name (the value is the row's id)."""

    CONTENT = 1  # commits that changed any content (brain.pagecache)
    MEETING_POINT = 2  # commits that changed what the Meeting Point counts (brain.meeting.version)


class ContentVersion(db.Model):
    """Counters of commits, one row per ``Counter``."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class TaskTurn(db.Model):
    """A periodic task that writes what it has done (mail due, digests) takes its row here
    first, in its own transaction (brain.ops.turns): the same task started on another server
    at the same minute waits for it, then finds the work done."""

    __tablename__ = "task_turns"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
