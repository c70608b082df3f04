"""Member profiles."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
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


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    from brain.members.forms import SettingsForm

    form = SettingsForm()
    if request.method == "GET":
        form.display_name.data = current_user.display_name
        form.locale.data = current_user.locale or g.get("locale", "en")
        form.timezone.data = current_user.timezone or "UTC"
        form.read_languages.data = current_user.read_languages
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.locale = form.locale.data
        current_user.timezone = form.timezone.data
        current_user.read_languages = form.read_languages.data
        db.session.commit()
        g.pop("locale", None)
        g.remember_locale = current_user.locale
        refresh()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("members.settings"))
    return render_template("members/settings.html", form=form)
