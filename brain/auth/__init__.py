"""Registration, login and logout."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from brain.extensions import login_manager
from brain.models import User
from brain.ops import sessions

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    # The id names a login session kept on the server (brain.ops.sessions): logging out
    # deletes it, so a copied cookie stops working everywhere.
    return sessions.member_for(login_id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


from brain.auth import views  # noqa: E402, F401
