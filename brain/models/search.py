"""The search outbox: posts whose entry in the search index must be brought up to date.

A row is written in the same transaction as the change to the post (see brain.search.outbox),
so the intent survives any crash; the indexer deletes rows only after Whoosh has committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from brain.extensions import db
from brain.models.types import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the row must outlive the post when the post is removed.
    post_id: Mapped[int] = mapped_column(Integer, index=True)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
