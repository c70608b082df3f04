"""Member profile pages."""

from __future__ import annotations

from tests.factories import make_board, make_reply, make_topic, make_user, opening_post


def test_profile_shows_name_join_date_topics_and_replies(client):
    board = make_board()
    amina = make_user(username="amina", display_name="Amina Diallo")
    topic = make_topic(board=board, author=amina, title="Tontines and digital money")
    other = make_topic(board=board, author=make_user(username="kwame"), title="Stokvels")
    make_reply(parent=opening_post(other), author=amina, body="In Senegal we do this too")
    page = client.get("/u/amina").get_data(as_text=True)
    assert "Amina Diallo" in page and "member since" in page
    assert topic.title in page
    assert 'href="/p/' in page and "Stokvels" in page


def test_profile_hides_activity_in_boards_the_reader_cannot_see(client):
    lounge = make_board(slug="lounge", name="Lounge", members_only=True)
    amina = make_user(username="amina")
    make_topic(board=lounge, author=amina, title="Members-only plans")
    assert "Members-only plans" not in client.get("/u/amina").get_data(as_text=True)


def test_profile_addresses_are_case_insensitive_and_canonical(client):
    make_user(username="Amina")
    response = client.get("/u/AMINA")
    assert response.status_code == 301 and response.headers["Location"] == "/u/Amina"
    assert client.get("/u/nobody").status_code == 404
