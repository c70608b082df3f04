"""The search backend interface: what the views, the Meeting Point, the CLI, the outbox and
maintenance use, whichever engine answers (``BRAIN_SEARCH_BACKEND``: ``whoosh``, the embedded
default, a folder per server; ``postgres``, full-text search in the PostgreSQL database every
server shares).

No engine's types or cost model appear here: a backend takes words, board ids and filters,
and gives back post ids, excerpts and counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Engine

from brain.search.query import Expansion

PER_PAGE = 20
MAX_PAGE = 50


class SearchUnavailable(Exception):
    """The index could not be read (the cause is chained, and logged where it is raised)."""

    message = _l("Searching is not possible at the moment. Please try again in a minute.")

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class Filters:
    board_ids: list[int] | None = None  # None: every board the searcher may read
    language: str | None = None
    author_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Hit:
    post_id: int
    excerpt: Markup


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    expansions: list[Expansion] = field(default_factory=list)
    truncated: bool = False
    empty_query: bool = False
    estimated: bool = False  # total is the index's estimate, not an exact count


class Backend(Protocol):
    """One app's search engine. Reading methods raise SearchUnavailable when the engine
    cannot answer; writing happens only through the outbox (``drain``/``rebuild``)."""

    name: str  # "whoosh" or "postgres"
    mode: str  # "thread", "sync" or "off": when the outbox is applied (BRAIN_SEARCH_INDEXER)
    engine: Engine  # the database the posts are read from, at each call (tests swap it)

    # -- reading -------------------------------------------------------------------------

    def search(
        self,
        text: str,
        readable_board_ids: list[int],
        filters: Filters | None = None,
        page: int = 1,
        newest_first: bool = False,
        unreadable_board_ids: list[int] | None = None,
    ) -> Results:
        """Posts matching *text* (our own query syntax: words, "phrases", -exclusions; the
        glossary expands concepts) in boards the searcher may read, best or newest first,
        PER_PAGE a page, with highlighted excerpts and the total: exact, or, when more match
        than MAX_PAGE pages hold, an estimate if the engine says so (Results.estimated)."""
        ...

    def cooperation_topics(self, text: str) -> set[int] | None:
        """Meeting Point topics whose opening post matches *text* (None: no searchable word)."""
        ...

    def similar_cooperations(self, opening_post_id: int, limit: int = 150) -> dict[int, float]:
        """Meeting Point topics whose opening post resembles this one: topic id → score."""
        ...

    # -- keeping in step -----------------------------------------------------------------

    def notify(self) -> None:
        """Called after a commit that enqueued posts in the outbox."""
        ...

    def start(self) -> None:
        """Start this process's background indexing, if the mode has one."""
        ...

    def pending(self) -> int:
        """Posts waiting in the outbox."""
        ...

    def drain(self, blocking: bool = False) -> int:
        """Apply the outbox; how many posts were (re)indexed or removed."""
        ...

    def rebuild(self, progress: Callable[[int], None] | None = None, procs: int = 1) -> int:
        """Index every post from scratch; how many were indexed."""
        ...

    def check(self) -> dict[str, list[int]]:
        """Drift between the database and the index: {"missing", "stale", "pending"} post ids."""
        ...

    def optimize(self) -> None:
        """Compact the index (what that means is the engine's business)."""
        ...

    def clear(self) -> None:
        """Empty the index (tests, restores)."""
        ...
