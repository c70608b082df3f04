"""Issue 13, writing, in a real browser: the Markdown toolbar, replying in place under a post,
drafts kept in the browser, the link to the reply box, and images chosen or dropped onto a
composer. Each aid is an enhancement: the last tests show the forms without JavaScript."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import Browser, Page, expect

from brain.models import Post, Topic, User
from brain.ops import posts as post_ops
from tests.browser.actions import log_in, post_with_text, switch_language
from tests.factories import (
    database,
    make_reply,
    make_topic,
    opening_post,
)

RESTORED = "Your unsent text was restored from this browser."
DRAFT_KEYS = "() => Object.keys(localStorage).filter(key => key.startsWith('brain-draft:'))"


@pytest.fixture
def topic(board, bruno):
    return make_topic(board=board, author=bruno, title="Seed banks in the Sahel")


def wait_for_drafts(page: Page, count: int) -> None:
    """Wait until this many drafts are kept in the browser (they are saved as one pauses)."""
    # A function, not an expression: the site's CSP forbids the eval an expression needs.
    page.wait_for_function(f"() => ({DRAFT_KEYS})().length === {count}")


def console_errors(page: Page) -> list[str]:
    """Errors the page reports from now on, such as what the CSP refuses."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def topic_url(base_url: str, topic) -> str:
    return f"{base_url}/t/{topic.id}-{topic.slug}"


def select_text(page: Page, field, text: str) -> None:
    """Select the first occurrence of *text* in a text box, as a person does with the mouse."""
    field.evaluate(
        """(box, text) => {
            const start = box.value.indexOf(text);
            if (start < 0) throw new Error(`${text} is not in the box`);
            box.focus();
            box.setSelectionRange(start, start + text.length);
        }""",
        text,
    )


def selection_of(field) -> str:
    return field.evaluate("box => box.value.slice(box.selectionStart, box.selectionEnd)")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour, written byte by byte."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# --- The toolbar ----------------------------------------------------------------------------


def test_the_toolbar_wraps_the_selection_in_bold_marks(page: Page, live_server, board, amina):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    message = page.get_by_label("Message", exact=True)
    message.fill("Who runs a community seed bank?")
    select_text(page, message, "community")

    toolbar = page.get_by_role("toolbar", name="Formatting")
    toolbar.get_by_role("button", name="Bold", exact=True).click()

    expect(message).to_have_value("Who runs a **community** seed bank?")
    expect(message).to_be_focused()
    assert selection_of(message) == "community"

    # Pressed again, the marks go; with nothing selected, a placeholder is inserted selected.
    toolbar.get_by_role("button", name="Bold", exact=True).click()
    expect(message).to_have_value("Who runs a community seed bank?")
    message.evaluate("box => box.setSelectionRange(box.value.length, box.value.length)")
    toolbar.get_by_role("button", name="Italic", exact=True).click()
    expect(message).to_have_value("Who runs a community seed bank?_italic text_")
    assert selection_of(message) == "italic text"

    page.get_by_label("Title", exact=True).fill("Seed banks")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview").locator("em")).to_have_text("italic text")


def test_the_toolbar_turns_lines_into_a_list_a_quote_and_a_link(
    page: Page, live_server, board, amina
):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    message = page.get_by_label("Message", exact=True)
    toolbar = page.get_by_role("toolbar", name="Formatting")

    message.fill("Seeds\nTools")
    message.evaluate("box => box.setSelectionRange(0, box.value.length)")
    toolbar.get_by_role("button", name="List", exact=True).click()
    expect(message).to_have_value("- Seeds\n- Tools")

    message.fill("Sharing is caring")
    select_text(page, message, "caring")
    toolbar.get_by_role("button", name="Quote", exact=True).click()
    expect(message).to_have_value("> Sharing is caring")

    message.fill("See our site")
    select_text(page, message, "our site")
    toolbar.get_by_role("button", name="Link", exact=True).click()
    expect(message).to_have_value("See [our site](https://)")
    assert selection_of(message) == "https://"  # what is left to type


