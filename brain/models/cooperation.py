"""The Meeting Point: a cooperation post is a topic with structured details beside it.

``Cooperation`` holds the one-valued details (kind, status, modality, timeframe) one-to-one
with its topic. The many-valued ones (themes, countries, regions, SDGs, working languages)
are rows of ``cooperation_tags`` — (topic, facet, value) — so one GROUP BY gives every facet's
counts on SQLite and PostgreSQL alike, and an index on (facet, value) finds candidates for
matching without reading the whole table.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brain.extensions import db
from brain.models.forum import Topic
from brain.models.types import UTCDateTime, utcnow
from brain.models.users import User

FACETS = ("theme", "country", "region", "sdg", "language")


class Cooperation(db.Model):
    __tablename__ = "cooperations"
    __table_args__ = (Index("ix_cooperations_status_kind", "status", "kind"),)

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    modality: Mapped[str] = mapped_column(String(32), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    ongoing: Mapped[bool] = mapped_column(Boolean, default=False)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="cooperation", lazy="joined")
    tags: Mapped[list[CooperationTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CooperationTag.value"
    )
    interests: Mapped[list[Interest]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="Interest.created_at"
    )
    history: Mapped[list[StatusChange]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="StatusChange.id"
    )

    def values(self, facet: str) -> list[str]:
        return [tag.value for tag in self.tags if tag.facet == facet]

    @property
    def partners(self) -> list[Interest]:
        return [interest for interest in self.interests if interest.accepted_at is not None]


class CooperationTag(db.Model):
    __tablename__ = "cooperation_tags"
    __table_args__ = (Index("ix_cooperation_tags_facet_value", "facet", "value", "topic_id"),)

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("cooperations.topic_id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)


class StatusChange(db.Model):
    """One change of a cooperation post's status: the history shown on the post."""

    __tablename__ = "cooperation_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("cooperations.topic_id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User] = relationship(lazy="joined")


class Interest(db.Model):
    """A member's interest in an offer or request; accepted ones are the partners."""

    __tablename__ = "cooperation_interests"
    __table_args__ = (UniqueConstraint("topic_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("cooperations.topic_id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[User] = relationship(lazy="joined")
