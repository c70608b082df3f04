"""Issue 5 in a real browser: a moderator hides a post with a reason that only its author
reads; an administrator approves a member who registered while new accounts need approval;
members find each other in the directory by academy edition and country."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from brain.models import BoardModerator, Post, Role, User
from brain.ops import moderation as moderation_ops
from brain.ops.accounts import update_profile
from tests.browser.actions import log_in, post_with_text
from tests.factories import (
    PASSWORD,
    database,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)

ADVERT = "Buy cheap watches at my shop, best prices in town!"
REASON = "Advertising is not allowed on this board."


def topic_url(base_url: str, topic) -> str:
    return f"{base_url}/t/{topic.id}-{topic.slug}"


@pytest.fixture
def board():
    return make_board(slug="cooperatives", name="Cooperatives")


@pytest.fixture
def moderator(board):
    """Moderates the Cooperatives board, and only it."""
    user = make_user(username="sofia", role=Role.MODERATOR, display_name="Sofía Moderadora")
    with database() as session:
        session.add(BoardModerator(board_id=board.id, user_id=user.id))
        session.commit()
    return user


@pytest.fixture
def advert(board):
    """A topic by Bruno with a reply by Amina that breaks the board's rules."""
    bruno = make_user(username="bruno", display_name="Bruno Costa")
    amina = make_user(username="amina", display_name="Amina Diallo")
    topic = make_topic(board=board, author=bruno, title="Savings groups")
    reply = make_reply(parent=opening_post(topic), author=amina, body=ADVERT)
    return topic, reply


def open_as(browser: Browser, base_url: str, username: str) -> Page:
    """A page in a browser context of its own (its own cookies), logged in as *username*."""
    page = browser.new_context().new_page()
    log_in(page, base_url, username)
    return page


