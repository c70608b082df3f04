"""Who may do what, and the reason given when not (brain.permissions).

The table reads as the specification: for each situation and action, what each kind of
person is told — None when they may act, else the kind of reason (``Why``). Then the pages:
the reason a check gives is the one a person reads.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from brain import permissions
from brain.models import Board, BoardModerator, Post, Role, Topic, User, utcnow
from brain.ops.errors import NotAllowed, require
from brain.permissions import Why
from tests.factories import (
    database,
    fetch,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)

# --- the table ---------------------------------------------------------------------------

ACTORS = (
    "guest",
    "member",
    "pending",
    "suspended",
    "banned",
    "author",
    "moderator",  # of the topic's board
    "other_mod",  # a moderator of another board
    "admin",
)
OK = None
IN, PEND, SUSP, BAN = Why.LOG_IN, Why.PENDING, Why.SUSPENDED, Why.BANNED
MEMB, THID, PHID, PDEL = Why.MEMBERS_ONLY, Why.TOPIC_HIDDEN, Why.POST_HIDDEN, Why.POST_DELETED
RO, LOCK, THEIRS, OWN = Why.READ_ONLY, Why.LOCKED, Why.NOT_YOURS, Why.OWN_POST

# The post acted on is a reply by "author", who also started the topic.
TABLE = {
    "open topic": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK),
        "reply":       (IN,     OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "edit":        (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "delete":      (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "start topic": (IN,     OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "report":      (IN,     OK,     PEND,   SUSP,   BAN,    OWN,    OK,     OK,     OK),
        "revisions":   (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
    },
    "locked topic": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK),
        "reply":       (LOCK,   LOCK,   LOCK,   LOCK,   LOCK,   LOCK,   OK,     LOCK,   OK),
        "edit":        (IN,     THEIRS, THEIRS, THEIRS, THEIRS, LOCK,   OK,     THEIRS, OK),
        # Taking one's words back is not taking part: deleting stays open to the author.
        "delete":      (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "start topic": (IN,     OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "report":      (IN,     OK,     PEND,   SUSP,   BAN,    OWN,    OK,     OK,     OK),
        "revisions":   (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
    },
    "read-only board": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK),
        "reply":       (RO,     RO,     RO,     RO,     RO,     RO,     OK,     RO,     OK),
        "edit":        (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "delete":      (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "start topic": (RO,     RO,     RO,     RO,     RO,     RO,     OK,     RO,     OK),
        "report":      (IN,     OK,     PEND,   SUSP,   BAN,    OWN,    OK,     OK,     OK),
        "revisions":   (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
    },
    "members-only board": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (MEMB,   OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK),
        "reply":       (MEMB,   OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "edit":        (MEMB,   THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "delete":      (MEMB,   THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "start topic": (MEMB,   OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "report":      (MEMB,   OK,     PEND,   SUSP,   BAN,    OWN,    OK,     OK,     OK),
        "revisions":   (MEMB,   THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
    },
    "hidden post": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (PHID,   PHID,   PHID,   PHID,   PHID,   OK,     OK,     PHID,   OK),
        # Its author reads it (with the reason) but cannot answer it: only moderators do.
        "reply":       (PHID,   PHID,   PHID,   PHID,   PHID,   PHID,   OK,     PHID,   OK),
        "edit":        (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "delete":      (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
        "start topic": (IN,     OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "report":      (PHID,   PHID,   PHID,   PHID,   PHID,   PHID,   PHID,   PHID,   PHID),
        "revisions":   (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
    },
    "deleted post": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL),
        "reply":       (PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL),
        "edit":        (IN,     PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL),
        "delete":      (IN,     PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL),
        "start topic": (IN,     OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "report":      (PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL,   PDEL),
        "revisions":   (IN,     THEIRS, THEIRS, THEIRS, THEIRS, OK,     OK,     THEIRS, OK),
    },
    "hidden topic": {
        #               guest   member  pending suspend banned  author  mod     other   admin
        "read":        (THID,   THID,   THID,   THID,   THID,   OK,     OK,     THID,   OK),
        "reply":       (THID,   THID,   THID,   THID,   THID,   OK,     OK,     THID,   OK),
        "edit":        (THID,   THID,   THID,   THID,   THID,   OK,     OK,     THID,   OK),
        "delete":      (THID,   THID,   THID,   THID,   THID,   OK,     OK,     THID,   OK),
        "start topic": (IN,     OK,     PEND,   SUSP,   BAN,    OK,     OK,     OK,     OK),
        "report":      (THID,   THID,   THID,   THID,   THID,   OWN,    OK,     THID,   OK),
        "revisions":   (THID,   THID,   THID,   THID,   THID,   OK,     OK,     THID,   OK),
    },
}  # fmt: skip

CHECKS = {
    "read": (permissions.why_not_read_post, permissions.can_read_post),
    "reply": (permissions.why_not_reply_to, permissions.can_reply_to),
    "edit": (permissions.why_not_edit, permissions.can_edit),
    "delete": (permissions.why_not_delete, permissions.can_delete),
    "report": (permissions.why_not_report, permissions.can_report),
    "revisions": (permissions.why_not_see_revisions, permissions.can_see_revisions),
}

CASES = [
    pytest.param(situation, action, actor, expected, id=f"{situation}-{action}-{actor}")
    for situation, actions in TABLE.items()
    for action, row in actions.items()
    for actor, expected in zip(ACTORS, row, strict=True)
]


def _situation(name: str) -> tuple[Board, Topic, Post]:
    """A board, a topic started by member 1 and a reply of theirs, in the named state
    (objects in memory: the rules read attributes, not the database)."""
    now = utcnow()
    board = Board(
        id=3,
        slug="coops",
        name="Coops",
        members_only=name == "members-only board",
        read_only=name == "read-only board",
    )
    topic = Topic(
        id=5,
        board=board,
        author_id=1,
        is_locked=name == "locked topic",
        hidden_at=now if name == "hidden topic" else None,
    )
    post = Post(
        id=9,
        topic=topic,
        author_id=1,
        hidden_at=now if name == "hidden post" else None,
        deleted_at=now if name == "deleted post" else None,
    )
    return board, topic, post


def _actor(name: str, board: Board):
    if name == "guest":
        return AnonymousUserMixin()
    now = utcnow()
    roles = {"moderator": Role.MODERATOR, "other_mod": Role.MODERATOR, "admin": Role.ADMIN}
    user = User(
        id=1 if name == "author" else 2 + ACTORS.index(name),
        username=name,
        role=roles.get(name, Role.MEMBER),
        approved_at=None if name == "pending" else now - timedelta(days=30),
        suspended_until=now + timedelta(days=2) if name == "suspended" else None,
        banned_at=now if name == "banned" else None,
    )
    elsewhere = Board(id=4, slug="finance", name="Finance")
    user.moderated_boards = {"moderator": [board], "other_mod": [elsewhere]}.get(name, [])
    return user


@pytest.mark.parametrize(("situation", "action", "actor", "expected"), CASES)
def test_who_may_do_what_and_the_reason_when_not(situation, action, actor, expected):
    board, _topic, post = _situation(situation)
    who = _actor(actor, board)
    if action == "start topic":
        why_not, can = permissions.why_not_start_topic, permissions.can_start_topic
        reason, allowed = why_not(who, board), can(who, board)
    else:
        why_not, can = CHECKS[action]
        reason, allowed = why_not(who, post), can(who, post)
    assert (reason.why if reason is not None else None) == expected
    assert allowed is (expected is None)


# --- the moderator's own account ---------------------------------------------------------


@pytest.mark.parametrize(
    ("standing", "expected"),
    [("suspended", Why.SUSPENDED), ("banned", Why.BANNED), ("pending", Why.PENDING)],
)
@pytest.mark.parametrize("situation", ["locked topic", "read-only board"])
def test_a_moderator_out_of_good_standing_is_told_of_their_account_not_of_the_lock(
    situation, standing, expected
):
    board, topic, post = _situation(situation)
    moderator = _actor(standing, board)
    moderator.role, moderator.moderated_boards = Role.MODERATOR, [board]
    assert permissions.why_not_reply(moderator, topic).why == expected
    assert permissions.why_not_edit(moderator, post).why == expected
    assert permissions.why_not_moderate(moderator, board).why == expected


def test_a_moderator_of_another_board_may_not_moderate_this_one():
    board, _topic, _post = _situation("open topic")
    assert permissions.why_not_moderate(_actor("other_mod", board), board).why == Why.NOT_MODERATOR


@pytest.mark.parametrize(
    ("actor", "staff", "administrator"),
    [
        ("member", Why.NOT_STAFF, Why.NOT_ADMINISTRATOR),
        ("moderator", None, Why.NOT_ADMINISTRATOR),
        ("admin", None, None),
        ("suspended", Why.SUSPENDED, Why.SUSPENDED),
        ("guest", Why.LOG_IN, Why.LOG_IN),
    ],
)
def test_the_staff_and_administrator_checks_give_their_reasons(actor, staff, administrator):
    board, _topic, _post = _situation("open topic")
    who = _actor(actor, board)
    for reason, expected in (
        (permissions.why_not_staff(who), staff),
        (permissions.why_not_administer(who), administrator),
    ):
        assert (reason.why if reason is not None else None) == expected


# --- the words -----------------------------------------------------------------------------


def test_every_reason_has_words_in_the_readers_language(app):
    board, topic, post = _situation("locked topic")
    suspended = _actor("suspended", board)
    with app.test_request_context("/?lang=fr"):
        reasons = [
            permissions.why_not_reply(AnonymousUserMixin(), topic),
            permissions.why_not_act(suspended),
            permissions.why_not_edit(_actor("author", board), post),
        ]
        words = [str(reason) for reason in reasons]
        assert words == [
            "Ce sujet est verrouillé\xa0: il n’accepte plus de réponses.",
            words[1],
            "Ce sujet est verrouillé\xa0: ses messages ne peuvent plus être modifiés.",
        ]
        assert words[1].startswith("Votre compte est suspendu jusqu’au ")


def test_a_suspension_reason_says_until_when(app):
    board, _topic, _post = _situation("open topic")
    suspended = _actor("suspended", board)
    suspended.suspended_until = utcnow().replace(year=2031, month=3, day=14)
    with app.test_request_context("/"):
        words = str(permissions.why_not_act(suspended))
    assert "March 14, 2031" in words


def test_require_raises_not_allowed_with_the_reason():
    board, topic, _post = _situation("locked topic")
    reason = permissions.why_not_reply(_actor("member", board), topic)
    with pytest.raises(NotAllowed) as refused:
        require(reason)
    assert refused.value.message is reason and refused.value.why == Why.LOCKED
    require(None)  # nothing against: goes on


# --- the pages -----------------------------------------------------------------------------


def _locked_topic_with_reply():
    board = make_board()
    author = make_user(username="author")
    topic = make_topic(board=board, author=author)
    reply = make_reply(parent=opening_post(topic), author=author, body="my words")
    with database() as session:
        session.get(Topic, topic.id).is_locked = True
        session.commit()
    return author, topic, reply


def test_the_author_of_a_post_in_a_locked_topic_is_told_the_topic_is_locked(client):
    author, _topic, reply = _locked_topic_with_reply()
    log_in(client, author)
    response = client.get(f"/p/{reply.id}/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This topic is locked: its posts can no longer be edited." in page
    assert "You can only edit your own posts" not in page


def test_saving_an_edit_in_a_locked_topic_is_refused_with_the_reason(client):
    author, _topic, reply = _locked_topic_with_reply()
    log_in(client, author)
    response = submit(client, f"/p/{reply.id}/edit", {"body": "changed", "language": "en"})
    assert response.status_code == 403
    assert "This topic is locked" in response.get_data(as_text=True)
    assert fetch(Post, reply.id).body_source == "my words"


def test_another_member_is_told_the_post_is_not_theirs(client):
    _author, _topic, reply = _locked_topic_with_reply()
    log_in(client, make_user(username="reader"))
    response = client.get(f"/p/{reply.id}/edit")
    assert response.status_code == 403
    assert "You can only edit your own posts." in response.get_data(as_text=True)


def test_a_suspended_member_is_told_until_when_on_the_reply_form(client):
    board = make_board()
    topic = make_topic(board=board, author=make_user(username="author"))
    member = make_user(username="kofi")
    with database() as session:
        session.get(User, member.id).suspended_until = utcnow() + timedelta(days=3)
        session.commit()
    log_in(client, member)
    response = client.get(f"/p/{topic.first_post_id}/reply")
    assert response.status_code == 403
    assert "Your account is suspended until" in response.get_data(as_text=True)


def test_the_topic_page_says_why_there_is_no_reply_box(client):
    _author, topic, _reply = _locked_topic_with_reply()
    log_in(client, make_user(username="reader"))
    page = client.get(f"/t/{topic.id}", follow_redirects=True).get_data(as_text=True)
    assert "This topic is locked: no new replies." in page
    assert 'class="reply-box"' not in page


def test_a_read_only_board_says_why_no_topic_can_be_started(client):
    board = make_board(slug="news", name="News", read_only=True)
    log_in(client, make_user(username="reader"))
    reason = "This board is read-only: only its moderators start topics and reply."
    assert reason in client.get("/b/news").get_data(as_text=True)
    response = client.get(f"/b/{board.slug}/new")
    assert response.status_code == 403
    assert reason in response.get_data(as_text=True)


def test_reporting_ones_own_post_is_refused_with_the_reason(client):
    author, topic, _reply = _locked_topic_with_reply()
    log_in(client, author)
    response = client.get(f"/p/{topic.first_post_id}/report")
    assert response.status_code == 403
    assert "You cannot report your own post." in response.get_data(as_text=True)


def test_a_suspended_moderator_is_told_of_the_suspension_not_of_the_role(client):
    board = make_board()
    topic = make_topic(board=board, author=make_user(username="author"))
    moderator = make_user(username="mod", role=Role.MODERATOR)
    with database() as session:
        session.add(BoardModerator(board_id=board.id, user_id=moderator.id))
        session.get(User, moderator.id).suspended_until = utcnow() + timedelta(days=3)
        session.commit()
    log_in(client, moderator)
    response = client.get(f"/t/{topic.id}/moderate/lock")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your account is suspended until" in page
    assert "Only the moderators of this board" not in page


def test_a_refusal_inside_a_form_is_shown_on_the_form_and_rolled_back(app):
    from brain.extensions import db
    from brain.forum.forms import ReplyForm
    from brain.web import refusals_on

    board = make_board()
    with app.test_request_context("/", method="POST"):
        form = ReplyForm(formdata=None)
        with refusals_on(form) as attempt:
            db.session.get(Board, board.id).name = "Changed"
            require(permissions.why_not_act(AnonymousUserMixin()))
        assert not attempt.done
        assert form.body.errors == ["Please log in to continue."]
        assert db.session.get(Board, board.id).name == "Cooperatives"
        with refusals_on(form) as attempt:
            pass
        assert attempt.done
