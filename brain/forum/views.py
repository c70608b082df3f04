from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from brain import fragments, markup, permissions
from brain.extensions import db
from brain.feedlinks import offer_feed
from brain.forms import ConfirmForm
from brain.forum import bp, queries, unread
from brain.forum.forms import EditForm, EditOpeningForm, ReplyForm, TopicForm
from brain.forum.lookup import (
    readable_board,
    readable_board_facts,
    readable_post,
    readable_topic,
    readable_topic_facts,
)
from brain.i18n import content_filter, default_content_language
from brain.models import Post
from brain.ops import glance, notifications, reading, watching
from brain.ops import posts as post_ops
from brain.ops import uploads as upload_ops
from brain.ops.errors import OperationError, require
from brain.ops.submissions import new_token
from brain.ops.text import parse_count
from brain.permissions import Why
from brain.readers import current_reader
from brain.web import (
    commit_once,
    created,
    csrf_value,
    earlier_submission,
    fail,
    limit_from,
    page_number,
    posting_key,
    refusals_on,
)

MAX_PAGE = 100_000

# The reader's own parts of the forum's kept pages (brain.fragments.personal).


@fragments.filler("owner")
def _owner(_number: int) -> str:
    """Whose drafts the writing kit keeps (forum/_toolbar.html)."""
    return str(current_user.id) if current_user.is_authenticated else ""


# ReplyForm(formdata=None).hidden_tag(), without building the form on every page (a test
# compares the two).
_REPLY_HIDDEN_FIELDS = Markup(
    '<input id="attached" name="attached" type="hidden" value="">\n'
    '<input id="submission" name="submission" type="hidden" value="{submission}">\n'
    '<input id="csrf_token" name="csrf_token" type="hidden" value="{csrf}">'
)


@fragments.filler("replyform")
def reply_form_tokens(_number: int) -> str:
    """The reply box's hidden fields: this reader's CSRF token and a new submission token."""
    return _REPLY_HIDDEN_FIELDS.format(submission=new_token(), csrf=csrf_value())


# The unread marks in topic lists kept as fragments (board.html, home.html).
@fragments.filler("unread", batch=True)
def _unread_marks(topic_ids: list[int]) -> dict[int, str]:
    fill = unread.marks(unread.unread_counts(current_user, topic_ids))
    return {topic_id: fill("unread", topic_id) for topic_id in topic_ids}


def _page_arg() -> int:
    return page_number(MAX_PAGE)


def _preview_of(form) -> str | None:
    """Rendered preview when the Preview button was pressed and the text is valid."""
    if not form.preview.data:
        return None
    try:
        return post_ops.render_body(form.body.data or "")
    except OperationError as problem:
        form.body.errors = [*form.body.errors, str(problem)]
        return None


def _hold_files(form) -> None:
    """Files sent with a preview are stored at once (a browser cannot send them again);
    the form carries their keys on to the post."""
    if form.preview.data:
        with refusals_on(form, upload_ops.FIELD):
            form.attached.data = upload_ops.hold(current_user, form.files.data, form.attached.data)
            db.session.commit()


def _no_files_sent() -> bool:
    return not any(f.filename for f in request.files.getlist("files"))


@bp.route("/b/<slug>")
def board(slug: str):
    # What deciding needs, without the board itself: a kept page loads nothing more.
    board = readable_board_facts(slug)
    reader = current_reader()
    start_refusal = permissions.why_not_start_topic(reader, board)
    page = _page_arg()
    languages = content_filter(request.args, reader)
    moderator = permissions.moderates(reader, board)
    if reader.is_authenticated:
        glance.take(notifications.bell(reader), watching.choice(reader, board=board))
    # What decides this reader's view of the list (the key of the kept fragment).
    viewer = (
        tuple(languages) if languages else None,
        tuple(request.args.getlist("only")),  # the pages' links carry it on
        moderator,
    )

    def make() -> str:
        whole = queries.board_by_slug(slug)
        offer_feed(board=whole)
        listing = queries.kept_board_topics(
            whole,
            page,
            current_app.config["TOPICS_PER_PAGE"],
            languages,
            include_hidden=moderator,
        )
        return render_template(
            "forum/board.html",
            board=whole,
            listing=listing,
            viewer=viewer,
            languages=languages,
            can_start=start_refusal is None,
            start_refusal=start_refusal,
        )

    refusal = None if start_refusal is None else (start_refusal.why, str(start_refusal))
    return fragments.page("board", board.id, page, viewer, refusal, make=make)


