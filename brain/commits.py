"""Work done as a commit goes through: each flush of a session is checked for a kind of
change (while its objects and their history are at hand). A transaction that made one adds
one to a counter (a row of ``content_version``) just before it commits, and an action runs
after the commit. brain.pagecache and brain.meeting.version count their changes this way,
and read their counters with ``counter``; brain.search.outbox records the posts to reindex
at each flush, in the writer's transaction, and wakes the indexer after the commit."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, has_app_context
from sqlalchemy import Select, event, select, update
from sqlalchemy.orm import Session

from brain.models import ContentVersion, Counter

_watched: set[str] = set()


@functools.cache
def counter(row: Counter) -> Select:
    """The statement reading one counter of ``content_version`` (built once: every page
    reads one)."""
    return select(ContentVersion.value).where(ContentVersion.id == row)


def _bump(row: Counter):
    return (
        update(ContentVersion)
        .where(ContentVersion.id == row)
        .values(value=ContentVersion.value + 1)
    )


def after_commits_that(
    flag: str,
    changes: Callable[[Session], bool],
    then: Callable[[], None] | None = None,
    *,
    every_flush: bool = False,
    counting: Counter | None = None,
) -> None:
    """Run *then* after each commit in which a flush *changes* something. *flag* names the
    mark left on the session between the two; registering the same flag again does nothing.

    *changes* is asked until one flush of the transaction says yes; with *every_flush* it is
    asked at every flush, for a check that also records what it found (on the flush's
    connection, so the record commits or rolls back with the change).

    *counting*: the counter such a transaction adds one to, as its last statement before it
    commits. Other processes see the change and the new count together (a page read between
    the two cannot be kept as new), and a write costs no second transaction. The row stays
    locked only while the commit goes through; counters are bumped in the order they were
    registered, the same in every transaction, so two writers cannot wait on each other."""
    if flag in _watched:
        return
    _watched.add(flag)

    def after_flush(session: Session, _context) -> None:
        if (every_flush or not session.info.get(flag)) and changes(session):
            session.info[flag] = True

    def before_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: the commit of the whole transaction counts
        session.flush()  # the changes not flushed yet are this commit's too
        if session.info.get(flag):
            session.connection().execute(_bump(counting))

    def after_commit(session: Session) -> None:
        if session.info.pop(flag, False) and then is not None and has_app_context():
            # The change is committed: a failure here must not make the request report a
            # saved write as failed. (What is kept by the counter goes by the counter.)
            try:
                then()
            except Exception:
                current_app.logger.warning("After-commit work %r failed", flag, exc_info=True)

    def after_rollback(session: Session, _previous=None) -> None:
        session.info.pop(flag, None)

    event.listen(Session, "after_flush", after_flush)
    if counting is not None:
        event.listen(Session, "before_commit", before_commit)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_soft_rollback", after_rollback)
