"""Members' pages keep the parts many readers see alike (brain.fragments): every change shows
at once, and no member is ever shown another's own parts or what only others may see."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import template_rendered
from sqlalchemy import text

from brain.models import Board, Post, Role, Topic, User
from brain.ops import moderation
from brain.ops import posts as post_ops
from tests.factories import (
    database,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)


@pytest.fixture
def kept(app):
    """The page cache and the fragments on, as in production (the suite turns them off)."""
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["brain_fragments"].clear()
    app.extensions["brain_page_cache"].entries.clear()
    yield app
    app.extensions["brain_fragments"].clear()
    app.extensions["brain_page_cache"].entries.clear()


@pytest.fixture
def forum(kept):
    board = make_board()
    amina = make_user(username="amina", display_name="Amina Diallo")
    karim = make_user(username="karim", display_name="Karim Haddad")
    topic = make_topic(board=board, author=amina, title="Tontines", body="Opening words")
    reply = make_reply(parent=opening_post(topic), author=karim, body="First reply by Karim")
    return {"board": board, "amina": amina, "karim": karim, "topic": topic, "reply": reply}


def url(topic) -> str:
    return f"/t/{topic.id}-{topic.slug}"


def member(app, user):
    client = app.test_client()
    log_in(client, user)
    return client


def page(client, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def without_tokens(html: str) -> str:
    """The page without its one-time values (CSRF and submission tokens)."""
    return re.sub(r'(name="(?:csrf_token|submission)"[^>]*value=)"[^"]+"', r"\1", html)


def edit_links(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/p/(\d+)/edit"', html)}


def test_the_posts_are_kept_and_served_again(kept, forum, count_queries):
    amina, karim = member(kept, forum["amina"]), member(kept, forum["karim"])
    page(amina, "/")  # the welcome message is shown once
    first = page(amina, url(forum["topic"]))
    page(karim, url(forum["topic"]))
    with count_queries() as statements:
        again = page(amina, url(forum["topic"]))
    assert without_tokens(again) == without_tokens(first)
    # Served from the fragment: the posts of the page are not read again.
    assert not any("FROM posts" in s and "posts.tree_path" in s for s in statements)


@pytest.mark.parametrize("which", ["topic", "board", "home"])
def test_a_kept_member_page_costs_a_few_statements(kept, forum, count_queries, which):
    """Served kept, a member's page reads their row with the content counter (one statement)
    and their own facts together (brain.ops.glance); a list adds its unread counts. What the
    page is about (its topic or board) is kept with the content (brain.forum.queries)."""
    address = {"topic": url(forum["topic"]), "board": f"/b/{forum['board'].slug}", "home": "/"}
    amina = member(kept, forum["amina"])
    page(amina, "/")  # the welcome message is shown once
    page(amina, address[which])
    with count_queries() as statements:
        page(amina, address[which])
    assert len(statements) == {"topic": 2, "board": 3, "home": 3}[which], statements


def test_a_member_never_sees_another_members_own_parts(kept, forum):
    amina, karim = member(kept, forum["amina"]), member(kept, forum["karim"])
    opening, reply = forum["topic"].first_post_id, forum["reply"].id
    # Karim renders the posts first; Amina is served next.
    karims = page(karim, url(forum["topic"]))
    aminas = page(amina, url(forum["topic"]))
    assert edit_links(karims) == {reply} and edit_links(aminas) == {opening}
    assert f'href="/p/{opening}/report"' in karims and f'href="/p/{reply}/report"' not in karims
    assert f'href="/p/{reply}/report"' in aminas and f'href="/p/{opening}/report"' not in aminas
    # The header, the composer's tokens and the writing aids are each reader's own.
    assert "Karim Haddad</bdi></a></li>" in karims and "Karim Haddad</bdi></a></li>" not in aminas
    assert f'data-owner="{forum["karim"].id}"' in karims
    assert f'data-owner="{forum["amina"].id}"' in aminas
    tokens = [
        re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html) for html in (karims, aminas)
    ]
    assert tokens[0] and tokens[1] and not set(tokens[0]) & set(tokens[1])
    submissions = [
        re.findall(r'name="submission"[^>]*value="([^"]+)"', h) for h in (karims, aminas)
    ]
    assert submissions[0] and submissions[1] and submissions[0] != submissions[1]
    # And a guest, served after both, gets neither.
    guests = page(kept.test_client(), url(forum["topic"]))
    assert (
        not edit_links(guests)
        and "/report" not in guests
        and "Karim Haddad</bdi></a></li>" not in guests
    )


def test_an_edit_shows_at_once(kept, forum):
    karim = member(kept, forum["karim"])
    assert "First reply by Karim" in page(karim, url(forum["topic"]))
    with database() as session:
        post = session.get(Post, forum["reply"].id)
        post_ops.edit_post(post, session.get(User, forum["karim"].id), "Reworded reply")
        session.commit()
    html = page(karim, url(forum["topic"]))
    assert "Reworded reply" in html and "First reply" not in html
    assert f'href="/p/{forum["reply"].id}/revisions"' in html  # "edited", for its author


def test_a_hidden_post_stays_hidden_from_members_who_may_not_see_it(kept, forum):
    moderator = make_user(username="mod", role=Role.ADMIN)
    with database() as session:
        moderation.hide_post(
            session.get(Post, forum["reply"].id), session.get(User, moderator.id), "off topic"
        )
        session.commit()
    # Everyone logs in first (a login is a change of content: it would empty the cache).
    clients = [member(kept, user) for user in (moderator, make_user(username="lucia"))]
    moderator_client, lucia = clients
    karim = member(kept, forum["karim"])
    # The moderator renders first: the text and the moderation buttons are theirs only.
    moderators = page(moderator_client, url(forum["topic"]))
    assert "First reply by Karim" in moderators and "/restore" in moderators
    lucias = page(lucia, url(forum["topic"]))
    assert "First reply by Karim" not in lucias and "/restore" not in lucias
    assert "This post was hidden by a moderator." in lucias
    # Its author sees it, with the reason; a guest does not.
    karims = page(karim, url(forum["topic"]))
    assert "First reply by Karim" in karims and "off topic" in karims
    assert "First reply by Karim" not in page(kept.test_client(), url(forum["topic"]))


def test_a_hide_shows_at_once(kept, forum):
    lucia = member(kept, make_user(username="lucia"))
    assert "First reply by Karim" in page(lucia, url(forum["topic"]))
    moderator = make_user(username="mod", role=Role.ADMIN)
    with database() as session:
        moderation.hide_post(
            session.get(Post, forum["reply"].id), session.get(User, moderator.id), "spam"
        )
        session.commit()
    assert "First reply by Karim" not in page(lucia, url(forum["topic"]))


def test_a_new_reply_shows_at_once_on_the_topic_and_the_board(kept, forum):
    lucia = member(kept, make_user(username="lucia"))
    page(lucia, url(forum["topic"]))
    board_before = page(lucia, "/b/cooperatives")
    make_reply(parent=opening_post(forum["topic"]), author=forum["amina"], body="Fresh news")
    board_after = page(lucia, "/b/cooperatives")
    assert board_after != board_before
    assert ">2 replies<" not in board_before and "<strong>2</strong>" in board_after
    assert 'class="unread-count"' in board_after  # Amina's reply is new to Lucia
    assert "Fresh news" in page(lucia, url(forum["topic"]))


def test_a_move_shows_at_once(kept, forum):
    karim = member(kept, forum["karim"])
    assert "Tontines" in page(karim, "/b/cooperatives")
    other = make_board(slug="finance", name="Solidarity finance")
    moderator = make_user(username="mod", role=Role.ADMIN)
    with database() as session:
        moderation.move_topic(
            session.get(Topic, forum["topic"].id),
            session.get(User, moderator.id),
            session.get(Board, other.id),
        )
        session.commit()
    assert "Tontines" not in page(karim, "/b/cooperatives")
    assert "Tontines" in page(karim, "/b/finance")
    assert 'href="/b/finance">Solidarity finance</a>' in page(karim, url(forum["topic"]))


def test_a_change_made_by_another_process_shows_too(kept, forum):
    karim = member(kept, forum["karim"])
    page(karim, url(forum["topic"]))
    # Another worker changed the post and bumped the shared counter; this process was not told.
    with database() as session:
        session.execute(
            text("UPDATE posts SET body_html = '<p>Changed elsewhere</p>' WHERE id = :id"),
            {"id": forum["reply"].id},
        )
        session.execute(text("UPDATE content_version SET value = value + 1 WHERE id = 1"))
        session.commit()
    assert "Changed elsewhere" in page(karim, url(forum["topic"]))


def test_unread_marks_are_each_members_own(kept, forum):
    lucia = member(kept, make_user(username="lucia"))
    make_reply(parent=opening_post(forum["topic"]), author=forum["karim"], body="News")
    # Amina reads the topic; Lucia has not.
    amina = member(kept, forum["amina"])
    page(amina, url(forum["topic"]))
    assert 'class="unread-count"' not in page(amina, "/b/cooperatives")
    lucias = page(lucia, "/b/cooperatives")
    assert 'class="unread-count"' in lucias and "1 new" in lucias
    assert 'class="unread-count"' not in page(amina, "/b/cooperatives")
    assert 'class="unread-count"' not in page(kept.test_client(), "/b/cooperatives")


def test_each_language_and_time_zone_has_its_own_copy(kept, forum):
    with database() as session:
        topic = session.get(Topic, forum["topic"].id)
        session.get(Post, topic.first_post_id).created_at = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
        montreal = session.get(User, forum["karim"].id)
        montreal.timezone = "America/Montreal"
        session.get(User, forum["amina"].id).locale = "fr"
        session.commit()
    lucia = member(kept, make_user(username="lucia"))
    karim, amina = member(kept, forum["karim"]), member(kept, forum["amina"])
    english = page(lucia, url(forum["topic"]))
    assert re.search(r'title="March 5, 2026, 2:30:00\s?PM UTC"', english)
    karims = page(karim, url(forum["topic"]))
    assert re.search(r'title="March 5, 2026, 9:30:00\s?AM EST"', karims)
    aminas = page(amina, url(forum["topic"]))
    assert "5 mars 2026" in aminas and 'lang="fr"' in aminas and "Citer" in aminas
    assert "Citer" not in page(lucia, url(forum["topic"]))
    arabic = page(kept.test_client(), url(forum["topic"]) + "?lang=ar")
    assert 'dir="rtl"' in arabic and 'lang="ar"' in arabic


def test_members_only_boards_stay_closed(kept):
    board = make_board(slug="private", name="Members' room", members_only=True)
    author = make_user(username="amina")
    lucia = make_user(username="lucia")
    topic = make_topic(board=board, author=author, title="Inside", body="Members only words")
    guest = kept.test_client()
    assert "Inside" not in page(guest, "/") and "Members&#39; room" not in page(guest, "/")
    reader = member(kept, lucia)
    home = page(reader, "/")  # rendered after the guest's: the member's own boards
    assert "Inside" in home and "Members&#39; room" in home
    assert 'class="unread-count"' in home  # Amina's topic is new to Lucia
    assert "Members only words" in page(member(kept, author), url(topic))
    assert guest.get(url(topic)).status_code in (302, 401, 403)
    assert "Inside" not in page(guest, "/")


def test_the_reply_form_works_from_a_kept_page(kept, forum):
    lucia = member(kept, make_user(username="lucia"))
    page(member(kept, forum["amina"]), url(forum["topic"]))  # the composer is kept
    html = page(lucia, url(forum["topic"]))
    fields = dict(
        re.findall(r'<input[^>]*name="(csrf_token|submission)"[^>]*value="([^"]+)"', html)
    )
    response = lucia.post(
        f"/p/{forum['topic'].first_post_id}/reply",
        data={**fields, "body": "Sent from a kept page", "language": "en", "submit": "1"},
    )
    assert response.status_code == 302
    assert "Sent from a kept page" in page(lucia, url(forum["topic"]))


def test_posts_newer_than_the_counter_are_not_kept(kept, forum):
    karim = member(kept, forum["karim"])
    amina = member(kept, forum["amina"])
    page(karim, url(forum["topic"]))  # the page's outline and Karim's view of it are kept
    # A change committed elsewhere whose count has not arrived yet: the reply changes hands.
    with database() as session:
        session.execute(
            text("UPDATE posts SET author_id = :amina WHERE id = :id"),
            {"amina": forum["amina"].id, "id": forum["reply"].id},
        )
        session.commit()
    store = kept.extensions["brain_fragments"]
    before = {key for key in store.entries if key[0] == "topic-posts"}
    html = page(amina, url(forum["topic"]))  # keyed on the old outline, rendered from the new
    assert edit_links(html) == {forum["topic"].first_post_id, forum["reply"].id}
    assert {key for key in store.entries if key[0] == "topic-posts"} == before


# -- whole pages (brain.fragments.page) -----------------------------------------------------


def own_parts_removed(html: str, *names: str) -> str:
    """The page without what is each reader's own: tokens, whose drafts the writing kit
    keeps, and the account menu's name."""
    html = re.sub(r'data-owner="\d+"', "data-owner", without_tokens(html))
    for name in names:
        html = html.replace(name, "NAME")
    return html


