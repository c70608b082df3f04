"""What a list of topics tells a member about their reading: how many posts of each topic
are new to them (one grouped query per page, whatever the number of topics), and which topics
they muted. Guests are told nothing: their pages stay the ones the page cache keeps."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import url_for
from flask_babel import get_locale, gettext, ngettext
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, select

from brain.extensions import db
from brain.models import Topic, User, Watch, WatchLevel
from brain.ops import watching
from brain.ops.reading import UNREAD_MAX, unread_counts_of
from brain.permissions import Actor
from brain.readers import itself

_MARKER = 987654321  # a topic id, for cutting the link in two around it


def _member(actor: Actor) -> User | None:
    actor = itself(actor)
    return actor if getattr(actor, "is_authenticated", False) else None


def unread_counts(actor: Actor, topic_ids: list[int]) -> dict[int, int]:
    """{topic id: posts *actor* has not read} for the listed topics that have any, counted up
    to UNREAD_MAX + 1 (more means "99+"); {} for a guest or an empty list."""
    member = _member(actor)
    if member is None or not topic_ids:
        return {}
    rows = db.session.connection().execute(*unread_counts_of(member, sorted(set(topic_ids))))
    return {topic_id: count for topic_id, count in rows if count}


def not_muted_by(actor: Actor) -> ColumnElement[bool] | None:
    """A condition on ``Topic`` leaving out what *actor* muted (the topic, or its whole
    board); None for a guest, who mutes nothing."""
    member = _member(actor)
    if member is None:
        return None
    muted = (Watch.user_id == member.id) & (Watch.level == WatchLevel.MUTED)
    return Topic.id.not_in(
        select(Watch.topic_id).where(muted, Watch.topic_id.is_not(None))
    ) & Topic.board_id.not_in(select(Watch.board_id).where(muted, Watch.board_id.is_not(None)))


def muted_by(actor: Actor) -> tuple[tuple[int | None, int | None], ...]:
    """What *actor* muted, as (topic id, board id) pairs: it decides which topics their lists
    show (``not_muted_by``), so it keys the lists kept for them."""
    member = _member(actor)
    if member is None:
        return ()
    return watching.muted_pairs(member)


@functools.lru_cache(maxsize=512)
def _wording(locale: str, count: int) -> str:
    """ "3 new" in *locale* (the request's: the translation reads it from there)."""
    if count > UNREAD_MAX:
        return escape(gettext("%(num)d+ new", num=UNREAD_MAX))
    return escape(ngettext("%(num)d new", "%(num)d new", count))


def marks(unread: dict[int, int]) -> Callable[[str, int], str]:
    """What fills a kept topic list's holes (brain.fragments) for this reader: after each
    topic, the number of its posts they have not read, linking to the first of them.

    A list holds up to 25 topics, and a member's page fills them all at each view: the link is
    built once a list and each wording once a process (url_for and a translation per topic
    cost more than the rest of filling the list)."""
    before, after = (
        escape(part) for part in url_for("forum.first_unread", topic_id=_MARKER).split(str(_MARKER))
    )
    locale = str(get_locale())

    def fill(_name: str, topic_id: int) -> str:
        count = unread.get(topic_id, 0)
        if not count:
            return ""
        words = _wording(locale, min(count, UNREAD_MAX + 1))
        # Every part is escaped, and the id is a number.
        link = f'\n<a class="unread-count" href="{before}{topic_id:d}{after}">{words}</a>'
        return Markup(link)  # noqa: S704

    return fill
