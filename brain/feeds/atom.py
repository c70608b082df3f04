"""Writing an Atom 1.0 document with feedgen: the feed's header, and one entry per post.

An entry's id is the post's permalink (stable whatever happens to the topic's title), its
``updated`` the post's last edit, its content the post's HTML as sanitised when it was
written, and its ``xml:lang`` the post's language (the feed's own is the reader's interface
language).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from flask import url_for
from flask_babel import gettext as _

from brain.models import Post
from brain.web import member_name

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The feed's date when it has no entries: a constant, so an empty feed keeps its ETag.
NO_ENTRIES = datetime(2010, 1, 1, tzinfo=UTC)


class _EntryLanguage(BaseEntryExtension):
    """Sets ``xml:lang`` on an entry (feedgen sets it on the feed only)."""

    def __init__(self):
        self.code: str | None = None

    def extend_atom(self, entry):
        if self.code:
            entry.attrib[XML_LANG] = self.code
        return entry


@dataclass
class FeedHeader:
    """What describes a feed: *page* is the address of the page it follows, *self_url* its
    own (with the language asked for), *feed_id* the one that stays the same."""

    title: str
    page: str
    self_url: str
    feed_id: str
    language: str
    subtitle: str = ""


def _updated(post: Post) -> datetime:
    return post.edited_at or post.created_at


def _entry_title(post: Post) -> str:
    if post.id == post.topic.first_post_id:
        return post.topic.title
    return _("Re: %(topic)s", topic=post.topic.title)


def _entry_link(post: Post) -> str:
    topic = post.topic
    if post.id == topic.first_post_id:
        return url_for("forum.topic", topic_id=topic.id, slug=topic.slug, _external=True)
    return url_for("forum.permalink", post_id=post.id, _external=True)


def atom_document(header: FeedHeader, posts: list[Post], categories=None) -> bytes:
    """The Atom document of *posts* (newest first). *categories*, if given, returns the
    (term, label) pairs of a post's categories; by default, its board."""
    feed = FeedGenerator()
    feed.register_extension("entry_language", BaseExtension, _EntryLanguage, rss=False)
    feed.id(header.feed_id)
    feed.title(header.title)
    if header.subtitle:
        feed.subtitle(header.subtitle)
    feed.link(href=header.page, rel="alternate", type="text/html")
    feed.link(href=header.self_url, rel="self", type="application/atom+xml")
    feed.language(header.language)
    feed.generator("Collective Brain")
    feed.updated(max((_updated(post) for post in posts), default=NO_ENTRIES))
    for post in posts:
        entry = feed.add_entry(order="append")
        permalink = url_for("forum.permalink", post_id=post.id, _external=True)
        entry.id(permalink)
        entry.title(_entry_title(post))
        entry.link(href=_entry_link(post), rel="alternate", type="text/html")
        entry.published(post.created_at)
        entry.updated(_updated(post))
        author = {"name": member_name(post.author)}
        if post.author.deleted_at is None:
            author["uri"] = url_for(
                "members.profile", username=post.author.username, _external=True
            )
        entry.author(author)
        entry.content(post.body_html, type="html")
        for term, label in (categories or _board_category)(post, header.language):
            entry.category(term=term, label=label)
        entry.entry_language.code = post.language
    return feed.atom_str(pretty=False)


def _board_category(post: Post, language: str) -> list[tuple[str, str]]:
    board = post.topic.board
    return [(board.slug, board.name_in(language))]
