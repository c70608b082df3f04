"""Moderation: actions on topics and posts, reports, the log. Moderators act on the boards
they are given, administrators everywhere (brain.permissions.moderates)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from brain import permissions, settings
from brain.extensions import db
from brain.models import Board, ModerationLog, Post, Report, Topic
from brain.moderation import forms
from brain.ops import moderation as ops
from brain.ops.errors import OperationError
from brain.web import fail, page_number

bp = Blueprint("moderation", __name__)

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
    if not permissions.moderates(current_user, topic.board):
        fail(403, _("Only the moderators of this board can do this."))
    return topic


def _post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        fail(404, _("There is no post at this address."))
    if not permissions.moderates(current_user, post.topic.board):
        fail(403, _("Only the moderators of this board can do this."))
    return post


def _topic_url(topic: Topic) -> str:
    return url_for("forum.topic", topic_id=topic.id, slug=topic.slug)


def _refused(form, problem: OperationError) -> None:
    field = getattr(form, problem.field or "reason", None) or form.reason
    field.errors = [*field.errors, str(problem)]


@bp.route("/t/<id:topic_id>/moderate/<action>", methods=["GET", "POST"])
@login_required
def topic_action(topic_id: int, action: str):
    if action not in TOPIC_ACTIONS:
        abort(404)
    topic = _topic(topic_id)
    verb, reason_required = TOPIC_ACTIONS[action]
    form = forms.RequiredReasonForm() if reason_required else forms.ReasonForm()
    if form.validate_on_submit():
        try:
            verb(topic, current_user, form.reason.data or "")
        except OperationError as problem:
            _refused(form, problem)
        else:
            db.session.commit()
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
        for board in db.session.scalars(select(Board).order_by(Board.position))
        if board.id != topic.board_id and permissions.moderates(current_user, board)
    ]
    form.board.choices = [SelectChoice(board.slug, board.name) for board in targets]
    if form.validate_on_submit():
        target = next(board for board in targets if board.slug == form.board.data)
        try:
            ops.move_topic(topic, current_user, target, form.reason.data or "")
        except OperationError as problem:
            _refused(form, problem)
        else:
            db.session.commit()
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
            try:
                ops.merge_topic(source, target, current_user, form.reason.data or "")
            except OperationError as problem:
                _refused(form, problem)
            else:
                db.session.commit()
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
        ops.hide_post(post, current_user, form.reason.data)
        db.session.commit()
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
        ops.restore_post(post, current_user, form.reason.data or "")
        db.session.commit()
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
        try:
            topic = ops.split_topic(post, current_user, form.title.data, form.reason.data or "")
        except OperationError as problem:
            _refused(form, problem)
        else:
            db.session.commit()
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
    if not permissions.can_report(current_user, post):
        fail(403, _("You cannot report this post."))
    form = forms.ReportForm()
    if form.validate_on_submit():
        try:
            ops.report_post(post, current_user, form.reason.data, settings.report_threshold())
        except OperationError as problem:
            _refused(form, problem)
        else:
            db.session.commit()
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template("moderation/report.html", form=form, topic=post.topic, post=post)


def _moderated_board_ids() -> list[int] | None:
    """None for administrators (every board), else the boards this member moderates."""
    if not permissions.is_staff(current_user):
        fail(403, _("Only moderators can see this page."))
    return permissions.moderated_board_ids(current_user)


@bp.route("/mod/reports")
@login_required
def reports():
    board_ids = _moderated_board_ids()
    query = (
        select(Post, func.count(Report.id))
        .join(Report, Report.post_id == Post.id)
        .join(Post.topic)
        .options(joinedload(Post.author), joinedload(Post.topic).joinedload(Topic.board))
        .where(Report.resolved_at.is_(None))
        .group_by(Post.id)
        .order_by(func.min(Report.created_at))
    )
    if board_ids is not None:
        query = query.where(Topic.board_id.in_(board_ids))
    rows = db.session.execute(query.limit(100)).unique().all()
    post_ids = [post.id for post, _count in rows]
    details = db.session.scalars(
        select(Report)
        .options(joinedload(Report.reporter))
        .where(Report.post_id.in_(post_ids), Report.resolved_at.is_(None))
        .order_by(Report.created_at)
    ).all()
    by_post: dict[int, list[Report]] = {}
    for item in details:
        by_post.setdefault(item.post_id, []).append(item)
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
    query = (
        select(ModerationLog)
        .options(
            joinedload(ModerationLog.actor),
            joinedload(ModerationLog.board),
            joinedload(ModerationLog.topic),
            joinedload(ModerationLog.member),
        )
        .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
    )
    if board_ids is not None:
        query = query.where(ModerationLog.board_id.in_(board_ids))
    page = page_number(10_000)
    entries = db.paginate(query, page=page, per_page=50, error_out=False)
    return render_template("moderation/log.html", entries=entries)
