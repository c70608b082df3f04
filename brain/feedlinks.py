"""Which Atom feed a page offers besides the site's latest topics: its view names what the
page is about with :func:`offer_feed`, and every page's head lists the feeds
(``feed_links()`` in base.html, provided by the feeds blueprint, brain.feeds).

This module only records the choice for the request, so a blueprint offers its feed without
importing the feeds blueprint (which reads the forum, the Meeting Point and the members).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g

from brain.models import Board, Topic, User


@dataclass(frozen=True)
class FeedSubject:
    """What the page is about; at most one is set. *meeting_point* holds the facet values
    chosen on the Meeting Point's list (facet → values), empty when nothing is chosen."""

    board: Board | None = None
    topic: Topic | None = None
    member: User | None = None
    meeting_point: dict[str, set[str]] | None = None


def offer_feed(
    *,
    board: Board | None = None,
    topic: Topic | None = None,
    member: User | None = None,
    meeting_point: dict[str, set[str]] | None = None,
) -> None:
    """Offer the feed of *board*, *topic*, *member* or the Meeting Point (with the chosen
    filters) in this page's head. The link is shown only if a guest may read that feed."""
    g.feed_subject = FeedSubject(board, topic, member, meeting_point)


def offered() -> FeedSubject | None:
    return g.get("feed_subject")
