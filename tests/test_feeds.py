"""Atom feeds: what a guest may read, whoever asks, valid Atom 1.0, newest first, in the
reader's language; offered in the head of the pages they follow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import pytest

from brain.feeds import queries as feed_queries
from brain.models import Board, BoardTranslation, Post, Role, Topic, User
from brain.ops import cooperation as cooperation_ops
from brain.ops import moderation
from brain.ops import posts as post_ops
from brain.ops.accounts import register_member
from brain.ops.member_data import delete_account
from brain.vocabulary.meeting import REGION_OF
from tests.factories import (
    PASSWORD,
    database,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ALTERNATE_FEEDS = re.compile(
    r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">'
)


def read_feed(client, url: str, **kwargs):
    """The parsed feed at *url*, checked to be well-formed Atom served as such."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def titles(parsed) -> list[str]:
    return [entry.title for entry in parsed.entries]


def feed_links(client, url: str) -> dict[str, str]:
    """The feeds a page offers in its head: {path: title}."""
    html = client.get(url).get_data(as_text=True)
    head = html.split("</head>", 1)[0]
    return {
        path_of(href.replace("&amp;", "&")): title for title, href in ALTERNATE_FEEDS.findall(head)
    }


@pytest.fixture
def author(app):
    return make_user(username="amina", display_name="Amina Diallo")


@pytest.fixture
def board(app):
    return make_board(slug="cooperatives", name="Cooperatives")


# --- the latest topics ------------------------------------------------------------------------


def test_latest_topics_are_the_newest_public_topics_first(client, board, author):
    other = make_board(slug="finance", name="Social finance")
    make_topic(board=board, author=author, title="Older topic", when=T0)
    newer = make_topic(
        board=other,
        author=author,
        title="Newer topic",
        body="**Bold** words",
        when=T0 + timedelta(hours=1),
    )
    make_reply(parent=opening_post(newer), author=author, body="Replies are not topics")

    parsed = read_feed(client, "/feeds/latest.atom")

    assert titles(parsed) == ["Newer topic", "Older topic"]
    first = parsed.entries[0]
    assert first.author == "Amina Diallo"
    assert first.content[0].type == "text/html"
    assert "<strong>Bold</strong>" in first.content[0].value
    assert first.id == f"http://localhost/p/{newer.first_post_id}"
    assert first.published_parsed[:5] == (T0 + timedelta(hours=1)).timetuple()[:5]
    assert [tag.label for tag in first.tags] == ["Social finance"]
    assert parsed.feed.title == "Latest topics on Collective Brain"
    assert parsed.feed.language == "en"


def test_every_entry_link_and_author_link_opens_a_page(client, board, author):
    topic = make_topic(board=board, author=author)
    make_reply(parent=opening_post(topic), author=make_user(username="bruno"))
    for url in ("/feeds/latest.atom", f"/feeds/t/{topic.id}.atom"):
        for entry in read_feed(client, url).entries:
            for address in (entry.link, entry.id, entry.author_detail.href):
                page = client.get(path_of(address), follow_redirects=True)
                assert page.status_code == 200, address


def test_a_feed_holds_at_most_its_number_of_entries(client, board, author, monkeypatch):
    for hour in range(4):
        make_topic(
            board=board, author=author, title=f"Topic {hour}", when=T0 + timedelta(hours=hour)
        )
    monkeypatch.setattr(feed_queries, "ENTRIES", 3)
    assert titles(read_feed(client, "/feeds/latest.atom")) == ["Topic 3", "Topic 2", "Topic 1"]


def test_an_empty_feed_is_still_valid(client):
    parsed = read_feed(client, "/feeds/latest.atom")
    assert parsed.entries == []
    assert parsed.feed.updated


# --- what a guest may not read ----------------------------------------------------------------


def test_members_only_boards_have_no_feed_and_stay_out_of_the_latest_topics(client, board, author):
    make_board(slug="alumni", name="Alumni lounge", members_only=True)
    make_topic(board=board, author=author, title="Public topic")
    with database() as session:
        alumni = session.query(Board).filter_by(slug="alumni").one()
        topic = post_ops.start_topic(
            alumni, session.get(User, author.id), "Members only topic", "Text", "en"
        )
        session.commit()
        secret_id, secret_post = topic.id, topic.first_post_id

    log_in(client, author)  # a member asking changes nothing: feeds are what guests read
    assert titles(read_feed(client, "/feeds/latest.atom")) == ["Public topic"]
    assert client.get("/feeds/b/alumni.atom").status_code == 404
    assert client.get(f"/feeds/t/{secret_id}.atom").status_code == 404
    assert "Members only" not in str(read_feed(client, "/feeds/u/amina.atom").entries)
    assert secret_post not in [
        int(entry.id.rsplit("/", 1)[1])
        for entry in read_feed(client, "/feeds/u/amina.atom").entries
    ]


