"""The thing a page is about, from its address: the board, topic or post the reader may see,
or the error page that says why not. The forum's pages start here, and so do the other
blueprints' pages about forum content (the Meeting Point's); the dependency goes that way only.
"""

from __future__ import annotations

from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from brain import permissions
from brain.extensions import db
from brain.forum import queries
from brain.models import Board, Post, Topic
from brain.permissions import Why
from brain.web import fail


def readable_board(slug: str) -> Board:
    return _readable_board(queries.board_by_slug(slug))


def readable_board_facts(slug: str) -> queries.BoardFacts:
    """``readable_board`` without loading the board: what deciding needs, kept while the
    content is unchanged (a kept board page needs nothing more)."""
    return _readable_board(queries.board_facts(slug=slug))


def _readable_board(board):
    if board is None:
        fail(404, _("There is no board at this address."))
    reason = permissions.why_not_read_board(current_user, board)
    if reason is not None:
        if not current_user.is_authenticated:
            abort(current_app.login_manager.unauthorized())
        fail(403, reason)
    return board


def readable_topic(topic_id: int) -> Topic:
    return _readable(queries.topic_with_cooperation(topic_id))


def readable_topic_facts(topic_id: int) -> queries.TopicFacts:
    """``readable_topic`` without loading the topic: what deciding needs, kept while the
    content is unchanged (a kept topic page needs nothing more)."""
    return _readable(queries.topic_facts(topic_id))


def _readable(topic):
    if topic is None:
        fail(404, _("There is no topic at this address. It may have been removed."))
    reason = permissions.why_not_read_topic(current_user, topic)
    if reason is not None and reason.why == Why.TOPIC_HIDDEN:
        # To everyone but its author and the moderators, a hidden topic is not there.
        fail(404, _("There is no topic at this address. It may have been removed."))
    if reason is not None:
        if not current_user.is_authenticated:
            abort(current_app.login_manager.unauthorized())
        fail(403, _("This topic is in a board for members only."))
    return topic


def readable_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        fail(404, _("There is no post at this address."))
    # The topic (and its board) as read here is the post's: asking for post.topic again
    # would load both a second time once this one is no longer referenced.
    set_committed_value(post, "topic", readable_topic(post.topic_id))
    return post
