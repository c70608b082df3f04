from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from brain import permissions, settings
from brain.extensions import db
from brain.models import Post, Topic
from brain.moderation import bp, forms, queries
from brain.ops import moderation as ops
from brain.ops.errors import require
from brain.vocabulary.moderation import details_in_words
from brain.web import fail, page_number, refusals_on

TOPIC_ACTIONS = {
    "pin": (lambda t, a, r: ops.set_pinned(t, a, True, r), False),
    "unpin": (lambda t, a, r: ops.set_pinned(t, a, False, r), False),
    "lock": (lambda t, a, r: ops.set_locked(t, a, True, r), False),
    "unlock": (lambda t, a, r: ops.set_locked(t, a, False, r), False),
    "hide": (ops.hide_topic, True),
    "restore": (ops.restore_topic, False),
}


def _topic(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        fail(404, _("There is no topic at this address. It may have been removed."))
    require(permissions.why_not_moderate(current_user, topic.board))
    return topic


def _post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        fail(404, _("There is no post at this address."))
    require(permissions.why_not_moderate(current_user, post.topic.board))
    return post


def _topic_url(topic: Topic) -> str:
    return url_for("forum.topic", topic_id=topic.id, slug=topic.slug)


@bp.route("/t/<id:topic_id>/moderate/<action>", methods=["GET", "POST"])
@login_required
def topic_action(topic_id: int, action: str):
    if action not in TOPIC_ACTIONS:
        abort(404)
    topic = _topic(topic_id)
    verb, reason_required = TOPIC_ACTIONS[action]
    form = forms.RequiredReasonForm() if reason_required else forms.ReasonForm()
    if form.validate_on_submit():
        with refusals_on(form, "reason") as attempt:
            verb(topic, current_user, form.reason.data or "")
            db.session.commit()
        if attempt.done:
            flash(_("Done. The action is recorded in the moderation log."), "success")
            return redirect(_topic_url(topic))
    return render_template(
        "moderation/confirm.html", form=form, topic=topic, post=None, action=action
    )


@bp.route("/t/<id:topic_id>/move", methods=["GET", "POST"])
@login_required
def move(topic_id: int):
    topic = _topic(topic_id)
    form = forms.MoveForm()
    targets = [
        board
        for board in queries.boards_in_order()
        if board.id != topic.board_id and permissions.moderates(current_user, board)
    ]
    locale = str(get_locale() or "en")
    form.board.choices = [SelectChoice(board.slug, board.name_in(locale)) for board in targets]
    if form.validate_on_submit():
        target = next(board for board in targets if board.slug == form.board.data)
        with refusals_on(form, "reason") as attempt:
            ops.move_topic(topic, current_user, target, form.reason.data or "")
            db.session.commit()
        if attempt.done:
            flash(_("The topic was moved."), "success")
            return redirect(_topic_url(topic))
    return render_template(
        "moderation/confirm.html", form=form, topic=topic, post=None, action="move"
    )


@bp.route("/t/<id:topic_id>/merge", methods=["GET", "POST"])
@login_required
def merge(topic_id: int):
    source = _topic(topic_id)
    form = forms.MergeForm()
    if form.validate_on_submit():
        target = db.session.get(Topic, form.target.data)
        if target is None or not permissions.moderates(current_user, target.board):
            form.target.errors = [_("There is no topic with that number that you moderate.")]
        else:
            with refusals_on(form, "reason") as attempt:
                ops.merge_topic(source, target, current_user, form.reason.data or "")
                db.session.commit()
            if attempt.done:
                flash(_("The topics were merged."), "success")
                return redirect(_topic_url(target))
    return render_template(
        "moderation/confirm.html", form=form, topic=source, post=None, action="merge"
    )


@bp.route("/p/<id:post_id>/hide", methods=["GET", "POST"])
@login_required
def hide_post(post_id: int):
    post = _post(post_id)
    form = forms.RequiredReasonForm()
    if form.validate_on_submit():
        with refusals_on(form, "reason") as attempt:
            ops.hide_post(post, current_user, form.reason.data)
            db.session.commit()
        if attempt.done:
            flash(_("The post is hidden. Its author sees the reason."), "success")
            return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template(
        "moderation/confirm.html", form=form, topic=post.topic, post=post, action="hide_post"
    )


@bp.route("/p/<id:post_id>/restore", methods=["GET", "POST"])
@login_required
def restore_post(post_id: int):
    post = _post(post_id)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        with refusals_on(form, "reason") as attempt:
            ops.restore_post(post, current_user, form.reason.data or "")
            db.session.commit()
        if attempt.done:
            flash(_("The post is visible again."), "success")
            return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template(
        "moderation/confirm.html", form=form, topic=post.topic, post=post, action="restore_post"
    )


@bp.route("/p/<id:post_id>/split", methods=["GET", "POST"])
@login_required
def split(post_id: int):
    post = _post(post_id)
    form = forms.SplitForm()
    if form.validate_on_submit():
        with refusals_on(form, "reason") as attempt:
            topic = ops.split_topic(post, current_user, form.title.data, form.reason.data or "")
            db.session.commit()
        if attempt.done:
            flash(_("The replies now form a topic of their own."), "success")
            return redirect(_topic_url(topic))
    return render_template(
        "moderation/confirm.html", form=form, topic=post.topic, post=post, action="split"
    )


@bp.route("/p/<id:post_id>/report", methods=["GET", "POST"])
@login_required
def report(post_id: int):
    post = db.session.get(Post, post_id)
    if post is None or not permissions.can_read_topic(current_user, post.topic):
        fail(404, _("There is no post at this address."))
    require(permissions.why_not_report(current_user, post))
    form = forms.ReportForm()
    if form.validate_on_submit():
        with refusals_on(form, "reason") as attempt:
            ops.report_post(post, current_user, form.reason.data, settings.report_threshold())
            db.session.commit()
        if attempt.done:
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template("moderation/report.html", form=form, topic=post.topic, post=post)


def _moderated_board_ids() -> list[int] | None:
    """None for administrators (every board), else the boards this member moderates."""
    require(permissions.why_not_staff(current_user))
    return permissions.moderated_board_ids(current_user)


@bp.route("/mod/reports")
@login_required
def reports():
    rows, by_post = queries.reported_posts(_moderated_board_ids())
    return render_template(
        "moderation/reports.html", rows=rows, by_post=by_post, form=forms.ResolveForm()
    )


@bp.route("/mod/reports/<id:post_id>", methods=["POST"])
@login_required
def resolve(post_id: int):
    post = _post(post_id)
    form = forms.ResolveForm()
    if not form.validate_on_submit():
        fail(400, _("Choose how to resolve the report."))
    ops.resolve_reports(post, current_user, form.resolution.data, form.reason.data or "")
    db.session.commit()
    flash(_("The reports on this post are resolved."), "success")
    return redirect(url_for("moderation.reports"))


@bp.route("/mod/log")
@login_required
def log():
    board_ids = _moderated_board_ids()
    entries = queries.log_page(board_ids, page_number(10_000))
    locale = str(get_locale() or "en")
    board_names = {board.slug: board.name_in(locale) for board in queries.boards_in_order()}
    details = {entry.id: details_in_words(entry, board_names) for entry in entries.items}
    return render_template("moderation/log.html", entries=entries, details=details)
