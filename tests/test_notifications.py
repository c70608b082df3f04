"""Watching and notifications: every rule that tells a member something, every rule that never
does, the fan-out through the task queue (and its sweep), the bell and /notifications."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from brain import markup
from brain.models import Board, Interest, Post, Topic, User, utcnow
from brain.models.notifications import (
    MailPreference,
    Notification,
    NotificationEvent,
    NotificationKind,
    Watch,
    WatchLevel,
)
from brain.notifications import tasks
from brain.ops import admin as admin_ops
from brain.ops import cooperation as coop_ops
from brain.ops import moderation as moderation_ops
from brain.ops import notifications as notification_ops
from brain.ops import posts as post_ops
from brain.ops import watching
from brain.ops.accounts import register_member
from brain.vocabulary.meeting import Status
from tests.factories import (
    csrf_token,
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

Kind = NotificationKind


# --- helpers --------------------------------------------------------------------------------


def told(user: User) -> list[tuple[NotificationKind, int | None]]:
    """(kind, post id) of every notification *user* has, oldest first."""
    with database() as session:
        rows = session.execute(
            select(Notification.kind, Notification.post_id)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
        return [(kind, post_id) for kind, post_id in rows]


def notifications_of(user: User) -> list[Notification]:
    with database() as session:
        rows = session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).all()
        session.expunge_all()
        return list(rows)


def set_level(user: User, level: WatchLevel, *, topic: Topic | None = None, board=None) -> None:
    with database() as session:
        watching.set_level(
            session.get(User, user.id),
            level,
            topic=session.get(Topic, topic.id) if topic else None,
            board=session.get(Board, board.id) if board else None,
        )
        session.commit()


def reply_to(post: Post, author: User, body: str = "An answer") -> Post:
    return make_reply(parent=post, author=author, body=body)


def pending_events() -> int:
    with database() as session:
        return session.scalar(
            select(func.count(NotificationEvent.id)).where(NotificationEvent.done_at.is_(None))
        )


def fan_out_now() -> int:
    """What the worker does: fan out every pending event."""
    with database():
        return tasks.run_pending()


@pytest.fixture
def lost_enqueue(monkeypatch):
    """The queue loses what is enqueued (the process died right after the commit)."""
    monkeypatch.setattr(tasks, "fan_out_pending", lambda: None)


@pytest.fixture
def forum(app):
    board = make_board(slug="coops", name="Cooperatives")
    amina = make_user(username="amina")
    bruno = make_user(username="bruno")
    chen = make_user(username="chen")
    topic = make_topic(board=board, author=amina, title="Savings groups", body="Tontines?")
    return {
        "board": board,
        "amina": amina,
        "bruno": bruno,
        "chen": chen,
        "topic": topic,
        "first": opening_post(topic),
    }


# --- who watches what by default ------------------------------------------------------------


def test_starting_a_topic_watches_it_and_replying_tracks_it(forum):
    reply_to(forum["first"], forum["bruno"])
    with database() as session:
        levels = dict(
            session.execute(
                select(Watch.user_id, Watch.level).where(Watch.topic_id == forum["topic"].id)
            ).all()
        )
    assert levels == {forum["amina"].id: WatchLevel.WATCHING, forum["bruno"].id: WatchLevel.NORMAL}


def test_replying_keeps_an_earlier_choice(forum):
    set_level(forum["bruno"], WatchLevel.MUTED, topic=forum["topic"])
    reply_to(forum["first"], forum["bruno"])
    with database() as session:
        level = session.scalar(
            select(Watch.level).where(
                Watch.topic_id == forum["topic"].id, Watch.user_id == forum["bruno"].id
            )
        )
    assert level == WatchLevel.MUTED


def test_the_watch_form_on_the_topic_and_board_pages_saves_the_choice(client, forum):
    log_in(client, forum["chen"])
    topic_page = f"/t/{forum['topic'].id}-{forum['topic'].slug}"
    page = client.get(topic_page).get_data(as_text=True)
    assert "Notifications for this topic" in page
    submit(client, f"/t/{forum['topic'].id}/watch", {"level": "watching"})
    submit(client, "/b/coops/watch", {"level": "muted"})
    with database() as session:
        rows = session.execute(
            select(Watch.topic_id, Watch.board_id, Watch.level).where(
                Watch.user_id == forum["chen"].id
            )
        ).all()
    assert set(rows) == {
        (forum["topic"].id, None, WatchLevel.WATCHING),
        (None, forum["board"].id, WatchLevel.MUTED),
    }


def test_the_watch_form_needs_its_csrf_token(client, forum):
    log_in(client, forum["chen"])
    client.post(f"/t/{forum['topic'].id}/watch", data={"level": "watching"})
    with database() as session:
        assert session.scalar(select(Watch).where(Watch.user_id == forum["chen"].id)) is None


# --- every rule -----------------------------------------------------------------------------


def test_a_reply_to_your_post_tells_you(forum):
    post = reply_to(forum["first"], forum["bruno"])
    assert told(forum["amina"]) == [(Kind.REPLY, post.id)]


def test_a_new_post_in_a_watched_topic_tells_the_watchers(forum):
    set_level(forum["chen"], WatchLevel.WATCHING, topic=forum["topic"])
    post = reply_to(forum["first"], forum["bruno"])
    assert told(forum["chen"]) == [(Kind.WATCHED_REPLY, post.id)]


def test_a_tracked_topic_tells_only_of_answers(forum):
    first_reply = reply_to(forum["first"], forum["chen"])  # chen now tracks the topic
    reply_to(forum["first"], forum["bruno"])
    answer = reply_to(first_reply, forum["bruno"])
    assert told(forum["chen"]) == [(Kind.REPLY, answer.id)]


def test_a_new_topic_in_a_watched_board_tells_the_watchers(forum):
    set_level(forum["chen"], WatchLevel.WATCHING, board=forum["board"])
    topic = make_topic(board=forum["board"], author=forum["bruno"], title="Federations")
    assert told(forum["chen"]) == [(Kind.WATCHED_TOPIC, topic.first_post_id)]


def test_a_mention_tells_the_member_named(forum):
    post = reply_to(forum["first"], forum["bruno"], "What do you think, @chen?")
    assert told(forum["chen"]) == [(Kind.MENTION, post.id)]


def test_mentions_in_code_or_in_quoted_text_tell_nobody(forum):
    reply_to(forum["first"], forum["bruno"], "> as @chen said\n\nand `@chen` in code")
    assert told(forum["chen"]) == []


def test_a_quote_tells_the_author_quoted(forum):
    said = reply_to(forum["first"], forum["chen"], "Rotating funds work.")
    body = markup.quote(said.body_source, "chen") + "Agreed."
    post = reply_to(forum["first"], forum["bruno"], body)
    assert told(forum["chen"]) == [(Kind.QUOTE, post.id)]


def test_several_rules_give_one_notification_of_the_most_specific_kind(forum):
    set_level(forum["amina"], WatchLevel.WATCHING, board=forum["board"])
    # amina watches the topic, is answered, quoted and mentioned by one post.
    body = markup.quote("Tontines?", "amina") + "Yes, @amina: they do."
    post = reply_to(forum["first"], forum["bruno"], body)
    assert told(forum["amina"]) == [(Kind.MENTION, post.id)]
    quoted = reply_to(forum["first"], forum["bruno"], markup.quote("Tontines?", "amina"))
    assert told(forum["amina"])[-1] == (Kind.QUOTE, quoted.id)


def test_mail_after_follows_the_members_mail_preference(app, forum):
    with database() as session:
        session.add(MailPreference(user_id=forum["chen"].id, kind=Kind.MENTION, frequency="weekly"))
        session.commit()
    set_level(forum["chen"], WatchLevel.WATCHING, topic=forum["topic"])
    reply_to(forum["first"], forum["bruno"], "@chen, see")  # mention: chen chose weekly
    reply_to(forum["first"], forum["bruno"], "watched")  # watched reply: daily by default
    reply_to(forum["first"], forum["amina"], "my own")
    answer_to_amina = reply_to(forum["first"], forum["chen"], "chen here")
    reply_to(answer_to_amina, forum["bruno"], "an answer to chen")  # reply: immediately
    mail_after = {n.kind: n.mail_after for n in notifications_of(forum["chen"])}
    assert mail_after[Kind.MENTION] is None
    assert mail_after[Kind.WATCHED_REPLY] is None
    assert mail_after[Kind.REPLY] is not None


@pytest.fixture
def meeting(app):
    board = make_board(slug="meeting-point", name="Meeting Point")
    return {
        "board": board,
        "amina": make_user(username="amina"),
        "bruno": make_user(username="bruno"),
    }


def post_cooperation(board, author, kind="offer", **overrides) -> int:
    values = {
        "kind": kind,
        "modality": "training",
        "themes": ["social-finance"],
        "countries": ["MX"],
        "sdgs": [8],
        "languages": ["es"],
    }
    values.update(overrides)
    with database() as session:
        topic = coop_ops.post_cooperation(
            session.get(Board, board.id),
            session.get(User, author.id),
            f"A {kind} about rotating funds",
            "Training on rotating funds for cooperatives.",
            "en",
            coop_ops.Details(**values),
        )
        session.commit()
        return topic.id


def express_interest(topic_id: int, member: User) -> int:
    with database() as session:
        cooperation = session.get(Topic, topic_id).cooperation
        interest = coop_ops.express_interest(cooperation, session.get(User, member.id), "Count me")
        session.commit()
        return interest.id


def test_interest_in_your_post_tells_you_and_the_interested_member_watches_it(meeting):
    topic_id = post_cooperation(meeting["board"], meeting["amina"])
    express_interest(topic_id, meeting["bruno"])
    first = fetch(Topic, topic_id).first_post_id
    assert told(meeting["amina"]) == [(Kind.INTEREST, first)]
    with database() as session:
        level = session.scalar(
            select(Watch.level).where(
                Watch.topic_id == topic_id, Watch.user_id == meeting["bruno"].id
            )
        )
    assert level == WatchLevel.WATCHING


def test_your_interest_accepted_and_status_changes_tell_you(meeting):
    topic_id = post_cooperation(meeting["board"], meeting["amina"])
    interest_id = express_interest(topic_id, meeting["bruno"])
    with database() as session:
        cooperation = session.get(Topic, topic_id).cooperation
        coop_ops.accept_interest(cooperation, session.get(Interest, interest_id))
        session.commit()
        coop_ops.change_status(cooperation, session.get(User, meeting["amina"].id), "matched")
        session.commit()
    kinds = [n.kind for n in notifications_of(meeting["bruno"])]
    assert kinds == [Kind.INTEREST_ACCEPTED, Kind.STATUS]
    assert notifications_of(meeting["bruno"])[-1].detail == Status.MATCHED


def test_a_new_open_offer_tells_the_authors_of_the_requests_it_matches(meeting):
    chen = make_user(username="chen")
    post_cooperation(meeting["board"], chen, kind="request")
    unrelated = make_user(username="dora")
    post_cooperation(
        meeting["board"],
        unrelated,
        kind="request",
        modality="study-visit",
        themes=["cooperatives"],
        countries=["FR"],
        languages=["fr"],
    )
    offer = post_cooperation(meeting["board"], meeting["amina"], kind="offer")
    assert told(chen) == [(Kind.MATCH, fetch(Topic, offer).first_post_id)]
    assert told(unrelated) == []


def test_the_worker_fans_out_a_matching_offer_outside_any_request(app, meeting, lost_enqueue):
    """In the worker there is no request: the matching's reasons (translated words) must not
    need one. Tests otherwise run tasks inside a request, which hid this."""
    chen = make_user(username="chen")
    post_cooperation(meeting["board"], chen, kind="request")
    offer = post_cooperation(meeting["board"], meeting["amina"], kind="offer")
    assert told(chen) == []
    with app.app_context():  # as `brain worker` runs a task
        assert tasks.run_pending() == 2  # both offers' events went through
    assert told(chen) == [(Kind.MATCH, fetch(Topic, offer).first_post_id)]


def test_a_failing_event_is_counted_and_never_holds_up_the_others(app, forum, monkeypatch):
    monkeypatch.setattr(tasks, "fan_out_pending", lambda: None)
    first = reply_to(forum["first"], forum["bruno"], "First")
    second = reply_to(forum["first"], forum["chen"], "Second")
    real_fan_out = notification_ops.fan_out

    def fan_out(event, matching=None):
        if event.post_id == first.id:
            raise RuntimeError("a bug in one rule")
        return real_fan_out(event, matching)

    monkeypatch.setattr(notification_ops, "fan_out", fan_out)
    with app.app_context():  # as `brain worker` runs a task
        assert tasks.run_pending() == 1  # the second event, past the failing first
        for _attempt in range(notification_ops.MAX_ATTEMPTS):
            tasks.run_pending()
    assert told(forum["amina"]) == [(Kind.REPLY, second.id)]
    with database() as session:
        failed = session.scalar(
            select(NotificationEvent).where(NotificationEvent.post_id == first.id)
        )
        assert failed.done_at is None
        assert failed.attempts == notification_ops.MAX_ATTEMPTS  # then passed over
        assert failed.last_error == "RuntimeError: a bug in one rule"


def test_hiding_and_restoring_your_post_tells_you_why(forum):
    moderator = make_user(username="mod", role="admin")
    post = reply_to(forum["first"], forum["bruno"])
    with database() as session:
        moderation_ops.hide_post(
            session.get(Post, post.id), session.get(User, moderator.id), "spam"
        )
        session.commit()
        moderation_ops.restore_post(
            session.get(Post, post.id), session.get(User, moderator.id), "a mistake"
        )
        session.commit()
    moderation = [n for n in notifications_of(forum["bruno"]) if n.kind == Kind.MODERATION]
    assert [n.detail for n in moderation] == ["hidden:spam", "restored:a mistake"]


def test_an_approved_account_is_told(app):
    admin = make_user(username="admin", role="admin")
    with database() as session:
        pending = register_member(
            "nadia", "nadia@example.org", "a long password here", approved=False
        )
        session.commit()
        admin_ops.approve(pending, session.get(User, admin.id))
        session.commit()
        pending_id = pending.id
    assert told(fetch(User, pending_id)) == [(Kind.APPROVED, None)]


def test_an_account_approved_from_the_command_line_is_told_too(app):
    with database() as session:
        register_member("nadia", "nadia@example.org", "a long password here", approved=False)
        session.commit()
    result = app.test_cli_runner().invoke(args=["members", "approve", "nadia"])
    assert result.exit_code == 0, result.output
    with database() as session:
        nadia = session.scalar(select(User).where(User.username == "nadia"))
        assert nadia.approved_at is not None
    assert told(fetch(User, nadia.id)) == [(Kind.APPROVED, None)]


# --- never ----------------------------------------------------------------------------------


def test_your_own_action_never_tells_you(forum):
    reply_to(forum["first"], forum["amina"], "Answering myself, @amina")
    assert told(forum["amina"]) == []


@pytest.mark.parametrize("change", ["hide", "delete", "hide topic"])
def test_a_post_nobody_may_read_at_fan_out_time_tells_nobody(forum, lost_enqueue, change):
    moderator = make_user(username="mod", role="admin")
    post = reply_to(forum["first"], forum["bruno"], "@chen look")
    with database() as session:
        actor = session.get(User, moderator.id)
        if change == "hide":
            moderation_ops.hide_post(session.get(Post, post.id), actor, "spam")
        elif change == "delete":
            post_ops.delete_post(session.get(Post, post.id))
        else:
            moderation_ops.hide_topic(session.get(Topic, forum["topic"].id), actor, "spam")
        session.commit()
    fan_out_now()
    assert told(forum["amina"]) == [] or all(k == Kind.MODERATION for k, _ in told(forum["amina"]))
    assert told(forum["chen"]) == []
    assert pending_events() == 0


def test_a_post_moved_to_a_board_for_members_only_still_tells_members(forum, lost_enqueue):
    """Every member may read a board for members only (brain.permissions): the move hides the
    post from guests, who are never told anything, not from the members notified."""
    private = make_board(slug="inner", name="Inner circle", members_only=True)
    moderator = make_user(username="mod", role="admin")
    post = reply_to(forum["first"], forum["bruno"])
    with database() as session:
        moderation_ops.move_topic(
            session.get(Topic, forum["topic"].id),
            session.get(User, moderator.id),
            session.get(Board, private.id),
        )
        session.commit()
    fan_out_now()
    assert told(forum["amina"]) == [(Kind.REPLY, post.id)]


def test_a_post_hidden_after_the_notification_leaves_the_count_and_the_list(client, forum):
    moderator = make_user(username="mod", role="admin")
    post = reply_to(forum["first"], forum["bruno"], "Shown first")
    log_in(client, forum["amina"])
    assert bell(client.get("/notifications")) == 1
    with database() as session:
        moderation_ops.hide_post(session.get(Post, post.id), session.get(User, moderator.id), "x")
        session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert bell_count(page) == 0
    assert f"/p/{post.id}" not in page


def test_a_muted_topic_tells_nothing_not_even_mentions(forum):
    set_level(forum["chen"], WatchLevel.MUTED, topic=forum["topic"])
    reply_to(forum["first"], forum["bruno"], "@chen, are you there?")
    assert told(forum["chen"]) == []


def test_a_muted_board_tells_nothing_unless_the_topic_is_chosen(forum):
    set_level(forum["chen"], WatchLevel.MUTED, board=forum["board"])
    reply_to(forum["first"], forum["bruno"], "@chen, are you there?")
    assert told(forum["chen"]) == []
    set_level(forum["chen"], WatchLevel.WATCHING, topic=forum["topic"])
    post = reply_to(forum["first"], forum["bruno"], "and now?")
    assert told(forum["chen"]) == [(Kind.WATCHED_REPLY, post.id)]


def test_fanning_out_an_event_again_adds_nothing(forum):
    set_level(forum["chen"], WatchLevel.WATCHING, topic=forum["topic"])
    reply_to(forum["first"], forum["bruno"], "@chen")
    with database() as session:
        session.execute(NotificationEvent.__table__.update().values(done_at=None))
        session.commit()
    assert fan_out_now() >= 1
    assert len(told(forum["chen"])) == 1
    assert len(told(forum["amina"])) == 1


# --- the queue ------------------------------------------------------------------------------


def test_the_request_writes_one_event_and_the_queue_fans_it_out(forum, lost_enqueue):
    for n in range(3):
        set_level(make_user(username=f"watcher{n}"), WatchLevel.WATCHING, topic=forum["topic"])
    reply_to(forum["first"], forum["bruno"])
    with database() as session:
        assert session.scalar(select(func.count(Notification.id))) == 0
    assert pending_events() == 1


def test_the_sweep_fans_out_an_event_whose_enqueue_was_lost(forum, monkeypatch):
    monkeypatch.setattr(tasks, "fan_out_pending", lambda: None)
    post = reply_to(forum["first"], forum["bruno"])
    assert told(forum["amina"]) == []
    monkeypatch.undo()
    tasks.sweep_pending()  # the periodic task (run at once: QUEUE_URL=immediate)
    assert told(forum["amina"]) == [(Kind.REPLY, post.id)]
    assert pending_events() == 0


def test_the_fan_out_costs_the_same_queries_for_3_or_60_watchers(
    forum, lost_enqueue, count_queries
):
    costs = []
    for size in (3, 60):
        topic = make_topic(board=forum["board"], author=forum["amina"], title=f"Topic {size}")
        with database() as session:
            for n in range(size):
                user = register_member(
                    f"w{size}x{n}", f"w{size}x{n}@example.org", "a long password"
                )
                session.flush()
                session.add(Watch(user_id=user.id, topic_id=topic.id, level=WatchLevel.WATCHING))
            session.commit()
        fan_out_now()
        reply_to(opening_post(topic), forum["bruno"])
        with count_queries() as queries:
            fan_out_now()
        costs.append(len(queries))
        with database() as session:
            told_count = session.scalar(
                select(func.count(Notification.id)).where(Notification.topic_id == topic.id)
            )
        assert told_count == size + 1  # the watchers and the topic's author
    assert costs[0] == costs[1]


# --- in the site ----------------------------------------------------------------------------

BELL = re.compile(r'class="bell[^"]*"[^>]*>.*?</a>', re.S)


def bell_count(page: str) -> int:
    found = BELL.search(page)
    assert found, "no bell on the page"
    count = re.search(r'<span aria-hidden="true">(\d+)</span>', found.group(0))
    return int(count.group(1)) if count else 0


def bell(response) -> int:
    return bell_count(response.get_data(as_text=True))


def test_the_bell_shows_the_unread_count_with_a_text_label(client, forum):
    reply_to(forum["first"], forum["bruno"])
    reply_to(forum["first"], forum["chen"])
    log_in(client, forum["amina"])
    page = client.get("/").get_data(as_text=True)
    assert bell_count(page) == 2
    assert "2 unread" in BELL.search(page).group(0)


def test_the_bell_costs_one_query_and_guests_get_none(client, forum, count_queries):
    reply_to(forum["first"], forum["bruno"])
    client.get("/")
    with count_queries() as queries:
        page = client.get("/").get_data(as_text=True)
    assert 'class="bell' not in page
    assert not [q for q in queries if "notifications" in q]
    log_in(client, forum["amina"])
    client.get("/")
    with count_queries() as queries:
        client.get("/")
    assert len([q for q in queries if "notifications" in q]) == 1


def test_the_bell_comes_with_the_member_on_every_page(client, forum, count_queries):
    """The bell is counted in the statement that loads the member (brain.auth): a page that
    asks nothing else of theirs (the search page) reads no more than that one."""
    reply_to(forum["first"], forum["bruno"])
    log_in(client, forum["amina"])
    for address in ("/search?q=tontines", "/members", "/"):
        client.get(address)
        with count_queries() as queries:
            page = client.get(address).get_data(as_text=True)
        assert bell_count(page) == 1, address
        touching = [q for q in queries if "notifications" in q]
        assert len(touching) == 1 and "login_sessions" in touching[0], address


def test_the_bell_is_not_counted_for_what_is_not_a_page(client, forum, count_queries):
    """A file, a feed or a status is not a page (brain.web.not_a_page): no bell is counted
    for a member's request of one."""
    reply_to(forum["first"], forum["bruno"])
    log_in(client, forum["amina"])
    for address in ("/healthz", "/feeds/latest.atom", f"/feeds/t/{forum['topic'].id}.atom"):
        with count_queries() as queries:
            assert client.get(address).status_code == 200, address
        assert not [q for q in queries if "notifications" in q], address
    with count_queries() as queries:
        assert bell_count(client.get("/members").get_data(as_text=True)) == 1
    assert [q for q in queries if "notifications" in q]


