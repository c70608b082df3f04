"""Outgoing mail, for administrators: what waits or fails (with the server's error), what was
given up, what went out lately; "retry now" on a failing or given-up mail."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from brain import mail
from brain.admin import bp, confirmed
from brain.extensions import db
from brain.forms import ConfirmForm
from brain.models import OutgoingMail
from brain.web import fail

LISTED = 100  # rows per section, newest first


def _listed(*conditions, order=None):
    query = select(OutgoingMail).where(*conditions)
    return db.session.scalars(
        query.order_by(OutgoingMail.id.desc() if order is None else order).limit(LISTED)
    )


@bp.route("/mail")
def outgoing_mail():
    waiting = (OutgoingMail.sent_at.is_(None), OutgoingMail.gave_up_at.is_(None))
    given_up = (OutgoingMail.sent_at.is_(None), OutgoingMail.gave_up_at.is_not(None))
    count = select(func.count(OutgoingMail.id))
    return render_template(
        "admin/mail.html",
        waiting=_listed(*waiting, order=OutgoingMail.next_attempt_at.asc()),
        given_up=_listed(*given_up),
        sent=_listed(OutgoingMail.sent_at.is_not(None), order=OutgoingMail.sent_at.desc()),
        waiting_count=db.session.scalar(count.where(*waiting)),
        given_up_count=db.session.scalar(count.where(*given_up)),
        max_attempts=mail.MAX_ATTEMPTS,
        retry_form=ConfirmForm(formdata=None),
    )


@bp.route("/mail/<id:mail_id>/retry", methods=["POST"])
def retry_mail(mail_id: int):
    row = db.session.get(OutgoingMail, mail_id)
    if row is None:
        fail(404, _("There is no such mail."))
    confirmed()
    if row.sent_at is not None:
        flash(_("This mail has already been sent."), "info")
    else:
        mail.retry_now(row)
        db.session.commit()  # then the queue sends it
        flash(_("The mail is being sent again."), "success")
    return redirect(url_for("admin.outgoing_mail"))
