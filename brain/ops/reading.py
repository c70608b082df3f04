"""Where each member is in their reading: marking topics, a board or everything as read, and
the rule that says which posts a member has not read yet.

A member's place is a post id, never a list of posts: ids only grow, so "read" is "up to
here". A post is unread for a member when it is one everyone may read (the one visibility
rule, ``permissions.public_post_clause``), someone else wrote it, it was written after the
member joined (what was there before is the forum they found, not news), and its id is above
the greatest of three marks: their place in the topic (TopicRead), their "mark all as read"
in its board (BoardRead) and everywhere (``User.read_all_up_to``). A topic never opened has
no place: every post of it written since the member joined is new, as in Discourse.

Positions are written with statements rather than as objects: they are the member's own, not
content, so they never count as a change of the forum (the guests' page cache, which watches
flushed objects, keeps its pages), and two tabs marking one topic at the same moment meet in
one upsert instead of a duplicate key.
"""

from __future__ import annotations

import functools

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import ReturnTypeFromArgs

from brain import statements
from brain.extensions import db
from brain.models import Board, BoardRead, Post, Topic, TopicRead, User, utcnow
from brain.ops import glance
from brain.permissions import public_post_clause


class greatest(ReturnTypeFromArgs):  # lower case: SQLAlchemy names the SQL function after it
    """The largest of its arguments: GREATEST in PostgreSQL, the scalar max() in SQLite."""

    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_in_sqlite(element, compiler, **kw) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


# --- which posts are unread ----------------------------------------------------------------

# A topic list says how many posts of a topic are new to the member up to this many; past it,
# "99+ new" (brain.forum.unread.marks).
UNREAD_MAX = 99


def read_up_to(user: User) -> ColumnElement[int]:
    """The id up to which *user* has read a topic: needs ``per_topic``'s joins."""
    return _read_up_to(user.read_all_up_to or 0)


def _read_up_to(read_all) -> ColumnElement[int]:
    return greatest(
        func.coalesce(TopicRead.post_id, 0), func.coalesce(BoardRead.post_id, 0), read_all
    )


def per_topic(user: User, aggregate) -> Select:
    """SELECT each topic's id and *aggregate* (``func.count(Post.id)``, ``func.min(Post.id)``)
    over the posts of it that *user* has not read; narrow it to the topics wanted.

    The member's place is found first, per topic, and each topic's unread posts are then a
    range of the index on posts (topic_id, id) from that place onwards: the cost follows the
    posts that are new, not the length of the conversations (a plain join would read every
    post of every listed topic before comparing)."""
    unread = _unread_posts(user.id, user.read_all_up_to or 0, user.created_at, aggregate)
    return _per_topic(user.id, unread.scalar_subquery())


def _unread_posts(user_id, read_all, joined, *columns) -> Select:
    """SELECT *columns* of the posts of ``Topic`` that the member has not read, with the
    member's id, "read everything" mark and joining time given as values or as bound
    parameters (``unread_counts_statement``); ``_per_topic`` gives the joins it correlates
    with."""
    return (
        select(*columns)
        .where(
            Post.topic_id == Topic.id,
            Post.id > _read_up_to(read_all),
            Post.author_id != user_id,
            Post.created_at > joined,
            public_post_clause(),
        )
        .correlate(Topic, TopicRead, BoardRead)
    )


def _per_topic(user_id, unread) -> Select:
    """Each topic's id and *unread* (a scalar subquery over ``_unread_posts``)."""
    return (
        select(Topic.id, unread)
        .outerjoin(TopicRead, and_(TopicRead.topic_id == Topic.id, TopicRead.user_id == user_id))
        .outerjoin(
            BoardRead, and_(BoardRead.board_id == Topic.board_id, BoardRead.user_id == user_id)
        )
    )


