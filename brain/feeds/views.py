"""The feeds: the latest topics, a board's, a topic's, the Meeting Point's and a member's.

Every feed holds what a guest may read, whoever asks (feed readers come without cookies), in
the interface language chosen as for pages (?lang=, the cookie, Accept-Language). What a
guest may not read — a board for members only, a hidden topic, an account waiting for
approval or deleted — has no feed: 404, as for something that does not exist, so a feed
never tells that members-only content is there. Unknown Meeting Point filters are ignored,
as on its page.
"""

from __future__ import annotations

from flask import Response, g, request, url_for
from flask_babel import gettext as _

from brain import settings
from brain.extensions import db
from brain.feeds import bp, links, queries
from brain.feeds.atom import FeedHeader, atom_document
from brain.forum import queries as forum_queries
from brain.meeting import filters
from brain.meeting.queries import Selection
from brain.members import queries as member_queries
from brain.models import Post, Topic
from brain.permissions import can_read_board, can_read_topic
from brain.vocabulary import meeting as catalog
from brain.web import fail, not_a_page

ATOM = "application/atom+xml; charset=utf-8"
MAX_AGE = 300  # seconds a reader or a proxy may keep a feed before asking again


@bp.after_request
def _remember_nothing(response: Response) -> Response:
    """A feed answers programs: it sets no cookie (?lang= is not remembered, as it is for a
    page), so proxies and the guests' page cache may keep it."""
    g.pop("remember_locale", None)
    return response


def _header(title: str, page: str, endpoint: str, subtitle: str = "", **values) -> FeedHeader:
    language = links.language()
    return FeedHeader(
        title=title,
        page=page,
        # The feed in this language is this address; it is the same feed in any language.
        self_url=url_for(endpoint, **values, lang=language, _external=True),
        feed_id=url_for(endpoint, **values, _external=True),
        language=language,
        subtitle=subtitle,
    )


def _atom(document: bytes) -> Response:
    """The feed, with a validator (ETag) so a reader that has it gets a 304."""
    response = Response(document, content_type=ATOM)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    # The language follows these (brain.i18n.select_locale).
    response.vary.update(("Accept-Language", "Cookie"))
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/latest.atom")
@not_a_page
def latest():
    language = links.language()
    header = _header(
        links.latest_title(),
        url_for("site.home", _external=True),
        "feeds.latest",
        subtitle=settings.site_description(language)
        or _("The newest topics of the boards everyone may read."),
    )
    posts = queries.latest_topics(queries.public_board_ids())
    return _atom(atom_document(header, posts))


@bp.route("/b/<slug>.atom")
@not_a_page
def board(slug: str):
    board = forum_queries.board_by_slug(slug)
    if board is None or not can_read_board(queries.guest(), board):
        fail(404, _("There is no board at this address."))
    header = _header(
        links.board_title(board),
        url_for("forum.board", slug=board.slug, _external=True),
        "feeds.board",
        subtitle=board.description_in(links.language()),
        slug=board.slug,
    )
    return _atom(atom_document(header, queries.latest_topics([board.id])))


@bp.route("/t/<id:topic_id>.atom")
@not_a_page
def topic(topic_id: int):
    topic = db.session.get(Topic, topic_id)
    if topic is None or not can_read_topic(queries.guest(), topic):
        fail(404, _("There is no topic at this address. It may have been removed."))
    header = _header(
        links.topic_title(topic),
        url_for("forum.topic", topic_id=topic.id, slug=topic.slug, _external=True),
        "feeds.topic",
        subtitle=topic.board.name_in(links.language()),
        topic_id=topic.id,
    )
    return _atom(atom_document(header, queries.topic_posts(topic, [topic.board_id])))


@bp.route("/meeting-point.atom")
@not_a_page
def meeting_point():
    board = links.guests_read_meeting_point()
    if board is None:
        fail(404, _("There is no board at this address."))
    chosen = filters.chosen_in(request.args)
    chosen_args = links.chosen_args(chosen)
    header = _header(
        links.meeting_point_title(chosen),
        url_for("meeting.home", **chosen_args, _external=True),
        "feeds.meeting_point",
        subtitle=_(
            "South-South and triangular cooperation on the Social and Solidarity Economy: "
            "offers, requests and experiences, matched among members."
        ),
        **chosen_args,
    )
    posts = queries.cooperation_posts(Selection(chosen=chosen), [board.id])
    return _atom(atom_document(header, posts, _cooperation_categories))


def _cooperation_categories(post: Post, language: str) -> list[tuple[str, str]]:
    cooperation = post.topic.cooperation
    return [
        (cooperation.kind, catalog.labels_in(language, "kind").get(cooperation.kind, "")),
        (cooperation.status, catalog.labels_in(language, "status").get(cooperation.status, "")),
    ]


@bp.route("/u/<username>.atom")
@not_a_page
def member(username: str):
    member = member_queries.member_named(username)
    if member is None or not links.member_has_feed(member):
        fail(404, _("There is no member with that name."))
    header = _header(
        links.member_title(member),
        url_for("members.profile", username=member.username, _external=True),
        "feeds.member",
        username=member.username,
    )
    return _atom(atom_document(header, queries.member_posts(member.id, queries.public_board_ids())))
