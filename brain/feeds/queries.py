"""Reading what the feeds hold: posts a guest may read, newest first, each list one query
(with the authors, topics and boards it shows), whatever the number of entries.

Feeds are fetched by programs without cookies, so they hold what a guest may read whoever
asks: the boards a guest may read, and the visibility rule of brain.permissions
(``public_post_clause``: neither the post nor its topic hidden or deleted).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from brain.extensions import db
from brain.forum import queries as forum_queries
from brain.meeting.queries import Selection
from brain.models import Cooperation, Post, Topic
from brain.permissions import Actor, public_post_clause

ENTRIES = 30  # at most this many entries in a feed


def guest() -> Actor:
    """The reader every feed is written for: someone who is not logged in."""
    return current_app.login_manager.anonymous_user()


def public_board_ids() -> list[int]:
    return [board.id for board in forum_queries.readable_boards(guest())]


def _public_posts(board_ids: list[int]):
    """Posts a guest may read in *board_ids*, with what an entry shows, newest first."""
    return (
        select(Post)
        .join(Post.topic)
        .options(
            contains_eager(Post.topic).joinedload(Topic.board),
            joinedload(Post.author),
        )
        .where(public_post_clause(board_ids))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(ENTRIES)
    )


def _opening_posts(board_ids: list[int]):
    """The opening posts of topics, which stand for their topics in a list of topics."""
    return _public_posts(board_ids).where(Post.id == Topic.first_post_id)


def latest_topics(board_ids: list[int]) -> list[Post]:
    """The newest topics of *board_ids*, as their opening posts."""
    return list(db.session.scalars(_opening_posts(board_ids)))


def topic_posts(topic: Topic, board_ids: list[int]) -> list[Post]:
    """The newest posts of *topic*, the opening post included."""
    return list(db.session.scalars(_public_posts(board_ids).where(Post.topic_id == topic.id)))


def member_posts(member_id: int, board_ids: list[int]) -> list[Post]:
    """The newest posts of a member: the topics they started and their replies."""
    return list(db.session.scalars(_public_posts(board_ids).where(Post.author_id == member_id)))


def cooperation_posts(selection: Selection, board_ids: list[int]) -> list[Post]:
    """The newest offers, requests and experiences of the Meeting Point that *selection*
    chooses (as on its list), as their opening posts, with their kind and status."""
    query = (
        _opening_posts(board_ids)
        .join(Cooperation, Cooperation.topic_id == Topic.id)
        .options(contains_eager(Post.topic).contains_eager(Topic.cooperation))
        .where(*selection.conditions())
    )
    return list(db.session.scalars(query))
