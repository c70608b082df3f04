"""The administration overview, invitations and the site settings."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from brain import i18n, permissions, settings
from brain.admin import bp, confirmed, forms
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.models import Board, Invitation, Report, User
from brain.ops import accounts
from brain.web import fail, page_number

INVITATIONS_PER_PAGE = 50


@bp.route("/")
def index():
    count = db.session.scalar
    counts = {
        "members": count(select(func.count(User.id))),
        "pending": count(select(func.count(User.id)).where(User.approved_at.is_(None))),
        "reports": count(
            select(func.count(func.distinct(Report.post_id))).where(Report.resolved_at.is_(None))
        ),
        "boards": count(select(func.count(Board.id))),
    }
    return render_template("admin/index.html", counts=counts, mode=settings.registration_mode())


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    """Administrators see every invitation; a moderator sees the ones they made."""
    form = forms.InvitationForm()
    if request.method == "GET":
        form.days.data = current_app.config["INVITATION_DAYS"]
    if form.validate_on_submit():
        invitation = accounts.create_invitation(current_user, form.days.data, form.note.data or "")
        db.session.commit()
        flash(
            _("The invitation is ready: send the link below to the person you invite."), "success"
        )
        return redirect(url_for("admin.invitations", _anchor=f"invitation-{invitation.id}"))
    page = page_number()
    query = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    if not permissions.is_administrator(current_user):
        query = query.where(Invitation.created_by_id == current_user.id)
    listed = db.paginate(query, page=page, per_page=INVITATIONS_PER_PAGE, error_out=False)
    return render_template(
        "admin/invitations.html",
        form=form,
        invitations=listed,
        revoke_form=ConfirmForm(formdata=None),
        mode=settings.registration_mode(),
        modes=settings.RegistrationMode,
    )


@bp.route("/invitations/<id:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(invitation_id: int):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        fail(404, _("There is no such invitation."))
    if (
        not permissions.is_administrator(current_user)
        and invitation.created_by_id != current_user.id
    ):
        fail(403, _("Only administrators can revoke invitations made by someone else."))
    confirmed()
    accounts.revoke_invitation(invitation)
    db.session.commit()
    flash(_("The invitation is revoked: its link no longer works."), "success")
    return redirect(url_for("admin.invitations"))


@bp.route("/settings", methods=["GET", "POST"])
def site_settings():
    form = forms.SiteSettingsForm()
    if request.method == "GET":
        form.registration_mode.data = settings.registration_mode().value
        form.report_threshold.data = settings.report_threshold()
        form.deleted_account_posts.data = settings.deleted_account_posts().value
        for lang in i18n.INTERFACE_LANGUAGES:
            texts = form[lang.code].form
            texts.name.data = settings.get(f"site_name.{lang.code}")
            texts.description.data = settings.get(f"site_description.{lang.code}")
    if form.validate_on_submit():
        settings.put("registration_mode", form.registration_mode.data)
        settings.put("report_threshold", str(form.report_threshold.data))
        settings.put("deleted_account_posts", form.deleted_account_posts.data)
        for lang in i18n.INTERFACE_LANGUAGES:
            texts = form[lang.code].form
            settings.put(f"site_name.{lang.code}", (texts.name.data or "").strip())
            settings.put(f"site_description.{lang.code}", (texts.description.data or "").strip())
        db.session.commit()
        flash(_("The settings are saved."), "success")
        return redirect(url_for("admin.site_settings"))
    return render_template("admin/settings.html", form=form)
