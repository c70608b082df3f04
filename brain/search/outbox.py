"""Recording, in the writer's own transaction, which posts the search index must revisit.

Listening to ``after_flush`` (not ``before_commit``) sees every flushed change, including rows
flushed early by a domain operation; the rows are inserted on the flush's connection, so they
commit or roll back with the change itself.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

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


def _after_flush(session: Session, _context) -> None:
    post_ids = _affected_posts(session)
    if post_ids:
        session.connection().execute(
            insert(SearchOutbox), [{"post_id": post_id} for post_id in sorted(post_ids)]
        )
        session.info["search_outbox"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("search_outbox", False) and has_app_context():
        indexer = current_app.extensions.get("brain_search")
        if indexer is not None:
            indexer.notify()


def _after_soft_rollback(session: Session, _previous) -> None:
    session.info.pop("search_outbox", None)


def listen() -> None:
    """Record changes made through any session; after such a commit, wake the app's indexer."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