def test_hidden_and_deleted_posts_and_topics_are_left_out(client, board, author):
    moderator = make_user(username="moda", role=Role.ADMIN)
    shown = make_topic(board=board, author=author, title="Shown topic", when=T0)
    hidden_topic = make_topic(board=board, author=author, title="Hidden topic", when=T0)
    first = opening_post(shown)
    kept = make_reply(parent=first, author=author, body="Kept reply")
    hidden = make_reply(parent=first, author=author, body="Hidden reply")
    deleted = make_reply(parent=first, author=author, body="Deleted reply")
    with database() as session:
        actor = session.get(User, moderator.id)
        moderation.hide_post(session.get(Post, hidden.id), actor, "Off topic")
        moderation.hide_topic(session.get(Topic, hidden_topic.id), actor, "Spam")
        post_ops.delete_post(session.get(Post, deleted.id))
        session.commit()

    log_in(client, moderator)  # even a moderator's feed reader gets the guests' feed
    assert titles(read_feed(client, "/feeds/latest.atom")) == ["Shown topic"]
    topic_feed = read_feed(client, f"/feeds/t/{shown.id}.atom")
    bodies = [entry.content[0].value for entry in topic_feed.entries]
    assert any("Kept reply" in body for body in bodies)
    assert not any("Hidden reply" in body or "Deleted reply" in body for body in bodies)
    assert [entry.id.rsplit("/", 1)[1] for entry in topic_feed.entries] == [
        str(kept.id),
        str(first.id),
    ]
    assert client.get(f"/feeds/t/{hidden_topic.id}.atom").status_code == 404
    member_bodies = str(read_feed(client, "/feeds/u/amina.atom").entries)
    assert "Hidden" not in member_bodies and "Deleted reply" not in member_bodies


def test_feeds_of_what_does_not_exist_are_not_found(client):
    for url in (
        "/feeds/b/nowhere.atom",
        "/feeds/t/999999.atom",
        "/feeds/u/nobody.atom",
        "/feeds/meeting-point.atom",  # no Meeting Point board on this site
    ):
        assert client.get(url).status_code == 404, url


# --- a board, a topic ---------------------------------------------------------------------------


def test_a_board_feed_holds_its_own_topics(client, board, author):
    other = make_board(slug="finance", name="Social finance")
    make_topic(board=board, author=author, title="Here", when=T0)
    make_topic(board=other, author=author, title="Elsewhere", when=T0)
    parsed = read_feed(client, "/feeds/b/cooperatives.atom")
    assert titles(parsed) == ["Here"]
    assert parsed.feed.title == "Cooperatives on Collective Brain"
    assert parsed.feed.subtitle == "About Cooperatives"
    assert path_of(parsed.feed.link) == "/b/cooperatives"


def test_a_topic_feed_holds_its_posts_newest_first_with_their_authors(client, board, author):
    bruno = make_user(username="bruno", display_name="Bruno Lima")
    topic = make_topic(board=board, author=author, title="Tontines", when=T0)
    first = opening_post(topic)
    make_reply(parent=first, author=bruno, body="Second", when=T0 + timedelta(minutes=5))
    make_reply(parent=first, author=author, body="Third", when=T0 + timedelta(minutes=9))

    parsed = read_feed(client, f"/feeds/t/{topic.id}.atom")

    assert titles(parsed) == ["Re: Tontines", "Re: Tontines", "Tontines"]
    assert [entry.author for entry in parsed.entries] == [
        "Amina Diallo",
        "Bruno Lima",
        "Amina Diallo",
    ]
    assert parsed.feed.title == "“Tontines” on Collective Brain"


def test_an_edit_moves_the_entry_updated_date_but_not_its_id(client, board, author):
    topic = make_topic(board=board, author=author, when=T0)
    before = read_feed(client, f"/feeds/t/{topic.id}.atom").entries[0]
    with database() as session:
        post_ops.edit_post(
            session.get(Post, topic.first_post_id), session.get(User, author.id), "New words"
        )
        session.commit()
    after = read_feed(client, f"/feeds/t/{topic.id}.atom").entries[0]
    assert after.id == before.id
    assert after.published == before.published
    assert after.updated_parsed > before.updated_parsed
    assert "New words" in after.content[0].value


