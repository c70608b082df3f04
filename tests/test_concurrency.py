"""Nothing lost under concurrency: simultaneous edits, replies and double submissions,
driven by real threads against the app served on a real port (TESTING.md), on SQLite and
PostgreSQL."""

from __future__ import annotations

import html
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from brain import queue
from brain.models import Post, PostRevision, Topic
from tests.factories import (
    PASSWORD,
    database,
    fetch,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)
from tests.live import Browser, served

pytestmark = pytest.mark.commits  # threads against a served app: real commits


@pytest.fixture(autouse=True)
def _queue_in_a_worker(app):
    """As in production, the queue's tasks (notification fan-out, mail) wait for a worker
    instead of running inside each of a dozen simultaneous requests: these tests are about
    the requests' own writes."""
    queue.huey.immediate = False  # an in-memory queue no one takes from
    yield
    queue.huey.immediate = True


SAVED = "Your changes are saved."
CHANGED = "This post changed while you were editing."


def _at_once(count: int, work) -> list:
    """Run work(i) in *count* threads released together by a barrier."""
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _history(post_id: int) -> tuple[str, list[str]]:
    with database() as session:
        current = session.get(Post, post_id).body_source
        older = session.scalars(
            select(PostRevision.body_source)
            .where(PostRevision.post_id == post_id)
            .order_by(PostRevision.id)
        ).all()
    return current, list(older)


def _edit(browser: Browser, post_id: int, form: dict, text: str):
    return browser.post(f"/p/{post_id}/edit", {**form, "body": text, "language": "en"})


def _check_edits(post_id: int, attempts: list[tuple[str, object]]) -> int:
    """Every acknowledged edit is the post's text or in its history, once; every refused
    one was answered with the conflict page holding the member's text. Returns how many
    were saved."""
    current, older = _history(post_id)
    kept = [*older, current]
    saved = 0
    for text, reply in attempts:
        if reply.status == 302:
            saved += 1
            assert kept.count(text) == 1, (text, kept)
        else:
            assert reply.status == 409, reply.text[:300]
            assert CHANGED in html.unescape(reply.text)
            assert text in html.unescape(reply.text)  # the member's words are kept
            assert text not in kept
    # No version of the text is stored twice in a row (the lost-edit signature).
    assert all(first != second for first, second in pairwise(kept)), kept
    return saved


def test_an_author_and_an_administrator_saving_at_once_lose_no_acknowledged_edit(app):
    from brain.models import Role

    board = make_board()
    author = make_user(username="amina")
    admin = make_user(username="kofi", role=Role.ADMIN)
    topic = make_topic(board=board, author=author)
    post = make_reply(parent=opening_post(topic), author=author, body="First words")
    with served(app) as base:
        people = [Browser(base), Browser(base)]
        people[0].log_in(author.username, PASSWORD)
        people[1].log_in(admin.username, PASSWORD)
        saved = 0
        for attempt in range(10):
            forms = [person.hidden_fields(f"/p/{post.id}/edit") for person in people]
            texts = [f"Author's edit {attempt}", f"Administrator's edit {attempt}"]
            replies = _at_once(
                2, lambda i, forms=forms, texts=texts: _edit(people[i], post.id, forms[i], texts[i])
            )
            saved += _check_edits(post.id, list(zip(texts, replies, strict=True)))
    assert saved >= 10  # each round at least one of the two goes through


def test_a_member_editing_from_four_sessions_keeps_every_acknowledged_edit(app):
    author = make_user(username="amina")
    topic = make_topic(board=make_board(), author=author)
    post = make_reply(parent=opening_post(topic), author=author, body="Draft")
    with served(app) as base:
        sessions = [Browser(base) for _ in range(4)]
        for browser in sessions:
            browser.log_in(author.username, PASSWORD)
        attempts = []
        for attempt in range(10):
            forms = [browser.hidden_fields(f"/p/{post.id}/edit") for browser in sessions]
            texts = [f"Session {i}, round {attempt}" for i in range(4)]
            replies = _at_once(
                4,
                lambda i, forms=forms, texts=texts: _edit(sessions[i], post.id, forms[i], texts[i]),
            )
            attempts += list(zip(texts, replies, strict=True))
        _check_edits(post.id, attempts)


def test_a_stale_edit_form_is_refused_with_the_members_text_kept(client, app):
    from tests.factories import log_in, submit

    author = make_user(username="amina")
    topic = make_topic(board=make_board(), author=author)
    post = make_reply(parent=opening_post(topic), author=author, body="Version one")
    log_in(client, author)
    old_version = str(fetch(Post, post.id).version)
    form = {"body": "Version two", "language": "en", "version": old_version}
    assert submit(client, f"/p/{post.id}/edit", form).status_code == 302
    stale = {"body": "Written on the old version", "language": "en", "version": old_version}
    response = submit(client, f"/p/{post.id}/edit", stale)
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert CHANGED in page and "Written on the old version" in page
    assert "Version two" in page  # the current version, shown for comparison
    assert fetch(Post, post.id).body_source == "Version two"
    # The form now carries the current version: saving again replaces it knowingly.
    again = {**stale, "version": str(fetch(Post, post.id).version)}
    assert submit(client, f"/p/{post.id}/edit", again).status_code == 302
    assert fetch(Post, post.id).body_source == "Written on the old version"


