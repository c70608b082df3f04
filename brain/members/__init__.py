"""Member profiles."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from brain import permissions
from brain.extensions import db
from brain.forum import queries
from brain.models import MemberEdition, User
from brain.ops import sessions
from brain.ops.accounts import authenticate, change_password, update_profile, username_key
from brain.ops.errors import OperationError
from brain.ops.text import contains_pattern
from brain.vocabulary import members as catalog
from brain.web import fail, page_number

DIRECTORY_PAGE = 30

bp = Blueprint("members", __name__)


@bp.route("/u/<username>")
def profile(username: str):
    user = db.session.scalar(select(User).where(User.username_key == username_key(username[:64])))
    if user is None or not permissions.can_see_profile(current_user, user):
        fail(404, _("There is no member with that name."))
    if username != user.username:
        return redirect(url_for("members.profile", username=user.username), 301)
    board_ids = [board.id for board in queries.readable_boards(current_user)]
    topics, posts = queries.member_activity(user, board_ids)
    return render_template(
        "members/profile.html", member=user, topics=topics, posts=posts, catalog=catalog
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    from brain.members.forms import SettingsForm

    form = SettingsForm()
    if request.method == "GET":
        form.locale.data = current_user.locale or g.get("locale", "en")
        form.timezone.data = current_user.timezone or "UTC"
        form.read_languages.data = current_user.read_languages
    if form.validate_on_submit():
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


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    from brain.members.forms import ProfileForm

    if not permissions.can_edit_profile(current_user):
        # What a member says about themselves is public content, like a post.
        fail(
            403,
            _(
                "Your profile can be filled in once an administrator has approved your "
                "account, and not while it is suspended."
            ),
        )
    form = ProfileForm()
    if request.method == "GET":
        form.display_name.data = current_user.display_name
        form.country.data = current_user.country or ""
        form.organisation.data = current_user.organisation or ""
        form.spoken_languages.data = current_user.spoken_languages
        form.editions.data = current_user.edition_codes
        form.expertise.data = current_user.expertise or ""
        form.bio.data = current_user.bio or ""
    if form.validate_on_submit():
        try:
            update_profile(
                current_user,
                display_name=form.display_name.data,
                country=form.country.data,
                organisation=form.organisation.data or "",
                spoken_languages=form.spoken_languages.data or [],
                editions=form.editions.data or [],
                expertise=form.expertise.data or "",
                bio=form.bio.data or "",
            )
        except OperationError as problem:
            db.session.rollback()
            form.bio.errors = [*form.bio.errors, str(problem)]
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("members.profile", username=current_user.username))
    return render_template("members/edit_profile.html", form=form)


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password():
    from brain.members.forms import PasswordForm

    form = PasswordForm()
    if form.validate_on_submit():
        if authenticate(current_user.username, form.current.data) is None:
            form.current.errors = [_("That is not your current password.")]
        else:
            change_password(current_user, form.password.data)
            db.session.commit()
            # Every session ended; this one goes on as a new one (the real object, not the
            # proxy).
            member = current_user._get_current_object()
            sessions.open_session(member)
            db.session.commit()
            login_user(member)
            flash(
                _("Your password is changed. Every other session has been logged out."),
                "success",
            )
            return redirect(url_for("members.settings"))
    return render_template("members/password.html", form=form)


@bp.route("/members")
@login_required
def directory():
    """Members, filtered by name, country, academy edition, language and expertise."""
    args = request.args
    name = args.get("q", "").strip()[:64]
    country = args.get("country", "")
    country = country if country in catalog.country_names() else ""
    edition = args.get("edition", "")
    edition = edition if edition in catalog.EDITION_CODES else ""
    language = args.get("language", "")
    language = language if language in catalog.SPOKEN_LANGUAGES else ""
    expertise = args.get("expertise", "").strip()[:64]
    page = page_number()

    where = [User.banned_at.is_(None), User.approved_at.is_not(None)]
    if name:
        pattern = contains_pattern(name.casefold())
        where.append(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if country:
        where.append(User.country == country)
    if edition:
        where.append(
            exists().where(MemberEdition.user_id == User.id, MemberEdition.edition == edition)
        )
    if language:
        spoken = "," + func.coalesce(User.spoken_languages_csv, "") + ","
        where.append(spoken.like(f"%,{language},%"))
    if expertise:
        pattern = contains_pattern(expertise.casefold())
        where.append(func.lower(User.expertise).like(pattern, escape="\\"))
    total = db.session.scalar(select(func.count(User.id)).where(*where))
    members = db.session.scalars(
        select(User)
        .options(selectinload(User.editions))
        .where(*where)
        .order_by(func.lower(User.display_name), User.id)
        .limit(DIRECTORY_PAGE)
        .offset((page - 1) * DIRECTORY_PAGE)
    ).all()
    pages = max(1, -(-total // DIRECTORY_PAGE))
    filters = {
        key: value
        for key, value in {
            "q": name,
            "country": country,
            "edition": edition,
            "language": language,
            "expertise": expertise,
        }.items()
        if value
    }
    return render_template(
        "members/directory.html",
        members=members,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        catalog=catalog,
    )
