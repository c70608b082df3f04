"""Notifications: what may notify is recorded as an event by the verb that causes it (in its
transaction), and fanned out into one Notification per member later, in the task queue.

Recording costs the request one row, however many members watch. The fan-out is one
INSERT … SELECT per event: every rule that matches a member gives a candidate row with a rank,
the member's best rank names the notification's kind, and the unique (user_id, key) makes a
second fan-out of the same event (the sweep after a lost enqueue, two consumers) do nothing.

Rules a fan-out keeps, whatever the event:
- never for the member's own action (the event's actor);
- never about a post the member may not read at fan-out time (brain.permissions: hidden,
  deleted, in a hidden topic; pages filter again at display time, for later changes);
- never about posts in a topic the member muted, or in a board they muted unless they chose
  otherwise for the topic — mentions included: muted means never, as in Discourse's muted
  topics. Personal news (interest in your post, your interest accepted, moderation of your
  post, your account approved) is not muted;
- at most one notification per post per member: the most specific rule wins
  (RANKS below).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from brain import markup, permissions, statements
from brain.extensions import db
from brain.models import Cooperation, Interest, Post, Topic, User, utcnow
from brain.models.notifications import (
    MailFrequency,
    MailPreference,
    Notification,
    NotificationEvent,
    NotificationKind,
    Watch,
    WatchLevel,
)
from brain.models.types import UTCDateTime
from brain.ops import glance, mailing, sessions
from brain.vocabulary.meeting import Kind, Status


class Event(enum.StrEnum):
    """What happened (``NotificationEvent.kind``)."""

    NEW_POST = "new_post"  # a reply or a new topic (mentions, quotes, matches found from it)
    INTEREST = "interest"
    INTEREST_ACCEPTED = "interest_accepted"
    STATUS = "status"
    HIDDEN = "hidden"  # a moderator hid the member's post (or topic)
    RESTORED = "restored"
    APPROVED = "approved"


class Moderation(enum.StrEnum):
    """What a MODERATION notification says happened; its ``detail`` is ``<this>:<reason>``."""

    HIDDEN = "hidden"
    RESTORED = "restored"


# The most specific rule first: the member is told once, in its words.
RANKS = (
    NotificationKind.MENTION,
    NotificationKind.QUOTE,
    NotificationKind.REPLY,
    NotificationKind.MATCH,
    NotificationKind.WATCHED_REPLY,
    NotificationKind.WATCHED_TOPIC,
)
RANK = {kind: rank for rank, kind in enumerate(RANKS, start=1)}

# The members whose open request a new open offer answers (a blueprint-level scorer, passed in:
# operations do not import the Meeting Point's pages).
Matching = Callable[[Post], Iterable[int]]


# --- recording, in the causing transaction --------------------------------------------------


def _record(kind: Event, **values) -> None:
    db.session.add(NotificationEvent(kind=kind.value, **values))


def post_written(post: Post) -> None:
    """A reply or a new topic's first post: everything it may notify is found from it."""
    _record(Event.NEW_POST, actor_id=post.author_id, post_id=post.id, topic_id=post.topic_id)


def interest_expressed(cooperation: Cooperation, interest: Interest) -> None:
    topic = cooperation.topic
    _record(
        Event.INTEREST,
        actor_id=interest.member_id,
        user_id=topic.author_id,
        topic_id=topic.id,
        post_id=topic.first_post_id,
    )


def interest_accepted(cooperation: Cooperation, interest: Interest) -> None:
    topic = cooperation.topic
    _record(
        Event.INTEREST_ACCEPTED,
        actor_id=topic.author_id,
        user_id=interest.member_id,
        topic_id=topic.id,
        post_id=topic.first_post_id,
    )


def status_changed(cooperation: Cooperation, actor: User, status: str) -> None:
    topic = cooperation.topic
    _record(
        Event.STATUS,
        actor_id=actor.id,
        topic_id=topic.id,
        post_id=topic.first_post_id,
        detail=str(status),
    )


def moderated(post: Post, actor: User, hidden: bool, reason: str = "") -> None:
    """A moderator hid or restored *post* (a topic: its first post); its author is told why."""
    _record(
        Event.HIDDEN if hidden else Event.RESTORED,
        actor_id=actor.id,
        user_id=post.author_id,
        topic_id=post.topic_id,
        post_id=post.id,
        detail=reason or "",
    )


def account_approved(member: User, actor: User | None = None) -> None:
    _record(Event.APPROVED, actor_id=actor.id if actor else None, user_id=member.id)


# --- fan-out, in the task queue -------------------------------------------------------------


MAX_ATTEMPTS = 5  # failed fan-outs of one event before it is passed over


