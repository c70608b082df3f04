"""Work done once a commit has gone through: each flush of a session is checked for a kind of
change (while its objects and their history are at hand), and after a commit that made one,
an action runs in a transaction of its own. brain.pagecache and brain.meeting.version bump
their counters (rows of ``content_version``) this way, and read them with ``counter``;
brain.search.outbox records the posts to reindex at each flush, in the writer's transaction,
and wakes the indexer after the commit."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_app_context
from sqlalchemy import Select, event, select, update
from sqlalchemy.orm import Session

from brain.extensions import db
from brain.models import ContentVersion, Counter

_watched: set[str] = set()


def counter(row: Counter) -> Select:
    """The statement reading one counter of ``content_version``."""
    return select(ContentVersion.value).where(ContentVersion.id == row)


def bump(row: Counter) -> None:
    """Add one to a counter of ``content_version``, in a transaction of its own."""
    with db.engine.begin() as connection:
        connection.execute(
            update(ContentVersion)
            .where(ContentVersion.id == row)
            .values(value=ContentVersion.value + 1)
        )


def after_commits_that(
    flag: str,
    changes: Callable[[Session], bool],
    then: Callable[[], None],
    *,
    every_flush: bool = False,
) -> None:
    """Run *then* after each commit in which a flush *changes* something. *flag* names the
    mark left on the session between the two; registering the same flag again does nothing.

    *changes* is asked until one flush of the transaction says yes; with *every_flush* it is
    asked at every flush, for a check that also records what it found (on the flush's
    connection, so the record commits or rolls back with the change)."""
    if flag in _watched:
        return
    _watched.add(flag)

    def after_flush(session: Session, _context) -> None:
        if (every_flush or not session.info.get(flag)) and changes(session):
            session.info[flag] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(flag, False) and has_app_context():
            # The change is committed: a failure here (a counter on a lost connection) must
            # not make the request report a saved write as failed. Caches keyed by the
            # counter catch up at the next change; their time limit bounds the staleness.
            try:
                then()
            except Exception:
                current_app.logger.warning("After-commit work %r failed", flag, exc_info=True)

    def after_rollback(session: Session, _previous=None) -> None:
        session.info.pop(flag, None)

    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_soft_rollback", after_rollback)
