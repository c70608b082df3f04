"""Issue 6 in a real browser: a member posts a request on the Meeting Point in Spanish; another
member, whose profile fits it, finds it among the posts suggested to them and expresses
interest; the author accepts them as a partner and marks the request matched."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext, pgettext
from playwright.sync_api import Browser, Page, expect

from brain.models import Board, User
from brain.ops.accounts import update_profile
from brain.vocabulary import meeting as catalog
from tests.browser.actions import log_in, switch_language
from tests.factories import database, make_user

TITLE = "Buscamos formación en fondos rotatorios"
BODY = (
    "Nuestra cooperativa de mujeres en Oaxaca quiere aprender a gestionar un fondo rotatorio "
    "de ahorro y crédito."
)
INTEREST = "We trained twelve savings groups in Ghana and can share our manual in Spanish."


@pytest.fixture
def spanish(app):
    """The words the Spanish interface shows for an English message of the catalog: the
    Spanish translation, or the English text while a message is not translated yet."""

    def words(message: str, context: str | None = None, **variables) -> str:
        with app.test_request_context("/"), force_locale("es"):
            if context:
                return pgettext(context, message, **variables)
            return gettext(message, **variables)

    return words


@pytest.fixture
def meeting_point():
    with database() as session:
        board = Board(
            slug="meeting-point",
            name="Meeting Point",
            description="South-South and triangular cooperation",
            position=1,
        )
        session.add(board)
        session.commit()


@pytest.fixture
def lucia(meeting_point):
    """The author of the request; her interface is in Spanish."""
    return make_user(username="lucia", display_name="Lucía Pérez")


@pytest.fixture
def kwame(meeting_point):
    """From Ghana, speaks Spanish, works on social finance: the request fits his profile."""
    user = make_user(username="kwame", display_name="Kwame Mensah")
    with database() as session:
        update_profile(
            session.get(User, user.id),
            display_name="Kwame Mensah",
            country="GH",
            organisation="Accra Savings Network",
            spoken_languages=["en", "es"],
            editions=[],
            expertise="microfinance, savings groups",
            bio="",
        )
        session.commit()
    return user


def post_request_in_spanish(page: Page, base_url: str, spanish, axe_check) -> None:
    """Lucía, logged in, switches to Spanish and posts her request with the form."""
    page.goto(f"{base_url}/meeting-point/")
    switch_language(page, "Español")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name=spanish("Post an offer, a request or an experience")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        spanish("New post on the Meeting Point")
    )
    axe_check(page)

    form = page.get_by_role("main").locator("form")
    kinds = form.get_by_role("group", name=spanish("What are you posting?"))
    kinds.get_by_label(spanish("Request", "cooperation kind"), exact=True).check()
    form.get_by_label(spanish("Form of cooperation")).select_option(label=spanish("Training"))
    themes = form.get_by_role("group", name=spanish("Themes"))
    themes.get_by_label(spanish("Social finance and microfinance")).check()
    # Country names come from CLDR, in Spanish here; a country is found by typing its name.
    countries = form.get_by_role("group", name=spanish("Countries"))
    countries.get_by_label(spanish("Find a country")).fill("mexi")
    countries.get_by_label("México", exact=True).check()
    working = form.get_by_role("group", name=spanish("Working languages"))
    working.get_by_label("Español", exact=True).check()
    form.get_by_label(spanish("Title"), exact=True).fill(TITLE)
    form.get_by_label(spanish("Language of your text")).select_option(label="Español")
    form.get_by_label(spanish("Message"), exact=True).fill(BODY)
    form.get_by_role("button", name=spanish("Publish")).click()

    expect(page.get_by_role("status")).to_contain_text(
        spanish("Your post is on the Meeting Point.")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    panel = page.locator(".coop-panel")
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        f"{spanish('Request', 'cooperation kind')} {spanish('Open', 'cooperation status')}"
    )
    expect(panel).to_contain_text(spanish("Training"))
    expect(panel).to_contain_text(spanish("Social finance and microfinance"))
    expect(panel).to_contain_text("México")


def test_a_spanish_request_is_matched_with_a_member_it_was_suggested_to(
    page: Page,
    browser: Browser,
    live_server,
    lucia,
    kwame,
    spanish,
    screenshots,
    axe_check,
):
    log_in(page, live_server, "lucia")
    post_request_in_spanish(page, live_server, spanish, axe_check)
    request_url = page.url

    # Kwame, in a browser of his own, finds the request suggested to him and answers it.
    other = browser.new_context().new_page()
    try:
        log_in(other, live_server, "kwame")
        other.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Meeting Point"
        ).click()
        for_you = other.get_by_role("region", name="Suggested for you")
        suggestion = for_you.get_by_role("listitem").filter(has_text=TITLE)
        expect(suggestion).to_contain_text("same theme: Social finance and microfinance")
        expect(suggestion).to_contain_text("shared language: Español")
        axe_check(other)

        suggestion.get_by_role("link", name=TITLE).click()
        assert other.url == request_url
        other.get_by_text("Express interest", exact=True).click()
        other.get_by_label("Your message to the author").fill(INTEREST)
        other.get_by_role("button", name="Send my interest").click()
        expect(other.get_by_role("status")).to_contain_text("Your interest was sent to the author.")
        expect(
            other.get_by_text("You expressed interest; the author has not answered yet.")
        ).to_be_visible()
    finally:
        other.context.close()

    # Lucía reads the interest, accepts Kwame as a partner, and marks the request matched.
    page.reload()
    panel = page.locator(".coop-panel")
    interests = panel.get_by_role("list").filter(has_text=INTEREST)
    expect(interests.get_by_role("link", name="Kwame Mensah")).to_be_visible()
    accept = spanish("Accept %(name)s as a partner", name="Kwame Mensah")
    interests.get_by_role("button", name=accept).click()
    expect(page.get_by_role("status")).to_contain_text(
        spanish("%(name)s is now a partner of this post.", name="Kwame Mensah")
    )

    matched = spanish("Matched", "cooperation status")
    page.get_by_label(spanish("New status")).select_option(label=matched)
    page.get_by_role("button", name=spanish("Change the status")).click()

    expect(page.get_by_role("status")).to_contain_text(matched)
    panel = page.locator(".coop-panel")
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        f"{spanish('Request', 'cooperation kind')} {matched}"
    )
    expect(panel.locator(f".status-{catalog.Status.MATCHED}")).to_have_text(matched)
    partners = panel.locator(".partners")
    expect(partners).to_contain_text(spanish("Partners:"))
    expect(partners.get_by_role("link", name="Kwame Mensah")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.screenshot(path=screenshots / "meeting-point-matched.png", full_page=True)
    axe_check(page)
