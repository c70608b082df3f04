"""The guests' page cache: served while nothing changed, never personal, never stale after a
write (in this process or another)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from tests.factories import (
    database,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)


@pytest.fixture
def cached(app):
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["brain_page_cache"].entries.clear()
    yield app
    app.extensions["brain_page_cache"].entries.clear()


@pytest.fixture
def topic(cached):
    board = make_board()
    return make_topic(board=board, author=make_user(), title="Tontines", body="First words")


def url(topic) -> str:
    return f"/t/{topic.id}-{topic.slug}"


def test_a_guest_page_is_served_again_from_memory(client, topic):
    first = client.get(url(topic))
    assert first.status_code == 200 and "X-Page-Cache" not in first.headers
    assert "Set-Cookie" not in first.headers  # a guest's page starts no session
    second = client.get(url(topic))
    assert second.headers["X-Page-Cache"] == "hit"
    assert second.get_data() == first.get_data()
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_write_shows_at_once(client, topic):
    client.get(url(topic))
    make_reply(parent=opening_post(topic), author=make_user(username="lucia"), body="New reply")
    page = client.get(url(topic))
    assert "X-Page-Cache" not in page.headers
    assert "New reply" in page.get_data(as_text=True)


def test_a_write_by_another_process_shows_too(client, topic):
    client.get(url(topic))
    assert client.get(url(topic)).headers.get("X-Page-Cache") == "hit"
    # Another worker committed a change and bumped the shared counter.
    with database() as session:
        session.execute(text("UPDATE content_version SET value = value + 1"))
        session.commit()
    assert "X-Page-Cache" not in client.get(url(topic)).headers


def test_members_are_never_served_from_the_cache(client, topic, session_app):
    guest = session_app.test_client()
    guest.get(url(topic))
    log_in(client, make_user(username="kofi", display_name="Kofi Mensah"))
    page = client.get(url(topic))
    assert "X-Page-Cache" not in page.headers
    assert "Kofi Mensah" in page.get_data(as_text=True)
    # And what a member saw is never given to a guest.
    again = guest.get(url(topic))
    assert "Kofi Mensah" not in again.get_data(as_text=True)


def test_each_language_has_its_own_copy(client, topic, session_app):
    french = session_app.test_client()
    client.get(url(topic), headers={"Accept-Language": "en"})
    page = french.get(url(topic), headers={"Accept-Language": "fr"})
    assert "X-Page-Cache" not in page.headers
    assert '<html lang="fr"' in page.get_data(as_text=True)
    switched = session_app.test_client().get(url(topic) + "?lang=ar")
    assert "Set-Cookie" in switched.headers  # remembering the choice: not cached
    assert "X-Page-Cache" not in session_app.test_client().get(url(topic) + "?lang=ar").headers


def test_guests_switch_language_without_a_session(client, topic):
    html = client.get(url(topic) + "?view=flat").get_data(as_text=True)
    form = html.split('class="language-switch"')[0].rsplit("<form", 1)[1]
    assert 'method="get"' in form
    assert (
        'name="view" value="flat"' in html.split('class="language-switch"')[1].split("</form>")[0]
    )


def test_a_guest_with_a_session_is_not_served_from_the_cache(client, topic):
    client.get("/login")  # the login form's CSRF token starts a session
    client.get(url(topic))
    assert "X-Page-Cache" not in client.get(url(topic)).headers


def test_only_reading_pages_are_cached(client, topic):
    for address in ("/b/cooperatives", "/"):
        client.get(address)
        assert client.get(address).headers.get("X-Page-Cache") == "hit", address
    assert client.get("/nowhere").status_code == 404
    assert "X-Page-Cache" not in client.get("/nowhere").headers
    for address in ("/search?q=tontines", "/members", "/login"):
        client.get(address)
        assert "X-Page-Cache" not in client.get(address).headers


def test_moderation_reaches_guests_at_once(client, topic, session_app):
    from brain.models import Role

    moderator = make_user(username="mod", role=Role.ADMIN)
    client.get(url(topic))
    staff = session_app.test_client()
    log_in(staff, moderator)
    assert submit(staff, f"/t/{topic.id}/moderate/hide", {"reason": "spam"}).status_code == 302
    assert client.get(url(topic)).status_code == 404


def test_a_reply_reads_its_topic_once_and_moves_the_counter_as_it_commits(app, client, topic):
    """The counter moves in the writer's own transaction, as its last statement: other
    processes see the change and the count together, and a write costs no second commit."""
    log_in(client, make_user(username="kofi"))
    with database() as session:
        before = session.scalar(text("SELECT value FROM content_version WHERE id = 1"))
    transactions = [[]]  # the statements of each transaction, in order
    engine = app.extensions["brain_page_cache"].engine

    def executed(_conn, _cursor, statement, *_args) -> None:
        transactions[-1].append(" ".join(statement.split()[:3]))

    def committed(_connection) -> None:
        transactions.append([])

    event.listen(engine, "after_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    try:
        reply = submit(
            client, f"/p/{topic.first_post_id}/reply", {"body": "Agreed.", "language": "en"}
        )
    finally:
        event.remove(engine, "after_cursor_execute", executed)
        event.remove(engine, "commit", committed)
    assert reply.status_code == 302
    writes = [t for t in transactions if "INSERT INTO posts" in t]
    assert len(writes) == 1 and writes[0][-1] == "UPDATE content_version SET"
    # The post answered is read with its topic and board, once (and nothing else loads them).
    reply_reads = writes[0][writes[0].index("SELECT posts.id, posts.topic_id,") :]
    assert reply_reads.count("SELECT topics.id, topics.board_id,") == 1
    assert "SELECT boards.id, boards.slug," not in reply_reads
    # No transaction of its own (the notifications fanned out are a change of their own).
    assert ["UPDATE content_version SET"] not in transactions
    with database() as session:
        moved = sum("UPDATE content_version SET" in t for t in transactions)
        assert (
            session.scalar(text("SELECT value FROM content_version WHERE id = 1")) == before + moved
        )