def test_an_answer_kept_with_the_member_keeps_no_other(app, forum, count_queries):
    """brain.ops.glance: the bell kept with the member does not keep the answers asked one by
    one (a module that did not prepare for it asks again); a take does, as before."""
    from brain.ops import glance

    with database() as session, app.test_request_context("/"):
        amina = session.get(User, forum["amina"].id)
        notification_ops.bell_counted(amina, 3)
        muted = watching.muted(amina)
        with count_queries() as queries:
            assert notification_ops.unread_count(amina) == 3  # kept: no statement
            glance.answer(muted)
            glance.answer(muted)
        assert len(queries) == 2
        glance.take(notification_ops.bell(amina), muted)
        with count_queries() as queries:
            glance.answer(muted)
            assert notification_ops.unread_count(amina) == 3
        assert queries == []


def test_the_bell_counts_up_to_99_then_says_more(client, forum):
    """A member who never opens their notifications does not make every page count them all."""
    post = reply_to(forum["first"], forum["bruno"], "A reply")
    log_in(client, forum["amina"])

    def add(count: int, start: int) -> None:
        with database() as session:
            session.add_all(
                Notification(
                    user_id=forum["amina"].id,
                    kind=Kind.REPLY,
                    key=f"test:{start + n}",
                    actor_id=forum["bruno"].id,
                    post_id=post.id,
                    topic_id=post.topic_id,
                )
                for n in range(count)
            )
            session.commit()

    add(98, 0)  # and the reply's own: 99
    page = client.get("/").get_data(as_text=True)
    assert bell_count(page) == 99 and "99 unread" in BELL.search(page).group(0)
    add(1, 98)
    found = BELL.search(client.get("/").get_data(as_text=True)).group(0)
    assert '<span aria-hidden="true">99+</span>' in found and "More than 99 unread" in found


