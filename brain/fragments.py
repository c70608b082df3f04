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
the filler registered under that name (``filler``) puts each reader's own text into them when
the fragment is served.

A whole page can be kept the same way (``page``): the view names what the page shows and what
decides the reader's view of it, and the page is rendered once with every part that is the
reader's own left as a hole (``personal(name, number)`` in templates: the account menu and its
bell, CSRF tokens, flashed messages, watch forms, unread marks…). Each such part has a filler,
registered by the module that knows it (``filler``), which renders it for the reader at every
request. A member's page then costs the few statements that name the reader's own parts and
a substitution in a string, instead of a template.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from brain import commits, permissions
from brain.extensions import db
from brain.models import Counter
from brain.readers import current_reader

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
            # Through the session's connection (its transaction): a column needs none of
            # the ORM's work.
            g.content_version = db.session.connection().scalar(commits.counter(Counter.CONTENT))
        except SQLAlchemyError:  # an error page renders without the database: keep nothing
            _forget_failed_transaction()
            g.content_version = None
    return g.content_version


def counted(version: int | None) -> None:
    """The request read the content counter already (with the member's row, brain.auth): the
    same transaction, the same guarantee."""
    if "content_version" not in g:
        g.content_version = version


def _forget_failed_transaction() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.registry.clear()


def _full_key(kind: str, parts: tuple) -> tuple:
    reader = g.get("fragment_reader")
    if reader is None:  # the same for every fragment of the request
        reader = g.fragment_reader = (
            str(get_locale() or "en"),
            str(get_timezone()),
            request.script_root,
        )
    return (kind, *reader, *parts)


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


def fragment(kind: str, *parts: Hashable, caller):
    """For a template's call block: the block's output, kept (see ``kept``). The holes it
    left (``hole``) are filled for this reader by the registered fillers (``filler``); in a
    page being kept (``page``), the page fills them all."""
    html = kept(kind, *parts, make=lambda: str(caller()))
    if g.get("recording_page"):
        return Markup(html)  # noqa: S704 - the block's own output; its holes are the page's
    return Markup(_fill_all(html))  # noqa: S704 - the block's output and fillers' safe HTML


def hole(name: str, number: int) -> Markup:
    """A place in a kept fragment or page that the filler registered under *name* fills per
    reader (*name*: lower-case letters)."""
    return Markup(f"\x00{name}:{int(number)}\x00")  # noqa: S704 - a name and a number


# -- whole pages ---------------------------------------------------------------------------

# name -> (fill, batch): fill(number) -> safe HTML, or, for a batch filler, fill(numbers) ->
# {number: safe HTML} (one query for every hole of that name on the page).
_FILLERS: dict[str, tuple[Callable, bool]] = {}


def filler(name: str, *, batch: bool = False):
    """Register the function that renders the reader's own part *name* (see ``personal``)."""

    def register(function: Callable) -> Callable:
        _FILLERS[name] = (function, batch)
        return function

    return register


def personal(name: str, number: int = 0) -> Markup:
    """For templates: the reader's own part *name* (e.g. a watch form for topic *number*).
    In a page being kept it is a hole, filled per reader; elsewhere it is rendered at once."""
    if g.get("recording_page"):
        return hole(name, number)
    return Markup(_fill_all(str(hole(name, number))))  # noqa: S704 - a filler's safe HTML


def page(kind: str, *parts: Hashable, make: Callable[[], str]) -> str:
    """The page *kind* (what it shows and how this reader sees it: *parts*), kept with the
    reader's own parts left as holes and filled for this reader. *make* renders it; it is
    called only when the page is not kept. The key adds the request's address (links carry
    it on: the language switch, "log in"), language and time zone."""
    return part("page:" + kind, request.full_path, _frame(), *parts, make=make)


def part(kind: str, *parts: Hashable, make: Callable[[], str]) -> str:
    """A piece of a page kept as ``page`` keeps a whole one: rendered with the reader's own
    parts left as holes, kept under *kind* and *parts*, and filled for this reader."""

    def record() -> Holed:
        recording = g.get("recording_page", False)
        g.recording_page = True
        try:
            return Holed(str(make()))
        finally:
            g.recording_page = recording

    return kept(kind, *parts, make=record).fill()


class Holed:
    """Kept HTML with its holes found once: the text around them, and what each one is."""

    __slots__ = ("holes", "texts", "wanted")

    def __init__(self, html: str):
        pieces = _HOLE.split(html)  # text, name, number, text, name, number, …, text
        self.texts = pieces[0::3]
        names, numbers = pieces[1::3], pieces[2::3]
        self.holes = [(name, int(number)) for name, number in zip(names, numbers, strict=True)]
        self.wanted: dict[str, list[int]] = {}
        for name, number in self.holes:
            self.wanted.setdefault(name, []).append(number)

    def fill(self) -> str:
        """The HTML with every hole filled for this reader by its filler."""
        if not self.holes:
            return self.texts[0]
        values = _fill_values(self.wanted)
        out = [self.texts[0]]
        for hole_key, text in zip(self.holes, self.texts[1:], strict=True):
            out += (values[hole_key], text)
        return "".join(out)


def _frame() -> tuple:
    """What decides how the frame of every page (base.html) looks to this reader, beyond
    their own parts: signed in or not, and the sections their role opens."""
    reader = current_reader()
    if not reader.is_authenticated:
        return ("guest",)
    return ("member", permissions.is_staff(reader), permissions.is_administrator(reader))


def _fill_all(html: str) -> str:
    if "\x00" not in html:
        return html
    return Holed(html).fill()


def _fill_values(wanted: dict[str, list[int]]) -> dict[tuple[str, int], str]:
    """Each hole's text for this reader: one call of each filler (a batch filler gets every
    number of its holes at once)."""
    values: dict[tuple[str, int], str] = {}
    for name, numbers in wanted.items():
        function, batch = _FILLERS[name]
        if batch:
            found = function(sorted(set(numbers)))
            values.update(((name, number), str(found.get(number, ""))) for number in numbers)
        else:
            values.update(((name, number), str(function(number))) for number in set(numbers))
    return values


def forget() -> None:
    """Drop this process's fragments (after a change of content: others see the counter)."""
    store = current_app.extensions.get("brain_fragments")
    if store is not None:
        store.clear()
    if has_request_context():
        g.pop("content_version", None)  # a page rendered after the commit reads it again


def init_app(app: Flask) -> None:
    app.extensions["brain_fragments"] = Fragments()
    app.jinja_env.globals.update(fragment=fragment, hole=hole, personal=personal)
