"""Mail about notifications: each member's choice per kind (immediately, in a daily or weekly
digest, never), which notifications are due for mail, and one-click unsubscribing.

The notifications themselves are written by the fan-out (brain.ops.notifications), which asks
``mail_after(user, kind)`` when to mail each one. What is due is chosen here in a few queries
for every member at once; the mail is composed and written by the queue's tasks
(brain.mailing.tasks), which commit. At the moment of sending, a notification is skipped for
good (``mailed_at`` set, nothing sent) when the member has read it or its post meanwhile, can
no longer read the post, or has no account to mail any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from brain import permissions
from brain.extensions import db
from brain.models import (
    BoardRead,
    DigestRun,
    MailFrequency,
    MailPreference,
    Notification,
    NotificationKind,
    Post,
    Topic,
    TopicRead,
    User,
    utcnow,
)

Kind = NotificationKind
Frequency = MailFrequency

# What a member gets until they choose: what concerns them personally at once, the activity
# they watch in a daily digest.
DEFAULT_FREQUENCIES: dict[NotificationKind, MailFrequency] = {
    Kind.REPLY: Frequency.IMMEDIATELY,
    Kind.MENTION: Frequency.IMMEDIATELY,
    Kind.QUOTE: Frequency.IMMEDIATELY,
    Kind.INTEREST: Frequency.IMMEDIATELY,
    Kind.INTEREST_ACCEPTED: Frequency.IMMEDIATELY,
    Kind.MODERATION: Frequency.IMMEDIATELY,
    Kind.APPROVED: Frequency.IMMEDIATELY,
    Kind.WATCHED_REPLY: Frequency.DAILY,
    Kind.WATCHED_TOPIC: Frequency.DAILY,
    Kind.STATUS: Frequency.DAILY,
    Kind.MATCH: Frequency.DAILY,
}
DIGEST_PERIODS = {Frequency.DAILY: timedelta(days=1), Frequency.WEEKLY: timedelta(days=7)}
UNSUBSCRIBE_SALT = "brain.mail.unsubscribe"
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600  # a year: old mail in an archive still unsubscribes
_CHUNK = 500  # ids per IN (...) list


# --- preferences --------------------------------------------------------------------------


def _user_id(user: User | int) -> int:
    return user if isinstance(user, int) else user.id


def mail_preferences(user: User | int) -> dict[NotificationKind, MailFrequency]:
    """Every kind with *user*'s frequency for it: their choice, else the default."""
    chosen = db.session.execute(
        select(MailPreference.kind, MailPreference.frequency).where(
            MailPreference.user_id == _user_id(user)
        )
    )
    return {**DEFAULT_FREQUENCIES, **{kind: frequency for kind, frequency in chosen}}


def mail_frequency(user: User | int, kind: NotificationKind | str) -> MailFrequency:
    """How *user* wants to be mailed about notifications of *kind*."""
    kind = NotificationKind(kind)
    chosen = db.session.scalar(
        select(MailPreference.frequency).where(
            MailPreference.user_id == _user_id(user), MailPreference.kind == kind
        )
    )
    return chosen or DEFAULT_FREQUENCIES[kind]


