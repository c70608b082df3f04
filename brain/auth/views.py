from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from brain import mail, settings
from brain.auth import bp
from brain.auth.forms import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.i18n import supported
from brain.ops import sessions
from brain.ops.accounts import (
    authenticate,
    change_password,
    find_by_email,
    redeem_invitation,
    register_member,
    registration_conflict,
    reset_token,
    usable_invitation,
    user_for_reset_token,
)
from brain.settings import RegistrationMode
from brain.web import created, fail, form_field, limit_from, refusals_on, safe_next


def _start_session(user, remember: bool = False) -> None:
    # A fresh session at login: nothing set before it (by anyone) carries over.
    locale_choice = session.get("locale")
    session.clear()
    if locale_choice:
        session["locale"] = locale_choice
    sessions.open_session(user)
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limit_from("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is not None and user.is_banned:
            flash(_("This account is banned."), "error")
            return render_template("auth/login.html", form=form), 403
        if user is None:
            # The same words whether the account exists or not.
            flash(_("Wrong username, email or password."), "error")
            return render_template("auth/login.html", form=form), 200
        _start_session(user, remember=form.remember.data)
        flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limit_from("RATELIMIT_REGISTER", deduct_when=created)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    mode = settings.registration_mode()
    form = RegisterForm()
    if request.method == "GET" and request.args.get("invite"):
        form.invitation.data = request.args.get("invite", "")[:64]
    if form.validate_on_submit():
        invitation = None
        if mode is RegistrationMode.INVITATION:
            invitation = usable_invitation(form.invitation.data or "")
            if invitation is None:
                form.invitation.errors = [
                    _(
                        "This invitation code cannot be used: it may be mistyped, expired or "
                        "already used. Ask the person who invited you for a new one."
                    )
                ]
        if not form.errors:
            try:
                with refusals_on(form, "username") as attempt:
                    user = register_member(
                        form.username.data,
                        form.email.data,
                        form.password.data,
                        form.display_name.data,
                        locale=supported(request.cookies.get("lang")),
                        approved=mode is not RegistrationMode.APPROVAL,
                    )
                    if invitation is not None:
                        redeem_invitation(invitation, user)
                    db.session.commit()
            except IntegrityError:
                # The same name or address registered at the same moment by someone else.
                db.session.rollback()
                problem = registration_conflict(form.username.data, form.email.data)
                form_field(form, problem, default="username").errors.append(str(problem))
            if attempt.done:
                _start_session(user)
                if user.is_pending:
                    flash(
                        _(
                            "Welcome, %(name)s! An administrator will approve your account "
                            "soon. Until then you can read everything; you can post once "
                            "approved.",
                            name=user.display_name,
                        ),
                        "info",
                    )
                else:
                    flash(
                        _("Welcome to the community, %(name)s!", name=user.display_name),
                        "success",
                    )
                return redirect(url_for("site.home"))
    return render_template("auth/register.html", form=form, mode=mode, modes=RegistrationMode)


@bp.route("/reset", methods=["GET", "POST"])
@limit_from("RATELIMIT_RESET")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_by_email(form.email.data)
        if user is not None and not user.is_banned:
            _send_reset_link(user)
        # The same words whether or not an account uses the address.
        flash(
            _(
                "If an account uses that address, we have sent it a link to choose a new "
                "password. The link works for %(hours)d hours, once.",
                hours=current_app.config["RESET_TOKEN_HOURS"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


def _send_reset_link(user) -> None:
    with mail.public_links():
        link = url_for("auth.reset_password", token=reset_token(user), _external=True)
    with force_locale(user.locale or "en"):
        subject = _(
            "Choose a new password for %(site)s", site=settings.site_name(user.locale or "en")
        )
        body = render_template("mail/reset_password.txt", user=user, link=link)
    # Sent by the task queue after the commit: waiting for the mail server here would make
    # the answer for an address with an account slower than for one without, telling a
    # stranger which addresses have accounts. A failure is retried there and shown to
    # administrators (/admin/mail), never to the visitor (that too would tell).
    mail.queue_mail(user.email, subject, body, kind="reset", user_id=user.id)
    db.session.commit()


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = user_for_reset_token(token)
    if user is None:
        fail(
            400,
            _(
                "This link to choose a new password has expired or has already been used. "
                "Ask for a new one from the login page."
            ),
        )
    form = ResetPasswordForm()
    if form.validate_on_submit():
        change_password(user, form.password.data)
        db.session.commit()
        _start_session(user)
        flash(
            _("Your password is changed. Every other session has been logged out."),
            "success",
        )
        return redirect(url_for("site.home"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        # The server forgets the session, so a copy of the cookie stops working too.
        sessions.end_session(session.get("_user_id"))
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have logged out."), "info")
        return redirect(url_for("site.home"))
    return render_template("auth/logout.html", form=form)