def test_a_deleted_account_is_shown_as_a_former_member(client, board, author):
    topic = make_topic(board=board, author=author)
    with database() as session:
        delete_account(session.get(User, author.id), PASSWORD, remove_posts=False)
        session.commit()
    entry = read_feed(client, f"/feeds/t/{topic.id}.atom").entries[0]
    assert entry.author == "Former member"
    assert "href" not in entry.author_detail
    french = read_feed(client, f"/feeds/t/{topic.id}.atom?lang=fr").entries[0]
    assert french.author != "Former member"  # translated into the feed's language


# --- languages -------------------------------------------------------------------------------


def test_an_entry_carries_its_post_language(client, board, author):
    topic = make_topic(
        board=board, author=author, title="الاقتصاد التضامني", body="نص", language="ar"
    )
    make_reply(parent=opening_post(topic), author=author, body="Réponse", language="fr")
    body = client.get(f"/feeds/t/{topic.id}.atom").get_data(as_text=True)
    assert re.search(r'<entry xml:lang="ar">.*?الاقتصاد التضامني', body, re.S)
    parsed = read_feed(client, f"/feeds/t/{topic.id}.atom")
    assert [entry.content[0].language for entry in parsed.entries] == ["fr", "ar"]


def test_the_feed_speaks_the_interface_language_asked_for(client, board, author):
    with database() as session:
        session.add(BoardTranslation(board_id=board.id, locale="fr", name="Coopératives"))
        session.commit()
    make_topic(board=board, author=author)

    by_parameter = client.get("/feeds/b/cooperatives.atom?lang=fr")
    assert "Set-Cookie" not in by_parameter.headers  # a feed remembers nothing
    parsed = feedparser.parse(by_parameter.data)
    assert parsed.feed.language == "fr"
    assert parsed.feed.title.startswith("Coopératives")
    assert [tag.label for tag in parsed.entries[0].tags] == ["Coopératives"]
    by_browser = read_feed(
        client, "/feeds/b/cooperatives.atom", headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert by_browser.feed.language == "fr"
    assert read_feed(client, "/feeds/b/cooperatives.atom?lang=xx!").feed.language == "en"


# --- a member ------------------------------------------------------------------------------------


def test_a_member_feed_holds_their_topics_and_replies(client, board, author):
    bruno = make_user(username="bruno")
    theirs = make_topic(board=board, author=bruno, title="Bruno's topic", when=T0)
    make_reply(
        parent=opening_post(theirs),
        author=author,
        body="Amina answers",
        when=T0 + timedelta(hours=1),
    )
    make_topic(board=board, author=author, title="Amina's topic", when=T0 + timedelta(hours=2))

    parsed = read_feed(client, "/feeds/u/amina.atom")

    assert titles(parsed) == ["Amina's topic", "Re: Bruno's topic"]
    assert parsed.feed.title == "Posts by Amina Diallo on Collective Brain"
    assert read_feed(client, "/feeds/u/AMINA.atom").feed.title == parsed.feed.title


def test_accounts_waiting_for_approval_or_deleted_have_no_feed(client, author):
    with database() as session:
        register_member("newcomer", "newcomer@example.org", PASSWORD, approved=False)
        session.commit()
    assert client.get("/feeds/u/newcomer.atom").status_code == 404
    with database() as session:
        user = session.get(User, author.id)
        delete_account(user, PASSWORD, remove_posts=False)
        session.commit()
        neutral_name = user.username
    assert client.get("/feeds/u/amina.atom").status_code == 404
    assert client.get(f"/feeds/u/{neutral_name}.atom").status_code == 404


# --- the Meeting Point ----------------------------------------------------------------------------


@pytest.fixture
def meeting_point(app, author):
    """Three cooperation posts: {title: topic id}."""
    posts = {
        "Offer of training": {"kind": "offer", "themes": ["cooperatives"], "countries": ["SN"]},
        "Request for funds": {"kind": "request", "themes": ["social-finance"], "countries": ["MX"]},
        "Experience of tontines": {
            "kind": "experience",
            "themes": ["social-finance"],
            "countries": ["SN"],
        },
    }
    ids = {}
    with database() as session:
        board = Board(slug="meeting-point", name="Meeting Point", description="", position=2)
        session.add(board)
        member = session.get(User, author.id)
        for hours, (title, fields) in enumerate(posts.items()):
            details = cooperation_ops.Details(
                modality="training", sdgs=[8], languages=["en"], **fields
            )
            topic = cooperation_ops.post_cooperation(
                board, member, title, "Text", "en", details, when=T0 + timedelta(hours=hours)
            )
            ids[title] = topic.id
        session.commit()
    return ids


def meeting_titles(client, query: str = "") -> list[str]:
    return titles(read_feed(client, f"/feeds/meeting-point.atom{query}"))


def test_the_meeting_point_feed_holds_its_posts_newest_first(client, meeting_point, board, author):
    make_topic(board=board, author=author, title="Not a cooperation post")
    parsed = read_feed(client, "/feeds/meeting-point.atom")
    assert titles(parsed) == ["Experience of tontines", "Request for funds", "Offer of training"]
    assert [tag.term for tag in parsed.entries[0].tags] == ["experience", "open"]
    assert parsed.feed.title == "Meeting Point on Collective Brain"


def test_the_meeting_point_feed_filters_as_its_page(client, meeting_point):
    assert meeting_titles(client, "?kind=offer") == ["Offer of training"]
    assert meeting_titles(client, "?kind=offer&kind=request") == [
        "Request for funds",
        "Offer of training",
    ]
    assert meeting_titles(client, "?theme=social-finance") == [
        "Experience of tontines",
        "Request for funds",
    ]
    assert meeting_titles(client, f"?region={REGION_OF['SN']}&theme=social-finance") == [
        "Experience of tontines"
    ]
    assert meeting_titles(client, "?status=matched") == []
    parsed = read_feed(client, "/feeds/meeting-point.atom?kind=offer")
    assert parsed.feed.title == "Meeting Point on Collective Brain: Offer"


def test_unknown_meeting_point_filters_are_ignored_as_on_the_page(client, meeting_point):
    everything = meeting_titles(client)
    assert meeting_titles(client, "?kind=bogus") == everything
    assert meeting_titles(client, "?theme=nothing&region=999&status=") == everything
    assert meeting_titles(client, "?kind=bogus&kind=offer") == ["Offer of training"]


def test_a_hidden_meeting_point_post_is_left_out(client, meeting_point):
    admin = make_user(username="moda", role=Role.ADMIN)
    with database() as session:
        moderation.hide_topic(
            session.get(Topic, meeting_point["Offer of training"]),
            session.get(User, admin.id),
            "Spam",
        )
        session.commit()
    assert "Offer of training" not in meeting_titles(client)


def test_a_members_only_meeting_point_has_no_feed(client, meeting_point, author):
    with database() as session:
        session.query(Board).filter_by(slug="meeting-point").one().members_only = True
        session.commit()
    log_in(client, author)
    assert client.get("/feeds/meeting-point.atom").status_code == 404
    assert "Offer of training" not in str(read_feed(client, "/feeds/latest.atom").entries)
    assert "/feeds/meeting-point.atom" not in " ".join(feed_links(client, "/meeting-point/"))


# --- discovery --------------------------------------------------------------------------------


def test_every_page_offers_the_latest_topics(client, board):
    for url in ("/", "/login", "/search?q=x", "/no-such-page"):
        assert "/feeds/latest.atom?lang=en" in feed_links(client, url), url


def test_pages_offer_the_feed_of_what_they_show_and_it_answers(
    client, board, author, meeting_point
):
    topic = make_topic(board=board, author=author)
    expected = {
        "/b/cooperatives": "/feeds/b/cooperatives.atom?lang=en",
        f"/t/{topic.id}-{topic.slug}": f"/feeds/t/{topic.id}.atom?lang=en",
        "/u/amina": "/feeds/u/amina.atom?lang=en",
        "/meeting-point/": "/feeds/meeting-point.atom?lang=en",
        "/meeting-point/?theme=social-finance&kind=bogus&kind=request": (
            "/feeds/meeting-point.atom?kind=request&theme=social-finance&lang=en"
        ),
    }
    for page, feed in expected.items():
        offered = feed_links(client, page)
        assert list(offered) == [feed, "/feeds/latest.atom?lang=en"], page
        for url in offered:
            read_feed(client, url)
    assert meeting_titles(client, "?kind=request&theme=social-finance") == ["Request for funds"]


def test_the_offered_feed_is_in_the_page_language(client, board):
    offered = feed_links(client, "/b/cooperatives?lang=ar")
    assert "/feeds/b/cooperatives.atom?lang=ar" in offered
    assert read_feed(client, "/feeds/b/cooperatives.atom?lang=ar").feed.language == "ar"


def test_pages_do_not_offer_feeds_guests_may_not_read(client, author):
    make_board(slug="alumni", name="Alumni lounge", members_only=True)
    with database() as session:
        alumni = session.query(Board).filter_by(slug="alumni").one()
        topic = post_ops.start_topic(
            alumni, session.get(User, author.id), "Members only", "Text", "en"
        )
        session.commit()
        topic_url = f"/t/{topic.id}-{topic.slug}"
    log_in(client, author)
    assert list(feed_links(client, "/b/alumni")) == ["/feeds/latest.atom?lang=en"]
    assert list(feed_links(client, topic_url)) == ["/feeds/latest.atom?lang=en"]


# --- serving -------------------------------------------------------------------------------------


def test_feeds_may_be_kept_briefly_and_asked_again_conditionally(client, board, author):
    topic = make_topic(board=board, author=author)
    first = client.get(f"/feeds/t/{topic.id}.atom")
    assert first.cache_control.max_age == 300
    assert first.cache_control.public
    assert {"Accept-Language", "Cookie"} <= set(first.vary)
    etag = first.headers["ETag"]

    unchanged = client.get(f"/feeds/t/{topic.id}.atom", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""

    make_reply(parent=opening_post(topic), author=author, body="Something new")
    changed = client.get(f"/feeds/t/{topic.id}.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def _topics(board, author, count: int, start: int = 0) -> Topic:
    topic = None
    for number in range(start, start + count):
        topic = make_topic(
            board=board, author=make_user(username=f"writer{number}"), title=f"Topic {number}"
        )
        make_reply(parent=opening_post(topic), author=make_user(username=f"replier{number}"))
    return topic


def test_the_number_of_queries_does_not_grow_with_the_entries(
    client, count_queries, board, author, meeting_point
):
    other = make_board(slug="finance", name="Social finance")
    with database() as session:
        session.add(BoardTranslation(board_id=other.id, locale="fr", name="Finance solidaire"))
        session.commit()

    def queries_for(url: str) -> int:
        with count_queries() as statements:
            read_feed(client, url)
        return len(statements)

    def all_feeds(topic: Topic) -> list[int]:
        return [
            queries_for(url)
            for url in (
                "/feeds/latest.atom?lang=fr",
                "/feeds/b/finance.atom",
                f"/feeds/t/{topic.id}.atom",
                "/feeds/u/amina.atom",
                "/feeds/meeting-point.atom?theme=social-finance",
            )
        ]

    topic = _topics(other, author, 1)
    make_reply(parent=opening_post(topic), author=author)
    few = all_feeds(topic)
    _topics(other, author, 5, start=1)
    for number in range(5):
        make_reply(parent=opening_post(topic), author=make_user(username=f"more{number}"))
        make_reply(parent=opening_post(topic), author=author)
    with database() as session:
        member = session.get(User, author.id)
        meeting_board = session.query(Board).filter_by(slug="meeting-point").one()
        for number in range(4):
            details = cooperation_ops.Details(
                kind="request",
                modality="training",
                themes=["social-finance"],
                countries=["MX"],
                sdgs=[8],
                languages=["en"],
            )
            cooperation_ops.post_cooperation(
                meeting_board, member, f"Request {number}", "Text", "en", details
            )
        session.commit()
    many = all_feeds(topic)
    assert many == few, (few, many)
    assert len(read_feed(client, f"/feeds/t/{topic.id}.atom").entries) == 13


def test_guests_feeds_are_kept_by_the_page_cache_until_something_changes(
    app, client, board, author
):
    app.config["PAGE_CACHE_SECONDS"] = 30
    cache = app.extensions["brain_page_cache"]
    cache.entries.clear()
    topic = make_topic(board=board, author=author)
    url = f"/feeds/t/{topic.id}.atom?lang=fr"
    try:
        first = client.get(url)
        assert "X-Page-Cache" not in first.headers
        again = client.get(url)
        assert again.headers["X-Page-Cache"] == "hit"
        assert again.data == first.data
        make_reply(parent=opening_post(topic), author=author, body="Fresh news")
        fresh = client.get(url)
        assert "X-Page-Cache" not in fresh.headers
        assert "Fresh news" in fresh.get_data(as_text=True)
    finally:
        cache.entries.clear()