def _counts(topic_id: int) -> tuple[int, int, int, int]:
    with database() as session:
        topic = session.get(Topic, topic_id)
        real = session.scalar(select(func.count(Post.id)).where(Post.topic_id == topic_id))
        return topic.post_count, real, topic.reply_count, real - 1


def test_members_replying_at_once_leave_the_topics_counts_right(app):
    board = make_board()
    members = [make_user(username=f"member{i}") for i in range(12)]
    topic = make_topic(board=board, author=members[0])
    first = topic.first_post_id
    with served(app) as base:
        browsers = [Browser(base) for _ in members]
        for browser, member in zip(browsers, members, strict=True):
            browser.log_in(member.username, PASSWORD)
        for round_number in range(3):
            forms = [browser.hidden_fields(f"/p/{first}/reply") for browser in browsers]

            def post_reply(i: int, round_number=round_number, forms=forms):
                data = {**forms[i], "body": f"Reply {i}/{round_number}", "language": "en"}
                return browsers[i].post(f"/p/{first}/reply", data)

            replies = _at_once(len(browsers), post_reply)
            assert [reply.status for reply in replies] == [302] * len(browsers)
            stored, real, replies_counted, real_replies = _counts(topic.id)
            assert (stored, replies_counted) == (real, real_replies)
    assert _counts(topic.id)[1] == 1 + 3 * len(members)


def _reply_posts(topic_id: int) -> list[Post]:
    with database() as session:
        return session.scalars(
            select(Post).where(Post.topic_id == topic_id, Post.parent_id.is_not(None))
        ).all()


def test_the_same_reply_form_sent_twice_at_once_makes_one_post(app):
    author = make_user(username="amina")
    topic = make_topic(board=make_board(), author=author)
    first = topic.first_post_id
    with served(app) as base:
        browser = Browser(base)
        browser.log_in(author.username, PASSWORD)
        for attempt in range(5):
            form = browser.hidden_fields(f"/p/{first}/reply")
            assert form.get("submission")
            data = {**form, "body": f"Pressed twice {attempt}", "language": "en"}
            replies = _at_once(2, lambda _i, data=data: browser.post(f"/p/{first}/reply", data))
            assert [reply.status for reply in replies] == [302, 302]
            assert replies[0].location == replies[1].location  # both land on the one post
    bodies = [post.body_source for post in _reply_posts(topic.id)]
    assert sorted(bodies) == [f"Pressed twice {i}" for i in range(5)]


def test_a_form_sent_again_after_it_went_through_lands_on_the_first_post(client):
    from tests.factories import log_in

    board = make_board()
    author = make_user(username="amina")
    log_in(client, author)
    page = client.get(f"/b/{board.slug}/new").get_data(as_text=True)
    token = page.split('name="submission" type="hidden" value="')[1].split('"')[0]
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = {
        "csrf_token": csrf,
        "submission": token,
        "title": "Housing cooperatives",
        "body": "Who has built one?",
        "language": "en",
    }
    first = client.post(f"/b/{board.slug}/new", data=data)
    again = client.post(f"/b/{board.slug}/new", data=data)  # a browser's retry
    assert first.status_code == again.status_code == 302
    with database() as session:
        topics = session.scalars(select(Topic).where(Topic.board_id == board.id)).all()
        assert len(topics) == 1
        assert again.headers["Location"].endswith(f"/p/{topics[0].first_post_id}")
    # A form shown anew has a new token: the next topic is a new one.
    fresh = client.get(f"/b/{board.slug}/new").get_data(as_text=True)
    assert token not in fresh


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "not a token!"])
def test_a_missing_or_malformed_token_is_ignored_not_an_error(client, token):
    from tests.factories import log_in, submit

    board = make_board()
    log_in(client, make_user(username="amina"))
    data = {"title": "A title", "body": "A body", "language": "en", "submission": token}
    assert submit(client, f"/b/{board.slug}/new", data).status_code == 302


def test_a_recount_waits_for_the_reply_being_counted_before_it(app):
    """The interleaving that lost replies on PostgreSQL, made certain: B recounts while A's
    reply is counted but not yet committed. B must count A's reply too."""
    from brain.extensions import db
    from brain.models import User
    from brain.ops import posts as post_ops

    board = make_board()
    first_member, second_member = make_user(username="amina"), make_user(username="kofi")
    topic = make_topic(board=board, author=first_member)
    counted = threading.Event()
    problems: list[BaseException] = []

    def first() -> None:
        try:
            with app.app_context():
                parent = db.session.get(Post, topic.first_post_id)
                post_ops.reply(parent, db.session.get(User, first_member.id), "A", "en")
                counted.set()
                threading.Event().wait(0.5)  # hold the transaction open a moment
                db.session.commit()
        except BaseException as error:  # reported below, in the test's thread
            problems.append(error)
            counted.set()

    def second() -> None:
        try:
            counted.wait(timeout=10)
            with app.app_context():
                parent = db.session.get(Post, topic.first_post_id)
                post_ops.reply(parent, db.session.get(User, second_member.id), "B", "en")
                db.session.commit()
        except BaseException as error:
            problems.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not problems
    assert _counts(topic.id) == (3, 3, 2, 2)
