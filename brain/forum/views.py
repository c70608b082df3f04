from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from brain import markup, permissions
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.forum import bp, queries
from brain.forum.forms import EditForm, EditOpeningForm, ReplyForm, TopicForm
from brain.i18n import content_filter, content_language_codes
from brain.models import Board, Post, PostRevision, Topic
from brain.ops import posts as post_ops
from brain.ops.errors import OperationError
from brain.ops.text import parse_count
from brain.web import (
    commit_once,
    created,
    earlier_submission,
    fail,
    form_field,
    limit_from,
    page_number,
    posting_key,
)

MAX_PAGE = 100_000


def _page_arg() -> int:
    return page_number(MAX_PAGE)


def readable_board(slug: str) -> Board:
    board = db.session.scalar(select(Board).where(Board.slug == slug[:64]))
    if board is None:
        fail(404, _("There is no board at this address."))
    if not permissions.can_read_board(current_user, board):
        if not current_user.is_authenticated:
            abort(current_app.login_manager.unauthorized())
        fail(403, _("This board is for members only."))
    return board


def readable_topic(topic_id: int) -> Topic:
    # Meeting Point details come in the same query (None for an ordinary topic).
    topic = db.session.get(Topic, topic_id, options=[joinedload(Topic.cooperation)])
    if topic is None:
        fail(404, _("There is no topic at this address. It may have been removed."))
    if not permissions.can_read_board(current_user, topic.board):
        if not current_user.is_authenticated:
            abort(current_app.login_manager.unauthorized())
        fail(403, _("This topic is in a board for members only."))
    if not permissions.can_read_topic(current_user, topic):
        fail(404, _("There is no topic at this address. It may have been removed."))
    return topic


def _readable_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        fail(404, _("There is no post at this address."))
    readable_topic(post.topic_id)
    return post


def default_language() -> str:
    locale = str(get_locale() or "en")
    return locale if locale in content_language_codes() else "en"


def _preview_of(form) -> str | None:
    """Rendered preview when the Preview button was pressed and the text is valid."""
    if not form.preview.data:
        return None
    try:
        return post_ops.render_body(form.body.data or "")
    except OperationError as problem:
        form.body.errors = [*form.body.errors, str(problem)]
        return None


@bp.route("/b/<slug>")
def board(slug: str):
    board = readable_board(slug)
    page = _page_arg()
    languages = content_filter(request.args, current_user)
    listing = queries.board_topics(
        board,
        page,
        current_app.config["TOPICS_PER_PAGE"],
        languages,
        include_hidden=permissions.moderates(current_user, board),
    )
    return render_template(
        "forum/board.html",
        board=board,
        listing=listing,
        languages=languages,
        can_start=permissions.can_start_topic(current_user, board),
    )


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_POSTING", key_func=posting_key, deduct_when=created)
def new_topic(slug: str):
    board = readable_board(slug)
    if not permissions.can_start_topic(current_user, board):
        fail(403, _("You cannot start topics in this board."))
    form = TopicForm()
    if request.method == "GET":
        form.language.data = default_language()
    preview = None
    if form.validate_on_submit():
        preview = _preview_of(form)
        if not form.preview.data and (earlier := earlier_submission(form)):
            return earlier
        if not form.preview.data:
            try:
                topic = post_ops.start_topic(
                    board, current_user, form.title.data, form.body.data, form.language.data
                )
            except OperationError as problem:
                form_field(form, problem).errors.append(str(problem))
            else:
                first_post_id = topic.first_post_id
                shown = commit_once(form, first_post_id)
                if shown != first_post_id:
                    return redirect(url_for("forum.permalink", post_id=shown))
                return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug))
    return render_template("forum/new_topic.html", board=board, form=form, preview=preview)


@bp.route("/t/<id:topic_id>")
@bp.route("/t/<id:topic_id>-<slug>")
def topic(topic_id: int, slug: str | None = None):
    topic = readable_topic(topic_id)
    flat = request.args.get("view") == "flat"
    page = _page_arg()
    if slug != topic.slug:
        args = {k: v for k, v in request.args.items() if k in ("page", "view")}
        return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug, **args), 301)
    per_page = current_app.config["POSTS_PER_PAGE"]
    thread = queries.topic_page(topic, page, per_page, flat)
    if thread is None:
        fail(404, _("This topic has no page %(page)d.", page=page))
    form = None
    if permissions.can_reply(current_user, topic):
        form = ReplyForm(formdata=None)
        form.language.data = topic.language
    from brain.meeting import panel

    return render_template(
        "forum/topic.html",
        topic=topic,
        thread=thread,
        cooperation_panel=panel(topic) if thread.page == 1 else None,
        form=form,
        action_form=ConfirmForm() if current_user.is_authenticated else None,
        can_reply=permissions.can_reply(current_user, topic),
        permissions=permissions,
    )


