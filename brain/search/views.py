"""The search page: /search?q=…"""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from brain import permissions, search
from brain.extensions import db
from brain.forum import queries
from brain.i18n import content_language_codes
from brain.models import Post, Topic
from brain.ops.accounts import username_key
from brain.web import limit_from, page_number

bp = Blueprint("search", __name__)


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
    boards, unreadable_ids = queries.boards_by_access(current_user)
    readable_ids = [board.id for board in boards]
    problems = []
    board_slug = request.args.get("board", "")
    board = next((b for b in boards if b.slug == board_slug), None)
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

    results, posts, status = None, [], 200
    if text.strip():
        filters = search.Filters(
            board_ids=[board.id] if board else None,
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
        else:
            posts = _load(results.hits, readable_ids)
    return (
        render_template(
            "search/results.html",
            text=text,
            boards=boards,
            board=board,
            language=language,
            author=author,
            date_from=request.args.get("from", "")[:10],
            date_to=request.args.get("to", "")[:10],
            newest=newest,
            results=results,
            posts=posts,
            problems=problems,
        ),
        status,
    )


def _load(hits: list[search.Hit], readable_board_ids: list[int]) -> list[tuple[Post, object]]:
    """The posts behind the hits, in the hits' order, as the database has them now: the index
    follows writes a moment later, so each hit passes the visibility rule again here (a topic
    hidden a millisecond ago is not shown)."""
    if not hits:
        return []
    found = {
        post.id: post
        for post in db.session.scalars(
            select(Post)
            .join(Post.topic)
            .options(joinedload(Post.author), contains_eager(Post.topic).joinedload(Topic.board))
            .where(
                Post.id.in_([hit.post_id for hit in hits]),
                permissions.public_post_clause(readable_board_ids),
            )
        )
    }
    return [(found[hit.post_id], hit.excerpt) for hit in hits if hit.post_id in found]
