"""Reading for moderators: the reports queue and the moderation log, limited to the boards
they moderate."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from brain.extensions import db
from brain.models import Board, ModerationLog, Post, Report, Topic

QUEUE_SIZE = 100
LOG_PAGE = 50


def boards_in_order() -> list[Board]:
    return list(db.session.scalars(select(Board).order_by(Board.position)))


def reported_posts(board_ids: list[int] | None):
    """The posts with open reports, oldest report first, with their open reports: a list of
    (post, count) rows and {post id: [report, ...]}. *board_ids* None means every board."""
    query = (
        select(Post, func.count(Report.id))
        .join(Report, Report.post_id == Post.id)
        .join(Post.topic)
        .options(joinedload(Post.author), joinedload(Post.topic).joinedload(Topic.board))
        .where(Report.resolved_at.is_(None))
        .group_by(Post.id)
        .order_by(func.min(Report.created_at))
    )
    if board_ids is not None:
        query = query.where(Topic.board_id.in_(board_ids))
    rows = db.session.execute(query.limit(QUEUE_SIZE)).unique().all()
    post_ids = [post.id for post, _count in rows]
    details = db.session.scalars(
        select(Report)
        .options(joinedload(Report.reporter))
        .where(Report.post_id.in_(post_ids), Report.resolved_at.is_(None))
        .order_by(Report.created_at)
    ).all()
    by_post: dict[int, list[Report]] = {}
    for item in details:
        by_post.setdefault(item.post_id, []).append(item)
    return rows, by_post


def log_page(board_ids: list[int] | None, page: int):
    """One page of the moderation log, newest first (*board_ids* None: every board)."""
    query = (
        select(ModerationLog)
        .options(
            joinedload(ModerationLog.actor),
            joinedload(ModerationLog.board),
            joinedload(ModerationLog.topic),
            joinedload(ModerationLog.member),
        )
        .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
    )
    if board_ids is not None:
        query = query.where(ModerationLog.board_id.in_(board_ids))
    return db.paginate(query, page=page, per_page=LOG_PAGE, error_out=False)