@functools.cache
def unread_counts_statement(size: int) -> Select:
    """Each listed topic's unread posts, counted up to UNREAD_MAX + 1, for the member named by
    the parameters ``user_id``, ``read_all``, ``joined`` and the *size* ``topic_ids_…``
    (brain.statements): asked by every topic list a member reads, so it is built once.

    The count stops past UNREAD_MAX: a long conversation the member never opened would
    otherwise be counted post by post on each page of theirs that lists it, at a cost that
    grows with the conversation (1,000 posts: half the statement's time)."""
    user_id = bindparam("user_id")
    unread = (
        _unread_posts(user_id, bindparam("read_all", type_=Integer), bindparam("joined"), Post.id)
        .limit(UNREAD_MAX + 1)
        .subquery()
    )
    counted = select(func.count()).select_from(unread).scalar_subquery()
    return _per_topic(user_id, counted).where(statements.in_named(Topic.id, "topic_ids", size))


def unread_counts_of(user: User, topic_ids: list[int]) -> tuple[Select, dict]:
    """The statement counting *user*'s unread posts in *topic_ids* (not empty), and its
    parameters."""
    size = statements.size_for(len(topic_ids))
    return unread_counts_statement(size), {
        "user_id": user.id,
        "read_all": user.read_all_up_to or 0,
        "joined": user.created_at,
        **statements.values("topic_ids", topic_ids, size),
    }


def first_unread_post_id(user: User, topic: Topic) -> int | None:
    """The oldest post of *topic* that *user* has not read, or None when they are up to date."""
    row = db.session.execute(per_topic(user, func.min(Post.id)).where(Topic.id == topic.id)).first()
    return None if row is None else row[1]


# --- marking -------------------------------------------------------------------------------


def _newest_post_id() -> int:
    return db.session.scalar(select(func.max(Post.id))) or 0


def _upsert(model, keys: dict[str, int], post_id: int, **values) -> None:
    """Insert the member's mark, or move an existing one forward (never back)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, post_id=post_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in ("post_id", *values)},
        where=model.post_id < statement.excluded.post_id,
    )
    db.session.execute(statement)


def mark_topic_read(user: User, topic: Topic, post_id: int) -> bool:
    """*user* has read *topic* up to *post_id* (the newest post a page showed them). A place
    never moves back: reading page 1 again after page 3 keeps page 3. Returns whether
    anything was written, so a view commits only then (reading is the common case: most
    views of a topic already read write nothing)."""
    if post_id <= (user.read_all_up_to or 0):
        return False
    question = read_mark(user, topic.id)
    current = glance.answer(question)
    if current is not None and current >= post_id:
        return False
    _upsert(TopicRead, {"user_id": user.id, "topic_id": topic.id}, post_id, updated_at=utcnow())
    glance.forget(question.key)
    return True


def read_mark(user: User, topic_id: int) -> glance.Question:
    """The newest post of the topic *user* has read (None: no mark of its own)."""
    return glance.Question(
        _READ_MARK, ("read", user.id, topic_id), {"read_user": user.id, "read_topic": topic_id}
    )


# Asked on every topic page a member reads: built once.
_READ_MARK = glance.kind(
    "read_mark",
    select(TopicRead.post_id)
    .where(
        TopicRead.user_id == bindparam("read_user"), TopicRead.topic_id == bindparam("read_topic")
    )
    .scalar_subquery(),
)


def mark_board_read(user: User, board: Board) -> None:
    """Every post now in *board* is read by *user*. Their places in its topics are no longer
    needed below the mark, so they go (the table keeps only what says something)."""
    mark = _newest_post_id()
    _upsert(BoardRead, {"user_id": user.id, "board_id": board.id}, mark)
    in_board = select(Topic.id).where(Topic.board_id == board.id)
    db.session.execute(
        delete(TopicRead)
        .where(
            TopicRead.user_id == user.id,
            TopicRead.topic_id.in_(in_board),
            TopicRead.post_id <= mark,
        )
        .execution_options(synchronize_session=False)
    )


def mark_all_read(user: User) -> None:
    """Every post now in the forum is read by *user*: one number on their row, and their
    places in topics and boards below it are dropped."""
    mark = _newest_post_id()
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(read_all_up_to=func.coalesce(greatest(User.read_all_up_to, mark), mark))
        .execution_options(synchronize_session=False)
    )
    for model in (TopicRead, BoardRead):
        db.session.execute(
            delete(model)
            .where(model.user_id == user.id, model.post_id <= mark)
            .execution_options(synchronize_session=False)
        )
    # The row was written by a statement: the loaded member reads the new value next time.
    db.session.expire(user, ["read_all_up_to"])
