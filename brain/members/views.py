from __future__ import annotations

import io
import json

from flask import flash, g, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh, to_user_timezone
from flask_login import current_user, login_required, login_user, logout_user

from brain import permissions, search
from brain import settings as site_settings
from brain.extensions import db
from brain.feedlinks import offer_feed
from brain.forum import queries as forum_queries
from brain.members import bp, queries
from brain.members.forms import (
    DeleteAccountForm,
    MailSettingsForm,
    PasswordForm,
    ProfileForm,
    SettingsForm,
)
from brain.models import utcnow
from brain.ops import mailing, member_data, sessions
from brain.ops.accounts import authenticate, change_password, update_profile
from brain.ops.errors import NotAllowed, require
from brain.vocabulary import members as catalog
from brain.vocabulary import timezones
from brain.web import fail, limit_from, not_a_page, page_number, refusals_on

DIRECTORY_PAGE = 30


@bp.route("/u/<username>")
def profile(username: str):
    user = queries.member_named(username)
    if user is None or not permissions.can_see_profile(current_user, user):
        fail(404, _("There is no member with that name."))
    if username != user.username:
        return redirect(url_for("members.profile", username=user.username), 301)
    offer_feed(member=user)
    board_ids = [board.id for board in forum_queries.readable_boards(current_user)]
    topics, posts = forum_queries.member_activity(user, board_ids)
    return render_template(
        "members/profile.html", member=user, topics=topics, posts=posts, catalog=catalog
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.locale.data = current_user.locale or g.get("locale", "en")
        form.timezone.data = timezones.offered(current_user.timezone)
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
    return render_template("members/settings.html", form=form, mail_form=_mail_form())


def _mail_form() -> MailSettingsForm:
    """The mail settings as the member chose them (the defaults for the others)."""
    chosen = mailing.mail_preferences(current_user)
    return MailSettingsForm(
        formdata=None, prefix="mail", data={k.value: f.value for k, f in chosen.items()}
    )


@bp.route("/settings/mail", methods=["GET", "POST"])
@login_required
def mail_settings():
    form = MailSettingsForm(prefix="mail")
    if form.validate_on_submit():
        chosen = {kind.value: form[kind.value].data for kind in form.kinds()}
        mailing.set_mail_preferences(current_user, chosen)
        db.session.commit()
        flash(_("Your mail settings are saved."), "success")
        return redirect(url_for("members.settings", _anchor="mail"))
    if request.method == "GET":
        return redirect(url_for("members.settings", _anchor="mail"))
    settings_form = SettingsForm(formdata=None)
    settings_form.locale.data = current_user.locale or g.get("locale", "en")
    settings_form.timezone.data = timezones.offered(current_user.timezone)
    settings_form.read_languages.data = current_user.read_languages
    return render_template("members/settings.html", form=settings_form, mail_form=form), 400


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    # What a member says about themselves is public content, like a post.
    require(permissions.why_not_edit_profile(current_user))
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
        with refusals_on(form, "bio") as attempt:
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
            db.session.commit()
        if attempt.done:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("members.profile", username=current_user.username))
    return render_template("members/edit_profile.html", form=form)


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password():
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
    country = args.get("country", "")
    edition = args.get("edition", "")
    language = args.get("language", "")
    filters = queries.DirectoryFilters(
        name=args.get("q", "").strip()[:64],
        country=country if country in catalog.country_names() else "",
        edition=edition if edition in catalog.EDITION_CODES else "",
        language=language if language in catalog.SPOKEN_LANGUAGES else "",
        expertise=args.get("expertise", "").strip()[:64],
    )
    page = page_number()
    members, total = queries.directory(filters, page, DIRECTORY_PAGE)
    pages = max(1, -(-total // DIRECTORY_PAGE))
    shown = {
        "q": filters.name,
        "country": filters.country,
        "edition": filters.edition,
        "language": filters.language,
        "expertise": filters.expertise,
    }
    return render_template(
        "members/directory.html",
        members=members,
        total=total,
        page=page,
        pages=pages,
        filters={key: value for key, value in shown.items() if value},
        catalog=catalog,
    )


# --- a member's own data: a copy to download, and deleting the account -------------------


@bp.route("/settings/data")
@not_a_page
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
    remove_posts = site_settings.deleted_account_posts() is site_settings.DeletedAccountPosts.REMOVE
    status = 400 if form.is_submitted() else 200  # a form sent back is a refusal
    if form.validate_on_submit():
        with refusals_on(form, "password") as attempt:
            member_data.delete_account(member, form.password.data, remove_posts=remove_posts)
            db.session.commit()
        status = 403 if isinstance(attempt.refusal, NotAllowed) else status
        if attempt.done:
            # Their posts' entries in the search index name the old account: bring them up
            # to date now (the outbox only wakes the indexer for changed posts).
            search.backend().notify()
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
