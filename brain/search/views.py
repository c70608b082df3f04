"""The search page: /search?q=…"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, time

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from brain import fragments, permissions, search, statements
from brain.extensions import db
from brain.forum import queries
from brain.i18n import content_language_codes, direction_of, list_of
from brain.models import Post, Topic, User
from brain.ops.accounts import username_key
from brain.web import (
    language_badge,
    limit_from,
    member_name,
    page_number,
    time_element,
)

bp = Blueprint("search", __name__)
_MARKER = 987654321  # a post id, for cutting a permalink in two around it


def _date(name: str, end_of_day: bool = False) -> tuple[datetime | None, str | None]:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    try:
        day = datetime.strptime(raw[:10], "%Y-%m-%d").date()
    except ValueError:
        return None, _("Dates are written as year-month-day, for example 2026-03-31.")
    moment = datetime.combine(day, time.max if end_of_day else time.min)
    return moment.replace(tzinfo=None), None


@bp.route("/search")
@limit_from("RATELIMIT_SEARCH", methods=("GET",), exempt_when=lambda: not request.args.get("q"))
def search_page():
    text = request.args.get("q", "")
    # Read first: the page is kept under the counter, and what it shows is read after it.
    fragments.content_version()
    access = queries.board_access(current_user)
    readable_ids, unreadable_ids = list(access.readable), list(access.unreadable)
    problems = []
    board_id = access.by_slug.get(request.args.get("board", ""))
    language = request.args.get("language", "")
    if language not in content_language_codes():
        language = ""
    author = request.args.get("author", "").strip()[:64]
    since, problem = _date("from")
    problems += [problem] if problem else []
    until, problem = _date("to", end_of_day=True)
    problems += [problem] if problem else []
    newest = request.args.get("sort") == "newest"
    page = page_number()

    results, status = None, 200
    if text.strip():
        filters = search.Filters(
            board_ids=[board_id] if board_id else None,
            language=language or None,
            author_key=username_key(author) if author else None,
            since=since,
            until=until,
        )
        try:
            results = search.search(
                text,
                readable_ids,
                filters,
                page=page,
                newest_first=newest,
                unreadable_board_ids=unreadable_ids,
            )
        except search.SearchUnavailable as problem:
            # Logged by the search module; the page says so and keeps the form filled in.
            # 503: the failure is ours and passing, and monitoring should see it.
            problems.append(str(problem))
            status = 503
    hits = results.hits if results else []
    g.search_excerpts = {hit.post_id: hit.excerpt for hit in hits}
    # The page below the title is the same for every reader who may read the same boards and
    # is shown the same hits: it is kept by what it shows (the address holds the words and
    # filters; the index's answer and the reader's boards are added), with a hole for each
    # excerpt, which is filled from the index at every request. The posts are loaded only
    # when it is not kept: the content counter vouches that their visibility is unchanged.
    kept_as = (
        request.query_string.decode("utf-8", "replace"),
        tuple(readable_ids),
        tuple(hit.post_id for hit in hits),
        (results.total, results.estimated, results.pages) if results else None,
        tuple(map(str, problems)),
    )

    def make() -> str:
        boards = queries.board_names(current_user)
        return render_template(
            "search/results.html",
            text=text,
            boards=boards,  # the board filter names every one
            board_ids=tuple(b.id for b in boards),  # (a filter in the template cost more)
            board=next((b for b in boards if b.id == board_id), None),
            language=language,
            author=author,
            date_from=request.args.get("from", "")[:10],
            date_to=request.args.get("to", "")[:10],
            newest=newest,
            results=results,
            kept_as=kept_as,
            load_listing=lambda: _listing(hits, readable_ids, boards),
            problems=problems,
        )

    # The whole page is kept the same way, with the reader's own parts (the header's account
    # menu, tokens) and the excerpts left as holes (brain.fragments.page).
    return fragments.page("search", *kept_as, make=make), status


_BDI = Markup('<bdi class="{}" lang="{}" dir="{}">{}</bdi>')


def _bdi(kind: str, language: str, term: str) -> Markup:
    return _BDI.format(kind, language, direction_of(language), term)


@functools.lru_cache(maxsize=1024)
def _expansion_lists(
    locale: str, page_lang: str, equivalents: tuple, narrower: tuple
) -> tuple[Markup, Markup]:
    """One expansion's lists, in the reader's language: its equivalents, each isolated in
    its own language and direction (an Arabic term in a French page keeps its place), and
    the narrower ideas, each named in the page's language when it can be. Kept: the same
    concepts come back with every search for them, and a concept has dozens of terms."""
    shown = [_bdi("equivalent", language, term) for language, term in equivalents]
    names = [dict(items) for items in narrower]
    chosen = [page_lang if page_lang in each else next(iter(each)) for each in names]
    ideas = [
        _bdi("narrower", language, each[language])
        for each, language in zip(names, chosen, strict=True)
    ]
    return list_of(shown), list_of(ideas)


@bp.app_template_global()
def expansion_lists(expansion, page_lang: str) -> tuple[Markup, Markup]:
    return _expansion_lists(
        str(get_locale() or "en"),
        page_lang,
        tuple(expansion.equivalents),
        tuple(tuple(each.items()) for each in expansion.narrower),
    )


@fragments.filler("searchtext")
def _words_searched(_number: int) -> Markup:
    """The words in the search box: the kept form is shared by every search with the same
    filters."""
    return escape(request.args.get("q", ""))


@fragments.filler("excerpt")
def _excerpt_of(post_id: int) -> Markup:
    """A hit's excerpt, a hole in the kept page: made from the index's text of the post for
    the words searched, it is not covered by the content counter."""
    return g.search_excerpts[post_id]


def _listing(hits: list[search.Hit], readable_ids: list[int], boards: list) -> list[Markup]:
    """The list of hits, read when the page is not kept: one piece of markup per hit."""
    return _load(hits, readable_ids, {board.id: board.link for board in boards})


# A hit in the list. Written here rather than in the template: the template escaped each of a
# hit's ten values in turn, and a list of twenty was a fifth of the page a new search costs.
# Its parts: the post's language, the topic's title linked to the post (in the title's own
# language), the excerpt (a hole: the excerpt is the search's, brain.fragments), and the
# author (isolated: any script reads right), the board and when the post was written.
_HIT = (
    '<li class="hit">{badge}\n'
    '<a class="hit-title" href="{address}" lang="{topic_language}" dir="auto">{title}</a>\n'
    '<p class="excerpt" lang="{language}" dir="{direction}">{excerpt}</p>\n'
    '<p class="meta"><bdi>{author}</bdi> · {board} · {written}</p></li>\n'
)


# Built once: building the statement cost more than running it. The post ids are named
# one by one, as many as a page shows (brain.statements), and the boards are checked on the
# rows: an IN list of a length known only when it runs is written out again at every run,
# which was half of the statement's cost.
_SHOWN = (
    select(
        Post.id,
        Post.language,
        Post.created_at,
        Topic.title,
        Topic.language.label("topic_language"),
        Topic.board_id,
        User.display_name,
        User.deleted_at,
    )
    .join(Post.topic)
    .join(Post.author)
    .where(statements.in_named(Post.id, "post", search.PER_PAGE), permissions.public_post_clause())
)


def _load(
    hits: list[search.Hit], readable_board_ids: list[int], board_links: dict[int, Markup]
) -> list[Markup]:
    """The posts behind the hits, in the hits' order, as the database has them now: the index
    follows writes a moment later, so each hit passes the visibility rule again here (a topic
    hidden a millisecond ago is not shown). One query of the few columns shown: loading whole
    posts, topics and authors as objects cost more than the rest of the list. *board_links*:
    each readable board's link."""
    if not hits:
        return []
    # Through the session's connection: the columns need none of the ORM's work on the
    # rows, which was half the cost of the statement.
    post_ids = [hit.post_id for hit in hits]
    found = {}
    readable = set(readable_board_ids)
    for first in range(0, len(post_ids), search.PER_PAGE):
        some = post_ids[first : first + search.PER_PAGE]
        rows = db.session.connection().execute(
            _SHOWN, statements.values("post", some, search.PER_PAGE)
        )
        found.update((row.id, row) for row in rows.all() if row.board_id in readable)
    address = _post_address()
    locale, zone, now = str(get_locale() or "en"), get_timezone(), datetime.now(UTC)
    shown = []
    for hit in hits:
        row = found.get(hit.post_id)
        if row is None:
            continue
        item = _HIT.format(
            badge=language_badge(row.language, locale),
            address=address(row.id),
            topic_language=escape(row.topic_language),
            title=escape(row.title),
            language=escape(row.language),
            direction=direction_of(row.language),
            excerpt=fragments.hole("excerpt", row.id),
            author=escape(member_name(row)),
            board=board_links[row.board_id],
            written=time_element(row.created_at, locale, zone, now),
        )
        shown.append(Markup(item))  # noqa: S704 - each value escaped or markup above
    return shown


def _post_address() -> Callable[[int], str]:
    """A post's permalink by formatting: url_for for each of twenty hits was a tenth of the
    page."""
    before, after = url_for("forum.permalink", post_id=_MARKER).split(str(_MARKER), 1)
    return lambda post_id: f"{before}{post_id}{after}"
