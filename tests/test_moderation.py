"""Moderation: who may act where, what each action does, and that every action is logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from brain.models import BoardModerator, ModerationLog, Post, Report, Role, Topic, User, utcnow
from brain.models.moderation import ModerationAction
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


@pytest.fixture
def forum():
    board = make_board(slug="coops", name="Cooperatives")
    other = make_board(slug="finance", name="Finance")
    author = make_user(username="author")
    moderator = make_user(username="mod", role=Role.MODERATOR)
    elsewhere = make_user(username="othermod", role=Role.MODERATOR)
    member = make_user(username="member")
    with database() as session:
        session.add(BoardModerator(board_id=board.id, user_id=moderator.id))
        session.add(BoardModerator(board_id=other.id, user_id=moderator.id))
        session.add(BoardModerator(board_id=other.id, user_id=elsewhere.id))
        session.commit()
    topic = make_topic(board=board, author=author, title="Savings groups", body="tontines")
    first = opening_post(topic)
    reply = make_reply(parent=first, author=member, body="a reply")
    answer = make_reply(parent=reply, author=author, body="an answer to the reply")
    target = make_topic(board=board, author=member, title="Older savings thread", body="stokvels")
    return {
        "board": board, "other": other, "topic": topic, "first": first, "reply": reply,
        "answer": answer, "target": target, "author": author, "moderator": moderator,
        "elsewhere": elsewhere, "member": member,
    }  # fmt: skip


def actions(f):
    """(url, form data, log action name) for every moderation action on the fixture."""
    t = f["topic"].id
    return {
        "pin": (f"/t/{t}/moderate/pin", {"reason": "useful"}, "pin"),
        "lock": (f"/t/{t}/moderate/lock", {"reason": "heated"}, "lock"),
        "hide topic": (f"/t/{t}/moderate/hide", {"reason": "spam"}, "hide_topic"),
        "move": (f"/t/{t}/move", {"board": "finance", "reason": "fits better"}, "move"),
        "merge": (f"/t/{t}/merge", {"target": f["target"].id, "reason": "duplicate"}, "merge"),
        "hide post": (f"/p/{f['reply'].id}/hide", {"reason": "off topic"}, "hide_post"),
        "split": (
            f"/p/{f['reply'].id}/split",
            {"title": "A new thread", "reason": "tangent"},
            "split",
        ),
    }


ACTIONS = ["pin", "lock", "hide topic", "move", "merge", "hide post", "split"]


def logged(action: str) -> int:
    with database() as session:
        return session.scalar(
            select(func.count(ModerationLog.id)).where(ModerationLog.action == action)
        )


@pytest.mark.parametrize("name", ACTIONS)
def test_a_moderator_of_the_board_can_and_it_is_logged(client, forum, name):
    url, data, action = actions(forum)[name]
    log_in(client, forum["moderator"])
    assert client.get(url).status_code == 200
    response = submit(client, url, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert logged(action) == 1


@pytest.mark.parametrize("name", ACTIONS)
def test_a_moderator_of_another_board_gets_403(client, forum, name):
    url, data, action = actions(forum)[name]
    log_in(client, forum["elsewhere"])
    assert client.get(url).status_code == 403
    assert submit(client, url, data).status_code == 403
    assert logged(action) == 0


@pytest.mark.parametrize("name", ACTIONS)
def test_a_member_gets_403(client, forum, name):
    url, data, action = actions(forum)[name]
    log_in(client, forum["member"])
    assert submit(client, url, data).status_code == 403
    assert logged(action) == 0


@pytest.mark.parametrize("name", ACTIONS)
def test_a_guest_is_sent_to_log_in(client, forum, name):
    url, _data, _action = actions(forum)[name]
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_pinning_and_locking_change_the_topic(client, forum):
    log_in(client, forum["moderator"])
    submit(client, f"/t/{forum['topic'].id}/moderate/pin", {})
    submit(client, f"/t/{forum['topic'].id}/moderate/lock", {})
    topic = fetch(Topic, forum["topic"].id)
    assert topic.is_pinned and topic.is_locked
    submit(client, f"/t/{forum['topic'].id}/moderate/unlock", {})
    assert not fetch(Topic, forum["topic"].id).is_locked


def test_a_hidden_post_shows_its_reason_to_the_author_only(client, forum, session_app):
    log_in(client, forum["moderator"])
    submit(client, f"/p/{forum['reply'].id}/hide", {"reason": "Please keep it civil"})
    topic_url = f"/t/{forum['topic'].id}-{forum['topic'].slug}"
    guest = session_app.test_client().get(topic_url).get_data(as_text=True)
    assert "This post was hidden by a moderator." in guest and "a reply" not in guest
    author = session_app.test_client()
    log_in(author, forum["member"])
    page = author.get(topic_url).get_data(as_text=True)
    assert "Please keep it civil" in page and "a reply" in page
    assert fetch(Topic, forum["topic"].id).reply_count == 1  # the hidden reply is not counted


def test_hiding_needs_a_reason(client, forum):
    log_in(client, forum["moderator"])
    response = submit(client, f"/p/{forum['reply'].id}/hide", {"reason": "  "})
    assert response.status_code == 200 and fetch(Post, forum["reply"].id).hidden_at is None


def test_a_hidden_topic_leaves_lists_and_search(client, forum, session_app):
    log_in(client, forum["moderator"])
    submit(client, f"/t/{forum['topic'].id}/moderate/hide", {"reason": "spam"})
    guest = session_app.test_client()
    assert "Savings groups" not in guest.get("/b/coops").get_data(as_text=True)
    assert guest.get(f"/t/{forum['topic'].id}").status_code == 404
    assert "Savings groups" in client.get("/b/coops").get_data(as_text=True)  # moderators see it
    assert (
        "/p/"
        not in guest.get("/search?q=tontines").get_data(as_text=True).split("results-heading")[1]
    )


def test_moving_a_topic(client, forum):
    log_in(client, forum["moderator"])
    submit(client, f"/t/{forum['topic'].id}/move", {"board": "finance", "reason": ""})
    assert fetch(Topic, forum["topic"].id).board_id == forum["other"].id


def test_splitting_keeps_the_subtree_together(client, forum):
    log_in(client, forum["moderator"])
    response = submit(client, f"/p/{forum['reply'].id}/split", {"title": "Split thread"})
    with database() as session:
        new = session.scalar(select(Topic).where(Topic.title == "Split thread"))
        assert response.headers["Location"] == f"/t/{new.id}-split-thread"
        moved = session.scalars(
            select(Post).where(Post.topic_id == new.id).order_by(Post.tree_path)
        ).all()
        assert [p.id for p in moved] == [forum["reply"].id, forum["answer"].id]
        assert moved[0].parent_id is None and moved[1].parent_id == moved[0].id
        assert new.first_post_id == forum["reply"].id and new.reply_count == 1
    assert fetch(Topic, forum["topic"].id).reply_count == 0


def test_merging_moves_every_post_under_the_target(client, forum):
    log_in(client, forum["moderator"])
    submit(client, f"/t/{forum['topic'].id}/merge", {"target": forum["target"].id})
    assert fetch(Topic, forum["topic"].id) is None
    target = fetch(Topic, forum["target"].id)
    assert target.post_count == 4
    moved_first = fetch(Post, forum["first"].id)
    assert moved_first.topic_id == target.id and moved_first.parent_id == target.first_post_id
    assert client.get(f"/p/{forum['answer'].id}").status_code == 302


def test_members_report_and_moderators_resolve(client, forum, session_app, app):
    app.config["REPORT_THRESHOLD"] = 2
    reporter = session_app.test_client()
    log_in(reporter, forum["member"])
    response = submit(reporter, f"/p/{forum['answer'].id}/report", {"reason": "rude"})
    assert response.status_code == 302
    again = submit(reporter, f"/p/{forum['answer'].id}/report", {"reason": "still rude"})
    assert "already reported" in again.get_data(as_text=True)
    log_in(client, forum["moderator"])
    queue = client.get("/mod/reports").get_data(as_text=True)
    assert "rude" in queue and "an answer to the reply" in queue
    other_board_mod = session_app.test_client()
    log_in(other_board_mod, forum["elsewhere"])
    assert "rude" not in other_board_mod.get("/mod/reports").get_data(as_text=True)
    assert (
        submit(
            other_board_mod, f"/mod/reports/{forum['answer'].id}", {"resolution": "hide"}
        ).status_code
        == 403
    )
    submit(
        client, f"/mod/reports/{forum['answer'].id}", {"resolution": "dismiss", "reason": "fine"}
    )
    with database() as session:
        report = session.scalar(select(Report))
        assert report.resolution == "dismiss" and report.resolver_id == forum["moderator"].id
    assert "No open reports" in client.get("/mod/reports").get_data(as_text=True)


def test_enough_reports_hide_a_post_automatically(client, forum, session_app, app):
    app.config["REPORT_THRESHOLD"] = 2
    third = make_user(username="third")
    for user in (forum["member"], third):
        browser = session_app.test_client()
        log_in(browser, user)
        submit(browser, f"/p/{forum['answer'].id}/report", {"reason": "spam"})
    hidden = fetch(Post, forum["answer"].id)
    assert hidden.hidden_at is not None and hidden.hidden_by_reports
    assert hidden.hidden_reason is None  # no words frozen in the reporters' language
    assert logged(ModerationAction.AUTO_HIDE) == 1
    # The author reads why, in their own language (the reason is not frozen in the
    # reporter's language).
    log_in(client, forum["author"])
    client.set_cookie("lang", "fr")
    page = client.get(f"/p/{forum['answer'].id}", follow_redirects=True).get_data(as_text=True)
    assert "automatiquement" in page and "Hidden automatically" not in page


def test_a_post_restored_after_reports_is_no_longer_marked(client, forum, session_app, app):
    app.config["REPORT_THRESHOLD"] = 1
    reporter = session_app.test_client()
    log_in(reporter, forum["member"])
    submit(reporter, f"/p/{forum['answer'].id}/report", {"reason": "spam"})
    assert fetch(Post, forum["answer"].id).hidden_by_reports
    log_in(client, forum["moderator"])
    submit(
        client, f"/mod/reports/{forum['answer'].id}", {"resolution": "dismiss", "reason": "fine"}
    )
    restored = fetch(Post, forum["answer"].id)
    assert restored.hidden_at is None and not restored.hidden_by_reports


def test_every_moderation_action_has_words_in_the_log():
    from brain.vocabulary.moderation import ACTION_LABELS

    assert set(ACTION_LABELS) == set(ModerationAction)


def test_a_logged_action_this_version_does_not_know_still_shows(client, forum):
    from sqlalchemy import column, table, update

    log_in(client, forum["moderator"])
    submit(client, f"/t/{forum['topic'].id}/moderate/lock", {"reason": "Cooling off"})
    with database() as session:  # as a newer version might have written it
        log = table("moderation_log", column("action"))
        session.execute(update(log).values(action="retired_verb"))
        session.commit()
    response = client.get("/mod/log")
    assert response.status_code == 200 and "retired_verb" in response.get_data(as_text=True)


def test_members_cannot_see_the_queue_or_the_log(client, forum):
    log_in(client, forum["member"])
    assert client.get("/mod/reports").status_code == 403
    assert client.get("/mod/log").status_code == 403


def test_the_log_shows_who_what_and_why(client, forum):
    log_in(client, forum["moderator"])
    submit(client, f"/t/{forum['topic'].id}/moderate/lock", {"reason": "Cooling off"})
    page = client.get("/mod/log").get_data(as_text=True)
    assert "locked" in page and "Cooling off" in page and "mod" in page


def test_a_suspended_member_cannot_write_even_in_an_open_session(client, forum):
    log_in(client, forum["member"])
    with database() as session:
        session.get(User, forum["member"].id).suspended_until = utcnow() + timedelta(days=3)
        session.commit()
    first = forum["first"].id
    assert submit(client, f"/p/{first}/reply", {"language": "en", "body": "x"}).status_code == 403
    assert (
        submit(client, f"/p/{forum['reply'].id}/edit", {"language": "en", "body": "y"}).status_code
        == 403
    )
    assert submit(client, f"/p/{forum['answer'].id}/report", {"reason": "z"}).status_code == 403
    assert (
        submit(client, "/b/coops/new", {"title": "abc", "language": "en", "body": "x"}).status_code
        == 403
    )
    assert client.get(f"/t/{forum['topic'].id}").status_code in (200, 301)


def test_a_banned_member_is_logged_out_and_cannot_log_in(client, forum):
    from brain.ops.moderation import ban_member

    log_in(client, forum["member"])
    with database() as session:
        ban_member(
            session.get(User, forum["member"].id), session.get(User, forum["moderator"].id), "spam"
        )
        session.commit()
    response = client.get(f"/p/{forum['first'].id}/reply")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    refused = submit(client, "/login", {"login": "member", "password": "correct horse battery"})
    assert refused.status_code == 403