def next_pending(after: int = 0) -> NotificationEvent | None:
    """The oldest event not fanned out yet (with an id above *after*, and not failed too
    often), claimed for this transaction (PostgreSQL: locked, so two consumers take different
    events; SQLite serialises writers anyway)."""
    return db.session.scalar(
        select(NotificationEvent)
        .where(
            NotificationEvent.done_at.is_(None),
            NotificationEvent.attempts < MAX_ATTEMPTS,
            NotificationEvent.id > after,
        )
        .order_by(NotificationEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def fan_out_failed(event_id: int, error: BaseException) -> None:
    """Count a failed fan-out of the event and keep its error (the caller commits)."""
    db.session.execute(
        update(NotificationEvent)
        .where(NotificationEvent.id == event_id)
        .values(
            attempts=NotificationEvent.attempts + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
    )


def fan_out(event: NotificationEvent, matching: Matching | None = None) -> int:
    """Write the event's notifications (those not written yet) and mark it done; returns how
    many were written."""
    kind = Event(event.kind)
    post = db.session.get(Post, event.post_id) if event.post_id is not None else None
    if kind is Event.NEW_POST:
        written = _new_post(event, post, matching) if post is not None else 0
    elif kind is Event.STATUS:
        written = _status(event, post) if post is not None else 0
    else:
        written = _personal(event, kind, post)
    event.done_at = utcnow()
    return written


def _new_post(event: NotificationEvent, post: Post, matching: Matching | None) -> int:
    # A post every member may read, or nobody is told (a hidden or deleted post, a hidden
    # topic). Boards for members only are open to every member, and only members are told.
    if not permissions.is_public_post(post):
        return 0
    topic = post.topic
    mentioned, quoted = people_named_in(post)
    parts: list[Select] = []
    _members(parts, mentioned, NotificationKind.MENTION)
    _members(parts, quoted, NotificationKind.QUOTE)
    if post.parent_id is not None:
        _members(parts, {post.parent.author_id}, NotificationKind.REPLY)
        _watchers(parts, Watch.topic_id == topic.id, NotificationKind.WATCHED_REPLY)
    else:
        _watchers(parts, Watch.board_id == topic.board_id, NotificationKind.WATCHED_TOPIC)
        if matching is not None and _is_open_offer(topic):
            _members(parts, set(matching(post)), NotificationKind.MATCH)
    if not parts:
        return 0
    candidates = union_all(*parts).subquery()
    best = (
        select(candidates.c.user_id, func.min(candidates.c.rank).label("rank"))
        .where(
            candidates.c.user_id != (event.actor_id or 0),
            ~_muted(candidates.c.user_id, topic),
        )
        .group_by(candidates.c.user_id)
        .subquery()
    )
    kind = case({rank: kind.value for kind, rank in RANK.items()}, value=best.c.rank)
    return _insert(
        select(
            best.c.user_id,
            kind,
            _mail_after(best.c.user_id, kind, event.created_at),
            literal(f"post:{post.id}", String),
            literal(event.actor_id, Integer),
            literal(post.id, Integer),
            literal(topic.id, Integer),
            literal("", String),
            literal(event.created_at, UTCDateTime),
        ).where(best.c.user_id.is_not(None))
    )


def _status(event: NotificationEvent, post: Post) -> int:
    """The members interested in a Meeting Point post hear of its new status."""
    if not permissions.is_public_post(post):
        return 0
    topic = post.topic
    interested = select(Interest.member_id).where(Interest.topic_id == topic.id)
    return _insert(
        select(
            User.id,
            literal(NotificationKind.STATUS.value, String),
            _mail_after(User.id, literal(NotificationKind.STATUS.value, String), event.created_at),
            literal(f"event:{event.id}", String),
            literal(event.actor_id, Integer),
            literal(post.id, Integer),
            literal(topic.id, Integer),
            literal(event.detail, String),
            literal(event.created_at, UTCDateTime),
        ).where(
            User.id.in_(interested),
            User.id != (event.actor_id or 0),
            ~_muted(User.id, topic),
        )
    )


_PERSONAL = {
    Event.INTEREST: NotificationKind.INTEREST,
    Event.INTEREST_ACCEPTED: NotificationKind.INTEREST_ACCEPTED,
    Event.HIDDEN: NotificationKind.MODERATION,
    Event.RESTORED: NotificationKind.MODERATION,
    Event.APPROVED: NotificationKind.APPROVED,
}


def _personal(event: NotificationEvent, kind: Event, post: Post | None) -> int:
    """News for the one member concerned, if they may read what it is about."""
    member = db.session.get(User, event.user_id) if event.user_id is not None else None
    if member is None or member.id == event.actor_id:
        return 0
    if post is not None and not permissions.can_read_post(member, post):
        return 0
    detail = event.detail
    if kind in (Event.HIDDEN, Event.RESTORED):
        detail = f"{Moderation(kind.value)}:{event.detail}"
    key = "approved" if kind is Event.APPROVED else f"event:{event.id}"
    return _insert(
        select(
            literal(member.id, Integer),
            literal(_PERSONAL[kind].value, String),
            literal(mailing.mail_after(member, _PERSONAL[kind], event.created_at), UTCDateTime),
            literal(key, String),
            literal(event.actor_id, Integer),
            literal(event.post_id, Integer),
            literal(event.topic_id, Integer),
            literal(detail, String),
            literal(event.created_at, UTCDateTime),
        )
    )


def _members(parts: list[Select], user_ids: set[int], kind: NotificationKind) -> None:
    user_ids = {user_id for user_id in user_ids if user_id is not None}
    if user_ids:
        parts.append(
            select(User.id.label("user_id"), literal(RANK[kind], Integer).label("rank")).where(
                User.id.in_(sorted(user_ids))
            )
        )


def _watchers(parts: list[Select], where: ColumnElement[bool], kind: NotificationKind) -> None:
    parts.append(
        select(Watch.user_id.label("user_id"), literal(RANK[kind], Integer).label("rank")).where(
            where, Watch.level == WatchLevel.WATCHING
        )
    )


def _muted(user_id, topic: Topic) -> ColumnElement[bool]:
    """The member muted the topic, or its board without a choice of their own for the topic."""
    own = aliased(Watch)
    topic_muted = select(Watch.user_id).where(
        Watch.topic_id == topic.id, Watch.level == WatchLevel.MUTED
    )
    board_muted = select(Watch.user_id).where(
        Watch.board_id == topic.board_id,
        Watch.level == WatchLevel.MUTED,
        ~exists().where(own.user_id == Watch.user_id, own.topic_id == topic.id),
    )
    return user_id.in_(topic_muted) | user_id.in_(board_muted)


_COLUMNS = (
    "user_id",
    "kind",
    "mail_after",
    "key",
    "actor_id",
    "post_id",
    "topic_id",
    "detail",
    "created_at",
)


def _mail_after(user_id, kind, when: datetime) -> ColumnElement:
    """``Notification.mail_after`` in SQL, for many members at once: brain.ops.mailing's rule
    (a few minutes after *when* for the kinds a member has mailed immediately, else NULL) with
    their choice or its default."""
    chosen = (
        select(MailPreference.frequency)
        .where(MailPreference.user_id == user_id, MailPreference.kind == kind)
        .scalar_subquery()
    )
    default = case(
        {k.value: f.value for k, f in mailing.DEFAULT_FREQUENCIES.items()},
        value=kind,
        else_=MailFrequency.NEVER.value,
    )
    immediately = func.coalesce(chosen, default) == MailFrequency.IMMEDIATELY.value
    at = literal(mailing.mail_after_for(MailFrequency.IMMEDIATELY, when), UTCDateTime)
    return case((immediately, at), else_=literal(None, UTCDateTime))


def _insert(rows: Select) -> int:
    """INSERT the selected rows, skipping members already told (the unique (user_id, key))."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Notification)
        .from_select(list(_COLUMNS), rows)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
    )
    return max(db.session.execute(statement).rowcount or 0, 0)


def _is_open_offer(topic: Topic) -> bool:
    cooperation = topic.cooperation
    return (
        cooperation is not None
        and cooperation.kind == Kind.OFFER
        and cooperation.status == Status.OPEN
    )


# --- who a post names -----------------------------------------------------------------------

# markup.quote writes "@author:" on the line above the quoted text; rendered, a mention link
# alone in a paragraph ending with ":" right before a blockquote.
_MENTION_LINK = r'<a [^>]*class="mention"[^>]*>@([^<]+)</a>'
_ATTRIBUTION = re.compile(r"<p>" + _MENTION_LINK + r":</p>\s*(?=<blockquote>)")
_INNERMOST_QUOTE = re.compile(r"<blockquote>(?:(?!<blockquote>).)*?</blockquote>", re.S)
_MENTIONS = re.compile(_MENTION_LINK)


def people_named_in(post: Post) -> tuple[set[int], set[int]]:
    """(members mentioned, members quoted) in *post*, from its rendered body: mentions are the
    links the markup made (not in code, at most markup.MAX_MENTIONED), outside quoted text;
    the quoted are the authors named above a quote."""
    html = post.body_html or ""
    quoted = set(_ATTRIBUTION.findall(html))
    own_text = _ATTRIBUTION.sub("", html)
    while True:
        stripped = _INNERMOST_QUOTE.sub("", own_text)
        if stripped == own_text:
            break
        own_text = stripped
    mentioned = set(_MENTIONS.findall(own_text))
    names = {name.casefold() for name in mentioned | quoted}
    if not names:
        return set(), set()
    ids = dict(
        db.session.execute(
            select(User.username_key, User.id).where(
                User.username_key.in_(sorted(names)[: 2 * markup.MAX_MENTIONED])
            )
        ).all()
    )
    return (
        {ids[n.casefold()] for n in mentioned if n.casefold() in ids},
        {ids[n.casefold()] for n in quoted if n.casefold() in ids},
    )


# --- reading ----------------------------------------------------------------------------------


def mark_read(user: User, post_ids: Iterable[int], when: datetime | None = None) -> int:
    """The member has seen these posts: their notifications about them are read.

    Looks first (on the partial index of unread notifications), so that a page view with
    nothing to mark writes nothing: an UPDATE, even of no row, would take SQLite's write
    lock."""
    post_ids = sorted(set(post_ids))
    if not post_ids:
        return 0
    if glance.answer(unread_about(user, post_ids)) is None:
        return 0
    return _mark(user, Notification.post_id.in_(post_ids), when)


def unread_about(user: User, post_ids: Iterable[int]) -> glance.Question:
    """Is a notification of *user* about one of *post_ids* (not empty) unread (one id, or
    None)?"""
    post_ids = sorted(set(post_ids))
    size = statements.size_for(len(post_ids))
    return glance.Question(
        _unread_about(size), ("unread-about", user.id, tuple(post_ids)),
        {"about_user": user.id, **statements.values("about_posts", post_ids, size)},
    )  # fmt: skip


# The bell counts up to this many, then says "99+": counting every unread notification of a
# member who never opens them would cost each of their pages a walk through all of them.
BELL_MAX = 99


def bell(user: User) -> glance.Question:
    """The bell's count: *user*'s unread notifications about what they may still read, up to
    BELL_MAX + 1."""
    return glance.Question(_BELL, ("bell", user.id), {"bell_user": user.id})


def unread_count(user: User) -> int:
    return glance.answer(bell(user))


def still_readable() -> ColumnElement[bool]:
    """Notifications about a post the member may still read (needs Post and Topic outer-joined):
    the shared rule, except that a member told their own post was hidden still sees that
    (the fan-out checked brain.permissions for them). A later move, hide or delete makes the
    others disappear from the count and the list."""
    return Notification.post_id.is_(None) | (
        Post.deleted_at.is_(None)
        & (permissions.public_post_clause() | (Notification.kind == NotificationKind.MODERATION))
    )


# Asked on every page a member reads: built once, each with parameters of its own names.
@functools.cache
def _unread_about(size: int) -> str:
    """The kind of unread_about's question for a list of *size* posts (brain.statements)."""
    return glance.kind(
        f"unread_about_{size}",
        select(Notification.id)
        .where(
            Notification.user_id == bindparam("about_user"),
            Notification.read_at.is_(None),
            statements.in_named(Notification.post_id, "about_posts", size),
        )
        .limit(1)
        .scalar_subquery(),
    )


def _bell_count(user_parameter: str) -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(
            select(Notification.id)
            .outerjoin(Post, Post.id == Notification.post_id)
            .outerjoin(Topic, Topic.id == Post.topic_id)
            .where(
                Notification.user_id == bindparam(user_parameter),
                still_readable(),
                Notification.read_at.is_(None),
            )
            .limit(BELL_MAX + 1)
            .subquery()
        )
        .scalar_subquery()
    )


_BELL = glance.kind("bell", _bell_count("bell_user"))
# The same count, for the query that loads the member a request is from (brain.auth): it
# names the member by sessions.MEMBER_ID.
BELL_OF_MEMBER = _bell_count(sessions.MEMBER_ID)


def bell_counted(user: User, count: int) -> None:
    """*user*'s bell was counted with them (BELL_OF_MEMBER): no page of this request asks
    again."""
    glance.keep(bell(user), count)


def mark_read_without_post(user: User, when: datetime | None = None) -> int:
    """Notifications about no post (an approved account) are read once listed."""
    return _mark(user, Notification.post_id.is_(None), when)


def mark_all_read(user: User, when: datetime | None = None) -> int:
    return _mark(user, None, when)


def _mark(user: User, where, when: datetime | None) -> int:
    glance.forget(bell(user).key)
    statement = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=when or utcnow())
        .execution_options(synchronize_session=False)
    )
    if where is not None:
        statement = statement.where(where)
    return db.session.execute(statement).rowcount or 0
