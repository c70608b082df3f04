"""A member's own data: downloading a copy, and deleting the account."""

from __future__ import annotations

import io
import json

from flask import flash, redirect, render_template, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user, login_required, logout_user
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length

from brain import search, settings
from brain.extensions import db
from brain.forms import Form
from brain.members import bp
from brain.models import utcnow
from brain.ops import member_data
from brain.ops.accounts import MAX_PASSWORD
from brain.ops.errors import NotAllowed, OperationError
from brain.web import form_field, limit_from


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("This field is required.")), Length(max=MAX_PASSWORD)],
    )
    confirm = BooleanField(
        _l("I understand that my account will be deleted, and that this cannot be undone."),
        validators=[InputRequired(_l("Tick the box to confirm."))],
    )


@bp.route("/settings/data")
@login_required
def download_data():
    """A copy of the member's data, as a JSON file to keep (a read: no state changes)."""
    member = current_user._get_current_object()
    body = json.dumps(member_data.export_member_data(member), ensure_ascii=False, indent=2)
    day = to_user_timezone(utcnow()).date().isoformat()
    # send_file writes a name in any script into the header as browsers expect (filename*).
    response = send_file(
        io.BytesIO(body.encode()),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"collective-brain-{member.username}-{day}.json",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_LOGIN")  # it checks a password, as logging in does
def delete_account():
    form = DeleteAccountForm()
    member = current_user._get_current_object()
    remove_posts = settings.deleted_account_posts() is settings.DeletedAccountPosts.REMOVE
    status = 400 if form.is_submitted() else 200  # a form sent back is a refusal
    if form.validate_on_submit():
        try:
            member_data.delete_account(member, form.password.data, remove_posts=remove_posts)
            db.session.commit()
        except OperationError as problem:
            db.session.rollback()
            form_field(form, problem, default="password").errors.append(str(problem))
            status = 403 if isinstance(problem, NotAllowed) else 400
        else:
            # Their posts' entries in the search index name the old account: bring them up
            # to date now (the outbox only wakes the indexer for changed posts).
            search.indexer().notify()
            logout_user()
            locale_choice = session.get("locale")
            session.clear()
            if locale_choice:
                session["locale"] = locale_choice
            flash(
                _("Your account is deleted. Thank you for having been part of the community."),
                "info",
            )
            return redirect(url_for("site.home"))
    return (
        render_template(
            "members/delete_account.html",
            form=form,
            remove_posts=remove_posts,
            refusal=member_data.LAST_ADMINISTRATOR
            if member_data.is_last_administrator(member)
            else None,
        ),
        status,
    )
