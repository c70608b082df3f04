"""Issue 11, read and unread, in a real browser: a board shows that a topic has a new reply,
the member follows the marker to that very post (on the topic's second page), and back on the
board the marker is gone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import log_in, post_with_text
from tests.factories import make_board, make_reply, make_topic, make_user, opening_post

NEW_REPLY = "Our union federation answered: the reform passed last week."


@pytest.fixture
def board():
    return make_board(slug="cooperatives", name="Cooperatives")


def test_a_new_reply_is_marked_on_the_board_until_it_is_read(
    page: Page, live_server, app, board, axe_check
):
    app.config["POSTS_PER_PAGE"] = 5
    amina = make_user(username="amina", display_name="Amina Diallo")
    bruno = make_user(username="bruno", display_name="Bruno Costa")
    topic = make_topic(board=board, author=amina, title="Cooperative law reform")
    for n in range(4):
        make_reply(parent=opening_post(topic), author=bruno, body=f"Earlier answer {n}")
    quiet = make_topic(board=board, author=bruno, title="Seed banks in the Sahel")

    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/t/{topic.id}-{topic.slug}")  # Amina reads the whole topic
    page.goto(f"{live_server}/t/{quiet.id}-{quiet.slug}")  # and the other one
    page.goto(f"{live_server}/b/{board.slug}")
    expect(page.get_by_role("link", name=re.compile(r"^\d+ new$"))).to_have_count(0)

    make_reply(parent=opening_post(topic), author=bruno, body=NEW_REPLY)
    page.reload()
    row = page.get_by_role("row").filter(has_text="Cooperative law reform")
    marker = row.get_by_role("link", name="1 new", exact=True)
    expect(marker).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Seed banks").get_by_text("new")).to_have_count(
        0
    )
    axe_check(page)

    marker.click()
    expect(page).to_have_url(re.compile(r"[?&]page=2#p\d+$"))
    new_post = post_with_text(page, NEW_REPLY)
    expect(new_post).to_be_in_viewport()

    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Cooperatives"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cooperatives")
    expect(page.get_by_role("link", name=re.compile(r"^\d+ new$"))).to_have_count(0)
