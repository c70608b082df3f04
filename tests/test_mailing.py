"""Mail about notifications: preferences, immediate mail and digests through a real SMTP
server, the durable outgoing queue with its retries, and one-click unsubscribing."""

from __future__ import annotations

import contextlib
import email.header
import re
import shutil
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import delete, func, select

from brain import mail, queue
from brain.mailing import tasks
from brain.mailing.compose import excerpt
from brain.models import (
    BoardTranslation,
    DigestRun,
    MailFrequency,
    Notification,
    NotificationKind,
    OutgoingMail,
    Post,
    Role,
    TopicRead,
    User,
    utcnow,
)
from brain.ops import mailing
from tests.factories import (
    database,
    fetch,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)
from tests.test_html import VNU, validate
from tests.test_mail import Inbox, _free_port, smtp_server

Kind = NotificationKind
SITE = "https://forum.example.org"


@pytest.fixture(autouse=True)
def _mail_settings(app):
    app.config.update(MAIL_DELAY_SECONDS=0, SITE_URL=SITE)


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = smtp_server(app, handler)
    yield handler
    controller.stop()


@pytest.fixture
def people():
    return SimpleNamespace(
        amina=make_user(username="amina", display_name="Amina Diallo"),
        bruno=make_user(username="bruno", display_name="Bruno Costa"),
    )


@pytest.fixture
def conversation(people):
    """Amina's topic, and Bruno's reply to it."""
    board = make_board(slug="cooperatives", name="Cooperatives")
    topic = make_topic(board=board, author=people.amina, title="Cooperative law reform")
    reply = make_reply(
        parent=opening_post(topic),
        author=people.bruno,
        body="In Brazil the **new law** came in 2021 & made 3 < 4.",
    )
    return SimpleNamespace(board=board, topic=topic, reply=reply)


def forget_fan_out(session) -> None:
    """Remove the notifications the fan-out (brain.ops.notifications) wrote for the posts the
    test made: each test here says exactly which notifications exist."""
    session.execute(delete(Notification).where(Notification.key.not_like("test:%")))


def notify(user, kind: Kind, post=None, *, actor=None, **fields) -> int:
    """A notification as the fan-out writes it; due for immediate mail unless told."""
    with database() as session:
        forget_fan_out(session)
        row = Notification(
            user_id=user.id,
            kind=kind,
            key=f"test:{post.id}" if post is not None else f"test:{kind.value}",
            actor_id=(actor or (post.author_id if post is not None else None))
            if not isinstance(actor, User)
            else actor.id,
            post_id=post.id if post is not None else None,
            topic_id=post.topic_id if post is not None else None,
            **{"mail_after": utcnow() - timedelta(seconds=1), **fields},
        )
        session.add(row)
        session.commit()
        return row.id


def send_immediate(now=None) -> int:
    with database():
        return tasks.send_immediate_mail(now)


def send_digests(frequency=MailFrequency.DAILY, now=None) -> int:
    with database():
        return tasks.send_digests(frequency, now)


def send_due(now=None) -> int:
    with database():
        return mail.send_due(now)