def test_the_list_groups_new_replies_in_one_topic(client, forum):
    set_level(forum["chen"], WatchLevel.WATCHING, topic=forum["topic"])
    posts = [reply_to(forum["first"], forum["bruno"], f"Reply {n}") for n in range(4)]
    reply_to(forum["first"], forum["bruno"], "@chen, and you?")
    log_in(client, forum["chen"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "4 new replies in Savings groups" in page
    assert f'href="/p/{posts[0].id}"' in page  # where reading the group starts
    assert "Bruno" in page or "bruno" in page  # the mention, on its own line
    assert page.index("mentioned you") < page.index("4 new replies")  # newest first


def test_opening_the_post_marks_its_notifications_read(client, forum):
    post = reply_to(forum["first"], forum["bruno"])
    other = make_topic(board=forum["board"], author=forum["amina"], title="Other")
    reply_to(opening_post(other), forum["bruno"])
    log_in(client, forum["amina"])
    assert bell(client.get("/notifications")) == 2
    response = client.get(f"/p/{post.id}", follow_redirects=True)
    assert bell(response) == 1
    assert [n.read_at is not None for n in notifications_of(forum["amina"])] == [True, False]


def test_mark_all_read(client, forum):
    reply_to(forum["first"], forum["bruno"])
    reply_to(forum["first"], forum["chen"])
    log_in(client, forum["amina"])
    response = submit(client, "/notifications/mark-all-read", {})
    assert response.status_code in (302, 303)
    assert bell(client.get("/")) == 0
    assert all(n.read_at is not None for n in notifications_of(forum["amina"]))


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_list_says_every_kind_of_notification_in_the_readers_language(client, forum, language):
    """One notification of each kind, as the fan-out writes them (details included), and an
    actor whose account was deleted since: the page names each, in the reader's language."""
    details = {
        Kind.STATUS: "matched",
        Kind.MODERATION: "hidden:spam",
    }
    post = reply_to(forum["first"], forum["bruno"], "A reply to list")
    with database() as session:
        session.get(User, forum["chen"].id).deleted_at = utcnow()
        for number, kind in enumerate(Kind):
            session.add(
                Notification(
                    user_id=forum["amina"].id,
                    kind=kind,
                    key=f"test:{number}",
                    actor_id=forum["chen"].id,
                    post_id=post.id,
                    topic_id=post.topic_id,
                    detail=details.get(kind, ""),
                )
            )
        session.commit()
    log_in(client, forum["amina"])
    response = client.get(f"/notifications?lang={language}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with client.application.test_request_context(f"/?lang={language}"):
        from flask_babel import gettext, pgettext

        former = gettext("Former member")
        matched = pgettext("cooperation status", "Matched")
    assert page.count(former) >= 5  # every entry an actor wrote names the deleted account so
    assert matched in page  # the status is shown in words, not as its stored value


def test_the_list_needs_a_member(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csrf_protects_mark_all_read(client, forum):
    reply_to(forum["first"], forum["bruno"])
    log_in(client, forum["amina"])
    client.post("/notifications/mark-all-read", data={"csrf_token": "forged"})
    assert bell(client.get("/")) == 1
    assert csrf_token(client, "/notifications")


def test_the_notification_pages_are_valid_html(client, forum, tmp_path):
    from tests.test_html import VNU, validate

    if not VNU.exists():
        pytest.skip("HTML checker missing: needs Java and `npm install` (vnu-jar)")
    set_level(forum["chen"], WatchLevel.WATCHING, topic=forum["topic"])
    for n in range(2):
        reply_to(forum["first"], forum["bruno"], f"Reply {n}, @chen")
    reply_to(forum["first"], forum["amina"], "one more")
    log_in(client, forum["chen"])
    topic_page = f"/t/{forum['topic'].id}-{forum['topic'].slug}"
    pages = {
        url: client.get(url).get_data(as_text=True) for url in ("/notifications", "/b/coops", "/")
    }
    pages[topic_page] = client.get(topic_page).get_data(as_text=True)
    assert validate(pages, tmp_path) == {}
