"""Serving files and avatars, and receiving files outside the post forms.

A file is served only to whoever may read its post (``brain.permissions``: a members-only
board, a hidden or deleted post), and always as what it is: the type found when it was
stored, ``nosniff``, a sandboxing Content-Security-Policy, and a Content-Disposition that
shows images in the page and downloads everything else."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from brain import permissions
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.models import Attachment, Post, User
from brain.ops import uploads as upload_ops
from brain.ops.errors import OperationError, require
from brain.permissions import Why
from brain.uploads import bp
from brain.uploads.forms import AvatarForm, UploadForm
from brain.web import fail, limit_from, not_a_page, posting_key, refusals_on

YEAR = 365 * 24 * 3600
_NAME = re.compile(r"([0-9a-f]{32})(\.thumb)?\.([a-z]{3,4})")
# Forms that may carry files: they get UPLOAD_REQUEST_MAX_BYTES instead of
# MAX_CONTENT_LENGTH.
FILE_FORMS = frozenset(
    {"forum.new_topic", "forum.reply", "forum.edit", "uploads.upload", "uploads.avatar"}
)
NO_FILE = _l("There is no file at this address. It may have been removed.")


# --- serving --------------------------------------------------------------------------------


@bp.route("/uploads/<name>")
@not_a_page
def file(name: str):
    match = _NAME.fullmatch(name)
    if match is None:
        fail(404, NO_FILE)
    key, thumb, extension = match.groups()
    attachment = upload_ops.by_key(key)
    if attachment is None:
        fail(404, NO_FILE)
    if thumb:
        if not attachment.is_image or extension != "webp":
            fail(404, NO_FILE)
        stored, content_type = attachment.thumbnail_name, "image/webp"
    else:
        if extension != attachment.extension:
            fail(404, NO_FILE)
        stored, content_type = attachment.stored_name, attachment.content_type
    _require_readable(attachment)
    return _send(
        upload_ops.file_path(stored),
        content_type,
        attachment.filename,
        inline=attachment.is_image,
    )


def _require_readable(attachment: Attachment) -> None:
    """A file waiting for its post is its sender's alone; a file of a post follows the
    post's one visibility rule."""
    if attachment.post_id is None:
        if not (current_user.is_authenticated and current_user.id == attachment.owner_id):
            fail(404, NO_FILE)
        return
    post = db.session.get(Post, attachment.post_id)
    reason = permissions.why_not_read_post(current_user, post)
    if reason is None:
        return
    if reason.why == Why.MEMBERS_ONLY and not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    fail(404, NO_FILE)


