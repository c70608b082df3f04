"""Issue 3 in a real browser: the interface language is switched with the switcher on the page;
Arabic lays the page out right to left while a French post inside it stays left to right."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import post_with_text, switch_language
from tests.factories import PASSWORD, make_board, make_reply, make_topic, make_user, opening_post

FRENCH_BODY = "Les coopératives d'habitants se développent à Lyon."
ARABIC_BODY = "التعاونيات الزراعية مهمة جدا في منطقتنا."
FRENCH_ANSWER = "Merci Karim, lesquelles ?"


@pytest.fixture
def bilingual_topic():
    """A French topic with an Arabic reply and a French answer to it, on a board of its own."""
    board = make_board(slug="housing", name="Housing")
    claire = make_user(username="claire", display_name="Claire Martin")
    karim = make_user(username="karim", display_name="كريم")
    topic = make_topic(
        board=board,
        author=claire,
        title="Coopératives d'habitants",
        body=FRENCH_BODY,
        language="fr",
    )
    arabic = make_reply(parent=opening_post(topic), author=karim, body=ARABIC_BODY, language="ar")
    make_reply(parent=arabic, author=claire, body=FRENCH_ANSWER, language="fr")
    return topic


def topic_url(base_url: str, topic) -> str:
    return f"{base_url}/t/{topic.id}-{topic.slug}"


def direction(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).direction")


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, "the element is not laid out"
    return found


def test_arabic_lays_the_page_out_right_to_left(
    page: Page, live_server, bilingual_topic, screenshots, axe_check
):
    page.goto(live_server)
    switch_language(page, "العربية")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert direction(page.locator("body")) == "rtl"

    # The header reads from the right: the site name at the right edge, the main navigation
    # just left of it, both in the right half of the window.
    width = page.viewport_size["width"]
    brand = box(page.get_by_role("link", name="Collective Brain"))
    # The header's main navigation (the account links sit in a thin row above it).
    main_nav = page.get_by_role("banner").locator(".main-nav")
    first_link = box(main_nav.get_by_role("link").first)
    assert first_link["x"] > width / 2, f"main navigation starts at x={first_link['x']}"
    assert brand["x"] > first_link["x"] + first_link["width"] - 1
    # The main row (name, sections, search) holds on one line at this width, under a thin
    # row with the account links and the language.
    search_button = box(page.get_by_role("banner").locator(".header-search button"))
    assert abs(search_button["y"] - first_link["y"]) < first_link["height"], "header wraps"
    language = box(page.get_by_role("banner").locator(".language-switch"))
    assert language["y"] + language["height"] <= first_link["y"]
    page.screenshot(path=screenshots / "ar-home.png", full_page=True)
    axe_check(page)

    page.get_by_role("link", name="Coopératives d'habitants").click()
    expect(html).to_have_attribute("lang", "ar")
    french_post = post_with_text(page, FRENCH_BODY).locator(".post-body")
    expect(french_post).to_have_attribute("lang", "fr")
    assert direction(french_post) == "ltr"
    assert direction(post_with_text(page, ARABIC_BODY).locator(".post-body")) == "rtl"
    assert direction(page.get_by_role("heading", level=1)) == "ltr"  # a French title
    # A reply to a reply is indented from the right, where the lines start.
    answered, answer = (
        box(post_with_text(page, ARABIC_BODY)),
        box(post_with_text(page, FRENCH_ANSWER)),
    )
    assert answer["x"] + answer["width"] < answered["x"] + answered["width"]
    page.screenshot(path=screenshots / "ar-topic.png", full_page=True)
    axe_check(page)


def test_french_pages_stay_left_to_right(page: Page, live_server, bilingual_topic, screenshots):
    page.goto(live_server)
    switch_language(page, "Français")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fr")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Catégories")).to_be_visible()
    brand = box(page.get_by_role("link", name="Collective Brain"))
    assert brand["x"] < page.viewport_size["width"] / 2
    page.screenshot(path=screenshots / "fr-home.png", full_page=True)

    page.get_by_role("link", name="Coopératives d'habitants").click()
    arabic_post = post_with_text(page, ARABIC_BODY).locator(".post-body")
    assert direction(arabic_post) == "rtl"
    page.screenshot(path=screenshots / "fr-topic.png", full_page=True)


def test_the_portuguese_login_form_is_found_by_its_portuguese_labels(page: Page, live_server):
    make_user(username="joana", display_name="Joana Silva")
    page.goto(live_server)
    switch_language(page, "Português")
    expect(page.locator("html")).to_have_attribute("lang", "pt")

    page.get_by_role("link", name="Entrar", exact=True).click()
    page.get_by_label("Nome de acesso ou e-mail", exact=True).fill("joana")
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Olá de novo, Joana Silva.")
    expect(page.locator("html")).to_have_attribute("lang", "pt")
