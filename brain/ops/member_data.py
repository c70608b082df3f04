"""A member's own data: a copy of everything the forum holds about them, and deleting their
account.

Deleting anonymises the account rather than removing its row: posts, threads, Meeting Point
histories and moderation records keep pointing at it, and read as by a former member. What
identifies the person (names, address, profile) is erased; their posts stay or go as the
administrators decided (``brain.settings.DeletedAccountPosts``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from brain.extensions import db
from brain.models import (
    Board,
    Cooperation,
    Interest,
    Invitation,
    ModerationLog,
    Post,
    PostRevision,
    Report,
    Role,
    SearchOutbox,
    StatusChange,
    Topic,
    User,
    utcnow,
)
from brain.ops import uploads
from brain.ops.errors import NotAllowed, OperationError
from brain.ops.posts import recount_topic
from brain.ops.sessions import end_every_session
from brain.ops.text import skeleton
from brain.vocabulary.meeting import LOOKING, Status

EXPORT_FORMAT = "collective-brain-member-data/1"
# The stored name of a deleted account; pages show it translated (brain.web.member_name).
FORMER_MEMBER = "Former member"
# An email address no mail can reach (RFC 2606 reserves .invalid), and which the email
# fields refuse, so no one can register it.
_ERASED_EMAIL = "deleted-{id}@invalid"


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _permalink(post_id: int) -> str:
    # The stable address of a post (DESIGN "Addresses"); ops build no URLs with url_for.
    return f"/p/{post_id}"


# --- download -----------------------------------------------------------------------------


def export_member_data(member: User) -> dict:
    """Everything the forum holds about *member* that is theirs to have, as plain JSON-able
    values. A handful of queries whatever the number of posts (rows, not objects, for
    posts). Never the password hash or login sessions; never other members' private
    words (the interest they sent, their reports); no names of moderators."""
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "account": _account(member),
        "posts": _posts(member),
        "meeting_point": {
            "posts": _cooperations(member),
            "interest_expressed": _interest_expressed(member),
        },
        "reports_filed": _reports(member),
        "files": uploads.member_files(member),
        "moderation_of_your_account": _moderation(member),
    }


def _account(member: User) -> dict:
    return {
        "id": member.id,
        "username": member.username,
        "email": member.email,
        "display_name": member.display_name,
        "role": member.role.value,
        "moderated_boards": [board.slug for board in member.moderated_boards],
        "created_at": _iso(member.created_at),
        "approved_at": _iso(member.approved_at),
        "suspended_until": _iso(member.suspended_until),
        "banned_at": _iso(member.banned_at),
        "interface_language": member.locale,
        "timezone": member.timezone,
        "languages_you_read": member.read_languages,
        "profile": {
            "country": member.country,
            "organisation": member.organisation,
            "languages_spoken": member.spoken_languages,
            "academy_editions": member.edition_codes,
            "expertise": member.expertise_list,
            "bio_markdown": member.bio,
        },
    }


def _posts(member: User) -> list[dict]:
    revisions: dict[int, list[dict]] = defaultdict(list)
    for row in db.session.execute(
        select(
            PostRevision.post_id,
            PostRevision.body_source,
            PostRevision.created_at,
            PostRevision.replaced_at,
            PostRevision.editor_id,
        )
        .join(Post, Post.id == PostRevision.post_id)
        .where(Post.author_id == member.id)
        .order_by(PostRevision.post_id, PostRevision.id)
    ):
        revisions[row.post_id].append(
            {
                "markdown": row.body_source,
                "written_at": _iso(row.created_at),
                "replaced_at": _iso(row.replaced_at),
                "edited_by_you": row.editor_id == member.id,
            }
        )
    rows = db.session.execute(
        select(
            Post.id,
            Post.topic_id,
            Post.parent_id,
            Post.language,
            Post.created_at,
            Post.edited_at,
            Post.deleted_at,
            Post.hidden_at,
            Post.hidden_reason,
            Post.hidden_by_reports,
            Post.body_source,
            Topic.title,
            Board.slug,
            Board.name,
        )
        .join(Topic, Topic.id == Post.topic_id)
        .join(Board, Board.id == Topic.board_id)
        .where(Post.author_id == member.id)
        .order_by(Post.id)
    )
    return [
        {
            "id": row.id,
            "permalink": _permalink(row.id),
            "topic": {"id": row.topic_id, "title": row.title},
            "board": {"slug": row.slug, "name": row.name},
            "opens_topic": row.parent_id is None,
            "in_reply_to": row.parent_id,
            "language": row.language,
            "created_at": _iso(row.created_at),
            "edited_at": _iso(row.edited_at),
            # Deleted posts stay in their threads as placeholders, their text still stored:
            # the copy says so and includes it.
            "deleted_at": _iso(row.deleted_at),
            "hidden": None
            if row.hidden_at is None
            else {
                "at": _iso(row.hidden_at),
                "reason": row.hidden_reason,
                "by_members_reports": bool(row.hidden_by_reports),
            },
            "markdown": row.body_source,
            "earlier_versions": revisions.get(row.id, []),
        }
        for row in rows
    ]


def _cooperations(member: User) -> list[dict]:
    cooperations = db.session.scalars(
        select(Cooperation)
        .join(Topic, Topic.id == Cooperation.topic_id)
        .where(Topic.author_id == member.id)
        .options(selectinload(Cooperation.history), selectinload(Cooperation.interests))
        .order_by(Cooperation.topic_id)
    ).all()
    return [
        {
            "topic": {"id": c.topic_id, "title": c.topic.title},
            "permalink": _permalink(c.topic.first_post_id) if c.topic.first_post_id else None,
            "kind": c.kind,
            "status": c.status,
            "modality": c.modality,
            "themes": c.values("theme"),
            "countries": c.values("country"),
            "regions": c.values("region"),
            "sdgs": c.values("sdg"),
            "working_languages": c.values("language"),
            "starts_on": _iso(c.starts_on),
            "ends_on": _iso(c.ends_on),
            "ongoing": c.ongoing,
            "status_history": [
                {
                    "from": change.old_status,
                    "to": change.new_status,
                    "at": _iso(change.created_at),
                    "note": change.note,
                    "by_you": change.actor_id == member.id,
                }
                for change in c.history
            ],
            # What others wrote when expressing interest is theirs: only how many, and the
            # partners (named on the post's public page).
            "interest_received": len(c.interests),
            "partners": [interest.member.display_name for interest in c.partners],
        }
        for c in cooperations
    ]


def _interest_expressed(member: User) -> list[dict]:
    rows = db.session.execute(
        select(
            Interest.topic_id,
            Topic.title,
            Interest.message,
            Interest.created_at,
            Interest.accepted_at,
        )
        .join(Topic, Topic.id == Interest.topic_id)
        .where(Interest.member_id == member.id)
        .order_by(Interest.id)
    )
    return [
        {
            "topic": {"id": row.topic_id, "title": row.title},
            "message": row.message,
            "created_at": _iso(row.created_at),
            "accepted_at": _iso(row.accepted_at),
        }
        for row in rows
    ]


def _reports(member: User) -> list[dict]:
    rows = db.session.execute(
        select(
            Report.post_id,
            Report.reason,
            Report.created_at,
            Report.resolved_at,
            Report.resolution,
        )
        .where(Report.reporter_id == member.id)
        .order_by(Report.id)
    )
    return [
        {
            "post": {"id": row.post_id, "permalink": _permalink(row.post_id)},
            "reason": row.reason,
            "created_at": _iso(row.created_at),
            "resolved_at": _iso(row.resolved_at),
            "resolution": row.resolution,
        }
        for row in rows
    ]


def _moderation(member: User) -> list[dict]:
    """What moderators did to the member's account and posts (hiding, suspending...), with
    the reasons they gave; not who they were."""
    rows = db.session.execute(
        select(
            ModerationLog.action,
            ModerationLog.created_at,
            ModerationLog.reason,
            ModerationLog.details,
            ModerationLog.topic_id,
            ModerationLog.post_id,
        )
        .where(ModerationLog.member_id == member.id)
        .order_by(ModerationLog.id)
    )
    return [
        {
            "action": row.action,
            "at": _iso(row.created_at),
            "reason": row.reason,
            "details": row.details,
            "topic_id": row.topic_id,
            "post_id": row.post_id,
        }
        for row in rows
    ]


# --- deleting an account ------------------------------------------------------------------

LAST_ADMINISTRATOR = _l(
    "You are the last administrator of the site. Make another member an administrator "
    "before you delete your account."
)


def is_last_administrator(member: User, *, lock: bool = False) -> bool:
    """Whether *member* is an administrator and no other administrator in good standing
    (approved, neither banned, suspended nor deleted) would remain.

    With *lock*, the administrators' rows stay locked until the transaction ends, so two
    administrators deleting their accounts at the same moment take turns (PostgreSQL; SQLite
    lets one writer through at a time anyway) and the second sees the first one gone."""
    if member.role != Role.ADMIN:
        return False
    query = select(User.id).where(
        User.role == Role.ADMIN,
        User.id != member.id,
        User.deleted_at.is_(None),
        User.banned_at.is_(None),
        User.approved_at.is_not(None),
        or_(User.suspended_until.is_(None), User.suspended_until <= utcnow()),
    )
    if lock:
        # Every administrator's row, in one order, so two such transactions never deadlock.
        db.session.execute(
            select(User.id).where(User.role == Role.ADMIN).order_by(User.id).with_for_update()
        ).all()
    return db.session.scalar(query.limit(1)) is None


def delete_account(member: User, password: str, *, remove_posts: bool) -> None:
    """Anonymise *member*'s account: they can never log in again, and every session ends.

    Refused (nothing changed) with a wrong *password*, or when the member is the last
    administrator. With *remove_posts*, their posts are deleted as a member deletes a post
    and their text, earlier versions included, is erased; otherwise they stay, shown as by a
    former member. Either way, their unfinished Meeting Point posts are withdrawn or closed.
    """
    if is_last_administrator(member, lock=True):
        raise NotAllowed(LAST_ADMINISTRATOR)
    if not check_password_hash(member.password_hash, password):
        raise OperationError(_l("That is not your current password."), field="password")
    now = utcnow()
    if remove_posts:
        _remove_posts(member, now)
    else:
        # The search index files posts under their author's username, which changes here;
        # the outbox watches posts, not names, so their posts are queued by hand.
        post_ids = db.session.scalars(select(Post.id).where(Post.author_id == member.id)).all()
        if post_ids:
            db.session.execute(insert(SearchOutbox), [{"post_id": i} for i in post_ids])
    _end_meeting_point_posts(member, now, erase_words=remove_posts)
    # The avatar and files not in any post always go; files of posts go with the posts.
    uploads.remove_member_files(member, with_posts=remove_posts)
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.created_by_id == member.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    _anonymise(member, now)


def _remove_posts(member: User, now: datetime) -> None:
    """Delete the member's posts as ``ops.posts.delete_post`` does (a placeholder keeps each
    in its thread), recounting each topic once rather than once per post, and erase their
    text. Changed through the ORM so the search outbox sees them go."""
    topic_ids: set[int] = set()
    for post in db.session.scalars(select(Post).where(Post.author_id == member.id)):
        if post.deleted_at is None:
            post.deleted_at = now
            topic_ids.add(post.topic_id)
        post.body_source = post.body_html = ""
    db.session.execute(
        delete(PostRevision).where(
            PostRevision.post_id.in_(select(Post.id).where(Post.author_id == member.id))
        )
    )
    for topic in db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids))):
        recount_topic(topic)


def _end_meeting_point_posts(member: User, now: datetime, *, erase_words: bool) -> None:
    """No one is left to answer the member's offers and requests: those still looking for
    partners are withdrawn, matched ones closed (finished ones stay as they are). Interest
    they expressed that was not taken up goes; accepted interest stays, as a record of the
    partnership."""
    unfinished = db.session.scalars(
        select(Cooperation)
        .join(Topic, Topic.id == Cooperation.topic_id)
        .where(
            Topic.author_id == member.id,
            Cooperation.status.in_([*LOOKING, Status.MATCHED]),
        )
    )
    for cooperation in unfinished:
        old = Status(cooperation.status)
        new = Status.WITHDRAWN if old in LOOKING else Status.CLOSED
        cooperation.status, cooperation.status_changed_at = new, now
        db.session.add(
            StatusChange(
                topic_id=cooperation.topic_id,
                actor_id=member.id,
                old_status=old,
                new_status=new,
                created_at=now,
            )
        )
    db.session.execute(
        delete(Interest).where(Interest.member_id == member.id, Interest.accepted_at.is_(None))
    )
    if erase_words:
        db.session.execute(
            update(Interest).where(Interest.member_id == member.id).values(message="")
        )
        db.session.execute(
            update(StatusChange).where(StatusChange.actor_id == member.id).values(note="")
        )


def _neutral_username(member: User) -> str:
    """``former-member-<id>``, unless a member chose that very name before."""
    base = name = f"former-member-{member.id}"
    suffix = 1
    while db.session.scalar(select(User.id).where(User.username_key == name, User.id != member.id)):
        suffix += 1
        name = f"{base}-{suffix}"
    return name


def _anonymise(member: User, now: datetime) -> None:
    name = _neutral_username(member)
    member.username = member.username_key = name
    member.username_skeleton = skeleton(name)
    # The old name and address are free again: the person may come back and register.
    member.email = _ERASED_EMAIL.format(id=member.id)
    # Not a hash of any password (no "$"): no password ever matches it.
    member.password_hash = "!" + secrets.token_urlsafe(24)
    member.display_name = FORMER_MEMBER
    member.role = Role.MEMBER
    member.moderated_boards = []
    member.editions = []
    member.locale = member.timezone = member.country = None
    member.organisation = member.bio = member.bio_html = member.expertise = None
    member.spoken_languages_csv = member.read_languages_csv = None
    member.deleted_at = now
    end_every_session(member)