def test_the_toolbar_is_one_tab_stop_with_arrow_keys_mirrored_in_arabic(
    page: Page, live_server, board, amina, screenshots
):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    bold = page.locator(".md-toolbar [data-md=bold]")
    italic = page.locator(".md-toolbar [data-md=italic]")
    page.get_by_label("Language of your text").focus()  # the field just before the toolbar
    page.keyboard.press("Tab")
    expect(bold).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(italic).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(italic).to_be_focused()  # the toolbar remembers where the member was
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message", exact=True)).to_have_value("_italic text_")

    switch_language(page, "العربية")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    bold.focus()
    page.keyboard.press("ArrowLeft")  # towards the end of a right-to-left row
    expect(italic).to_be_focused()
    toolbar_box = page.locator(".md-toolbar").bounding_box()
    bold_box, italic_box = bold.bounding_box(), italic.bounding_box()
    assert toolbar_box and bold_box and italic_box
    assert italic_box["x"] < bold_box["x"], "the toolbar should run right to left in Arabic"
    assert bold_box["x"] + bold_box["width"] > toolbar_box["x"] + toolbar_box["width"] - 20
    page.screenshot(path=str(screenshots / "writing-toolbar-ar.png"), full_page=True)


# --- Replying in place ----------------------------------------------------------------------


def test_reply_opens_under_the_post_and_the_answer_joins_the_thread(
    page: Page, live_server, topic, amina, bruno, axe_check, screenshots
):
    bruno_post = make_reply(parent=opening_post(topic), author=bruno, body="We keep 40 varieties")
    errors = console_errors(page)
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    address = page.url

    post = post_with_text(page, "We keep 40 varieties")
    reply_link = post.get_by_role("link", name="Reply", exact=True)
    reply_link.click()
    composer = page.get_by_role("region", name="Reply to Bruno Costa")
    expect(composer).to_be_visible()
    assert page.url == address  # no page was left
    message = composer.get_by_label("Message", exact=True)
    expect(message).to_be_focused()
    expect(reply_link).to_have_attribute("aria-expanded", "true")
    # Its fields do not take the ids of the reply box under the thread.
    assert page.locator("[id]").evaluate_all(
        "all => all.length === new Set(all.map(e => e.id)).size"
    )
    expect(composer.get_by_role("toolbar", name="Formatting")).to_be_visible()
    axe_check(page)
    composer.screenshot(path=str(screenshots / "writing-reply-in-place.png"))

    # Escape closes it, and focus returns to the link; nothing typed is lost.
    message.fill("How do you keep them dry?")
    page.keyboard.press("Escape")
    expect(composer).to_have_count(0)
    expect(reply_link).to_be_focused()
    expect(reply_link).to_have_attribute("aria-expanded", "false")
    reply_link.click()
    expect(message).to_have_value("How do you keep them dry?")
    expect(composer.get_by_role("status")).to_contain_text(RESTORED)

    composer.get_by_role("button", name="Post the reply").click()
    answer = post_with_text(page, "How do you keep them dry?")
    expect(answer).to_be_visible()
    expect(answer).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(answer).to_contain_text("Amina Diallo")
    assert f"#p{bruno_post.id}" not in page.url  # the new post, not Bruno's, is shown
    wait_for_drafts(page, 0)
    assert errors == []


def test_cancel_closes_the_reply_in_place(page: Page, live_server, topic, amina, bruno):
    make_reply(parent=opening_post(topic), author=bruno, body="We keep 40 varieties")
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    post = post_with_text(page, "We keep 40 varieties")
    post.get_by_role("link", name="Reply", exact=True).click()
    composer = page.get_by_role("region", name="Reply to Bruno Costa")
    composer.get_by_role("button", name="Cancel").click()
    expect(composer).to_have_count(0)
    expect(post.get_by_role("link", name="Reply", exact=True)).to_be_focused()


