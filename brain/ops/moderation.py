"""Moderation: every verb records itself in the moderation log, with who, what and why.

Callers check permission (brain.permissions.moderates) before calling; these functions only
change rows and never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from brain.extensions import db
from brain.models import Board, ModerationLog, Post, Report, Topic, User, utcnow
from brain.models.forum import MAX_TREE_DEPTH, PATH_SEGMENT, path_segment
from brain.models.moderation import ModerationAction
from brain.ops import notifications
from brain.ops.errors import OperationError
from brain.ops.posts import clean_title, recount_topic
from brain.ops.sessions import end_every_session
from brain.ops.text import clean_text, slugify

MAX_REASON = 500


def record(
    actor: User,
    action: ModerationAction,
    *,
    board: Board | None = None,
    topic: Topic | None = None,
    post: Post | None = None,
    member: User | None = None,
    reason: str = "",
    details: str = "",
) -> ModerationLog:
    entry = ModerationLog(
        actor_id=actor.id,
        action=action,
        board_id=board.id if board else (topic.board_id if topic else None),
        topic_id=topic.id if topic else (post.topic_id if post else None),
        post_id=post.id if post else None,
        member_id=member.id if member else None,
        reason=clean_text(reason or "").strip()[:MAX_REASON],
        details=details[:255],
    )
    db.session.add(entry)
    return entry


def set_pinned(topic: Topic, actor: User, pinned: bool, reason: str = "") -> None:
    topic.is_pinned = pinned
    action = ModerationAction.PIN if pinned else ModerationAction.UNPIN
    record(actor, action, topic=topic, reason=reason)


def set_locked(topic: Topic, actor: User, locked: bool, reason: str = "") -> None:
    topic.is_locked = locked
    action = ModerationAction.LOCK if locked else ModerationAction.UNLOCK
    record(actor, action, topic=topic, reason=reason)


def move_topic(topic: Topic, actor: User, target: Board, reason: str = "") -> None:
    if target.id == topic.board_id:
        raise OperationError(_l("The topic is already in that board."), field="board")
    source = topic.board
    topic.board = target
    topic.board_id = target.id
    details = f"{source.slug} → {target.slug}"
    record(actor, ModerationAction.MOVE, topic=topic, reason=reason, details=details)


def hide_post(post: Post, actor: User, reason: str) -> None:
    if not reason.strip():
        raise OperationError(_l("Say why: the author will see the reason."), field="reason")
    post.hidden_at, post.hidden_reason = utcnow(), clean_text(reason).strip()[:MAX_REASON]
    post.hidden_by_reports = False
    recount_topic(post.topic)
    notifications.moderated(post, actor, hidden=True, reason=post.hidden_reason or "")
    record(
        actor,
        ModerationAction.HIDE_POST,
        post=post,
        topic=post.topic,
        member=post.author,
        reason=reason,
    )


def restore_post(post: Post, actor: User, reason: str = "") -> None:
    post.hidden_at, post.hidden_reason, post.hidden_by_reports = None, None, False
    recount_topic(post.topic)
    notifications.moderated(post, actor, hidden=False, reason=clean_text(reason).strip())
    record(
        actor,
        ModerationAction.RESTORE_POST,
        post=post,
        topic=post.topic,
        member=post.author,
        reason=reason,
    )


def _opening(topic: Topic) -> Post:
    return db.session.get(Post, topic.first_post_id)


def hide_topic(topic: Topic, actor: User, reason: str) -> None:
    if not reason.strip():
        raise OperationError(_l("Say why: the author will see the reason."), field="reason")
    topic.hidden_at, topic.hidden_reason = utcnow(), clean_text(reason).strip()[:MAX_REASON]
    notifications.moderated(_opening(topic), actor, hidden=True, reason=topic.hidden_reason)
    record(actor, ModerationAction.HIDE_TOPIC, topic=topic, member=topic.author, reason=reason)


def restore_topic(topic: Topic, actor: User, reason: str = "") -> None:
    topic.hidden_at, topic.hidden_reason = None, None
    notifications.moderated(_opening(topic), actor, hidden=False, reason=clean_text(reason).strip())
    record(actor, ModerationAction.RESTORE_TOPIC, topic=topic, member=topic.author, reason=reason)


def _subtree(post: Post) -> list[Post]:
    """*post* and every reply below it, in tree order."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.topic_id == post.topic_id, Post.tree_path.startswith(post.tree_path))
            .order_by(Post.tree_path)
        )
    )


def _graft(posts: list[Post], old_prefix: str, new_prefix: str, topic: Topic) -> None:
    """Move *posts* (a subtree in tree order) so that *old_prefix* becomes *new_prefix*."""
    limit = PATH_SEGMENT * MAX_TREE_DEPTH
    for post in posts:
        path = new_prefix + post.tree_path[len(old_prefix) :]
        if len(path) > limit:
            path = path[: limit - PATH_SEGMENT] + path_segment(post.id)
        post.tree_path = path
        post.depth = len(path) // PATH_SEGMENT - 1
        post.topic = topic
        post.topic_id = topic.id