@bp.route("/b/<slug>/mark-read", methods=["POST"])
@login_required
def mark_board_read(slug: str):
    board = readable_board(slug)
    if ConfirmForm().validate_on_submit():
        reading.mark_board_read(current_user, board)
        db.session.commit()
        flash(_("Every topic in this board is marked as read."), "success")
    return redirect(url_for("forum.board", slug=board.slug))


@bp.route("/mark-all-read", methods=["POST"])
@login_required
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        reading.mark_all_read(current_user)
        db.session.commit()
        flash(_("Everything is marked as read."), "success")
    return redirect(url_for("site.home"))


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_POSTING", key_func=posting_key, deduct_when=created)
@limit_from("RATELIMIT_UPLOAD", key_func=posting_key, exempt_when=_no_files_sent)
def new_topic(slug: str):
    board = readable_board(slug)
    require(permissions.why_not_start_topic(current_user, board))
    form = TopicForm()
    if request.method == "GET":
        form.language.data = default_content_language()
    preview = None
    if form.validate_on_submit():
        preview = _preview_of(form)
        _hold_files(form)
        if not form.preview.data and (earlier := earlier_submission(form)):
            return earlier
        if not form.preview.data:
            with refusals_on(form) as attempt:
                topic = post_ops.start_topic(
                    board, current_user, form.title.data, form.body.data, form.language.data
                )
                first_post_id = topic.first_post_id
                upload_ops.attach(
                    db.session.get(Post, first_post_id),
                    current_user,
                    form.files.data,
                    form.attached.data,
                )
                shown = commit_once(form, first_post_id)
            if attempt.done and shown != first_post_id:
                return redirect(url_for("forum.permalink", post_id=shown))
            if attempt.done:
                return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug))
    return render_template("forum/new_topic.html", board=board, form=form, preview=preview)


@bp.route("/t/<id:topic_id>")
@bp.route("/t/<id:topic_id>-<slug>")
def topic(topic_id: int, slug: str | None = None):
    # What deciding needs, without the topic itself: a kept page loads nothing more.
    topic = readable_topic_facts(topic_id)
    reader = current_reader()
    flat = request.args.get("view") == "flat"
    page = _page_arg()
    if slug != topic.slug:
        args = {k: v for k, v in request.args.items() if k in ("page", "view")}
        return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug, **args), 301)
    per_page = current_app.config["POSTS_PER_PAGE"]
    offer_feed(topic=topic)
    thread = queries.kept_topic_page(topic, page, per_page, flat)
    if thread is None:
        fail(404, _("This topic has no page %(page)d.", page=page))
    marked = False
    shown = thread.post_ids
    if reader.is_authenticated and shown:
        # What the page shows and marks of the reader's own, in one statement.
        glance.take(
            reading.read_mark(reader, topic.id),
            notifications.unread_about(reader, shown),
            notifications.bell(reader),
            watching.choice(reader, topic=topic),
        )
        marked = reading.mark_topic_read(reader, topic, max(shown))
        marked = notifications.mark_read(reader, shown) or marked
    reply_refusal = permissions.why_not_reply(reader, topic)
    # What decides this reader's view of the posts (the key of the kept fragment).
    viewer = _viewer(reader, topic, thread, reply_refusal is None)

    def make() -> str:
        whole = queries.topic_with_cooperation(topic_id)
        form = None
        if reply_refusal is None:
            form = ReplyForm(formdata=None)
            form.language.data = whole.language
        return render_template(
            "forum/topic.html",
            topic=whole,
            thread=thread,
            viewer=viewer,
            form=form,
            can_reply=reply_refusal is None,
            reply_refusal=reply_refusal,
        )

    # The whole page is kept for readers who see it alike; the reply box's notice too.
    refusal = None if reply_refusal is None else (reply_refusal.why, str(reply_refusal))
    page_html = fragments.page("topic", topic.id, page, flat, viewer, refusal, make=make)
    if marked:
        # After rendering: a commit expires every loaded object, and the page would load
        # each post again.
        db.session.commit()
    return page_html


def _viewer(reader, topic, thread, can_reply: bool) -> tuple:
    """Everything about the reader that changes how the posts of a topic page look (links to
    reply, edit, delete, report, moderate; hidden posts' text): the posts' fragment is kept
    per distinct value. Being the author of a post counts, so a member's own posts on the
    page are named."""
    if not reader.is_authenticated:
        return ("guest",)
    own = tuple(post_id for post_id, author_id in thread.authors if author_id == reader.id)
    return (
        "member",
        permissions.why_not_act(reader) is None,
        permissions.moderates(reader, topic.board),
        can_reply,
        own,
    )


