"""Issue 2 in a real browser: an account, a topic, a conversation in a tree, edits, deletions
and links to posts, each done the way a person does it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import log_in, post_with_text
from tests.factories import PASSWORD, make_reply, make_topic, opening_post

OPENING_BODY = "What changed in your country?"


def topic_url(base_url: str, topic) -> str:
    return f"{base_url}/t/{topic.id}-{topic.slug}"


def body_texts(page: Page) -> list[str]:
    return page.locator(".thread .post-body").all_inner_texts()


def left_edge(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, "the element is not laid out"
    return box["x"]


def test_a_person_registers_logs_out_and_logs_in_again(page: Page, live_server):
    page.goto(live_server)
    page.get_by_role("link", name="Register", exact=True).click()
    page.get_by_label("Username", exact=True).fill("noura")
    page.get_by_label("Display name", exact=True).fill("Noura Haddad")
    page.get_by_label("Email", exact=True).fill("noura@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()

    expect(page.get_by_role("status")).to_contain_text("Welcome to the community, Noura Haddad!")
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Noura Haddad")).to_be_visible()

    account.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    expect(account.get_by_role("link", name="Noura Haddad")).to_have_count(0)

    account.get_by_role("link", name="Log in").click()
    page.get_by_label("Username or email", exact=True).fill("noura@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back, Noura Haddad.")
    expect(account.get_by_role("link", name="Noura Haddad")).to_be_visible()


def test_a_topic_is_previewed_before_it_is_started(page: Page, live_server, board, amina):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}")
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Title", exact=True).fill("Seed banks in the Sahel")
    page.get_by_label("Message", exact=True).fill("Who runs a **community** seed bank?")

    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text("community")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Seed banks in the Sahel")
    expect(page.get_by_role("article")).to_have_count(0)  # nothing posted yet

    page.get_by_role("button", name="Start the topic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seed banks in the Sahel")
    opening = page.get_by_role("article", name="Amina Diallo")
    expect(opening.locator("strong")).to_have_text("community")


def test_replies_form_a_tree_and_the_flat_view_is_chronological(
    page: Page, live_server, board, amina, bruno
):
    topic = make_topic(board=board, author=bruno)
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))

    # A reply to the topic, from the box under the conversation.
    reply_box = page.get_by_role("region", name="Reply to the topic")
    reply_box.get_by_label("Message", exact=True).fill("First answer, from Amina")
    reply_box.get_by_role("button", name="Post the reply").click()
    expect(post_with_text(page, "First answer, from Amina")).to_be_visible()

    # Meanwhile someone else answers the topic too.
    make_reply(parent=opening_post(topic), author=bruno, body="Second answer, from Bruno")
    page.reload()

    # A reply to a particular reply, with the Reply link on that post.
    first = post_with_text(page, "First answer, from Amina")
    first.get_by_role("link", name="Reply", exact=True).click()
    composer = page.get_by_role("region", name="Reply to Amina Diallo")  # opens in place
    composer.get_by_label("Message", exact=True).fill("An answer to the first answer")
    composer.get_by_role("button", name="Post the reply").click()

    tree_order = [
        OPENING_BODY,
        "First answer, from Amina",
        "An answer to the first answer",
        "Second answer, from Bruno",
    ]
    expect(page.locator(".thread .post-body")).to_have_text(tree_order)
    nested = post_with_text(page, "An answer to the first answer")
    first = post_with_text(page, "First answer, from Amina")
    second = post_with_text(page, "Second answer, from Bruno")
    expect(nested).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(first).to_have_class(re.compile(r"\bdepth-0\b"))
    assert left_edge(nested) > left_edge(first) == left_edge(second)

    page.get_by_role("link", name="Flat view").click()
    expect(page.get_by_text("Flat view", exact=True)).to_have_attribute("aria-current", "true")
    expect(page.locator(".thread .post-body")).to_have_text(
        [
            OPENING_BODY,
            "First answer, from Amina",
            "Second answer, from Bruno",
            "An answer to the first answer",
        ]
    )
    edges = {left_edge(article) for article in page.get_by_role("article").all()}
    assert len(edges) == 1, f"flat view should not indent, left edges: {edges}"
    # In the flat view a reply names the post it answers.
    expect(post_with_text(page, "An answer to the first answer")).to_contain_text(
        "replying to Amina Diallo"
    )


def test_an_edited_post_says_so_and_its_earlier_version_can_be_read(
    page: Page, live_server, board, amina, bruno
):
    topic = make_topic(board=board, author=bruno)
    make_reply(parent=opening_post(topic), author=amina, body="Coperatives need members.")
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))

    post_with_text(page, "Coperatives need").get_by_role("link", name="Edit").click()
    page.get_by_label("Message", exact=True).fill("Cooperatives need members.")
    page.get_by_role("button", name="Save the changes").click()

    expect(page.get_by_role("status")).to_contain_text("Your changes are saved.")
    edited_post = post_with_text(page, "Cooperatives need members.")
    edited_post.get_by_role("link", name="edited").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Earlier versions of this post")
    expect(page.locator(".revision").last).to_contain_text("Coperatives need members.")


def test_a_deleted_post_leaves_a_placeholder_and_its_replies(
    page: Page, live_server, board, amina, bruno
):
    topic = make_topic(board=board, author=bruno)
    regret = make_reply(parent=opening_post(topic), author=amina, body="Something I regret")
    make_reply(parent=regret, author=bruno, body="Bruno answers it")
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))

    post_with_text(page, "Something I regret").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete the post").click()

    expect(page.get_by_role("status")).to_contain_text("The post was deleted.")
    deleted = page.locator(f"#p{regret.id}")
    expect(deleted).to_contain_text("This post was deleted by its author.")
    expect(page.get_by_role("article", name="Deleted post")).to_have_count(1)
    expect(page.get_by_text("Something I regret")).to_have_count(0)
    expect(post_with_text(page, "Bruno answers it")).to_be_visible()


def test_a_permalink_opens_the_right_page_scrolled_to_the_post(
    page: Page, live_server, app, board, amina, bruno
):
    app.config["POSTS_PER_PAGE"] = 3
    topic = make_topic(board=board, author=bruno)
    # Long posts, so that the page has to scroll to show the one asked for.
    padding = "\n\n".join(["A paragraph that takes up some room on the page."] * 8)
    replies = [
        make_reply(parent=opening_post(topic), author=amina, body=f"Reply number {n}\n\n{padding}")
        for n in range(1, 8)
    ]
    # Pages of three, in tree order: [opening, 1, 2] [3, 4, 5] [6, 7]
    wanted = replies[4]
    page.set_viewport_size({"width": 1000, "height": 600})

    page.goto(f"{live_server}/p/{wanted.id}")

    assert page.url == f"{topic_url(live_server, topic)}?page=2#p{wanted.id}"
    pages = page.get_by_role("navigation", name="Pages").first
    expect(pages.locator("[aria-current=page]")).to_have_text("2")
    target = page.locator(f"#p{wanted.id}")
    expect(target).to_contain_text("Reply number 5")
    expect(target).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0


@pytest.fixture
def conversation(board, amina, bruno):
    topic = make_topic(board=board, author=bruno)
    make_reply(parent=opening_post(topic), author=amina, body="A reply with a [link](/)")
    return topic


@pytest.mark.parametrize(
    "where",
    ["home", "board", "topic", "topic as a member", "login", "register"],
)
def test_pages_have_no_serious_accessibility_problems(
    page: Page, live_server, conversation, axe_check, where
):
    if where == "topic as a member":
        log_in(page, live_server, "amina")
    paths = {
        "home": "/",
        "board": "/b/cooperatives",
        "topic": f"/t/{conversation.id}-{conversation.slug}",
        "topic as a member": f"/t/{conversation.id}-{conversation.slug}",
        "login": "/login",
        "register": "/register",
    }
    page.goto(live_server + paths[where])
    axe_check(page)