@bp.route("/p/<id:post_id>")
def permalink(post_id: int):
    post = _readable_post(post_id)
    flat = request.args.get("view") == "flat"
    page = queries.post_page(post, current_app.config["POSTS_PER_PAGE"], flat)
    args = {"view": "flat"} if flat else {}
    if page > 1:
        args["page"] = page
    topic = post.topic
    return redirect(
        url_for("forum.topic", topic_id=topic.id, slug=topic.slug, **args) + f"#p{post.id}"
    )


@bp.route("/p/<id:post_id>/reply", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_POSTING", key_func=posting_key, deduct_when=created)
def reply(post_id: int):
    parent = _readable_post(post_id)
    topic = parent.topic
    if parent.is_deleted:
        fail(404, _("That post was deleted; reply to the topic instead."))
    # The one visibility rule: a post whose text the member may not see cannot be shown,
    # quoted or answered here either.
    if not permissions.can_read_post(current_user, parent):
        fail(404, _("There is no post at this address."))
    if not permissions.can_reply(current_user, topic):
        fail(403, _("You cannot reply in this topic."))
    if not permissions.can_reply_to(current_user, parent):
        fail(403, _("This post is hidden by a moderator and cannot be answered."))
    form = ReplyForm()
    if request.method == "GET":
        form.language.data = default_language() if parent.is_opening else parent.language
        if request.args.get("quote"):
            form.body.data = markup.quote(parent.body_source, parent.author.username)
    preview = None
    if form.validate_on_submit():
        preview = _preview_of(form)
        if not form.preview.data and (earlier := earlier_submission(form)):
            return earlier
        if not form.preview.data:
            try:
                post = post_ops.reply(parent, current_user, form.body.data, form.language.data)
            except OperationError as problem:
                form.body.errors = [*form.body.errors, str(problem)]
            else:
                shown = commit_once(form, post.id)
                return redirect(url_for("forum.permalink", post_id=shown))
    return render_template(
        "forum/reply.html", topic=topic, parent=parent, form=form, preview=preview
    )


@bp.route("/p/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = _readable_post(post_id)
    if not permissions.can_edit(current_user, post):
        fail(403, _("You can only edit your own posts."))
    topic = post.topic
    form_class = EditOpeningForm if post.is_opening else EditForm
    form = form_class()
    if request.method == "GET":
        form.body.data, form.language.data = post.body_source, post.language
        form.version.data = str(post.version)
        if post.is_opening:
            form.title.data = topic.title
    preview = None
    if form.validate_on_submit():
        preview = _preview_of(form)
        started_from = parse_count(form.version.data)
        if started_from is not None and started_from != post.version:
            return _edit_conflict(post, form)
        if not form.preview.data:
            try:
                post_ops.edit_post(post, current_user, form.body.data, form.language.data)
                if post.is_opening:
                    post_ops.edit_title(topic, form.title.data)
                db.session.commit()
            except OperationError as problem:
                db.session.rollback()
                form_field(form, problem).errors.append(str(problem))
            except StaleDataError:
                # Another edit of this post was saved between our reading and our writing.
                db.session.rollback()
                return _edit_conflict(db.session.get(Post, post_id), form)
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template("forum/edit.html", topic=topic, post=post, form=form, preview=preview)


def _edit_conflict(post: Post, form):
    """The post changed while the member was editing: their text stays in the form, the
    current version is shown beside it, and saving again replaces it knowingly."""
    form.version.data = str(post.version)
    return render_template(
        "forum/edit.html", topic=post.topic, post=post, form=form, preview=None, conflict=True
    ), 409


@bp.route("/p/<id:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete(post_id: int):
    post = _readable_post(post_id)
    if not permissions.can_delete(current_user, post):
        fail(403, _("You can only delete your own posts."))
    form = ConfirmForm()
    if form.validate_on_submit():
        post_ops.delete_post(post)
        db.session.commit()
        flash(_("The post was deleted."), "info")
        return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template("forum/delete.html", topic=post.topic, post=post, form=form)


@bp.route("/p/<id:post_id>/revisions")
@login_required
def revisions(post_id: int):
    post = _readable_post(post_id)
    if not permissions.can_see_revisions(current_user, post):
        fail(403, _("Only the author and moderators can see earlier versions."))
    history = db.session.scalars(
        select(PostRevision)
        .options(joinedload(PostRevision.editor))
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.replaced_at.desc(), PostRevision.id.desc())
    ).all()
    return render_template("forum/revisions.html", topic=post.topic, post=post, history=history)