@bp.route("/t/<id:topic_id>/unread")
def first_unread(topic_id: int):
    """The member's first unread post of the topic; when there is none, its newest post."""
    topic = readable_topic(topic_id)
    post_id = None
    if current_user.is_authenticated:
        post_id = reading.first_unread_post_id(current_user, topic)
    post_id = post_id or topic.last_post_id
    if post_id is None:
        return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug))
    return redirect(url_for("forum.permalink", post_id=post_id))


@bp.route("/p/<id:post_id>")
def permalink(post_id: int):
    post = readable_post(post_id)
    flat = request.args.get("view") == "flat"
    page = queries.post_page(post, current_app.config["POSTS_PER_PAGE"], flat)
    args = {"view": "flat"} if flat else {}
    if page > 1:
        args["page"] = page
    topic = post.topic
    return redirect(
        url_for("forum.topic", topic_id=topic.id, slug=topic.slug, **args) + f"#p{post.id}"
    )


@bp.route("/p/<id:post_id>/thread")
def subthread(post_id: int):
    """A post and the replies below it, as a tree of their own: where "continue this
    thread" leads when a phone cannot show the conversation any deeper."""
    root = readable_post(post_id)
    topic = root.topic
    thread = queries.subthread_page(root, _page_arg(), current_app.config["POSTS_PER_PAGE"])
    if thread is None:
        fail(404, _("This topic has no page %(page)d.", page=_page_arg()))
    reply_refusal = permissions.why_not_reply(current_user, topic)
    return render_template(
        "forum/subthread.html",
        topic=topic,
        root=root,
        thread=thread,
        action_form=ConfirmForm() if current_user.is_authenticated else None,
        can_reply=reply_refusal is None,
    )


@bp.route("/p/<id:post_id>/reply", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_POSTING", key_func=posting_key, deduct_when=created)
@limit_from("RATELIMIT_UPLOAD", key_func=posting_key, exempt_when=_no_files_sent)
def reply(post_id: int):
    parent = readable_post(post_id)
    topic = parent.topic
    reason = permissions.why_not_reply_to(current_user, parent)
    if reason is not None and reason.why == Why.POST_DELETED:
        fail(404, reason)
    # The one visibility rule: a post whose text the member may not see cannot be shown,
    # quoted or answered here either.
    if not permissions.can_read_post(current_user, parent):
        fail(404, _("There is no post at this address."))
    require(reason)
    form = ReplyForm()
    if request.method == "GET":
        form.language.data = default_content_language() if parent.is_opening else parent.language
        if request.args.get("quote"):
            form.body.data = markup.quote(parent.body_source, parent.author.username)
    preview = None
    if form.validate_on_submit():
        preview = _preview_of(form)
        _hold_files(form)
        if not form.preview.data and (earlier := earlier_submission(form)):
            return earlier
        if not form.preview.data:
            with refusals_on(form) as attempt:
                post = post_ops.reply(parent, current_user, form.body.data, form.language.data)
                upload_ops.attach(post, current_user, form.files.data, form.attached.data)
                shown = commit_once(form, post.id)
            if attempt.done:
                return redirect(url_for("forum.permalink", post_id=shown))
    return render_template(
        "forum/reply.html", topic=topic, parent=parent, form=form, preview=preview
    )


@bp.route("/p/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_UPLOAD", key_func=posting_key, exempt_when=_no_files_sent)
def edit(post_id: int):
    post = readable_post(post_id)
    require(permissions.why_not_edit(current_user, post))
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
        _hold_files(form)
        started_from = parse_count(form.version.data)
        if started_from is not None and started_from != post.version:
            return _edit_conflict(post, form)
        if not form.preview.data:
            try:
                with refusals_on(form) as attempt:
                    post_ops.edit_post(post, current_user, form.body.data, form.language.data)
                    upload_ops.delete_attachments(post, form.detach.data or [])
                    upload_ops.attach(post, current_user, form.files.data, form.attached.data)
                    if post.is_opening:
                        post_ops.edit_title(topic, form.title.data)
                    db.session.commit()
            except StaleDataError:
                # Another edit of this post was saved between our reading and our writing.
                db.session.rollback()
                return _edit_conflict(db.session.get(Post, post_id), form)
            if attempt.done:
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
    post = readable_post(post_id)
    require(permissions.why_not_delete(current_user, post))
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
    post = readable_post(post_id)
    require(permissions.why_not_see_revisions(current_user, post))
    history = queries.post_revisions(post)
    return render_template("forum/revisions.html", topic=post.topic, post=post, history=history)
