"""Administration: boards, members, invitations, site settings and outgoing mail
(administrators only; moderators may also invite people)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from brain import permissions
from brain.forms import ConfirmForm
from brain.ops.errors import require
from brain.web import fail

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The invitation pages are open to moderators too: they bring in the people they know.
OPEN_TO_MODERATORS = frozenset({"admin.invitations", "admin.revoke_invitation"})


@bp.before_request
@login_required
def administrators_only():
    """Every page of the blueprint is guarded here, so a new page cannot forget to be."""
    # Suspended, banned or unapproved accounts keep no power of their role (brain.permissions).
    if permissions.is_administrator(current_user):
        return None
    if permissions.is_staff(current_user) and request.endpoint in OPEN_TO_MODERATORS:
        return None
    # The true reason: a suspended administrator is told of the suspension.
    require(permissions.why_not_administer(current_user))


def confirmed() -> None:
    """A button's form (nothing but its CSRF token) must have come back intact."""
    if not ConfirmForm().validate_on_submit():
        fail(400, _("The form could not be read. Reload the page and try again."))


from brain.admin import boards, mail, members, site  # noqa: E402, F401
