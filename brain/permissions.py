"""Who may do what. Every view checks here; templates use the same functions to show links."""

from __future__ import annotations

from flask_login import AnonymousUserMixin

from brain.models import Board, Post, Role, Topic, User

Actor = User | AnonymousUserMixin


def _member(actor: Actor) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _writer(actor: Actor) -> User | None:
    """The member, if they may write at all (not suspended or banned)."""
    user = _member(actor)
    return user if user is not None and user.may_write else None


def moderates(actor: Actor, board: Board) -> bool:
    user = _member(actor)
    if user is None:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.MODERATOR and any(b.id == board.id for b in user.moderated_boards)


def can_read_board(actor: Actor, board: Board) -> bool:
    return not board.members_only or _member(actor) is not None


def can_read_topic(actor: Actor, topic: Topic) -> bool:
    if not can_read_board(actor, topic.board):
        return False
    if topic.hidden_at is None:
        return True
    user = _member(actor)
    return user is not None and (user.id == topic.author_id or moderates(user, topic.board))


def can_see_post_body(actor: Actor, post: Post) -> bool:
    """Hidden posts stay readable to their author (with the reason) and to moderators."""
    if post.hidden_at is None:
        return True
    return is_author(actor, post) or moderates(actor, post.topic.board)


def can_start_topic(actor: Actor, board: Board) -> bool:
    if _writer(actor) is None or not can_read_board(actor, board):
        return False
    return not board.read_only or moderates(actor, board)


def can_reply(actor: Actor, topic: Topic) -> bool:
    if _writer(actor) is None or not can_read_topic(actor, topic):
        return False
    if topic.is_locked or topic.board.read_only:
        return moderates(actor, topic.board)
    return True


def is_author(actor: Actor, post: Post) -> bool:
    user = _member(actor)
    return user is not None and user.id == post.author_id


def can_edit(actor: Actor, post: Post) -> bool:
    if post.is_deleted or _writer(actor) is None:
        return False
    if moderates(actor, post.topic.board):
        return True
    return is_author(actor, post) and not post.topic.is_locked


def can_delete(actor: Actor, post: Post) -> bool:
    if post.is_deleted or _writer(actor) is None:
        return False
    return is_author(actor, post) or moderates(actor, post.topic.board)


def can_report(actor: Actor, post: Post) -> bool:
    user = _writer(actor)
    return user is not None and post.is_visible and user.id != post.author_id


def can_see_revisions(actor: Actor, post: Post) -> bool:
    return is_author(actor, post) or moderates(actor, post.topic.board)


# --- the Meeting Point -------------------------------------------------------------------


def manages_cooperation(actor: Actor, topic: Topic) -> bool:
    """The author of a cooperation post and the board's moderators change its status, edit
    its details and accept interest."""
    user = _writer(actor)
    if user is None or not can_read_topic(user, topic):
        return False
    return user.id == topic.author_id or moderates(user, topic.board)


def can_express_interest(actor: Actor, topic: Topic) -> bool:
    user = _writer(actor)
    return user is not None and can_read_topic(user, topic) and user.id != topic.author_id