def mail_frequencies(
    user_ids: Iterable[int], kind: NotificationKind | str
) -> dict[int, MailFrequency]:
    """``mail_frequency`` for many members at once (the fan-out's form): one query per 500."""
    kind = NotificationKind(kind)
    ids = list(dict.fromkeys(user_ids))
    found = {user_id: DEFAULT_FREQUENCIES[kind] for user_id in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = db.session.execute(
            select(MailPreference.user_id, MailPreference.frequency).where(
                MailPreference.kind == kind, MailPreference.user_id.in_(ids[start : start + _CHUNK])
            )
        )
        found.update((user_id, frequency) for user_id, frequency in rows)
    return found


def mail_after_for(frequency: MailFrequency, now: datetime | None = None) -> datetime | None:
    """``Notification.mail_after`` for a notification mailed at *frequency*: a few minutes
    from *now* (MAIL_DELAY_SECONDS) when immediately, else None (a digest takes it, or no
    mail at all)."""
    if frequency != Frequency.IMMEDIATELY:
        return None
    return (now or utcnow()) + timedelta(seconds=current_app.config["MAIL_DELAY_SECONDS"])


def mail_after(
    user: User | int, kind: NotificationKind | str, now: datetime | None = None
) -> datetime | None:
    """``Notification.mail_after`` for a new notification of *kind* to *user*."""
    return mail_after_for(mail_frequency(user, kind), now)


def set_mail_preferences(user: User, choices: dict[NotificationKind, MailFrequency]) -> None:
    """Keep *user*'s choices: one row per kind chosen (also when it is the default, so a
    later change of the defaults does not overrule a choice)."""
    existing = {row.kind: row for row in _preference_rows(user.id)}
    for kind, frequency in choices.items():
        kind, frequency = NotificationKind(kind), MailFrequency(frequency)
        if kind in existing:
            existing[kind].frequency = frequency
        else:
            db.session.add(MailPreference(user_id=user.id, kind=kind, frequency=frequency))


def _preference_rows(user_id: int) -> Sequence[MailPreference]:
    return db.session.scalars(select(MailPreference).where(MailPreference.user_id == user_id)).all()


# --- unsubscribing ------------------------------------------------------------------------

# What one unsubscribe link stops: one kind of notification, or one kind of mail (the daily or
# weekly digest, or immediate mail about several kinds at once).
MAIL_SCOPES = frozenset(
    {*(kind.value for kind in NotificationKind), *(f.value for f in MailFrequency)}
) - {Frequency.NEVER.value}


class BadUnsubscribeToken(ValueError):
    """An unsubscribe link that was altered, has expired or names no member any more."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _unsubscribe_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User | int, scope: str) -> str:
    """A signed token naming *user* and what to stop (a kind, or ``daily``/``weekly``/
    ``immediately``): the link in a mail works without logging in."""
    if scope not in MAIL_SCOPES:
        raise ValueError(f"not a kind of mail: {scope!r}")
    return _unsubscribe_serializer().dumps({"u": _user_id(user), "s": scope})


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The member and the scope a token names. Raises BadUnsubscribeToken."""
    try:
        data = _unsubscribe_serializer().loads(token[:512], max_age=UNSUBSCRIBE_MAX_AGE)
    except SignatureExpired as error:
        raise BadUnsubscribeToken(expired=True) from error
    except BadData as error:
        raise BadUnsubscribeToken() from error
    if not isinstance(data, dict) or data.get("s") not in MAIL_SCOPES:
        raise BadUnsubscribeToken()
    user_id = data.get("u")
    valid_id = isinstance(user_id, int) and 0 < user_id < 2**31
    user = db.session.get(User, user_id) if valid_id else None
    if user is None or user.deleted_at is not None:
        raise BadUnsubscribeToken()
    return user, data["s"]


def unsubscribe(user: User, scope: str) -> list[NotificationKind]:
    """Stop the mail *scope* names: that kind (set to never), or every kind now mailed at
    that frequency. Returns the kinds changed (none when it was already stopped)."""
    if scope in {frequency.value for frequency in MailFrequency}:
        frequency = MailFrequency(scope)
        kinds = [kind for kind, f in mail_preferences(user).items() if f == frequency]
    else:
        kind = NotificationKind(scope)
        kinds = [kind] if mail_frequency(user, kind) != Frequency.NEVER else []
    set_mail_preferences(user, dict.fromkeys(kinds, Frequency.NEVER))
    return kinds


# --- who may be mailed, and what they have read -------------------------------------------


def _mailable(user: User) -> bool:
    return user.deleted_at is None and user.banned_at is None


def _readable(notification: Notification) -> bool:
    post = notification.post
    if post is not None:
        return permissions.can_read_post(notification.user, post)
    if notification.topic is not None:
        return permissions.can_read_topic(notification.user, notification.topic)
    return True


def _read_on_the_site(notifications: Sequence[Notification]) -> set[int]:
    """Ids of the notifications whose post the member has read on the site: up to their place
    in its topic, their "mark as read" of its board, or of everything (brain.ops.reading's
    three marks, looked up here for many members at once)."""
    with_posts = [n for n in notifications if n.post is not None]
    if not with_posts:
        return set()
    user_ids = {n.user_id for n in with_posts}
    topic_marks: dict[tuple[int, int], int] = {}
    board_marks: dict[tuple[int, int], int] = {}
    user_list = sorted(user_ids)
    for start in range(0, len(user_list), _CHUNK):
        chunk = user_list[start : start + _CHUNK]
        topic_ids = {n.post.topic_id for n in with_posts if n.user_id in chunk}
        board_ids = {n.post.topic.board_id for n in with_posts if n.user_id in chunk}
        topic_marks.update(
            ((u, t), p)
            for u, t, p in db.session.execute(
                select(TopicRead.user_id, TopicRead.topic_id, TopicRead.post_id).where(
                    TopicRead.user_id.in_(chunk), TopicRead.topic_id.in_(topic_ids)
                )
            )
        )
        board_marks.update(
            ((u, b), p)
            for u, b, p in db.session.execute(
                select(BoardRead.user_id, BoardRead.board_id, BoardRead.post_id).where(
                    BoardRead.user_id.in_(chunk), BoardRead.board_id.in_(board_ids)
                )
            )
        )
    read = set()
    for n in with_posts:
        up_to = max(
            topic_marks.get((n.user_id, n.post.topic_id), 0),
            board_marks.get((n.user_id, n.post.topic.board_id), 0),
            n.user.read_all_up_to or 0,
        )
        if n.post.id <= up_to:
            read.add(n.id)
    return read


def _loaded(query):
    return query.options(
        selectinload(Notification.user),
        selectinload(Notification.actor),
        selectinload(Notification.topic).selectinload(Topic.board),
        selectinload(Notification.post).selectinload(Post.topic).selectinload(Topic.board),
        selectinload(Notification.post).selectinload(Post.author),
    )


def mark_mailed(notifications: Iterable[Notification], now: datetime) -> None:
    ids = [n.id for n in notifications]
    for start in range(0, len(ids), _CHUNK):
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids[start : start + _CHUNK]))
            .values(mailed_at=now)
            .execution_options(synchronize_session=False)
        )


