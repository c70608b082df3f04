"""The look of the site (issue 13): the design system in brain.css, the favicon, avatars and role
badges on posts, post actions with icons, activity in topic lists, the labelled board search,
and the thread tree on a phone ("continue this thread" and the sub-thread view).

What needs a real browser to be seen (sizes, positions, hidden deep replies on a phone) is in
tests/browser/test_look_in_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from brain import resources
from brain.forum.queries import PHONE_DEPTH_CAP, VISUAL_DEPTH_CAP
from brain.models import Post, Role, User
from brain.ops import moderation
from tests.factories import (
    database,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)

ARTICLE = re.compile(r'<article id="p(\d+)" class="post depth-(\d+)')
CONTINUE = re.compile(r'<a class="continue-thread" href="/p/(\d+)/thread">Continue this thread</a>')
CSS = (resources.static() / "css" / "brain.css").read_text(encoding="utf-8")


def articles(html: str) -> list[tuple[int, int]]:
    """(post id, indentation) of each post on the page, in page order."""
    return [(int(pid), int(depth)) for pid, depth in ARTICLE.findall(html)]


def topic_url(topic) -> str:
    return f"/t/{topic.id}-{topic.slug}"


def chain_of_replies(topic, author, length: int):
    """Replies each answering the one before, from the opening post down."""
    parent, chain = opening_post(topic), []
    for n in range(length):
        parent = make_reply(parent=parent, author=author, body=f"level {n + 1}")
        chain.append(parent)
    return chain


# --- colours: read from brain.css, checked by the WCAG formula -------------------------------


def _luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tokens(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6})\s*;", block))


def themes() -> dict[str, dict[str, str]]:
    """The colour tokens of the light theme and of the dark one (light ones it keeps)."""
    light = _tokens(CSS.split("@media (prefers-color-scheme: dark)")[0])
    dark_block = CSS.split("@media (prefers-color-scheme: dark)")[1].split("\n}\n")[0]
    return {"light": light, "dark": {**light, **_tokens(dark_block)}}


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(
    "text, background",
    [
        ("ink", "bg"),
        ("ink", "surface"),
        ("ink", "surface-2"),
        ("muted", "bg"),
        ("muted", "surface"),
        ("muted", "surface-2"),
        ("accent", "surface"),
        ("accent", "bg"),
        ("accent-ink", "accent"),
        ("accent-soft-ink", "accent-soft"),
        ("danger", "surface"),
        ("danger", "danger-soft"),
        ("ok", "ok-soft"),
        ("ink", "warn-soft"),
        ("accent", "warn-soft"),
    ],
)
def test_text_colours_keep_a_contrast_of_4_5_to_1_in_both_themes(theme, text, background):
    colours = themes()[theme]
    ratio = contrast(colours[text], colours[background])
    assert ratio >= 4.5, f"{theme}: --{text} on --{background} is {ratio:.2f}:1"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_field_borders_can_be_seen_in_both_themes(theme):
    colours = themes()[theme]
    assert contrast(colours["line-strong"], colours["surface"]) >= 3


def test_the_twelve_avatar_colours_carry_white_initials():
    colours = dict(re.findall(r"\.avatar-c(\d+) \{ background: (#[0-9a-f]{6}); \}", CSS))
    assert sorted(colours, key=int) == [str(n) for n in range(12)]
    for number, colour in colours.items():
        assert contrast("#ffffff", colour) >= 4.5, f"avatar-c{number} {colour}"
        # On the dark page the circle still stands out from the background.
        assert contrast(colour, themes()["dark"]["bg"]) >= 1.8, f"avatar-c{number} {colour}"


def test_checkboxes_and_radio_buttons_are_never_stretched():
    # The rule that made every input of a .narrow form full width took checkboxes, radio
    # buttons and "Publish" with it; fields are now named one by one.
    assert not re.search(r"\.narrow input\s*[{,]", CSS)
    stretched = re.findall(r"([^{}]*)\{[^}]*inline-size: 100%", CSS)
    for selector in stretched:
        assert "checkbox" not in selector and "radio" not in selector
        assert "submit" not in selector, selector


def test_every_icon_the_stylesheet_draws_is_a_file_of_the_package():
    icons = re.findall(r'url\("\.\./(icons/[a-z-]+\.svg)"\)', CSS)
    assert len(icons) >= 9
    for icon in icons:
        path = resources.static() / icon
        assert path.is_file(), icon
        assert path.read_text(encoding="utf-8").startswith("<svg")


def test_the_stylesheet_is_written_with_logical_properties():
    # Physical sides would not mirror in Arabic.
    for physical in ("margin-left", "margin-right", "padding-left", "padding-right", "left:"):
        assert physical not in CSS
    assert "text-align: left" not in CSS and "text-align: right" not in CSS


# --- the favicon ---------------------------------------------------------------------------


def test_pages_link_the_svg_favicon(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg\?v=[0-9a-f]{12}"', page)


def test_favicon_ico_leads_to_the_svg_icon_instead_of_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].startswith("/static/favicon.svg")
    with client.get(response.headers["Location"]) as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).startswith("<svg")


def test_the_favicon_and_icons_are_part_of_an_installation():
    required = resources.required()
    assert resources.static() / "favicon.svg" in required
    assert all(path.is_file() for path in required if "static" in path.parts)


# --- posts -----------------------------------------------------------------------------------


@pytest.fixture
def staff_topic():
    board = make_board()
    admin = make_user(username="ada", role=Role.ADMIN, display_name="Ada Admin")
    moderator = make_user(username="moira", role=Role.MODERATOR, display_name="Mo Moderator")
    member = make_user(username="amina", display_name="Amina Diallo")
    topic = make_topic(board=board, author=admin)
    make_reply(parent=opening_post(topic), author=moderator, body="From the moderator")
    make_reply(parent=opening_post(topic), author=member, body="From a member")
    return topic


def post_heads(html: str) -> list[str]:
    return re.findall(r'<header class="post-head">(.*?)</header>', html, re.S)


def test_a_post_shows_avatar_author_role_and_time_in_its_head(client, staff_topic):
    heads = post_heads(client.get(topic_url(staff_topic)).get_data(as_text=True))
    assert len(heads) == 3
    for head, initials in zip(heads, ["AA", "MM", "AD"], strict=True):
        assert re.search(
            rf'<span class="avatar avatar-s avatar-c\d+" aria-hidden="true">{initials}</span>', head
        )
        assert 'class="permalink meta"' in head
    assert '<span class="role-badge role-admin">Administrator</span>' in heads[0]
    assert '<span class="role-badge role-moderator">Moderator</span>' in heads[1]
    assert "role-badge" not in heads[2]


def test_post_actions_are_labelled_links_with_an_icon_class(client, staff_topic):
    member = make_user(username="bruno", display_name="Bruno Costa")
    log_in(client, member)
    html = client.get(topic_url(staff_topic)).get_data(as_text=True)
    actions = re.findall(r'<footer class="post-actions">(.*?)</footer>', html, re.S)[0]
    links = re.findall(r'<a href="([^"]+)" class="([^"]+)">([^<]+)</a>', actions)
    first = staff_topic.first_post_id
    assert links == [
        (f"/p/{first}/reply", "js-reply action-reply", "Reply"),
        (f"/p/{first}/reply?quote=1", "js-quote action-quote", "Quote"),
        (f"/p/{first}/report", "action-report", "Report"),
    ]
    for _href, classes, _label in links:
        icon_class = classes.split()[-1]
        assert re.search(rf"\.{icon_class} {{ --icon: url\(", CSS), icon_class


def test_a_topic_page_of_twenty_posts_stays_under_60_kb(client):
    board = make_board()
    author = make_user()
    topic = make_topic(board=board, author=author)
    text = "A paragraph of a real length, about what a member would write in a reply. " * 6
    parent = opening_post(topic)
    for n in range(19):
        parent = make_reply(
            parent=parent if n % 3 else opening_post(topic), author=author, body=text
        )
    log_in(client, author)
    page = client.get(topic_url(topic)).get_data()
    assert len(articles(page.decode())) == 20
    assert len(page) < 60_000, len(page)


# --- lists -----------------------------------------------------------------------------------


def test_the_board_list_shows_replies_and_the_last_posters_avatar(client):
    board = make_board()
    amina = make_user(username="amina", display_name="Amina Diallo")
    bruno = make_user(username="bruno", display_name="Bruno Costa")
    topic = make_topic(board=board, author=amina)
    make_reply(parent=opening_post(topic), author=bruno)
    html = client.get(f"/b/{board.slug}").get_data(as_text=True)
    row = html.split('<tr class="topic-row">')[1].split("</tr>")[0]
    assert '<td class="num replies-cell" data-label="Replies"><strong>1</strong></td>' in row
    activity = row.split('class="activity-cell"')[1]
    assert re.search(r'class="avatar avatar-s avatar-c\d+" aria-hidden="true">BC<', activity)
    assert "Bruno Costa" in activity


def test_the_home_page_shows_each_recent_topic_with_its_last_poster(client):
    board = make_board()
    amina = make_user(username="amina", display_name="Amina Diallo")
    bruno = make_user(username="bruno", display_name="Bruno Costa")
    topic = make_topic(board=board, author=amina)
    make_reply(parent=opening_post(topic), author=bruno)
    html = client.get("/").get_data(as_text=True)
    item = html.split('<li class="activity-item">')[1].split("</li>")[0]
    assert re.search(r'aria-hidden="true">BC<', item)
    assert "1 reply" in item


def test_the_boards_second_search_form_has_a_name_of_its_own(client):
    board = make_board()
    html = client.get(f"/b/{board.slug}").get_data(as_text=True)
    forms = re.findall(r'<form [^>]*role="search"[^>]*>', html)
    names = [re.search(r'aria-label="([^"]+)"', form) for form in forms]
    assert len(forms) == 2 and all(names)
    assert len({name.group(1) for name in names}) == 2  # each search landmark is told apart


# --- the thread tree on a phone ------------------------------------------------------------


def test_the_last_level_a_phone_shows_links_to_the_rest_of_its_thread(client):
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    chain = chain_of_replies(topic, user, PHONE_DEPTH_CAP + 3)
    html = client.get(topic_url(topic)).get_data(as_text=True)
    # The post at the deepest indentation a phone shows links to its sub-thread, right after it.
    last_shown = chain[PHONE_DEPTH_CAP]
    assert CONTINUE.findall(html) == [str(last_shown.id)]
    after = html.split(f'id="p{last_shown.id}"')[1].split("</article>", 1)[1]
    assert after.lstrip().startswith(
        f'<a class="continue-thread" href="/p/{last_shown.id}/thread">'
    )


def test_a_shallow_thread_needs_no_continue_link(client):
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    chain_of_replies(topic, user, PHONE_DEPTH_CAP + 1)
    html = client.get(topic_url(topic)).get_data(as_text=True)
    assert "continue-thread" not in html.split('class="thread')[1]


def test_the_flat_view_has_no_continue_link(client):
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    chain_of_replies(topic, user, PHONE_DEPTH_CAP + 3)
    html = client.get(topic_url(topic) + "?view=flat").get_data(as_text=True)
    assert not CONTINUE.findall(html)


def test_a_page_that_begins_below_the_phone_depth_links_to_their_ancestor(client, app):
    app.config["POSTS_PER_PAGE"] = 6
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    chain = chain_of_replies(topic, user, 9)
    # Tree order: opening, levels 1..5 on page 1; levels 6..9 on page 2, all below the depth
    # a phone shows, whose ancestor at that depth (level 4) is on page 1.
    html = client.get(topic_url(topic) + "?page=2").get_data(as_text=True)
    assert [pid for pid, _ in articles(html)] == [post.id for post in chain[5:]]
    assert CONTINUE.findall(html) == [str(chain[PHONE_DEPTH_CAP].id)]


def test_the_sub_thread_view_shows_a_post_and_the_replies_below_it(client):
    board = make_board()
    user = make_user()
    other = make_user(username="bruno", display_name="Bruno Costa")
    topic = make_topic(board=board, author=user)
    chain = chain_of_replies(topic, user, VISUAL_DEPTH_CAP + 3)
    root = chain[2]
    aside = make_reply(parent=chain[1], author=other, body="A sibling branch, not below the root")
    below = make_reply(parent=root, author=other, body="A second answer to the root")
    html = client.get(f"/p/{root.id}/thread").get_data(as_text=True)
    shown = articles(html)
    ids = [pid for pid, _ in shown]
    assert ids[0] == root.id
    assert set(ids) == {post.id for post in chain[2:]} | {below.id}
    assert aside.id not in ids and topic.first_post_id not in ids
    # The root is not indented, and the tree below it starts again from there.
    assert dict(shown)[root.id] == 0 and dict(shown)[chain[3].id] == 1
    assert dict(shown)[below.id] == 1
    assert "Cooperative law reform" in html  # the topic's title, with links back to it
    assert f'href="/p/{root.id}"' in html
    # The root names the post it answers, which is not on this page.
    head = html.split(f'id="p{root.id}"')[1].split("</header>")[0]
    assert f'href="/p/{chain[1].id}"' in head


def test_the_sub_thread_view_is_paginated(client, app):
    app.config["POSTS_PER_PAGE"] = 3
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user)
    chain = chain_of_replies(topic, user, 8)
    root = chain[1]
    first = articles(client.get(f"/p/{root.id}/thread").get_data(as_text=True))
    second = articles(client.get(f"/p/{root.id}/thread?page=2").get_data(as_text=True))
    assert [pid for pid, _ in first + second] == [post.id for post in chain[1:7]]
    assert client.get(f"/p/{root.id}/thread?page=4").status_code == 404
    assert client.get(f"/p/{root.id}/thread?page=x").status_code in (400, 404)


def test_the_sub_thread_of_a_missing_post_is_a_404(client):
    assert client.get("/p/999999/thread").status_code == 404


def test_the_sub_thread_follows_the_boards_permissions(client):
    board = make_board(slug="alumni", name="Alumni", members_only=True)
    user = make_user()
    topic = make_topic(board=board, author=user)
    reply = make_reply(parent=opening_post(topic), author=user, body="For members only")
    guest = client.get(f"/p/{reply.id}/thread")
    assert guest.status_code in (302, 401, 403)
    assert "For members only" not in guest.get_data(as_text=True)
    log_in(client, user)
    assert "For members only" in client.get(f"/p/{reply.id}/thread").get_data(as_text=True)


def test_the_sub_thread_keeps_posts_hidden_from_those_who_may_not_see_them(client):
    board = make_board()
    user = make_user()
    moderator = make_user(username="moira", role=Role.ADMIN)
    topic = make_topic(board=board, author=user)
    root = make_reply(parent=opening_post(topic), author=user, body="Root post")
    hidden = make_reply(parent=root, author=user, body="A phone number: 555 0100")
    with database() as session:
        moderation.hide_post(
            session.get(Post, hidden.id), session.get(User, moderator.id), "Privacy"
        )
        session.commit()
    html = client.get(f"/p/{root.id}/thread").get_data(as_text=True)
    assert "Root post" in html
    assert "555 0100" not in html
    assert "This post was hidden by a moderator." in html


def test_pages_carry_no_inline_style_or_script(client, staff_topic):
    html = client.get(topic_url(staff_topic)).get_data(as_text=True)
    html += client.get(f"/p/{staff_topic.first_post_id}/thread").get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_icons_and_favicon_are_plain_svg_files():
    folder = Path(resources.static())
    for path in [folder / "favicon.svg", *sorted((folder / "icons").glob("*.svg"))]:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<svg") and "<script" not in text, path.name
