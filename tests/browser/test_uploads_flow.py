"""Issue 13's leftovers, in a real browser: "Quote" opens the composer in place with the
quotation, the toolbar's image button picks a picture, sends it and writes the Markdown that
shows it (then a preview and the post show it), and the reply box under a topic takes files.
Without JavaScript the same links and file inputs still work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.actions import log_in, post_with_text
from tests.browser.test_writing_flow import console_errors, png, topic_url
from tests.factories import database, make_reply, make_topic, opening_post

KEY = r"[0-9a-f]{32}"


@pytest.fixture
def topic(board, bruno):
    return make_topic(board=board, author=bruno, title="Seed banks in the Sahel")


def attachments_of_post(post_id: int) -> list[str]:
    from brain.models import Attachment

    with database() as session:
        return [a.filename for a in session.query(Attachment).filter_by(post_id=post_id)]


# --- Quote ----------------------------------------------------------------------------------


def test_quote_opens_the_composer_in_place_with_the_quotation(
    page: Page, live_server, topic, amina, bruno, axe_check
):
    make_reply(parent=opening_post(topic), author=bruno, body="We keep 40 varieties")
    errors = console_errors(page)
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    address = page.url

    post = post_with_text(page, "We keep 40 varieties")
    post.get_by_role("link", name="Quote", exact=True).click()
    composer = page.get_by_role("region", name="Reply to Bruno Costa")
    expect(composer).to_be_visible()
    assert page.url == address  # no page was left
    message = composer.get_by_label("Message", exact=True)
    expect(message).to_have_value("@bruno:\n> We keep 40 varieties\n\n")
    expect(message).to_be_focused()
    axe_check(page)

    # Quoting again adds nothing twice; the answer is written after the quotation.
    post.get_by_role("link", name="Quote", exact=True).click()
    expect(message).to_be_focused()  # once the quotation is fetched again
    expect(message).to_have_value("@bruno:\n> We keep 40 varieties\n\n")
    page.keyboard.type("How do you keep them dry?")  # where the cursor was left
    expect(message).to_have_value("@bruno:\n> We keep 40 varieties\n\nHow do you keep them dry?")
    composer.get_by_role("button", name="Post the reply").click()
    answer = post_with_text(page, "How do you keep them dry?")
    expect(answer).to_be_visible()
    expect(answer.locator(".post-body blockquote")).to_contain_text("We keep 40 varieties")
    assert errors == []


def test_quoting_a_post_whose_composer_is_open_adds_the_quotation_to_it(
    page: Page, live_server, topic, amina, bruno
):
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    address = page.url
    reply_box = page.get_by_role("region", name="Reply to the topic")
    message = reply_box.get_by_label("Message", exact=True)
    message.fill("First my own words.")

    # The opening post is answered in the reply box under the thread: the quotation goes there.
    opening = page.get_by_role("article").first
    opening.get_by_role("link", name="Quote", exact=True).click()
    expect(message).to_have_value(re.compile(r"^First my own words\.\n\n@bruno:\n> "))
    expect(message).to_be_focused()
    assert page.url == address
    expect(page.locator(".inline-reply")).to_have_count(0)


def test_without_javascript_quote_leads_to_the_reply_page_with_the_quotation(
    browser: Browser, live_server, topic, amina, bruno
):
    make_reply(parent=opening_post(topic), author=bruno, body="We keep 40 varieties")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, "amina")
        page.goto(topic_url(live_server, topic))
        post_with_text(page, "We keep 40 varieties").get_by_role(
            "link", name="Quote", exact=True
        ).click()
        expect(page).to_have_url(re.compile(r"/p/\d+/reply\?quote=1$"))
        expect(page.get_by_label("Message", exact=True)).to_have_value(
            "@bruno:\n> We keep 40 varieties\n\n"
        )
    finally:
        context.close()


# --- The image button -----------------------------------------------------------------------


def test_the_image_button_attaches_a_picture_previews_and_posts_it(
    page: Page, live_server, board, amina, tmp_path, axe_check, screenshots
):
    errors = console_errors(page)
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    page.get_by_label("Title", exact=True).fill("This year's harvest")
    message = page.get_by_label("Message", exact=True)
    message.fill("Our harvest:")
    picture = tmp_path / "harvest.png"
    picture.write_bytes(png(60, 40, (30, 160, 60)))

    with page.expect_file_chooser() as chooser:
        page.get_by_role("toolbar", name="Formatting").get_by_role("button", name="Image").click()
    assert not chooser.value.is_multiple()
    chooser.value.set_files(picture)

    status = page.locator(".upload-status")
    expect(status).to_contain_text("This file will be attached when you post:")
    expect(status).to_contain_text("harvest.png")
    expect(message).to_have_value(
        re.compile(rf"^Our harvest:\n\n!\[harvest\]\(/uploads/{KEY}\.png\)\n$")
    )
    key = re.search(KEY, message.input_value()).group(0)
    assert selection(message) == "harvest"  # the description, ready to be typed over
    page.keyboard.type("Maize and millet")
    attached = page.locator("input[name=attached]")
    expect(attached).to_have_value(key)
    axe_check(page)

    # The preview shows it in the text, and lists it as waiting for the post.
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    image = preview.get_by_role("img", name="Maize and millet")
    expect(image).to_have_attribute("src", f"/uploads/{key}.png")
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 60
    expect(page.locator(".attachments-waiting")).to_contain_text("harvest.png")
    page.locator("form.composer").screenshot(path=str(screenshots / "uploads-image-button.png"))

    page.get_by_role("button", name="Start the topic").click()
    opening = post_with_text(page, "Our harvest:")
    shown = opening.locator(".post-body").get_by_role("img", name="Maize and millet")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.decode().then(() => img.naturalWidth)") == 60
    post_id = int(opening.get_attribute("id")[1:])
    assert attachments_of_post(post_id) == ["harvest.png"]
    assert errors == []


def test_the_image_button_says_why_a_file_is_refused(
    page: Page, live_server, board, amina, tmp_path
):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    message = page.get_by_label("Message", exact=True)
    message.fill("Look:")
    fake = tmp_path / "innocent.png"
    fake.write_bytes(b"<?php system($_GET['c']); ?>")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Image", exact=True).click()
    chooser.value.set_files(fake)
    status = page.locator(".upload-status.is-error")
    expect(status).to_contain_text("“innocent.png” is not a file we accept")
    expect(status).to_have_attribute("role", "status")
    expect(message).to_have_value("Look:")
    expect(page.locator("input[name=attached]")).to_have_value("")


def selection(field) -> str:
    return field.evaluate("box => box.value.slice(box.selectionStart, box.selectionEnd)")


# --- The reply box under a topic ------------------------------------------------------------


def test_the_reply_box_under_a_topic_takes_files(page: Page, live_server, topic, amina, tmp_path):
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    reply_box = page.get_by_role("region", name="Reply to the topic")
    attach = reply_box.get_by_label("Attach images or PDFs")
    expect(attach).to_have_attribute("data-drop", re.compile(".*"))
    picture = tmp_path / "jars.png"
    picture.write_bytes(png(40, 30, (200, 120, 30)))
    attach.set_input_files(picture)
    expect(reply_box.locator(".drop-files li")).to_have_text(["jars.png"])
    reply_box.get_by_label("Message", exact=True).fill("Our clay jars.")
    reply_box.get_by_role("button", name="Post the reply").click()
    answer = post_with_text(page, "Our clay jars.")
    image = answer.get_by_role("list", name="Attached files").get_by_role("img", name="jars.png")
    expect(image).to_be_visible()


def test_without_javascript_the_reply_box_under_a_topic_still_sends_files(
    browser: Browser, live_server, topic, amina, tmp_path
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, "amina")
        page.goto(topic_url(live_server, topic))
        expect(page.get_by_role("toolbar")).to_have_count(0)
        reply_box = page.get_by_role("region", name="Reply to the topic")
        document = tmp_path / "minutes.pdf"
        document.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
        reply_box.get_by_label("Attach images or PDFs").set_input_files(document)
        reply_box.get_by_label("Message", exact=True).fill("The minutes, without any script")
        reply_box.get_by_role("button", name="Post the reply").click()
        answer = post_with_text(page, "The minutes, without any script")
        expect(answer.get_by_role("link", name="minutes.pdf")).to_be_visible()
    finally:
        context.close()
