"""What the notification pages read: the unread count (one query, on the partial index of
unread notifications) and a member's latest notifications, grouped where several say the
same thing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from brain.extensions import db
from brain.models import Post, Topic, User
from brain.models.notifications import Notification, NotificationKind
from brain.ops import notifications as notification_ops

LATEST = 100  # notifications shown on /notifications
# Kinds that say "a new post in this topic": several of them in one topic are one entry.
GROUPED = frozenset({NotificationKind.REPLY, NotificationKind.WATCHED_REPLY})


def _mine(user: User, *conditions):
    return (
        select(*conditions)
        .select_from(Notification)
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Topic, Topic.id == Post.topic_id)
        .where(Notification.user_id == user.id, notification_ops.still_readable())
    )


def unread_count(user: User) -> int:
    """The bell's count (one statement, on the partial index of unread notifications; a page
    that asks it with the reader's other facts finds it taken, brain.ops.glance)."""
    return notification_ops.unread_count(user)


@dataclass
class Entry:
    """One line of /notifications: one notification, or several in one topic."""

    kind: NotificationKind
    items: list[Notification] = field(default_factory=list)

    @property
    def newest(self) -> Notification:
        return self.items[0]

    @property
    def first(self) -> Notification:
        """The oldest, where reading the group starts."""
        return self.items[-1]

    @property
    def unread(self) -> bool:
        return self.newest.read_at is None

    @property
    def grouped(self) -> bool:
        return len(self.items) > 1


def latest(user: User, limit: int = LATEST) -> list[Entry]:
    """The member's latest notifications, newest first; unread (or read) replies in one topic
    make one entry, placed where its newest is."""
    rows = db.session.scalars(
        _mine(user, Notification)
        .options(
            joinedload(Notification.actor),
            joinedload(Notification.topic),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).unique()
    entries: list[Entry] = []
    groups: dict[tuple[int, bool], Entry] = {}
    for notification in rows:
        if notification.kind in GROUPED and notification.topic_id is not None:
            key = (notification.topic_id, notification.read_at is None)
            if key in groups:
                groups[key].items.append(notification)
                continue
            groups[key] = entry = Entry(NotificationKind.WATCHED_REPLY)
        else:
            entry = Entry(notification.kind)
        entry.items.append(notification)
        entries.append(entry)
    for entry in entries:
        if not entry.grouped:
            entry.kind = entry.newest.kind
    return entries
