from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from brain import fragments
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.forum import queries as forum_queries
from brain.forum.lookup import readable_board, readable_topic
from brain.models import Board, Topic
from brain.models.notifications import NotificationKind
from brain.notifications import bp, queries
from brain.notifications.forms import WatchForm
from brain.ops import notifications as notification_ops
from brain.ops import watching
from brain.ops.notifications import Moderation
from brain.readers import current_reader
from brain.vocabulary.meeting import STATUS_LABELS, Status
from brain.web import member_name

Kind = NotificationKind


@bp.app_template_global("unread_notification_count")
def unread_notification_count() -> int:
    """The bell's count: one query per member page, none for guests (whose pages the page
    cache keeps)."""
    reader = current_reader()
    if not reader.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = queries.unread_count(reader)
    return g.unread_notifications


@fragments.filler("account")
def _account_menu(_number: int) -> str:
    """A member's account menu (base.html): their name, the bell and its count, settings,
    logging out; kept per name and count, the token filled in."""
    reader = current_reader()
    if not reader.is_authenticated:
        return ""
    count = unread_notification_count()
    return fragments.part(
        "account-menu",
        reader.username,
        reader.display_name,
        count,
        make=lambda: render_template(
            "_account.html", unread_count=count, bell_max=notification_ops.BELL_MAX
        ),
    )


@fragments.filler("watchtopic")
def _topic_watch_form(topic_id: int) -> str:
    # What the form needs of the topic is kept with the page (no query).
    return _watch_form_html(topic=forum_queries.topic_facts(topic_id))


@fragments.filler("watchboard")
def _board_watch_form(board_id: int) -> str:
    return _watch_form_html(board=forum_queries.board_facts(board_id=board_id))


def _watch_form_html(*, topic: Topic | None = None, board: Board | None = None) -> str:
    """The member's watching choice for *topic* or *board*, kept per level chosen (the token
    filled in); nothing for guests."""
    reader = current_reader()
    if not reader.is_authenticated:
        return ""
    level = watching.level_of(reader, topic=topic, board=board)

    def make() -> str:
        if board is not None:
            form = WatchForm.for_board(formdata=None)
            action = url_for("notifications.watch_board", slug=board.slug)
            legend = _("Notifications for this board")
        else:
            form = WatchForm(formdata=None)
            action = url_for("notifications.watch_topic", topic_id=topic.id)
            legend = _("Notifications for this topic")
        form.level.data = level.value
        return render_template(
            "notifications/_watch.html", watch=form, watch_action=action, watch_legend=legend
        )

    subject = ("board", board.id) if board is not None else ("topic", topic.id)
    return fragments.part("watch-form", *subject, level.value, make=make)


@bp.route("/notifications")
@login_required
def index():
    entries = queries.latest(current_user)
    if any(e.unread and e.newest.post_id is None for e in entries):
        # Nothing to open for these (an approved account): seeing them is reading them.
        notification_ops.mark_read_without_post(current_user)
        db.session.commit()
        g.pop("unread_notifications", None)
    return render_template(
        "notifications/index.html",
        entries=[(entry, describe(entry)) for entry in entries],
        form=ConfirmForm(),
        limit=queries.LATEST,
    )


@bp.route("/notifications/mark-all-read", methods=["POST"])
@login_required
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        notification_ops.mark_all_read(current_user)
        db.session.commit()
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/t/<id:topic_id>/watch", methods=["POST"])
@login_required
def watch_topic(topic_id: int):
    topic = readable_topic(topic_id)
    form = WatchForm()
    if form.validate_on_submit():
        watching.set_level(current_user, form.level.data, topic=topic)
        db.session.commit()
        flash(_("Your notification setting for this topic is saved."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug))


@bp.route("/b/<slug>/watch", methods=["POST"])
@login_required
def watch_board(slug: str):
    board = readable_board(slug)
    form = WatchForm.for_board()
    if form.validate_on_submit():
        watching.set_level(current_user, form.level.data, board=board)
        db.session.commit()
        flash(_("Your notification setting for this board is saved."), "success")
    return redirect(url_for("forum.board", slug=board.slug))


def describe(entry: queries.Entry) -> str:
    """What the entry says, in the reader's language."""
    n = entry.newest
    actor = member_name(n.actor) if n.actor is not None else _("Someone")
    topic = n.topic.title if n.topic is not None else ""
    if entry.grouped:
        count = len(entry.items)
        if entry.unread:
            return ngettext(
                "%(num)d new reply in %(topic)s", "%(num)d new replies in %(topic)s", count,
                topic=topic,
            )  # fmt: skip
        return ngettext(
            "%(num)d reply in %(topic)s", "%(num)d replies in %(topic)s", count, topic=topic
        )
    if n.kind == Kind.MODERATION:
        action, _sep, reason = n.detail.partition(":")
        if action == Moderation.HIDDEN:
            return _(
                "A moderator hid your post in %(topic)s. Reason: %(reason)s",
                topic=topic,
                reason=reason,
            )
        if reason:
            return _(
                "A moderator restored your post in %(topic)s. Reason: %(reason)s",
                topic=topic,
                reason=reason,
            )
        return _("A moderator restored your post in %(topic)s.", topic=topic)
    if n.kind == Kind.STATUS:
        return _("%(topic)s is now “%(status)s”.", topic=topic, status=_status_label(n.detail))
    return _MESSAGES[n.kind](actor, topic)


def _status_label(value: str) -> str:
    """A Meeting Point status in the reader's language (as stored, if this version has no
    such status)."""
    try:
        return str(STATUS_LABELS[Status(value)])
    except (ValueError, KeyError):
        return value


_MESSAGES = {
    Kind.REPLY: lambda a, t: _("%(actor)s replied to your post in %(topic)s", actor=a, topic=t),
    Kind.WATCHED_REPLY: lambda a, t: _("%(actor)s posted in %(topic)s", actor=a, topic=t),
    Kind.WATCHED_TOPIC: lambda a, t: _("%(actor)s started a topic: %(topic)s", actor=a, topic=t),
    Kind.MENTION: lambda a, t: _("%(actor)s mentioned you in %(topic)s", actor=a, topic=t),
    Kind.QUOTE: lambda a, t: _("%(actor)s quoted your post in %(topic)s", actor=a, topic=t),
    Kind.INTEREST: lambda a, t: _("%(actor)s is interested in %(topic)s", actor=a, topic=t),
    Kind.INTEREST_ACCEPTED: lambda a, t: _(
        "%(actor)s accepted your interest in %(topic)s", actor=a, topic=t
    ),
    Kind.MATCH: lambda a, t: _("A new offer matches your request: %(topic)s", topic=t),
    Kind.APPROVED: lambda a, t: _("Your account has been approved: you can now post and reply."),
}