def test_a_hidden_post_shows_its_reason_to_the_author_only(
    page: Page, browser: Browser, live_server, moderator, advert
):
    topic, reply = advert
    make_user(username="carla", display_name="Carla Mendes")

    # The moderator hides the post from the link on it, giving a reason.
    log_in(page, live_server, "sofia")
    page.goto(topic_url(live_server, topic))
    post_with_text(page, ADVERT).get_by_role("link", name="Hide", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hide the post")
    page.get_by_role("button", name="Hide the post").click()
    expect(page.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")  # required
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Hide the post").click()
    expect(page.get_by_role("status")).to_contain_text(
        "The post is hidden. Its author sees the reason."
    )
    hidden = page.locator(f"#p{reply.id}")
    expect(hidden).to_contain_text(f"Hidden by a moderator. Reason: {REASON}")
    expect(hidden.get_by_role("link", name="Restore")).to_be_visible()

    # The author, in a browser of their own, reads their post and the reason.
    author = open_as(browser, live_server, "amina")
    try:
        author.goto(topic_url(live_server, topic))
        own = author.get_by_role("article", name="Amina Diallo")
        expect(own).to_contain_text(f"Hidden by a moderator. Reason: {REASON}")
        expect(own.locator(".post-body")).to_have_text(ADVERT)
        expect(own.get_by_role("link", name="Restore")).to_have_count(0)
    finally:
        author.context.close()

    # Any other member sees a placeholder: neither the text nor the reason.
    other = open_as(browser, live_server, "carla")
    try:
        other.goto(topic_url(live_server, topic))
        placeholder = other.get_by_role("article", name="Hidden post")
        expect(placeholder.locator(".post-body")).to_have_text(
            "This post was hidden by a moderator."
        )
        expect(other.get_by_text(ADVERT)).to_have_count(0)
        expect(other.get_by_text(REASON)).to_have_count(0)
        expect(other.get_by_role("article", name="Amina Diallo")).to_have_count(0)
    finally:
        other.context.close()


def test_a_member_waiting_for_approval_can_post_once_approved(
    page: Page, browser: Browser, live_server, board
):
    bruno = make_user(username="bruno", display_name="Bruno Costa")
    topic = make_topic(board=board, author=bruno, title="Savings groups")
    make_user(username="root", role=Role.ADMIN, display_name="Ada Admin")

    # The administrator makes new accounts wait for approval, on the site settings page.
    log_in(page, live_server, "root")
    page.get_by_role("link", name="Administration").click()
    admin_nav = page.get_by_role("navigation", name="Administration")
    admin_nav.get_by_role("link", name="Site settings").click()
    page.get_by_label("Registration").select_option(
        label="Approval: new members post once an administrator approves them"
    )
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("The settings are saved.")

    # A newcomer registers, is told to wait, and cannot reply yet.
    newcomer = browser.new_context().new_page()
    try:
        newcomer.goto(f"{live_server}/register")
        expect(newcomer.get_by_role("main")).to_contain_text(
            "New accounts are approved by an administrator."
        )
        newcomer.get_by_label("Username", exact=True).fill("noura")
        newcomer.get_by_label("Display name", exact=True).fill("Noura Haddad")
        newcomer.get_by_label("Email", exact=True).fill("noura@example.org")
        newcomer.get_by_label("Password", exact=True).fill(PASSWORD)
        newcomer.get_by_label("Repeat the password", exact=True).fill(PASSWORD)
        newcomer.get_by_role("button", name="Create the account").click()
        expect(newcomer.get_by_role("status")).to_contain_text(
            "An administrator will approve your account soon."
        )

        newcomer.goto(topic_url(live_server, topic))
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("Savings groups")
        expect(newcomer.get_by_role("region", name="Reply to the topic")).to_have_count(0)
        expect(newcomer.get_by_role("link", name="Reply", exact=True)).to_have_count(0)
        forced = newcomer.goto(f"{live_server}/p/{topic.first_post_id}/reply")
        assert forced is not None and forced.status == 403
        expect(newcomer.get_by_role("main")).to_contain_text(
            "Your account is waiting for approval."
        )

        # The administrator finds the newcomer among the members waiting, and approves them.
        page.get_by_role("navigation", name="Administration").get_by_role(
            "link", name="Members"
        ).click()
        page.get_by_label("Show").select_option(label="Waiting for approval")
        page.get_by_role("main").get_by_role("button", name="Search").click()
        table = page.get_by_role("main").get_by_role("table")
        waiting = table.get_by_role("row").filter(has=page.get_by_role("rowheader"))
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text("Noura Haddad")
        waiting.get_by_role("button", name="Approve Noura Haddad").click()
        expect(page.get_by_role("status")).to_contain_text("Noura Haddad is approved and can post.")
        expect(page.get_by_role("button", name="Approve Noura Haddad")).to_have_count(0)

        # The newcomer reloads the topic and replies.
        newcomer.goto(topic_url(live_server, topic))
        reply_box = newcomer.get_by_role("region", name="Reply to the topic")
        reply_box.get_by_label("Message", exact=True).fill("Hello, I run a savings group too.")
        reply_box.get_by_role("button", name="Post the reply").click()
        mine = post_with_text(newcomer, "Hello, I run a savings group too.")
        expect(mine).to_be_visible()
        expect(mine).to_have_accessible_name("Noura Haddad")
    finally:
        newcomer.context.close()


PROFILES = {
    # username: (display name, country, academy editions)
    "amina": ("Amina Diallo", "SN", ["agadir-2013", "brazil-2014"]),
    "bruno": ("Bruno Costa", "BR", ["brazil-2014"]),
    "carla": ("Carla Mendes", "BR", ["agadir-2013"]),
    "daouda": ("Daouda Sow", "SN", ["agadir-2013"]),
    "emma": ("Emma Ndiaye", "SN", ["puebla-2015"]),
}


@pytest.fixture
def members_with_profiles():
    for username, (name, country, editions) in PROFILES.items():
        user = make_user(username=username, display_name=name)
        with database() as session:
            update_profile(
                session.get(User, user.id),
                display_name=name,
                country=country,
                organisation="",
                spoken_languages=["fr"],
                editions=editions,
                expertise="cooperatives",
                bio="",
            )
            session.commit()
    make_user(username="viewer", display_name="Victor Viewer")


def member_names(page: Page) -> list[str]:
    return page.locator(".member-card h2").all_inner_texts()


@pytest.mark.parametrize(
    "edition, country, expected",
    [
        ("Agadir 2013 (Morocco)", "Senegal", ["Amina Diallo", "Daouda Sow"]),
        ("Brazil 2014 (Campinas)", "Brazil", ["Bruno Costa"]),
        ("Puebla 2015 (Mexico)", "Brazil", []),
    ],
)
def test_the_directory_filters_by_academy_edition_and_country(
    page: Page, live_server, members_with_profiles, axe_check, edition, country, expected
):
    log_in(page, live_server, "viewer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")
    expect(page.locator(".result-count")).to_have_text("6 members")

    form = page.get_by_role("search", name="Find members")
    form.get_by_label("Academy edition").select_option(label=edition)
    form.get_by_label("Country").select_option(label=country)
    form.get_by_role("button", name="Find members").click()

    expect(page.locator(".member-card h2")).to_have_text(expected)
    count = f"{len(expected)} member" + ("" if len(expected) == 1 else "s")
    expect(page.locator(".result-count")).to_have_text(count)
    if not expected:
        expect(page.get_by_text("No member matches these filters.")).to_be_visible()
    # The choices stay selected on the page of results.
    expect(form.get_by_label("Academy edition").locator("option:checked")).to_have_text(edition)
    expect(form.get_by_label("Country").locator("option:checked")).to_have_text(country)
    axe_check(page)


def test_the_moderation_queue_lists_a_reported_post_and_is_accessible(
    page: Page, live_server, moderator, advert, axe_check
):
    _topic, reply = advert
    with database() as session:
        moderation_ops.report_post(
            session.get(Post, reply.id),
            session.scalar(select(User).where(User.username == "bruno")),
            "This is spam.",
            threshold=0,
        )
        session.commit()

    log_in(page, live_server, "sofia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open reports")
    card = page.get_by_role("region", name="Savings groups")
    expect(card).to_contain_text("1 report")
    expect(card).to_contain_text("Bruno Costa")
    expect(card).to_contain_text("This is spam.")
    expect(card.get_by_label("Decision")).to_be_visible()
    axe_check(page)