def test_without_javascript_the_reply_link_goes_to_the_reply_page(
    browser: Browser, live_server, topic, amina, bruno
):
    make_reply(parent=opening_post(topic), author=bruno, body="We keep 40 varieties")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, "amina")
        page.goto(topic_url(live_server, topic))
        expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))
        post_with_text(page, "We keep 40 varieties").get_by_role(
            "link", name="Reply", exact=True
        ).click()
        expect(page).to_have_url(re.compile(r"/p/\d+/reply$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Reply to Bruno Costa")
        expect(page.get_by_role("toolbar")).to_have_count(0)  # the kit stays an inert template
        page.get_by_label("Message", exact=True).fill("Written without any script")
        page.get_by_role("button", name="Post the reply").click()
        expect(post_with_text(page, "Written without any script")).to_be_visible()
    finally:
        context.close()


# --- Drafts ---------------------------------------------------------------------------------


def test_a_draft_survives_a_reload_and_is_cleared_after_posting(
    page: Page, live_server, topic, amina, screenshots, axe_check
):
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    reply_box = page.get_by_role("region", name="Reply to the topic")
    message = reply_box.get_by_label("Message", exact=True)
    message.fill("Our cooperative stores seeds in clay jars.")
    wait_for_drafts(page, 1)

    page.reload()  # as good as closing the tab and coming back
    expect(message).to_have_value("Our cooperative stores seeds in clay jars.")
    expect(reply_box.get_by_role("status")).to_contain_text(RESTORED)
    expect(reply_box.get_by_role("button", name="Discard the draft")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe_check(page)
    reply_box.screenshot(path=str(screenshots / "writing-draft-restored-phone.png"))

    reply_box.get_by_role("button", name="Post the reply").click()
    expect(post_with_text(page, "Our cooperative stores seeds in clay jars.")).to_be_visible()
    wait_for_drafts(page, 0)
    page.reload()
    expect(message).to_have_value("")
    expect(page.get_by_text(RESTORED)).to_have_count(0)


def test_discarding_a_draft_brings_back_the_empty_form(page: Page, live_server, topic, amina):
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    message = page.get_by_label("Message", exact=True)
    message.fill("Half a thought")
    wait_for_drafts(page, 1)
    page.reload()
    expect(message).to_have_value("Half a thought")

    page.get_by_role("button", name="Discard the draft").click()
    expect(message).to_have_value("")
    expect(message).to_be_focused()
    expect(page.get_by_text(RESTORED)).to_have_count(0)
    assert page.evaluate(DRAFT_KEYS) == []


def test_a_post_refused_for_its_text_keeps_its_draft(page: Page, live_server, topic, amina):
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    refused = "Seeds \u202eand tools"  # a direction override is not allowed in a post
    page.get_by_label("Message", exact=True).fill(refused)
    page.get_by_role("button", name="Post the reply").click()
    expect(page.get_by_text("This field contains characters that are not allowed.")).to_be_visible()
    assert len(page.evaluate(DRAFT_KEYS)) == 1

    page.goto(topic_url(live_server, topic))
    expect(page.get_by_label("Message", exact=True)).to_have_value(refused)
    expect(page.get_by_role("status").filter(has_text=RESTORED)).to_be_visible()


def test_an_error_page_after_posting_keeps_the_draft(page: Page, live_server, topic, amina):
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    refused = "A control character \x01 the server refuses outright"
    page.get_by_label("Message", exact=True).fill(refused)
    page.get_by_role("button", name="Post the reply").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("400")
    page.wait_for_load_state()
    assert len(page.evaluate(DRAFT_KEYS)) == 1

    page.goto(topic_url(live_server, topic))
    expect(page.get_by_label("Message", exact=True)).to_have_value(refused)


def test_a_previewed_draft_survives_a_refusal_after_the_preview(
    page: Page, live_server, topic, amina
):
    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    page.get_by_label("Message", exact=True).fill("We dry seeds on **raised** racks.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview").locator("strong")).to_have_text("raised")

    with database() as session:  # a moderator locks the topic meanwhile
        session.get(Topic, topic.id).is_locked = True
        session.commit()
    page.get_by_role("button", name="Post the reply").click()
    expect(page.locator(".error-page")).to_be_visible()
    assert len(page.evaluate(DRAFT_KEYS)) == 1

    with database() as session:
        session.get(Topic, topic.id).is_locked = False
        session.commit()
    page.goto(topic_url(live_server, topic))
    expect(page.get_by_label("Message", exact=True)).to_have_value(
        "We dry seeds on **raised** racks."
    )


def test_a_draft_of_an_edit_made_stale_meets_the_edit_conflict(
    page: Page, live_server, topic, amina
):
    """The draft keeps the version the edit started from, so an edit saved in between is
    noticed rather than silently overwritten."""
    post = make_reply(parent=opening_post(topic), author=amina, body="Seeds need drying.")
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/p/{post.id}/edit")
    message = page.get_by_label("Message", exact=True)
    message.fill("Seeds need drying, then cool storage.")
    wait_for_drafts(page, 1)

    with database() as session:  # meanwhile, from her phone
        post_ops.edit_post(
            session.get(Post, post.id), session.get(User, amina.id), "Seeds need sun."
        )
        session.commit()

    page.reload()
    expect(message).to_have_value("Seeds need drying, then cool storage.")
    expect(page.get_by_role("status").filter(has_text=RESTORED)).to_be_visible()
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_role("alert")).to_contain_text("This post changed while you were editing.")
    expect(message).to_have_value("Seeds need drying, then cool storage.")
    assert len(page.evaluate(DRAFT_KEYS)) == 1

    page.get_by_role("button", name="Save the changes").click()  # knowingly, this time
    expect(page.get_by_role("status")).to_contain_text("Your changes are saved.")
    expect(post_with_text(page, "then cool storage.")).to_be_visible()
    wait_for_drafts(page, 0)