def _worth_mailing(
    candidates: Sequence[Notification], now: datetime
) -> tuple[list[Notification], list[Notification]]:
    """(to mail, to skip for good): skipped when read in the site meanwhile, no longer
    readable, or for an account that gets no mail."""
    read = _read_on_the_site(candidates)
    keep, skip = [], []
    for n in candidates:
        if not _mailable(n.user) or n.read_at is not None or n.id in read or not _readable(n):
            skip.append(n)
        else:
            keep.append(n)
    return keep, skip


# --- immediate mail -----------------------------------------------------------------------


@dataclass
class MemberMail:
    """The notifications one member is mailed about in one message."""

    user: User
    notifications: list[Notification] = field(default_factory=list)
    frequency: MailFrequency = Frequency.IMMEDIATELY
    since: datetime | None = None  # digests: the activity covered, since…
    until: datetime | None = None  # …until


def due_immediate_mail(now: datetime | None = None) -> list[MemberMail]:
    """What to mail now, one message per member (several notifications due together go in
    one mail). Notifications not worth mailing any more are marked mailed here; those of a
    kind the member has moved to a digest are left to it; the caller marks the rest once
    their mail is written (``mark_mailed``)."""
    now = now or utcnow()
    candidates = db.session.scalars(
        _loaded(select(Notification))
        .where(Notification.mail_after <= now, Notification.mailed_at.is_(None))
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    if not candidates:
        return []
    frequencies = _frequencies_of({n.user_id for n in candidates})
    immediate, handed_over, stopped = [], [], []
    for n in candidates:
        frequency = frequencies[n.user_id][n.kind]
        if frequency == Frequency.IMMEDIATELY:
            immediate.append(n)
        elif frequency == Frequency.NEVER:
            stopped.append(n)
        else:
            handed_over.append(n)
    keep, skip = _worth_mailing(immediate, now)
    mark_mailed([*skip, *stopped], now)
    if handed_over:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_([n.id for n in handed_over]))
            .values(mail_after=None)
            .execution_options(synchronize_session=False)
        )
    mails: dict[int, MemberMail] = {}
    for n in keep:
        mails.setdefault(n.user_id, MemberMail(n.user)).notifications.append(n)
    return list(mails.values())


