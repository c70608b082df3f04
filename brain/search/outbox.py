"""Recording, in the writer's own transaction, which posts the search index must revisit.

Looking at every flush (not at ``before_commit``) sees every flushed change, including rows
flushed early by a domain operation; the rows are inserted on the flush's connection, so they
commit or roll back with the change itself. Once such a transaction has committed, the app's
search backend is notified (brain.commits runs both halves, as it does for the other after-commit
work).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import current_app
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.orm import Session

from brain import commits
from brain.models import Cooperation, CooperationTag, Post, SearchOutbox, Topic

log = logging.getLogger(__name__)

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


class Follower:
    """How a backend keeps in step with the outbox, whatever its engine: at once after each
    commit ("sync"), in a thread of each process woken by commits ("thread"), or only when
    ``drain`` is called ("off"). A backend sets ``engine`` and ``mode``, calls
    ``_follow_init()`` and implements ``drain``; ``_first_pass`` runs once per thread."""

    engine = None
    mode = "thread"

    def _follow_init(self) -> None:
        self._wake = threading.Event()
        self._thread_pid: int | None = None
        self._start_lock = threading.Lock()

    def drain(self, blocking: bool = False) -> int:
        raise NotImplementedError

    def _first_pass(self) -> None:
        """Work the thread does once before following the outbox (nothing by default)."""

    def notify(self) -> None:
        """Called after a commit that enqueued changes."""
        if self.mode == "sync":
            self.drain(blocking=True)
        elif self.mode == "thread":
            self.start()
            self._wake.set()

    def start(self) -> None:
        """Start this process's indexing thread (once per process: threads do not survive
        fork)."""
        if self.mode != "thread" or self._thread_pid == os.getpid():
            return
        # A threaded worker's first requests arrive together: only one of them starts it.
        with self._start_lock:
            if self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
        self._wake.set()  # a first pass replays whatever an earlier process left behind
        thread = threading.Thread(target=self._run, name="brain-search-indexer", daemon=True)
        thread.start()

    def _run(self) -> None:
        try:
            self._first_pass()
        except Exception:
            log.exception("the search indexer's first pass failed")
        while True:
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            try:
                self.drain()
            except Exception:  # keep the thread alive; the outbox keeps the work
                log.exception("search indexing failed; will retry")
                time.sleep(1.0)

    def pending(self) -> int:
        """Posts waiting in the outbox."""
        with Session(self.engine) as session:
            return session.scalar(select(func.count(SearchOutbox.id))) or 0