def test_a_draft_keeps_no_password_and_no_form_token(page: Page, live_server, board, amina):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    page.get_by_label("Title", exact=True).fill("Tool libraries")
    page.get_by_label("Message", exact=True).fill("Who lends tools?")
    wait_for_drafts(page, 1)
    stored = page.evaluate(
        "() => Object.entries(localStorage).filter(([k]) => k.startsWith('brain-draft:'))"
    )
    [(key, value)] = stored
    assert key.endswith(f"/b/{board.slug}/new")
    assert "Who lends tools?" in value and "Tool libraries" in value
    assert "csrf_token" not in value and "submission" not in value

    # Logging out forgets every draft: the next person at this computer sees none.
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    assert page.evaluate(DRAFT_KEYS) == []  # cleared as the form was sent


# --- Jump to the reply box ------------------------------------------------------------------


def test_the_jump_link_lands_in_the_reply_box(
    page: Page, live_server, topic, amina, bruno, screenshots
):
    for n in range(6):
        make_reply(parent=opening_post(topic), author=bruno, body=f"Answer {n}\n\n" + "Text. " * 80)
    page.goto(topic_url(live_server, topic))
    expect(page.get_by_role("link", name="Jump to the reply box")).to_have_count(0)  # a guest

    log_in(page, live_server, "amina")
    page.goto(topic_url(live_server, topic))
    jump = page.get_by_role("link", name="Jump to the reply box")
    page.screenshot(path=str(screenshots / "writing-jump-link.png"))
    jump.click()
    message = page.get_by_role("region", name="Reply to the topic").get_by_label("Message")
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()


# --- Files ----------------------------------------------------------------------------------


def test_an_image_dropped_or_chosen_is_previewed_and_shown_under_the_post(
    page: Page, live_server, board, amina, tmp_path, screenshots
):
    errors = console_errors(page)
    log_in(page, live_server, "amina")
    page.goto(f"{live_server}/b/{board.slug}/new")
    attach = page.get_by_label("Attach images or PDFs")
    expect(attach).to_have_attribute("data-drop", re.compile(".*"))
    form = page.locator("form.composer")

    # Dropped onto the composer: a file made in the page, as a drag from the desktop gives.
    form.evaluate(
        """(form, bytes) => {
            const transfer = new DataTransfer();
            const file = new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"});
            transfer.items.add(file);
            for (const type of ["dragenter", "dragover", "drop"]) {
                const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
                form.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        list(png(40, 30, (200, 30, 30))),
    )
    chosen = page.locator(".drop-files li")
    expect(chosen).to_have_text(["dropped.png"])
    assert attach.evaluate("input => Array.from(input.files, file => file.name)") == ["dropped.png"]
    expect(form).not_to_have_class(re.compile(r"\bis-dragover\b"))

    # Chosen with the file input instead: the preview shows the picture itself.
    picture = tmp_path / "harvest.png"
    picture.write_bytes(png(40, 30, (30, 160, 60)))
    attach.set_input_files(picture)
    expect(chosen).to_have_text(["harvest.png"])
    thumbnail = chosen.locator("canvas.drop-thumb")
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_js_property("width", 40)
    pixel = thumbnail.evaluate(
        "canvas => Array.from(canvas.getContext('2d').getImageData(20, 15, 1, 1).data)"
    )
    assert pixel[:3] == [30, 160, 60]
    form.screenshot(path=str(screenshots / "writing-attach-preview.png"))

    page.get_by_label("Title", exact=True).fill("This year's harvest")
    page.get_by_label("Message", exact=True).fill("Our harvest, in one picture.")
    page.get_by_role("button", name="Start the topic").click()
    opening = post_with_text(page, "Our harvest, in one picture.")
    files = opening.get_by_role("list", name="Attached files")
    image = files.get_by_role("img", name="harvest.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert errors == []
