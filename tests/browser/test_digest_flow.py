"""Issue 11 in a real browser: a French member's daily digest, read from a real SMTP server,
is in French, and its links open the posts on the site."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from brain import queue
from brain.mailing import tasks
from brain.models import MailFrequency, Notification, NotificationKind, User, utcnow
from tests.factories import database, make_board, make_topic, make_user, opening_post
from tests.test_mail import Inbox, smtp_server
from tests.test_mailing import forget_fan_out


@pytest.fixture
def inbox(app, live_server):
    app.config.update(SITE_URL=live_server)
    queue.init_app(app)  # another test's app may have taken the queue (see test_mail)
    handler = Inbox()
    controller = smtp_server(app, handler)
    yield handler
    controller.stop()


@pytest.fixture
def chantal():
    member = make_user(username="chantal", display_name="Chantal Roy")
    with database() as session:
        user = session.get(User, member.id)
        user.locale, user.timezone = "fr", "America/Montreal"
        session.commit()
    return member


def test_a_french_digest_links_open_the_posts(page: Page, live_server, inbox, chantal, screenshots):
    bruno = make_user(username="bruno", display_name="Bruno Costa")
    board = make_board(slug="cooperatives", name="Cooperatives")
    written = utcnow() - timedelta(hours=2)
    french = make_topic(
        board=board,
        author=bruno,
        title="Les coopératives de travail",
        body="Une loi nouvelle pour les coopératives.",
        language="fr",
        when=written,
    )
    arabic = make_topic(
        board=board,
        author=bruno,
        title="التعاونيات في المغرب",
        body="نص عربي عن التعاونيات",
        language="ar",
        when=written,
    )
    with database() as session:
        forget_fan_out(session)
        for topic in (french, arabic):
            session.add(
                Notification(
                    user_id=chantal.id,
                    kind=NotificationKind.WATCHED_TOPIC,
                    key=f"test:{topic.first_post_id}",
                    actor_id=bruno.id,
                    post_id=topic.first_post_id,
                    topic_id=topic.id,
                    created_at=written,
                )
            )
        session.commit()
        assert tasks.send_digests(MailFrequency.DAILY) == 1

    assert inbox.arrived.wait(10)
    [message] = inbox.messages
    assert message["To"] == "chantal@example.org"
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Chantal Roy," in text
    assert '<html lang="fr" dir="ltr">' in html
    links = re.findall(r'href="([^"]+/p/\d+)"', html)
    assert {link.rsplit("/", 1)[1] for link in links} == {
        str(french.first_post_id),
        str(arabic.first_post_id),
    }
    assert all(link.startswith(live_server) for link in links)

    # The mail as a person sees it, then a click on the French post's link.
    page.set_content(html)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('blockquote[dir="rtl"]')).to_contain_text("نص عربي عن التعاونيات")
    page.screenshot(path=str(screenshots / "digest-mail-fr.png"), full_page=True)
    page.get_by_role("link", name=re.compile("Les coopératives de travail")).first.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/t/{french.id}-"))
    expect(page.get_by_role("heading", name="Les coopératives de travail")).to_be_visible()

    # Each post link lands on its post.
    for post_id, words in (
        (opening_post(french).id, "Une loi nouvelle pour les coopératives."),
        (opening_post(arabic).id, "نص عربي عن التعاونيات"),
    ):
        page.goto(next(link for link in links if link.endswith(f"/p/{post_id}")))
        expect(page.locator(f"#p{post_id}")).to_contain_text(words)
