"""One-click unsubscribing (RFC 8058): the link in every mail names the member and the kind of
mail in a signed token, so it works without logging in. GET shows what the link stops and a
button (mail scanners open links; they must not unsubscribe anyone); POST, from that button
or straight from the mail program ("List-Unsubscribe=One-Click"), stops that kind of mail
only. The token is the only credential such a POST can carry, hence no CSRF token."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from brain.extensions import csrf, db
from brain.mailing import bp
from brain.ops import mailing
from brain.vocabulary.mail import scope_label
from brain.web import fail


def _member_and_scope(token: str):
    try:
        return mailing.read_unsubscribe_token(token)
    except mailing.BadUnsubscribeToken as error:
        if error.expired:
            fail(
                400,
                _(
                    "This unsubscribe link has expired. Log in and choose which mail you "
                    "receive in your settings."
                ),
            )
        fail(
            400,
            _(
                "This unsubscribe link is not valid: it may have been cut or changed. Log in "
                "and choose which mail you receive in your settings."
            ),
        )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    member, scope = _member_and_scope(token)
    done = request.method == "POST"
    if done:
        mailing.unsubscribe(member, scope)
        db.session.commit()
    return render_template(
        "mailing/unsubscribe.html", member=member, what=scope_label(scope), done=done
    )
