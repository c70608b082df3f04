"""Who may do what, and why not. Every view checks here; templates use the same rules to
show links.

Each power has a ``why_not_*`` check that returns None when *actor* may act, or the
:class:`Reason` they may not — the true one (a locked topic, a suspended account until when,
not your post), which views show and operations raise (``brain.ops.errors.require``). The
``can_*`` booleans are thin wrappers over the checks, for templates deciding which links to show.

Two rules hold everywhere:
- **Powers need a member in good standing.** A suspended, banned or not yet approved account
  keeps no power of its role: ``why_not_act`` is the one gate, used by every role check below
  (moderating, administering, inviting) as well as by writing.
- **One visibility rule for posts.** ``why_not_read_post`` / ``can_read_post`` (Python) and
  ``public_post_clause`` (SQL) say who sees a post's text: anyone who may read its topic,
  while it is neither hidden nor deleted; a hidden post also to its author (with the reason)
  and the board's moderators. The topic page, the reply and quote forms, permalinks, search
  results and member activity all go through them.

When several reasons hold, the one given is the one that would remain if the others were
lifted: what cannot be read; then whose post it is and what the board, topic or post forbids
(read-only, locked, deleted); then the account. For a moderator of the board (by role) the
board and topic forbid nothing, so their account is the reason.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import LazyString, format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement

from brain.models import Board, Post, Role, Topic, User
from brain.readers import itself

Actor = User | AnonymousUserMixin


class Why(enum.StrEnum):
    """The kinds of refusal, named so code and tests compare names rather than words."""

    LOG_IN = "log_in"
    PENDING = "pending"
    SUSPENDED = "suspended"
    BANNED = "banned"
    MEMBERS_ONLY = "members_only"
    TOPIC_HIDDEN = "topic_hidden"
    POST_HIDDEN = "post_hidden"
    POST_DELETED = "post_deleted"
    READ_ONLY = "read_only"
    LOCKED = "locked"
    NOT_YOURS = "not_yours"
    OWN_POST = "own_post"
    NOT_MODERATOR = "not_moderator"
    NOT_STAFF = "not_staff"
    NOT_ADMINISTRATOR = "not_administrator"


class Reason(LazyString):
    """Why an action is refused: ``why``, the kind of refusal, and words translated when
    shown (in the reader's language, at the moment they are shown). *words* default to the
    usual wording of the kind; some kinds have a wording per action (a locked topic takes no
    replies; its posts can no longer be edited), all under the same name."""

    def __init__(self, why: Why, words: LazyString | None = None):
        super().__init__(str, words if words is not None else _WORDS[why])
        self.why = why

    def __bool__(self) -> bool:
        # A refusal is true whatever its words (a lazy string's truth would be its length,
        # translated on the spot), so checks chain with ``or``.
        return True

    def __repr__(self) -> str:
        return f"<Reason {self.why.value}>"


def _suspended_words(until: datetime) -> str:
    # Formatted when shown: in the reader's locale and time zone.
    return gettext(
        "Your account is suspended until %(until)s. Until then you can read, but not post "
        "or take part.",
        until=format_datetime(until, "long"),
    )


_WORDS = {
    Why.LOG_IN: _l("Please log in to continue."),
    Why.PENDING: _l(
        "Your account is waiting for approval. You can read everything, and take part once "
        "an administrator has approved your account."
    ),
    Why.BANNED: _l("This account is banned."),
    Why.MEMBERS_ONLY: _l("This board is for members only."),
    Why.TOPIC_HIDDEN: _l("This topic is hidden by a moderator."),
    Why.POST_HIDDEN: _l("This post was hidden by a moderator."),
    Why.POST_DELETED: _l("This post has been deleted."),
    Why.READ_ONLY: _l("This board is read-only: only its moderators start topics and reply."),
    Why.NOT_MODERATOR: _l("Only the moderators of this board can do this."),
    Why.NOT_STAFF: _l("Only moderators can see this page."),
    Why.NOT_ADMINISTRATOR: _l("Only administrators can see this page."),
}


# --- the account ---------------------------------------------------------------------------


def _member(actor: Actor) -> User | None:
    actor = itself(actor)  # the proxy's user, for the several reads that follow
    return actor if getattr(actor, "is_authenticated", False) else None


def why_not_act(actor: Actor) -> Reason | None:
    """May *actor* act at all now: logged in, approved, neither banned nor suspended?"""
    user = _member(actor)
    if user is None:
        return Reason(Why.LOG_IN)
    if user.is_banned:
        return Reason(Why.BANNED)
    if user.is_suspended():
        return Reason(Why.SUSPENDED, LazyString(_suspended_words, user.suspended_until))
    if user.is_pending:
        return Reason(Why.PENDING)
    return None


def _active(actor: Actor) -> User | None:
    """The member, if their account may act at all now (not suspended, banned or pending)."""
    return None if why_not_act(actor) is not None else actor


# --- roles ---------------------------------------------------------------------------------


def why_not_administer(actor: Actor) -> Reason | None:
    reason = why_not_act(actor)
    if reason is None and actor.role != Role.ADMIN:
        reason = Reason(Why.NOT_ADMINISTRATOR)
    return reason


def is_administrator(actor: Actor) -> bool:
    return why_not_administer(actor) is None


def why_not_staff(actor: Actor) -> Reason | None:
    """Administrators and moderators in good standing (they may invite people, see the
    reports queue and the moderation log)."""
    reason = why_not_act(actor)
    if reason is None and actor.role not in (Role.ADMIN, Role.MODERATOR):
        reason = Reason(Why.NOT_STAFF)
    return reason


def is_staff(actor: Actor) -> bool:
    return why_not_staff(actor) is None


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


def _moderator_by_role(actor: Actor, board: Board) -> bool:
    """Whether *actor*'s role covers *board*, whatever their standing: for such a member, what
    the board or topic forbids others is not the reason; their account is."""
    user = _member(actor)
    if user is None:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.MODERATOR and any(b.id == board.id for b in user.moderated_boards)


def why_not_moderate(actor: Actor, board: Board) -> Reason | None:
    if not _moderator_by_role(actor, board):
        return why_not_act(actor) or Reason(Why.NOT_MODERATOR)
    return why_not_act(actor)


def moderates(actor: Actor, board: Board) -> bool:
    return why_not_moderate(actor, board) is None


# --- reading -------------------------------------------------------------------------------


def why_not_read_board(actor: Actor, board: Board) -> Reason | None:
    if board.members_only and _member(actor) is None:
        return Reason(Why.MEMBERS_ONLY)
    return None


def can_read_board(actor: Actor, board: Board) -> bool:
    return why_not_read_board(actor, board) is None


def why_not_read_topic(actor: Actor, topic: Topic) -> Reason | None:
    """A hidden topic stays readable to its author (with the reason) and to moderators."""
    reason = why_not_read_board(actor, topic.board)
    if reason is not None or topic.hidden_at is None:
        return reason
    user = _member(actor)
    if user is not None and (user.id == topic.author_id or moderates(user, topic.board)):
        return None
    return Reason(Why.TOPIC_HIDDEN)


def can_read_topic(actor: Actor, topic: Topic) -> bool:
    return why_not_read_topic(actor, topic) is None


def why_not_see_post_body(actor: Actor, post: Post) -> Reason | None:
    """Hidden posts stay readable to their author (with the reason) and to moderators;
    deleted ones are a placeholder for everyone."""
    if post.deleted_at is not None:
        return Reason(Why.POST_DELETED)
    if post.hidden_at is None or is_author(actor, post) or moderates(actor, post.topic.board):
        return None
    return Reason(Why.POST_HIDDEN)


def can_see_post_body(actor: Actor, post: Post) -> bool:
    return why_not_see_post_body(actor, post) is None


def why_not_read_post(actor: Actor, post: Post) -> Reason | None:
    """The one rule: may *actor* see this post's text (in its topic, a quote, a reply form,
    a search result)?"""
    return why_not_read_topic(actor, post.topic) or why_not_see_post_body(actor, post)


def can_read_post(actor: Actor, post: Post) -> bool:
    return why_not_read_post(actor, post) is None


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


# --- writing -------------------------------------------------------------------------------


def _board_or_topic_refusal(actor: Actor, topic: Topic | None, board: Board) -> Reason | None:
    """What a read-only board or a locked topic forbids everyone but its moderators; for
    them, only their account can stand in the way."""
    if _moderator_by_role(actor, board):
        return why_not_act(actor)
    if board.read_only:
        return Reason(Why.READ_ONLY)
    if topic is not None and topic.is_locked:
        return Reason(Why.LOCKED, _l("This topic is locked: no new replies."))
    return why_not_act(actor)


def why_not_start_topic(actor: Actor, board: Board) -> Reason | None:
    return why_not_read_board(actor, board) or _board_or_topic_refusal(actor, None, board)


def can_start_topic(actor: Actor, board: Board) -> bool:
    return why_not_start_topic(actor, board) is None


def why_not_reply(actor: Actor, topic: Topic) -> Reason | None:
    """Replying in *topic*: moderators reply in read-only boards and locked topics too."""
    return why_not_read_topic(actor, topic) or _board_or_topic_refusal(actor, topic, topic.board)


def can_reply(actor: Actor, topic: Topic) -> bool:
    return why_not_reply(actor, topic) is None


def why_not_reply_to(actor: Actor, post: Post) -> Reason | None:
    """Answering (or quoting) one post: the post can be read and the topic takes replies.
    A hidden post is answered by moderators only: a reply would draw attention back to it."""
    reason = why_not_read_topic(actor, post.topic)
    if reason is None and post.deleted_at is not None:
        reason = Reason(Why.POST_DELETED, _l("That post was deleted; reply to the topic instead."))
    reason = reason or why_not_see_post_body(actor, post) or why_not_reply(actor, post.topic)
    if reason is None and post.hidden_at is not None and not moderates(actor, post.topic.board):
        reason = Reason(
            Why.POST_HIDDEN, _l("This post is hidden by a moderator and cannot be answered.")
        )
    return reason


def can_reply_to(actor: Actor, post: Post) -> bool:
    return why_not_reply_to(actor, post) is None


def is_author(actor: Actor, post: Post) -> bool:
    user = _member(actor)
    return user is not None and user.id == post.author_id


def why_not_edit(actor: Actor, post: Post) -> Reason | None:
    """The author edits their post while its topic is open; moderators edit any post of their
    boards. A deleted post is edited by no one."""
    reason = why_not_read_topic(actor, post.topic)
    if reason is not None:
        return reason
    if _member(actor) is None:
        return Reason(Why.LOG_IN)
    if post.deleted_at is not None:
        return Reason(Why.POST_DELETED)
    if _moderator_by_role(actor, post.topic.board):
        return why_not_act(actor)
    if not is_author(actor, post):
        return Reason(Why.NOT_YOURS, _l("You can only edit your own posts."))
    if post.topic.is_locked:
        return Reason(Why.LOCKED, _l("This topic is locked: its posts can no longer be edited."))
    return why_not_act(actor)


def can_edit(actor: Actor, post: Post) -> bool:
    return why_not_edit(actor, post) is None


def why_not_delete(actor: Actor, post: Post) -> Reason | None:
    """The author deletes their post (in a locked topic too: taking one's words back is not
    taking part); moderators any post of their boards."""
    reason = why_not_read_topic(actor, post.topic)
    if reason is not None:
        return reason
    if _member(actor) is None:
        return Reason(Why.LOG_IN)
    if post.deleted_at is not None:
        return Reason(Why.POST_DELETED)
    if not is_author(actor, post) and not _moderator_by_role(actor, post.topic.board):
        return Reason(Why.NOT_YOURS, _l("You can only delete your own posts."))
    return why_not_act(actor)


def can_delete(actor: Actor, post: Post) -> bool:
    return why_not_delete(actor, post) is None


def why_not_report(actor: Actor, post: Post) -> Reason | None:
    """Any member in good standing reports a visible post of someone else."""
    reason = why_not_read_topic(actor, post.topic)
    if reason is None and post.deleted_at is not None:
        reason = Reason(Why.POST_DELETED)
    if reason is None and post.hidden_at is not None:
        reason = Reason(Why.POST_HIDDEN)
    if reason is None and is_author(actor, post):
        reason = Reason(Why.OWN_POST, _l("You cannot report your own post."))
    return reason or why_not_act(actor)


def can_report(actor: Actor, post: Post) -> bool:
    return why_not_report(actor, post) is None


def why_not_see_revisions(actor: Actor, post: Post) -> Reason | None:
    """Earlier versions: the author's own (whatever their standing: it is their text) and the
    board's moderators."""
    reason = why_not_read_topic(actor, post.topic)
    if reason is not None or is_author(actor, post):
        return reason
    if _member(actor) is None:
        return Reason(Why.LOG_IN)
    if _moderator_by_role(actor, post.topic.board):
        return why_not_act(actor)
    return Reason(Why.NOT_YOURS, _l("Only the author and moderators can see earlier versions."))