def subject_of(message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def outgoing() -> list[OutgoingMail]:
    with database() as session:
        rows = session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        for row in rows:
            session.expunge(row)
        return rows


def set_preferences(user, **choices) -> None:
    with database() as session:
        mailing.set_mail_preferences(
            session.get(User, user.id),
            {Kind(kind): MailFrequency(f) for kind, f in choices.items()},
        )
        session.commit()


# --- preferences --------------------------------------------------------------------------


def test_defaults_mail_what_concerns_you_at_once_and_watched_activity_daily(people):
    with database():
        assert mailing.mail_frequency(people.amina, Kind.REPLY) == MailFrequency.IMMEDIATELY
        assert mailing.mail_frequency(people.amina, "approved") == MailFrequency.IMMEDIATELY
        assert mailing.mail_frequency(people.amina.id, Kind.WATCHED_REPLY) == MailFrequency.DAILY
        assert mailing.mail_frequency(people.amina, Kind.MATCH) == MailFrequency.DAILY


def test_mail_after_waits_the_delay_for_immediate_mail_only(app, people):
    app.config["MAIL_DELAY_SECONDS"] = 300
    now = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    with database():
        assert mailing.mail_after(people.amina, Kind.REPLY, now) == now + timedelta(minutes=5)
        assert mailing.mail_after(people.amina, Kind.WATCHED_TOPIC, now) is None
        frequencies = mailing.mail_frequencies([people.amina.id, people.bruno.id], Kind.REPLY)
    assert frequencies == {people.amina.id: "immediately", people.bruno.id: "immediately"}


def test_mail_preferences_round_trip_through_the_settings_page(client, people):
    log_in(client, people.amina)
    page = client.get("/settings").get_data(as_text=True)
    assert re.search(r'<option selected value="immediately">', page) or (
        'value="immediately" selected' in page
    )
    assert 'name="mail-watched_reply"' in page and 'id="mail"' in page
    choices = {f"mail-{kind.value}": "never" for kind in Kind}
    choices |= {
        "mail-reply": "daily",
        "mail-watched_topic": "weekly",
        "mail-mention": "immediately",
    }
    response = submit(client, "/settings/mail", choices)
    assert response.status_code == 302 and response.location.endswith("/settings#mail")
    with database():
        chosen = mailing.mail_preferences(people.amina)
        assert mailing.mail_frequency(people.bruno, Kind.REPLY) == MailFrequency.IMMEDIATELY
    assert chosen[Kind.REPLY] == MailFrequency.DAILY
    assert chosen[Kind.WATCHED_TOPIC] == MailFrequency.WEEKLY
    assert chosen[Kind.MENTION] == MailFrequency.IMMEDIATELY
    assert chosen[Kind.QUOTE] == MailFrequency.NEVER
    page = client.get("/settings").get_data(as_text=True)
    select_reply = re.search(r'<select id="mail-reply".*?</select>', page, re.S).group(0)
    assert re.search(r'<option selected value="daily">|value="daily" selected', select_reply)


def test_an_unknown_frequency_is_refused_on_its_field(client, people):
    log_in(client, people.amina)
    choices = {f"mail-{kind.value}": "daily" for kind in Kind} | {"mail-reply": "hourly"}
    response = submit(client, "/settings/mail", choices)
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    with database():
        assert mailing.mail_frequency(people.amina, Kind.REPLY) == MailFrequency.IMMEDIATELY


# --- immediate mail -----------------------------------------------------------------------


def test_an_immediate_mail_is_multipart_with_one_click_unsubscribe_and_links(
    inbox, people, conversation
):
    notification = notify(people.amina, Kind.REPLY, conversation.reply)
    assert send_immediate() == 1
    assert inbox.arrived.wait(5)
    [message] = inbox.messages
    assert message["To"] == "amina@example.org"
    assert message.get_content_type() == "multipart/alternative"
    assert subject_of(message) == "Bruno Costa replied to your post in “Cooperative law reform”"
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(rf"<{SITE}/unsubscribe/[\w.-]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    permalink = f"{SITE}/p/{conversation.reply.id}"
    for part in (text, html):
        assert permalink in part and f"{SITE}/settings#mail" in part
        assert unsubscribe.strip("<>") in part
        assert "Hello Amina Diallo," in part
    # The excerpt is the post's text, escaped: no markup of the post reaches the mail.
    assert "In Brazil the new law came in 2021 &amp; made 3 &lt; 4." in html
    assert "In Brazil the new law came in 2021 & made 3 < 4." in text
    assert "<strong>" not in html
    assert fetch(Notification, notification).mailed_at is not None
    assert send_immediate() == 0  # mailed once


def test_notifications_due_together_go_in_one_mail(inbox, people, conversation):
    notify(people.amina, Kind.REPLY, conversation.reply)
    second = make_reply(parent=conversation.reply, author=people.bruno, body="@amina see this")
    notify(people.amina, Kind.MENTION, second)
    assert send_immediate() == 1
    assert inbox.arrived.wait(5)
    [message] = inbox.messages
    assert subject_of(message) == "2 new notifications on Collective Brain"
    text, _html = parts(message)
    assert "Bruno Costa replied to your post" in text and "Bruno Costa mentioned you" in text


def test_a_mail_waits_until_its_mail_after(inbox, people, conversation):
    notify(people.amina, Kind.REPLY, conversation.reply, mail_after=utcnow() + timedelta(minutes=5))
    assert send_immediate() == 0
    assert send_immediate(utcnow() + timedelta(minutes=6)) == 1


def test_no_mail_when_the_notification_was_read_meanwhile(inbox, people, conversation):
    notification = notify(people.amina, Kind.REPLY, conversation.reply, read_at=utcnow())
    assert send_immediate() == 0
    assert outgoing() == []
    assert fetch(Notification, notification).mailed_at is not None  # skipped for good


def test_no_mail_when_the_post_was_read_on_the_site_meanwhile(inbox, people, conversation):
    notification = notify(people.amina, Kind.REPLY, conversation.reply)
    with database() as session:
        session.add(
            TopicRead(
                user_id=people.amina.id,
                topic_id=conversation.topic.id,
                post_id=conversation.reply.id,
            )
        )
        session.commit()
    assert send_immediate() == 0
    assert outgoing() == [] and fetch(Notification, notification).mailed_at is not None


def test_no_mail_about_a_post_the_member_can_no_longer_read(inbox, people, conversation):
    notification = notify(people.amina, Kind.REPLY, conversation.reply)
    with database() as session:
        session.get(Post, conversation.reply.id).hidden_at = utcnow()
        session.commit()
    assert send_immediate() == 0
    assert outgoing() == [] and fetch(Notification, notification).mailed_at is not None


@pytest.mark.parametrize("gone", ["banned_at", "deleted_at"])
def test_banned_and_deleted_accounts_get_no_mail(inbox, people, conversation, gone):
    notify(people.amina, Kind.REPLY, conversation.reply)
    with database() as session:
        setattr(session.get(User, people.amina.id), gone, utcnow())
        session.commit()
    assert send_immediate() == 0 and outgoing() == []


def test_a_kind_moved_to_the_digest_waits_for_the_digest(inbox, people, conversation):
    notification = notify(people.amina, Kind.REPLY, conversation.reply)
    set_preferences(people.amina, reply="daily")
    assert send_immediate() == 0
    row = fetch(Notification, notification)
    assert row.mailed_at is None and row.mail_after is None
    assert send_digests() == 1


def test_the_approval_mail_needs_no_post(inbox, people):
    notify(people.amina, Kind.APPROVED)
    assert send_immediate() == 1
    assert inbox.arrived.wait(5)
    assert subject_of(inbox.messages[0]) == "Your account on Collective Brain is approved"


# --- the durable queue: failures, retries, the administrators' page -----------------------


def test_a_failing_server_keeps_the_mail_retries_it_and_sends_it_once_it_is_back(
    app, client, people, conversation
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nothing listens
    notify(people.amina, Kind.REPLY, conversation.reply)
    start = utcnow()
    assert send_immediate() == 1  # written, and tried at once after the commit
    [row] = outgoing()
    assert row.sent_at is None and row.attempts == 1 and row.gave_up_at is None
    assert "ConnectionRefusedError" in row.last_error
    assert timedelta(seconds=50) < row.next_attempt_at - start < timedelta(seconds=70)

    assert send_due(start + timedelta(seconds=30)) == 0  # not due yet: nothing tried
    assert outgoing()[0].attempts == 1
    assert send_due(start + timedelta(minutes=2)) == 0  # tried again, failed again
    row = outgoing()[0]
    assert row.attempts == 2
    assert timedelta(minutes=6) < row.next_attempt_at - start < timedelta(minutes=8)

    admin = make_user(username="ada", role=Role.ADMIN)
    log_in(client, admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "amina@example.org" in page and "ConnectionRefusedError" in page
    assert "Retry now" in page and 'href="/admin/mail"' in page

    inbox = Inbox()
    controller = smtp_server(app, inbox)
    try:
        assert send_due(start + timedelta(minutes=8)) == 1
        assert send_due(start + timedelta(days=5)) == 0  # sent: never again
        assert inbox.arrived.wait(5) and len(inbox.messages) == 1
    finally:
        controller.stop()
    row = outgoing()[0]
    assert row.sent_at is not None and row.last_error == "" and row.attempts == 3


def test_a_mail_is_given_up_after_the_last_attempt_and_retried_by_an_administrator(
    app, client, people, conversation
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    notify(people.amina, Kind.REPLY, conversation.reply)
    send_immediate()
    moment = utcnow()
    for _attempt in range(mail.MAX_ATTEMPTS - 1):
        moment += timedelta(days=2)
        send_due(moment)
    row = outgoing()[0]
    assert row.attempts == mail.MAX_ATTEMPTS and row.gave_up_at is not None
    assert send_due(moment + timedelta(days=30)) == 0  # given up: not tried any more

    log_in(client, make_user(username="ada", role=Role.ADMIN))
    assert "Given up" in client.get("/admin/mail").get_data(as_text=True)
    inbox = Inbox()
    controller = smtp_server(app, inbox)
    try:
        response = submit(client, f"/admin/mail/{row.id}/retry")
        assert response.status_code == 302
        assert inbox.arrived.wait(5) and len(inbox.messages) == 1
    finally:
        controller.stop()
    row = outgoing()[0]
    assert row.sent_at is not None and row.gave_up_at is None


def test_two_deliveries_of_one_mail_send_it_once(inbox, people, conversation):
    with database() as session:
        row = mail.queue_mail("x@example.org", "Hello", "Body", kind="test")
        session.flush()
        mail_id = row.id
        session.info.pop("brain_outgoing_mail", None)  # no delivery after this commit
        session.commit()
        assert mail.deliver(mail_id) is True
        assert mail.deliver(mail_id) is False
        assert mail.send_due(utcnow() + timedelta(days=1)) == 0
    assert inbox.arrived.wait(5) and len(inbox.messages) == 1


def test_only_administrators_see_the_mail_page(client, people):
    log_in(client, people.amina)
    assert client.get("/admin/mail").status_code == 403
    assert client.post("/admin/mail/1/retry").status_code in (400, 403)


# --- digests ------------------------------------------------------------------------------


@pytest.fixture
def french_member():
    member = make_user(username="chantal", display_name="Chantal Roy")
    with database() as session:
        user = session.get(User, member.id)
        user.locale, user.timezone = "fr", "America/Montreal"
        session.commit()
    return fetch(User, member.id)


def digest_posts(people, board=None):
    board = board or make_board(slug="economie", name="Social economy")
    with database() as session:
        session.add(BoardTranslation(board_id=board.id, locale="fr", name="Économie sociale"))
        session.commit()
    written = datetime(2027, 1, 10, 15, 30, tzinfo=UTC)
    topic = make_topic(board=board, author=people.bruno, title="Worker cooperatives", when=written)
    arabic = make_topic(
        board=board,
        author=people.bruno,
        title="التعاونيات في المغرب",
        body="نص عربي عن التعاونيات",
        language="ar",
        when=written,
    )
    return SimpleNamespace(board=board, topic=topic, arabic=arabic, written=written)


def test_a_digest_is_in_the_members_language_and_time_zone_with_arabic_marked_rtl(
    inbox, people, french_member
):
    posts = digest_posts(people)
    now = posts.written + timedelta(hours=3)
    for topic in (posts.topic, posts.arabic):
        notify(
            french_member,
            Kind.WATCHED_TOPIC,
            opening_post(topic),
            mail_after=None,
            created_at=posts.written,
        )
    assert send_digests(now=now) == 1
    assert inbox.arrived.wait(5)
    [message] = inbox.messages
    with database(), force_locale("fr"):
        expected = ngettext(
            "Your daily digest from %(site)s: %(num)d new item",
            "Your daily digest from %(site)s: %(num)d new items",
            2,
            site="Collective Brain",
        )
    assert subject_of(message) == expected
    text, html = parts(message)
    assert "Bonjour Chantal Roy," in text and "Bonjour Chantal Roy," in html
    assert '<html lang="fr" dir="ltr">' in html
    # 15:30 UTC is 10:30 in Montreal, in French: "10 janv. 2027, 10:30:00".
    assert "10 janv. 2027" in text and "10:30" in text and "15:30" not in text
    assert "America/Montreal" in html
    assert "Économie sociale" in html and "Worker cooperatives" in html
    assert re.search(r'<blockquote lang="ar" dir="rtl"[^>]*>\s*<p[^>]*>نص عربي', html)
    assert '<h2 lang="ar" dir="rtl"' in html
    assert f"{SITE}/p/{posts.topic.first_post_id}" in text
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in html


def test_an_empty_digest_is_not_sent_but_the_period_is_covered(inbox, people):
    now = utcnow()
    assert send_digests(now=now) == 0
    assert outgoing() == []
    with database() as session:
        runs = session.scalars(select(DigestRun)).all()
        covered = {run.user_id: run.covered_until for run in runs}
    assert covered == {people.amina.id: now, people.bruno.id: now}


def test_a_digest_covers_only_what_came_since_the_last_one(inbox, people, french_member):
    posts = digest_posts(people)
    first = posts.written + timedelta(hours=1)
    notify(french_member, Kind.WATCHED_TOPIC, opening_post(posts.topic), mail_after=None,
           created_at=posts.written)  # fmt: skip
    assert send_digests(now=first) == 1
    assert send_digests(now=first + timedelta(days=1)) == 0  # nothing new: no mail
    later = make_reply(parent=opening_post(posts.topic), author=people.bruno, body="News")
    notify(french_member, Kind.WATCHED_REPLY, later, mail_after=None,
           created_at=first + timedelta(days=1, hours=2))  # fmt: skip
    assert send_digests(now=first + timedelta(days=2)) == 1
    assert inbox.arrived.wait(5)
    assert len(outgoing()) == 2
    with database() as session:
        run = session.get(DigestRun, (french_member.id, MailFrequency.DAILY))
        assert run.covered_until == first + timedelta(days=2)


def test_digests_leave_out_immediate_kinds_read_and_unreadable_posts(inbox, people, french_member):
    posts = digest_posts(people)
    now = posts.written + timedelta(hours=1)
    hidden = make_reply(parent=opening_post(posts.topic), author=people.bruno, body="Gone")
    with database() as session:
        session.get(Post, hidden.id).deleted_at = utcnow()
        session.commit()
    seen = make_reply(parent=opening_post(posts.topic), author=people.bruno, body="Seen")
    kept = make_reply(parent=opening_post(posts.arabic), author=people.bruno, body="Kept")
    when = {"mail_after": None, "created_at": posts.written}
    notify(french_member, Kind.WATCHED_REPLY, hidden, **when)
    notify(french_member, Kind.WATCHED_REPLY, seen, read_at=utcnow(), **when)
    notify(french_member, Kind.REPLY, opening_post(posts.topic), **when)  # immediate kind
    notify(french_member, Kind.WATCHED_REPLY, kept, **when)
    assert send_digests(now=now) == 1
    assert inbox.arrived.wait(5)
    text, _html = parts(inbox.messages[0])
    assert "Kept" in text and "Gone" not in text and "Seen" not in text
    assert "1 new item" in subject_of(inbox.messages[0]) or "1 " in subject_of(inbox.messages[0])


def test_a_weekly_member_gets_the_weekly_digest_not_the_daily_one(inbox, people, french_member):
    posts = digest_posts(people)
    set_preferences(french_member, watched_topic="weekly", watched_reply="weekly")
    notify(french_member, Kind.WATCHED_TOPIC, opening_post(posts.topic), mail_after=None,
           created_at=posts.written)  # fmt: skip
    now = posts.written + timedelta(hours=1)
    assert send_digests(MailFrequency.DAILY, now) == 0
    assert send_digests(MailFrequency.WEEKLY, now) == 1


def test_digest_generation_queries_do_not_grow_with_members(app, count_queries, people):
    for number in range(12):
        make_user(username=f"member{number}")
    board = make_board()
    topic = make_topic(board=board, author=people.bruno)
    with database() as session:
        members = session.scalars(select(User.id)).all()
        forget_fan_out(session)
        session.add_all(
            Notification(
                user_id=member,
                kind=Kind.WATCHED_TOPIC,
                key=f"test:{topic.first_post_id}",
                actor_id=people.bruno.id,
                post_id=topic.first_post_id,
                topic_id=topic.id,
            )
            for member in members
            if member != people.bruno.id
        )
        session.commit()
    app.config["MAIL_SERVER"] = None
    with database() as session, count_queries() as queries:
        due = mailing.due_digests(MailFrequency.DAILY, utcnow() + timedelta(seconds=1))
        session.rollback()
    assert len(due) == len(members) - 1
    assert len(queries) < 20, queries


# --- unsubscribing ------------------------------------------------------------------------


def token_for(user, scope: str) -> str:
    with database():
        return mailing.unsubscribe_token(user, scope)


def test_the_unsubscribe_link_of_a_mail_works_logged_out_for_that_kind_only(
    client, inbox, people, conversation
):
    notify(people.amina, Kind.REPLY, conversation.reply)
    send_immediate()
    assert inbox.arrived.wait(5)
    path = urllib.parse.urlsplit(inbox.messages[0]["List-Unsubscribe"].strip("<>")).path
    page = client.get(path)
    assert page.status_code == 200
    assert "Replies to your posts" in page.get_data(as_text=True)
    with database():  # opening the link changes nothing: mail scanners open links
        assert mailing.mail_frequency(people.amina, Kind.REPLY) == MailFrequency.IMMEDIATELY
    # RFC 8058: the mail program POSTs this body, with no cookie and no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "will no longer receive" in done.get_data(as_text=True)
    with database():
        chosen = mailing.mail_preferences(people.amina)
    assert chosen[Kind.REPLY] == MailFrequency.NEVER
    assert chosen[Kind.MENTION] == MailFrequency.IMMEDIATELY
    assert chosen[Kind.WATCHED_REPLY] == MailFrequency.DAILY


def test_the_digest_link_stops_that_digest_only(client, people):
    set_preferences(people.amina, match="weekly")
    response = client.post(f"/unsubscribe/{token_for(people.amina, 'daily')}")
    assert response.status_code == 200
    with database():
        chosen = mailing.mail_preferences(people.amina)
    daily_by_default = [k for k, f in mailing.DEFAULT_FREQUENCIES.items() if f == "daily"]
    assert {chosen[k] for k in daily_by_default if k != Kind.MATCH} == {MailFrequency.NEVER}
    assert chosen[Kind.MATCH] == MailFrequency.WEEKLY
    assert chosen[Kind.REPLY] == MailFrequency.IMMEDIATELY


def test_a_tampered_unsubscribe_token_is_refused_with_a_reason(client, people):
    token = token_for(people.amina, "reply")
    _payload, _, signature = token.rpartition(".")
    forged = token_for(people.bruno, "reply").rpartition(".")[0] + "." + signature
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
        for response in (client.get(f"/unsubscribe/{bad}"), client.post(f"/unsubscribe/{bad}")):
            assert response.status_code == 400
            assert "unsubscribe link is not valid" in response.get_data(as_text=True)
    with database():
        assert mailing.mail_frequency(people.bruno, Kind.REPLY) == MailFrequency.IMMEDIATELY


def test_an_expired_unsubscribe_token_says_so(client, people, monkeypatch):
    import itsdangerous.timed

    token = token_for(people.amina, "reply")
    later = utcnow().timestamp() + mailing.UNSUBSCRIBE_MAX_AGE + 60
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 400
    assert "has expired" in response.get_data(as_text=True)


def test_a_token_for_another_purpose_is_not_an_unsubscribe_token(client, people, app):
    from brain.ops.accounts import reset_token

    with database() as session:
        reset = reset_token(session.get(User, people.amina.id))
    assert client.post(f"/unsubscribe/{reset}").status_code == 400


# --- pieces -------------------------------------------------------------------------------


def test_excerpts_are_plain_text_cut_at_a_word():
    html = "<p>" + "word " * 200 + "</p><p>second</p>"
    cut = excerpt(html, 50)
    assert cut.endswith("…") and len(cut) <= 51 and "<" not in cut and "wor…" not in cut
    assert excerpt("<p>a &amp; b</p><ul><li>one</li><li>two</li></ul>") == "a & b\none\ntwo"


def test_the_reset_mail_is_a_row_of_the_outgoing_queue(client, people, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    assert submit(client, "/reset", {"email": "amina@example.org"}).status_code == 302
    [row] = outgoing()
    assert row.kind == "reset" and row.user_id == people.amina.id and row.sent_at is None
    assert row.attempts == 1 and row.last_error
    with database() as session:
        assert session.scalar(select(func.count(OutgoingMail.id))) == 1


@pytest.mark.skipif(not VNU.exists() or shutil.which("java") is None, reason="no HTML checker")
def test_the_new_pages_and_the_mail_html_are_valid(client, inbox, people, conversation, tmp_path):
    notify(people.amina, Kind.REPLY, conversation.reply)
    send_immediate()
    assert inbox.arrived.wait(5)
    _text, mail_html = parts(inbox.messages[0])
    log_in(client, make_user(username="ada", role=Role.ADMIN))
    pages = {
        "mail": mail_html,
        "admin-mail": client.get("/admin/mail").get_data(as_text=True),
        "settings": client.get("/settings").get_data(as_text=True),
        "unsubscribe": client.get(f"/unsubscribe/{token_for(people.amina, 'daily')}").get_data(
            as_text=True
        ),
    }
    assert "Recently sent" in pages["admin-mail"] and 'id="mail"' in pages["settings"]
    assert validate(pages, tmp_path) == {}  # {page: [errors]} for the pages with errors


# --- two servers at the same minute --------------------------------------------------------


@pytest.mark.commits  # two threads, each with its own connection, as two servers' workers
@pytest.mark.parametrize("task", ["immediate", "daily digest"])
def test_the_same_task_on_two_servers_at_once_writes_each_mail_once(
    app, people, french_member, monkeypatch, task
):
    """Each server's queue consumer starts the periodic tasks: both runs of the minute read
    what is due. Held at the moment each writes its mail (until the other one arrives, or a
    few seconds), they must still write one mail between them, and neither may fail."""
    posts = digest_posts(people)
    now = posts.written + timedelta(hours=1)
    if task == "immediate":
        notify(people.amina, Kind.REPLY, opening_post(posts.topic), created_at=now)
        writes, run = "queue_notification_mail", lambda: send_immediate(now)
    else:
        notify(french_member, Kind.WATCHED_TOPIC, opening_post(posts.topic), mail_after=None,
               created_at=posts.written)  # fmt: skip
        writes, run = "queue_digest", lambda: send_digests(now=now)
    both_read = threading.Barrier(2)
    original = getattr(tasks.compose, writes)

    def held(mail_for):
        # The other run may be waiting for this one's turn: then it never gets here first.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return original(mail_for)

    monkeypatch.setattr(tasks.compose, writes, held)
    queue.huey.immediate = False  # the mails stay written, not sent, in this test
    try:
        with ThreadPoolExecutor(2) as pool:
            mailed = sorted(pool.map(lambda _n: run(), range(2)))
    finally:
        queue.huey.immediate = True
    assert mailed == [0, 1]
    assert len(outgoing()) == 1