def content_disposition(filename: str, *, inline: bool) -> str:
    """``inline`` or ``attachment`` with the name twice: plain ASCII for old clients, and
    UTF-8 as RFC 5987/6266 say (``filename*``) so a name in any script survives."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip() or "file"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _send(path: Path, content_type: str, filename: str, *, inline: bool):
    if not path.is_file():
        fail(404, NO_FILE)
    response = send_file(path, mimetype=content_type, conditional=True, max_age=YEAR)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, a file can run nothing and load nothing; other sites cannot embed
    # it (their pages would learn who reads ours).
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # The name never changes what it holds, so browsers keep it a year; but only browsers
    # (private): who may read it changes when its post is hidden, deleted or moved.
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    return response


@bp.route("/avatars/<id:user_id>-<any(s, l):size>.webp")
@not_a_page
def avatar_file(user_id: int, size: str):
    member = db.session.get(User, user_id)
    if (
        member is None
        or member.deleted_at is not None
        or not permissions.can_see_profile(current_user, member)
    ):
        fail(404, NO_FILE)
    return _send(
        upload_ops.avatar_path(user_id, size), "image/webp", f"{member.username}.webp", inline=True
    )


# --- receiving -----------------------------------------------------------------------------


def _described(attachment: Attachment) -> dict:
    # The name as the text of ![…](…): brackets and backslashes would end it or escape.
    alt = re.sub(r"[\[\]\\]", "", attachment.filename.rsplit(".", 1)[0]).strip() or "file"
    path = attachment.path
    return {
        "key": attachment.key,
        "name": attachment.filename,
        "url": path,
        "thumbnail": f"/uploads/{attachment.thumbnail_name}" if attachment.is_image else None,
        "markdown": f"![{alt}]({path})" if attachment.is_image else f"[{alt}]({path})",
    }


@bp.route("/uploads", methods=["POST"])
@login_required
@limit_from("RATELIMIT_UPLOAD", key_func=posting_key)
def upload():
    """Files sent by the composer's script before the post is written (drag and drop):
    JSON back, with what to put in the form (``key``) and in the text (``markdown``)."""
    require(permissions.why_not_act(current_user))
    form = UploadForm()
    if not form.validate_on_submit():
        return jsonify(error=_("The form has expired. Reload the page and try again.")), 400
    try:
        stored = upload_ops.store(current_user, form.files.data)
        if not stored:
            raise OperationError(_("Choose a file first."))
        upload_ops.sweep_pending()
        db.session.commit()
    except OperationError as problem:
        db.session.rollback()
        return jsonify(error=str(problem)), 400
    return jsonify(files=[_described(a) for a in stored]), 201


@bp.route("/settings/avatar", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_UPLOAD", key_func=posting_key)
def avatar():
    require(permissions.why_not_edit_profile(current_user))
    form = AvatarForm()
    if form.validate_on_submit():
        with refusals_on(form, "avatar") as attempt:
            upload_ops.set_avatar(current_user, form.avatar.data)
        if attempt.done:
            flash(_("Your picture is saved."), "success")
            return redirect(url_for("members.edit_profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("uploads/avatar.html", form=form), status


@bp.route("/settings/avatar/remove", methods=["POST"])
@login_required
def remove_avatar():
    if ConfirmForm().validate_on_submit() and upload_ops.remove_avatar(current_user):
        flash(_("Your picture is removed: your initials are shown instead."), "info")
    return redirect(url_for("members.edit_profile"))


# --- for templates --------------------------------------------------------------------------


def attachments_of(post: Post, entries=None) -> list[Attachment]:
    """The files of *post*. On a page of posts (*entries*: the thread's ThreadEntry list)
    the files of every post on it are read at the first call: one query per page."""
    cache = g.setdefault("attachments", {})
    if post.id not in cache:
        ids = {post.id} | {entry.post.id for entry in entries or []}
        cache.update(upload_ops.attachments_of(ids - cache.keys()))
    return cache[post.id]


def held_attachments(keys: str | None) -> list[Attachment]:
    """The files a composer form carries (sent with a preview), for showing them."""
    if not current_user.is_authenticated:
        return []
    return upload_ops.held(current_user, upload_ops.parse_keys(keys))


def avatar_url(user: User, size: str = "s") -> str | None:
    """The address of *user*'s picture in *size*, or None (then initials are shown)."""
    if getattr(user, "id", None) is None or user.deleted_at is not None:
        return None
    version = upload_ops.avatar_version(user.id, "l" if size == "l" else "s")
    if version is None:
        return None
    return url_for(
        "uploads.avatar_file", user_id=user.id, size="l" if size == "l" else "s", v=version
    )


def upload_limits() -> str:
    config = current_app.config
    return _(
        "JPEG, PNG, WebP or GIF images and PDF documents, up to %(size)s each and %(n)d "
        "per post. Photos are stored without their location and camera details.",
        size=upload_ops.size_text(config["UPLOAD_MAX_BYTES"]),
        n=config["UPLOAD_MAX_FILES"],
    )


def _allow_files(endpoint: str | None, values: dict | None) -> None:
    """Forms that carry files accept larger requests (their other fields are still held to
    MAX_FORM_MEMORY_SIZE). A URL value preprocessor runs before every before_request
    function, and those (CSRF, the input guard) read the form."""
    if endpoint in FILE_FORMS and request.mimetype == "multipart/form-data":
        request.max_content_length = current_app.config["UPLOAD_REQUEST_MAX_BYTES"]


@bp.record_once
def _setup(state) -> None:
    app: Flask = state.app
    app.url_value_preprocessors.setdefault(None, []).insert(0, _allow_files)
    app.jinja_env.globals.update(
        attachments_of=attachments_of,
        held_attachments=held_attachments,
        avatar_url=avatar_url,
        upload_limits=upload_limits,
        upload_accept=upload_ops.ACCEPTED,
        size_text=upload_ops.size_text,
    )