def can_see_revisions(actor: Actor, post: Post) -> bool:
    return why_not_see_revisions(actor, post) is None


# --- members -------------------------------------------------------------------------------


def why_not_edit_profile(actor: Actor) -> Reason | None:
    """What a member says about themselves is public content: it waits, like posts, until
    the account is approved, and stops while it is suspended."""
    return why_not_act(actor)


def can_edit_profile(actor: Actor) -> bool:
    return why_not_edit_profile(actor) is None


def can_see_profile(actor: Actor, member: User) -> bool:
    """A profile is public once its account is approved; before that only the member
    and administrators see it (a spammer's page must not be public before approval)."""
    if member.is_pending:
        viewer = _member(actor)
        return viewer is not None and (viewer.id == member.id or is_administrator(viewer))
    return True


# --- the Meeting Point -------------------------------------------------------------------


def why_not_manage_cooperation(actor: Actor, topic: Topic) -> Reason | None:
    """The author of a cooperation post and the board's moderators change its status, edit
    its details and accept interest."""
    reason = why_not_read_topic(actor, topic) or why_not_act(actor)
    if reason is None and actor.id != topic.author_id and not moderates(actor, topic.board):
        reason = Reason(
            Why.NOT_YOURS, _l("Only the author of this post and the moderators can do this.")
        )
    return reason


def manages_cooperation(actor: Actor, topic: Topic) -> bool:
    return why_not_manage_cooperation(actor, topic) is None


def why_not_express_interest(actor: Actor, topic: Topic) -> Reason | None:
    reason = why_not_read_topic(actor, topic) or why_not_act(actor)
    if reason is None and actor.id == topic.author_id:
        reason = Reason(Why.OWN_POST, _l("This is your own post."))
    return reason


def can_express_interest(actor: Actor, topic: Topic) -> bool:
    return why_not_express_interest(actor, topic) is None
