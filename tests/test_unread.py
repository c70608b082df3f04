"""Read and unread: a member's place in each topic, what counts as new to them (across pages,
after replies, never their own posts, never hidden or deleted ones, following posts that move),
"mark as read" for a board and for everything, landing on the first unread post, muted topics
out of recent activity, and nothing of it for guests or their cached pages."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import func, select

from brain.forum.unread import unread_counts
from brain.models import (
    Board,
    BoardRead,
    ContentVersion,
    Counter,
    Post,
    Role,
    Topic,
    TopicRead,
    User,
    Watch,
    WatchLevel,
)
from brain.ops import cooperation as cooperation_ops
from brain.ops import moderation
from brain.ops import posts as post_ops
from brain.ops.posts import delete_post
from brain.ops.reading import UNREAD_MAX
from tests.factories import (
    csrf_token,
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
from tests.test_html import VNU, validate

PER_PAGE = 5
MARKER = re.compile(r'<a class="unread-count" href="/t/(\d+)/unread">(\d+) new</a>')


@pytest.fixture
def pages(app):
    """Five posts a page, so a topic of fifteen posts has three."""
    app.config["POSTS_PER_PAGE"] = PER_PAGE


@pytest.fixture
def board(app):
    return make_board()


@pytest.fixture
def author(app):
    return make_user(username="amina", display_name="Amina Diallo")


@pytest.fixture
def reader(app):
    return make_user(username="kofi", display_name="Kofi Mensah")


def long_topic(board, author, replies: int = 14, title: str = "Cooperative law reform"):
    """A topic whose replies all answer its opening post: tree order is id order, so page n
    holds the n-th five posts."""
    topic = make_topic(board=board, author=author, title=title)
    for n in range(replies):
        make_reply(parent=opening_post(topic), author=author, body=f"Reply number {n}")
    return topic


def unread(user, topic) -> int:
    with database() as session:
        return unread_counts(session.get(User, user.id), [topic.id]).get(topic.id, 0)


def topic_url(topic, page: int = 1) -> str:
    return f"/t/{topic.id}-{topic.slug}" + (f"?page={page}" if page > 1 else "")


def post_ids(topic) -> list[int]:
    with database() as session:
        return list(
            session.scalars(select(Post.id).where(Post.topic_id == topic.id).order_by(Post.id))
        )


def markers(page) -> dict[int, int]:
    """{topic id: count} of the "N new" links on a page."""
    html = page.get_data(as_text=True)
    return {int(topic_id): int(count) for topic_id, count in MARKER.findall(html)}


def content_version() -> int:
    with database() as session:
        return session.get(ContentVersion, Counter.CONTENT).value


def moderator():
    return make_user(username="moder", role=Role.ADMIN)


# --- the arithmetic ----------------------------------------------------------------------


def test_a_topic_never_opened_is_new_from_the_first_post(client, board, author, reader):
    topic = long_topic(board, author, replies=2)
    assert unread(reader, topic) == 3


def test_what_was_written_before_the_member_joined_is_not_new(client, board, author):
    topic = long_topic(board, author, replies=2)
    newcomer = make_user(username="noura")
    assert unread(newcomer, topic) == 0
    make_reply(parent=opening_post(topic), author=author, body="Since you came")
    assert unread(newcomer, topic) == 1
    # By their mark, not only by dates: a count reads the posts written since they joined.
    assert fetch(User, newcomer.id).read_all_up_to == post_ids(topic)[-2]


def test_reading_page_one_leaves_the_later_pages_unread(client, pages, board, author, reader):
    topic = long_topic(board, author)
    log_in(client, reader)
    assert client.get(topic_url(topic)).status_code == 200
    assert unread(reader, topic) == 10


def test_reading_page_three_after_page_one_reads_it_all(client, pages, board, author, reader):
    topic = long_topic(board, author)
    log_in(client, reader)
    client.get(topic_url(topic, 1))
    client.get(topic_url(topic, 3))
    assert unread(reader, topic) == 0


def test_a_place_never_moves_back(client, pages, board, author, reader):
    topic = long_topic(board, author)
    log_in(client, reader)
    client.get(topic_url(topic, 2))
    assert unread(reader, topic) == 5
    client.get(topic_url(topic, 1))
    assert unread(reader, topic) == 5
    with database() as session:
        place = session.get(TopicRead, (reader.id, topic.id)).post_id
    assert place == post_ids(topic)[9]  # the newest post page 2 showed


def test_a_reply_after_reading_is_one_new(client, board, author, reader):
    topic = long_topic(board, author, replies=2)
    log_in(client, reader)
    client.get(topic_url(topic))
    assert unread(reader, topic) == 0
    make_reply(parent=opening_post(topic), author=author, body="One more thought")
    assert unread(reader, topic) == 1
    assert markers(client.get(f"/b/{board.slug}")) == {topic.id: 1}


def test_a_members_own_posts_are_never_unread(client, board, author, reader):
    own = make_topic(board=board, author=reader, title="My own question")
    make_reply(parent=opening_post(own), author=reader, body="And my own follow-up")
    assert unread(reader, own) == 0
    topic = long_topic(board, author, replies=1)
    log_in(client, reader)
    client.get(topic_url(topic))
    make_reply(parent=opening_post(topic), author=reader, body="My answer")
    make_reply(parent=opening_post(topic), author=author, body="Thanks for it")
    assert unread(reader, topic) == 1


def test_hidden_and_deleted_posts_are_not_counted(client, board, author, reader):
    topic = long_topic(board, author, replies=3)
    hidden, deleted = post_ids(topic)[2:4]
    admin = moderator()
    with database() as session:
        moderation.hide_post(session.get(Post, hidden), session.get(User, admin.id), "Spam")
        delete_post(session.get(Post, deleted))
        session.commit()
    assert unread(reader, topic) == 2  # the opening post and the first reply


def test_a_hidden_topic_has_nothing_new(client, board, author, reader):
    topic = long_topic(board, author, replies=1)
    admin = moderator()
    with database() as session:
        moderation.hide_topic(session.get(Topic, topic.id), session.get(User, admin.id), "Off")
        session.commit()
    assert unread(reader, topic) == 0


def test_posts_moved_out_of_a_topic_leave_its_count(client, board, author, reader):
    topic = long_topic(board, author, replies=3)
    moved = post_ids(topic)[2]
    admin = moderator()
    with database() as session:
        new_topic = moderation.split_topic(
            session.get(Post, moved), session.get(User, admin.id), "A topic of its own"
        )
        session.commit()
        new_topic_id = new_topic.id
    assert unread(reader, topic) == 3
    assert unread(reader, fetch(Topic, new_topic_id)) == 1


def test_posts_moved_into_a_topic_count_there_when_newer_than_the_place(
    client, board, author, reader
):
    target = long_topic(board, author, replies=1, title="Where it ends up")
    log_in(client, reader)
    client.get(topic_url(target))
    source = long_topic(board, author, replies=1, title="Where it started")
    admin = moderator()
    with database() as session:
        moderation.merge_topic(
            session.get(Topic, source.id),
            session.get(Topic, target.id),
            session.get(User, admin.id),
        )
        session.commit()
    assert unread(reader, target) == 2


def test_counts_are_per_topic_in_one_list(client, board, author, reader):
    quiet = long_topic(board, author, replies=0, title="Quiet one")
    busy = long_topic(board, author, replies=2, title="Busy one")
    log_in(client, reader)
    client.get(topic_url(quiet))
    with database() as session:
        counts = unread_counts(session.get(User, reader.id), [quiet.id, busy.id])
    assert counts == {busy.id: 3}


# --- mark as read ------------------------------------------------------------------------


def test_marking_a_board_read_reads_its_topics_only(client, board, author, reader):
    here = long_topic(board, author, replies=1)
    elsewhere_board = make_board(slug="finance", name="Finance")
    elsewhere = long_topic(elsewhere_board, author, replies=1)
    log_in(client, reader)
    client.get(topic_url(here))  # a place the board's mark makes redundant
    make_reply(parent=opening_post(here), author=author, body="Unread until the mark")
    response = submit(client, f"/b/{board.slug}/mark-read")
    assert response.status_code == 302 and response.location.endswith(f"/b/{board.slug}")
    assert unread(reader, here) == 0
    assert unread(reader, elsewhere) == 2
    with database() as session:
        assert session.get(BoardRead, (reader.id, board.id)).post_id == max(post_ids(here))
        assert session.get(TopicRead, (reader.id, here.id)) is None
    make_reply(parent=opening_post(here), author=author, body="After the mark")
    assert unread(reader, here) == 1


def test_marking_everything_read(client, board, author, reader):
    one = long_topic(board, author, replies=1)
    other = long_topic(make_board(slug="finance", name="Finance"), author, replies=2)
    log_in(client, reader)
    response = submit(client, "/mark-all-read")
    assert response.status_code == 302 and response.location.endswith("/")
    assert unread(reader, one) == unread(reader, other) == 0
    with database() as session:
        newest = session.scalar(select(func.max(Post.id)))
        assert session.get(User, reader.id).read_all_up_to == newest
    make_reply(parent=opening_post(other), author=author, body="After the mark")
    assert unread(reader, other) == 1
    assert "Everything is marked as read." in client.get("/").get_data(as_text=True)


def test_marking_read_needs_the_forms_token(client, board, author, reader):
    topic = long_topic(board, author, replies=1)
    log_in(client, reader)
    assert client.post("/mark-all-read").status_code == 400
    assert client.post(f"/b/{board.slug}/mark-read").status_code == 400
    assert unread(reader, topic) == 2


def test_guests_cannot_mark_anything_read(client, board):
    response = client.post("/mark-all-read", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302 and "/login" in response.location


def test_the_buttons_are_on_the_board_and_home_pages_for_members(client, board, reader):
    log_in(client, reader)
    board_page = client.get(f"/b/{board.slug}").get_data(as_text=True)
    assert f'action="/b/{board.slug}/mark-read"' in board_page
    assert "Mark this board as read" in board_page
    home = client.get("/").get_data(as_text=True)
    assert 'action="/mark-all-read"' in home and "Mark everything as read" in home


# --- landing on the first unread post ----------------------------------------------------


def test_opening_a_topic_lands_on_the_first_unread_post(client, pages, board, author, reader):
    topic = long_topic(board, author)
    log_in(client, reader)
    client.get(topic_url(topic, 1))
    first_unread = post_ids(topic)[5]
    response = client.get(f"/t/{topic.id}/unread")
    assert response.status_code == 302 and response.location.endswith(f"/p/{first_unread}")
    landing = client.get(response.location)
    assert landing.location.endswith(f"{topic_url(topic, 2)}#p{first_unread}")


def test_with_nothing_unread_it_lands_on_the_newest_post(client, pages, board, author, reader):
    topic = long_topic(board, author)
    log_in(client, reader)
    client.get(topic_url(topic, 3))
    response = client.get(f"/t/{topic.id}/unread")
    assert response.location.endswith(f"/p/{post_ids(topic)[-1]}")


def test_the_marker_links_to_the_first_unread_post(client, board, author, reader):
    topic = long_topic(board, author, replies=2)
    log_in(client, reader)
    page = client.get(f"/b/{board.slug}").get_data(as_text=True)
    assert f'<a class="unread-count" href="/t/{topic.id}/unread">3 new</a>' in page


def test_the_marks_speak_each_readers_language(client, board, author, reader):
    topic = long_topic(board, author, replies=2)
    log_in(client, reader)
    link = f'<a class="unread-count" href="/t/{topic.id}/unread">'
    for language, words in (("fr", "3 nouveaux"), ("en", "3 new"), ("es", "3 nuevos")):
        page = client.get(f"/b/{board.slug}?lang={language}").get_data(as_text=True)
        assert f"{link}{words}</a>" in page


def test_past_ninety_nine_a_list_says_99_plus_and_counts_no_further(
    client, pages, board, author, reader
):
    topic = make_topic(board=board, author=author, title="A long conversation")
    with database() as session:
        parent, writer = session.get(Post, topic.first_post_id), session.get(User, author.id)
        for number in range(UNREAD_MAX + 1):
            post_ops.reply(parent, writer, f"Reply number {number}", "en")
        session.commit()
    # 101 posts, all new to the reader: the count stops at one past what a list says.
    assert unread(reader, topic) == UNREAD_MAX + 1
    log_in(client, reader)
    page = client.get(f"/b/{board.slug}").get_data(as_text=True)
    assert f'<a class="unread-count" href="/t/{topic.id}/unread">99+ new</a>' in page
    client.get(topic_url(topic, 1))
    client.get(topic_url(topic, 2))
    page = client.get(f"/b/{board.slug}").get_data(as_text=True)
    assert f'<a class="unread-count" href="/t/{topic.id}/unread">91 new</a>' in page


# --- guests ------------------------------------------------------------------------------


def test_guests_see_no_markers_and_no_buttons(client, board, author):
    topic = long_topic(board, author, replies=2)
    for url in (f"/b/{board.slug}", "/"):
        page = client.get(url).get_data(as_text=True)
        assert topic.title in page
        assert "unread-count" not in page and "mark-read" not in page and " new<" not in page
    assert client.get(f"/t/{topic.id}/unread").location.endswith(f"/p/{post_ids(topic)[-1]}")


@pytest.fixture
def cached(app):
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["brain_page_cache"].entries.clear()
    yield app
    app.extensions["brain_page_cache"].entries.clear()


def test_reading_leaves_the_guests_page_cache_alone(cached, client, board, author, reader):
    topic = long_topic(board, author, replies=2)
    guest = cached.test_client()
    log_in(client, reader)
    before = content_version()
    guest.get(f"/b/{board.slug}")
    client.get(topic_url(topic))
    submit(client, f"/b/{board.slug}/mark-read")
    submit(client, "/mark-all-read")
    assert content_version() == before
    again = guest.get(f"/b/{board.slug}")
    assert again.headers.get("X-Page-Cache") == "hit"
    with database() as session:
        assert session.get(User, reader.id).read_all_up_to  # the marks were written


# --- muted topics --------------------------------------------------------------------------


def mute(user, *, topic=None, board=None, level=WatchLevel.MUTED) -> None:
    with database() as session:
        session.add(
            Watch(
                user_id=user.id,
                topic_id=topic.id if topic else None,
                board_id=board.id if board else None,
                level=level,
            )
        )
        session.commit()


def recent_titles(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return html.split('id="recent-heading"', 1)[1]


def test_a_muted_topic_is_not_in_the_members_recent_activity(client, board, author, reader):
    muted = make_topic(board=board, author=author, title="Muted conversation")
    kept = make_topic(board=board, author=author, title="Followed conversation")
    mute(reader, topic=muted)
    log_in(client, reader)
    recent = recent_titles(client)
    assert kept.title in recent and muted.title not in recent
    assert muted.title in recent_titles(fresh_client(client))  # others still see it


def test_a_muted_board_is_not_in_the_members_recent_activity(client, board, author, reader):
    quiet_board = make_board(slug="finance", name="Finance")
    muted = make_topic(board=quiet_board, author=author, title="Muted by its board")
    normal = make_topic(board=board, author=author, title="Watched as usual")
    mute(reader, board=quiet_board)
    mute(reader, topic=normal, level=WatchLevel.NORMAL)
    log_in(client, reader)
    recent = recent_titles(client)
    assert normal.title in recent and muted.title not in recent


def fresh_client(client):
    return client.application.test_client()


# --- the other lists -----------------------------------------------------------------------


def test_the_home_pages_recent_activity_shows_counts(client, board, author, reader):
    topic = long_topic(board, author, replies=2)
    log_in(client, reader)
    assert markers(client.get("/")) == {topic.id: 3}
    client.get(topic_url(topic))
    assert markers(client.get("/")) == {}


def test_the_meeting_point_list_shows_counts(client, app, author, reader):
    meeting_board = make_board(slug=app.config["MEETING_POINT_BOARD"], name="Meeting Point")
    with database() as session:
        topic = cooperation_ops.post_cooperation(
            session.get(Board, meeting_board.id),
            session.get(User, author.id),
            "Rotating funds",
            "We look for training on rotating funds.",
            "en",
            cooperation_ops.Details(
                kind="request",
                modality="training",
                themes=["social-finance"],
                countries=["MX"],
                sdgs=[8],
                languages=["es"],
            ),
        )
        session.commit()
        topic_id, first = topic.id, topic.first_post_id
    make_reply(parent=fetch(Post, first), author=author, body="More details")
    log_in(client, reader)
    assert markers(client.get("/meeting-point/")) == {topic_id: 2}
    assert markers(fresh_client(client).get("/meeting-point/")) == {}


# --- cost ----------------------------------------------------------------------------------


def board_page_queries(client, count_queries, board) -> int:
    client.get(f"/b/{board.slug}")  # warm up
    with count_queries() as statements:
        page = client.get(f"/b/{board.slug}")
    assert page.status_code == 200
    return len(statements), markers(page)


def test_the_board_page_costs_the_same_for_2_or_20_topics_with_news(
    client, count_queries, board, author, reader
):
    log_in(client, reader)
    for n in range(2):
        long_topic(board, author, replies=1, title=f"Topic {n}")
    few, few_markers = board_page_queries(client, count_queries, board)
    for n in range(2, 20):
        long_topic(board, author, replies=n % 3, title=f"Topic {n}")
    many, many_markers = board_page_queries(client, count_queries, board)
    assert len(few_markers) == 2 and len(many_markers) == 20
    assert few == many


# --- the pages stay valid --------------------------------------------------------------------


@pytest.mark.skipif(
    not VNU.exists() or shutil.which("java") is None, reason="HTML checker missing (see test_html)"
)
def test_pages_with_markers_and_buttons_are_valid_html(client, board, author, reader, tmp_path):
    topic = long_topic(board, author, replies=2)
    log_in(client, reader)
    pages = {url: client.get(url).get_data(as_text=True) for url in (f"/b/{board.slug}", "/")}
    pages["/?lang=ar"] = client.get("/?lang=ar").get_data(as_text=True)
    assert all(f"/t/{topic.id}/unread" in html for html in pages.values())
    problems = validate(pages, tmp_path)
    assert not problems, problems
