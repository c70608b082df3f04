"""Issue 11 in a real browser: member B answers member A; A sees the count in the header, opens
/notifications, lands on the answer, and the count clears."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.actions import log_in, post_with_text
from tests.factories import make_board, make_topic, make_user

ANSWER = "Our savings group meets every Friday."


def test_a_reply_to_you_shows_in_the_bell_and_leads_to_the_post(
    browser: Browser, live_server, axe_check, screenshots
):
    board = make_board(slug="cooperatives", name="Cooperatives")
    amina = make_user(username="amina", display_name="Amina Diallo")
    make_user(username="bruno", display_name="Bruno Costa")
    topic = make_topic(board=board, author=amina, title="Savings groups", body="How do yours meet?")
    topic_url = f"{live_server}/t/{topic.id}-{topic.slug}"

    bruno = browser.new_context().new_page()
    log_in(bruno, live_server, "bruno")
    bruno.goto(topic_url)
    reply_box = bruno.get_by_role("region", name="Reply to the topic")
    reply_box.get_by_label("Message", exact=True).fill(ANSWER)
    reply_box.get_by_role("button", name="Post the reply").click()
    expect(post_with_text(bruno, ANSWER)).to_be_visible()
    bruno.context.close()

    page = browser.new_context().new_page()
    log_in(page, live_server, "amina")
    account = page.get_by_role("navigation", name="Account")
    bell = account.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(bell).to_have_accessible_name(re.compile(r"^Notifications\s+1 unread\s*$"))
    bell.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    axe_check(page)
    page.screenshot(path=str(screenshots / "notifications-list.png"))
    entry = page.get_by_role("link", name="Bruno Costa replied to your post in Savings groups")
    entry.click()

    answer = post_with_text(page, ANSWER)
    expect(answer).to_be_visible()
    expect(page).to_have_url(re.compile(r"/t/\d+-savings-groups#p\d+$"))
    assert page.url.endswith(f"#{answer.get_attribute('id')}")
    expect(bell).to_have_accessible_name(re.compile(r"^\s*Notifications\s*$"))
    page.goto(f"{live_server}/notifications")
    expect(page.get_by_text("Unread:")).to_have_count(0)
