"""Editing, revisions and deleting posts, and who may do it."""

from __future__ import annotations

import pytest

from brain.models import Post, PostRevision, Role
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
def thread():
    board = make_board()
    author, other = make_user(username="amina"), make_user(username="kwame")
    topic = make_topic(board=board, author=author, title="Care cooperatives")
    post = make_reply(parent=opening_post(topic), author=author, body="First version")
    return {"topic": topic, "post": post, "author": author, "other": other}


def test_editing_your_post_marks_it_edited_and_keeps_the_earlier_version(client, thread):
    log_in(client, thread["author"])
    post = thread["post"]
    response = submit(client, f"/p/{post.id}/edit", {"language": "en", "body": "Second version"})
    assert response.status_code == 302
    edited = fetch(Post, post.id)
    assert edited.body_source == "Second version" and edited.edited_at is not None
    page = client.get(client.get(f"/p/{post.id}").headers["Location"]).get_data(as_text=True)
    assert "Second version" in page and ">edited</a>" in page
    history = client.get(f"/p/{post.id}/revisions").get_data(as_text=True)
    assert "First version" in history and "Second version" in history
    with database() as session:
        assert session.query(PostRevision).filter_by(post_id=post.id).count() == 1


def test_editing_the_opening_post_can_change_the_title(client, thread):
    log_in(client, thread["author"])
    first = opening_post(thread["topic"])
    submit(
        client,
        f"/p/{first.id}/edit",
        {"title": "Care cooperatives in Quebec", "language": "fr", "body": "Nouveau texte"},
    )
    from brain.models import Topic

    topic = fetch(Topic, thread["topic"].id)
    assert topic.title == "Care cooperatives in Quebec"
    assert topic.slug == "care-cooperatives-in-quebec" and topic.language == "fr"


def test_an_unchanged_edit_adds_no_revision(client, thread):
    log_in(client, thread["author"])
    submit(client, f"/p/{thread['post'].id}/edit", {"language": "en", "body": "First version"})
    assert fetch(Post, thread["post"].id).edited_at is None


def test_deleting_your_post_leaves_a_placeholder_that_keeps_replies_in_place(client, thread):
    reply_to_it = make_reply(parent=thread["post"], author=thread["other"], body="An answer")
    log_in(client, thread["author"])
    confirm = client.get(f"/p/{thread['post'].id}/delete")
    assert confirm.status_code == 200 and "Delete this post?" in confirm.get_data(as_text=True)
    assert submit(client, f"/p/{thread['post'].id}/delete").status_code == 302
    page = client.get(client.get(f"/p/{thread['post'].id}").headers["Location"]).get_data(
        as_text=True
    )
    assert "First version" not in page
    assert "This post was deleted by its author." in page
    assert "An answer" in page
    assert f'<article id="p{reply_to_it.id}" class="post depth-1' in page


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_others_cannot_edit_or_delete_a_post(client, thread, action):
    log_in(client, thread["other"])
    url = f"/p/{thread['post'].id}/{action}"
    assert client.get(url).status_code == 403
    data = {"language": "en", "body": "Hijacked"} if action == "edit" else {}
    assert submit(client, url, data).status_code == 403
    post = fetch(Post, thread["post"].id)
    assert post.body_source == "First version" and post.deleted_at is None


def test_others_cannot_read_the_revisions(client, thread):
    log_in(client, thread["other"])
    assert client.get(f"/p/{thread['post'].id}/revisions").status_code == 403


def test_guests_are_sent_to_log_in_before_editing(client, thread):
    response = client.get(f"/p/{thread['post'].id}/edit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_moderators_of_the_board_can_edit_and_read_revisions(client, thread):
    from brain.models import BoardModerator

    moderator = make_user(username="moderator", role=Role.MODERATOR)
    with database() as session:
        session.add(BoardModerator(board_id=thread["topic"].board_id, user_id=moderator.id))
        session.commit()
    log_in(client, moderator)
    url = f"/p/{thread['post'].id}/edit"
    assert submit(client, url, {"language": "en", "body": "Tidied"}).status_code == 302
    assert client.get(f"/p/{thread['post'].id}/revisions").status_code == 200


def test_a_moderator_of_another_board_cannot_edit(client, thread):
    from brain.models import BoardModerator

    elsewhere = make_board(slug="elsewhere", name="Elsewhere")
    moderator = make_user(username="moderator", role=Role.MODERATOR)
    with database() as session:
        session.add(BoardModerator(board_id=elsewhere.id, user_id=moderator.id))
        session.commit()
    log_in(client, moderator)
    assert client.get(f"/p/{thread['post'].id}/edit").status_code == 403


def test_a_deleted_post_cannot_be_edited_or_replied_to(client, thread):
    log_in(client, thread["author"])
    submit(client, f"/p/{thread['post'].id}/delete")
    assert client.get(f"/p/{thread['post'].id}/edit").status_code == 403
    assert client.get(f"/p/{thread['post'].id}/reply").status_code == 404


def test_mentions_link_to_member_profiles(client, thread):
    log_in(client, thread["other"])
    submit(
        client,
        f"/p/{thread['post'].id}/reply",
        {"language": "en", "body": "Thanks @AMINA, and @nobody"},
    )
    page = client.get(client.get(f"/p/{thread['post'].id}").headers["Location"]).get_data(
        as_text=True
    )
    assert 'href="/u/amina" class="mention"' in page
    assert "/u/nobody" not in page


def test_rerender_brings_old_posts_up_to_date(app, thread):
    from brain import markup
    from brain.ops.posts import rerender_posts

    with database() as session:
        post = session.get(Post, thread["post"].id)
        post.body_html, post.renderer_version = "<p>stale</p>", markup.RENDERER_VERSION - 1
        session.commit()
        assert rerender_posts() == 1
        session.commit()
    post = fetch(Post, thread["post"].id)
    assert post.body_html == "<p>First version</p>"
    assert post.renderer_version == markup.RENDERER_VERSION