def split_topic(post: Post, actor: User, title: str, reason: str = "") -> Topic:
    """Make *post* and the replies below it a topic of their own, in the same board."""
    if post.is_opening:
        raise OperationError(_l("The opening post cannot be split off."))
    source = post.topic
    posts = _subtree(post)
    title = clean_title(title)
    topic = Topic(
        board_id=source.board_id,
        author_id=post.author_id,
        title=title,
        slug=slugify(title),
        language=post.language,
        created_at=post.created_at,
        last_activity_at=post.created_at,
    )
    db.session.add(topic)
    db.session.flush()
    old_prefix = post.tree_path
    post.parent = None
    post.parent_id = None
    _graft(posts, old_prefix, path_segment(post.id), topic)
    topic.first_post_id = post.id
    recount_topic(topic)
    recount_topic(source)
    details = f"→ topic {topic.id}"
    record(actor, ModerationAction.SPLIT, topic=source, post=post, reason=reason, details=details)
    return topic


def merge_topic(source: Topic, target: Topic, actor: User, reason: str = "") -> None:
    """Move every post of *source* into *target*: its opening post becomes a reply to
    *target*'s, so its conversation keeps its shape. *source* is removed."""
    if source.id == target.id:
        raise OperationError(_l("A topic cannot be merged into itself."), field="target")
    target_first = db.session.get(Post, target.first_post_id)
    first = db.session.get(Post, source.first_post_id)
    posts = _subtree(first)
    old_prefix = first.tree_path
    first.parent = target_first
    first.parent_id = target_first.id
    _graft(posts, old_prefix, target_first.tree_path + path_segment(first.id), target)
    record(
        actor,
        ModerationAction.MERGE,
        topic=target,
        post=first,
        reason=reason,
        details=f"topic {source.id} «{source.title[:120]}» → {target.id}",
    )
    db.session.flush()
    for entry in db.session.scalars(
        select(ModerationLog).where(ModerationLog.topic_id == source.id)
    ):
        entry.topic_id = target.id
    source.first_post_id = source.last_post_id = None
    db.session.flush()
    db.session.delete(source)
    recount_topic(target)


def report_post(post: Post, reporter: User, reason: str, threshold: int) -> Report:
    """Record a report; with *threshold* open reports from different members, hide the post."""
    reason = clean_text(reason).strip()
    if not reason:
        raise OperationError(_l("Say what is wrong with this post."), field="reason")
    already = db.session.scalar(
        select(Report.id).where(
            Report.post_id == post.id,
            Report.reporter_id == reporter.id,
            Report.resolved_at.is_(None),
        )
    )
    if already:
        raise OperationError(_l("You have already reported this post."), field="reason")
    report = Report(post=post, reporter=reporter, reason=reason[:MAX_REASON])
    db.session.add(report)
    db.session.flush()
    open_reports = db.session.scalar(
        select(func.count(func.distinct(Report.reporter_id))).where(
            Report.post_id == post.id, Report.resolved_at.is_(None)
        )
    )
    if threshold > 0 and open_reports >= threshold and post.hidden_at is None:
        # No reason in words: each reader sees the explanation in their own language.
        post.hidden_at, post.hidden_by_reports = utcnow(), True
        recount_topic(post.topic)
        record(
            reporter,
            ModerationAction.AUTO_HIDE,
            post=post,
            topic=post.topic,
            member=post.author,
            details=str(open_reports),
        )
    return report


def resolve_reports(post: Post, actor: User, resolution: str, reason: str = "") -> int:
    """Close every open report on *post*: "hide" hides it, "dismiss" keeps (or restores) it."""
    if resolution not in ("hide", "dismiss"):
        raise OperationError(_l("Choose how to resolve the report."), field="resolution")
    reports = db.session.scalars(
        select(Report).where(Report.post_id == post.id, Report.resolved_at.is_(None))
    ).all()
    now = utcnow()
    for report in reports:
        report.resolved_at, report.resolver_id, report.resolution = now, actor.id, resolution
    if resolution == "hide" and post.hidden_at is None:
        hide_post(post, actor, reason or reports[0].reason if reports else reason)
    elif resolution == "dismiss" and post.hidden_at is not None:
        restore_post(post, actor, reason)
    record(
        actor,
        ModerationAction.RESOLVE_REPORTS,
        post=post,
        topic=post.topic,
        reason=reason,
        details=f"{resolution} ({len(reports)})",
    )
    return len(reports)


def suspend_member(member: User, actor: User, until: datetime, reason: str) -> None:
    member.suspended_until = until
    details = until.isoformat()[:16]
    record(actor, ModerationAction.SUSPEND, member=member, reason=reason, details=details)


def lift_suspension(member: User, actor: User, reason: str = "") -> None:
    member.suspended_until = None
    record(actor, ModerationAction.UNSUSPEND, member=member, reason=reason)


def ban_member(member: User, actor: User, reason: str) -> None:
    member.banned_at = utcnow()
    end_every_session(member)  # ends every open session at once
    record(actor, ModerationAction.BAN, member=member, reason=reason)


def unban_member(member: User, actor: User, reason: str = "") -> None:
    member.banned_at = None
    record(actor, ModerationAction.UNBAN, member=member, reason=reason)
