"""Parts of pages that many readers see alike, rendered once and kept in memory: the posts of
a topic page, the topic list of a board, the boards of the home page. Guests and members share
them; what is a member's own (their name, counts, forms and their tokens, unread marks) is
rendered around them, or put into their holes, at every request.

A fragment is kept under a key that holds everything its output depends on:

- what the page shows (the topic, page, view; the board, page, language filter…), named by the
  caller, together with what decides the reader's view of it (``viewer``: e.g. moderating the
  board, being the author of posts on the page, being allowed to reply);
- the interface language and the time zone of the request (words, dates and times);
- the forum's content counter (``content_version``, brain.pagecache): every commit that
  changed content bumps it, in every process, so a fragment is never served after a change;
- and it is served for at most PAGE_CACHE_SECONDS (relative times such as "3 minutes ago"
  stay close to true), like the guests' page cache; 0 turns both off.

Templates use it through a call block, whose body runs only when the fragment is not kept::

    {% call fragment("thread", topic.id, thread.page, viewer) %} ... {% endcall %}

A fragment may leave holes for what differs per reader (``hole(name, number)`` in the body);
``fill`` puts each reader's own text into them when the fragment is served.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from brain import commits
from brain.extensions import db
from brain.models import Counter

MAX_ENTRIES = 1000
# A hole in a kept fragment: NUL never occurs in a page's content (brain.web.guard_input
# refuses it in every input, and PostgreSQL cannot store it).
_HOLE = re.compile("\x00([a-z]+):([0-9]+)\x00")


class Fragments:
    """The kept fragments of one process (a bounded, least-recently-used dictionary)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[int, float, object]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, version: int, seconds: float):
        with self.lock:
            entry = self.entries.get(key)
        if entry is None:
            return None
        kept_version, kept_at, value = entry
        if kept_version != version or time.monotonic() - kept_at >= seconds:
            return None
        return value

    def put(self, key: tuple, version: int, value) -> None:
        with self.lock:
            self.entries[key] = (version, time.monotonic(), value)
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _store() -> Fragments:
    return current_app.extensions["brain_fragments"]


def _seconds() -> int:
    return current_app.config["PAGE_CACHE_SECONDS"]


def content_version() -> int | None:
    """The content counter, read once per request (in the request's own transaction: what the
    page then reads is at least as new as the value)."""
    if "content_version" not in g:
        try:
            g.content_version = db.session.scalar(commits.counter(Counter.CONTENT))
        except SQLAlchemyError:  # an error page renders without the database: keep nothing
            _forget_failed_transaction()
            g.content_version = None
    return g.content_version


def _forget_failed_transaction() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.registry.clear()


def _full_key(kind: str, parts: tuple) -> tuple:
    return (kind, str(get_locale() or "en"), str(get_timezone()), request.script_root, *parts)


def kept(kind: str, *parts: Hashable, make: Callable[[], object]):
    """The value kept under *kind* and *parts* (with the request's language and time zone)
    while the content is unchanged; else ``make()``, kept for the next reader. Values must
    be plain data (never database objects: they belong to one request)."""
    seconds = _seconds()
    version = content_version() if seconds else None
    if not seconds or version is None:
        return make()
    key = _full_key(kind, parts)
    store = _store()
    value = store.get(key, version, seconds)
    if value is None:
        value = make()
        # Kept only if the request still vouches for the counter (``distrust``).
        if value is not None and g.get("content_version") == version:
            store.put(key, version, value)
    return value


def distrust() -> None:
    """What this request reads is newer than its counter (a change committed meanwhile, not
    yet counted): keep nothing more from it."""
    g.content_version = None


def fragment(
    kind: str,
    *parts: Hashable,
    caller,
    fill: Callable[[str, int], str] | Mapping[str, str] | None = None,
):
    """For a template's call block: the block's output, kept (see ``kept``). *fill* gives the
    reader's own text for each hole the block left: ``fill(name, number)``, or a mapping by
    name (safe HTML: markup the request rendered, never text a member wrote)."""
    html = kept(kind, *parts, make=lambda: str(caller()))
    if fill is not None and "\x00" in html:
        if isinstance(fill, Mapping):
            html = _HOLE.sub(lambda found: str(fill[found.group(1)]), html)
        else:
            html = _HOLE.sub(lambda found: str(fill(found.group(1), int(found.group(2)))), html)
    return Markup(html)  # noqa: S704 - the block's own output, kept: already escaped


def hole(name: str, number: int) -> Markup:
    """A place in a kept fragment that ``fill`` fills per reader (*name*: lower-case letters)."""
    return Markup(f"\x00{name}:{int(number)}\x00")  # noqa: S704 - a name and a number


def forget() -> None:
    """Drop this process's fragments (after a change of content: others see the counter)."""
    store = current_app.extensions.get("brain_fragments")
    if store is not None:
        store.clear()
    if has_request_context():
        g.pop("content_version", None)  # a page rendered after the commit reads it again


def init_app(app: Flask) -> None:
    app.extensions["brain_fragments"] = Fragments()
    app.jinja_env.globals.update(fragment=fragment, hole=hole)
