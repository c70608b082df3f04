"""A counter of committed changes to what the Meeting Point counts: cooperation details and
their tags, and topics hidden, shown again, moved or deleted. It is row Counter.MEETING_POINT of the
``content_version`` table, bumped right after such a commit in a transaction of its own (as
brain.pagecache bumps Counter.CONTENT after any change), so every process sees it.

The Meeting Point home's facet counts over every post change only with it, while replies
anywhere in the forum do not touch it: each process keeps those counts until it moves
(brain.meeting.counts; the table of every post's facet values that selections are found and
counted in, brain.meeting.queries.FacetTable; the suggested matches likewise,
brain.meeting.matching)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import chain

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from brain import commits
from brain.extensions import db
from brain.models import Cooperation, CooperationTag, Counter, Topic


def current() -> int | None:
    """The counter's value (None if the row is missing: then nothing may be kept)."""
    return db.session.scalar(commits.counter(Counter.MEETING_POINT))


class Kept:
    """Results worked out from the Meeting Point's details, kept in this process while the
    counter stays where it was (at most *size* of them, the least recently used go first)."""

    everywhere: list[Kept] = []

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, object] = OrderedDict()
        self.lock = threading.Lock()
        Kept.everywhere.append(self)

    def get(
        self, key: Hashable, make: Callable[[], object], keep_if: Callable[[], bool] | None = None
    ):
        """The value kept under *key* for the counter's value now, else ``make()``, kept for
        the next reader, unless *keep_if* (asked after the counter is read) says no."""
        counter = current()
        if counter is None or (keep_if is not None and not keep_if()):
            return make()
        full_key = (str(db.engine.url), counter, key)
        with self.lock:
            if full_key in self.entries:
                self.entries.move_to_end(full_key)
                return self.entries[full_key]
        value = make()
        with self.lock:
            self.entries[full_key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value

    @classmethod
    def forget_all(cls) -> None:
        """Drop everything kept: needed only when the counter goes back, as when the tests
        empty the database (or a backup is restored under a running process)."""
        for kept in cls.everywhere:
            with kept.lock:
                kept.entries.clear()


def _changes_counts(session: Session) -> bool:
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Cooperation | CooperationTag):
            return True
        if isinstance(obj, Topic) and obj not in session.new:  # (a new one has no details yet)
            attrs = inspect(obj).attrs
            if obj in session.deleted or any(
                attrs[name].history.has_changes() for name in ("hidden_at", "board_id")
            ):
                return True
    return False


def listen() -> None:
    commits.after_commits_that("meeting_changed", _changes_counts, counting=Counter.MEETING_POINT)
