"""The look of issue 13 in a real browser: the thread tree on a phone ("continue this thread"),
checkboxes beside their labels, buttons that are real buttons, and the dark theme."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from brain.forum.queries import PHONE_DEPTH_CAP
from tests.browser.actions import log_in, post_with_text
from tests.factories import make_board, make_reply, make_topic, make_user, opening_post

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def deep_topic():
    """A topic whose one thread goes three levels deeper than a phone shows."""
    board = make_board(slug="cooperatives", name="Cooperatives")
    amina = make_user(username="amina", display_name="Amina Diallo")
    topic = make_topic(board=board, author=amina)
    parent = opening_post(topic)
    for level in range(1, PHONE_DEPTH_CAP + 5):
        parent = make_reply(parent=parent, author=amina, body=f"Answer at level {level}")
    return topic


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, "the element is not laid out"
    return found


def no_horizontal_overflow(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_phone_shows_four_levels_then_continues_the_thread_on_a_page_of_its_own(
    page: Page, live_server, deep_topic, screenshots, axe_check
):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/t/{deep_topic.id}-{deep_topic.slug}")
    last_shown = f"Answer at level {PHONE_DEPTH_CAP + 1}"
    expect(post_with_text(page, last_shown)).to_be_visible()
    expect(post_with_text(page, f"Answer at level {PHONE_DEPTH_CAP + 2}")).to_be_hidden()
    assert no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "look-phone-thread.png", full_page=True)
    axe_check(page)

    page.get_by_role("link", name="Continue this thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cooperative law reform")
    # The sub-thread starts at the last post the phone showed, not indented, and goes on.
    articles = page.get_by_role("article")
    expect(articles.first.locator(".post-body")).to_have_text(last_shown)
    for level in range(PHONE_DEPTH_CAP + 2, PHONE_DEPTH_CAP + 5):
        expect(post_with_text(page, f"Answer at level {level}")).to_be_visible()
    assert no_horizontal_overflow(page)
    axe_check(page)


def test_a_wide_window_shows_the_whole_tree_without_the_continue_link(
    page: Page, live_server, deep_topic
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/t/{deep_topic.id}-{deep_topic.slug}")
    for level in range(1, PHONE_DEPTH_CAP + 5):
        expect(post_with_text(page, f"Answer at level {level}")).to_be_visible()
    expect(page.get_by_role("link", name="Continue this thread")).to_be_hidden()
    # Indentation grows with depth, then stops at the cap.
    edges = [
        box(post_with_text(page, f"Answer at level {level}"))["x"]
        for level in range(1, PHONE_DEPTH_CAP + 3)
    ]
    assert edges == sorted(edges) and len(set(edges)) == len(edges)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_remember_me_checkbox_sits_beside_its_label(page: Page, live_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server}/login")
    checkbox = page.get_by_label("Keep me logged in")
    label = page.locator("label[for=remember]")
    tick, words = box(checkbox), box(label)
    assert 24 <= tick["width"] <= 32 and 24 <= tick["height"] <= 32, tick
    # Side by side: on one line, the box before the words.
    assert tick["y"] < words["y"] + words["height"] and words["y"] < tick["y"] + tick["height"]
    assert tick["x"] + tick["width"] <= words["x"]
    button = box(page.get_by_role("button", name="Log in", exact=True))
    assert button["height"] >= (40 if viewport is PHONE else 32)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_writing_forms_have_real_buttons(page: Page, live_server, viewport):
    make_board(slug="cooperatives", name="Cooperatives")
    make_user(username="amina", display_name="Amina Diallo")
    page.set_viewport_size(viewport)
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/cooperatives/new")
    publish = page.get_by_role("button", name="Start the topic")
    preview = page.get_by_role("button", name="Preview")
    for button in (publish, preview):
        found = box(button)
        assert found["height"] >= (40 if viewport is PHONE else 32), found
        assert found["width"] < 300, f"a stretched button: {found}"
        size = button.evaluate("b => parseFloat(getComputedStyle(b).fontSize)")
        assert size >= 15
    colours = publish.evaluate(
        "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
    )
    assert colours[0] != colours[1] and colours[0] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert no_horizontal_overflow(page)


def test_the_dark_theme_follows_the_system_setting(page: Page, live_server, deep_topic, axe_check):
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/t/{deep_topic.id}-{deep_topic.slug}")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in background[4:-1].split(", "))
    assert max(red, green, blue) < 60, background
    axe_check(page)
    page.emulate_media(color_scheme="light")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert min(int(part) for part in background[4:-1].split(", ")) > 200
