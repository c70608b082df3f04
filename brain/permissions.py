"""Who may do what. Every view checks here; templates use the same functions to show links.

Two rules hold everywhere:
- **Powers need a member in good standing.** A suspended, banned or not yet approved account
  keeps no power of its role: ``_active`` is the one gate, used by every role check below
  (moderating, administering, inviting) as well as by writing.
- **One visibility rule for posts.** ``can_read_post`` (Python) and ``public_post_clause``
  (SQL) say who sees a post's text: anyone who may read its topic, while it is neither hidden
  nor deleted; a hidden post also to its author (with the reason) and the board's moderators.
  The topic page, the reply and quote forms, permalinks, search results and member activity
  all go through them.
"""

from __future__ import annotations

from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement

from brain.models import Board, Post, Role, Topic, User

Actor = User | AnonymousUserMixin


def _member(actor: Actor) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _active(actor: Actor) -> User | None:
    """The member, if their account may act at all now (not suspended, banned or pending)."""
    user = _member(actor)
    return user if user is not None and user.may_write else None


def is_administrator(actor: Actor) -> bool:
    user = _active(actor)
    return user is not None and user.role == Role.ADMIN


def is_staff(actor: Actor) -> bool:
    """Administrators and moderators in good standing (they may invite people)."""
    user = _active(actor)
    return user is not None and user.role in (Role.ADMIN, Role.MODERATOR)


def moderated_board_ids(actor: Actor) -> list[int] | None:
    """The boards *actor* moderates: None meaning every board (administrators), [] none."""
    user = _active(actor)
    if user is None:
        return []
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MODERATOR:
        return [board.id for board in user.moderated_boards]
    return []


def moderates(actor: Actor, board: Board) -> bool:
    user = _active(actor)
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
    """Hidden posts stay readable to their author (with the reason) and to moderators;
    deleted ones are a placeholder for everyone."""
    if post.deleted_at is not None:
        return False
    if post.hidden_at is None:
        return True
    return is_author(actor, post) or moderates(actor, post.topic.board)


def can_read_post(actor: Actor, post: Post) -> bool:
    """The one rule: may *actor* see this post's text (in its topic, a quote, a reply form,
    a search result)?"""
    return can_read_topic(actor, post.topic) and can_see_post_body(actor, post)


def is_public_post(post: Post) -> bool:
    """The rule for lists everyone shares, in Python: the post and its topic neither hidden
    nor deleted (the search index holds exactly these)."""
    return post.is_visible and post.topic.hidden_at is None


def public_post_clause(readable_board_ids: list[int] | None = None) -> ColumnElement[bool]:
    """The SQL form of the rule for lists everyone shares (search results, member activity):
    the post and its topic neither hidden nor deleted, in a board the reader may read (when
    *readable_board_ids* is given). Needs ``Topic`` joined to ``Post``."""
    clause = Post.deleted_at.is_(None) & Post.hidden_at.is_(None) & Topic.hidden_at.is_(None)
    if readable_board_ids is not None:
        clause = clause & Topic.board_id.in_(readable_board_ids)
    return clause


def can_start_topic(actor: Actor, board: Board) -> bool:
    if _active(actor) is None or not can_read_board(actor, board):
        return False
    return not board.read_only or moderates(actor, board)


def can_reply(actor: Actor, topic: Topic) -> bool:
    if _active(actor) is None or not can_read_topic(actor, topic):
        return False
    if topic.is_locked or topic.board.read_only:
        return moderates(actor, topic.board)
    return True


def can_reply_to(actor: Actor, post: Post) -> bool:
    """Answering (or quoting) one post: the topic takes replies and the post can be read.
    A hidden post is answered by moderators only: a reply would draw attention back to it."""
    if not can_reply(actor, post.topic) or not can_read_post(actor, post):
        return False
    return post.hidden_at is None or moderates(actor, post.topic.board)


def is_author(actor: Actor, post: Post) -> bool:
    user = _member(actor)
    return user is not None and user.id == post.author_id


def can_edit(actor: Actor, post: Post) -> bool:
    if post.is_deleted or _active(actor) is None:
        return False
    if moderates(actor, post.topic.board):
        return True
    return is_author(actor, post) and not post.topic.is_locked


def can_delete(actor: Actor, post: Post) -> bool:
    if post.is_deleted or _active(actor) is None:
        return False
    return is_author(actor, post) or moderates(actor, post.topic.board)


def can_report(actor: Actor, post: Post) -> bool:
    user = _active(actor)
    return user is not None and post.is_visible and user.id != post.author_id


def can_see_revisions(actor: Actor, post: Post) -> bool:
    return is_author(actor, post) or moderates(actor, post.topic.board)


# --- members -------------------------------------------------------------------------------


def can_edit_profile(actor: Actor) -> bool:
    """What a member says about themselves is public content: it waits, like posts, until
    the account is approved, and stops while it is suspended."""
    return _active(actor) is not None


def can_see_profile(actor: Actor, member: User) -> bool:
    """A profile is public once its account is approved; before that only the member
    and administrators see it (a spammer's page must not be public before approval)."""
    if member.is_pending:
        viewer = _member(actor)
        return viewer is not None and (viewer.id == member.id or is_administrator(viewer))
    return True


# --- the Meeting Point -------------------------------------------------------------------


def manages_cooperation(actor: Actor, topic: Topic) -> bool:
    """The author of a cooperation post and the board's moderators change its status, edit
    its details and accept interest."""
    user = _active(actor)
    if user is None or not can_read_topic(user, topic):
        return False
    return user.id == topic.author_id or moderates(user, topic.board)


def can_express_interest(actor: Actor, topic: Topic) -> bool:
    user = _active(actor)
    return user is not None and can_read_topic(user, topic) and user.id != topic.author_id
