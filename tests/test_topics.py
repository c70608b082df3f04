"""Topics: starting them, the threaded and flat views, permalinks, counters, query counts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from brain.forum.queries import VISUAL_DEPTH_CAP
from brain.models import Post, Topic
from brain.models.forum import MAX_TREE_DEPTH
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

ARTICLE = re.compile(r'<article id="p(\d+)" class="post depth-(\d+)')


def articles(html: str) -> list[tuple[int, int]]:
    """(post id, indentation) of each post on the page, in page order."""
    return [(int(pid), int(depth)) for pid, depth in ARTICLE.findall(html)]


def topic_url(topic: Topic, **query) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/t/{topic.id}-{topic.slug}" + (f"?{suffix}" if suffix else "")


@pytest.fixture
def conversation():
    """A topic: opening post O; replies A and B to the topic; A1 answers A; A1a answers A1."""
    board = make_board()
    amina, kwame = make_user(username="amina"), make_user(username="kwame")
    topic = make_topic(board=board, author=amina)
    o = opening_post(topic)
    a = make_reply(parent=o, author=kwame, body="A")
    b = make_reply(parent=o, author=amina, body="B")
    a1 = make_reply(parent=a, author=amina, body="A1")
    a1a = make_reply(parent=a1, author=kwame, body="A1a")
    return {
        "topic": topic,
        "o": o,
        "a": a,
        "b": b,
        "a1": a1,
        "a1a": a1a,
        "amina": amina,
        "kwame": kwame,
    }


def test_start_a_topic(client):
    make_board()
    log_in(client, make_user())
    response = submit(
        client,
        "/b/cooperatives/new",
        {"title": "Savings groups in Senegal", "language": "fr", "body": "Les **tontines**"},
    )
    assert response.status_code == 302
    with database() as session:
        topic = session.scalar(select(Topic))
        assert topic.title == "Savings groups in Senegal" and topic.language == "fr"
        assert response.headers["Location"] == f"/t/{topic.id}-savings-groups-in-senegal"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>tontines</strong>" in page


def test_preview_shows_the_rendered_text_and_saves_nothing(client):
    make_board()
    log_in(client, make_user())
    response = submit(
        client,
        "/b/cooperatives/new",
        {"title": "A title", "language": "en", "body": "*draft*", "preview": "Preview"},
    )
    assert response.status_code == 200
    assert "<em>draft</em>" in response.get_data(as_text=True)
    with database() as session:
        assert session.scalar(select(Topic)) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "ab"}, "Between 3 and 200 characters."),
        ({"title": "x" * 201}, "Between 3 and 200 characters."),
        ({"body": "   "}, "This field is required."),
        ({"body": "x" * 20_001}, "At most 20000 characters."),
        ({"body": "> " * 300 + "deep"}, "too much formatting or nesting"),
        ({"language": "klingon"}, "Not a valid choice"),
    ],
)
def test_starting_a_topic_validates_every_field(client, fields, message):
    make_board()
    log_in(client, make_user())
    data = {"title": "Valid title", "language": "en", "body": "Valid body", **fields}
    response = submit(client, "/b/cooperatives/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with database() as session:
        assert session.scalar(select(Topic)) is None


def test_guests_are_sent_to_log_in_to_start_a_topic(client):
    make_board()
    response = client.get("/b/cooperatives/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_tree_view_orders_replies_under_the_post_they_answer(client, conversation):
    c = conversation
    html = client.get(topic_url(c["topic"])).get_data(as_text=True)
    assert articles(html) == [
        (c["o"].id, 0),
        (c["a"].id, 0),
        (c["a1"].id, 1),
        (c["a1a"].id, 2),
        (c["b"].id, 0),
    ]


def test_flat_view_is_chronological_and_one_click_away(client, conversation):
    c = conversation
    html = client.get(topic_url(c["topic"])).get_data(as_text=True)
    assert f'href="{topic_url(c["topic"], view="flat")}"' in html
    flat = client.get(topic_url(c["topic"], view="flat")).get_data(as_text=True)
    order = [c["o"].id, c["a"].id, c["b"].id, c["a1"].id, c["a1a"].id]
    assert articles(flat) == [(pid, 0) for pid in order]
    assert "replying to kwame" in flat  # A1 answers kwame's A
    assert "replying to amina" in flat  # A1a answers amina's A1


def test_indentation_stops_at_the_cap_and_deeper_replies_say_whom_they_answer(client):
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    parent = opening_post(topic)
    chain = []
    for n in range(VISUAL_DEPTH_CAP + 3):
        parent = make_reply(parent=parent, author=user, body=f"level {n + 1}")
        chain.append(parent)
    html = client.get(topic_url(topic)).get_data(as_text=True)
    depths = [depth for _pid, depth in articles(html)]
    assert max(depths) == VISUAL_DEPTH_CAP
    assert depths[-3:] == [VISUAL_DEPTH_CAP] * 3
    deepest = chain[-1]
    assert (
        f'href="/p/{chain[-2].id}"' in html.split(f'id="p{deepest.id}"')[1].split("</article>")[0]
    )


def test_replies_beyond_the_stored_depth_keep_their_parent_and_order(client):
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    parent = opening_post(topic)
    for n in range(MAX_TREE_DEPTH + 5):
        parent = make_reply(parent=parent, author=user, body=f"level {n + 1}")
    deepest = fetch(Post, parent.id)
    assert deepest.depth == MAX_TREE_DEPTH - 1
    assert deepest.parent_id is not None
    with database() as session:
        bodies = session.scalars(
            select(Post.body_source).where(Post.topic_id == topic.id).order_by(Post.tree_path)
        ).all()
    assert bodies[1:] == [f"level {n + 1}" for n in range(MAX_TREE_DEPTH + 5)]


def test_reply_to_a_reply_through_the_form(client, conversation):
    c = conversation
    log_in(client, c["kwame"])
    response = submit(client, f"/p/{c['b'].id}/reply", {"language": "pt", "body": "Concordo!"})
    assert response.status_code == 302
    with database() as session:
        post = session.scalar(select(Post).where(Post.body_source == "Concordo!"))
        assert post.parent_id == c["b"].id and post.language == "pt"
        assert response.headers["Location"] == f"/p/{post.id}"
    html = client.get(topic_url(c["topic"])).get_data(as_text=True)
    assert articles(html)[-1] == (post.id, 1)


def test_quote_prefills_the_reply_with_the_quoted_post(client, conversation):
    c = conversation
    log_in(client, c["amina"])
    html = client.get(f"/p/{c['a'].id}/reply?quote=1").get_data(as_text=True)
    assert "@kwame:\n&gt; A" in html


def test_topic_address_without_or_with_a_wrong_slug_redirects(client, conversation):
    topic = conversation["topic"]
    for address in (f"/t/{topic.id}", f"/t/{topic.id}-old-title"):
        response = client.get(address)
        assert response.status_code == 301
        assert response.headers["Location"] == topic_url(topic)


@pytest.mark.parametrize(
    "address",
    ["/t/0", "/t/99999999999", "/t/2147483648", "/t/٣", "/t/abc", "/p/99999999999999999999"],
)
def test_impossible_ids_are_a_404(client, address):
    assert client.get(address).status_code == 404


def test_permalink_lands_on_the_right_page_and_post(client, app):
    app.config["POSTS_PER_PAGE"] = 3
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    first = opening_post(topic)
    replies = [make_reply(parent=first, author=user, body=f"reply {n}") for n in range(6)]
    # A late answer to the first reply sits right under it in the tree, on page 1...
    late = make_reply(parent=replies[0], author=user, body="late answer")
    response = client.get(f"/p/{late.id}")
    assert response.headers["Location"] == topic_url(topic) + f"#p{late.id}"
    # ...but last in the flat view, on page 3.
    response = client.get(f"/p/{late.id}?view=flat")
    assert response.headers["Location"] == topic_url(topic, view="flat", page=3) + f"#p{late.id}"
    response = client.get(f"/p/{replies[5].id}")
    assert response.headers["Location"] == topic_url(topic, page=3) + f"#p{replies[5].id}"
    page = client.get(topic_url(topic, page=3)).get_data(as_text=True)
    assert f'id="p{replies[5].id}"' in page


def test_a_reply_whose_parent_is_on_an_earlier_page_links_to_it(client, app):
    app.config["POSTS_PER_PAGE"] = 2
    board = make_board()
    user = make_user(username="amina")
    topic = make_topic(board=board, author=user)
    a = make_reply(parent=opening_post(topic), author=user, body="A")
    a1 = make_reply(parent=a, author=user, body="A1")
    page2 = client.get(topic_url(topic, page=2)).get_data(as_text=True)
    assert articles(page2) == [(a1.id, 1)]
    assert f'href="/p/{a.id}"' in page2 and "replying to amina" in page2


def test_counters_follow_replies_and_deletions(client, conversation):
    c = conversation
    topic = fetch(Topic, c["topic"].id)
    assert (topic.reply_count, topic.post_count, topic.last_post_id) == (4, 5, c["a1a"].id)
    log_in(client, c["kwame"])
    submit(client, f"/p/{c['a1a'].id}/delete")
    topic = fetch(Topic, c["topic"].id)
    assert (topic.reply_count, topic.post_count, topic.last_post_id) == (3, 5, c["a1"].id)
    assert topic.last_activity_at == fetch(Post, c["a1"].id).created_at


def test_locked_topics_take_no_replies(client, conversation):
    c = conversation
    with database() as session:
        session.get(Topic, c["topic"].id).is_locked = True
        session.commit()
    log_in(client, c["kwame"])
    response = submit(client, f"/p/{c['a'].id}/reply", {"language": "en", "body": "late"})
    assert response.status_code == 403


def _bulk_topic(size: int) -> Topic:
    """A topic with *size* posts in a branching tree (built directly: fast enough for 1,000)."""
    board = make_board(slug=f"bulk-{size}")
    users = [make_user(username=f"user{size}x{n}") for n in range(5)]
    topic = make_topic(board=board, author=users[0], title=f"Topic of {size}")
    from brain.models import User
    from brain.ops import posts as post_ops

    with database() as session:
        authors = [session.get(User, u.id) for u in users]
        posts = [session.get(Post, topic.first_post_id)]
        for n in range(size - 1):
            parent = posts[n // 3]  # every post answered by up to three others
            posts.append(
                post_ops.reply(parent, authors[n % 5], f"post {n} @{users[0].username}", "en")
            )
        session.commit()
    return topic


def test_topic_page_costs_the_same_number_of_queries_for_10_or_1000_posts(client, count_queries):
    small, large = _bulk_topic(10), _bulk_topic(1000)
    log_in(client, make_user(username="reader"))
    counts = {}
    for topic in (small, large):
        for view in ("", "flat"):
            url = topic_url(topic, view=view) if view else topic_url(topic)
            client.get(url)  # warm up
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts[(topic.id, view)] = len(queries)
    client.get(topic_url(large, page=2))  # warm up: a first view moves the reader's place
    with count_queries() as queries:
        assert client.get(topic_url(large, page=2)).status_code == 200
    counts[(large.id, "", 2)] = len(queries)
    assert counts[(small.id, "")] == counts[(large.id, "")]
    assert counts[(small.id, "flat")] == counts[(large.id, "flat")]
    assert counts[(large.id, "", 2)] == counts[(large.id, "")]
    # A member's page: the session's member and login session, the topic, the page's posts,
    # their authors (the forum's 6), then what staying in touch adds: the reader's place in
    # the topic, unread notifications about the posts shown, the bell's count, the member's
    # watch level for the topic (4), and the files attached to the posts shown (1).
    assert counts[(large.id, "")] <= 11
