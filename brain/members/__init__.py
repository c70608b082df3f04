"""Member profiles."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from brain.extensions import db
from brain.forum import queries
from brain.models import User
from brain.ops.accounts import username_key
from brain.web import fail

bp = Blueprint("members", __name__)


@bp.route("/u/<username>")
def profile(username: str):
    user = db.session.scalar(select(User).where(User.username_key == username_key(username[:64])))
    if user is None:
        fail(404, _("There is no member with that name."))
    if username != user.username:
        return redirect(url_for("members.profile", username=user.username), 301)
    board_ids = [board.id for board in queries.readable_boards(current_user)]
    topics, posts = queries.member_activity(user, board_ids)
    return render_template("members/profile.html", member=user, topics=topics, posts=posts)