def page_and_templates(app, client, address: str) -> tuple[str, set[str]]:
    """The page, and the names of the templates rendered to serve it."""
    rendered = set()

    def note(_app, template, context, **_extra):
        rendered.add(template.name)

    with template_rendered.connected_to(note, app):
        html = page(client, address)
    return html, rendered


def test_a_whole_member_page_is_kept_and_each_reader_gets_their_own_parts(kept, forum):
    lucia = make_user(username="lucia", display_name="Lucía Fernández")
    omar = make_user(username="omar", display_name="Omar Benali")
    lucias_client, omars_client = member(kept, lucia), member(kept, omar)
    for address in (url(forum["topic"]), f"/b/{forum['board'].slug}", "/"):
        page(lucias_client, "/")  # each one's welcome message is flashed once, then gone
        page(omars_client, "/")
        lucias = page(lucias_client, address)
        omars, rendered = page_and_templates(kept, omars_client, address)
        # Omar's page came from the kept page: no page template was rendered for him.
        assert not {"forum/topic.html", "forum/board.html", "home.html"} & rendered
        assert "Omar Benali" in omars and "Lucía Fernández" not in omars
        assert own_parts_removed(omars, "Omar Benali", "omar") == own_parts_removed(
            lucias, "Lucía Fernández", "lucia"
        )
        tokens = [re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', h) for h in (lucias, omars)]
        assert tokens[0] and tokens[1] and not set(tokens[0]) & set(tokens[1])


def test_a_kept_page_shows_each_members_watch_choice_and_bell(kept, forum):
    from brain.models.notifications import Notification, NotificationKind
    from brain.ops import watching

    lucia = make_user(username="lucia", display_name="Lucía Fernández")
    omar = make_user(username="omar", display_name="Omar Benali")
    lucias_client, omars_client = member(kept, lucia), member(kept, omar)
    page(omars_client, url(forum["topic"]))  # kept, with Omar's choice (normal)
    with database() as session:
        watching.set_level(session.get(User, lucia.id), "watching", topic=forum["topic"])
        session.add(
            Notification(
                user_id=lucia.id, kind=NotificationKind.MENTION, key="post:elsewhere", post_id=None
            )
        )
        session.commit()
    lucias = page(lucias_client, url(forum["topic"]))
    omars = page(omars_client, url(forum["topic"]))
    checked = re.compile(r'<input checked id="level-\d" name="level"[^>]*value="(\w+)"')
    assert checked.findall(lucias) == ["watching"] and checked.findall(omars) == ["normal"]
    assert 'class="bell has-unread"' in lucias and 'class="bell has-unread"' not in omars


def test_a_message_flashed_to_a_member_shows_once_on_a_kept_page(kept, forum):
    lucia = member(kept, make_user(username="lucia"))
    board = f"/b/{forum['board'].slug}"
    page(lucia, "/")
    page(member(kept, make_user(username="omar")), board)  # the board's page is kept
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(lucia, board)).group(1)
    response = lucia.post(f"{board}/mark-read", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Every topic in this board is marked as read." in page(lucia, board)
    assert "Every topic in this board is marked as read." not in page(lucia, board)


def test_the_reply_boxs_hidden_fields_are_the_forms_own(app):
    from brain.forum.forms import ReplyForm
    from brain.forum.views import reply_form_tokens

    with app.test_request_context("/"):
        made = re.sub(r'value="[^"]+"', 'value="?"', str(reply_form_tokens(0)))
        expected = re.sub(r'value="[^"]+"', 'value="?"', str(ReplyForm(formdata=None).hidden_tag()))
    assert made == expected


# -- the page header, kept for every page of a section ----------------------------------------


def _header(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def test_a_kept_header_carries_each_pages_own_address(kept, forum):
    """The header is kept once for every page of a section (brain.fragments): the address
    it carries on (to log in, to change language) is each page's own."""
    guest = kept.test_client()
    for words in ("tontine", 'savings & "loans"'):
        address = f"/search?{urlencode({'q': words, 'sort': 'newest'})}"
        header = _header(page(guest, address))
        login = html.unescape(re.search(r'<a href="(/login[^"]*)"', header).group(1))
        assert parse_qs(urlsplit(login).query)["next"] == [address]
        assert re.search(r'<form method="get" action="/search"', header)
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', header)
        assert [(name, html.unescape(value)) for name, value in fields] == [
            ("q", words),
            ("sort", "newest"),
        ]
    assert '<a href="/login">' in _header(page(guest, "/login"))  # not back to the form
    amina = member(kept, forum["amina"])
    for address in ("/search?q=tontine", url(forum["topic"]) + "?view=flat"):
        header = _header(page(amina, address))
        assert f'name="next" value="{html.escape(address)}"' in header
        assert "Amina Diallo" in header
