"""Registration, login and logout."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from brain import commits, fragments
from brain.extensions import login_manager
from brain.models import Counter, User
from brain.ops import notifications, sessions
from brain.web import serving_a_page

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    # The id names a login session kept on the server (brain.ops.sessions): logging out
    # deletes it, so a copied cookie stops working everywhere. Every page a member reads also
    # reads the content counter (brain.fragments): it comes with them, in the same query.
    # A page shows the bell's count too (brain.notifications): it comes along for pages
    # (not for a file, a feed or a status: brain.web.not_a_page).
    if serving_a_page():
        user, also = sessions.member_for(login_id, CONTENT_VERSION, notifications.BELL_OF_MEMBER)
    else:
        user, also = sessions.member_for(login_id, CONTENT_VERSION)
    if user is not None:
        fragments.counted(also[0])
        if len(also) > 1:
            notifications.bell_counted(user, also[1])
    return user


CONTENT_VERSION = commits.counter(Counter.CONTENT).scalar_subquery()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


from brain.auth import views  # noqa: E402, F401
