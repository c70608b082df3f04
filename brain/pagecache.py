"""A cache of the pages guests read most: the home page, boards, topics, the Meeting Point,
and the feeds (which hold what guests read, whoever asks).

Most visits come from people who are not logged in, and for them a page depends only on its
address, the language asked for and the forum's content. So a guest's GET of such a page is
answered from memory when nothing has been written since it was rendered:

- every commit that changed a row (a post, a board, a setting, a moderation) bumps a counter
  in the database (``content_version``), right after the commit, in a transaction of its own;
- a cached page is kept with the counter's value; a request reads the counter (one
  primary-key read) and serves the page only if the value is the same and the page is younger
  than PAGE_CACHE_SECONDS (relative times such as "3 minutes ago" stay close to true).

The cache sits in front of Flask (WSGI middleware), per process. Requests that carry a session
or remember-me cookie, that are not GET/HEAD, or whose response sets a cookie are never cached,
so nothing personal is ever stored or served. PAGE_CACHE_SECONDS = 0 turns it off.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from itertools import chain

from flask import Flask, current_app, request
from sqlalchemy.orm import Session

from brain import commits, fragments
from brain.extensions import db
from brain.models import ContentVersion, Counter, SearchOutbox
from brain.readers import current_reader

CACHED_PREFIXES = ("/b/", "/t/", "/meeting-point/", "/feeds/")
PERSONAL_COOKIES = ("session", "remember_token")
MAX_ENTRIES = 1000
MAX_BODY = 2 * 1024 * 1024


# --- the version counter ---------------------------------------------------------------------


def _changes_content(session: Session) -> bool:
    changed = chain(session.new, session.dirty, session.deleted)
    return any(not isinstance(obj, SearchOutbox | ContentVersion) for obj in changed)


def _forget_pages() -> None:
    """This process knows of a change at once; the others see the counter."""
    cache = current_app.extensions.get("brain_page_cache")
    if cache is not None:
        cache.forget()
    fragments.forget()  # members' pages keep parts by the same counter (brain.fragments)


def listen() -> None:
    commits.after_commits_that(
        "content_changed", _changes_content, _forget_pages, counting=Counter.CONTENT
    )


# --- the cache -------------------------------------------------------------------------------


class PageCache:
    """WSGI middleware serving guests' pages from memory while the content is unchanged."""

    def __init__(self, app: Flask):
        self.app = app
        self.wrapped = app.wsgi_app
        self.engine = None
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.lock = threading.Lock()

    # The counter -------------------------------------------------------------------------

    def version(self) -> int | None:
        if self.engine is None:
            with self.app.app_context():
                self.engine = db.engine
        with self.engine.connect() as connection:
            return connection.execute(commits.counter(Counter.CONTENT)).scalar()

    def forget(self) -> None:
        """Drop every kept page (after a commit that changed content)."""
        with self.lock:
            self.entries.clear()

    # The middleware ----------------------------------------------------------------------

    def _key(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO", "")
        if path != "/" and not path.startswith(CACHED_PREFIXES):
            return None
        cookies = environ.get("HTTP_COOKIE", "")
        if any(f"{name}=" in cookies for name in PERSONAL_COOKIES):
            return None
        if environ.get("HTTP_AUTHORIZATION"):
            return None
        return (
            path,
            environ.get("QUERY_STRING", ""),
            cookies,  # the language cookie chooses the page's language
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("HTTP_X_FORWARDED_PROTO"),
            environ.get("HTTP_X_FORWARDED_HOST"),
        )

    def __call__(self, environ, start_response):
        seconds = self.app.config["PAGE_CACHE_SECONDS"]
        if not seconds:
            return self.wrapped(environ, start_response)
        key = self._key(environ)
        if key is None:
            return self.wrapped(environ, start_response)
        version = self.version()
        now = time.monotonic()
        with self.lock:
            entry = self.entries.get(key)
        if entry is not None:
            stored_version, stored_at, status, headers, body = entry
            if stored_version == version and now - stored_at < seconds:
                start_response(status, [*headers, ("X-Page-Cache", "hit")])
                return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]
        return self._render_and_keep(environ, start_response, key, version, now)

    def _render_and_keep(self, environ, start_response, key, version, now):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wrapped(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = captured.get("headers", [])
        keep = (
            captured.get("status", "").startswith("200")
            and environ["REQUEST_METHOD"] == "GET"
            and not any(name.lower() == "set-cookie" for name, _value in headers)
            and len(body) <= MAX_BODY
        )
        if keep and version is not None:
            with self.lock:
                self.entries[key] = (version, now, captured["status"], headers, body)
                self.entries.move_to_end(key)
                while len(self.entries) > MAX_ENTRIES:
                    self.entries.popitem(last=False)
        return [body]


def _read_the_counter_first() -> None:
    """Read the content counter before anything else of the request: what the page then
    reads is at least as new as the value it is kept under. Read later (after the topic, say),
    a change another process commits in between would be rendered old and kept as new."""
    if (
        request.method in ("GET", "HEAD")
        and request.endpoint != "static"  # (files: no page, nothing kept)
        and current_app.config["PAGE_CACHE_SECONDS"]
    ):
        # A member's row comes with the counter, in one query (brain.auth.load_user).
        current_reader()
        fragments.content_version()


def init_app(app: Flask) -> None:
    listen()
    fragments.init_app(app)
    # First of the request's functions, whichever init_app registered theirs earlier.
    app.before_request_funcs.setdefault(None, []).insert(0, _read_the_counter_first)
    cache = PageCache(app)
    app.extensions["brain_page_cache"] = cache
    app.wsgi_app = cache
