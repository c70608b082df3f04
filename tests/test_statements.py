"""Lists of named parameters (brain.statements): the same answers as a plain IN list, for any
length, in the statements every member page runs (unread counts, unread notifications)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from brain import statements
from brain.extensions import db
from brain.forum.unread import unread_counts
from brain.models import User
from brain.ops import glance, notifications
from tests.factories import database, make_board, make_reply, make_topic, make_user, opening_post

LENGTHS = (1, 2, 7, 8, 9, 16, 17, 33, 40)


def test_a_list_takes_the_next_power_of_two_and_repeats_its_first_value():
    assert [statements.size_for(n) for n in (0, 1, 8, 9, 16, 17, 100)] == [8, 8, 8, 16, 16, 32, 128]
    assert statements.values("x", [5, 3], 8) == {f"x_{n}": 5 for n in range(8)} | {"x_1": 3}
    with pytest.raises(ValueError):
        statements.values("x", [], 8)
    with pytest.raises(ValueError):
        statements.values("x", list(range(9)), 8)


def test_a_named_list_answers_as_a_plain_in_list(app):
    users = [make_user(username=f"member{n}") for n in range(45)]
    ids = [user.id for user in users]
    with database() as session:
        for length in LENGTHS:
            wanted = ids[::-1][:length] if length % 2 else ids[:length]
            size = statements.size_for(length)
            named = select(User.id).where(statements.in_named(User.id, "wanted", size))
            found = session.scalars(named, statements.values("wanted", wanted, size)).all()
            plain = session.scalars(select(User.id).where(User.id.in_(wanted))).all()
            assert sorted(found) == sorted(plain) == sorted(wanted)
            # Compiled once: nothing in it is written out again at each run.
            assert "POSTCOMPILE" not in str(named.compile(db.engine))


def test_unread_counts_of_lists_of_every_length(app):
    board = make_board()
    author, reader = make_user(username="amina"), make_user(username="kofi")
    topics = []
    for n in range(40):
        topic = make_topic(board=board, author=author, title=f"Question {n}")
        for _ in range(n % 3):
            make_reply(parent=opening_post(topic), author=author, body="More on it")
        topics.append(topic)
    with database() as session:
        member = session.get(User, reader.id)
        for length in LENGTHS:
            listed = [topic.id for topic in topics[:length]]
            counts = unread_counts(member, listed)
            assert counts == {topic.id: 1 + n % 3 for n, topic in enumerate(topics[:length])}


def test_an_unread_notification_is_found_among_any_number_of_posts(app):
    board = make_board()
    author, reader = make_user(username="amina"), make_user(username="kofi")
    topic = make_topic(board=board, author=author, title="A long talk")
    posts = [make_reply(parent=opening_post(topic), author=author, body="More") for _ in range(40)]
    mentioned = make_reply(parent=opening_post(topic), author=author, body="Over to you @kofi")
    with database() as session:
        member = session.get(User, reader.id)
        # The worker's work: the mention becomes a notification.
        while (event := notifications.next_pending(0)) is not None:
            notifications.fan_out(event)
        session.commit()
        others = [post.id for post in posts]
        for length in LENGTHS:
            with_it = [*others[:length], mentioned.id]
            assert glance.answer(notifications.unread_about(member, with_it)) is not None
            assert glance.answer(notifications.unread_about(member, others[:length])) is None
