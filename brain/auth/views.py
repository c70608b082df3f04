from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from brain.auth import bp
from brain.auth.forms import LoginForm, RegisterForm
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.i18n import supported
from brain.ops.accounts import authenticate, register_member
from brain.ops.errors import OperationError
from brain.web import safe_next


def _start_session(user, remember: bool = False) -> None:
    # A fresh session at login: nothing set before it (by anyone) carries over.
    locale_choice = session.get("locale")
    session.clear()
    if locale_choice:
        session["locale"] = locale_choice
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
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
def register():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = register_member(
                form.username.data,
                form.email.data,
                form.password.data,
                form.display_name.data,
                locale=supported(request.cookies.get("lang")),
            )
        except OperationError as problem:
            field = getattr(form, problem.field or "username")
            field.errors = [*field.errors, str(problem)]
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Welcome to the community, %(name)s!", name=user.display_name), "success")
            return redirect(url_for("site.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("You have logged out."), "info")
        return redirect(url_for("site.home"))
    return render_template("auth/logout.html", form=form)
