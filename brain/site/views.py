from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from brain import fragments
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.forum import queries, unread
from brain.i18n import content_filter, supported
from brain.ops import glance, watching
from brain.ops import notifications as notification_ops
from brain.readers import current_reader
from brain.site import bp
from brain.web import not_a_page, safe_next


@bp.route("/")
def home():
    reader = current_reader()
    if reader.is_authenticated:
        # The reader's own facts the page shows, in one statement (brain.ops.glance).
        glance.take(notification_ops.bell(reader), watching.muted(reader))
    board_ids = list(queries.board_access(reader).readable)
    languages = content_filter(request.args, reader)

    def make() -> str:
        recent = queries.recent_topics(board_ids, languages=languages, reader=reader)
        return render_template(
            "home.html",
            boards=queries.with_translations(queries.readable_boards(reader)),
            stats=queries.board_stats(board_ids),
            recent=recent,
            languages=languages,
        )

    # The whole page is kept for readers who may read the same boards, in the same languages,
    # and muted the same topics (brain.fragments.page); unread marks are each reader's own.
    shown = (tuple(board_ids), tuple(languages) if languages else None)
    return fragments.page("home", *shown, unread.muted_by(reader), make=make)


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language: a cookie for everyone, the profile for members too."""
    form = ConfirmForm()
    target = safe_next(request.form.get("next"))
    choice = supported(request.form.get("lang"))
    if form.validate_on_submit() and choice:
        g.remember_locale = choice
        if current_user.is_authenticated:
            current_user.locale = choice
            db.session.commit()
    return redirect(target)


@bp.route("/favicon.ico")
@not_a_page
def favicon():
    """Browsers ask for /favicon.ico before reading a page's <link rel="icon">: send them to
    the SVG icon rather than to a 404."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/healthz")
@not_a_page
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
