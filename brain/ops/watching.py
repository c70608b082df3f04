"""What a member watches: per topic and per board, watching / normal / muted.

No row means normal. The defaults are set by the verbs that imply them: starting a topic
watches it, replying tracks it (a NORMAL row, which never lowers an earlier choice), and on the
Meeting Point the author and every member who expressed interest watch the post."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, cast, func, select

from brain.extensions import db
from brain.models import Board, Topic, User, utcnow
from brain.models.notifications import Watch, WatchLevel
from brain.ops import glance
from brain.ops.errors import OperationError


def _row(user_id: int, *, topic_id: int | None = None, board_id: int | None = None):
    if topic_id is not None:
        where = (Watch.user_id == user_id) & (Watch.topic_id == topic_id)
    else:
        where = (Watch.user_id == user_id) & (Watch.board_id == board_id)
    return db.session.scalar(select(Watch).where(where))


def level_of(user: User, *, topic: Topic | None = None, board: Board | None = None) -> WatchLevel:
    """The member's choice for *topic* or *board* (normal when they made none)."""
    level = glance.answer(choice(user, topic=topic, board=board))
    return WatchLevel.NORMAL if level is None else WatchLevel(level)


def choice(user: User, *, topic: Topic | None = None, board: Board | None = None):
    """The level *user* chose for *topic* or *board* (None: none chosen)."""
    if topic is not None:
        return glance.Question(
            _OF_TOPIC, ("watch", user.id, "topic", topic.id),
            {"watch_user": user.id, "watch_of": topic.id},
        )  # fmt: skip
    return glance.Question(
        _OF_BOARD, ("watch", user.id, "board", board.id),
        {"watch_user": user.id, "watch_of": board.id},
    )  # fmt: skip


# Asked on every topic and board page a member reads: built once.
_OF_TOPIC = glance.kind(
    "watch_topic",
    select(Watch.level)
    .where(Watch.user_id == bindparam("watch_user"), Watch.topic_id == bindparam("watch_of"))
    .scalar_subquery(),
)
_OF_BOARD = glance.kind(
    "watch_board",
    select(Watch.level)
    .where(Watch.user_id == bindparam("watch_user"), Watch.board_id == bindparam("watch_of"))
    .scalar_subquery(),
)


def muted(user: User) -> glance.Question:
    """What *user* muted, as one string ("<topic id>:<board id>", comma-separated; read by
    ``muted_pairs``): one value, so a page can ask it with the member's other facts."""
    return glance.Question(_MUTED, ("muted", user.id), {"muted_user": user.id})


def muted_pairs(user: User) -> tuple[tuple[int | None, int | None], ...]:
    """What *user* muted, as (topic id, board id) pairs, in order."""
    pairs = []
    for pair in (glance.answer(muted(user)) or "").split(","):
        if pair:
            topic_id, board_id = pair.split(":")
            pairs.append((int(topic_id) if topic_id else None, int(board_id) if board_id else None))
    return tuple(sorted(pairs, key=lambda pair: (pair[0] or 0, pair[1] or 0)))


_MUTED = glance.kind(
    "muted",
    select(
        func.aggregate_strings(
            func.coalesce(cast(Watch.topic_id, String), "")
            + ":"
            + func.coalesce(cast(Watch.board_id, String), ""),
            ",",
        )
    )
    .where(Watch.user_id == bindparam("muted_user"), Watch.level == WatchLevel.MUTED)
    .scalar_subquery(),
)


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
    glance.forget(choice(user, topic=topic, board=board).key)
    glance.forget(muted(user).key)
    return chosen


def watch_topic(user: User, topic: Topic) -> None:
    """The member watches *topic* (they started it, or want to hear about every post)."""
    row = _row(user.id, topic_id=topic.id)
    if row is None:
        db.session.add(Watch(user_id=user.id, topic_id=topic.id, level=WatchLevel.WATCHING))
    elif row.level != WatchLevel.WATCHING:
        row.level, row.updated_at = WatchLevel.WATCHING, utcnow()
    glance.forget(choice(user, topic=topic).key)
    glance.forget(muted(user).key)


def track_topic(user: User, topic: Topic) -> None:
    """After a reply: remember the topic as tracked, without lowering an earlier choice (a
    member who watches or muted the topic keeps doing so)."""
    if _row(user.id, topic_id=topic.id) is None:
        db.session.add(Watch(user_id=user.id, topic_id=topic.id, level=WatchLevel.NORMAL))
