"""The feeds' titles, in the reader's language, and the links to the feeds a page offers in
its head (``feed_links()`` in base.html): the feed of what the page is about, when its view
offered one (brain.feedlinks) and a guest may read it, then the site's latest topics."""

from __future__ import annotations

from dataclasses import dataclass

from babel.lists import format_list
from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from brain import fragments, settings
from brain.feedlinks import offered
from brain.feeds import bp
from brain.feeds.queries import guest
from brain.forum import queries as forum_queries
from brain.meeting import filters
from brain.models import Board, Topic, User
from brain.permissions import can_read_board, can_read_topic, can_see_profile
from brain.vocabulary import meeting as catalog


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str


def language() -> str:
    return str(get_locale() or "en")


def _site() -> str:
    return settings.site_name(language())


def latest_title() -> str:
    return _("Latest topics on %(site)s", site=_site())


def board_title(board: Board) -> str:
    return _("%(board)s on %(site)s", board=board.name_in(language()), site=_site())


def topic_title(topic: Topic) -> str:
    return _("“%(topic)s” on %(site)s", topic=topic.title, site=_site())


def member_title(member: User) -> str:
    return _("Posts by %(name)s on %(site)s", name=member.display_name, site=_site())


def meeting_point_title(chosen: dict[str, set[str]]) -> str:
    """The Meeting Point's title names the chosen filters, so two filtered feeds differ."""
    labels = []
    for facet, _title in filters.FACET_TITLES:
        label = filters.NAMED_BY.get(facet) or catalog.labels(facet).__getitem__
        labels += sorted(str(label(value)) for value in chosen.get(facet, ()))
    if not labels:
        return _("Meeting Point on %(site)s", site=_site())
    return _(
        "Meeting Point on %(site)s: %(filters)s",
        site=_site(),
        filters=format_list(labels, locale=language()),
    )


def chosen_args(chosen: dict[str, set[str]]) -> dict[str, list[str]]:
    """The chosen filters as query-string arguments, in a stable order."""
    return {facet: sorted(values) for facet, values in chosen.items() if values}


def guests_read_meeting_point() -> Board | None:
    """The Meeting Point's board, if a guest may read it."""
    board = forum_queries.board_by_slug(current_app.config["MEETING_POINT_BOARD"])
    return board if board is not None and can_read_board(guest(), board) else None


def member_has_feed(member: User) -> bool:
    """A deleted account has no feed, nor one whose profile a guest may not see (waiting
    for approval)."""
    return member.deleted_at is None and can_see_profile(guest(), member)


def _link(title: str, endpoint: str, **values) -> FeedLink:
    # The page's language goes with the link: a feed reader fetches it without the cookie
    # or the browser's languages that chose it.
    return FeedLink(title, url_for(endpoint, **values, lang=language(), _external=True))


def _subject_link() -> FeedLink | None:
    subject = offered()
    if subject is None:
        return None
    if subject.board is not None and can_read_board(guest(), subject.board):
        return _link(board_title(subject.board), "feeds.board", slug=subject.board.slug)
    if subject.topic is not None and can_read_topic(guest(), subject.topic):
        return _link(topic_title(subject.topic), "feeds.topic", topic_id=subject.topic.id)
    if subject.member is not None and member_has_feed(subject.member):
        return _link(member_title(subject.member), "feeds.member", username=subject.member.username)
    chosen = subject.meeting_point
    if chosen is not None and guests_read_meeting_point() is not None:
        return _link(meeting_point_title(chosen), "feeds.meeting_point", **chosen_args(chosen))
    return None


@bp.app_template_global("feed_links")
def feed_links() -> list[FeedLink]:
    """The feeds this page offers: its own (if any), then the site's latest topics."""
    # The site's own is the same on every page (kept while the content, and so the site's
    # name, is unchanged; by address, as its link names the site's).
    links = [
        fragments.kept(
            "latest-feed-link", request.host_url, make=lambda: _link(latest_title(), "feeds.latest")
        )
    ]
    own = _subject_link()
    return links if own is None else [own, *links]
