"""What a member watches: per topic and per board, watching / normal / muted.

No row means normal. The defaults are set by the verbs that imply them: starting a topic
watches it, replying tracks it (a NORMAL row, which never lowers an earlier choice), and on the
Meeting Point the author and every member who expressed interest watch the post."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from brain.extensions import db
from brain.models import Board, Topic, User, utcnow
from brain.models.notifications import Watch, WatchLevel
from brain.ops.errors import OperationError


def _row(user_id: int, *, topic_id: int | None = None, board_id: int | None = None):
    statement = _BY_TOPIC if topic_id is not None else _BY_BOARD
    return db.session.scalar(statement, {"user_id": user_id, "of": topic_id or board_id})


# Asked on every topic and board page a member reads: built once.
_BY_TOPIC = select(Watch).where(
    Watch.user_id == bindparam("user_id"), Watch.topic_id == bindparam("of")
)
_BY_BOARD = select(Watch).where(
    Watch.user_id == bindparam("user_id"), Watch.board_id == bindparam("of")
)


def level_of(user: User, *, topic: Topic | None = None, board: Board | None = None) -> WatchLevel:
    """The member's choice for *topic* or *board* (normal when they made none)."""
    row = _row(
        user.id,
        topic_id=topic.id if topic is not None else None,
        board_id=board.id if board is not None else None,
    )
    return WatchLevel.NORMAL if row is None else row.level


def set_level(
    user: User, level: str, *, topic: Topic | None = None, board: Board | None = None
) -> WatchLevel:
    """Record the member's choice for one topic or one board."""
    if (topic is None) == (board is None):
        raise ValueError("one topic or one board")
    try:
        chosen = WatchLevel(level)
    except ValueError:
        raise OperationError(_l("Choose watching, normal or muted."), field="level") from None
    topic_id = topic.id if topic is not None else None
    board_id = board.id if board is not None else None
    row = _row(user.id, topic_id=topic_id, board_id=board_id)
    if row is None:
        db.session.add(Watch(user_id=user.id, topic_id=topic_id, board_id=board_id, level=chosen))
    elif row.level != chosen:
        row.level, row.updated_at = chosen, utcnow()
    return chosen


def watch_topic(user: User, topic: Topic) -> None:
    """The member watches *topic* (they started it, or want to hear about every post)."""
    row = _row(user.id, topic_id=topic.id)
    if row is None:
        db.session.add(Watch(user_id=user.id, topic_id=topic.id, level=WatchLevel.WATCHING))
    elif row.level != WatchLevel.WATCHING:
        row.level, row.updated_at = WatchLevel.WATCHING, utcnow()


def track_topic(user: User, topic: Topic) -> None:
    """After a reply: remember the topic as tracked, without lowering an earlier choice (a
    member who watches or muted the topic keeps doing so)."""
    if _row(user.id, topic_id=topic.id) is None:
        db.session.add(Watch(user_id=user.id, topic_id=topic.id, level=WatchLevel.NORMAL))
