"""Full-text search over posts, through the app's backend (brain.search.interface).

``BRAIN_SEARCH_BACKEND`` chooses it: ``whoosh`` (brain.search.whoosh_backend, the default: an
index folder on this server) or ``postgres`` (brain.search.postgres: full-text search in the
PostgreSQL database every server shares). Public interface: ``init_app``, ``backend()`` (keeping
the index in step: drain, rebuild, check…) and the reading functions below. Writes reach the
index through the outbox (brain.search.outbox).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import Engine

from brain.search import outbox
from brain.search.interface import (
    MAX_PAGE,
    PER_PAGE,
    Backend,
    Filters,
    Hit,
    Results,
    SearchUnavailable,
)
from brain.search.whoosh_backend import WhooshBackend

__all__ = [
    "BACKENDS",
    "MAX_PAGE",
    "PER_PAGE",
    "Backend",
    "Filters",
    "Hit",
    "Results",
    "SearchUnavailable",
    "backend",
    "cooperation_topics",
    "create_backend",
    "init_app",
    "search",
    "similar_cooperations",
]
BACKENDS = ("whoosh", "postgres")


def init_app(app: Flask) -> None:
    from brain.extensions import db

    with app.app_context():
        engine = db.engine
    search_backend = create_backend(app, app.config["SEARCH_BACKEND"], engine)
    app.extensions["brain_search"] = search_backend
    outbox.listen()
    if search_backend.mode == "thread":
        # Each worker process starts its indexer thread with its first request, so work left
        # in the outbox by a process that died is picked up without waiting for a new post.
        app.before_request(search_backend.start)


def create_backend(app: Flask, name: str, engine: Engine) -> Backend:
    """The backend called *name* for *app*; refuses, at startup, one this site cannot run."""
    mode = app.config["SEARCH_INDEXER"]
    if name == "whoosh":
        directory = app.config.get("SEARCH_INDEX_PATH") or str(Path(app.instance_path) / "search")
        return WhooshBackend(directory, engine, mode)
    if name == "postgres":
        if engine.dialect.name != "postgresql":
            raise ValueError(
                "BRAIN_SEARCH_BACKEND=postgres needs a PostgreSQL database (BRAIN_DATABASE_URL "
                f"is {engine.dialect.name}): use BRAIN_SEARCH_BACKEND=whoosh"
            )
        # Imported here: a site searching with Whoosh needs nothing of it.
        from brain.search.postgres import PostgresBackend

        return PostgresBackend(app, engine, mode)
    raise ValueError(f"BRAIN_SEARCH_BACKEND: {' or '.join(BACKENDS)}, not {name!r}")


def backend() -> Backend:
    """The current app's search backend."""
    return current_app.extensions["brain_search"]


def search(
    text: str,
    readable_board_ids: list[int],
    filters: Filters | None = None,
    page: int = 1,
    newest_first: bool = False,
    unreadable_board_ids: list[int] | None = None,
) -> Results:
    """Posts matching *text* in boards the searcher may read, best (or newest) first.
    Passing *unreadable_board_ids* (the other boards) lets the backend exclude those few
    instead of filtering on the many readable ones, which is much cheaper."""
    return backend().search(
        text, readable_board_ids, filters, page, newest_first, unreadable_board_ids
    )


def cooperation_topics(text: str) -> set[int] | None:
    """Meeting Point topics whose opening post matches *text* (None: no searchable word)."""
    return backend().cooperation_topics(text)


def similar_cooperations(opening_post_id: int, limit: int = 150) -> dict[int, float]:
    """Meeting Point topics whose opening post resembles this one: topic id → score."""
    return backend().similar_cooperations(opening_post_id, limit)
