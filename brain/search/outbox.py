"""Recording, in the writer's own transaction, which posts the search index must revisit.

Looking at every flush (not at ``before_commit``) sees every flushed change, including rows
flushed early by a domain operation; the rows are inserted on the flush's connection, so they
commit or roll back with the change itself. Once such a transaction has committed, the app's
search backend is notified (brain.commits runs both halves, as it does for the other after-commit
work).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from brain import commits
from brain.models import Cooperation, CooperationTag, Post, SearchOutbox, Topic

# Attributes whose change alters what search shows for a post or a topic's posts.
_POST_FIELDS = ("body_source", "deleted_at", "hidden_at", "language", "topic_id")
_TOPIC_FIELDS = ("title", "board_id", "hidden_at")


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _affected_posts(session: Session) -> set[int]:
    post_ids: set[int] = set()
    topic_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Post):
            post_ids.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Post) and _changed(obj, _POST_FIELDS):
            post_ids.add(obj.id)
        elif isinstance(obj, Topic) and _changed(obj, _TOPIC_FIELDS):
            topic_ids.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Post):
            post_ids.add(obj.id)
    if topic_ids:
        rows = session.connection().execute(select(Post.id).where(Post.topic_id.in_(topic_ids)))
        post_ids.update(row.id for row in rows)
    # Meeting Point details are indexed with the opening post of their topic.
    opening_of = {
        obj.topic_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, Cooperation | CooperationTag) and obj.topic_id is not None
    }
    if opening_of:
        rows = session.connection().execute(
            select(Topic.first_post_id).where(Topic.id.in_(opening_of))
        )
        post_ids.update(row.first_post_id for row in rows)
    post_ids.discard(None)
    return post_ids


def _record(session: Session) -> bool:
    """Enqueue the posts this flush changed, in the flush's own transaction; True if any."""
    post_ids = _affected_posts(session)
    if not post_ids:
        return False
    session.connection().execute(
        insert(SearchOutbox), [{"post_id": post_id} for post_id in sorted(post_ids)]
    )
    return True


def _notify_backend() -> None:
    search_backend = current_app.extensions.get("brain_search")
    if search_backend is not None:
        search_backend.notify()


def listen() -> None:
    """Record changes made through any session; after such a commit, notify the app's search
    backend (which applies the outbox now, in a thread, or leaves it to `brain search drain`)."""
    commits.after_commits_that("search_outbox", _record, _notify_backend, every_flush=True)
