"""Boards: create, reorder, edit, translate, and choose their moderators."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from brain import i18n
from brain.admin import bp, confirmed, forms
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.models import Board, User
from brain.ops import admin as ops
from brain.ops.accounts import username_key
from brain.ops.errors import OperationError
from brain.web import fail, refusals_on


def _board(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        fail(404, _("There is no board at this address."))
    return board


def _settings(form: forms.BoardForm) -> dict:
    return {name: getattr(form, name).data for name in ops.BOARD_SETTINGS}


@bp.route("/boards", methods=["GET", "POST"])
def boards():
    form = forms.BoardForm()
    if form.validate_on_submit():
        with refusals_on(form, None) as attempt:
            board = ops.create_board(current_user, **_settings(form))
            db.session.commit()
        if attempt.done:
            flash(_("The board “%(name)s” is created.", name=board.name), "success")
            return redirect(url_for("admin.edit_board", board_id=board.id))
    listed = db.session.scalars(select(Board).order_by(Board.position, Board.id)).all()
    return render_template(
        "admin/boards.html", boards=listed, form=form, move_form=forms.MoveBoardForm()
    )


@bp.route("/boards/<id:board_id>/move", methods=["POST"])
def move_board(board_id: int):
    board = _board(board_id)
    form = forms.MoveBoardForm()
    if not form.validate_on_submit():
        fail(400, _("Choose whether to move the board up or down."))
    if ops.move_board(board, current_user, -1 if form.direction.data == "up" else 1):
        db.session.commit()
    return redirect(url_for("admin.boards", _anchor=f"board-{board.id}"))


def _translation_data(board: Board) -> dict:
    rows = {row.locale: row for row in board.translations}
    return {
        lang.code: {
            "name": rows[lang.code].name if lang.code in rows else "",
            "description": rows[lang.code].description if lang.code in rows else "",
        }
        for lang in i18n.INTERFACE_LANGUAGES
    }


def _edit_page(board: Board, **bound):
    """The board's page; *bound* holds the form that was just sent back with its errors."""
    forms_on_page = {
        "form": lambda: forms.BoardForm(obj=board, formdata=None),
        "translations": lambda: forms.BoardTranslationsForm(
            data=_translation_data(board), formdata=None
        ),
        "moderator_form": lambda: forms.ModeratorForm(formdata=None),
    }
    for name, blank in forms_on_page.items():
        if name not in bound:
            bound[name] = blank()
    return render_template(
        "admin/board.html",
        board=board,
        moderators=ops.moderators_of(board),
        remove_form=ConfirmForm(formdata=None),
        **bound,
    )


@bp.route("/boards/<id:board_id>", methods=["GET", "POST"])
def edit_board(board_id: int):
    board = _board(board_id)
    form = forms.BoardForm(obj=board)
    if form.validate_on_submit():
        with refusals_on(form, None) as attempt:
            changed = ops.update_board(board, current_user, **_settings(form))
            db.session.commit()
        if attempt.done:
            if changed:
                flash(_("The board is saved."), "success")
            return redirect(url_for("admin.edit_board", board_id=board.id))
    return _edit_page(board, form=form)


@bp.route("/boards/<id:board_id>/translations", methods=["POST"])
def translate_board(board_id: int):
    board = _board(board_id)
    form = forms.BoardTranslationsForm()
    if not form.validate_on_submit():
        return _edit_page(board, translations=form)
    texts = {
        lang.code: (
            form[lang.code].form.name.data or "",
            form[lang.code].form.description.data or "",
        )
        for lang in i18n.INTERFACE_LANGUAGES
    }
    if ops.translate_board(board, current_user, texts):
        db.session.commit()
        flash(_("The translations are saved."), "success")
    return redirect(url_for("admin.edit_board", board_id=board.id, _anchor="translations"))


@bp.route("/boards/<id:board_id>/moderators", methods=["POST"])
def add_moderator(board_id: int):
    board = _board(board_id)
    form = forms.ModeratorForm()
    if form.validate_on_submit():
        member = db.session.scalar(
            select(User).where(User.username_key == username_key(form.username.data))
        )
        if member is None:
            form.username.errors = [_("There is no member with that username.")]
        else:
            with refusals_on(form, None) as attempt:
                ops.add_moderator(board, current_user, member)
                db.session.commit()
            if attempt.done:
                flash(_("%(name)s now moderates this board.", name=member.display_name), "success")
                return redirect(
                    url_for("admin.edit_board", board_id=board.id, _anchor="moderators")
                )
    return _edit_page(board, moderator_form=form)


@bp.route("/boards/<id:board_id>/moderators/<id:user_id>/remove", methods=["POST"])
def remove_moderator(board_id: int, user_id: int):
    board = _board(board_id)
    member = db.session.get(User, user_id)
    if member is None:
        fail(404, _("There is no member with that number."))
    confirmed()
    try:
        ops.remove_moderator(board, current_user, member)
    except OperationError as problem:
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(_("%(name)s no longer moderates this board.", name=member.display_name), "success")
    return redirect(url_for("admin.edit_board", board_id=board.id, _anchor="moderators"))
