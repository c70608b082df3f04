"""The home page and board pages."""

from __future__ import annotations

import re
from datetime import timedelta

from brain.models import Topic, utcnow
from tests.factories import database, log_in, make_board, make_reply, make_topic, make_user


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'class="topic-title"[^>]*>([^<]+)<', html)


def test_home_lists_boards_and_recent_topics(client):
    board = make_board(slug="cooperatives", name="Cooperatives")
    make_topic(board=board, author=make_user(), title="Law 112-12 in Morocco")
    page = client.get("/").get_data(as_text=True)
    assert "Cooperatives" in page
    assert "Law 112-12 in Morocco" in page
    assert "1 topic" in page


def test_members_only_boards_are_hidden_from_guests(client):
    lounge = make_board(slug="lounge", name="Alumni lounge", members_only=True)
    user = make_user()
    make_topic(board=lounge, author=user, title="Private reunion plans")
    page = client.get("/").get_data(as_text=True)
    assert "Alumni lounge" not in page and "Private reunion plans" not in page
    response = client.get("/b/lounge")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    log_in(client, user)
    assert "Private reunion plans" in client.get("/b/lounge").get_data(as_text=True)


def test_board_lists_pinned_topics_first_then_by_last_activity(client):
    board = make_board()
    author = make_user()
    now = utcnow()
    old = make_topic(
        board=board, author=author, title="Old but pinned", when=now - timedelta(days=9)
    )
    make_topic(board=board, author=author, title="Quiet topic", when=now - timedelta(days=5))
    revived = make_topic(
        board=board, author=author, title="Revived topic", when=now - timedelta(days=7)
    )
    make_topic(board=board, author=author, title="Recent topic", when=now - timedelta(days=1))
    with database() as session:
        session.get(Topic, old.id).is_pinned = True
        session.commit()
    make_reply(parent=revived_opening(revived), author=author, body="Bringing this back")
    html = client.get("/b/cooperatives").get_data(as_text=True)
    assert titles_in_order(html) == [
        "Old but pinned",
        "Revived topic",
        "Recent topic",
        "Quiet topic",
    ]


def revived_opening(topic):
    from tests.factories import opening_post

    return opening_post(topic)


def test_board_pages_are_paginated(client, app):
    app.config["TOPICS_PER_PAGE"] = 3
    board = make_board()
    author = make_user()
    now = utcnow()
    for n in range(7):
        make_topic(
            board=board, author=author, title=f"Topic number {n}", when=now - timedelta(hours=n)
        )
    first = titles_in_order(client.get("/b/cooperatives").get_data(as_text=True))
    third = titles_in_order(client.get("/b/cooperatives?page=3").get_data(as_text=True))
    assert first == ["Topic number 0", "Topic number 1", "Topic number 2"]
    assert third == ["Topic number 6"]
    assert client.get("/b/cooperatives?page=4").status_code == 404


def test_bad_page_numbers_are_a_404_not_an_error(client):
    make_board()
    for page in ("0", "-1", "99999999999999999999", "١"):
        assert client.get(f"/b/cooperatives?page={page}").status_code in (200, 404), page
    assert client.get("/b/cooperatives?page=100001").status_code == 404


def test_unknown_board_is_a_404(client):
    response = client.get("/b/no-such-board")
    assert response.status_code == 404
    assert "There is no board at this address." in response.get_data(as_text=True)


def test_read_only_board_takes_topics_only_from_moderators(client):
    from brain.models import Role

    make_board(slug="announcements", name="Announcements", read_only=True)
    member = make_user(username="member")
    admin = make_user(username="admin", role=Role.ADMIN)
    log_in(client, member)
    assert client.get("/b/announcements/new").status_code == 403
    client.delete_cookie("session")
    log_in(client, admin)
    assert client.get("/b/announcements/new").status_code == 200