def _frequencies_of(user_ids: Iterable[int]) -> dict[int, dict[NotificationKind, MailFrequency]]:
    """Every member's frequency for every kind, in one query per 500 members."""
    ids = sorted(set(user_ids))
    found = {user_id: dict(DEFAULT_FREQUENCIES) for user_id in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = db.session.execute(
            select(MailPreference.user_id, MailPreference.kind, MailPreference.frequency).where(
                MailPreference.user_id.in_(ids[start : start + _CHUNK])
            )
        )
        for user_id, kind, frequency in rows:
            found[user_id][kind] = frequency
    return found


# --- digests ------------------------------------------------------------------------------


def _members_with_digest(frequency: MailFrequency) -> list[int]:
    """Members who may be mailed and have at least one kind in this digest: everyone whose
    choices leave a kind at its default when the default is this digest, plus those who chose
    it for some kind."""
    defaults_here = [kind for kind, f in DEFAULT_FREQUENCIES.items() if f == frequency]
    chose_here = select(MailPreference.user_id).where(MailPreference.frequency == frequency)
    clauses = [User.id.in_(chose_here)]
    if defaults_here:
        # Fewer preference rows for those kinds than the kinds: one is left at its default.
        chosen_count = (
            select(func.count())
            .select_from(MailPreference)
            .where(MailPreference.user_id == User.id, MailPreference.kind.in_(defaults_here))
            .scalar_subquery()
        )
        clauses.append(chosen_count < len(defaults_here))
    return list(
        db.session.scalars(
            select(User.id).where(
                User.deleted_at.is_(None), User.banned_at.is_(None), or_(*clauses)
            )
        )
    )


def due_digests(frequency: MailFrequency, now: datetime | None = None) -> list[MemberMail]:
    """Every member's daily (or weekly) digest: their notifications of the kinds they chose
    for it, since the last digest covered (``DigestRun.covered_until``; a first digest covers
    one period), not read and still readable. Only members with something get one; every
    member's ``covered_until`` moves on to *now*, and every notification considered is marked
    mailed (the caller writes the mail in the same transaction)."""
    now = now or utcnow()
    members = _members_with_digest(frequency)
    if not members:
        return []
    frequencies = _frequencies_of(members)
    start = func.coalesce(DigestRun.covered_until, now - DIGEST_PERIODS[frequency])
    covered = {
        user_id: until
        for user_id, until in db.session.execute(
            select(DigestRun.user_id, DigestRun.covered_until).where(
                DigestRun.frequency == frequency
            )
        )
    }
    candidates: list[Notification] = []
    for first in range(0, len(members), _CHUNK):
        chunk = members[first : first + _CHUNK]
        candidates += db.session.scalars(
            _loaded(select(Notification))
            .outerjoin(
                DigestRun,
                and_(DigestRun.user_id == Notification.user_id, DigestRun.frequency == frequency),
            )
            .where(
                Notification.user_id.in_(chunk),
                Notification.mailed_at.is_(None),
                Notification.created_at > start,
                Notification.created_at <= now,
            )
            .order_by(Notification.user_id, Notification.created_at, Notification.id)
        ).all()
    in_digest = [n for n in candidates if frequencies[n.user_id][n.kind] == frequency]
    keep, skip = _worth_mailing(in_digest, now)
    mark_mailed([*keep, *skip], now)
    _cover(members, covered, frequency, now)
    default_since = now - DIGEST_PERIODS[frequency]
    mails: dict[int, MemberMail] = {}
    for n in keep:
        mail = mails.get(n.user_id)
        if mail is None:
            since = covered.get(n.user_id) or default_since
            mail = mails[n.user_id] = MemberMail(n.user, [], frequency, since, now)
        mail.notifications.append(n)
    return list(mails.values())


def _cover(
    members: list[int], covered: dict[int, datetime], frequency: MailFrequency, now: datetime
) -> None:
    """Move every member's ``covered_until`` for *frequency* on to *now*."""
    known = [user_id for user_id in members if user_id in covered]
    for start in range(0, len(known), _CHUNK):
        db.session.execute(
            update(DigestRun)
            .where(
                DigestRun.frequency == frequency,
                DigestRun.user_id.in_(known[start : start + _CHUNK]),
            )
            .values(covered_until=now)
            .execution_options(synchronize_session=False)
        )
    new = [
        {"user_id": user_id, "frequency": frequency, "covered_until": now}
        for user_id in members
        if user_id not in covered
    ]
    if new:
        db.session.execute(insert(DigestRun), new)
