"""Members: search and filter them, approve, change roles, suspend and ban."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from brain.admin import bp, confirmed, forms
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.models import Board, ModerationLog, Role, User, utcnow
from brain.ops import admin as ops
from brain.ops.moderation import lift_suspension, unban_member
from brain.ops.text import contains_pattern
from brain.vocabulary.moderation import details_in_words
from brain.web import fail, page_number, refusals_on, safe_next

PER_PAGE = 25
MAX_PAGE = 100_000
SUSPENSION_MAX_DAYS = 3650  # longer than ten years is a ban


def _state_filters() -> dict:
    """The filters of the member list, by the name used in its address."""
    return {
        "all": true(),
        "pending": User.approved_at.is_(None),
        "suspended": User.suspended_until > utcnow(),
        "banned": User.banned_at.is_not(None),
        "moderators": User.role == Role.MODERATOR,
        "admins": User.role == Role.ADMIN,
    }


def _member(user_id: int) -> User:
    member = db.session.get(User, user_id)
    if member is None:
        fail(404, _("There is no member with that number."))
    return member


def _member_url(member: User) -> str:
    return url_for("admin.member", user_id=member.id)


@bp.route("/members")
def members():
    filters = _state_filters()
    state = request.args.get("state", "all")
    state = state if state in filters else "all"
    query_text = request.args.get("q", "").strip()[:100]
    page = page_number(MAX_PAGE)
    query = select(User).where(filters[state]).order_by(func.lower(User.username), User.id)
    if query_text:
        pattern = contains_pattern(query_text.casefold())
        query = query.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    found = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/members.html",
        found=found,
        state=state,
        states=list(filters),
        query_text=query_text,
        approve_form=ConfirmForm(formdata=None),
        now=utcnow(),
    )


def _role_form(member: User, boards: list[Board], *, sent: bool = False) -> forms.RoleForm:
    """The role form, as sent (*sent*) or filled with the member's current role."""
    if sent:
        form = forms.RoleForm()
    else:
        current = {"role": member.role.value, "boards": [b.id for b in member.moderated_boards]}
        form = forms.RoleForm(formdata=None, data=current)
    locale = str(get_locale() or "en")
    form.boards.choices = [SelectChoice(board.id, board.name_in(locale)) for board in boards]
    return form


def _all_boards() -> list[Board]:
    return list(db.session.scalars(select(Board).order_by(Board.position, Board.id)))


def _member_page(member: User, **bound):
    """The member's page; *bound* holds the form that was just sent back with its errors."""
    if "role_form" not in bound:
        bound["role_form"] = _role_form(member, _all_boards())
    bound.setdefault("suspend_form", forms.SuspendForm(prefix="suspend", formdata=None))
    bound.setdefault("ban_form", forms.BanForm(prefix="ban", formdata=None))
    history = db.session.scalars(
        select(ModerationLog)
        .options(joinedload(ModerationLog.actor), joinedload(ModerationLog.board))
        .where(ModerationLog.member_id == member.id)
        .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
        .limit(20)
    ).all()
    locale = str(get_locale() or "en")
    board_names = {board.slug: board.name_in(locale) for board in _all_boards()}
    return render_template(
        "admin/member.html",
        member=member,
        history=history,
        details={entry.id: details_in_words(entry, board_names) for entry in history},
        confirm_form=ConfirmForm(formdata=None),
        now=utcnow(),
        **bound,
    )


@bp.route("/members/<id:user_id>")
def member(user_id: int):
    member = db.session.scalar(
        select(User).options(selectinload(User.moderated_boards)).where(User.id == user_id)
    )
    if member is None:
        fail(404, _("There is no member with that number."))
    return _member_page(member)


@bp.route("/members/<id:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    member = _member(user_id)
    boards = _all_boards()
    form = _role_form(member, boards, sent=True)
    if form.validate_on_submit():
        chosen = [board for board in boards if board.id in (form.boards.data or [])]
        with refusals_on(form, None) as attempt:
            changed = ops.change_role(member, current_user, Role(form.role.data), chosen)
            db.session.commit()
        if attempt.done:
            if changed:
                flash(_("The role of %(name)s is changed.", name=member.display_name), "success")
            return redirect(_member_url(member))
    return _member_page(member, role_form=form)


@bp.route("/members/<id:user_id>/approve", methods=["POST"])
def approve(user_id: int):
    member = _member(user_id)
    confirmed()
    if ops.approve(member, current_user):
        db.session.commit()
        flash(_("%(name)s is approved and can post.", name=member.display_name), "success")
    else:
        flash(_("%(name)s was already approved.", name=member.display_name), "info")
    return redirect(safe_next(request.form.get("next"), _member_url(member)))


def _zone() -> ZoneInfo:
    """The reader's time zone (Flask-Babel may hand over a pytz zone: go by its name)."""
    return ZoneInfo(str(get_timezone() or "UTC"))


def _start_of_day(day: date) -> datetime:
    """Midnight at the start of *day* in the reader's time zone, in UTC."""
    return datetime.combine(day, time.min, tzinfo=_zone()).astimezone(UTC)


@bp.route("/members/<id:user_id>/suspend", methods=["POST"])
def suspend(user_id: int):
    member = _member(user_id)
    form = forms.SuspendForm(prefix="suspend")
    if form.validate_on_submit():
        today = datetime.now(_zone()).date()
        if form.until.data <= today:
            form.until.errors = [_("Choose a date in the future.")]
        elif form.until.data > today + timedelta(days=SUSPENSION_MAX_DAYS):
            form.until.errors = [_("Choose a date within ten years; for longer, ban.")]
        else:
            until = _start_of_day(form.until.data)
            with refusals_on(form, None) as attempt:
                ops.suspend(member, current_user, until, form.reason.data)
                db.session.commit()
            if attempt.done:
                flash(_("%(name)s is suspended.", name=member.display_name), "success")
                return redirect(_member_url(member))
    return _member_page(member, suspend_form=form)


@bp.route("/members/<id:user_id>/unsuspend", methods=["POST"])
def lift(user_id: int):
    member = _member(user_id)
    confirmed()
    if member.suspended_until is not None:
        lift_suspension(member, current_user)
        db.session.commit()
        flash(_("The suspension of %(name)s is lifted.", name=member.display_name), "success")
    return redirect(_member_url(member))


@bp.route("/members/<id:user_id>/ban", methods=["POST"])
def ban(user_id: int):
    member = _member(user_id)
    form = forms.BanForm(prefix="ban")
    if form.validate_on_submit():
        with refusals_on(form, None) as attempt:
            ops.ban(member, current_user, form.reason.data)
            db.session.commit()
        if attempt.done:
            flash(_("%(name)s is banned.", name=member.display_name), "success")
            return redirect(_member_url(member))
    return _member_page(member, ban_form=form)


@bp.route("/members/<id:user_id>/unban", methods=["POST"])
def unban(user_id: int):
    member = _member(user_id)
    confirmed()
    if member.is_banned:
        unban_member(member, current_user)
        db.session.commit()
        flash(_("The ban on %(name)s is lifted.", name=member.display_name), "success")
    return redirect(_member_url(member))
